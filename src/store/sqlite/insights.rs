//! Guide insights: attempts, where they end, where customers give up, and how long tickets take.
//!
//! Counters are kept up to date by the writer as it records each event (`super::rollups`) and each
//! status change ([`track_status`]), so a question about any date range reads a few thousand rows
//! however many events there are.
//! [`InsightStore::insights_from_events`] answers the same question from the raw events, the plainest
//! statement of the definitions; tests hold the two to the same answers.
//!
//! Definitions (also in docs/INSIGHTS.md):
//! - An **attempt** starts at each `symptom` event (a restart of the same problem is a new attempt).
//!   Its events are those of the same problem that follow it in the visit, up to the visit's next
//!   `symptom` event; its **outcome** is the first `outcome` among them, and later events change
//!   nothing.
//! - An attempt without an outcome is **abandoned** once its latest event is 30 minutes old or
//!   more at the time of the question, and **in progress** before that.
//! - An outcome was reached **from** the step whose choice led straight to it.
//! - Every attempt figure is counted on the UTC day the attempt started.
//! - **Escalated** counts tickets opened, on the UTC day each was opened, so it adds up to the
//!   tickets table; a "something else" ticket (kind `not-in-guide`) has problem `""`.
//! - **Left at a contact point**: attempts whose outcome is an escalation (`iims-support`,
//!   `account-manager`, `guide-ended`) from which no ticket was opened (from that outcome or a
//!   later ending of the same attempt), counted on the day the attempt started; a ticket opened
//!   later moves the attempt out.
//! - The `not-in-guide` outcome event ("something else", problem `""`, no symptom before it)
//!   starts no attempt and counts in no attempt figure; its ticket counts as escalated.

use async_trait::async_trait;
use std::collections::BTreeMap;

use sqlx::{Row, SqliteConnection};

use super::SqliteStore;
use crate::domain::time::Timestamp;
use crate::store::{
    CONTACT_KINDS, DAY_MS, EventExport, ExportFilter, HOUR_MS, InsightQuery, InsightStore,
    Insights, StoreError, TicketExport, weekday,
};

// ---------------------------------------------------------------------------------------------
// Keeping the resolution counters, inside the writer job that changes a ticket's status.
// (The event counters are kept by `super::rollups`.)

