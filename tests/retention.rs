//! Retention: the visits that led to no ticket are deleted with their paths once their last
//! event is older than the installation keeps them; exactly those, and the insight figures stay
//! as they were, in the zone they are kept in and after a rebuild in another one.

mod common;
mod real_server;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::{TestApp, ok};
use helpdesk::domain::synthetic::SyntheticVisit;
use helpdesk::domain::time::{Timestamp, Zone};
use helpdesk::retention::cutoff;
use helpdesk::seed::{SeedPlan, generate};
use helpdesk::store::{InsightQuery, Insights};
use real_server::{Server, eventually, free_port};
use sqlx::Row;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// The rows of every insight counter, and every attempt without the visit it belonged to (which
/// retention takes away): everything the insights are read from.
async fn figures(app: &TestApp) -> Vec<String> {
    let mut conn = app.reader().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT id || ' ' || seq || ' ' || problem_id || ' ' || day || ' ' || started_at || ' ' || last_at || ' ' || step_id || ' ' || COALESCE(via_step, '-') || ' ' || steps || ' ' || COALESCE(outcome_kind, '-') || ' ' || COALESCE(outcome_step, '-') || ' ' || COALESCE(CAST(ended_at AS TEXT), '-') || ' ' || ticket_opened FROM insight_attempts ORDER BY id",
        "SELECT day || ' ' || problem_id || ' ' || measure || ' ' || step_id || ' ' || outcome_kind || ' ' || attempts FROM insight_daily WHERE attempts <> 0 ORDER BY 1",
        "SELECT hour || ' ' || problem_id || ' ' || started FROM insight_hourly WHERE started <> 0 ORDER BY 1",
        "SELECT ticket_id || ' ' || problem_id || ' ' || created_at || ' ' || resolved_at || ' ' || hours FROM insight_resolutions ORDER BY 1",
        "SELECT day || ' ' || problem_id || ' ' || hours || ' ' || tickets FROM insight_resolution_hours ORDER BY 1",
        "SELECT day || ' ' || problem_id || ' ' || outcome_kind || ' ' || tickets FROM insight_tickets ORDER BY 1",
        "SELECT day || ' ' || problem_id || ' ' || outcome_kind || ' ' || attempts FROM insight_contacts_sent ORDER BY 1",
    ] {
        for row in sqlx::query(sql).fetch_all(&mut conn).await.unwrap() {
            out.push(row.get::<String, _>(0));
        }
    }
    out
}

/// Fails with the rows in one and not the other, not both lists whole.
fn same(got: &[String], expected: &[String], what: &str) {
    if got != expected {
        let missing: Vec<_> = expected
            .iter()
            .filter(|r| !got.contains(r))
            .take(5)
            .collect();
        let extra: Vec<_> = got
            .iter()
            .filter(|r| !expected.contains(r))
            .take(5)
            .collect();
        panic!(
            "{what}: {} rows, expected {}; missing {missing:?}; not expected {extra:?}",
            got.len(),
            expected.len()
        );
    }
}

/// What the insights page shows for the whole period, for each problem and for all of them.
async fn shown(app: &TestApp, now: Timestamp) -> Vec<Insights> {
    let zone = app.state.zone.clone();
    let mut problems: Vec<Option<String>> = vec![None];
    problems.extend(app.guide().problems.iter().map(|p| Some(p.id.clone())));
    let mut all = Vec::new();
    for problem in problems {
        let q = InsightQuery {
            from_day: zone.local_day(Timestamp(now.millis() - 400 * DAY)),
            to_day: zone.local_day(now),
            problem,
            now,
        };
        all.push(app.store().insights(&q).await.unwrap());
    }
    all
}

/// Every event of every visit that has a ticket, and every ticket: what the console shows.
async fn ticket_paths(app: &TestApp) -> Vec<String> {
    let mut conn = app.reader().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT e.id || ' ' || e.visit_id || ' ' || e.seq || ' ' || e.at || ' ' || e.kind || ' ' || e.node_id
         FROM visit_events e WHERE e.visit_id IN (SELECT visit_id FROM tickets) ORDER BY e.id",
        "SELECT number || ' ' || visit_id || ' ' || outcome_event_id || ' ' || status FROM tickets ORDER BY number",
        "SELECT ticket_id || ' ' || COUNT(*) FROM ticket_path GROUP BY ticket_id ORDER BY 1",
    ] {
        for row in sqlx::query(sql).fetch_all(&mut conn).await.unwrap() {
            out.push(row.get::<String, _>(0));
        }
    }
    out
}

