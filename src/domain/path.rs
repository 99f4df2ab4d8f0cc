//! A customer's path through the guide, derived from the visit's recorded events.
//!
//! Events are only ever appended; the path (which steps the customer went through and what they
//! answered) is replayed from them, so going back a step or starting over never erases history.

use std::sync::Arc;

use crate::domain::time::Timestamp;

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

/// One thing the customer did, in the full reading of a path: every step shown and answered,
/// ISP referrals and the return from them, back steps and changed answers, a symptom switched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// When it happened.
    pub at: Timestamp,
    /// The guide version the customer was reading.
    pub guide_version: Name,
    /// The problem it happened in (empty for a problem not in the guide).
    pub problem_id: Name,
    /// What happened.
    pub what: Happened,
}

/// What a [`Moment`] records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happened {
    /// The customer picked a symptom, arriving at its first step `node`. `switched_from` names
    /// the problem they were working on before, `again` says they started the same one over.
    Started {
        /// The first step.
        node: Name,
        /// The problem they left for this one.
        switched_from: Option<Name>,
        /// Whether it was the same problem, started over.
        again: bool,
    },
    /// The customer opened `node` directly (a bookmark, a link), not by answering the step
    /// before it.
    CameStraight {
        /// The step or ending.
        node: Name,
    },
    /// The customer answered `node`.
    Answered {
        /// The step.
        node: Name,
        /// Which answer.
        choice: i64,
        /// Where it led.
        next: Name,
        /// The answer they had given the same step before on this path, if it differed.
        changed_from: Option<i64>,
    },
    /// The customer went back from `from` to `to` (coming back from an ISP referral is one).
    WentBack {
        /// Where they were.
        from: Name,
        /// Where they went back to.
        to: Name,
    },
    /// The customer reached an end point of the guide.
    Reached {
        /// The ending.
        node: Name,
        /// The outcome kind's stored name.
        kind: Name,
    },
}

/// Reads a visit's events, oldest first, as everything the customer did, in order. Events that
/// only repeat what is already known (a step shown again by a reload, a step shown as the answer
/// that led there) are left out.
pub fn history<'e>(events: impl IntoIterator<Item = &'e Event>) -> Vec<Moment> {
    let mut path = Path::default();
    let mut moments = Vec::new();
    let mut previous: Option<&Event> = None;
    for e in events {
        let moment = |what| Moment {
            at: e.at,
            guide_version: e.guide_version.clone(),
            problem_id: e.problem_id.clone(),
            what,
        };
        let in_problem = path.problem_id.as_deref() == Some(&*e.problem_id);
        let current = path
            .current(&e.problem_id)
            .map(|s| s.node_id.clone())
            .filter(|_| in_problem);
        let led_here = previous.is_some_and(|p| {
            p.kind == EventKind::Choice
                && *p.problem_id == *e.problem_id
                && p.next_id.as_deref() == Some(&*e.node_id)
        });
        match e.kind {
            EventKind::Symptom => moments.push(moment(Happened::Started {
                node: e.node_id.clone(),
                switched_from: path.problem_id.clone().filter(|_| !in_problem),
                again: in_problem,
            })),
            EventKind::Shown => {
                // A step already on the path, shown again, is a reload or the browser's back
                // button: what the customer then answers says what they did.
                let on_path = in_problem && path.steps.iter().any(|s| s.node_id == e.node_id);
                if !led_here && !on_path {
                    moments.push(moment(Happened::CameStraight {
                        node: e.node_id.clone(),
                    }));
                }
            }
            EventKind::Outcome => {
                // A problem not in the guide (problem '') has no steps to come straight past.
                if !led_here && !e.problem_id.is_empty() && current.as_deref() != Some(&*e.node_id)
                {
                    moments.push(moment(Happened::CameStraight {
                        node: e.node_id.clone(),
                    }));
                }
                moments.push(moment(Happened::Reached {
                    node: e.node_id.clone(),
                    kind: e.outcome_kind.clone().unwrap_or_else(|| "".into()),
                }));
            }
            EventKind::Choice => {
                if current.as_deref() != Some(&*e.node_id)
                    && !path.steps.iter().any(|s| s.node_id == e.node_id)
                    && in_problem
                {
                    moments.push(moment(Happened::CameStraight {
                        node: e.node_id.clone(),
                    }));
                }
                let before = path
                    .steps
                    .iter()
                    .rfind(|s| s.node_id == e.node_id)
                    .and_then(|s| s.answer.map(|(c, _)| c))
                    .filter(|_| in_problem);
                let choice = e.choice_index.unwrap_or(0);
                moments.push(moment(Happened::Answered {
                    node: e.node_id.clone(),
                    choice,
                    next: e.next_id.clone().unwrap_or_else(|| "".into()),
                    changed_from: before.filter(|&b| b != choice),
                }));
            }
            EventKind::Back => {
                let len = path.steps.len();
                let on_it = in_problem
                    && len > 1
                    && path.steps.last().is_some_and(|s| s.node_id == e.node_id);
                if on_it {
                    moments.push(moment(Happened::WentBack {
                        from: e.node_id.clone(),
                        to: path.steps[len - 2].node_id.clone(),
                    }));
                }
            }
        }
        path.apply(e);
        previous = Some(e);
    }
    moments
}

