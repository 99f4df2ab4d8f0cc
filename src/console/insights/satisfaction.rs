//! The insights' satisfaction figures: of the customers who answered "did this solve your
//! problem?", the share who said yes, by escalation kind and by the guide step where they left
//! the guide, so the team sees which parts of the guide end in unhappy tickets.

use super::query::Chosen;
use super::step_label;
use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::error::AppResult;
use crate::guide::Guide;

/// One line of a satisfaction table.
pub(super) struct SatisfactionLine {
    pub label: String,
    pub answered: i64,
    pub helped: i64,
    pub share: String,
}

/// The satisfaction figures for the chosen range and problem.
#[derive(Default)]
pub(super) struct SatisfactionFigures {
    pub answered: i64,
    pub helped: i64,
    pub share: String,
    pub by_kind: Vec<SatisfactionLine>,
    pub by_step: Vec<SatisfactionLine>,
}

fn share(helped: i64, answered: i64) -> String {
    if answered == 0 {
        "–".into()
    } else {
        format!("{:.0}%", helped as f64 * 100.0 / answered as f64)
    }
}

fn line(label: String, answered: i64, helped: i64) -> SatisfactionLine {
    SatisfactionLine {
        label,
        answered,
        helped,
        share: share(helped, answered),
    }
}

/// The answers on tickets opened in the chosen local days, least satisfied steps first.
pub(super) async fn satisfaction(
    state: &AppState,
    guide: &Guide,
    chosen: &Chosen,
) -> AppResult<SatisfactionFigures> {
    let from = state.zone.start_of_day(chosen.from_day);
    let to = state.zone.start_of_day(chosen.to_day + 1);
    let figures = state
        .store
        .satisfaction(from, to, chosen.problem.as_deref())
        .await?;
    let answered = figures.by_kind.iter().map(|(_, a, _)| a).sum();
    let helped = figures.by_kind.iter().map(|(_, _, h)| h).sum();
    let by_kind = figures
        .by_kind
        .into_iter()
        .map(|(kind, a, h)| {
            let label = OutcomeKind::from_name(&kind).map_or(kind, |k| k.label().to_string());
            line(label, a, h)
        })
        .collect();
    let mut by_step: Vec<(f64, SatisfactionLine)> = figures
        .by_step
        .into_iter()
        .map(|(problem, ending, a, h)| {
            let label = if problem.is_empty() {
                super::problem_label(guide, "")
            } else {
                format!(
                    "{}: {}",
                    super::problem_label(guide, &problem),
                    step_label(guide, &problem, &ending)
                )
            };
            (h as f64 / a.max(1) as f64, line(label, a, h))
        })
        .collect();
    by_step.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.answered.cmp(&a.1.answered)));
    Ok(SatisfactionFigures {
        answered,
        helped,
        share: share(helped, answered),
        by_kind,
        by_step: by_step.into_iter().map(|(_, l)| l).collect(),
    })
}
