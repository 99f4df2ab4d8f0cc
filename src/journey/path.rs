//! A customer's path through the guide, derived from the visit's recorded events.
//!
//! Events are only ever appended; the path (which steps the customer went through and what they
//! answered) is replayed from them, so going back a step or starting over never erases history.

use std::sync::Arc;

use crate::time::Timestamp;

/// A name an event carries (a guide version, a problem, a step): shared by every event that
/// names the same thing, so copying an event copies pointers, not text.
pub type Name = Arc<str>;

/// What a recorded event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The customer picked a symptom (or started it over); `node_id` is its first step.
    Symptom,
    /// A step page was shown.
    Shown,
    /// The customer answered `node_id` with `choice_index`, leading to `next_id`.
    Choice,
    /// The customer went back a step from `node_id`.
    Back,
    /// The customer reached the ending `node_id`.
    Outcome,
}

impl EventKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Symptom => "symptom",
            EventKind::Shown => "shown",
            EventKind::Choice => "choice",
            EventKind::Back => "back",
            EventKind::Outcome => "outcome",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            EventKind::Symptom,
            EventKind::Shown,
            EventKind::Choice,
            EventKind::Back,
            EventKind::Outcome,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One recorded event of a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Database id; an outcome's id identifies its escalation.
    pub id: i64,
    /// Position within the visit, from 1.
    pub seq: i64,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// The guide version the customer was reading.
    pub guide_version: Name,
    /// The problem.
    pub problem_id: Name,
    /// The step or ending concerned.
    pub node_id: Name,
    /// For a choice: which answer.
    pub choice_index: Option<i64>,
    /// For a choice: where it led.
    pub next_id: Option<Name>,
    /// For an outcome: its kind's stored name.
    pub outcome_kind: Option<Name>,
}

/// One step of the path: shown at a time, perhaps answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    /// The guide version the step was shown from.
    pub guide_version: Name,
    /// The step (or ending) id.
    pub node_id: Name,
    /// When the customer reached it.
    pub shown_at: Timestamp,
    /// Their answer and when they gave it; `None` for the step they are on.
    pub answer: Option<(i64, Timestamp)>,
}

/// The path of the current problem: where the customer is and how they got there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path {
    /// The problem being worked through, if any.
    pub problem_id: Option<Name>,
    /// The steps in order; the last is where the customer is now.
    pub steps: Vec<PathStep>,
}

impl Path {
    /// Replays a visit's events, oldest first.
    pub fn replay<'e>(events: impl IntoIterator<Item = &'e Event>) -> Path {
        let mut path = Path::default();
        for e in events {
            path.apply(e);
        }
        path
    }

    /// Applies one more event.
    pub fn apply(&mut self, e: &Event) {
        let step = |node_id: &Name| PathStep {
            guide_version: e.guide_version.clone(),
            node_id: node_id.clone(),
            shown_at: e.at,
            answer: None,
        };
        let same_problem = self.problem_id.as_deref() == Some(&*e.problem_id);
        match e.kind {
            EventKind::Symptom => {
                self.problem_id = Some(e.problem_id.clone());
                self.steps = vec![step(&e.node_id)];
            }
            EventKind::Shown | EventKind::Outcome => {
                if !same_problem {
                    self.problem_id = Some(e.problem_id.clone());
                    self.steps = vec![step(&e.node_id)];
                } else if !self.steps.iter().any(|s| s.node_id == e.node_id) {
                    // A step reached without a recorded choice (a bookmark, a typed URL).
                    self.steps.push(step(&e.node_id));
                }
            }
            EventKind::Choice => {
                if !same_problem {
                    self.problem_id = Some(e.problem_id.clone());
                    self.steps.clear();
                }
                match self.steps.iter().rposition(|s| s.node_id == e.node_id) {
                    Some(i) => self.steps.truncate(i + 1),
                    None => self.steps.push(step(&e.node_id)),
                }
                if let Some(last) = self.steps.last_mut() {
                    last.answer = Some((e.choice_index.unwrap_or(0), e.at));
                }
                if let Some(next) = &e.next_id {
                    self.steps.push(step(next));
                }
            }
            EventKind::Back => {
                if same_problem
                    && self.steps.len() > 1
                    && self.steps.last().is_some_and(|s| s.node_id == e.node_id)
                {
                    self.steps.pop();
                    if let Some(last) = self.steps.last_mut() {
                        last.answer = None;
                    }
                }
            }
        }
    }

    /// The step the customer is on, if in `problem`.
    pub fn current(&self, problem: &str) -> Option<&PathStep> {
        if self.problem_id.as_deref() == Some(problem) {
            self.steps.last()
        } else {
            None
        }
    }

    /// The answer already recorded at `node` of `problem`, if the customer gave one.
    pub fn answer_at(&self, problem: &str, node: &str) -> Option<i64> {
        if self.problem_id.as_deref() != Some(problem) {
            return None;
        }
        let i = self.steps.iter().rposition(|s| &*s.node_id == node)?;
        // Only an answer that still leads somewhere on the path counts as already given.
        if i + 1 < self.steps.len() {
            self.steps[i].answer.map(|(c, _)| c)
        } else {
            None
        }
    }

    /// The answered steps before the current one.
    pub fn answered(&self) -> impl Iterator<Item = &PathStep> {
        self.steps.iter().filter(|s| s.answer.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, kind: EventKind, node: &str, choice: Option<(i64, &str)>) -> Event {
        Event {
            id: seq,
            seq,
            at: Timestamp(seq * 1000),
            kind,
            guide_version: "v1".into(),
            problem_id: "p".into(),
            node_id: node.into(),
            choice_index: choice.map(|c| c.0),
            next_id: choice.map(|c| c.1.into()),
            outcome_kind: None,
        }
    }

    #[test]
    fn choices_extend_the_path_and_back_undoes_the_last() {
        let events = [
            ev(1, EventKind::Symptom, "a", None),
            ev(2, EventKind::Choice, "a", Some((1, "b"))),
            ev(3, EventKind::Choice, "b", Some((0, "c"))),
            ev(4, EventKind::Back, "c", None),
        ];
        let path = Path::replay(&events);
        let ids: Vec<_> = path.steps.iter().map(|s| &*s.node_id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(path.steps[0].answer, Some((1, Timestamp(2000))));
        assert_eq!(path.steps[1].answer, None);
        assert_eq!(path.answer_at("p", "a"), Some(1));
        assert_eq!(path.answer_at("p", "b"), None);
    }

    #[test]
    fn answering_an_earlier_step_again_rewrites_the_rest() {
        let events = [
            ev(1, EventKind::Symptom, "a", None),
            ev(2, EventKind::Choice, "a", Some((1, "b"))),
            ev(3, EventKind::Choice, "b", Some((0, "c"))),
            ev(4, EventKind::Choice, "a", Some((0, "fixed"))),
        ];
        let path = Path::replay(&events);
        let ids: Vec<_> = path.steps.iter().map(|s| &*s.node_id).collect();
        assert_eq!(ids, ["a", "fixed"]);
    }
}
