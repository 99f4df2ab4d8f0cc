//! The rules that keep the insight counters, the same for every backend: how an event moves its
//! visit's attempt on, and which counters that bumps. Each backend reads the attempts and writes
//! what a [`Tally`] gathered in its own SQL (`sqlite::rollups`, `postgres::rollups`).
//!
//! Days and hours are the installation's local ones ([`Zone::local_day`], [`Zone::local_hour`]):
//! one offset lookup per event in the zone the writer was handed, no allocation.
//!
//! Each visit has at most one attempt in progress: its latest `symptom` and what followed it
//! (definitions in docs/INSIGHTS.md). [`Attempt::apply`] moves an attempt on by one event and
//! notes the counters it bumps in a [`Tally`]; a backend applies a whole batch of events in
//! memory and then writes every attempt it touched and every counter in one statement each.
//!
//! `insight_attempts.ticket_opened` and the escalation counters are not kept here but by
//! triggers on `tickets`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::domain::path::{Event, EventKind, Name};
use crate::domain::time::{Timestamp, Zone};

/// The zone the counters are keyed in, shared by a store and its writes. Read once per group
/// of writes (a clone shares the zone's rules, no allocation); changed only by a rebuild, inside
/// the writer.
#[derive(Clone, Debug, Default)]
pub(in crate::store) struct RollupZone(Arc<RwLock<Zone>>);

impl RollupZone {
    pub(in crate::store) fn new(zone: Zone) -> RollupZone {
        RollupZone(Arc::new(RwLock::new(zone)))
    }

    /// The zone now.
    pub(in crate::store) fn get(&self) -> Zone {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(in crate::store) fn set(&self, zone: Zone) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = zone;
    }
}

/// An attempt as `insight_attempts` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::store) struct Attempt {
    pub id: i64,
    pub visit_id: String,
    pub seq: i64,
    pub problem_id: Name,
    pub day: i64,
    pub started_at: i64,
    pub last_at: i64,
    pub step_id: Name,
    pub via_step: Option<Name>,
    pub steps: String,
    pub outcome_kind: Option<Name>,
    pub outcome_step: Option<Name>,
    pub ended_at: Option<i64>,
}

/// The counters bumped and the attempts changed by a run of events, not yet written.
#[derive(Debug, Default)]
pub(in crate::store) struct Tally {
    /// `insight_daily`: (day, problem, measure, step, outcome kind) to attempts.
    pub daily: HashMap<(i64, String, &'static str, String, String), i64>,
    /// `insight_hourly`: (hour, problem) to attempts started.
    pub hourly: HashMap<(i64, String), i64>,
    /// Every attempt started or moved on, as it stands now, by id.
    pub attempts: HashMap<i64, Attempt>,
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
    pub(in crate::store) fn count_kept(
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
}

fn has_step(steps: &str, node: &str) -> bool {
    steps.split('|').any(|s| s == node)
}

impl Attempt {
    /// Counts `e`, just recorded on `visit`, against the visit's current attempt `current`
    /// (`None` before its first symptom), which it may replace by a new one; days and hours in
    /// `zone`.
    pub(in crate::store) fn apply(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_matched_whole() {
        assert!(has_step("|check-internet|isp|", "isp"));
        assert!(!has_step("|check-internet|", "check"));
    }
}
