//! Managers' accounts: adding, roles, the last admin, disabling, and the assignee lists
//! following changes made here or by another process.

use helpdesk::domain::manager::Role;

use crate::common::{self, TestApp, ok};

#[tokio::test]
async fn the_assignee_lists_follow_manager_changes_made_here_or_by_another_process() {
    let app = TestApp::new().await;
    let mut ann = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Admin)
        .await;
    let (ticket, _) = app.support_escalation(&[]).await;
    let offers =
        |page: &common::Page, id: &str| page.body.contains(&format!(r#"<option value="{id}""#));

    // Seen once, so the list is kept in memory.
    let queue = ann.open_queue("").await;
    ok(&queue);
    assert!(!queue.shows("Bob Jones"));

    // Another process on the same database (as `helpdesk manager add` is) adds a manager.
    let other = helpdesk::store::Store::open(&app.db_url).await.unwrap();
    let bob = other
        .add_manager(helpdesk::store::NewManager {
            email: helpdesk::domain::manager::ManagerEmail::parse("bob@iims.example").unwrap(),
            name: "Bob Jones".into(),
            role: Role::Manager,
            password_hash: "not used".into(),
        })
        .await
        .unwrap()
        .unwrap();
    assert!(
        offers(&ann.open_queue("").await, &bob.id),
        "the queue's filter"
    );
    assert!(
        offers(&ann.open_ticket(ticket).await, &bob.id),
        "the ticket's assignment"
    );

    // Disabled elsewhere: no longer offered for assignment (the queue still filters by them).
    other.set_manager_enabled(&bob.id, false).await.unwrap();
    assert!(!offers(&ann.open_ticket(ticket).await, &bob.id));
    assert!(offers(&ann.open_queue("").await, &bob.id));

    // Enabled again on this server's admin page: offered again.
    ann.get("/console/admin/managers").await;
    ok(&ann
        .submit(
            &format!("/console/admin/managers/{}/access", bob.id),
            &[("enabled", "yes")],
        )
        .await);
    assert!(offers(&ann.open_ticket(ticket).await, &bob.id));
    other.close().await;
}

#[tokio::test]
async fn a_disabled_manager_is_signed_out_at_once_and_cannot_sign_in() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let mut bob = app
        .signed_in("bob@iims.example", "Bob Jones", Role::Manager)
        .await;
    let bob_id = app
        .text("SELECT id FROM managers WHERE email = 'bob@iims.example'")
        .await
        .unwrap();
    ok(&bob.get("/console/tickets").await);

    admin.get("/console/admin/managers").await;
    let page = admin
        .submit(
            &format!("/console/admin/managers/{bob_id}/access"),
            &[("enabled", "no")],
        )
        .await;
    ok(&page);
    assert!(page.shows("Disabled"));
    assert_eq!(app.store().session_count(&bob_id).await.unwrap(), 0);

    let page = bob.get("/console/tickets").await;
    assert_eq!(page.status, 303, "the disabled manager's session is over");
    let page = bob.sign_in().await;
    assert_eq!(page.status, 403);
    assert!(page.shows("This account is disabled."));
    assert!(bob.session().is_none());

    // Enabled again, Bob signs in.
    admin.get("/console/admin/managers").await;
    admin
        .submit(
            &format!("/console/admin/managers/{bob_id}/access"),
            &[("enabled", "yes")],
        )
        .await;
    ok(&bob.sign_in().await);
}

#[tokio::test]
async fn admins_add_managers_change_roles_and_never_lose_the_last_admin() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let root_id = app.text("SELECT id FROM managers").await.unwrap();
    admin.get("/console/admin/managers").await;

    let page = admin
        .submit(
            "/console/admin/managers",
            &[
                ("email", "bad"),
                ("name", ""),
                ("role", "root"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    for text in [
        "like name@example.com",
        "Enter the manager's name.",
        "Choose a role",
        "at least 12 characters",
    ] {
        assert!(page.shows(text), "{text}");
    }
    let page = admin
        .submit(
            "/console/admin/managers",
            &[
                ("email", "Gus@IIMS.example"),
                ("name", "Gus Grey"),
                ("role", "manager"),
                ("password", "gus's own long password"),
            ],
        )
        .await;
    ok(&page);
    assert!(page.shows("gus@iims.example") && page.shows("Gus Grey"));
    let page = admin
        .submit(
            "/console/admin/managers",
            &[
                ("email", "gus@iims.example"),
                ("name", "Gus Again"),
                ("role", "manager"),
                ("password", "another long password"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(page.shows("already exists"));
    let mut gus = app.manager("gus@iims.example");
    gus.password = "gus's own long password".into();
    ok(&gus.sign_in().await);

    // The only admin can neither demote nor disable themselves.
    for (path, field) in [("role", ("role", "manager")), ("access", ("enabled", "no"))] {
        let page = admin
            .submit(
                &format!("/console/admin/managers/{root_id}/{path}"),
                &[field],
            )
            .await;
        assert_eq!(page.status, 409, "{path}");
        assert!(page.shows("That would leave no enabled admin"));
        admin.get("/console/admin/managers").await;
    }
    // With a second admin, they can.
    let gus_id = app
        .text("SELECT id FROM managers WHERE email = 'gus@iims.example'")
        .await
        .unwrap();
    ok(&admin
        .submit(
            &format!("/console/admin/managers/{gus_id}/role"),
            &[("role", "admin")],
        )
        .await);
    ok(&gus.get("/console/admin/managers").await);
    let token = admin.csrf.clone().unwrap();
    let page = admin
        .post_raw(
            &format!("/console/admin/managers/{root_id}/role"),
            &[("csrf", &token), ("role", "manager")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        admin.get("/console/admin/managers").await.status,
        403,
        "no longer an admin"
    );
    let page = admin
        .submit(
            &format!("/console/admin/managers/{}/role", uuid::Uuid::new_v4()),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(page.status, 403);
}
