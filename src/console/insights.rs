//! Guide insights: for a date range, which problems come up, which step resolves them, where
//! customers give up, how many the guide resolves on its own, the busiest times, and how long
//! tickets take; with CSV exports of the tickets and path events behind them.
//!
//! The figures come from counters the store keeps on every write (`src/store/insights.rs`); the
//! definitions are in docs/INSIGHTS.md and stated on the page. Charts are SVG drawn on the server
//! (no script), each beside a table with its numbers.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::session::SignedIn;
use super::{Chrome, Params, csv, encode};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::guide::{Guide, OutcomeKind};
use crate::store::{
    EventExport, ExportFilter, InsightQuery, Insights, ProblemFigures, Tally, TicketExport,
};
use crate::time::{Timestamp, date, parse_date};

/// The longest range the page answers, in days.
pub const MAX_SPAN_DAYS: i64 = 366;
/// The range shown when none is chosen: the last 30 days, today included.
const DEFAULT_SPAN_DAYS: i64 = 30;
/// Rows fetched per round trip while exporting.
const EXPORT_PAGE: i64 = 2_000;

/// The page's query string, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InsightsQuery {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    pub from: String,
    /// Last day, included whole; default: today (UTC).
    pub to: String,
    /// A problem id, or empty for all.
    pub problem: String,
    /// The trend's period: `day` (default) or `week`.
    pub by: String,
}

/// The trend's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One point per UTC day.
    Day,
    /// One point per week, Monday to Sunday (UTC).
    Week,
}

/// A valid choice of range, problem and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// First UTC day.
    pub from_day: i64,
    /// Last UTC day, included.
    pub to_day: i64,
    /// Only this problem.
    pub problem: Option<String>,
    /// The trend's period.
    pub period: Period,
}

impl InsightsQuery {
    /// The choice, or a message saying what is wrong, in the manager's words.
    pub fn parse(&self, guide: &Guide, today: i64) -> Result<Chosen, String> {
        let day = |text: &str, what: &str| -> Result<Option<i64>, String> {
            match text.trim() {
                "" => Ok(None),
                t => parse_date(t).map(Some).ok_or_else(|| {
                    format!("The {what} date must be a real date written like 2026-11-01 (year-month-day).")
                }),
            }
        };
        let to_day = day(&self.to, "end")?.unwrap_or(today);
        let from_day = day(&self.from, "start")?.unwrap_or(to_day - (DEFAULT_SPAN_DAYS - 1));
        if from_day > to_day {
            return Err(format!(
                "The start date ({}) is after the end date ({}). Choose a start on or before the end.",
                date(from_day),
                date(to_day)
            ));
        }
        let span = to_day - from_day + 1;
        if span > MAX_SPAN_DAYS {
            return Err(format!(
                "A range can cover at most {MAX_SPAN_DAYS} days; this one covers {span}. Choose a shorter range."
            ));
        }
        let problem = match self.problem.trim() {
            "" => None,
            p => Some(
                guide
                    .problem(p)
                    .ok_or_else(|| {
                        "The guide has no symptom with that id. Choose one from the list."
                            .to_string()
                    })?
                    .id
                    .clone(),
            ),
        };
        let period = match self.by.trim() {
            "" | "day" => Period::Day,
            "week" => Period::Week,
            _ => return Err("The trend can be shown by day or by week.".into()),
        };
        Ok(Chosen {
            from_day,
            to_day,
            problem,
            period,
        })
    }
}

impl Chosen {
    fn query_string(&self) -> String {
        let mut q = format!("from={}&to={}", date(self.from_day), date(self.to_day));
        if let Some(p) = &self.problem {
            q.push_str(&format!("&problem={}", encode(p)));
        }
        q
    }

