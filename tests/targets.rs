//! Response-time targets: set by admins per escalation kind; each open ticket's next deadline in
//! the queue, sorted by it, with the overdue and the nearly due marked; met or missed on the
//! ticket's page; moved by the first reply and by resolving.

mod common;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use helpdesk::domain::time::{Timestamp, Zone};

const HOUR: i64 = 60 * 60 * 1000;

/// The references in the queue's table, in its order.
fn references(body: &str) -> Vec<String> {
    body.split(r#"class="ticket-ref" href="/console/tickets/"#)
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn targets_give_each_open_ticket_a_deadline_the_queue_sorts_and_marks() {
    let app = TestApp::new().await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let mut sam = app
        .signed_in("sam@iims.example", "Sam Manager", Role::Manager)
        .await;
    for _ in 0..3 {
        app.support_escalation(&[]).await;
    }
    let (routed, _) = app.account_manager_escalation(&[]).await;
    // Ticket 1 opened two hours ago, ticket 2 half an hour ago, ticket 3 just now.
    let now = Timestamp::now().millis();
    app.execute(&format!(
        "UPDATE tickets SET created_at = {} WHERE number = 1",
        now - 2 * HOUR
    ))
    .await;
    app.execute(&format!(
        "UPDATE tickets SET created_at = {} WHERE number = 2",
        now - HOUR / 2
    ))
    .await;

    // Only admins set targets; a mistake comes back with what was typed.
    assert_ne!(sam.get("/console/admin/targets").await.status, 200);
    let page = rita.get("/console/admin/targets").await;
    ok(&page);
    assert!(page.shows("Monday to Friday, 9:00 to 17:00 (UTC)"));
    let wrong = rita
        .submit(
            "/console/admin/targets",
            &[
                ("kind", "iims-support"),
                ("first", "soon"),
                ("resolution", "8"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.shows("The first response target is a number of hours"));
    assert!(wrong.body.contains(r#"value="soon""#));
    assert_eq!(app.count("SELECT COUNT(*) FROM response_targets").await, 0);
    ok(&rita
        .submit(
            "/console/admin/targets",
            &[
                ("kind", "iims-support"),
                ("first", "1.5"),
                ("resolution", "8"),
            ],
        )
        .await);
    assert_eq!(
        app.count("SELECT first_response_minutes FROM response_targets WHERE outcome_kind = 'iims-support'")
            .await,
        90
    );
    ok(&rita
        .submit(
            "/console/admin/targets",
            &[
                ("kind", "account-manager"),
                ("first", ""),
                ("resolution", "4"),
                ("business", "1"),
            ],
        )
        .await);

    // The deadlines follow the targets: 1.5 h from opening for a first response; 4 business
    // hours for the Account Manager ticket.
    let due = |n: i64| {
        let app = &app;
        async move {
            app.count(&format!("SELECT due_at FROM tickets WHERE number = {n}"))
                .await
        }
    };
    assert_eq!(due(1).await, now - 2 * HOUR + 90 * 60_000);
    let opened: i64 = app
        .count(&format!(
            "SELECT created_at FROM tickets WHERE number = {routed}"
        ))
        .await;
    assert_eq!(
        due(routed).await,
        Zone::utc()
            .after_business_minutes(Timestamp(opened), 240)
            .millis()
    );

    // The queue, due first: ticket 1 overdue, ticket 2 due within the hour, then 3.
    let page = sam.get("/console/tickets?sort=due").await;
    ok(&page);
    let order = references(&page.body);
    assert_eq!(&order[..3], ["1", "2", "3"], "{order:?}");
    assert!(page.shows("Overdue"));
    assert!(page.shows("Due soon"));

    // Sam answers ticket 1, late: the first response is missed, and its next deadline is the
    // resolution, six hours ahead, so it is no longer overdue.
    sam.get("/console/tickets/1").await;
    ok(&sam
        .submit(
            "/console/tickets/1/replies",
            &[("body", "Sorry for the wait: we are on it.")],
        )
        .await);
    assert_eq!(due(1).await, now - 2 * HOUR + 8 * HOUR);
    let page = sam.get("/console/tickets/1").await;
    assert!(page.shows("Response times"));
    assert!(page.shows("missed:"), "{}", page.body);
    let page = sam.get("/console/tickets?sort=due").await;
    assert_eq!(&references(&page.body)[..1], ["2"]);

    // Resolving ticket 2 in time: met, and no deadline left in the queue.
    sam.get("/console/tickets/2").await;
    let revision = sam.page.hidden("revision").unwrap();
    ok(&sam
        .submit(
            "/console/tickets/2/status",
            &[("revision", &revision), ("status", "resolved")],
        )
        .await);
    assert_eq!(due(2).await, i64::MAX);
    let page = sam.get("/console/tickets/2").await;
    assert!(page.shows("Resolution, due"));
    assert!(page.shows("met:"));

    // The insights: ticket 1's first answer missed its target, ticket 2 was resolved on target;
    // the others' deadlines are still ahead and not counted yet.
    let page = rita.get("/console/insights").await;
    ok(&page);
    let section = common::unescape(&page.body)
        .split(r#"id="response-heading""#)
        .nth(1)
        .expect("the response-time section")
        .split("</section>")
        .next()
        .unwrap()
        .to_string();
    assert!(section.contains("<td>0% of 1</td>"), "{section}");
    assert!(section.contains("<td>100% of 1</td>"), "{section}");
    assert!(
        section.contains("2 h"),
        "ticket 1 waited two hours: {section}"
    );
}
