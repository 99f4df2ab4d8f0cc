//! "Your steps so far": the customer's path as it stands at the page they are looking at.
//!
//! It says only what is known. A step opened from a bookmark says it was opened directly; the
//! browser's Back button to an answered step shows the steps before it and the answer given
//! there, never a path that runs past the page on screen.

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::Path;
use crate::error::AppResult;
use crate::guide::{Guide, Node, Problem};
use crate::journey::describe::{PathLine, describe};
use crate::journey::step_url;

/// The sidebar of a step or ending page.
#[derive(Debug, Default)]
pub struct Sidebar {
    /// The steps answered before this one, in order.
    pub lines: Vec<PathLine>,
    /// Whether "Back a step" applies: this is where the customer is, and a step came before.
    pub can_go_back: bool,
    /// This is the problem's first step and nothing came before it.
    pub first_step: bool,
    /// The page was opened directly: the URL of the problem's first step.
    pub straight: Option<String>,
    /// The customer answered this step before (they came back to it): that answer.
    pub answered_before: Option<String>,
    /// Where the customer's path in this problem stands, if not here: URL and title.
    pub resume: Option<(String, String)>,
    /// The customer is working on another problem: its current step's URL and the symptom.
    pub elsewhere: Option<(String, String)>,
}

/// The sidebar for `node` of `problem`, from the customer's `path`.
pub async fn sidebar(
    state: &AppState,
    guide: &Guide,
    path: &Path,
    problem: &Problem,
    node: &Node,
) -> AppResult<Sidebar> {
    let mut side = Sidebar::default();
    let at_start = node.id == problem.start;
    let in_problem =
        path.problem_id.as_deref() == Some(problem.id.as_str()) && !path.steps.is_empty();
    if !in_problem {
        if let Some(other) = path.problem_id.as_deref()
            && let Some(current) = path.current(other)
            && let Some(p) = guide.problem(other)
        {
            side.elsewhere = Some((step_url(other, &current.node_id), p.symptom.clone()));
        }
        side.first_step = at_start;
        side.straight = (!at_start).then(|| step_url(&problem.id, &problem.start));
        return Ok(side);
    }
    let last = path.steps.len() - 1;
    let resume = || {
        let current = &path.steps[last];
        let (_, n) = guide.locate(&problem.id, &current.node_id)?;
        // An ending reached is no place to continue at, but an ISP referral is continued from
        // the step that made it.
        let target = match n.outcome() {
            None => n,
            Some(o) if o.kind == OutcomeKind::Isp && last > 0 => {
                guide.locate(&problem.id, &path.steps[last - 1].node_id)?.1
            }
            Some(_) => return None,
        };
        (target.id != node.id).then(|| (step_url(&problem.id, &target.id), target.numbered_title()))
    };
    match path.steps.iter().rposition(|s| *s.node_id == *node.id) {
        Some(i) => {
            let before: Vec<_> = path.steps[..i]
                .iter()
                .filter(|s| s.answer.is_some())
                .cloned()
                .collect();
            side.lines = describe(state, &problem.id, &before).await?;
            if i == last {
                side.can_go_back = i > 0;
                side.first_step = at_start && side.lines.is_empty();
                side.straight = (!at_start && side.lines.is_empty())
                    .then(|| step_url(&problem.id, &problem.start));
            } else {
                let here = describe(state, &problem.id, &path.steps[i..=i]).await?;
                side.answered_before = here.into_iter().next().and_then(|l| l.answer);
                side.resume = resume();
            }
        }
        None => {
            side.resume = resume();
            side.first_step = at_start;
            side.straight = (!at_start).then(|| step_url(&problem.id, &problem.start));
        }
    }
    Ok(side)
}
