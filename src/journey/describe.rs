//! A recorded path in words: each step as the customer saw it, and what they answered.

use crate::AppState;
use crate::error::AppResult;
use crate::journey::path::PathStep;
use crate::time::{Timestamp, elapsed};

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
