//! A ticket: the customer and their path, notes, status and assignment in the audit trail,
//! conflicts between two managers, and the customer seeing the outcome.

use helpdesk::domain::manager::Role;
use helpdesk::guide::text::rich;

use crate::common::{Manager, TestApp, ok};

#[tokio::test]
async fn a_ticket_shows_the_customer_and_the_path_as_a_timeline() {
    let app = TestApp::new().await;
    let mut m = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let (number, _) = app
        .support_escalation(&[
            ("name", "Carol <b>Customer</b>"),
            ("description", "Line one\nLine <two>"),
        ])
        .await;
    let page = m.open_ticket(number).await;
    ok(&page);
    let guide = app.guide();
    let p = guide.problem("cant-send").unwrap();
    for text in [
        "Carol <b>Customer</b>",
        "ann@example.com",
        "+1 (203) 555-0100",
        "example.com",
        "Mozilla Thunderbird",
        "Line one\nLine <two>",
        p.symptom.as_str(),
        "IIMS support",
        "Answered: ",
        "My outgoing settings are correct and I still can't send",
        "I still can't send",
        "Where the guide stopped",
        "answered after",
    ] {
        assert!(page.shows(text), "the ticket lacks {text:?}");
    }
    // Each step as the customer saw it (guide markup and number included), in order.
    let mut at = 0;
    for node in ["check-smtp-settings", "use-isp-smtp", "contact-iims"] {
        let node = guide.node(p, node).unwrap();
        let shown = rich(&node.title);
        let i = page.body[at..]
            .find(&shown)
            .unwrap_or_else(|| panic!("{shown} missing or out of order"));
        at += i + shown.len();
    }
    assert!(page.body.contains(
        &format!("{}) ", guide.node(p, "check-smtp-settings").unwrap().number.as_deref().unwrap())
    ));
    assert!(
        !page.body.contains("<b>Customer</b>"),
        "customer text is escaped"
    );
    let reason = guide
        .node(p, "contact-iims")
        .unwrap()
        .outcome()
        .unwrap()
        .reason
        .clone()
        .unwrap();
    assert!(page.shows(&reason));
    // Unknown and malformed numbers are 404s.
    for path in [
        "/console/tickets/999",
        "/console/tickets/abc",
        "/console/tickets/-1",
    ] {
        assert_eq!(m.get(path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn notes_and_every_change_land_in_the_audit_trail() {
    let app = TestApp::new().await;
    let mut ann = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let bob = app
        .add_manager("bob@iims.example", "Bob Jones", Role::Manager)
        .await;
    let (number, _) = app.support_escalation(&[]).await;

    let page = ann
        .add_note(
            number,
            "Called the customer.\r\n<script>alert(1)</script> will retry",
        )
        .await;
    ok(&page);
    assert!(
        page.shows("Called the customer.\n<script>alert(1)</script> will retry"),
        "{}",
        page.body
    );
    assert!(page.body.contains("&#60;script&#62;alert(1)"));
    assert!(!page.body.contains("<script>alert(1)"));
    let page = ann.add_note(number, "   \n ").await;
    assert_eq!(page.status, 422);
    assert!(page.shows("The note is empty."));

    ann.open_ticket(number).await;
    ok(&ann.assign_to(number, "me").await);
    ok(&ann.assign_to(number, &bob.id).await);
    ok(&ann.set_status(number, "in-progress").await);
    let page = ann.set_status(number, "closed").await;
    assert_eq!(page.status, 422, "in progress can't jump to closed");
    assert!(page.shows("A ticket that is in progress can't be moved to that status."));
    ann.open_ticket(number).await;
    let page = ann.set_status(number, "waiting-on-customer").await;
    ok(&page);

    type Row = (Option<String>, String, Option<String>, Option<String>);
    let audit: Vec<Row> = {
        let mut conn = app.reader().await;
        sqlx::query_as(
            "SELECT m.name, a.action, a.before, a.after FROM ticket_audit a LEFT JOIN managers m ON m.id = a.actor_id ORDER BY a.id",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    };
    let ann_name = Some("Ann Smith".to_string());
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        audit,
        vec![
            (None, "opened".into(), None, s("new")),
            (ann_name.clone(), "note".into(), None, None),
            (ann_name.clone(), "assignee".into(), None, s("Ann Smith")),
            (
                ann_name.clone(),
                "assignee".into(),
                s("Ann Smith"),
                s("Bob Jones")
            ),
            (
                ann_name.clone(),
                "status".into(),
                s("new"),
                s("in-progress")
            ),
            (
                ann_name.clone(),
                "status".into(),
                s("in-progress"),
                s("waiting-on-customer")
            ),
        ]
    );
    // The page shows the trail: who, what, before and after.
    for text in [
        "Assignment changed",
        "Unassigned",
        "Bob Jones",
        "Status changed",
        "In progress",
        "Waiting on customer",
        "Internal note added",
    ] {
        assert!(page.shows(text), "history lacks {text}");
    }
    assert_eq!(app.count("SELECT revision FROM tickets").await, 5);
}

#[tokio::test]
async fn two_managers_saving_the_same_ticket_get_a_conflict_not_an_overwrite() {
    let app = TestApp::new().await;
    let mut ann = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let mut bob = app
        .signed_in("bob@iims.example", "Bob Jones", Role::Manager)
        .await;
    let (number, _) = app.support_escalation(&[]).await;
    ann.open_ticket(number).await;
    bob.open_ticket(number).await;

    ok(&ann.set_status(number, "resolved").await);
    let page = bob.set_status(number, "in-progress").await;
    assert_eq!(page.status, 409);
    assert!(page.shows("Someone else changed this ticket after you opened it"));
    assert!(page.shows("Status: Resolved"), "the current state is shown");
    assert_eq!(
        app.text("SELECT status FROM tickets").await.as_deref(),
        Some("resolved")
    );

    // Assignment too; and the 409 page carries the new revision, so retrying works.
    let stale = bob.revision();
    ann.open_ticket(number).await;
    ok(&ann.assign_to(number, "me").await);
    let page = bob
        .submit(
            &format!("/console/tickets/{number}/assign"),
            &[("revision", &stale), ("assignee", "me")],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(page.shows("Ann Smith"));
    ok(&bob.assign_to(number, "me").await);
    assert_eq!(
        app.text("SELECT m.name FROM tickets t JOIN managers m ON m.id = t.assignee_id")
            .await
            .as_deref(),
        Some("Bob Jones")
    );

    // Truly at once: two saves of the same revision race; exactly one wins.
    ann.open_ticket(number).await;
    bob.open_ticket(number).await;
    let (a, b) = tokio::join!(
        ann.set_status(number, "closed"),
        bob.set_status(number, "in-progress")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
}

#[tokio::test]
async fn a_manager_works_a_fresh_escalation_and_the_customer_sees_it_resolved() {
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let (number, status_link) = app.support_escalation(&[("name", "Carol Customer")]).await;
    let reference = format!("IIMS-{number:06}");

    // Sign in, find the fresh escalation at the top of the new tickets.
    let mut ann: Manager = app.manager("ann@iims.example");
    ok(&ann.sign_in().await);
    ann.open_queue("status=new&assignee=unassigned").await;
    assert_eq!(ann.references().first(), Some(&reference));

    // Read the path, add a note, assign, work it, resolve it.
    let page = ann.open_ticket(number).await;
    assert!(page.shows("I still can't send"));
    ok(&ann
        .add_note(number, "Asked for the SMTP log; a secret internal remark")
        .await);
    ok(&ann.assign_to(number, "me").await);
    ok(&ann.set_status(number, "in-progress").await);
    let page = ann.set_status(number, "resolved").await;
    ok(&page);
    assert!(page.shows("Status: Resolved"));
    ann.open_queue("assignee=mine&status=resolved").await;
    assert_eq!(ann.references(), vec![reference.clone()]);

    // The customer's status page: resolved, with the changes and dates, a first name only, no notes.
    let mut customer = app.customer();
    let page = customer.get(&status_link).await;
    ok(&page);
    assert!(page.shows("Resolved"));
    assert!(page.shows("Being worked on"));
    assert!(page.shows("Received"));
    assert!(
        page.body.contains("<dt>Handled by</dt><dd>Ann</dd>"),
        "{}",
        page.body
    );
    assert!(!page.shows("Ann Smith"), "only a first name");
    assert!(!page.shows("secret internal remark"), "never notes");
    assert!(!page.shows("ann@iims.example"));
}