async fn visit_ids(app: &TestApp) -> BTreeSet<String> {
    sqlx::query_scalar("SELECT id FROM visits")
        .fetch_all(&mut app.reader().await)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Seeded traffic over 200 days up to `now`, with two visits moved to the edge of `cut`: one
/// that started before it and came back after (kept), one whose last event is exactly at it
/// (kept: only events before the cutoff are old).
fn traffic(app: &TestApp, now: Timestamp, cut: Timestamp) -> Vec<SyntheticVisit> {
    let plan = SeedPlan {
        tickets: 40,
        events: 5_000,
        days: 200,
        seed: 19,
        now,
        zone: Zone::utc(),
        send: true,
    };
    let mut visits = Vec::new();
    generate(app.guide(), &plan, |v| visits.push(v));
    let mut edges = visits
        .iter_mut()
        .filter(|v| v.ticket.is_none() && v.events.len() >= 3);
    let came_back = edges.next().expect("a ticketless visit");
    for (i, e) in came_back.events.iter_mut().enumerate() {
        e.at = Timestamp(cut.millis() - 2 * DAY + i as i64 * 60_000);
    }
    came_back.events.last_mut().unwrap().at = Timestamp(cut.millis() + HOUR);
    let at_edge = edges.next().expect("another ticketless visit");
    let n = at_edge.events.len() as i64;
    for (i, e) in at_edge.events.iter_mut().enumerate() {
        e.at = Timestamp(cut.millis() - (n - 1 - i as i64) * 60_000);
    }
    visits
}

#[tokio::test]
async fn retention_deletes_exactly_the_old_ticketless_visits_and_leaves_insights_figures_unchanged()
{
    let app = TestApp::new().await;
    let now = Timestamp::now();
    let cut = cutoff(now, 90);
    let visits = traffic(&app, now, cut);
    // Exactly these go: no ticket, and the last event before the cutoff.
    let expected: BTreeSet<String> = visits
        .iter()
        .filter(|v| v.ticket.is_none() && v.events.last().is_some_and(|e| e.at < cut))
        .map(|v| v.id.to_string())
        .collect();
    let old_with_tickets = visits
        .iter()
        .filter(|v| v.ticket.is_some() && v.events.last().is_some_and(|e| e.at < cut))
        .count();
    assert!(
        expected.len() > 100 && old_with_tickets > 5,
        "old visits with and without tickets: {} and {old_with_tickets}",
        expected.len()
    );
    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();
    // Customers today: one leaves without a ticket, one sends one in.
    let mut today = app.customer();
    ok(&today.pick("cant-send").await);
    ok(&today.choose_index(0).await);
    app.support_escalation(&[]).await;

    let all = visit_ids(&app).await;
    let listed = expected
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let attempts_of_expected = app
        .count(&format!(
            "SELECT COUNT(*) FROM insight_attempts WHERE visit_id IN ({listed})"
        ))
        .await;
    let events_kept = app
        .count(&format!(
            "SELECT COUNT(*) FROM visit_events WHERE visit_id NOT IN ({listed})"
        ))
        .await;
    let highest_deleted = app
        .count(&format!(
            "SELECT MAX(id) FROM visit_events WHERE visit_id IN ({listed})"
        ))
        .await;
    let utc = figures(&app).await;
    let utc_shown = shown(&app, now).await;
    let paths = ticket_paths(&app).await;
    assert!(utc_shown[0].total().abandoned > 0 && utc_shown[0].tickets.opened > 0);
    // The same database's figures in another zone, for after the deletion.
    let app = app.restart_in_zone("America/New_York").await;
    let new_york = figures(&app).await;
    let new_york_shown = shown(&app, now).await;
    assert!(
        new_york != utc,
        "another zone keys the counters by other days"
    );
    let app = app.restart_in_zone("UTC").await;
    same(&figures(&app).await, &utc, "back in UTC");

    let deleted = app.store().delete_visits_before(cut).await.unwrap();
    assert_eq!(deleted as usize, expected.len());
    let left = visit_ids(&app).await;
    let gone: BTreeSet<String> = all.difference(&left).cloned().collect();
    assert_eq!(gone, expected, "exactly the old visits without a ticket");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visit_events").await,
        events_kept,
        "their events went with them, and no other"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM visit_events WHERE visit_id NOT IN (SELECT id FROM visits)"
        )
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM insight_attempts WHERE visit_id IS NULL")
            .await,
        attempts_of_expected,
        "their attempts are kept, without the visit"
    );
    same(
        &ticket_paths(&app).await,
        &paths,
        "every ticket keeps its path",
    );
    same(&figures(&app).await, &utc, "after the deletion");
    assert_eq!(shown(&app, now).await, utc_shown);

    // A rebuild in another zone counts the deleted visits from their attempts, as before.
    let app = app.restart_in_zone("America/New_York").await;
    same(&figures(&app).await, &new_york, "rebuilt in New York");
    assert_eq!(shown(&app, now).await, new_york_shown);
    let app = app.restart_in_zone("UTC").await;
    same(&figures(&app).await, &utc, "rebuilt in UTC");
    app.store().rebuild_insights().await.unwrap();
    same(&figures(&app).await, &utc, "rebuilt again");
    assert_eq!(shown(&app, now).await, utc_shown);

    // Nothing more is due; a later click gets an event id never given before.
    assert_eq!(app.store().delete_visits_before(cut).await.unwrap(), 0);
    let mut later = app.customer();
    ok(&later.pick("cant-receive").await);
    ok(&later.choose_index(0).await);
    assert!(
        app.count("SELECT MIN(id) FROM visit_events WHERE visit_id = (SELECT id FROM visits ORDER BY started_at DESC LIMIT 1)")
            .await
            > highest_deleted
    );
}