/// Notes a ticket's status change: its first move to resolved (or closed) is its resolution.
pub(super) async fn track_status(
    conn: &mut SqliteConnection,
    ticket_id: &str,
    at: i64,
    status: &str,
) -> Result<(), StoreError> {
    if status != "resolved" && status != "closed" {
        return Ok(());
    }
    let first = sqlx::query(
        "INSERT INTO insight_resolutions (ticket_id, problem_id, created_at, resolved_at, hours)
         SELECT id, problem_id, created_at, $2, ($2 - created_at) / 3600000 FROM tickets WHERE id = $1
         ON CONFLICT (ticket_id) DO NOTHING",
    )
    .bind(ticket_id)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if first {
        sqlx::query(
            "INSERT INTO insight_resolution_hours (day, problem_id, hours, tickets)
             SELECT created_at / 86400000, problem_id, hours, 1 FROM insight_resolutions WHERE ticket_id = $1
             ON CONFLICT (day, problem_id, hours) DO UPDATE SET tickets = insight_resolution_hours.tickets + 1",
        )
        .bind(ticket_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The migration's backfill: everything after its marker line.
const MIGRATION: &str = include_str!("../../../migrations/20261126000003_insights.sql");
const BACKFILL_MARKER: &str = "-- Backfill from what is already recorded";
/// The escalation counters' migration, whose backfill runs after the first one's.
const ESCALATIONS_MIGRATION: &str =
    include_str!("../../../migrations/20261206000003_insight_escalations.sql");
const ESCALATIONS_BACKFILL_MARKER: &str = "-- Backfill from the tickets already opened";

/// The statements after `marker` in `migration`, one at a time: each ends a line with `;`, and
/// none has one inside.
fn backfill(migration: &'static str, marker: &str) -> Vec<&'static str> {
    let start = migration
        .find(marker)
        .expect("the migration has a backfill");
    migration[start..]
        .split(";\n")
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Exports.

#[async_trait]
impl InsightStore for SqliteStore {
    async fn insights(&self, q: &InsightQuery) -> Result<Insights, StoreError> {
        let mut conn = self.read.acquire().await?;
        let mut out = Insights::default();
        let problem = q.problem.as_deref();

        let rows = sqlx::query(
            "SELECT problem_id, measure, step_id, outcome_kind, SUM(attempts) AS n FROM insight_daily
             WHERE day >= $1 AND day <= $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY problem_id, measure, step_id, outcome_kind",
        )
        .bind(q.from_day)
        .bind(q.to_day)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let pid: String = r.try_get("problem_id")?;
            let measure: String = r.try_get("measure")?;
            let step: String = r.try_get("step_id")?;
            let kind: String = r.try_get("outcome_kind")?;
            let n: i64 = r.try_get("n")?;
            let p = out.problems.entry(pid).or_default();
            match measure.as_str() {
                "started" => p.tally.started += n,
                "reached" => p.steps.entry(step).or_default().reached += n,
                _ => {
                    *p.tally.outcomes.entry(kind.clone()).or_default() += n;
                    *p.steps
                        .entry(step)
                        .or_default()
                        .outcomes
                        .entry(kind)
                        .or_default() += n;
                }
            }
        }

        let rows = sqlx::query(
            "SELECT day, outcome_kind, SUM(attempts) AS n FROM insight_daily
             WHERE day >= $1 AND day <= $2 AND ($3 IS NULL OR problem_id = $3) AND measure IN ('started', 'outcome')
             GROUP BY day, outcome_kind",
        )
        .bind(q.from_day)
        .bind(q.to_day)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let day: i64 = r.try_get("day")?;
            let kind: String = r.try_get("outcome_kind")?;
            let n: i64 = r.try_get("n")?;
            let d = out.days.entry(day).or_default();
            if kind.is_empty() {
                d.started += n;
            } else {
                *d.outcomes.entry(kind).or_default() += n;
            }
        }

        let rows = sqlx::query(
            "SELECT day, problem_id, step_id,
                    SUM(CASE WHEN last_at <= $4 THEN 1 ELSE 0 END) AS abandoned,
                    SUM(CASE WHEN last_at > $4 THEN 1 ELSE 0 END) AS active
             FROM insight_attempts
             WHERE outcome_kind IS NULL AND day >= $1 AND day <= $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY day, problem_id, step_id",
        )
        .bind(q.from_day)
        .bind(q.to_day)
        .bind(problem)
        .bind(q.abandoned_before())
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let day: i64 = r.try_get("day")?;
            let pid: String = r.try_get("problem_id")?;
            let step: String = r.try_get("step_id")?;
            let abandoned: i64 = r.try_get("abandoned")?;
            let active: i64 = r.try_get("active")?;
            let p = out.problems.entry(pid).or_default();
            p.tally.abandoned += abandoned;
            p.tally.in_progress += active;
            let s = p.steps.entry(step).or_default();
            s.abandoned += abandoned;
            s.in_progress += active;
            let d = out.days.entry(day).or_default();
            d.abandoned += abandoned;
            d.in_progress += active;
        }

        let rows = sqlx::query(
            "SELECT hour, SUM(started) AS n FROM insight_hourly
             WHERE hour >= $1 AND hour < $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY hour",
        )
        .bind(q.from_day * 24)
        .bind((q.to_day + 1) * 24)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let hour: i64 = r.try_get("hour")?;
            let n: i64 = r.try_get("n")?;
            out.hours[hour.rem_euclid(24) as usize] += n;
            out.weekdays[weekday(hour.div_euclid(24))] += n;
        }

        // Escalations are tickets opened, by the day each was opened (kept by a trigger on the
        // tickets table, so they add up to it).
        let rows = sqlx::query(
            "SELECT day, problem_id, outcome_kind, SUM(tickets) AS n FROM insight_tickets
             WHERE day >= $1 AND day <= $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY day, problem_id, outcome_kind HAVING SUM(tickets) <> 0",
        )
        .bind(q.from_day)
        .bind(q.to_day)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let day: i64 = r.try_get("day")?;
            let pid: String = r.try_get("problem_id")?;
            let kind: String = r.try_get("outcome_kind")?;
            let n: i64 = r.try_get("n")?;
            out.tickets.opened += n;
            *out.tickets.by_kind.entry(kind.clone()).or_default() += n;
            *out.tickets.by_day.entry(day).or_default() += n;
            *out.problems
                .entry(pid)
                .or_default()
                .escalated
                .entry(kind)
                .or_default() += n;
        }

        // Left at a contact point: the attempts with an escalating outcome, less those a ticket
        // was opened from.
        let rows = sqlx::query(
            "SELECT problem_id, outcome_kind, SUM(attempts) AS n FROM insight_contacts_sent
             WHERE day >= $1 AND day <= $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY problem_id, outcome_kind",
        )
        .bind(q.from_day)
        .bind(q.to_day)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        let mut sent: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in rows {
            sent.insert(
                (r.try_get("problem_id")?, r.try_get("outcome_kind")?),
                r.try_get("n")?,
            );
        }
        for (pid, p) in &mut out.problems {
            for kind in CONTACT_KINDS {
                let reached = p.tally.outcome(kind);
                let sent = sent
                    .get(&(pid.clone(), kind.to_string()))
                    .copied()
                    .unwrap_or(0);
                if reached > sent {
                    p.left.insert(kind.to_string(), reached - sent);
                }
            }
        }

        // The median without sorting every ticket: find the whole hour the middle falls in from
        // the counts per hour, then the exact value among that hour's tickets only.
        let hours: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT hours, SUM(tickets) FROM insight_resolution_hours
             WHERE day >= $1 AND day <= $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY hours ORDER BY hours",
        )
        .bind(q.from_day)
        .bind(q.to_day)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        let n: i64 = hours.iter().map(|h| h.1).sum();
        out.tickets.resolved = n;
        if n > 0 {
            let mut middle = Vec::new();
            // The middle rank, or the two middle ranks of an even count (0-based).
            let ranks = if n % 2 == 1 {
                vec![n / 2]
            } else {
                vec![n / 2 - 1, n / 2]
            };
            for rank in ranks {
                let mut before = 0;
                for &(hour, count) in &hours {
                    if rank < before + count {
                        let d: i64 = sqlx::query_scalar(
                            "SELECT resolved_at - created_at AS d FROM insight_resolutions
                             WHERE hours = $4 AND created_at >= $1 AND created_at < $2
                               AND ($3 IS NULL OR problem_id = $3)
                             ORDER BY d LIMIT 1 OFFSET $5",
                        )
                        .bind(q.start_ms())
                        .bind(q.until_ms())
                        .bind(problem)
                        .bind(hour)
                        .bind(rank - before)
                        .fetch_one(&mut *conn)
                        .await?;
                        middle.push(d);
                        break;
                    }
                    before += count;
                }
            }
            out.tickets.median_resolution_ms = median_of_middle(&middle);
        }
        Ok(out)
    }

    async fn insights_from_events(&self, q: &InsightQuery) -> Result<Insights, StoreError> {
        let mut conn = self.read.acquire().await?;
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
        let mut ticketed = std::collections::HashSet::new();
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
                let day = symptom.at.div_euclid(DAY_MS);
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
                let hour = symptom.at.div_euclid(HOUR_MS);
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
            let day = created.div_euclid(DAY_MS);
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
    }

    async fn rebuild_insights(&self) -> Result<(), StoreError> {
        let mut statements = backfill(MIGRATION, BACKFILL_MARKER);
        statements.extend(backfill(ESCALATIONS_MIGRATION, ESCALATIONS_BACKFILL_MARKER));
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    for sql in [
                        "DELETE FROM insight_attempts",
                        "DELETE FROM insight_daily",
                        "DELETE FROM insight_hourly",
                        "DELETE FROM insight_resolutions",
                        "DELETE FROM insight_resolution_hours",
                        "DELETE FROM insight_tickets",
                        "DELETE FROM insight_contacts_sent",
                    ]
                    .into_iter()
                    .chain(statements)
                    {
                        sqlx::query(sql).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn tickets_for_export(
        &self,
        filter: &ExportFilter,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<TicketExport>, StoreError> {
        let (after_at, after_number) = after.unwrap_or((i64::MIN, i64::MIN));
        let rows = sqlx::query(
            "SELECT t.number, t.created_at, t.problem_id, t.outcome_kind, t.ending_id, t.status, m.name AS assignee,
                    t.customer_name, t.customer_email, t.customer_phone, t.customer_account, t.email_program,
                    t.description, r.resolved_at, t.updated_at, t.visit_id, t.outcome_event_id
             FROM tickets t
             LEFT JOIN managers m ON m.id = t.assignee_id
             LEFT JOIN insight_resolutions r ON r.ticket_id = t.id
             WHERE t.created_at >= $1 AND t.created_at < $2 AND ($3 IS NULL OR t.problem_id = $3)
               AND (t.created_at, t.number) > ($4, $5)
             ORDER BY t.created_at, t.number
             LIMIT $6",
        )
        .bind(filter.from_day * DAY_MS)
        .bind((filter.to_day + 1) * DAY_MS)
        .bind(filter.problem.as_deref())
        .bind(after_at)
        .bind(after_number)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TicketExport {
                    number: r.try_get("number")?,
                    created_at: Timestamp(r.try_get("created_at")?),
                    problem_id: r.try_get("problem_id")?,
                    outcome_kind: r.try_get("outcome_kind")?,
                    ending_id: r.try_get("ending_id")?,
                    status: r.try_get("status")?,
                    assignee: r.try_get("assignee")?,
                    customer_name: r.try_get("customer_name")?,
                    customer_email: r.try_get("customer_email")?,
                    customer_phone: r.try_get("customer_phone")?,
                    customer_account: r.try_get("customer_account")?,
                    email_program: r.try_get("email_program")?,
                    description: r.try_get("description")?,
                    resolved_at: r.try_get::<Option<i64>, _>("resolved_at")?.map(Timestamp),
                    updated_at: Timestamp(r.try_get("updated_at")?),
                    visit_id: r.try_get("visit_id")?,
                    outcome_event: r.try_get("outcome_event_id")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn events_for_export(
        &self,
        filter: &ExportFilter,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<EventExport>, StoreError> {
        let (after_at, after_id) = after.unwrap_or((i64::MIN, i64::MIN));
        let rows = sqlx::query(
            "SELECT id, visit_id, seq, at, kind, problem_id, node_id, choice_index, next_id, outcome_kind, guide_version
             FROM visit_events
             WHERE at >= $1 AND at < $2 AND ($3 IS NULL OR problem_id = $3) AND (at, id) > ($4, $5)
             ORDER BY at, id
             LIMIT $6",
        )
        .bind(filter.from_day * DAY_MS)
        .bind((filter.to_day + 1) * DAY_MS)
        .bind(filter.problem.as_deref())
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(EventExport {
                    id: r.try_get("id")?,
                    visit_id: r.try_get("visit_id")?,
                    seq: r.try_get("seq")?,
                    at: Timestamp(r.try_get("at")?),
                    kind: r.try_get("kind")?,
                    problem_id: r.try_get("problem_id")?,
                    node_id: r.try_get("node_id")?,
                    choice_index: r.try_get("choice_index")?,
                    next_id: r.try_get("next_id")?,
                    outcome_kind: r.try_get("outcome_kind")?,
                    guide_version: r.try_get("guide_version")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// The median from the one or two middle values.
fn median_of_middle(middle: &[i64]) -> Option<i64> {
    match middle {
        [m] => Some(*m),
        [a, b] => Some((a + b).div_euclid(2)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_start_on_monday() {
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday(4), 0, "1970-01-05 was a Monday");
        assert_eq!(weekday(-1), 2);
    }

    #[test]
    fn the_backfill_is_found_in_the_migration() {
        assert!(MIGRATION.contains(BACKFILL_MARKER));
        assert!(ESCALATIONS_MIGRATION.contains(ESCALATIONS_BACKFILL_MARKER));
        let statements = backfill(ESCALATIONS_MIGRATION, ESCALATIONS_BACKFILL_MARKER);
        assert_eq!(statements.len(), 4, "{statements:?}");
        assert!(statements.iter().all(|s| !s.contains("TRIGGER")));
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median_of_middle(&[5]), Some(5));
        assert_eq!(median_of_middle(&[4, 7]), Some(5));
        assert_eq!(median_of_middle(&[]), None);
    }
}
