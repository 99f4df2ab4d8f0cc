//! A recorded path in words: each step as the customer saw it, and what they answered.

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::{Happened, Moment, PathStep};
use crate::domain::time::{Timestamp, elapsed};
use crate::error::AppResult;

/// One line of a path, ready for a page.
#[derive(Debug, Clone)]
pub struct PathLine {
    /// The guide's number for the step, if it has one.
    pub number: Option<String>,
    /// The step's title as the customer saw it.
    pub title: String,
    /// The node id, for links.
    pub node_id: String,
    /// Their answer's label, if they answered.
    pub answer: Option<String>,
    /// When they reached the step.
    pub shown_at: Timestamp,
    /// How long they spent on it before answering.
    pub took: Option<String>,
}

/// Describes `steps` of `problem` from the guide versions they were shown from.
pub async fn describe(
    state: &AppState,
    problem: &str,
    steps: &[PathStep],
) -> AppResult<Vec<PathLine>> {
    let mut lines = Vec::with_capacity(steps.len());
    for step in steps {
        let guide = state
            .guides
            .version(&state.store, &step.guide_version)
            .await?;
        let node = guide
            .as_ref()
            .and_then(|g| g.locate(problem, &step.node_id))
            .map(|(_, n)| n);
        let answer = match (node, step.answer) {
            (Some(n), Some((i, _))) => Some(
                usize::try_from(i)
                    .ok()
                    .and_then(|i| n.choices().get(i))
                    .map_or_else(|| format!("answer {}", i + 1), |c| c.label.clone()),
            ),
            (None, Some((i, _))) => Some(format!("answer {}", i + 1)),
            (_, None) => None,
        };
        lines.push(PathLine {
            number: node.and_then(|n| n.number.clone()),
            title: node.map_or_else(|| format!("Step `{}`", step.node_id), |n| n.title.clone()),
            node_id: step.node_id.to_string(),
            answer,
            shown_at: step.shown_at,
            took: step.answer.map(|(_, at)| elapsed(step.shown_at, at)),
        });
    }
    Ok(lines)
}

/// One line of a path's full reading, ready for a page: what the customer did, with the words
/// of the guide version they read. Templates word it for the customer ("You answered") or for
/// a manager ("Answered").
#[derive(Debug, Clone)]
pub struct HistoryLine {
    /// When it happened.
    pub at: Timestamp,
    /// When it happened, for people: in the installation's zone, e.g. `2026-11-25 22:30 EST`.
    pub when: String,
    /// The time since the line before, e.g. `3 min`.
    pub gap: Option<String>,
    /// What happened: `started`, `started-again`, `switched`, `straight`, `answered`,
    /// `changed`, `back`, `back-from-isp`, `reached`.
    pub kind: &'static str,
    /// The customer's words for the problem (the symptom), for `started` and `switched`.
    pub symptom: String,
    /// The step or ending concerned, with its number where the guide gives one.
    pub step: String,
    /// The answer's label, for `answered` and `changed`.
    pub answer: Option<String>,
    /// The answer it replaced, for `changed`.
    pub before: Option<String>,
    /// For `reached`: the kind of end point, in words.
    pub outcome: Option<&'static str>,
}

/// Describes a full history (see [`crate::domain::path::history`]) from the guide versions its
/// moments were made with.
pub async fn describe_history(state: &AppState, moments: &[Moment]) -> AppResult<Vec<HistoryLine>> {
    let mut lines = Vec::with_capacity(moments.len());
    let mut last: Option<Timestamp> = None;
    for m in moments {
        let guide = state.guides.version(&state.store, &m.guide_version).await?;
        let guide = guide.as_deref();
        let problem = guide.and_then(|g| g.problem(&m.problem_id));
        let node = |id: &str| guide.zip(problem).and_then(|(g, p)| g.node(p, id));
        let step_words = |id: &str| match node(id) {
            Some(n) => n.numbered_title(),
            None if m.problem_id.is_empty() => guide
                .and_then(|g| g.something_else.as_ref())
                .map_or_else(|| "Something else".to_string(), |s| s.title.clone()),
            None => format!("Step `{id}`"),
        };
        let label = |id: &str, i: i64| {
            node(id)
                .and_then(|n| usize::try_from(i).ok().and_then(|i| n.choices().get(i)))
                .map_or_else(|| format!("answer {}", i + 1), |c| c.label.clone())
        };
        let symptom = |id: &str| {
            guide
                .and_then(|g| g.problem(id))
                .map_or_else(|| id.to_string(), |p| p.symptom.clone())
        };
        let mut line = HistoryLine {
            at: m.at,
            when: state.zone.display(m.at),
            gap: last.map(|l| elapsed(l, m.at)),
            kind: "",
            symptom: symptom(&m.problem_id),
            step: String::new(),
            answer: None,
            before: None,
            outcome: None,
        };
        match &m.what {
            Happened::Started {
                node,
                switched_from,
                again,
            } => {
                line.kind = match (again, switched_from) {
                    (true, _) => "started-again",
                    (false, Some(_)) => "switched",
                    (false, None) => "started",
                };
                line.step = step_words(node);
            }
            Happened::CameStraight { node } => {
                line.kind = "straight";
                line.step = step_words(node);
            }
            Happened::Answered {
                node,
                choice,
                changed_from,
                ..
            } => {
                line.kind = if changed_from.is_some() {
                    "changed"
                } else {
                    "answered"
                };
                line.step = step_words(node);
                line.answer = Some(label(node, *choice));
                line.before = changed_from.map(|b| label(node, b));
            }
            Happened::WentBack { from, to } => {
                let from_isp = node(from)
                    .and_then(|n| n.outcome())
                    .is_some_and(|o| o.kind == OutcomeKind::Isp);
                line.kind = if from_isp { "back-from-isp" } else { "back" };
                line.step = step_words(to);
            }
            Happened::Reached { node, kind } => {
                line.kind = "reached";
                line.step = step_words(node);
                line.outcome = OutcomeKind::from_name(kind).map(OutcomeKind::label);
            }
        }
        last = Some(m.at);
        lines.push(line);
    }
    Ok(lines)
}
