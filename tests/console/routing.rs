//! Domain routing: account manager escalations go to the manager of the customer's domain.

use helpdesk::domain::manager::Role;

use crate::common::{TestApp, ok};

#[tokio::test]
async fn account_manager_escalations_route_by_domain_and_the_rest_land_unassigned() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let dora = app
        .add_manager("dora@iims.example", "Dora Keller", Role::Manager)
        .await;
    let ed = app
        .add_manager("ed@iims.example", "Ed Norris", Role::Manager)
        .await;

    admin.get("/console/admin/routing").await;
    ok(&admin
        .submit(
            "/console/admin/routing",
            &[("domain", "Example.COM"), ("manager", &dora.id)],
        )
        .await);
    ok(&admin
        .submit(
            "/console/admin/routing",
            &[("domain", "corp.example"), ("manager", &ed.id)],
        )
        .await);
    let page = admin
        .submit(
            "/console/admin/routing",
            &[("domain", "not a domain"), ("manager", &ed.id)],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.shows("Enter a domain like example.com"));
    assert!(
        page.body.contains(r#"value="not a domain""#),
        "the typed domain is kept"
    );
    let page = admin
        .submit(
            "/console/admin/routing",
            &[("domain", "x.example"), ("manager", "nobody")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.shows("Choose a manager from the list."));
    assert!(page.body.contains(r#"value="x.example""#));
    let page = admin.get("/console/admin/routing").await;
    assert!(page.shows("example.com") && page.shows("Dora Keller") && page.shows("corp.example"));

    let assignee = |n: i64| {
        let app = &app;
        async move {
            let rows: Vec<(i64, Option<String>)> = {
                let mut conn = app.reader().await;
                sqlx::query_as("SELECT t.number, m.name FROM tickets t LEFT JOIN managers m ON m.id = t.assignee_id")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
            };
            rows.into_iter().find(|r| r.0 == n).and_then(|r| r.1)
        }
    };
    // The account field names the domain (any case, or as an address).
    let (n, _) = app
        .account_manager_escalation(&[("account", "EXAMPLE.com")])
        .await;
    assert_eq!(assignee(n).await.as_deref(), Some("Dora Keller"));
    let (n, _) = app
        .account_manager_escalation(&[
            ("account", "billing@example.com"),
            ("email", "x@gmail.example"),
        ])
        .await;
    assert_eq!(assignee(n).await.as_deref(), Some("Dora Keller"));
    // No account: the email's domain.
    let (n, _) = app
        .account_manager_escalation(&[("account", ""), ("email", "pat@corp.example")])
        .await;
    assert_eq!(assignee(n).await.as_deref(), Some("Ed Norris"));
    // An unknown domain, or another kind of escalation: the shared queue.
    let (n, _) = app
        .account_manager_escalation(&[("account", "other.example"), ("email", "pat@other.example")])
        .await;
    assert_eq!(assignee(n).await, None);
    let (n, _) = app.support_escalation(&[("account", "example.com")]).await;
    assert_eq!(assignee(n).await, None);
    // A disabled manager's domain lands unassigned too.
    app.store()
        .set_manager_enabled(&dora.id, false)
        .await
        .unwrap();
    let (n, _) = app
        .account_manager_escalation(&[("account", "example.com")])
        .await;
    assert_eq!(assignee(n).await, None);

    // Routing is on the ticket's history, by the system.
    admin.open_ticket(1).await;
    let page = admin.get("/console/tickets/1").await;
    assert!(page.shows("Routed to the account's manager"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_audit WHERE action = 'routed' AND actor_id IS NULL")
            .await,
        3
    );

    // Removing a route.
    admin.get("/console/admin/routing").await;
    ok(&admin
        .submit(
            "/console/admin/routing/remove",
            &[("domain", "corp.example")],
        )
        .await);
    assert_eq!(app.count("SELECT COUNT(*) FROM domain_routes").await, 1);
    let (n, _) = app
        .account_manager_escalation(&[("account", ""), ("email", "pat@corp.example")])
        .await;
    assert_eq!(assignee(n).await, None);
}
