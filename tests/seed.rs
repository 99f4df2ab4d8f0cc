//! The synthetic data generator: it reaches the plan, walks only real paths of the guide, and
//! what it writes reads back through the site like real traffic.

mod common;

use common::TestApp;
use helpdesk::domain::time::{Timestamp, Zone};
use helpdesk::seed::{SeedPlan, generate};

fn plan(tickets: usize, events: usize, seed: u64) -> SeedPlan {
    SeedPlan {
        tickets,
        events,
        days: 30,
        seed,
        now: Timestamp(1_795_704_774_000),
        zone: Zone::utc(),
        send: true,
    }
}

#[tokio::test]
async fn seeding_reaches_the_plan_with_real_paths() {
    let app = TestApp::new().await;
    let guide = app.guide();
    let mut visits = Vec::new();
    let (tickets, events) = generate(guide, &plan(60, 1500, 1), |v| visits.push(v));
    assert_eq!(tickets, 60);
    assert!(events >= 1500);
    // Every choice follows the guide: the chosen answer leads where the event says.
    for v in &visits {
        for e in v.events.iter().filter(|e| e.choice_index.is_some()) {
            let (_, node) = guide
                .locate(&e.problem_id, &e.node_id)
                .expect("a real step");
            let choice = &node.choices()[e.choice_index.unwrap() as usize];
            assert_eq!(Some(choice.next.as_str()), e.next_id.as_deref());
        }
        assert!(
            v.events.windows(2).all(|w| w[0].at <= w[1].at),
            "events in time order"
        );
    }
    // Some customers were helped, some gave up, some escalated: like real traffic.
    let resolved = visits
        .iter()
        .filter(|v| {
            v.events
                .last()
                .is_some_and(|e| e.outcome_kind.as_deref() == Some("resolved"))
        })
        .count();
    let abandoned = visits
        .iter()
        .filter(|v| v.events.last().is_some_and(|e| e.outcome_kind.is_none()))
        .count();
    assert!(
        resolved > 0 && abandoned > 0,
        "resolved {resolved}, abandoned {abandoned}"
    );

    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 60);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visit_events").await as usize,
        events
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_path p WHERE p.ticket_id = t.id AND p.choice_index IS NULL)").await,
        0,
        "every ticket's path ends at its ending"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets t WHERE status <> COALESCE((SELECT after FROM ticket_audit a WHERE a.ticket_id = t.id AND a.action IN ('opened', 'status') ORDER BY at DESC, id DESC LIMIT 1), '')").await,
        0,
        "each ticket's status is the last one its audit trail records"
    );

    // A seeded ticket reads like a real one on the customer's status page.
    let token: String = {
        let mut conn = app.reader().await;
        sqlx::query_scalar("SELECT status_token FROM tickets ORDER BY number LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    let mut c = app.customer();
    let page = c.get(&format!("/tickets/{token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.shows("What you did in the guide"));
    assert!(page.shows("you answered"));
}

#[test]
fn the_same_seed_gives_the_same_data() {
    let guide = helpdesk::guide::Guide::embedded();
    let run = |seed| {
        let mut out = Vec::new();
        generate(&guide, &plan(20, 300, seed), |v| {
            out.push((v.id, v.events.len(), v.ticket.map(|t| t.email)))
        });
        out
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}
