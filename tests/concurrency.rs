//! Many customers at once: the writer records their clicks in shared transactions, a few
//! statements per batch, and keeps their visits in memory. What it holds in memory, what it
//! wrote to the database and what the insight counters say must all agree with each other.

mod common;

use std::collections::BTreeMap;

use common::{ANN, Customer, TestApp};
use helpdesk::domain::path::Event;
use helpdesk::domain::time::Timestamp;
use helpdesk::guide::Guide;
use helpdesk::store::InsightQuery;
use sqlx::Row;
use uuid::Uuid;

const PROBLEMS: [&str; 6] = [
    "cant-send",
    "cant-receive",
    "cant-send-or-receive",
    "password-prompts",
    "download-stuck",
    "same-emails-again",
];

/// Walks customer `n`: a problem, then answers picked by `n`, with a double click, a step back
/// or a restart on some turns; stops at an ending or after `n % 5` clicks (so some stay on a step).
async fn walk(mut c: Customer, n: usize) -> Customer {
    let problem = PROBLEMS[n % PROBLEMS.len()];
    c.pick(problem).await;
    // The sidebar's "start over": every customer acts at least once, so each has a visit.
    c.start_over(problem).await;
    for turn in 0..n % 5 {
        let step = c.at();
        if step.is_empty() {
            break; // an ending
        }
        let count = c.page.choices().len();
        let index = (n + turn) % count;
        match (n + turn) % 7 {
            // The same answer twice at once: one choice is recorded.
            0 => {
                let mut twin = c.clone();
                let choice = index.to_string();
                let path = format!("{step}/choose");
                let fields = [("choice", choice.as_str())];
                let (a, b) = tokio::join!(c.submit(&path, &fields), twin.submit(&path, &fields));
                assert_eq!((a.status, b.status), (200, 200));
            }
            3 if turn > 0 => {
                c.submit(
                    &format!("/problems/{problem}/back"),
                    &[("from", step.rsplit('/').next().unwrap())],
                )
                .await;
            }
            5 if turn > 2 => {
                c.start_over(problem).await;
            }
            _ => {
                c.choose_index(index).await;
            }
        }
    }
    c
}

/// Every event of the database, by visit, oldest first.
async fn events_in_database(app: &TestApp) -> BTreeMap<Uuid, Vec<(i64, i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT id, visit_id, seq, kind, node_id FROM visit_events ORDER BY visit_id, seq",
    )
    .fetch_all(&mut app.reader().await)
    .await
    .unwrap();
    let mut by_visit: BTreeMap<Uuid, Vec<_>> = BTreeMap::new();
    for r in rows {
        let visit: String = r.get("visit_id");
        by_visit.entry(visit.parse().unwrap()).or_default().push((
            r.get("id"),
            r.get("seq"),
            r.get("kind"),
            r.get("node_id"),
        ));
    }
    by_visit
}

