//! Who reaches what: form tokens on every state-changing route, customers kept out of the
//! console, managers kept out of admin pages, and clear 4xx pages for unknown input.

use axum::body::Body;
use helpdesk::domain::manager::Role;

use crate::common::{self, TestApp, ok};

/// Every state-changing console route, with the fields a valid form would carry.
async fn state_changing_routes(
    app: &TestApp,
    number: i64,
    manager_id: &str,
) -> Vec<(String, Vec<(&'static str, String)>)> {
    let _ = app;
    vec![
        ("/console/sign-out".into(), vec![]),
        (
            format!("/console/tickets/{number}/notes"),
            vec![("body", "a note".into())],
        ),
        (
            format!("/console/tickets/{number}/status"),
            vec![("revision", "1".into()), ("status", "in-progress".into())],
        ),
        (
            format!("/console/tickets/{number}/assign"),
            vec![("revision", "1".into()), ("assignee", "me".into())],
        ),
        (
            "/console/admin/managers".into(),
            vec![
                ("email", "new@iims.example".into()),
                ("name", "New Person".into()),
                ("role", "admin".into()),
                ("password", "a long enough password".into()),
            ],
        ),
        (
            format!("/console/admin/managers/{manager_id}/role"),
            vec![("role", "admin".into())],
        ),
        (
            format!("/console/admin/managers/{manager_id}/access"),
            vec![("enabled", "no".into())],
        ),
        (
            "/console/admin/routing".into(),
            vec![
                ("domain", "example.org".into()),
                ("manager", manager_id.to_string()),
            ],
        ),
        (
            "/console/admin/routing/remove".into(),
            vec![("domain", "example.com".into())],
        ),
    ]
}

/// A fingerprint of everything the console can change.
async fn console_state(app: &TestApp) -> Vec<i64> {
    vec![
        app.count("SELECT COUNT(*) FROM manager_sessions").await,
        app.count("SELECT COUNT(*) FROM ticket_notes").await,
        app.count("SELECT COUNT(*) FROM ticket_audit").await,
        app.count("SELECT SUM(revision) FROM tickets").await,
        app.count("SELECT COUNT(*) FROM managers").await,
        app.count("SELECT COUNT(*) FROM managers WHERE role = 'admin' AND enabled = 1")
            .await,
        app.count("SELECT COUNT(*) FROM domain_routes").await,
    ]
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_missing_wrong_or_cross_site_token() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let bob = app
        .add_manager("bob@iims.example", "Bob", Role::Manager)
        .await;
    app.store()
        .set_domain_route("example.com", &bob.id)
        .await
        .unwrap();
    let (number, _) = app.support_escalation(&[]).await;
    admin.get("/console/tickets").await;
    let token = admin.csrf.clone().unwrap();
    let before = console_state(&app).await;

    for (path, fields) in state_changing_routes(&app, number, &bob.id).await {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // No token, and someone else's token.
        for csrf in [None, Some("0123456789abcdef0123456789abcdef")] {
            let mut all = fields.clone();
            if let Some(t) = csrf {
                all.push(("csrf", t));
            }
            let page = admin.post_raw(&path, &all).await;
            assert_eq!(page.status, 403, "{path} with {csrf:?}: {}", page.body);
        }
        // The right token, from another site.
        let mut all = fields.clone();
        all.push(("csrf", &token));
        let request = admin
            .request("POST", &path)
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(common::form_body(&all)))
            .unwrap();
        let page = app.send(request).await;
        assert_eq!(page.status, 403, "{path} cross-site");
        assert!(page.shows("sent from another web site"), "{path}");
        assert_eq!(
            console_state(&app).await,
            before,
            "{path} changed something"
        );
    }
    // With the token, the same forms work (the list is real).
    let page = admin.add_note(number, "a note").await;
    ok(&page);
    assert_ne!(console_state(&app).await, before);
}

