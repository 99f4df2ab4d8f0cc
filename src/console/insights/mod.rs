//! Guide insights: for a date range, which problems come up, which step resolves them, where
//! customers give up, how many the guide resolves on its own, the busiest times, and how long
//! tickets take; with CSV exports of the tickets and path events behind them.
//!
//! The figures come from counters the store keeps on every write (`src/store/insights.rs`); the
//! definitions are in docs/INSIGHTS.md and stated on the page. Charts are SVG drawn on the server
//! (no script), each beside a table with its numbers.
//!
//! Here: the page. The manager's question is parsed in [`query`], the charts' geometry is in
//! [`charts`], and the CSV exports in [`export`].

mod charts;
mod export;
mod query;
mod response;
mod satisfaction;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::session::SignedIn;
use super::{Chrome, Params};
use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::time::{Timestamp, date, week_start};
use crate::error::{AppError, AppResult};
use crate::guide::Guide;
use crate::store::{InsightQuery, Insights, ProblemFigures, Tally};
use charts::{Chart, bars, columns};
pub use export::{EVENT_COLUMNS, TICKET_COLUMNS, events_csv, tickets_csv};
pub use query::{Chosen, InsightsQuery, MAX_SPAN_DAYS, Period};

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// A duration in words: `45 min`, `3 h 12 min`, `2 days 4 h`.
pub fn duration_words(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h {} min", minutes / 60, minutes % 60),
        _ => format!("{} days {} h", minutes / 1440, minutes % 1440 / 60),
    }
}

/// One problem's line in the summary table.
#[derive(Debug)]
struct ProblemLine {
    label: String,
    /// A problem of the guide (not the line of tickets for problems not in it): has a rate.
    in_guide: bool,
    started: i64,
    resolved: i64,
    resolved_at: String,
    isp: i64,
    /// Tickets opened.
    escalated: i64,
    /// Attempts that reached a contact point and left without a ticket.
    left: i64,
    abandoned: i64,
    in_progress: i64,
    rate: String,
}

/// One step of a funnel.
#[derive(Debug)]
struct FunnelLine {
    step: String,
    reached: i64,
    resolved: i64,
    other_endings: i64,
    abandoned: i64,
    in_progress: i64,
    drop: String,
}

/// One problem's funnel.
#[derive(Debug)]
struct Funnel {
    label: String,
    chart: Chart,
    lines: Vec<FunnelLine>,
}

/// One period of the trend.
#[derive(Debug)]
struct TrendLine {
    period: String,
    started: i64,
    resolved: i64,
    finished: i64,
    rate: String,
    /// Tickets opened in the period.
    escalated: i64,
}

