//! The insights' response-time figures, by week: the median and 90th percentile time to a
//! manager's first answer, and the share of tickets that met each target (a ticket whose
//! deadline is still ahead and not yet met is left out until it is settled).

use super::query::Chosen;
use crate::AppState;
use crate::domain::targets::Target;
use crate::domain::time::{Timestamp, date, week_start};
use crate::error::AppResult;

/// One week's line.
pub(super) struct ResponseWeek {
    pub week: String,
    pub opened: usize,
    pub answered: usize,
    pub median: String,
    pub p90: String,
    pub first_met: String,
    pub resolution_met: String,
}

/// The `q`-quantile (0 to 1) of sorted `values`, by the nearest rank.
fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn share(met: usize, settled: usize) -> String {
    if settled == 0 {
        "–".into()
    } else {
        format!("{:.0}% of {settled}", met as f64 * 100.0 / settled as f64)
    }
}

/// Whether a deadline was met: `Some(true)` met, `Some(false)` missed, `None` still ahead.
fn settled(due: Option<Timestamp>, done: Option<Timestamp>, now: Timestamp) -> Option<bool> {
    let due = due?;
    match done {
        Some(at) => Some(at <= due),
        None if now > due => Some(false),
        None => None,
    }
}

/// The figures for the chosen range and problem, a line per week (Monday first).
pub(super) async fn response_weeks(
    state: &AppState,
    chosen: &Chosen,
) -> AppResult<Vec<ResponseWeek>> {
    let zone = &state.zone;
    let from = zone.start_of_day(chosen.from_day);
    let to = zone.start_of_day(chosen.to_day + 1);
    let tickets = state
        .store
        .ticket_times(from, to, chosen.problem.as_deref())
        .await?;
    let targets = state.store.targets().await?;
    let target_of = |kind: &str| -> Target {
        targets
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    };
    let now = Timestamp::now();
    let mut weeks: Vec<(i64, Vec<&crate::store::TicketTimes>)> = Vec::new();
    for t in &tickets {
        let week = week_start(zone.local_day(t.created_at));
        match weeks.last_mut() {
            Some((w, list)) if *w == week => list.push(t),
            _ => weeks.push((week, vec![t])),
        }
    }
    Ok(weeks
        .into_iter()
        .map(|(week, list)| {
            let mut waits: Vec<i64> = list
                .iter()
                .filter_map(|t| t.first_response_at.map(|at| at.0 - t.created_at.0))
                .collect();
            waits.sort_unstable();
            let (mut first, mut first_settled, mut resolved, mut resolved_settled) = (0, 0, 0, 0);
            for t in &list {
                let target = target_of(&t.outcome_kind);
                if let Some(met) = settled(
                    target.first_response_due(t.created_at, zone),
                    t.first_response_at,
                    now,
                ) {
                    first_settled += 1;
                    first += usize::from(met);
                }
                if let Some(met) = settled(
                    target.resolution_due(t.created_at, zone),
                    t.resolved_at,
                    now,
                ) {
                    resolved_settled += 1;
                    resolved += usize::from(met);
                }
            }
            let words = |ms: Option<i64>| ms.map_or_else(|| "–".to_string(), super::duration_words);
            ResponseWeek {
                week: format!("week of {}", date(week)),
                opened: list.len(),
                answered: waits.len(),
                median: words(quantile(&waits, 0.5)),
                p90: words(quantile(&waits, 0.9)),
                first_met: share(first, first_settled),
                resolution_met: share(resolved, resolved_settled),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(quantile(&v, 0.5), Some(5));
        assert_eq!(quantile(&v, 0.9), Some(9));
        assert_eq!(quantile(&[7], 0.9), Some(7));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn a_deadline_is_settled_when_met_or_passed() {
        let due = Some(Timestamp(100));
        assert_eq!(settled(due, Some(Timestamp(90)), Timestamp(95)), Some(true));
        assert_eq!(
            settled(due, Some(Timestamp(110)), Timestamp(200)),
            Some(false)
        );
        assert_eq!(settled(due, None, Timestamp(200)), Some(false));
        assert_eq!(settled(due, None, Timestamp(50)), None);
        assert_eq!(settled(None, None, Timestamp(50)), None);
    }
}
