//! Guide insights: the figures on databases whose true answers are known (restarts, stray pages,
//! events after an outcome, going back, abandonment at exactly 30 minutes, the edges of the date
//! range), the counters against the raw events and against a rebuild from them, the page and
//! its refusals, and the CSV exports read back with a real CSV parser.

mod common;

use std::collections::BTreeMap;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use helpdesk::domain::path::{Event, EventKind, Path};
use helpdesk::domain::synthetic::{SyntheticTicket, SyntheticVisit};
use helpdesk::domain::time::{Timestamp, Zone, date, parse_date};
use helpdesk::guide::Guide;
use helpdesk::seed::{SeedPlan, generate};
use helpdesk::store::{InsightQuery, Insights, StepFigures, Tally};
use uuid::Uuid;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn day(date: &str) -> i64 {
    parse_date(date).expect("a date")
}

/// A customer's visit written event by event at chosen times, following the guide.
struct Walk<'g> {
    guide: &'g Guide,
    events: Vec<Event>,
    at: i64,
    /// The step the customer is on, per the last move.
    on: String,
}

impl<'g> Walk<'g> {
    fn at(guide: &'g Guide, at: i64) -> Walk<'g> {
        Walk {
            guide,
            events: Vec::new(),
            at,
            on: String::new(),
        }
    }

    fn push(
        &mut self,
        kind: EventKind,
        problem: &str,
        node: &str,
        choice: Option<(i64, &str)>,
        outcome: Option<&str>,
    ) {
        self.events.push(Event {
            id: 0,
            seq: self.events.len() as i64 + 1,
            at: Timestamp(self.at),
            kind,
            guide_version: self.guide.version.as_str().into(),
            problem_id: problem.into(),
            node_id: node.into(),
            choice_index: choice.map(|c| c.0),
            next_id: choice.map(|c| c.1.into()),
            outcome_kind: outcome.map(Into::into),
        });
    }

    /// Waits `ms` before the next event.
    fn wait(mut self, ms: i64) -> Self {
        self.at += ms;
        self
    }

    /// Picks a symptom.
    fn pick(mut self, problem: &str) -> Self {
        let start = self
            .guide
            .problem(problem)
            .expect("a problem")
            .start
            .clone();
        self.push(EventKind::Symptom, problem, &start, None, None);
        self.on = start;
        self
    }

    /// Answers the current step with choice `index`, a minute later; the next page follows.
    fn choose(mut self, problem: &str, index: usize) -> Self {
        let p = self.guide.problem(problem).unwrap();
        let node = self.guide.node(p, &self.on).expect("on a step");
        let next = node.choices()[index].next.clone();
        self.at += MINUTE;
        let on = self.on.clone();
        self.push(
            EventKind::Choice,
            problem,
            &on,
            Some((index as i64, &next)),
            None,
        );
        self.at += SECOND;
        match self.guide.node(p, &next).unwrap().outcome() {
            Some(o) => self.push(
                EventKind::Outcome,
                problem,
                &next,
                None,
                Some(o.kind.as_str()),
            ),
            None => self.push(EventKind::Shown, problem, &next, None, None),
        }
        self.on = next;
        self
    }

    /// Answers the current step with choice `index`, but the next page is never shown.
    fn answer_only(mut self, problem: &str, index: usize) -> Self {
        let p = self.guide.problem(problem).unwrap();
        let next = self.guide.node(p, &self.on).unwrap().choices()[index]
            .next
            .clone();
        self.at += MINUTE;
        let on = self.on.clone();
        self.push(
            EventKind::Choice,
            problem,
            &on,
            Some((index as i64, &next)),
            None,
        );
        self.on = next;
        self
    }

    /// Reaches an ending without a choice leading to it (a bookmark, a typed address).
    fn reach(mut self, problem: &str, ending: &str) -> Self {
        let p = self.guide.problem(problem).unwrap();
        let kind = self.guide.node(p, ending).unwrap().outcome().unwrap().kind;
        self.at += MINUTE;
        self.push(
            EventKind::Outcome,
            problem,
            ending,
            None,
            Some(kind.as_str()),
        );
        self.on = ending.into();
        self
    }

    /// Goes back from the current step to `to`.
    fn back_to(mut self, problem: &str, to: &str) -> Self {
        self.at += MINUTE;
        let on = self.on.clone();
        self.push(EventKind::Back, problem, &on, None, None);
        self.at += SECOND;
        self.push(EventKind::Shown, problem, to, None, None);
        self.on = to.into();
        self
    }

    /// Opens a step page directly (a bookmark), without a choice.
    fn open(mut self, problem: &str, node: &str) -> Self {
        self.at += MINUTE;
        self.push(EventKind::Shown, problem, node, None, None);
        self
    }

    fn last_at(&self) -> i64 {
        self.events.last().unwrap().at.millis()
    }

    fn visit(self) -> SyntheticVisit {
        SyntheticVisit {
            id: Uuid::new_v4(),
            events: self.events,
            ticket: None,
        }
    }

    /// The visit, with the ticket its escalation sent `sent_after` the ending, and status changes
    /// `(ms after opening, status)`.
    fn with_ticket(self, sent_after: i64, changes: &[(i64, &'static str)]) -> SyntheticVisit {
        let guide = self.guide;
        let mut v = self.visit();
        let end = v.events.last().unwrap().clone();
        let (p, node) = guide.locate(&end.problem_id, &end.node_id).unwrap();
        let outcome = node.outcome().expect("ends at an outcome");
        let created = end.at.millis() + sent_after;
        v.ticket = Some(SyntheticTicket {
            name: "Ann Example".into(),
            email: "ann@example.com".into(),
            account: Some("example.com".into()),
            email_program: "Mozilla Thunderbird".into(),
            description: String::new(),
            outcome_kind: outcome.kind,
            reason: outcome.reason.clone().unwrap_or_default(),
            ending_id: node.id.clone(),
            problem_id: p.id.clone(),
            created_at: Timestamp(created),
            changes: changes
                .iter()
                .map(|(after, s)| (Timestamp(created + after), *s))
                .collect(),
            path: Path::replay(&v.events),
        });
        v
    }
}

fn tally(started: i64, outcomes: &[(&str, i64)], abandoned: i64, in_progress: i64) -> Tally {
    Tally {
        started,
        outcomes: outcomes.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        abandoned,
        in_progress,
    }
}

fn step(reached: i64, outcomes: &[(&str, i64)], abandoned: i64, in_progress: i64) -> StepFigures {
    StepFigures {
        reached,
        outcomes: outcomes.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        abandoned,
        in_progress,
    }
}

/// The known database: every kind of ending, restarts, a switch of problem, a stray page of
/// another problem, events after an outcome, going back, and attempts on both sides of both
/// edges of 2026-11-09 .. 2026-11-11. Everything is long over by `now`.
fn known_visits(guide: &Guide) -> Vec<SyntheticVisit> {
    let d = day("2026-11-10") * DAY;
    let at = |hour: i64| d + hour * HOUR + 5 * MINUTE;
    vec![
        // cant-send: resolved at step 1.
        Walk::at(guide, at(8))
            .pick("cant-send")
            .choose("cant-send", 0)
            .visit(),
        // cant-send: resolved at step 2.
        Walk::at(guide, at(9))
            .pick("cant-send")
            .choose("cant-send", 1)
            .choose("cant-send", 0)
            .visit(),
        // cant-send: IIMS support from step 2; the ticket is resolved after 3 h, reopened, and
        // resolved again (the first resolution counts).
        Walk::at(guide, at(10))
            .pick("cant-send")
            .choose("cant-send", 1)
            .choose("cant-send", 1)
            .with_ticket(
                2 * MINUTE,
                &[
                    (HOUR, "in-progress"),
                    (3 * HOUR, "resolved"),
                    (4 * HOUR, "in-progress"),
                    (6 * HOUR, "resolved"),
                ],
            ),
        // cant-send-or-receive: referred to the ISP at step 1.
        Walk::at(guide, at(11))
            .pick("cant-send-or-receive")
            .choose("cant-send-or-receive", 0)
            .visit(),
        // password-prompts: Account Manager from step 1; closed after 5 h without "resolved".
        Walk::at(guide, at(12))
            .pick("password-prompts")
            .choose("password-prompts", 1)
            .with_ticket(
                2 * MINUTE,
                &[(30 * MINUTE, "in-progress"), (5 * HOUR, "closed")],
            ),
        // cant-receive: guide ended from step 1; the ticket is never resolved.
        Walk::at(guide, at(13))
            .pick("cant-receive")
            .choose("cant-receive", 1)
            .with_ticket(MINUTE, &[(HOUR, "in-progress")]),
        // cant-send: gave up at step 2.
        Walk::at(guide, at(14))
            .pick("cant-send")
            .choose("cant-send", 1)
            .visit(),
        // download-stuck: gave up at step 1 without answering.
        Walk::at(guide, at(15)).pick("download-stuck").visit(),
        // cant-send, restarted: the first attempt gave up at step 2, the second was resolved
        // at step 1.
        Walk::at(guide, at(16))
            .pick("cant-send")
            .choose("cant-send", 1)
            .wait(MINUTE)
            .pick("cant-send")
            .choose("cant-send", 0)
            .visit(),
        // cant-send, then another problem: the first gave up at step 1, the second resolved.
        Walk::at(guide, at(17))
            .pick("cant-send")
            .wait(MINUTE)
            .pick("same-emails-again")
            .choose("same-emails-again", 0)
            .visit(),
        // cant-send with a stray page of another problem in between: resolved at step 1, and
        // the stray page counts for nothing.
        Walk::at(guide, at(18))
            .pick("cant-send")
            .open("cant-receive", "check-pop3-settings")
            .choose("cant-send", 0)
            .visit(),
        // password-prompts: resolved at step 1; going back and escalating afterwards changes
        // nothing, because the attempt already had its outcome.
        Walk::at(guide, at(19))
            .pick("password-prompts")
            .choose("password-prompts", 0)
            .back_to("password-prompts", "check-username-password")
            .choose("password-prompts", 1)
            .visit(),
        // cant-send: to step 2, back to step 1, resolved at step 1.
        Walk::at(guide, at(20))
            .pick("cant-send")
            .choose("cant-send", 1)
            .back_to("cant-send", "check-smtp-settings")
            .choose("cant-send", 0)
            .visit(),
        // cant-send-or-receive: step 1 answered but step 2 never shown, then the "fixed" ending
        // opened from a bookmark: resolved, credited to no step.
        Walk::at(guide, at(21))
            .pick("cant-send-or-receive")
            .answer_only("cant-send-or-receive", 1)
            .reach("cant-send-or-receive", "fixed")
            .visit(),
        // The range's edges: the first millisecond of 2026-11-09 is in, the last of 2026-11-08
        // out; 23:59:59 on 2026-11-11 is in (its answer comes after midnight: it still counts
        // on the day it started), midnight after it is out.
        Walk::at(guide, day("2026-11-09") * DAY)
            .pick("cant-receive")
            .choose("cant-receive", 0)
            .visit(),
        Walk::at(guide, day("2026-11-09") * DAY - 1)
            .pick("cant-receive")
            .choose("cant-receive", 0)
            .visit(),
        Walk::at(guide, day("2026-11-12") * DAY - SECOND)
            .pick("cant-receive")
            .choose("cant-receive", 0)
            .visit(),
        Walk::at(guide, day("2026-11-12") * DAY)
            .pick("cant-receive")
            .choose("cant-receive", 0)
            .visit(),
    ]
}

fn range(from: &str, to: &str, now: i64) -> InsightQuery {
    InsightQuery {
        from_day: day(from),
        to_day: day(to),
        problem: None,
        now: Timestamp(now),
    }
}

async fn known_app() -> TestApp {
    let app = TestApp::new().await;
    let visits = known_visits(app.guide());
    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn figures_on_a_known_database_are_exact() {
    let app = known_app().await;
    let now = day("2026-11-20") * DAY;
    let q = range("2026-11-09", "2026-11-11", now);
    let got = app.store().insights(&q).await.unwrap();

    let p = |id: &str| got.problems.get(id).cloned().unwrap_or_default();
    assert_eq!(
        p("cant-send").tally,
        tally(9, &[("resolved", 5), ("iims-support", 1)], 3, 0)
    );
    assert_eq!(
        p("cant-send").steps,
        BTreeMap::from([
            (
                "check-smtp-settings".to_string(),
                step(9, &[("resolved", 4)], 1, 0)
            ),
            (
                "use-isp-smtp".to_string(),
                step(5, &[("resolved", 1), ("iims-support", 1)], 2, 0)
            ),
            ("contact-iims".to_string(), step(1, &[], 0, 0)),
            ("fixed".to_string(), step(5, &[], 0, 0)),
        ])
    );
    assert_eq!(
        p("password-prompts").tally,
        tally(2, &[("resolved", 1), ("account-manager", 1)], 0, 0)
    );
    assert_eq!(
        p("password-prompts").steps,
        BTreeMap::from([
            (
                "check-username-password".to_string(),
                step(2, &[("resolved", 1), ("account-manager", 1)], 0, 0)
            ),
            ("contact-account-manager".to_string(), step(1, &[], 0, 0)),
            ("fixed".to_string(), step(1, &[], 0, 0)),
        ])
    );
    assert_eq!(
        p("cant-send-or-receive").tally,
        tally(2, &[("isp", 1), ("resolved", 1)], 0, 0)
    );
    assert_eq!(
        p("cant-send-or-receive").steps,
        BTreeMap::from([
            (String::new(), step(0, &[("resolved", 1)], 0, 0)),
            ("check-internet".to_string(), step(2, &[("isp", 1)], 0, 0)),
            ("fixed".to_string(), step(1, &[], 0, 0)),
            ("isp".to_string(), step(1, &[], 0, 0)),
        ])
    );
    assert_eq!(
        p("cant-receive").tally,
        tally(3, &[("resolved", 2), ("guide-ended", 1)], 0, 0),
        "the two attempts inside the edges count, the two outside do not; the stray page is not an attempt"
    );
    assert_eq!(
        p("cant-receive").steps["check-pop3-settings"],
        step(3, &[("resolved", 2), ("guide-ended", 1)], 0, 0)
    );
    assert_eq!(p("download-stuck").tally, tally(1, &[], 1, 0));
    assert_eq!(
        p("download-stuck").steps,
        BTreeMap::from([("check-internet".to_string(), step(1, &[], 1, 0))])
    );
    assert_eq!(
        p("same-emails-again").tally,
        tally(1, &[("resolved", 1)], 0, 0)
    );
    assert_eq!(got.problems.len(), 6);

    let total = got.total();
    assert_eq!(total.started, 18);
    assert_eq!(total.resolved(), 10);
    assert_eq!(total.finished(), 18);
    assert_eq!(total.self_service_rate(), Some(10.0 / 18.0));

    assert_eq!(
        got.days,
        BTreeMap::from([
            (day("2026-11-09"), tally(1, &[("resolved", 1)], 0, 0)),
            (
                day("2026-11-10"),
                tally(
                    16,
                    &[
                        ("resolved", 8),
                        ("iims-support", 1),
                        ("account-manager", 1),
                        ("isp", 1),
                        ("guide-ended", 1)
                    ],
                    4,
                    0
                )
            ),
            (day("2026-11-11"), tally(1, &[("resolved", 1)], 0, 0)),
        ])
    );
    let mut hours = [0i64; 24];
    for hour in hours.iter_mut().take(22).skip(8) {
        *hour = 1;
    }
    hours[16] = 2; // the restart
    hours[17] = 2; // the switch of problem
    hours[0] = 1; // the first millisecond of the range
    hours[23] = 1; // 23:59:59 on the last day
    assert_eq!(got.hours, hours);
    assert_eq!(
        got.weekdays,
        [1, 16, 1, 0, 0, 0, 0],
        "Mon 9, Tue 10, Wed 11"
    );

    assert_eq!(got.tickets.opened, 3);
    assert_eq!(got.tickets.resolved, 2);
    assert_eq!(
        got.tickets.median_resolution_ms,
        Some(4 * HOUR),
        "3 h (first resolution) and 5 h (closed)"
    );

    // The same answers from the raw events.
    assert_eq!(got, app.store().insights_from_events(&q).await.unwrap());

    // One problem only.
    let mut one = q.clone();
    one.problem = Some("cant-send".into());
    let only = app.store().insights(&one).await.unwrap();
    assert_eq!(only.problems.keys().collect::<Vec<_>>(), ["cant-send"]);
    assert_eq!(only.problems["cant-send"], p("cant-send"));
    assert_eq!(only.total().started, 9);
    assert_eq!(only.tickets.opened, 1);
    assert_eq!(only.tickets.median_resolution_ms, Some(3 * HOUR));
    assert_eq!(only, app.store().insights_from_events(&one).await.unwrap());

    // Single days: each edge on its own.
    let first = app
        .store()
        .insights(&range("2026-11-09", "2026-11-09", now))
        .await
        .unwrap();
    assert_eq!(first.total(), tally(1, &[("resolved", 1)], 0, 0));
    let outside = app
        .store()
        .insights(&range("2026-11-12", "2026-11-12", now))
        .await
        .unwrap();
    assert_eq!(outside.total(), tally(1, &[("resolved", 1)], 0, 0));
    assert_eq!(outside.tickets.opened, 0);
    assert_eq!(outside.tickets.median_resolution_ms, None);
    let empty = app
        .store()
        .insights(&range("2026-10-01", "2026-10-31", now))
        .await
        .unwrap();
    assert_eq!(empty, Insights::default());
    assert_eq!(empty.total().self_service_rate(), None);
}

#[tokio::test]
async fn abandonment_starts_at_thirty_minutes_without_activity() {
    let app = TestApp::new().await;
    let guide = app.guide();
    let start = day("2026-11-10") * DAY + 9 * HOUR;
    let walk = Walk::at(guide, start)
        .pick("cant-send")
        .choose("cant-send", 1);
    let last = walk.last_at();
    app.store()
        .insert_synthetic(vec![walk.visit()], Vec::new())
        .await
        .unwrap();
    let at = |now: i64| range("2026-11-10", "2026-11-10", now);

    let young = app
        .store()
        .insights(&at(last + 30 * MINUTE - 1))
        .await
        .unwrap();
    assert_eq!(
        young.total(),
        tally(1, &[], 0, 1),
        "29:59.999 is in progress"
    );
    assert_eq!(
        young.problems["cant-send"].steps["use-isp-smtp"],
        step(1, &[], 0, 1)
    );
    assert_eq!(young.total().self_service_rate(), None, "nothing finished");
    let old = app.store().insights(&at(last + 30 * MINUTE)).await.unwrap();
    assert_eq!(old.total(), tally(1, &[], 1, 0), "30:00 is abandoned");
    assert_eq!(
        old.problems["cant-send"].steps["use-isp-smtp"],
        step(1, &[], 1, 0)
    );
    for q in [at(last + 30 * MINUTE - 1), at(last + 30 * MINUTE)] {
        assert_eq!(
            app.store().insights(&q).await.unwrap(),
            app.store().insights_from_events(&q).await.unwrap()
        );
    }

    // As seen by a manager now: one visit idle for 31 minutes, one for 29.
    let app = TestApp::new().await;
    let guide = app.guide();
    let now = Timestamp::now().millis();
    let idle = Walk::at(guide, now - 35 * MINUTE)
        .pick("download-stuck")
        .wait(4 * MINUTE)
        .open("download-stuck", "check-internet");
    assert!(idle.last_at() <= now - 31 * MINUTE + MINUTE);
    let busy = Walk::at(guide, now - 30 * MINUTE)
        .pick("cant-send")
        .choose("cant-send", 1);
    assert!(busy.last_at() > now - 30 * MINUTE);
    app.store()
        .insert_synthetic(vec![idle.visit(), busy.visit()], Vec::new())
        .await
        .unwrap();
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    let page = m.get("/console/insights").await;
    ok(&page);
    assert!(
        page.body.contains("<dt>Abandoned</dt><dd>1</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<dt>In progress</dt><dd>1</dd>"));
    assert!(
        page.body
            .contains("<dt>Self-service resolution rate</dt><dd>0.0%</dd>")
    );
}

#[tokio::test]
async fn customers_walking_the_real_site_are_counted_as_they_go() {
    let app = TestApp::new().await;
    // Resolved at step 1.
    let mut ann = app.customer();
    ann.pick("cant-send").await;
    ann.choose("That fixed it: I can send email now").await;
    // Escalated to the Account Manager, with a ticket.
    let (number, _) = app.account_manager_escalation(&[]).await;
    // Restarts "can't send" and is still on step 2 of the second attempt.
    let mut bob = app.customer();
    bob.pick("cant-send").await;
    bob.choose("My outgoing settings are correct and I still can't send")
        .await;
    bob.start_over("cant-send").await;
    bob.choose("My outgoing settings are correct and I still can't send")
        .await;
    // Goes back a step: still in the same attempt.
    let page = bob
        .submit("/problems/cant-send/back", &[("from", "use-isp-smtp")])
        .await;
    ok(&page);

    let now = Timestamp::now();
    let q = |now: i64| InsightQuery {
        from_day: now.div_euclid(DAY),
        to_day: now.div_euclid(DAY),
        problem: None,
        now: Timestamp(now),
    };
    let got = app.store().insights(&q(now.millis())).await.unwrap();
    assert_eq!(
        got.problems["cant-send"].tally,
        tally(3, &[("resolved", 1)], 0, 2)
    );
    assert_eq!(
        got.problems["cant-send"].steps["use-isp-smtp"],
        step(2, &[], 0, 1),
        "the first attempt stopped at step 2, the second went back to step 1"
    );
    assert_eq!(
        got.problems["cant-send"].steps["check-smtp-settings"],
        step(3, &[("resolved", 1)], 0, 1)
    );
    assert_eq!(
        got.problems["password-prompts"].tally,
        tally(1, &[("account-manager", 1)], 0, 0)
    );
    assert_eq!(got.tickets.opened, 1);
    assert_eq!(got.tickets.resolved, 0);
    assert_eq!(
        got,
        app.store()
            .insights_from_events(&q(now.millis()))
            .await
            .unwrap()
    );

    // Half an hour later, with nothing more from Bob, both of his attempts are abandoned.
    let later = app
        .store()
        .insights(&q(now.millis() + 31 * MINUTE))
        .await
        .unwrap();
    assert_eq!(
        later.problems["cant-send"].tally,
        tally(3, &[("resolved", 1)], 2, 0)
    );

    // A manager resolves the ticket through the console: its resolution time is counted.
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    m.open_ticket(number).await;
    ok(&m.set_status(number, "in-progress").await);
    ok(&m.set_status(number, "resolved").await);
    let expected = app
        .count(
            "SELECT (SELECT MIN(at) FROM ticket_audit a WHERE a.ticket_id = t.id AND a.after = 'resolved') - t.created_at
             FROM tickets t",
        )
        .await;
    let got = app.store().insights(&q(now.millis())).await.unwrap();
    assert_eq!(got.tickets.resolved, 1);
    assert_eq!(got.tickets.median_resolution_ms, Some(expected));
}

/// The rows of the counter tables, for comparing two ways of filling them.
async fn counters(app: &TestApp) -> Vec<String> {
    use sqlx::Row;
    let mut conn = app.reader().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT id || ' ' || visit_id || ' ' || seq || ' ' || problem_id || ' ' || day || ' ' || started_at || ' ' || last_at || ' ' || step_id || ' ' || COALESCE(via_step, '-') || ' ' || COALESCE(outcome_kind, '-') || ' ' || COALESCE(outcome_step, '-') || ' ' || COALESCE(CAST(ended_at AS TEXT), '-') FROM insight_attempts ORDER BY id",
        "SELECT day || ' ' || problem_id || ' ' || measure || ' ' || step_id || ' ' || outcome_kind || ' ' || attempts FROM insight_daily ORDER BY 1",
        "SELECT hour || ' ' || problem_id || ' ' || started FROM insight_hourly ORDER BY 1",
        "SELECT ticket_id || ' ' || problem_id || ' ' || created_at || ' ' || resolved_at || ' ' || hours FROM insight_resolutions ORDER BY 1",
        "SELECT day || ' ' || problem_id || ' ' || hours || ' ' || tickets FROM insight_resolution_hours ORDER BY 1",
        "SELECT day || ' ' || problem_id || ' ' || outcome_kind || ' ' || tickets FROM insight_tickets ORDER BY 1",
        "SELECT day || ' ' || problem_id || ' ' || outcome_kind || ' ' || attempts FROM insight_contacts_sent ORDER BY 1",
        "SELECT id || ' ' || ticket_opened FROM insight_attempts ORDER BY id",
    ] {
        for row in sqlx::query(sql).fetch_all(&mut conn).await.unwrap() {
            out.push(row.get::<String, _>(0));
        }
    }
    out
}

#[tokio::test]
async fn the_counters_agree_with_the_raw_events_and_with_a_rebuild() {
    let app = known_app().await;
    let guide = app.guide();
    let now = Timestamp(day("2026-11-26") * DAY + 15 * HOUR);
    let mut visits = Vec::new();
    let plan = SeedPlan {
        tickets: 150,
        events: 6_000,
        days: 40,
        seed: 11,
        now,
        zone: Zone::utc(),
        send: true,
    };
    generate(guide, &plan, |v| visits.push(v));
    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();

    let questions: Vec<InsightQuery> = [
        ("2026-10-17", "2026-11-26", None, 0),
        ("2026-11-01", "2026-11-15", None, 0),
        ("2026-11-26", "2026-11-26", None, 0),
        ("2026-11-25", "2026-11-26", Some("cant-send"), 0),
        (
            "2026-10-01",
            "2026-11-26",
            Some("password-prompts"),
            -2 * HOUR,
        ),
        ("2026-11-20", "2026-11-26", None, -10 * HOUR),
    ]
    .into_iter()
    .map(|(from, to, problem, shift)| InsightQuery {
        problem: problem.map(str::to_string),
        ..range(from, to, now.millis() + shift)
    })
    .collect();
    let before = counters(&app).await;
    for q in &questions {
        let got = app.store().insights(q).await.unwrap();
        assert!(got.total().started > 0, "{q:?} has data");
        assert_eq!(
            got,
            app.store().insights_from_events(q).await.unwrap(),
            "{q:?}"
        );
    }
    let all = app.store().insights(&questions[0]).await.unwrap();
    let whole = all.total();
    assert!(whole.abandoned > 0 && whole.resolved() > 0 && whole.in_progress == 0);
    assert!(
        all.tickets.opened > 0 && all.left() > 0,
        "some customers sent the form, some left"
    );

    // A rebuild from the events and tickets, on emptied tables, gives back exactly the same rows.
    app.store().rebuild_insights().await.unwrap();
    let after = counters(&app).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a);
    }
    for q in &questions {
        assert_eq!(
            app.store().insights(q).await.unwrap(),
            app.store().insights_from_events(q).await.unwrap()
        );
    }
}

#[tokio::test]
async fn the_page_shows_the_figures_with_charts_and_tables() {
    let app = known_app().await;
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    let page = m
        .get("/console/insights?from=2026-11-09&to=2026-11-11")
        .await;
    ok(&page);
    for text in [
        "<dt>Attempts started</dt><dd>18</dd>",
        "<dt>Self-service resolution rate</dt><dd>55.6%</dd>",
        "<dt>Resolved by the guide</dt><dd>10</dd>",
        "<dt>Referred to the ISP</dt><dd>1</dd>",
        "<dt>Escalated (tickets opened)</dt><dd>3</dd>",
        "<dt>Reached a contact point and left</dt><dd>0</dd>",
        "<dt>Abandoned</dt><dd>4</dd>",
        "<dt>Median time from escalation to resolution</dt><dd>4 h 0 min</dd>",
        "step 1: 4; step 2: 1",
        "no step recorded: 1",
    ] {
        assert!(page.shows(text), "the page should show {text:?}");
    }
    // The "can't send" line: started 9, resolved 5, ISP 0, one ticket, none left at the contact
    // point, abandoned 3.
    assert!(page.shows(
        "<th scope=\"row\">I can receive email, but I can't send it</th><td>9</td><td>5</td><td>step 1: 4; step 2: 1</td><td>0</td><td>1</td><td>0</td><td>3</td><td>0</td><td>55.6%</td>"
    ));
    // A funnel row: step 2 of "can't send" reached 5 times, 1 resolved, 1 escalated, 2 gave up.
    assert!(
        page.body
            .contains("<td>5</td><td>1</td><td>1</td><td>2</td><td>0</td><td>40.0%</td>")
    );
    // Charts: SVG with a title and description, a table beside each, no script, no inline style.
    let charts = page.body.matches("<svg class=\"chart").count();
    assert_eq!(
        charts,
        4 + 6,
        "rate, trend, hours, weekdays, and a funnel per problem"
    );
    assert_eq!(page.body.matches("role=\"img\"").count(), charts);
    assert_eq!(page.body.matches("<title id=").count(), charts);
    assert!(page.body.matches("<table").count() >= charts);
    assert!(!page.body.contains("<script"));
    assert!(!page.body.contains("style=\""));
    assert!(page.shows("/console/insights/tickets.csv?from=2026-11-09&to=2026-11-11"));
    // The nav links to the page.
    assert!(
        m.get("/console/tickets")
            .await
            .body
            .contains("href=\"/console/insights\"")
    );

    // By week, and one problem.
    let page = m
        .get("/console/insights?from=2026-11-09&to=2026-11-11&problem=cant-send&by=week")
        .await;
    ok(&page);
    assert!(page.shows("<dt>Attempts started</dt><dd>9</dd>"));
    assert!(page.shows(
        "<th scope=\"row\">week of 2026-11-09</th><td>9</td><td>5</td><td>9</td><td>55.6%</td><td>1</td>"
    ));
}

#[tokio::test]
async fn bad_ranges_and_filters_get_a_clear_400_and_strangers_are_sent_to_sign_in() {
    let app = TestApp::new().await;
    let mut stranger = app.manager("nobody@iims.example");
    for path in [
        "/console/insights",
        "/console/insights/tickets.csv",
        "/console/insights/events.csv",
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location()
                .unwrap()
                .starts_with("/console/sign-in?next=")
        );
    }
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    for (query, message) in [
        ("from=2026-02-30", "The start date must be a real date"),
        (
            "from=2026-11-01&to=11/30/2026",
            "The end date must be a real date",
        ),
        ("from=2026-11-02&to=2026-11-01", "is after the end date"),
        ("from=2025-01-01&to=2026-11-01", "at most 366 days"),
        ("problem=printer-on-fire", "no symptom with that id"),
        ("by=month", "by day or by week"),
        ("from=%FF", "The start date must be a real date"),
        ("from=2026-11-01&from=2026-11-02", "malformed"),
    ] {
        for path in [
            "/console/insights",
            "/console/insights/tickets.csv",
            "/console/insights/events.csv",
        ] {
            let page = m.get(&format!("{path}?{query}")).await;
            assert_eq!(page.status, 400, "{path}?{query}: {}", page.body);
            assert!(page.shows(message), "{path}?{query}: {}", page.body);
        }
    }
    ok(&m
        .get("/console/insights?from=2025-11-01&to=2026-11-01")
        .await);
    ok(&m
        .get("/console/insights?from=2026-11-26&to=2026-11-26&by=week")
        .await);
}

