//! The insights computed from every raw event and status change: slow, and the plainest
//! statement of the definitions (`super::insights`), against which the tests check the counters.
//! Days and hours are local ones, in the zone the counters are keyed in, found by jiff for each
//! event.

use std::collections::{BTreeMap, HashSet};

use sqlx::Row;

use super::insights::median_of_middle;
use super::{Pool, on_pool};
use crate::domain::time::{Timestamp, Zone, weekday};
use crate::store::{CONTACT_KINDS, InsightQuery, Insights, StoreError};

/// The figures for `q` from every raw event and status change: see
/// [`InsightStore::insights_from_events`](crate::store::InsightStore::insights_from_events).
pub(in crate::store) async fn insights_from_raw(
    pool: Pool<'_>,
    zone: Zone,
    q: &InsightQuery,
) -> Result<Insights, StoreError> {
    on_pool!(pool, |pool| {
        let mut conn = pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT id, visit_id, seq, at, kind, problem_id, node_id, next_id, outcome_kind
             FROM visit_events ORDER BY visit_id, seq",
        )
        .fetch_all(&mut *conn)
        .await?;
        struct Raw {
            id: i64,
            seq: i64,
            at: i64,
            kind: String,
            problem: String,
            node: String,
            next: Option<String>,
            outcome: Option<String>,
        }
        let mut visits: BTreeMap<String, Vec<Raw>> = BTreeMap::new();
        for r in rows {
            visits.entry(r.try_get("visit_id")?).or_default().push(Raw {
                id: r.try_get("id")?,
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                problem: r.try_get("problem_id")?,
                node: r.try_get("node_id")?,
                next: r.try_get("next_id")?,
                outcome: r.try_get("outcome_kind")?,
            });
        }
        // Every ticket: its figures count by the day it was opened, but any of them may take an
        // attempt of the range out of "left at a contact point".
        let tickets = sqlx::query(
            "SELECT t.created_at, t.problem_id, t.outcome_kind, t.outcome_event_id,
                    (SELECT MIN(a.at) FROM ticket_audit a WHERE a.ticket_id = t.id AND a.action = 'status'
                       AND a.after IN ('resolved', 'closed')) AS resolved_at
             FROM tickets t",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut ticketed = HashSet::new();
        for t in &tickets {
            ticketed.insert(t.try_get::<i64, _>("outcome_event_id")?);
        }
        let mut out = Insights::default();
        for events in visits.values() {
            for (i, symptom) in events.iter().enumerate() {
                if symptom.kind != "symptom" {
                    continue;
                }
                // The attempt: the same problem's events until the next symptom, cut at the
                // first outcome.
                let mut own: Vec<&Raw> = vec![symptom];
                // Whether a ticket was opened from any of the attempt's events, even after its
                // outcome.
                let mut sent = false;
                let mut over = false;
                for e in &events[i + 1..] {
                    if e.kind == "symptom" {
                        break;
                    }
                    if e.problem == symptom.problem {
                        sent |= ticketed.contains(&e.id);
                        if !over {
                            own.push(e);
                        }
                        over |= e.kind == "outcome";
                    }
                }
                debug_assert!(own.windows(2).all(|w| w[0].seq < w[1].seq));
                let day = zone.local_day(Timestamp(symptom.at));
                if day < q.from_day
                    || day > q.to_day
                    || q.problem.as_ref().is_some_and(|p| *p != symptom.problem)
                {
                    continue;
                }
                let is_move =
                    |e: &Raw| e.kind != "back" && (e.kind != "choice" || e.next.is_some());
                let last_at = own.iter().map(|e| e.at).max().unwrap_or(symptom.at);
                let mut reached: Vec<&str> = own
                    .iter()
                    .filter(|e| matches!(e.kind.as_str(), "symptom" | "shown" | "outcome"))
                    .map(|e| e.node.as_str())
                    .collect();
                reached.sort_unstable();
                reached.dedup();
                let p = out.problems.entry(symptom.problem.clone()).or_default();
                let d = out.days.entry(day).or_default();
                p.tally.started += 1;
                d.started += 1;
                for node in reached {
                    p.steps.entry(node.to_string()).or_default().reached += 1;
                }
                let hour = zone.local_hour(Timestamp(symptom.at));
                out.hours[hour.rem_euclid(24) as usize] += 1;
                out.weekdays[weekday(day)] += 1;
                let last = own.last().expect("the symptom at least");
                if last.kind == "outcome" {
                    let kind = last.outcome.clone().unwrap_or_default();
                    let before = own[..own.len() - 1].iter().rev().find(|e| is_move(e));
                    let from = before
                        .filter(|b| b.kind == "choice" && b.next.as_deref() == Some(&last.node))
                        .map_or(String::new(), |b| b.node.clone());
                    *p.tally.outcomes.entry(kind.clone()).or_default() += 1;
                    *p.steps
                        .entry(from)
                        .or_default()
                        .outcomes
                        .entry(kind.clone())
                        .or_default() += 1;
                    if CONTACT_KINDS.contains(&kind.as_str()) && !sent {
                        *p.left.entry(kind.clone()).or_default() += 1;
                    }
                    *d.outcomes.entry(kind).or_default() += 1;
                } else {
                    let on = own
                        .iter()
                        .rev()
                        .find(|e| is_move(e))
                        .map(|e| match e.kind.as_str() {
                            "choice" => e.next.clone().unwrap_or_default(),
                            _ => e.node.clone(),
                        })
                        .unwrap_or_default();
                    let s = p.steps.entry(on).or_default();
                    if last_at <= q.abandoned_before() {
                        p.tally.abandoned += 1;
                        s.abandoned += 1;
                        d.abandoned += 1;
                    } else {
                        p.tally.in_progress += 1;
                        s.in_progress += 1;
                        d.in_progress += 1;
                    }
                }
            }
        }

        let mut durations = Vec::new();
        for t in tickets {
            let created: i64 = t.try_get("created_at")?;
            let problem: String = t.try_get("problem_id")?;
            let kind: String = t.try_get("outcome_kind")?;
            let resolved: Option<i64> = t.try_get("resolved_at")?;
            let day = zone.local_day(Timestamp(created));
            if day < q.from_day
                || day > q.to_day
                || q.problem.as_ref().is_some_and(|p| *p != problem)
            {
                continue;
            }
            out.tickets.opened += 1;
            *out.tickets.by_kind.entry(kind.clone()).or_default() += 1;
            *out.tickets.by_day.entry(day).or_default() += 1;
            *out.problems
                .entry(problem)
                .or_default()
                .escalated
                .entry(kind)
                .or_default() += 1;
            if let Some(r) = resolved {
                durations.push(r - created);
            }
        }
        durations.sort_unstable();
        out.tickets.resolved = durations.len() as i64;
        let n = durations.len();
        if n > 0 {
            let lo = (n - 1) / 2;
            out.tickets.median_resolution_ms = median_of_middle(&durations[lo..n - lo]);
        }
        Ok(out)
    })
}
