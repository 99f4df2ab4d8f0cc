//! A customer's privacy request in the console: an admin finds what is held under an address and
//! erases it after confirming; the erasure is audited as that admin; a manager who is not an
//! admin cannot reach the page.

use helpdesk::domain::manager::Role;

use crate::common::{TestApp, ok};

#[tokio::test]
async fn an_admin_finds_a_customer_and_erases_their_data_once_confirmed() {
    let app = TestApp::new().await;
    let (n, link) = app.support_escalation(&[]).await;
    let mut ada = app
        .signed_in("ada@iims.example", "Ada Admin", Role::Admin)
        .await;
    ok(&ada.get("/console/admin/privacy").await);

    // A mistake in the address is said so, with what was typed kept.
    let wrong = ada
        .submit("/console/admin/privacy", &[("email", "ann at example")])
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.shows("Enter the customer's email address"));
    assert!(wrong.body.contains(r#"value="ann at example""#));

    let found = ada
        .submit("/console/admin/privacy", &[("email", "ANN@example.com")])
        .await;
    ok(&found);
    assert!(found.shows(&format!("IIMS-{n:06}")), "{}", found.body);
    assert!(found.shows("Erase the customer's data"));

    // Not confirmed: nothing is erased, and the page says why.
    let unconfirmed = ada
        .submit(
            "/console/admin/privacy/erase",
            &[("email", "ann@example.com")],
        )
        .await;
    assert_eq!(unconfirmed.status, 422);
    assert!(unconfirmed.shows("Tick the box to confirm"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE customer_email = 'ann@example.com'")
            .await,
        1
    );

    let done = ada
        .submit(
            "/console/admin/privacy/erase",
            &[("email", "ann@example.com"), ("confirm", "yes")],
        )
        .await;
    ok(&done);
    assert!(done.shows("Erased from 1 ticket."), "{}", done.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE customer_email = 'ann@example.com'")
            .await,
        0
    );
    assert_eq!(app.customer().get(&link).await.status, 404);
    // Another erased customer's ticket is not listed as one of this customer's.
    let (bob, _) = app
        .support_escalation(&[("name", "Bob Other"), ("email", "bob@example.net")])
        .await;
    let erased = app
        .state
        .store
        .erase_customer("bob@example.net", None)
        .await
        .unwrap();
    assert_eq!(erased.tickets, 1);
    // The ticket's history names the admin, and holds no data.
    let ticket = ada.get(&format!("/console/tickets/{n}")).await;
    ok(&ticket);
    assert!(!ticket.body.contains("ann@example.com"));
    assert!(
        !ticket.shows(&format!("IIMS-{bob:06}")),
        "erased tickets are nobody's other tickets"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM ticket_audit a JOIN managers m ON m.id = a.actor_id
             WHERE a.action = 'erased' AND m.email = 'ada@iims.example' AND a.before IS NULL AND a.after IS NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_manager_who_is_not_an_admin_cannot_reach_it_and_a_forged_form_erases_nothing() {
    let app = TestApp::new().await;
    app.support_escalation(&[]).await;
    let mut max = app
        .signed_in("max@iims.example", "Max Manager", Role::Manager)
        .await;
    assert_eq!(max.get("/console/admin/privacy").await.status, 403);
    let refused = max
        .submit(
            "/console/admin/privacy/erase",
            &[("email", "ann@example.com"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let mut ada = app
        .signed_in("ada@iims.example", "Ada Admin", Role::Admin)
        .await;
    ada.csrf = Some("forged".into());
    let forged = ada
        .submit(
            "/console/admin/privacy/erase",
            &[("email", "ann@example.com"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE customer_email = 'ann@example.com'")
            .await,
        1
    );
}
