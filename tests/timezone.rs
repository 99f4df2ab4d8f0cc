//! The installation's time zone (`serve --timezone`): times shown to managers and customers are
//! local, with the zone's abbreviation; the queue's and insights' days are local days, 23 or 25
//! hours long when the clocks change; the insight counters follow the zone when it changes; an
//! unknown zone is refused at start.

mod common;

use std::process::Command;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use helpdesk::domain::path::{Event, EventKind, Path};
use helpdesk::domain::synthetic::{SyntheticTicket, SyntheticVisit};
use helpdesk::domain::time::{Timestamp, Zone, parse_date};
use helpdesk::guide::Guide;
use helpdesk::store::{InsightQuery, Insights};
use uuid::Uuid;

const NEW_YORK: &str = "America/New_York";

/// The instant of a local time in New York, e.g. `2026-11-25T22:30`.
fn new_york(local: &str) -> Timestamp {
    let zoned: jiff::Zoned = format!("{local}[{NEW_YORK}]")
        .parse()
        .expect("a local time");
    Timestamp(zoned.timestamp().as_millisecond())
}

/// The instant of an RFC 3339 time, e.g. `2026-11-26T03:30:00Z`.
fn utc(text: &str) -> Timestamp {
    Timestamp(
        text.parse::<jiff::Timestamp>()
            .expect("an instant")
            .as_millisecond(),
    )
}

fn day(date: &str) -> i64 {
    parse_date(date).expect("a date")
}

/// A customer who picks "can't send" at `start`, answers twice to reach "contact IIMS", and
/// sends the form so that the ticket is opened exactly at `opened` (if given).
fn escalation(guide: &Guide, start: Timestamp, opened: Option<Timestamp>) -> SyntheticVisit {
    let p = guide.problem("cant-send").expect("the guide's problem");
    let mut events = Vec::new();
    let mut at = start.millis();
    let mut push = |kind, node: &str, choice: Option<(i64, String)>, outcome: Option<&str>| {
        events.push(Event {
            id: 0,
            seq: events.len() as i64 + 1,
            at: Timestamp(at),
            kind,
            guide_version: guide.version.as_str().into(),
            problem_id: "cant-send".into(),
            node_id: node.into(),
            choice_index: choice.as_ref().map(|c| c.0),
            next_id: choice.map(|c| c.1.into()),
            outcome_kind: outcome.map(Into::into),
        });
        at += 1_000;
    };
    let mut on = p.start.clone();
    push(EventKind::Symptom, &on, None, None);
    let mut ending = None;
    for _ in 0..2 {
        let next = guide.node(p, &on).expect("a step").choices()[1]
            .next
            .clone();
        push(EventKind::Choice, &on, Some((1, next.clone())), None);
        match guide.node(p, &next).expect("a node").outcome() {
            Some(o) => {
                push(EventKind::Outcome, &next, None, Some(o.kind.as_str()));
                ending = Some((next.clone(), o));
            }
            None => push(EventKind::Shown, &next, None, None),
        }
        on = next;
    }
    let (ending_id, outcome) = ending.expect("two answers reach contact IIMS");
    let ticket = opened.map(|opened| {
        assert!(opened.millis() > at, "the ticket comes after the path");
        SyntheticTicket {
            name: "Ann Example".into(),
            email: "ann@example.com".into(),
            account: None,
            email_program: "Mozilla Thunderbird".into(),
            description: "Nothing goes out.".into(),
            outcome_kind: outcome.kind,
            reason: outcome.reason.clone().unwrap_or_default(),
            ending_id,
            problem_id: "cant-send".into(),
            created_at: opened,
            changes: Vec::new(),
            path: Path::replay(&events),
        }
    });
    SyntheticVisit {
        id: Uuid::new_v4(),
        events,
        ticket,
    }
}

/// The insights for local days `from..=to`, checked against the raw events first.
async fn insights(app: &TestApp, from: &str, to: &str) -> Insights {
    let q = InsightQuery {
        from_day: day(from),
        to_day: day(to),
        problem: None,
        now: utc("2027-01-01T00:00:00Z"),
    };
    let got = app.store().insights(&q).await.unwrap();
    assert_eq!(
        got,
        app.store().insights_from_events(&q).await.unwrap(),
        "the counters agree with the raw events for {from}..{to}"
    );
    got
}