/// Whether the outcome event `outcome` was reached by answering the step before it, rather than
/// by opening the ending's page directly.
pub fn reached_by_answer(events: &[Event], outcome: i64) -> bool {
    let Some(i) = events.iter().position(|e| e.id == outcome) else {
        return false;
    };
    let end = &events[i];
    i > 0 && {
        let before = &events[i - 1];
        before.kind == EventKind::Choice
            && before.problem_id == end.problem_id
            && before.next_id.as_deref() == Some(&*end.node_id)
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

    fn kinds(moments: &[Moment]) -> Vec<String> {
        moments
            .iter()
            .map(|m| match &m.what {
                Happened::Started { node, again, .. } => format!("start {node} again={again}"),
                Happened::CameStraight { node } => format!("straight {node}"),
                Happened::Answered {
                    node,
                    choice,
                    changed_from,
                    ..
                } => format!("answer {node} {choice} was {changed_from:?}"),
                Happened::WentBack { from, to } => format!("back {from}->{to}"),
                Happened::Reached { node, .. } => format!("reached {node}"),
            })
            .collect()
    }

    #[test]
    fn the_history_keeps_the_isp_detour_and_the_changed_answer() {
        let mut events = vec![
            ev(1, EventKind::Symptom, "check", None),
            ev(2, EventKind::Choice, "check", Some((0, "isp"))),
            ev(3, EventKind::Outcome, "isp", None),
            ev(4, EventKind::Back, "isp", None),
            ev(5, EventKind::Choice, "check", Some((1, "too-large"))),
            ev(6, EventKind::Outcome, "too-large", None),
        ];
        events[2].outcome_kind = Some("isp".into());
        let history = history(&events);
        assert_eq!(
            kinds(&history),
            [
                "start check again=false",
                "answer check 0 was None",
                "reached isp",
                "back isp->check",
                "answer check 1 was None",
                "reached too-large",
            ]
        );
        // The compact path keeps only what the customer finally did.
        let path = Path::replay(&events);
        let ids: Vec<_> = path.steps.iter().map(|s| &*s.node_id).collect();
        assert_eq!(ids, ["check", "too-large"]);
    }

    #[test]
    fn answering_a_step_again_records_the_answer_it_replaced() {
        let events = [
            ev(1, EventKind::Symptom, "a", None),
            ev(2, EventKind::Choice, "a", Some((1, "b"))),
            ev(3, EventKind::Choice, "a", Some((0, "fixed"))),
        ];
        assert_eq!(
            kinds(&history(&events)),
            [
                "start a again=false",
                "answer a 1 was None",
                "answer a 0 was Some(1)",
            ]
        );
    }

    #[test]
    fn a_step_opened_directly_says_so_and_reloads_are_not_repeated() {
        let events = [
            ev(1, EventKind::Shown, "b", None),
            ev(2, EventKind::Shown, "b", None),
            ev(3, EventKind::Choice, "b", Some((0, "end"))),
            ev(4, EventKind::Outcome, "end", None),
        ];
        assert_eq!(
            kinds(&history(&events)),
            ["straight b", "answer b 0 was None", "reached end",]
        );
        let bookmarked = [ev(1, EventKind::Outcome, "end", None)];
        assert_eq!(
            kinds(&history(&bookmarked)),
            ["straight end", "reached end"]
        );
    }
}