#[tokio::test]
async fn a_deleted_visit_never_lends_its_ids_and_its_customer_can_start_again() {
    let app = TestApp::new().await;
    let mut ann = app.customer();
    ok(&ann.pick("cant-send").await);
    ok(&ann.choose_index(0).await);
    let highest = app.count("SELECT MAX(id) FROM visit_events").await;
    // Everything before a minute from now is old: Ann's visit, the newest, goes.
    let deleted = app
        .store()
        .delete_visits_before(Timestamp(Timestamp::now().millis() + 60_000))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM insight_attempts WHERE visit_id IS NULL")
            .await,
        1
    );
    let figures_before = figures(&app).await;

    // Ann comes back with her old cookie: the site works, she starts a new visit.
    ok(&ann.get("/").await);
    ok(&ann.pick("cant-send").await);
    ok(&ann.choose_index(0).await);
    let first_new = app.count("SELECT MIN(id) FROM visit_events").await;
    assert!(
        first_new > highest,
        "event {first_new} reuses an id up to {highest}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM insight_attempts").await,
        2,
        "the deleted visit's attempt and the new one, apart"
    );
    assert_eq!(
        app.count("SELECT SUM(attempts) FROM insight_daily WHERE measure = 'started'")
            .await,
        2
    );
    // The kept attempt is exactly as it was.
    let kept: Vec<String> = figures(&app).await;
    assert_eq!(kept[0], figures_before[0]);
}

/// `helpdesk seed --database-url URL --days DAYS` on a new database.
fn seed(db: &str, days: &str) {
    let out = Command::new(real_server::binary())
        .args([
            "seed",
            "--tickets",
            "20",
            "--events",
            "2000",
            "--days",
            days,
            "--database-url",
            db,
        ])
        .output()
        .expect("seed runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn count(db: &str, sql: &str) -> i64 {
    common::count_on(&mut common::connect_any(db).await, sql).await
}

/// The visits without a ticket whose last event is more than ten days old.
fn old_without_ticket() -> String {
    format!(
        "SELECT COUNT(*) FROM visits v
          WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.visit_id = v.id)
            AND (SELECT MAX(at) FROM visit_events e WHERE e.visit_id = v.id) < {}",
        Timestamp::now().millis() - 10 * DAY
    )
}

#[tokio::test]
async fn the_server_deletes_old_visits_at_start_as_keep_visits_days_says() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_database(&dir).await;
    seed(&db, "60");
    let old = count(&db, &old_without_ticket()).await;
    let visits = count(&db, "SELECT COUNT(*) FROM visits").await;
    assert!(old > 50, "{old} old visits without a ticket");

    // 0 keeps every visit.
    let server = Server::start_on(&db, free_port(), &["--keep-visits-days", "0"]);
    ok_health(&server);
    std::thread::sleep(Duration::from_secs(2));
    server.stop();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM visits").await, visits);

    // Ten days: the old ones go at start, and the log says how many.
    let server = Server::start_on(&db, free_port(), &["--keep-visits-days", "10"]);
    let deleted = format!("deleted={old}");
    assert!(
        eventually(Duration::from_secs(30), || server.logged(&deleted)),
        "{:?}",
        server.lines()
    );
    server.stop();
    assert_eq!(count(&db, &old_without_ticket()).await, 0);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM visits").await,
        visits - old
    );
}

fn ok_health(server: &Server) {
    let response = server.client().get("/healthz").expect("healthz answers");
    assert_eq!(response.status, 200);
}