/// Reads an export: it must start with the UTF-8 byte order mark, which Excel needs to read
/// UTF-8, and be RFC 4180 after it.
fn parse_csv(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    assert_eq!(
        &body.as_bytes()[..3],
        b"\xEF\xBB\xBF",
        "a UTF-8 byte order mark first"
    );
    let body = &body[3..];
    assert!(!body.starts_with('\u{feff}'), "one mark only");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let headers = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

async fn rows(app: &TestApp, sql: &'static str) -> Vec<Vec<String>> {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_all(&mut app.reader().await)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get::<Option<String>, _>(i).unwrap_or_default())
                .collect()
        })
        .collect()
}

fn iso(ms: &str) -> String {
    Timestamp(ms.parse().unwrap()).iso_millis()
}

#[tokio::test]
async fn csv_exports_read_back_as_the_database_holds_them() {
    let app = known_app().await;
    // Many more events than one export page, and tickets whose words could break a CSV file or
    // run as a formula in a spreadsheet.
    let mut visits = Vec::new();
    let plan = SeedPlan {
        tickets: 40,
        events: 5_000,
        days: 3,
        seed: 5,
        now: Timestamp(day("2026-11-12") * DAY),
        zone: Zone::utc(),
        send: true,
    };
    generate(app.guide(), &plan, |v| visits.push(v));
    let nasty = [
        (
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1 555 0100",
        ),
        ("-2+3", "@SUM(A1:A2)"),
        ("Zoë \"Z\" O'Neil, Jr.", "line one\r\nline two\nthree"),
        ("Søren Ærø 東京 Ñandú", "Grüße, ça va? 😀"),
    ];
    for (i, v) in visits
        .iter_mut()
        .filter(|v| v.ticket.is_some())
        .take(nasty.len())
        .enumerate()
    {
        let t = v.ticket.as_mut().unwrap();
        t.name = nasty[i].0.into();
        t.description = nasty[i].1.into();
    }
    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;

    let page = m
        .get("/console/insights/events.csv?from=2026-11-09&to=2026-11-11")
        .await;
    ok(&page);
    assert_eq!(page.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        page.header("content-disposition"),
        Some("attachment; filename=\"helpdesk-events-2026-11-09-to-2026-11-11.csv\"")
    );
    assert!(page.body.ends_with("\r\n"));
    let (headers, got) = parse_csv(&page.body);
    assert_eq!(
        headers,
        [
            "event_id",
            "visit",
            "seq",
            "at",
            "kind",
            "problem",
            "step",
            "choice",
            "next",
            "outcome",
            "guide_version"
        ]
    );
    let want = rows(
        &app,
        "SELECT CAST(id AS TEXT), visit_id, CAST(seq AS TEXT), CAST(at AS TEXT), kind, problem_id, node_id,
                CAST(choice_index AS TEXT), next_id, outcome_kind, guide_version
         FROM visit_events WHERE at >= 1794182400000 AND at < 1794441600000 ORDER BY at, id",
    )
    .await;
    assert!(
        want.len() > 4_000,
        "more than two export pages: {}",
        want.len()
    );
    let want: Vec<Vec<String>> = want
        .into_iter()
        .map(|mut r| {
            r[3] = iso(&r[3]);
            r
        })
        .collect();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);

    // One problem only.
    let page = m
        .get("/console/insights/events.csv?from=2026-11-09&to=2026-11-11&problem=download-stuck")
        .await;
    let (_, got) = parse_csv(&page.body);
    assert!(!got.is_empty());
    assert!(got.iter().all(|r| r[5] == "download-stuck"));
    assert_eq!(
        got.len() as i64,
        app.count("SELECT COUNT(*) FROM visit_events WHERE problem_id = 'download-stuck' AND at >= 1794182400000 AND at < 1794441600000").await
    );

    let page = m
        .get("/console/insights/tickets.csv?from=2026-11-09&to=2026-11-11")
        .await;
    ok(&page);
    assert_eq!(
        page.header("content-disposition"),
        Some("attachment; filename=\"helpdesk-tickets-2026-11-09-to-2026-11-11.csv\"")
    );
    let (headers, got) = parse_csv(&page.body);
    assert_eq!(headers[0], "reference");
    assert_eq!(headers.len(), 18);
    assert_eq!(&headers[16..], ["visit", "outcome_event"]);
    let want = rows(
        &app,
        "SELECT CAST(t.number AS TEXT), CAST(t.created_at AS TEXT), t.problem_id, t.outcome_kind, t.ending_id,
                t.status, t.customer_name, t.customer_email, t.customer_phone, t.customer_account, t.email_program,
                t.description, CAST((SELECT MIN(at) FROM ticket_audit a WHERE a.ticket_id = t.id AND a.action = 'status'
                    AND a.after IN ('resolved', 'closed')) AS TEXT), CAST(t.updated_at AS TEXT),
                t.visit_id, CAST(t.outcome_event_id AS TEXT)
         FROM tickets t WHERE created_at >= 1794182400000 AND created_at < 1794441600000 ORDER BY created_at, number",
    )
    .await
    .into_iter()
    .map(|mut row| {
        row[0] = format!("IIMS-{:06}", row[0].parse::<i64>().unwrap());
        row
    })
    .collect::<Vec<_>>();
    assert!(want.len() > 30);
    assert_eq!(got.len(), want.len());
    let guide = app.guide();
    let safe = |s: &str| {
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        }
    };
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g[0], w[0]);
        assert_eq!(g[1], iso(&w[1]));
        assert_eq!(g[2], w[2]);
        assert_eq!(g[3], guide.problem(&w[2]).unwrap().symptom);
        assert_eq!(&g[4..7], &w[3..6]);
        assert_eq!(g[7], "", "no managers: nobody assigned");
        for (gi, wi) in (8..14).zip(6..12) {
            assert_eq!(g[gi], safe(&w[wi]), "column {}", headers[gi]);
        }
        assert_eq!(
            g[14],
            if w[12].is_empty() {
                String::new()
            } else {
                iso(&w[12])
            }
        );
        assert_eq!(g[15], iso(&w[13]));
        assert_eq!(&g[16..18], &w[14..16]);
    }
    // The tricky ones arrived intact, formulas neutralised.
    let names: Vec<&str> = got.iter().map(|r| r[8].as_str()).collect();
    assert!(names.contains(&"'=HYPERLINK(\"http://evil.example\",\"click\")"));
    assert!(names.contains(&"'-2+3"));
    assert!(names.contains(&"Zoë \"Z\" O'Neil, Jr."));
    // Non-ASCII names come back byte for byte, as UTF-8 after the byte order mark.
    assert!(names.contains(&"Søren Ærø 東京 Ñandú"));
    assert!(page.body.as_bytes()[3..].starts_with(b"reference,"));
    assert!(
        page.body
            .as_bytes()
            .windows("Søren Ærø 東京 Ñandú".len())
            .any(|w| w == "Søren Ærø 東京 Ñandú".as_bytes())
    );
    let descriptions: Vec<&str> = got.iter().map(|r| r[13].as_str()).collect();
    assert!(descriptions.contains(&"Grüße, ça va? 😀"));
    assert!(descriptions.contains(&"'+1 555 0100"));
    assert!(descriptions.contains(&"'@SUM(A1:A2)"));
    assert!(descriptions.contains(&"line one\r\nline two\nthree"));
    assert!(!page.body.contains("\n=") && !page.body.contains(",="));

    // An empty range is a header row alone, after the byte order mark.
    let page = m
        .get("/console/insights/tickets.csv?from=2020-01-01&to=2020-01-31")
        .await;
    ok(&page);
    assert_eq!(page.body.matches("\r\n").count(), 1);
    assert!(page.body.starts_with("\u{feff}reference,opened_at,"));
    let page = m
        .get("/console/insights/events.csv?from=2020-01-01&to=2020-01-31")
        .await;
    assert!(page.body.starts_with("\u{feff}event_id,visit,"));
}

