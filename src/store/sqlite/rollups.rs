//! Keeping the insight counters up to date as events are recorded.
//!
//! Days and hours are the installation's local ones ([`Zone::local_day`], [`Zone::local_hour`]):
//! one offset lookup per event in the zone the writer was handed, no allocation.
//!
//! Each visit has at most one attempt in progress: its latest `symptom` and what followed it
//! (definitions in [`super::insights`]). [`Attempt::apply`] moves an attempt on by one event and
//! notes the counters it bumps in a [`Tally`]; the writer applies a whole batch of events in
//! memory and then writes every attempt it touched and every counter in one statement each, so
//! the counters cost a few statements per batch, not several per event.
//!
//! `insight_attempts.ticket_opened` and the escalation counters are not kept here but by
//! triggers on `tickets` (migration `20261206000003`): the upsert below never touches them.

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::batches;
use crate::domain::path::{Event, EventKind, Name};
use crate::domain::time::{Timestamp, Zone};
use crate::store::StoreError;

/// An attempt as `insight_attempts` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attempt {
    id: i64,
    visit_id: String,
    seq: i64,
    problem_id: Name,
    day: i64,
    started_at: i64,
    last_at: i64,
    step_id: Name,
    via_step: Option<Name>,
    steps: String,
    outcome_kind: Option<Name>,
    outcome_step: Option<Name>,
    ended_at: Option<i64>,
}

/// The counters bumped and the attempts changed by a run of events, not yet written.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// `insight_daily`: (day, problem, measure, step, outcome kind) to attempts.
    daily: HashMap<(i64, String, &'static str, String, String), i64>,
    /// `insight_hourly`: (hour, problem) to attempts started.
    hourly: HashMap<(i64, String), i64>,
    /// Every attempt started or moved on, as it stands now, by id.
    attempts: HashMap<i64, Attempt>,
}

impl Tally {
    fn bump(&mut self, day: i64, problem: &str, measure: &'static str, step: &str, kind: &str) {
        *self
            .daily
            .entry((day, problem.into(), measure, step.into(), kind.into()))
            .or_default() += 1;
    }

    /// Counts an attempt whose events are gone (retention deleted its visit) as they counted it:
    /// started on `day` and in its local hour, each step in `steps` (`|a|b|`) reached, and its
    /// outcome `(kind, from step)` if it had one.
    pub(super) fn count_kept(
        &mut self,
        day: i64,
        problem: &str,
        started_at: Timestamp,
        steps: &str,
        outcome: Option<(&str, &str)>,
        zone: &Zone,
    ) {
        self.bump(day, problem, "started", "", "");
        for step in steps.split('|').filter(|s| !s.is_empty()) {
            self.bump(day, problem, "reached", step, "");
        }
        if let Some((kind, from)) = outcome {
            self.bump(day, problem, "outcome", from, kind);
        }
        *self
            .hourly
            .entry((zone.local_hour(started_at), problem.to_string()))
            .or_default() += 1;
    }

    /// Writes the attempts and counters, a few statements in all.
    pub(super) async fn write(self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        let attempts: Vec<Attempt> = self.attempts.into_values().collect();
        for chunk in batches(&attempts) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO insight_attempts (id, visit_id, seq, problem_id, day, started_at, last_at,
                    step_id, via_step, steps, outcome_kind, outcome_step, ended_at) ",
            );
            q.push_values(chunk, |mut row, a| {
                row.push_bind(a.id)
                    .push_bind(&a.visit_id)
                    .push_bind(a.seq)
                    .push_bind(&*a.problem_id)
                    .push_bind(a.day)
                    .push_bind(a.started_at)
                    .push_bind(a.last_at)
                    .push_bind(&*a.step_id)
                    .push_bind(a.via_step.as_deref())
                    .push_bind(&a.steps)
                    .push_bind(a.outcome_kind.as_deref())
                    .push_bind(a.outcome_step.as_deref())
                    .push_bind(a.ended_at);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET last_at = excluded.last_at, step_id = excluded.step_id,
                    via_step = excluded.via_step, steps = excluded.steps, outcome_kind = excluded.outcome_kind,
                    outcome_step = excluded.outcome_step, ended_at = excluded.ended_at",
            );
            q.build().execute(&mut *conn).await?;
        }
        let daily: Vec<_> = self.daily.into_iter().collect();
        for chunk in batches(&daily) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO insight_daily (day, problem_id, measure, step_id, outcome_kind, attempts) ",
            );
            q.push_values(
                chunk,
                |mut row, ((day, problem, measure, step, kind), n)| {
                    row.push_bind(*day)
                        .push_bind(problem)
                        .push_bind(*measure)
                        .push_bind(step)
                        .push_bind(kind)
                        .push_bind(*n);
                },
            );
            q.push(
                " ON CONFLICT (day, problem_id, measure, step_id, outcome_kind)
                  DO UPDATE SET attempts = insight_daily.attempts + excluded.attempts",
            );
            q.build().execute(&mut *conn).await?;
        }
        let hourly: Vec<_> = self.hourly.into_iter().collect();
        for chunk in batches(&hourly) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO insight_hourly (hour, problem_id, started) ",
            );
            q.push_values(chunk, |mut row, ((hour, problem), n)| {
                row.push_bind(*hour).push_bind(problem).push_bind(*n);
            });
            q.push(
                " ON CONFLICT (hour, problem_id) DO UPDATE SET started = insight_hourly.started + excluded.started",
            );
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    }
}

fn has_step(steps: &str, node: &str) -> bool {
    steps.split('|').any(|s| s == node)
}

