//! Guide insights: attempts, where they end, where customers give up, and how long tickets take.
//!
//! Counters are kept up to date in the transaction that records each event (`super::rollups`)
//! and each status change ([`track_status`]), so a question about any date range reads a few thousand rows
//! however many events there are.
//! [`InsightStore::insights_from_events`] answers the same question from the raw events, the plainest
//! statement of the definitions ([`super::insights_raw`]); tests hold the two to the same answers.
//! The exports' rows are read in [`super::exports`].
//!
//! Definitions (also in docs/INSIGHTS.md):
//! - An **attempt** starts at each `symptom` event (a restart of the same problem is a new attempt).
//!   Its events are those of the same problem that follow it in the visit, up to the visit's next
//!   `symptom` event; its **outcome** is the first `outcome` among them, and later events change
//!   nothing.
//! - An attempt without an outcome is **abandoned** once its latest event is 30 minutes old or
//!   more at the time of the question, and **in progress** before that.
//! - An outcome was reached **from** the step whose choice led straight to it.
//! - Every attempt figure is counted on the local day the attempt started, in the installation's
//!   zone (`super::rebuild`); hours and weekdays are local too.
//! - **Escalated** counts tickets opened, on the local day each was opened, so it adds up to the
//!   tickets table; a "something else" ticket (kind `not-in-guide`) has problem `""`.
//! - **Left at a contact point**: attempts whose outcome is an escalation (`iims-support`,
//!   `account-manager`, `guide-ended`) from which no ticket was opened (from that outcome or a
//!   later ending of the same attempt), counted on the day the attempt started; a ticket opened
//!   later moves the attempt out.
//! - The `not-in-guide` outcome event ("something else", problem `""`, no symptom before it)
//!   starts no attempt and counts in no attempt figure; its ticket counts as escalated.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::Row;

use super::{Conn, Pool, Shared, exports, insights_raw, on_conn, on_pool, rebuild};
use crate::domain::time::{Zone, weekday};
use crate::store::{
    CONTACT_KINDS, EventExport, ExportFilter, InsightQuery, InsightStore, Insights, StoreError,
    TicketExport,
};

// ---------------------------------------------------------------------------------------------
// Keeping the resolution counters, inside the transaction that changes a ticket's status.
// (The event counters are kept by `super::rollups`.)

/// Notes a ticket's status change: its first move to resolved (or closed) is its resolution.
pub(in crate::store) async fn track_status(
    conn: Conn<'_>,
    ticket_id: &str,
    at: i64,
    status: &str,
) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
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
            // Counted on the local day the ticket was opened, as the trigger counts the ticket.
            sqlx::query(&format!(
            "INSERT INTO insight_resolution_hours (day, problem_id, hours, tickets)
             SELECT {}, problem_id, hours, 1 FROM insight_resolutions WHERE ticket_id = $1
             ON CONFLICT (day, problem_id, hours) DO UPDATE SET tickets = insight_resolution_hours.tickets + 1",
            rebuild::local_day_sql("insight_resolutions.created_at")
        ))
        .bind(ticket_id)
        .execute(&mut *conn)
        .await?;
        }
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The figures, from the counters.

#[async_trait]
impl<S: Shared> InsightStore for S {
    async fn insights(&self, q: &InsightQuery) -> Result<Insights, StoreError> {
        insights(self.pool(), self.zone(), q).await
    }

    async fn insights_from_events(&self, q: &InsightQuery) -> Result<Insights, StoreError> {
        insights_raw::insights_from_raw(self.pool(), self.zone(), q).await
    }

    fn insight_zone(&self) -> Zone {
        self.zone()
    }

    async fn use_zone(&self, zone: &Zone) -> Result<bool, StoreError> {
        key_counters(self, zone.clone(), false).await
    }

    async fn rebuild_insights(&self) -> Result<(), StoreError> {
        key_counters(self, self.zone(), true).await.map(|_| ())
    }