    fn export_filter(&self) -> ExportFilter {
        ExportFilter {
            from_day: self.from_day,
            to_day: self.to_day,
            problem: self.problem.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Charts: geometry computed here, drawn as SVG elements by the template.

/// One bar with its label and value text. Coordinates are in the chart's own units (its
/// `viewBox`), with fractions: a year of days is narrower than a pixel per day.
#[derive(Debug, Clone)]
pub struct Mark {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    label: String,
    label_x: f64,
    label_y: f64,
    value: String,
    value_x: f64,
    value_y: f64,
}

/// A horizontal guide line with its label.
#[derive(Debug, Clone)]
pub struct Rule {
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    label: String,
    label_x: f64,
    label_y: f64,
}

/// A bar chart, ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    id: &'static str,
    title: String,
    desc: String,
    width: i64,
    height: i64,
    /// Bars grow sideways (labels on the left) rather than upwards.
    horizontal: bool,
    marks: Vec<Mark>,
    rules: Vec<Rule>,
}

const CHART_W: i64 = 640;
/// The width of a character of the charts' 12px labels, generously: a date label (`11-26`)
/// takes about 35 units.
const CHAR_W: f64 = 7.0;
/// The least gap between two labels under columns.
const LABEL_GAP: f64 = 12.0;

/// Rounded to a hundredth, so the SVG stays short and exact enough.
fn units(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Bars side by side: `(label, value, value as text)`, scaled to the largest value.
fn bars(id: &'static str, title: String, desc: String, items: Vec<(String, f64, String)>) -> Chart {
    const LABEL_W: f64 = 250.0;
    const ROW: f64 = 30.0;
    let plot = CHART_W as f64 - LABEL_W - 140.0;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max);
    let marks = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let y = 6.0 + i as f64 * ROW;
            let w = if max > 0.0 {
                units((value / max).clamp(0.0, 1.0) * plot)
            } else {
                0.0
            };
            Mark {
                x: LABEL_W,
                y,
                w,
                h: ROW - 10.0,
                label: shorten(&label, 36),
                label_x: LABEL_W - 8.0,
                label_y: y + 15.0,
                value: text,
                value_x: units(LABEL_W + w + 6.0),
                value_y: y + 15.0,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        id,
        title,
        desc,
        width: CHART_W,
        height: 12 + marks.len() as i64 * ROW as i64,
        horizontal: true,
        marks,
        rules: Vec::new(),
    }
}

/// Columns in a row, `(label, value, value as text)`, on a scale from 0 to `max` with guide
/// lines at `rules` (value, label). However many columns, they share the chart's fixed width;
/// every `label_every`-th column is labelled, or fewer, so that labels never crowd each other.
fn columns(
    id: &'static str,
    title: String,
    desc: String,
    items: Vec<(String, f64, String)>,
    max: f64,
    rules: &[(f64, String)],
    label_every: usize,
) -> Chart {
    const LEFT: f64 = 48.0;
    // Room on the right for half of the last label, centred on its column.
    const RIGHT: f64 = 24.0;
    const TOP: f64 = 22.0;
    const PLOT_H: f64 = 160.0;
    let n = items.len().max(1);
    let slot = (CHART_W as f64 - LEFT - RIGHT) / n as f64;
    let bar = slot * 0.7;
    let widest = items.iter().map(|i| i.0.chars().count()).max().unwrap_or(0);
    let room = widest as f64 * CHAR_W + LABEL_GAP;
    let every = label_every.max((room / slot).ceil() as usize).max(1);
    let show_values = n <= 24;
    let scale = |v: f64| {
        if max > 0.0 {
            (v / max).clamp(0.0, 1.0) * PLOT_H
        } else {
            0.0
        }
    };
    let marks = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let h = units(scale(value));
            let x = units(LEFT + i as f64 * slot + (slot - bar) / 2.0);
            let centre = units(LEFT + i as f64 * slot + slot / 2.0);
            Mark {
                x,
                y: units(TOP + PLOT_H - h),
                w: units(bar),
                h,
                label: if i % every == 0 { label } else { String::new() },
                label_x: centre,
                label_y: TOP + PLOT_H + 16.0,
                value: if show_values { text } else { String::new() },
                value_x: centre,
                value_y: units(TOP + PLOT_H - h - 4.0),
            }
        })
        .collect();
    let rules = rules
        .iter()
        .map(|(v, label)| {
            let y = units(TOP + PLOT_H - scale(*v));
            Rule {
                x1: LEFT,
                y1: y,
                x2: CHART_W as f64 - 4.0,
                y2: y,
                label: label.clone(),
                label_x: LEFT - 6.0,
                label_y: y + 4.0,
            }
        })
        .collect();
    Chart {
        id,
        title,
        desc,
        width: CHART_W,
        height: (TOP + PLOT_H) as i64 + 26,
        horizontal: false,
        marks,
        rules,
    }
}

// ---------------------------------------------------------------------------------------------
// The page.

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
fn problem_label(guide: &Guide, id: &str) -> String {
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
            Period::Week => day - crate::store::weekday(day) as i64,
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
    let chosen = query
        .parse(&guide, now.day())
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
            line(
                problem_label(&guide, id),
                &f.tally,
                f.escalated_total(),
                f.left_total(),
                resolved_at(&guide, id, f),
            )
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
        "Attempts started by hour of the day (UTC)".into(),
        "How many attempts started in each hour of the day, in UTC; the numbers are in the table beside the chart.".into(),
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
        "Attempts started by day of the week (UTC)".into(),
        "How many attempts started on each day of the week, in UTC; the numbers are in the table beside the chart.".into(),
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
    };
    Ok(Html(html.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Exports.

/// A response body fed chunk by chunk from a task, so a large export never sits in memory whole.
struct Chunks(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(http_body::Frame::data)))
    }
}