impl Attempt {
    /// Counts `e`, just recorded on `visit`, against the visit's current attempt `current`
    /// (`None` before its first symptom), which it may replace by a new one; days and hours in
    /// `zone`.
    pub(super) fn apply(
        current: &mut Option<Attempt>,
        visit: &str,
        e: &Event,
        zone: &Zone,
        tally: &mut Tally,
    ) {
        let at = e.at.millis();
        if e.kind == EventKind::Symptom {
            let day = zone.local_day(e.at);
            let attempt = Attempt {
                id: e.id,
                visit_id: visit.to_string(),
                seq: e.seq,
                problem_id: e.problem_id.clone(),
                day,
                started_at: at,
                last_at: at,
                step_id: e.node_id.clone(),
                via_step: None,
                steps: format!("|{}|", e.node_id),
                outcome_kind: None,
                outcome_step: None,
                ended_at: None,
            };
            tally.bump(day, &e.problem_id, "started", "", "");
            tally.bump(day, &e.problem_id, "reached", &e.node_id, "");
            *tally
                .hourly
                .entry((zone.local_hour(e.at), e.problem_id.to_string()))
                .or_default() += 1;
            tally.attempts.insert(attempt.id, attempt.clone());
            *current = Some(attempt);
            return;
        }
        // Before any symptom there is no attempt to count the event in; after the attempt's
        // outcome, or on another problem's page, the event changes nothing. So the "something
        // else" event (outcome `not-in-guide`, problem "", no symptom before it) counts in no
        // attempt, and leaves an attempt in progress in the same visit as it was; its ticket is
        // counted as an escalation by the triggers on `tickets`.
        let Some(a) = current.as_mut() else { return };
        if a.problem_id != e.problem_id || a.outcome_kind.is_some() {
            return;
        }
        let mut reached = None;
        match (e.kind, &e.next_id) {
            (EventKind::Choice, Some(next)) => {
                a.via_step = Some(e.node_id.clone());
                a.step_id = next.clone();
            }
            (EventKind::Shown, _) => {
                a.via_step = None;
                a.step_id = e.node_id.clone();
                reached = Some(&e.node_id);
            }
            (EventKind::Outcome, _) => {
                let from = if a.step_id == e.node_id {
                    a.via_step.take()
                } else {
                    None
                };
                a.via_step = None;
                a.step_id = e.node_id.clone();
                reached = Some(&e.node_id);
                let kind = e.outcome_kind.clone().unwrap_or_default();
                tally.bump(
                    a.day,
                    &a.problem_id,
                    "outcome",
                    from.as_deref().unwrap_or(""),
                    &kind,
                );
                a.outcome_kind = Some(kind);
                a.outcome_step = from;
                a.ended_at = Some(at);
            }
            // "back", or a choice that leads nowhere: activity, not a move.
            _ => {}
        }
        if let Some(node) = reached
            && !has_step(&a.steps, node)
        {
            a.steps.push_str(node);
            a.steps.push('|');
            tally.bump(a.day, &a.problem_id, "reached", node, "");
        }
        a.last_at = a.last_at.max(at);
        tally.attempts.insert(a.id, a.clone());
    }
}

fn attempt(row: &SqliteRow) -> Result<Attempt, sqlx::Error> {
    Ok(Attempt {
        id: row.try_get("id")?,
        visit_id: row.try_get("visit_id")?,
        seq: row.try_get("seq")?,
        problem_id: row.try_get::<&str, _>("problem_id")?.into(),
        day: row.try_get("day")?,
        started_at: row.try_get("started_at")?,
        last_at: row.try_get("last_at")?,
        step_id: row.try_get::<&str, _>("step_id")?.into(),
        via_step: row.try_get::<Option<&str>, _>("via_step")?.map(Name::from),
        steps: row.try_get("steps")?,
        outcome_kind: row
            .try_get::<Option<&str>, _>("outcome_kind")?
            .map(Name::from),
        outcome_step: row
            .try_get::<Option<&str>, _>("outcome_step")?
            .map(Name::from),
        ended_at: row.try_get("ended_at")?,
    })
}

/// The latest attempt of each of `visits` that has one, read inside the writer.
pub(super) async fn latest_attempts(
    conn: &mut SqliteConnection,
    visits: &[String],
) -> Result<HashMap<String, Attempt>, StoreError> {
    let mut latest: HashMap<String, Attempt> = HashMap::with_capacity(visits.len());
    for chunk in batches(visits) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, visit_id, seq, problem_id, day, started_at, last_at, step_id, via_step, steps,
                    outcome_kind, outcome_step, ended_at
             FROM insight_attempts WHERE visit_id IN (",
        );
        let mut list = q.separated(", ");
        for visit in chunk {
            list.push_bind(visit);
        }
        q.push(") ORDER BY visit_id, seq");
        // Ordered by position, so the last row of each visit is its latest attempt.
        for row in q.build().fetch_all(&mut *conn).await? {
            let a = attempt(&row)?;
            latest.insert(a.visit_id.clone(), a);
        }
    }
    Ok(latest)
}

/// The visit's latest attempt, read inside the writer.
pub(super) async fn latest_attempt(
    conn: &mut SqliteConnection,
    visit: &str,
) -> Result<Option<Attempt>, StoreError> {
    let row = sqlx::query(
        "SELECT id, visit_id, seq, problem_id, day, started_at, last_at, step_id, via_step, steps,
                outcome_kind, outcome_step, ended_at
         FROM insight_attempts WHERE visit_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(visit)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(attempt).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_matched_whole() {
        assert!(has_step("|check-internet|isp|", "isp"));
        assert!(!has_step("|check-internet|", "check"));
    }
}