    async fn tickets_for_export(
        &self,
        filter: &ExportFilter,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<TicketExport>, StoreError> {
        exports::export_tickets(self.pool(), filter, after, limit).await
    }

    async fn events_for_export(
        &self,
        filter: &ExportFilter,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<EventExport>, StoreError> {
        exports::export_events(self.pool(), filter, after, limit).await
    }
}

/// Keys the counters by `zone` in one transaction (rebuilding them if needed, or `always`); the
/// shared zone goes back if the transaction does not commit.
async fn key_counters<S: Shared>(store: &S, zone: Zone, always: bool) -> Result<bool, StoreError> {
    let before = store.zone();
    let shared = store.rollup_zone().clone();
    let result = store
        .transaction(move |conn| {
            Box::pin(async move { rebuild::key_by(conn, &shared, zone, always).await })
        })
        .await;
    if result.is_err() {
        store.rollup_zone().set(before);
    }
    result
}

/// The figures for `q`, from the counters keyed in `zone`: see
/// [`InsightStore::insights`](crate::store::InsightStore::insights).
pub(in crate::store) async fn insights(
    pool: Pool<'_>,
    zone: Zone,
    q: &InsightQuery,
) -> Result<Insights, StoreError> {
    on_pool!(pool, |pool| {
        let mut conn = pool.acquire().await?;
        let mut out = Insights::default();
        let problem = q.problem.as_deref();

        let rows = sqlx::query(
            "SELECT problem_id, measure, step_id, outcome_kind, CAST(SUM(attempts) AS BIGINT) AS n FROM insight_daily
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
            "SELECT day, outcome_kind, CAST(SUM(attempts) AS BIGINT) AS n FROM insight_daily
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
                    CAST(SUM(CASE WHEN last_at <= $4 THEN 1 ELSE 0 END) AS BIGINT) AS abandoned,
                    CAST(SUM(CASE WHEN last_at > $4 THEN 1 ELSE 0 END) AS BIGINT) AS active
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

        // Local hours: the local day number * 24 + the hour of the day.
        let rows = sqlx::query(
            "SELECT hour, CAST(SUM(started) AS BIGINT) AS n FROM insight_hourly
             WHERE hour >= $1 AND hour < $2 AND ($3 IS NULL OR problem_id = $3)
             GROUP BY hour",
        )
        .bind(q.from_day * 24)
        .bind((q.to_day + 1) * 24)
        .bind(problem)
        .fetch_all(&mut *conn)
        .await?;
        let mut by_day: BTreeMap<i64, i64> = BTreeMap::new();
        for r in rows {
            let hour: i64 = r.try_get("hour")?;
            let n: i64 = r.try_get("n")?;
            out.hours[hour.rem_euclid(24) as usize] += n;
            *by_day.entry(hour.div_euclid(24)).or_default() += n;
        }
        for (day, n) in by_day {
            out.weekdays[weekday(day)] += n;
        }

        // Escalations are tickets opened, by the day each was opened (kept by a trigger on the
        // tickets table, so they add up to it).
        let rows = sqlx::query(
            "SELECT day, problem_id, outcome_kind, CAST(SUM(tickets) AS BIGINT) AS n FROM insight_tickets
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
            "SELECT problem_id, outcome_kind, CAST(SUM(attempts) AS BIGINT) AS n FROM insight_contacts_sent
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
            "SELECT hours, CAST(SUM(tickets) AS BIGINT) FROM insight_resolution_hours
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
        // The tickets opened from the first local midnight of the range to the one after it.
        let (start, until) = (
            zone.start_of_day(q.from_day),
            zone.start_of_day(q.to_day + 1),
        );
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
                        .bind(start.millis())
                        .bind(until.millis())
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
    })
}

/// The median from the one or two middle values.
pub(super) fn median_of_middle(middle: &[i64]) -> Option<i64> {
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
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median_of_middle(&[5]), Some(5));
        assert_eq!(median_of_middle(&[4, 7]), Some(5));
        assert_eq!(median_of_middle(&[]), None);
    }
}