fn summary(events: &[Event]) -> Vec<(i64, i64, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e.id,
                e.seq,
                e.kind.as_str().to_string(),
                e.node_id.to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_at_once_are_recorded_exactly_in_memory_in_the_database_and_in_the_counters() {
    let app = TestApp::new().await;
    let walks: Vec<_> = (0..48)
        .map(|n| tokio::spawn(walk(app.customer(), n)))
        .collect();
    let mut customers = Vec::new();
    for w in walks {
        customers.push(w.await.expect("a customer's walk"));
    }

    let stored = events_in_database(&app).await;
    assert_eq!(stored.len(), customers.len(), "one visit per customer");
    let mut held = BTreeMap::new();
    for c in &customers {
        let visit = c.visit_id();
        let events = app.store().events(visit).await.unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=events.len() as i64).collect::<Vec<_>>(),
            "no gap, no repeat"
        );
        assert_eq!(
            summary(&events),
            stored[&visit],
            "the visit in memory is the visit in the database"
        );
        held.insert(visit, summary(&events));
    }

    // The counters, written a batch at a time, say what the raw events say.
    let now = Timestamp::now();
    let today = helpdesk::domain::time::Zone::utc().local_day(now);
    let q = InsightQuery {
        from_day: today - 1,
        to_day: today,
        problem: None,
        now,
    };
    let counted = app.store().insights(&q).await.unwrap();
    assert_eq!(counted, app.store().insights_from_events(&q).await.unwrap());
    assert_eq!(counted.total().started as usize, {
        let symptoms: usize = stored
            .values()
            .map(|events| events.iter().filter(|e| e.2 == "symptom").count())
            .sum();
        symptoms
    });

    // After a restart (nothing in memory) the same paths are read back from the database.
    let app = app.restart_with_guide(Guide::embedded()).await;
    for (visit, events) in &held {
        let read = app.store().events(*visit).await.unwrap();
        assert_eq!(&summary(&read), events);
    }
    // And everyone clicks again at once (a choice on a step, or starting the problem over at an
    // ending): the writer reads their visits and attempts back together, and memory, database
    // and counters still agree.
    let clicks: Vec<_> = customers
        .into_iter()
        .enumerate()
        .map(|(n, old)| {
            let mut c = app.customer();
            (c.cookie, c.csrf, c.page) = (old.cookie, old.csrf, old.page);
            tokio::spawn(async move {
                let added = if c.at().is_empty() {
                    c.start_over(PROBLEMS[n % PROBLEMS.len()]).await;
                    1
                } else {
                    c.choose_index(0).await;
                    2
                };
                (c.visit_id(), added)
            })
        })
        .collect();
    let mut clicked = Vec::new();
    for click in clicks {
        clicked.push(click.await.expect("a click"));
    }
    assert!(clicked.iter().any(|c| c.1 == 1) && clicked.iter().any(|c| c.1 == 2));
    let stored = events_in_database(&app).await;
    for (visit, added) in clicked {
        let events = app.store().events(visit).await.unwrap();
        assert_eq!(events.len(), held[&visit].len() + added);
        assert_eq!(summary(&events), stored[&visit]);
    }
    assert_eq!(
        app.store().insights(&q).await.unwrap(),
        app.store().insights_from_events(&q).await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalations_at_once_open_one_ticket_each_with_its_whole_path() {
    let app = TestApp::new().await;
    // Half of them reach the IIMS support ending, half the Account Manager one; everyone
    // sends the form twice at the same moment. (Ten: all of them come from one client address,
    // and twenty tickets in ten minutes is one client's limit.)
    let mut ready = Vec::new();
    for n in 0..10 {
        let mut c = app.customer();
        if n % 2 == 0 {
            c.pick("cant-send").await;
            c.choose("My outgoing settings are correct and I still can't send")
                .await;
            c.choose("I still can't send").await;
        } else {
            c.pick("password-prompts").await;
            c.choose("I'm still asked for my username or password")
                .await;
        }
        ready.push(c);
    }
    let sends: Vec<_> = ready
        .into_iter()
        .map(|c| {
            tokio::spawn(async move {
                let mut twin = c.clone();
                let mut c = c;
                let (a, b) = tokio::join!(c.escalate(ANN), twin.escalate(ANN));
                assert_eq!((a.status, b.status), (200, 200), "{}", a.body);
                assert_eq!(a.body, b.body, "both submits land on the same ticket");
                c.visit_id()
            })
        })
        .collect();
    for s in sends {
        s.await.expect("an escalation");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 10);
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT number) FROM tickets WHERE number BETWEEN 1 AND 10")
            .await,
        10,
        "numbers 1 to 10, none twice"
    );
    // Paths: the ending and each step before it, as walked (3 for can't send, 2 for the
    // password prompts).
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM (SELECT t.id FROM tickets t JOIN ticket_path p ON p.ticket_id = t.id
             GROUP BY t.id HAVING COUNT(*) = CASE MIN(t.problem_id) WHEN 'cant-send' THEN 3 ELSE 2 END) whole"
        )
        .await,
        10
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_audit WHERE action = 'opened'")
            .await,
        10
    );
}

#[tokio::test]
async fn a_visit_with_a_very_long_history_is_read_from_the_database_and_still_exact() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    // Forward and back, over and over: four events a round (the answer, the step it leads to,
    // the step back, the step returned to), past what the store holds in memory.
    let forward = "My outgoing settings are correct and I still can't send";
    for _ in 0..110 {
        c.choose(forward).await;
        let page = c
            .submit("/problems/cant-send/back", &[("from", "use-isp-smtp")])
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
    }
    let visit = c.visit_id();
    let stored = events_in_database(&app).await;
    let events = app.store().events(visit).await.unwrap();
    assert!(events.len() > 400, "{} events", events.len());
    assert_eq!(summary(&events), stored[&visit]);
    // The next click is recorded once, after the last one.
    c.choose(forward).await;
    let after = app.store().events(visit).await.unwrap();
    assert_eq!(after.len(), events.len() + 2);
    assert_eq!(summary(&after), events_in_database(&app).await[&visit]);
}

#[tokio::test]
async fn a_visit_read_from_the_database_is_held_in_memory_for_the_next_page() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    let step = c.at();
    let app = app.restart_with_guide(Guide::embedded()).await;
    let mut again = app.customer();
    (again.cookie, again.csrf) = (c.cookie.clone(), c.csrf.clone());
    // The first view after the restart reads the visit from the database and asks the writer
    // to hold it; once it does, the page no longer needs the database at all.
    assert_eq!(again.get(&step).await.status, 200);
    app.store().close().await;
    let mut served = false;
    for _ in 0..100 {
        if again.get(&step).await.status == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served, "the visit is served from memory");
    // A visit nobody viewed since the restart still needs the database.
    let mut other = app.customer();
    other.cookie = Some(format!("helpdesk_visit={}", Uuid::new_v4()));
    assert_eq!(other.get(&step).await.status, 503);
}