// ---------------------------------------------------------------------------------------------
// Escalations are tickets opened; contact points left without a ticket are counted apart.

/// What the test knows about a visit it made: the attempt day, problem and kind of a contact
/// point the customer left without sending the form, if that is what they did.
type Left = Option<(i64, &'static str, &'static str)>;

/// Visits around 2026-11-10 whose escalations are known: sent the same day, after midnight,
/// days later, from a second contact page, after a resolution, or never.
fn escalation_visits(guide: &Guide) -> Vec<(SyntheticVisit, Left)> {
    let d = day("2026-11-10");
    let at = |day: i64, hour: i64| day * DAY + hour * HOUR + 5 * MINUTE;
    // Reaches "contact IIMS" from step 2 of "can't send".
    fn contact(w: Walk<'_>) -> Walk<'_> {
        w.pick("cant-send")
            .choose("cant-send", 1)
            .choose("cant-send", 1)
    }
    vec![
        // IIMS support, sent two minutes later.
        (
            contact(Walk::at(guide, at(d, 8))).with_ticket(2 * MINUTE, &[]),
            None,
        ),
        // IIMS support, left at the form.
        (
            contact(Walk::at(guide, at(d, 9))).visit(),
            Some((d, "cant-send", "iims-support")),
        ),
        // Account Manager at 23:51, sent after midnight: the attempt on the 10th, the ticket on
        // the 11th.
        (
            Walk::at(guide, d * DAY + 23 * HOUR + 50 * MINUTE)
                .pick("password-prompts")
                .choose("password-prompts", 1)
                .with_ticket(10 * MINUTE, &[]),
            None,
        ),
        // Guide ended on the 9th, sent a day later.
        (
            Walk::at(guide, at(d - 1, 10))
                .pick("cant-receive")
                .choose("cant-receive", 1)
                .with_ticket(DAY, &[]),
            None,
        ),
        // Guide ended on the 10th, sent five days later: not left, and its ticket is not in a
        // range ending on the 11th.
        (
            Walk::at(guide, at(d, 11))
                .pick("cant-receive")
                .choose("cant-receive", 1)
                .with_ticket(5 * DAY, &[]),
            None,
        ),
        // Account Manager, left at the form.
        (
            Walk::at(guide, at(d, 12))
                .pick("password-prompts")
                .choose("password-prompts", 1)
                .visit(),
            Some((d, "password-prompts", "account-manager")),
        ),
        // IIMS support, back a step, IIMS support again, and the form sent from the second
        // contact page: the attempt did not leave.
        (
            contact(Walk::at(guide, at(d, 13)))
                .back_to("cant-send", "use-isp-smtp")
                .choose("cant-send", 1)
                .with_ticket(MINUTE, &[]),
            None,
        ),
        // Resolved, then back and an Account Manager ticket: the attempt was resolved, the
        // ticket is an escalation all the same.
        (
            Walk::at(guide, at(d, 14))
                .pick("password-prompts")
                .choose("password-prompts", 0)
                .back_to("password-prompts", "check-username-password")
                .choose("password-prompts", 1)
                .with_ticket(MINUTE, &[]),
            None,
        ),
        // IIMS support on the 9th, left.
        (
            contact(Walk::at(guide, at(d - 1, 9))).visit(),
            Some((d - 1, "cant-send", "iims-support")),
        ),
        // IIMS support on the 12th, left: outside the ranges below.
        (
            contact(Walk::at(guide, at(d + 2, 9))).visit(),
            Some((d + 2, "cant-send", "iims-support")),
        ),
    ]
}

#[tokio::test]
async fn escalations_count_tickets_opened_and_contact_points_left_count_apart() {
    let app = TestApp::new().await;
    let made = escalation_visits(app.guide());
    let tickets: Vec<SyntheticTicket> = made.iter().filter_map(|(v, _)| v.ticket.clone()).collect();
    let lefts: Vec<(i64, &str, &str)> = made.iter().filter_map(|(_, l)| *l).collect();
    app.store()
        .insert_synthetic(made.into_iter().map(|(v, _)| v).collect(), Vec::new())
        .await
        .unwrap();
    let now = day("2026-11-30") * DAY;

    for (from, to) in [
        ("2026-11-10", "2026-11-10"),
        ("2026-11-09", "2026-11-11"),
        ("2026-11-11", "2026-11-15"),
    ] {
        let q = range(from, to, now);
        let got = app.store().insights(&q).await.unwrap();
        let in_range = |d: i64| d >= q.from_day && d <= q.to_day;

        // What the test made, counted here.
        let mut escalated: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_day: BTreeMap<i64, i64> = BTreeMap::new();
        for t in &tickets {
            let d = t.created_at.millis().div_euclid(DAY);
            if in_range(d) {
                *escalated
                    .entry((t.problem_id.clone(), t.outcome_kind.as_str().to_string()))
                    .or_default() += 1;
                *by_kind
                    .entry(t.outcome_kind.as_str().to_string())
                    .or_default() += 1;
                *by_day.entry(d).or_default() += 1;
            }
        }
        let mut left: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (d, problem, kind) in &lefts {
            if in_range(*d) {
                *left
                    .entry((problem.to_string(), kind.to_string()))
                    .or_default() += 1;
            }
        }

        let mut got_escalated = BTreeMap::new();
        let mut got_left = BTreeMap::new();
        for (p, f) in &got.problems {
            for (k, n) in &f.escalated {
                got_escalated.insert((p.clone(), k.clone()), *n);
            }
            for (k, n) in &f.left {
                got_left.insert((p.clone(), k.clone()), *n);
            }
        }
        assert_eq!(got_escalated, escalated, "{from}..{to}");
        assert_eq!(got.tickets.by_kind, by_kind, "{from}..{to}");
        assert_eq!(got.tickets.by_day, by_day, "{from}..{to}");
        assert_eq!(got.tickets.opened, by_kind.values().sum::<i64>());
        assert_eq!(got_left, left, "{from}..{to}");
        assert_eq!(got.left(), left.values().sum::<i64>());
        assert_eq!(got, app.store().insights_from_events(&q).await.unwrap());
    }

    // The single day, known by heart: tickets opened on the 10th are the IIMS support ticket
    // sent at once, the one sent from a second contact page, the Account Manager ticket after a
    // resolution, and the guide-ended one sent a day late; two customers left at the form.
    let q = range("2026-11-10", "2026-11-10", now);
    let got = app.store().insights(&q).await.unwrap();
    assert_eq!(got.tickets.opened, 4);
    assert_eq!(got.left(), 2);
    assert_eq!(
        got.tickets.opened,
        app.count("SELECT COUNT(*) FROM tickets WHERE created_at >= 1794268800000 AND created_at < 1794355200000")
            .await,
        "the figure reconciles with the tickets table"
    );

    // The page says the same.
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    let page = m
        .get("/console/insights?from=2026-11-10&to=2026-11-10")
        .await;
    ok(&page);
    for text in [
        "<dt>Escalated (tickets opened)</dt><dd>4</dd>",
        "<dt>Reached a contact point and left</dt><dd>2</dd>",
        "<th scope=\"row\">IIMS support</th><td>2</td>",
        "<th scope=\"row\">Account Manager</th><td>1</td>",
        "<th scope=\"row\">Guide ended</th><td>1</td>",
        "<th scope=\"row\">Not in the guide</th><td>0</td>",
        "<th scope=\"row\">All kinds</th><td>4</td>",
        // cant-send: 3 started, 0 resolved, 2 tickets, 1 left at the form.
        "<th scope=\"row\">I can receive email, but I can't send it</th><td>3</td><td>0</td><td></td><td>0</td><td>2</td><td>1</td>",
        "<th scope=\"row\">2026-11-10</th><td>",
    ] {
        assert!(page.shows(text), "the page should show {text:?}");
    }
}

#[tokio::test]
async fn a_customer_who_stops_at_the_form_is_left_until_they_send_it() {
    let app = TestApp::new().await;
    // Ann escalates.
    app.support_escalation(&[]).await;
    // Cy reaches the same contact page and stops there.
    let mut cy = app.customer();
    cy.pick("cant-send").await;
    cy.choose("My outgoing settings are correct and I still can't send")
        .await;
    ok(&cy.choose("I still can't send").await);
    // Dee is told to contact her Account Manager and leaves too.
    let mut dee = app.customer();
    dee.pick("password-prompts").await;
    ok(&dee
        .choose("I'm still asked for my username or password")
        .await);

    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    let page = m.get("/console/insights").await;
    ok(&page);
    assert!(page.shows("<dt>Escalated (tickets opened)</dt><dd>1</dd>"));
    assert!(page.shows("<dt>Reached a contact point and left</dt><dd>2</dd>"));
    let now = Timestamp::now();
    let q = range(
        &date(Zone::utc().local_day(now)),
        &date(Zone::utc().local_day(now)),
        now.millis(),
    );
    let got = app.store().insights(&q).await.unwrap();
    assert_eq!(
        got.problems["cant-send"].left,
        BTreeMap::from([("iims-support".to_string(), 1)])
    );
    assert_eq!(
        got.problems["password-prompts"].left,
        BTreeMap::from([("account-manager".to_string(), 1)])
    );
    assert_eq!(
        got.tickets.opened,
        app.count("SELECT COUNT(*) FROM tickets").await
    );

    // Cy sends the form after all: she leaves the "left" figure and her ticket counts.
    ok(&cy.escalate(common::ANN).await);
    let page = m.get("/console/insights").await;
    assert!(page.shows("<dt>Escalated (tickets opened)</dt><dd>2</dd>"));
    assert!(page.shows("<dt>Reached a contact point and left</dt><dd>1</dd>"));
    assert!(page.shows("<th scope=\"row\">IIMS support</th><td>2</td>"));
    let got = app.store().insights(&q).await.unwrap();
    assert!(got.problems["cant-send"].left.is_empty());
    assert_eq!(got.tickets.opened, 2);
    assert_eq!(got, app.store().insights_from_events(&q).await.unwrap());
}

#[tokio::test]
async fn a_problem_not_in_the_guide_is_its_own_line_and_starts_no_attempt() {
    let app = TestApp::new().await;
    let store = app.store();
    // Eve picks "something else" on the home page and sends the form; Finn starts "can't send",
    // then opens "something else" too and leaves without sending (which records nothing).
    let mut eve = app.customer();
    let home = eve.open_home().await;
    assert!(home.body.contains(r#"href="/contact""#));
    ok(&eve.get("/contact").await);
    let after = eve.page.hidden("after").expect("after field");
    let page = eve
        .submit(
            "/contact",
            &[
                ("after", after.as_str()),
                ("name", "Eve Example"),
                ("email", "eve@example.com"),
                ("email_program", "Other or not sure"),
                ("description", "My printer emails nobody."),
            ],
        )
        .await;
    ok(&page);
    assert!(page.shows("your reference is IIMS-000001"));
    let mut finn = app.customer();
    finn.pick("cant-send").await;
    finn.choose("My outgoing settings are correct and I still can't send")
        .await;
    ok(&finn.get("/contact").await);

    let now = Timestamp::now();
    let q = range(
        &date(Zone::utc().local_day(now)),
        &date(Zone::utc().local_day(now)),
        now.millis(),
    );
    let got = store.insights(&q).await.unwrap();
    let none = &got.problems[""];
    assert_eq!(none.tally, Tally::default(), "no attempt under problem ''");
    assert_eq!(
        none.escalated,
        BTreeMap::from([("not-in-guide".to_string(), 1)])
    );
    assert!(none.left.is_empty());
    assert_eq!(
        got.tickets.by_kind,
        BTreeMap::from([("not-in-guide".to_string(), 1)])
    );
    assert_eq!(
        got.total(),
        tally(1, &[], 0, 1),
        "Finn's attempt is untouched"
    );
    assert_eq!(got, store.insights_from_events(&q).await.unwrap());
    let before = counters(&app).await;
    store.rebuild_insights().await.unwrap();
    assert_eq!(counters(&app).await, before);

    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    let page = m.get("/console/insights").await;
    ok(&page);
    assert!(page.shows("<th scope=\"row\">Not in the guide</th><td>0</td><td>0</td><td></td><td>0</td><td>1</td><td>0</td>"));
    assert!(
        page.shows("<th scope=\"row\">Not in the guide</th><td>1</td>"),
        "by kind"
    );
    assert!(page.shows("<dt>Escalated (tickets opened)</dt><dd>1</dd>"));
    assert!(
        !page.body.contains("<th scope=\"row\"></th>"),
        "no problem without a name"
    );
    assert!(!page.body.contains("Funnel: Not in the guide"));
    assert_eq!(
        page.body.matches("Not in the guide</th>").count(),
        2,
        "a line by problem and a kind, no self-service rate"
    );
    assert_eq!(
        page.body.matches("<svg class=\"chart").count(),
        4 + app.guide().problems.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Charts fit their box.

/// The value of ` name="…"` in an SVG tag, as a number.
fn attr(tag: &str, name: &str) -> f64 {
    let key = format!(" {name}=\"");
    let i = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
    tag[i..].split('"').next().unwrap().parse().unwrap()
}

/// Checks every chart of a page: each bar inside its SVG's box, each column label inside it
/// too, no two labels overlapping; returns the trend chart's labels.
fn check_charts(body: &str, what: &str) -> Vec<String> {
    let mut trend_labels = Vec::new();
    for svg in body.split("<svg ").skip(1) {
        let svg = svg.split("</svg>").next().unwrap();
        let open = svg.split('>').next().unwrap();
        let (w, h) = (attr(open, "width"), attr(open, "height"));
        assert!(open.contains(&format!("viewBox=\"0 0 {w} {h}\"")), "{what}");
        let mut rects = 0;
        for rect in svg.split("<rect").skip(1) {
            let tag = rect.split('>').next().unwrap();
            let (x, y, rw, rh) = (
                attr(tag, "x"),
                attr(tag, "y"),
                attr(tag, "width"),
                attr(tag, "height"),
            );
            assert!(
                x >= 0.0 && y >= 0.0 && rw >= 0.0 && rh >= 0.0,
                "{what}: {tag}"
            );
            assert!(x + rw <= w && y + rh <= h, "{what}: {tag} outside {w}x{h}");
            rects += 1;
        }
        assert!(rects > 0, "{what}");
        // Labels under columns, centred on their column: a 12px character is at most 7 units.
        let mut last_right = f64::NEG_INFINITY;
        let mut labels = Vec::new();
        for text in svg.split("<text class=\"chart-label\"").skip(1) {
            let (tag, rest) = text.split_once('>').unwrap();
            if !tag.contains("text-anchor=\"middle\"") {
                continue;
            }
            let label = rest.split("</text>").next().unwrap().to_string();
            let half = label.chars().count() as f64 * 7.0 / 2.0;
            let x = attr(tag, "x");
            assert!(
                x - half >= 0.0 && x + half <= w,
                "{what}: label {label} at {x}"
            );
            assert!(
                x - half >= last_right,
                "{what}: label {label} overlaps the one before"
            );
            last_right = x + half;
            labels.push(label);
        }
        if open.contains("trend-title") {
            trend_labels = labels;
        }
    }
    trend_labels
}

#[tokio::test]
async fn every_chart_fits_its_box_for_every_range_up_to_a_year() {
    let app = TestApp::new().await;
    let guide = app.guide();
    let today = Zone::utc().today();
    // An attempt every other day of the last year, so every range has columns of all heights.
    let visits: Vec<SyntheticVisit> = (0..366)
        .step_by(2)
        .map(|back| {
            let w = Walk::at(guide, (today - back) * DAY + 9 * HOUR).pick("cant-send");
            if back % 3 == 0 {
                w.choose("cant-send", 0)
            } else {
                w.choose("cant-send", 1)
            }
            .visit()
        })
        .collect();
    app.store()
        .insert_synthetic(visits, Vec::new())
        .await
        .unwrap();
    let mut m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    for (span, by) in [
        (7, "day"),
        (30, "day"),
        (296, "day"),
        (297, "day"),
        (366, "day"),
        (366, "week"),
    ] {
        let from_day = today - (span - 1);
        let (from, to) = (date(from_day), date(today));
        let page = m
            .get(&format!("/console/insights?from={from}&to={to}&by={by}"))
            .await;
        ok(&page);
        let what = format!("{span} days by {by}");
        let columns = page
            .body
            .split("<svg ")
            .find(|s| s.contains("trend-title"))
            .unwrap();
        let columns = columns
            .split("</svg>")
            .next()
            .unwrap()
            .matches("<rect")
            .count() as i64;
        let monday = helpdesk::domain::time::week_start;
        let periods = if by == "day" {
            span
        } else {
            (monday(today) - monday(from_day)) / 7 + 1
        };
        assert_eq!(columns, periods, "{what}: a column per period");
        let labels = check_charts(&page.body, &what);
        assert!(
            (2..=14).contains(&labels.len()),
            "{what}: a readable number of date labels, not {}",
            labels.len()
        );
    }
}