fn attachment(name: &str, body: Body) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Sends `first` (already rendered) and then every further page `fetch` returns after the
/// previous page's last key, rendered by `render`, until a short page.
fn stream<R, K, F, Fut, W>(
    first: String,
    mut last: Option<K>,
    mut fetch: F,
    render: W,
    key: fn(&R) -> K,
) -> Body
where
    R: Send + 'static,
    W: Fn(&R, &mut String) + Send + 'static,
    K: Send + Copy + 'static,
    F: FnMut(K) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<R>, crate::store::StoreError>> + Send,
{
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        if tx.send(Ok(Bytes::from(first))).await.is_err() {
            return;
        }
        while let Some(after) = last {
            let rows = match fetch(after).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "export stopped");
                    let _ = tx.send(Err(std::io::Error::other("export stopped"))).await;
                    return;
                }
            };
            last = (rows.len() as i64 == EXPORT_PAGE)
                .then(|| rows.last().map(key))
                .flatten();
            let mut out = String::new();
            for r in &rows {
                render(r, &mut out);
            }
            if tx.send(Ok(Bytes::from(out))).await.is_err() {
                return; // the client went away
            }
        }
    });
    Body::new(Chunks(rx))
}

/// The tickets export's columns.
pub const TICKET_COLUMNS: [&str; 16] = [
    "reference",
    "opened_at",
    "problem",
    "symptom",
    "escalation",
    "ending",
    "status",
    "assignee",
    "customer_name",
    "customer_email",
    "customer_phone",
    "customer_account",
    "email_program",
    "description",
    "first_resolved_at",
    "updated_at",
];

/// The path events export's columns.
pub const EVENT_COLUMNS: [&str; 11] = [
    "event_id",
    "visit",
    "seq",
    "at",
    "kind",
    "problem",
    "step",
    "choice",
    "next",
    "outcome",
    "guide_version",
];

fn ticket_row(guide: &Guide, t: &TicketExport, out: &mut String) {
    csv::record(
        out,
        &[
            guide.reference(t.number),
            t.created_at.iso_millis(),
            t.problem_id.clone(),
            problem_label(guide, &t.problem_id),
            t.outcome_kind.clone(),
            t.ending_id.clone(),
            t.status.clone(),
            t.assignee.clone().unwrap_or_default(),
            t.customer_name.clone(),
            t.customer_email.clone(),
            t.customer_phone.clone().unwrap_or_default(),
            t.customer_account.clone().unwrap_or_default(),
            t.email_program.clone(),
            t.description.clone(),
            t.resolved_at.map(|r| r.iso_millis()).unwrap_or_default(),
            t.updated_at.iso_millis(),
        ],
    );
}

fn event_row(e: &EventExport, out: &mut String) {
    csv::record(
        out,
        &[
            e.id.to_string(),
            e.visit_id.clone(),
            e.seq.to_string(),
            e.at.iso_millis(),
            e.kind.clone(),
            e.problem_id.clone(),
            e.node_id.clone(),
            e.choice_index.map(|c| c.to_string()).unwrap_or_default(),
            e.next_id.clone().unwrap_or_default(),
            e.outcome_kind.clone().unwrap_or_default(),
            e.guide_version.clone(),
        ],
    );
}

fn chosen_for_export(state: &AppState, query: &InsightsQuery) -> AppResult<Chosen> {
    query
        .parse(state.guides.current(), Timestamp::now().day())
        .map_err(AppError::BadRequest)
}

/// `GET /console/insights/tickets.csv`: the tickets opened in the range, oldest first.
pub async fn tickets_csv(
    State(state): State<AppState>,
    _me: SignedIn,
    Params(query): Params<InsightsQuery>,
) -> AppResult<Response> {
    let chosen = chosen_for_export(&state, &query)?;
    let filter = chosen.export_filter();
    let first = state
        .store
        .tickets_for_export(&filter, None, EXPORT_PAGE)
        .await?;
    let guide: Arc<Guide> = state.guides.current().clone();
    let mut out = String::from(csv::BOM);
    csv::record(&mut out, &TICKET_COLUMNS);
    for t in &first {
        ticket_row(&guide, t, &mut out);
    }
    let last = (first.len() as i64 == EXPORT_PAGE)
        .then(|| first.last().map(|t| (t.created_at.millis(), t.number)))
        .flatten();
    let store = state.store.clone();
    let body = stream(
        out,
        last,
        move |after| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                store
                    .tickets_for_export(&filter, Some(after), EXPORT_PAGE)
                    .await
            }
        },
        move |t: &TicketExport, out: &mut String| ticket_row(&guide, t, out),
        |t: &TicketExport| (t.created_at.millis(), t.number),
    );
    Ok(attachment(
        &format!(
            "helpdesk-tickets-{}-to-{}.csv",
            date(chosen.from_day),
            date(chosen.to_day)
        ),
        body,
    ))
}