#[derive(Template)]
#[template(path = "console/insights.html")]
struct InsightsPage {
    chrome: Chrome,
    from: String,
    to: String,
    problem: String,
    by_week: bool,
    problems: Vec<(String, String)>,
    range_words: String,
    total: ProblemLine,
    lines: Vec<ProblemLine>,
    rate_chart: Chart,
    funnels: Vec<Funnel>,
    trend_chart: Chart,
    trend: Vec<TrendLine>,
    hours_chart: Chart,
    hours: Vec<(String, i64)>,
    weekdays_chart: Chart,
    weekdays: Vec<(&'static str, i64)>,
    tickets_opened: i64,
    /// (kind label, tickets opened) for every escalating kind.
    escalations: Vec<(&'static str, i64)>,
    tickets_resolved: i64,
    median_resolution: String,
    tickets_csv: String,
    events_csv: String,
    /// The installation's zone, whose local days and hours the figures count by.
    zone: String,
    satisfaction: satisfaction::SatisfactionFigures,
    response: Vec<response::ResponseWeek>,
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A problem's name for people; `""` is the "something else" of problems not in the guide.
pub(super) fn problem_label(guide: &Guide, id: &str) -> String {
    match guide.problem(id) {
        Some(p) => p.symptom.clone(),
        None if id.is_empty() => OutcomeKind::NotInGuide.label().to_string(),
        None => id.to_string(),
    }
}

fn step_label(guide: &Guide, problem: &str, step: &str) -> String {
    match guide.locate(problem, step) {
        Some((_, node)) => match &node.number {
            Some(n) => format!("Step {n}: {}", node.title),
            None => node.title.clone(),
        },
        None => step.to_string(),
    }
}

fn line(label: String, t: &Tally, escalated: i64, left: i64, resolved_at: String) -> ProblemLine {
    ProblemLine {
        label,
        in_guide: true,
        started: t.started,
        resolved: t.resolved(),
        resolved_at,
        isp: t.outcome(OutcomeKind::Isp.as_str()),
        escalated,
        left,
        abandoned: t.abandoned,
        in_progress: t.in_progress,
        rate: percent(t.self_service_rate()),
    }
}

/// Where resolutions happened: "step 1: 12; step 2: 3".
fn resolved_at(guide: &Guide, problem: &str, figures: &ProblemFigures) -> String {
    let resolved = OutcomeKind::Resolved.as_str();
    let mut parts: Vec<(usize, String)> = figures
        .steps
        .iter()
        .filter_map(|(step, s)| {
            let n = *s.outcomes.get(resolved)?;
            let (order, name) = match guide.locate(problem, step) {
                Some((p, node)) => (
                    p.steps
                        .iter()
                        .position(|x| x.id == node.id)
                        .unwrap_or(usize::MAX),
                    node.number
                        .as_ref()
                        .map_or_else(|| step.clone(), |n| format!("step {n}")),
                ),
                None if step.is_empty() => (usize::MAX, "no step recorded".to_string()),
                None => (usize::MAX, step.clone()),
            };
            Some((order, format!("{name}: {n}")))
        })
        .collect();
    parts.sort();
    parts
        .into_iter()
        .map(|p| p.1)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The problems to show: the guide's, in its order, then any others the data holds (older
/// guide versions), then `""`, the tickets of problems not in the guide, if any.
fn problem_order(guide: &Guide, figures: &Insights, only: Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = guide.problems.iter().map(|p| p.id.clone()).collect();
    ids.extend(
        figures
            .problems
            .keys()
            .filter(|k| !k.is_empty() && guide.problem(k).is_none())
            .cloned(),
    );
    if figures.problems.contains_key("") {
        ids.push(String::new());
    }
    ids.retain(|id| only.is_none_or(|o| o == id));
    ids
}

fn funnel(guide: &Guide, id: &str, figures: &ProblemFigures, index: usize) -> Funnel {
    let mut steps: Vec<String> = guide
        .problem(id)
        .map(|p| p.steps.iter().map(|s| s.id.clone()).collect())
        .unwrap_or_default();
    // Steps of older guide versions, and endings customers stopped at.
    for step in figures.steps.keys() {
        let s = &figures.steps[step];
        if !step.is_empty() && !steps.contains(step) && (s.abandoned > 0 || s.in_progress > 0) {
            steps.push(step.clone());
        }
    }
    let resolved = OutcomeKind::Resolved.as_str();
    let lines: Vec<FunnelLine> = steps
        .iter()
        .map(|step| {
            let s = figures.steps.get(step).cloned().unwrap_or_default();
            let res = s.outcomes.get(resolved).copied().unwrap_or(0);
            FunnelLine {
                step: step_label(guide, id, step),
                reached: s.reached,
                resolved: res,
                other_endings: s.outcomes.values().sum::<i64>() - res,
                abandoned: s.abandoned,
                in_progress: s.in_progress,
                drop: percent((s.reached > 0).then(|| s.abandoned as f64 / s.reached as f64)),
            }
        })
        .collect();
    let label = problem_label(guide, id);
    let chart = bars(
        FUNNEL_IDS.get(index).copied().unwrap_or("funnel"),
        format!("Funnel: {label}"),
        format!(
            "Attempts that reached each step of \"{label}\", and how many gave up there; the same numbers are in the table beside the chart."
        ),
        lines
            .iter()
            .map(|l| {
                (
                    l.step.clone(),
                    l.reached as f64,
                    format!("{} · {} gave up", l.reached, l.abandoned),
                )
            })
            .collect(),
    );
    Funnel {
        label,
        chart,
        lines,
    }
}

/// Chart ids must be unique on the page; a guide has a handful of problems.
const FUNNEL_IDS: [&str; 16] = [
    "funnel-1",
    "funnel-2",
    "funnel-3",
    "funnel-4",
    "funnel-5",
    "funnel-6",
    "funnel-7",
    "funnel-8",
    "funnel-9",
    "funnel-10",
    "funnel-11",
    "funnel-12",
    "funnel-13",
    "funnel-14",
    "funnel-15",
    "funnel-16",
];

/// Each period of the range: its label, its attempts, and the tickets opened in it.
fn trend(chosen: &Chosen, figures: &Insights) -> Vec<(String, Tally, i64)> {
    let mut out: Vec<(i64, Tally, i64)> = Vec::new();
    for day in chosen.from_day..=chosen.to_day {
        let start = match chosen.period {
            Period::Day => day,
            Period::Week => week_start(day),
        };
        if out.last().is_none_or(|(s, _, _)| *s != start) {
            out.push((start, Tally::default(), 0));
        }
        let last = out.last_mut().expect("pushed above");
        last.2 += figures.tickets.by_day.get(&day).copied().unwrap_or(0);
        if let Some(t) = figures.days.get(&day) {
            let bucket = &mut last.1;
            bucket.started += t.started;
            for (k, v) in &t.outcomes {
                *bucket.outcomes.entry(k.clone()).or_default() += v;
            }
            bucket.abandoned += t.abandoned;
            bucket.in_progress += t.in_progress;
        }
    }
    out.into_iter()
        .map(|(start, t, tickets)| {
            let label = match chosen.period {
                Period::Day => date(start),
                Period::Week => format!("week of {}", date(start)),
            };
            (label, t, tickets)
        })
        .collect()
}

/// `GET /console/insights`: the insights page.
pub async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    Params(query): Params<InsightsQuery>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let now = Timestamp::now();
    let zone = &state.zone;
    let chosen = query
        .parse(&guide, zone.local_day(now))
        .map_err(AppError::BadRequest)?;
    let figures = state
        .store
        .insights(&InsightQuery {
            from_day: chosen.from_day,
            to_day: chosen.to_day,
            problem: chosen.problem.clone(),
            now,
        })
        .await?;
    let order = problem_order(&guide, &figures, chosen.problem.as_deref());
    let empty = ProblemFigures::default();
    let lines: Vec<ProblemLine> = order
        .iter()
        .map(|id| {
            let f = figures.problems.get(id).unwrap_or(&empty);
            ProblemLine {
                in_guide: !id.is_empty(),
                ..line(
                    problem_label(&guide, id),
                    &f.tally,
                    f.escalated_total(),
                    f.left_total(),
                    resolved_at(&guide, id, f),
                )
            }
        })
        .collect();
    let total = line(
        "All problems".into(),
        &figures.total(),
        figures.tickets.opened,
        figures.left(),
        String::new(),
    );
    // The guide's problems alone have attempts, a rate and a funnel.
    let order: Vec<String> = order.into_iter().filter(|id| !id.is_empty()).collect();
    let rate_chart = bars(
        "rate-by-problem",
        "Self-service resolution rate by problem".into(),
        "The share of finished attempts the guide resolved, for each problem; the numbers are in the table above.".into(),
        order
            .iter()
            .map(|id| {
                let rate = figures
                    .problems
                    .get(id)
                    .and_then(|f| f.tally.self_service_rate());
                (problem_label(&guide, id), rate.unwrap_or(0.0), percent(rate))
            })
            .collect(),
    );
    let funnels = order
        .iter()
        .enumerate()
        .map(|(i, id)| funnel(&guide, id, figures.problems.get(id).unwrap_or(&empty), i))
        .collect();
    let periods = trend(&chosen, &figures);
    let trend_chart = columns(
        "trend",
        format!(
            "Self-service resolution rate by {}",
            if chosen.period == Period::Week { "week" } else { "day" }
        ),
        "The share of finished attempts the guide resolved, per period; periods with no finished attempt show no column. The numbers are in the table beside the chart.".into(),
        periods
            .iter()
            .map(|(label, t, _)| {
                let rate = t.self_service_rate();
                (
                    label.trim_start_matches("week of ").get(5..).unwrap_or(label).to_string(),
                    rate.unwrap_or(0.0),
                    rate.map_or(String::new(), |r| format!("{:.0}%", r * 100.0)),
                )
            })
            .collect(),
        1.0,
        &[(0.0, "0%".into()), (0.5, "50%".into()), (1.0, "100%".into())],
        1,
    );
    let trend_lines = periods
        .into_iter()
        .map(|(period, t, escalated)| TrendLine {
            period,
            started: t.started,
            resolved: t.resolved(),
            finished: t.finished(),
            rate: percent(t.self_service_rate()),
            escalated,
        })
        .collect();
    let busiest = figures.hours.iter().copied().max().unwrap_or(0) as f64;
    let hours_chart = columns(
        "hours",
        format!("Attempts started by hour of the day ({})", zone.name()),
        format!(
            "How many attempts started in each hour of the day, in {}; the numbers are in the table beside the chart.",
            zone.name()
        ),
        figures
            .hours
            .iter()
            .enumerate()
            .map(|(h, n)| (format!("{h:02}"), *n as f64, n.to_string()))
            .collect(),
        busiest,
        &[(0.0, "0".into()), (busiest, format!("{busiest}"))],
        2,
    );
    let busiest_day = figures.weekdays.iter().copied().max().unwrap_or(0) as f64;
    let weekdays_chart = columns(
        "weekdays",
        format!("Attempts started by day of the week ({})", zone.name()),
        format!(
            "How many attempts started on each day of the week, in {}; the numbers are in the table beside the chart.",
            zone.name()
        ),
        WEEKDAYS
            .iter()
            .zip(figures.weekdays)
            .map(|(d, n)| (d[..3].to_string(), n as f64, n.to_string()))
            .collect(),
        busiest_day,
        &[(0.0, "0".into()), (busiest_day, format!("{busiest_day}"))],
        1,
    );
    let qs = chosen.query_string();
    let html = InsightsPage {
        chrome: Chrome::new(&state, &me),
        from: date(chosen.from_day),
        to: date(chosen.to_day),
        problem: chosen.problem.clone().unwrap_or_default(),
        by_week: chosen.period == Period::Week,
        problems: guide
            .problems
            .iter()
            .map(|p| (p.id.clone(), p.symptom.clone()))
            .collect(),
        range_words: if chosen.from_day == chosen.to_day {
            date(chosen.from_day)
        } else {
            format!("{} to {}", date(chosen.from_day), date(chosen.to_day))
        },
        total,
        lines,
        rate_chart,
        funnels,
        trend_chart,
        trend: trend_lines,
        hours_chart,
        hours: figures
            .hours
            .iter()
            .enumerate()
            .map(|(h, n)| (format!("{h:02}:00–{h:02}:59"), *n))
            .collect(),
        weekdays_chart,
        weekdays: WEEKDAYS.iter().copied().zip(figures.weekdays).collect(),
        tickets_opened: figures.tickets.opened,
        escalations: OutcomeKind::ALL
            .into_iter()
            .filter(|k| k.escalates())
            .map(|k| {
                let n = figures.tickets.by_kind.get(k.as_str()).copied();
                (k.label(), n.unwrap_or(0))
            })
            .collect(),
        tickets_resolved: figures.tickets.resolved,
        median_resolution: figures
            .tickets
            .median_resolution_ms
            .map_or_else(|| "–".to_string(), duration_words),
        tickets_csv: format!("/console/insights/tickets.csv?{qs}"),
        events_csv: format!("/console/insights/events.csv?{qs}"),
        zone: zone.name().to_string(),
        satisfaction: satisfaction::satisfaction(&state, &guide, &chosen).await?,
        response: response::response_weeks(&state, &chosen).await?,
    };
    Ok(Html(html.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(59_999), "0 min");
        assert_eq!(duration_words(45 * 60_000), "45 min");
        assert_eq!(duration_words(192 * 60_000), "3 h 12 min");
        assert_eq!(duration_words((2 * 1440 + 240) * 60_000), "2 days 4 h");
    }
}