#[tokio::test]
async fn a_customer_reaches_no_manager_page_and_no_other_customers_ticket() {
    let app = TestApp::new().await;
    let bob = app
        .add_manager("bob@iims.example", "Bob Jones", Role::Admin)
        .await;
    let (number, status_link) = app.support_escalation(&[]).await;
    let before = console_state(&app).await;

    // A customer with a visit cookie, and one forging a session cookie.
    let mut customer = app.customer();
    customer.pick("cant-send").await;
    customer.choose("That fixed it: I can send email now").await;
    let mut forger = app.manager("x@example.com");
    forger
        .cookies
        .push(("helpdesk_console".into(), "a".repeat(64)));
    forger
        .cookies
        .push(("helpdesk_visit".into(), customer.visit_id().to_string()));

    for path in [
        "/console".to_string(),
        "/console/tickets".into(),
        format!("/console/tickets/{number}"),
        "/console/admin/managers".into(),
        "/console/admin/routing".into(),
    ] {
        let page = customer.get(&path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location()
                .unwrap()
                .starts_with("/console/sign-in?next="),
            "{path}"
        );
        let page = forger.get(&path).await;
        assert_eq!(page.status, 303, "forged cookie on {path}");
    }
    for (path, fields) in state_changing_routes(&app, number, &bob.id).await {
        let mut fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let csrf = customer.csrf.clone().unwrap();
        fields.push(("csrf", &csrf));
        let page = customer.post_raw(&path, &fields).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.shows("You are not signed in"), "{path}");
        let page = forger.post_raw(&path, &fields).await;
        assert_eq!(page.status, 403, "forged cookie on {path}");
    }
    assert_eq!(console_state(&app).await, before);

    // Other customers' tickets: only the unguessable link opens one.
    ok(&customer.get(&status_link).await);
    let mut guessed = status_link.clone();
    guessed.replace_range(guessed.len() - 4.., "0000");
    for path in [
        guessed,
        format!("/tickets/{number}"),
        "/tickets/IIMS-000001".into(),
    ] {
        assert_eq!(customer.get(&path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn managers_cannot_open_admin_pages() {
    let app = TestApp::new().await;
    let mut m = app
        .signed_in("bob@iims.example", "Bob", Role::Manager)
        .await;
    for path in ["/console/admin/managers", "/console/admin/routing"] {
        let page = m.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.shows("Only admins can manage managers and routing."));
    }
    assert!(
        !m.get("/console/tickets")
            .await
            .body
            .contains("/console/admin/")
    );
    let id = app.text("SELECT id FROM managers").await.unwrap();
    let page = m
        .submit(
            &format!("/console/admin/managers/{id}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = m
        .submit(
            "/console/admin/routing",
            &[("domain", "example.com"), ("manager", &id)],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM managers WHERE role = 'admin'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM domain_routes").await, 0);
}

#[tokio::test]
async fn unknown_console_input_is_a_clear_4xx() {
    let app = TestApp::new().await;
    let mut m = app
        .signed_in("ann@iims.example", "Ann", Role::Manager)
        .await;
    let (number, _) = app.support_escalation(&[]).await;
    m.open_ticket(number).await;
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("/console/tickets/{number}/status"),
            vec![("revision", "1"), ("status", "done")],
            422,
            "There is no ticket status",
        ),
        (
            format!("/console/tickets/{number}/status"),
            vec![("revision", "x"), ("status", "resolved")],
            422,
            "The form was incomplete",
        ),
        (
            format!("/console/tickets/{number}/assign"),
            vec![("revision", "1"), ("assignee", "bob")],
            422,
            "Choose a manager",
        ),
        (
            format!("/console/tickets/{number}/assign"),
            vec![
                ("revision", "1"),
                ("assignee", "00000000-0000-4000-8000-000000000000"),
            ],
            422,
            "That manager can't be assigned",
        ),
        (
            "/console/tickets/999/notes".into(),
            vec![("body", "x")],
            404,
            "We can't find that page",
        ),
        (
            "/console/tickets/999/status".into(),
            vec![("revision", "1"), ("status", "resolved")],
            404,
            "We can't find that page",
        ),
    ];
    for (path, fields, status, text) in cases {
        let page = m.submit(&path, &fields).await;
        assert_eq!(page.status, status, "{path} {fields:?}: {}", page.body);
        assert!(page.shows(text), "{path}: {}", page.body);
        m.open_ticket(number).await;
    }
    assert_eq!(app.count("SELECT revision FROM tickets").await, 1);
}