/// `GET /console/insights/events.csv`: the path events recorded in the range, oldest first.
pub async fn events_csv(
    State(state): State<AppState>,
    _me: SignedIn,
    Params(query): Params<InsightsQuery>,
) -> AppResult<Response> {
    let chosen = chosen_for_export(&state, &query)?;
    let filter = chosen.export_filter();
    let first = state
        .store
        .events_for_export(&filter, None, EXPORT_PAGE)
        .await?;
    let mut out = String::from(csv::BOM);
    csv::record(&mut out, &EVENT_COLUMNS);
    for e in &first {
        event_row(e, &mut out);
    }
    let last = (first.len() as i64 == EXPORT_PAGE)
        .then(|| first.last().map(|e| (e.at.millis(), e.id)))
        .flatten();
    let store = state.store.clone();
    let body = stream(
        out,
        last,
        move |after| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                store
                    .events_for_export(&filter, Some(after), EXPORT_PAGE)
                    .await
            }
        },
        event_row,
        |e: &EventExport| (e.at.millis(), e.id),
    );
    Ok(attachment(
        &format!(
            "helpdesk-events-{}-to-{}.csv",
            date(chosen.from_day),
            date(chosen.to_day)
        ),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(from: &str, to: &str) -> Result<Chosen, String> {
        InsightsQuery {
            from: from.into(),
            to: to.into(),
            ..Default::default()
        }
        .parse(&Guide::embedded(), parse_date("2026-11-26").unwrap())
    }

    #[test]
    fn the_range_defaults_to_the_last_thirty_days() {
        let c = parse("", "").unwrap();
        assert_eq!(date(c.to_day), "2026-11-26");
        assert_eq!(date(c.from_day), "2026-10-28");
        assert_eq!(c.period, Period::Day);
    }

    #[test]
    fn bad_ranges_are_refused_in_words() {
        assert!(parse("2026-02-30", "").unwrap_err().contains("start date"));
        assert!(parse("", "yesterday").unwrap_err().contains("end date"));
        assert!(
            parse("2026-11-02", "2026-11-01")
                .unwrap_err()
                .contains("after")
        );
        assert!(
            parse("2025-01-01", "2026-11-01")
                .unwrap_err()
                .contains("366")
        );
        assert!(parse("2025-11-01", "2026-11-01").is_ok(), "366 days");
        assert!(parse("2025-10-31", "2026-11-01").is_err(), "367 days");
        let q = |problem: &str, by: &str| {
            InsightsQuery {
                problem: problem.into(),
                by: by.into(),
                ..Default::default()
            }
            .parse(&Guide::embedded(), 20_000)
        };
        assert!(q("printer", "").is_err());
        assert!(q("cant-send", "month").is_err());
        assert_eq!(q("cant-send", "week").unwrap().period, Period::Week);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(59_999), "0 min");
        assert_eq!(duration_words(45 * 60_000), "45 min");
        assert_eq!(duration_words(192 * 60_000), "3 h 12 min");
        assert_eq!(duration_words((2 * 1440 + 240) * 60_000), "2 days 4 h");
    }

    #[test]
    fn charts_scale_to_their_largest_value() {
        let c = bars(
            "t",
            "T".into(),
            "D".into(),
            vec![("a".into(), 2.0, "2".into()), ("b".into(), 4.0, "4".into())],
        );
        assert_eq!(c.marks[0].w * 2.0, c.marks[1].w);
        let c = columns(
            "t",
            "T".into(),
            "D".into(),
            vec![("a".into(), 0.0, "".into())],
            0.0,
            &[],
            1,
        );
        assert_eq!(c.marks[0].h, 0.0, "nothing to scale: no division by zero");
    }

    #[test]
    fn a_year_of_columns_fits_the_width_with_few_labels() {
        for n in [7, 30, 296, 297, 366] {
            let items = (0..n)
                .map(|i| {
                    (
                        format!("{:02}-{:02}", i / 28 + 1, i % 28 + 1),
                        1.0,
                        "1".into(),
                    )
                })
                .collect();
            let c = columns("t", "T".into(), "D".into(), items, 1.0, &[], 1);
            assert_eq!(c.marks.len(), n);
            assert!(
                c.marks
                    .iter()
                    .all(|m| m.x >= 0.0 && m.x + m.w <= c.width as f64)
            );
            let labelled: Vec<f64> = c
                .marks
                .iter()
                .filter(|m| !m.label.is_empty())
                .map(|m| m.label_x)
                .collect();
            assert!(labelled.len() <= 14, "{n}: {} labels", labelled.len());
            assert!(labelled.windows(2).all(|w| w[1] - w[0] >= 5.0 * CHAR_W));
        }
    }
}