/// The hours of the day with attempts: (hour, attempts).
fn busy_hours(i: &Insights) -> Vec<(usize, i64)> {
    i.hours
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(h, n)| (h, *n))
        .collect()
}

/// The rows of every counter table, for comparing two ways of filling them.
async fn counters(app: &TestApp) -> Vec<String> {
    use sqlx::Row;
    let mut conn = app.reader().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT id || ' ' || day || ' ' || started_at || ' ' || COALESCE(outcome_kind, '-') || ' ' || ticket_opened FROM insight_attempts ORDER BY id",
        "SELECT day || ' ' || problem_id || ' ' || measure || ' ' || step_id || ' ' || outcome_kind || ' ' || attempts FROM insight_daily ORDER BY 1",
        "SELECT hour || ' ' || problem_id || ' ' || started FROM insight_hourly ORDER BY 1",
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

#[tokio::test]
async fn a_ticket_opened_at_0330_utc_belongs_to_the_evening_before_in_new_york() {
    let app = TestApp::in_zone(NEW_YORK).await;
    let opened = utc("2026-11-26T03:30:00Z");
    assert_eq!(opened, new_york("2026-11-25T22:30"));
    let visit = escalation(app.guide(), utc("2026-11-26T03:25:00Z"), Some(opened));
    app.store()
        .insert_synthetic(vec![visit], Vec::new())
        .await
        .unwrap();
    let mut m = app
        .signed_in("ann@iims.example", "Ann", Role::Manager)
        .await;

    // The queue: the local day's filter finds it, the UTC day's does not.
    let page = m
        .open_queue("status=all&from=2026-11-25&to=2026-11-25")
        .await;
    ok(&page);
    assert_eq!(m.references(), ["IIMS-000001"], "{}", page.body);
    assert!(page.shows("2026-11-25 22:30 EST"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"<time datetime="2026-11-26T03:30:00Z">"#)
    );
    assert!(page.shows("America/New_York"), "the page says which zone");
    m.open_queue("status=all&from=2026-11-26&to=2026-11-26")
        .await;
    assert!(m.references().is_empty(), "not on the UTC day");
    m.open_queue("status=all&from=2026-11-26").await;
    assert!(m.references().is_empty());
    m.open_queue("status=all&to=2026-11-25").await;
    assert_eq!(m.references(), ["IIMS-000001"]);
    // A date the calendar does not have is a 400 page saying so, not a 500.
    let bad = m.open_queue("status=all&from=2026-02-30").await;
    assert_eq!(bad.status, 400);
    assert!(bad.shows("real date"), "{}", bad.body);

    // The ticket page: opened, last update, the path's times and the audit trail.
    let page = m.open_ticket(1).await;
    ok(&page);
    assert!(
        page.shows("<dt>Opened</dt><dd>2026-11-25 22:30 EST</dd>"),
        "{}",
        page.body
    );
    assert!(page.shows("2026-11-25 22:25 EST"), "the path's first step");
    assert!(
        !page.shows(" UTC<"),
        "no UTC time for people: {}",
        page.body
    );
    let noted = m.add_note(1, "Called back.").await;
    assert!(noted.status < 400, "{}", noted.body);
    let page = m.open_ticket(1).await;
    assert!(page.shows(" EST</time>"), "the note's time is local");

    // The customer's status page.
    let token: String = sqlx::query_scalar("SELECT status_token FROM tickets WHERE number = 1")
        .fetch_one(&mut app.reader().await)
        .await
        .unwrap();
    let mut customer = app.customer();
    let status = customer.get(&format!("/tickets/{token}")).await;
    ok(&status);
    assert!(status.shows("2026-11-25 22:30 EST"), "{}", status.body);
    assert!(status.body.contains(r#"datetime="2026-11-26T03:"#));

    // Insights: the attempt and the ticket on the 25th, at 22:00, a Wednesday.
    let i = insights(&app, "2026-11-25", "2026-11-25").await;
    assert_eq!(i.total().started, 1);
    assert_eq!(i.tickets.opened, 1);
    assert_eq!(
        i.tickets.by_day.keys().copied().collect::<Vec<_>>(),
        [day("2026-11-25")]
    );
    assert_eq!(
        i.days.keys().copied().collect::<Vec<_>>(),
        [day("2026-11-25")]
    );
    assert_eq!(busy_hours(&i), [(22, 1)]);
    assert_eq!(i.weekdays[2], 1, "a Wednesday");
    let next = insights(&app, "2026-11-26", "2026-11-26").await;
    assert_eq!((next.total().started, next.tickets.opened), (0, 0));

    // The page says it, and its hour table puts the attempt at 22:00.
    let page = m
        .get("/console/insights?from=2026-11-25&to=2026-11-25")
        .await;
    ok(&page);
    assert!(page.shows("(America/New_York days)"), "{}", page.body);
    assert!(
        page.shows("<th scope=\"row\">22:00–22:59</th><td>1</td>"),
        "{}",
        page.body
    );

    // The exports: the local day's rows, with UTC instants.
    let csv = m
        .get("/console/insights/tickets.csv?from=2026-11-25&to=2026-11-25")
        .await;
    ok(&csv);
    assert!(
        csv.body.contains("IIMS-000001,2026-11-26T03:30:00.000Z,"),
        "{}",
        csv.body
    );
    let csv = m
        .get("/console/insights/tickets.csv?from=2026-11-26&to=2026-11-26")
        .await;
    assert!(!csv.body.contains("IIMS-000001"));
}

#[tokio::test]
async fn days_when_the_clocks_change_are_one_local_day_of_23_or_25_hours() {
    let app = TestApp::in_zone(NEW_YORK).await;
    let guide = app.guide();
    let mut visits = Vec::new();
    for date in ["2026-03-08", "2026-11-01"] {
        let next = parse_date(date).unwrap() + 1;
        let next = helpdesk::domain::time::date(next);
        for local in [
            format!("{date}T00:30"),
            format!("{date}T23:30"),
            format!("{next}T00:30"),
        ] {
            let start = new_york(&local);
            visits.push(escalation(
                guide,
                start,
                Some(Timestamp(start.millis() + 60_000)),
            ));
        }
    }
    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();

    // 2026-03-08: 23 hours, 05:00Z to 04:00Z.
    let spring = insights(&app, "2026-03-08", "2026-03-08").await;
    assert_eq!(spring.total().started, 2);
    assert_eq!(spring.tickets.opened, 2);
    assert_eq!(busy_hours(&spring), [(0, 1), (23, 1)]);
    assert_eq!(spring.weekdays[6], 2, "a Sunday");
    let after = insights(&app, "2026-03-09", "2026-03-09").await;
    assert_eq!(busy_hours(&after), [(0, 1)]);
    assert_eq!(after.tickets.opened, 1);

    // 2026-11-01: 25 hours, 04:00Z to 05:00Z the next day.
    let autumn = insights(&app, "2026-11-01", "2026-11-01").await;
    assert_eq!(autumn.total().started, 2);
    assert_eq!(autumn.tickets.opened, 2);
    assert_eq!(busy_hours(&autumn), [(0, 1), (23, 1)]);
    assert_eq!(
        autumn.days.keys().copied().collect::<Vec<_>>(),
        [day("2026-11-01")]
    );
    let after = insights(&app, "2026-11-02", "2026-11-02").await;
    assert_eq!(busy_hours(&after), [(0, 1)]);

    // The queue's date filter takes the same days: tickets at 00:31 and 23:31, not the next
    // day's at 00:31.
    let mut m = app
        .signed_in("ann@iims.example", "Ann", Role::Manager)
        .await;
    m.open_queue("status=all&from=2026-11-01&to=2026-11-01&sort=oldest")
        .await;
    assert_eq!(m.references(), ["IIMS-000004", "IIMS-000005"]);
    assert!(m.page.shows("2026-11-01 00:31 EDT"), "{}", m.page.body);
    assert!(m.page.shows("2026-11-01 23:31 EST"));
    m.open_queue("status=all&from=2026-03-08&to=2026-03-08&sort=oldest")
        .await;
    assert_eq!(m.references(), ["IIMS-000001", "IIMS-000002"]);
    assert!(m.page.shows("2026-03-08 00:31 EST"));
    assert!(m.page.shows("2026-03-08 23:31 EDT"));

    // The counters kept on write (the triggers' offsets for tickets, jiff for events) are the
    // ones a rebuild computes.
    let before = counters(&app).await;
    app.store().rebuild_insights().await.unwrap();
    assert_eq!(before, counters(&app).await);
}

#[tokio::test]
async fn changing_the_zone_between_two_starts_moves_the_figures_to_its_days() {
    let app = TestApp::new().await;
    let guide = app.guide();
    app.store()
        .insert_synthetic(
            vec![escalation(
                guide,
                utc("2026-11-26T03:25:00Z"),
                Some(utc("2026-11-26T03:30:00Z")),
            )],
            Vec::new(),
        )
        .await
        .unwrap();
    let utc_figures = insights(&app, "2026-11-26", "2026-11-26").await;
    assert_eq!(
        (utc_figures.total().started, utc_figures.tickets.opened),
        (1, 1)
    );
    assert_eq!(busy_hours(&utc_figures), [(3, 1)]);

    // Started again in New York: rebuilt before serving.
    let app = app.restart_in_zone(NEW_YORK).await;
    assert_eq!(app.store().insight_zone().name(), NEW_YORK);
    let zone: String = sqlx::query_scalar("SELECT name FROM insight_zone")
        .fetch_one(&mut app.reader().await)
        .await
        .unwrap();
    assert_eq!(zone, NEW_YORK, "the database records the zone");
    let moved = insights(&app, "2026-11-25", "2026-11-25").await;
    assert_eq!((moved.total().started, moved.tickets.opened), (1, 1));
    assert_eq!(busy_hours(&moved), [(22, 1)]);
    assert_eq!(
        moved.tickets.by_day.keys().copied().collect::<Vec<_>>(),
        [day("2026-11-25")]
    );
    let left = insights(&app, "2026-11-26", "2026-11-26").await;
    assert_eq!((left.total().started, left.tickets.opened), (0, 0));

    // What is recorded from now on counts in New York too, and agrees with a rebuild.
    app.store()
        .insert_synthetic(
            vec![escalation(
                app.guide(),
                new_york("2026-11-26T23:50"),
                Some(new_york("2026-11-27T00:10")),
            )],
            Vec::new(),
        )
        .await
        .unwrap();
    let i = insights(&app, "2026-11-26", "2026-11-27").await;
    assert_eq!(
        i.days.keys().copied().collect::<Vec<_>>(),
        [day("2026-11-26")]
    );
    assert_eq!(
        i.tickets.by_day.keys().copied().collect::<Vec<_>>(),
        [day("2026-11-27")]
    );
    let kept = counters(&app).await;
    app.store().rebuild_insights().await.unwrap();
    assert_eq!(kept, counters(&app).await);

    // The same zone again: nothing to rebuild.
    let ny = Zone::parse(NEW_YORK).unwrap();
    assert!(!app.store().use_zone(&ny).await.unwrap());

    // And back to UTC.
    let app = app.restart_in_zone("UTC").await;
    let back = insights(&app, "2026-11-26", "2026-11-26").await;
    assert_eq!(busy_hours(&back), [(3, 1)]);
    assert_eq!(back.tickets.opened, 1);
    let next = insights(&app, "2026-11-27", "2026-11-27").await;
    assert_eq!((next.total().started, next.tickets.opened), (1, 1));
    assert_eq!(busy_hours(&next), [(4, 1)], "23:50 EST is 04:50Z");
}

#[test]
fn an_unknown_zone_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("helpdesk.db");
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args([
            "serve",
            "--timezone",
            "Mars/Olympus",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .env_remove("HELPDESK_TIMEZONE")
        .env("RUST_LOG", "off")
        .output()
        .expect("run helpdesk");
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Mars/Olympus"), "{stderr}");
    assert!(stderr.contains("--timezone"), "{stderr}");
    assert!(stderr.contains("HELPDESK_TIMEZONE"), "{stderr}");
    assert!(stderr.contains("IANA"), "{stderr}");
    assert!(!db.exists(), "refused before the database was touched");

    // The variable alone is checked the same way.
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .env("HELPDESK_TIMEZONE", "Europe/Atlantis")
        .env("RUST_LOG", "off")
        .output()
        .expect("run helpdesk");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Europe/Atlantis"));
}
