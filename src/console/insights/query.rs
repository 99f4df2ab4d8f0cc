//! The insights page's question: the date range, problem and period a manager chose, checked
//! and put in words when wrong (the page and both exports answer the same 400 page).

use serde::Deserialize;

use crate::domain::time::{Zone, date, parse_date};
use crate::guide::Guide;
use crate::store::ExportFilter;

use super::super::encode;

/// The longest range the page answers, in days.
pub const MAX_SPAN_DAYS: i64 = 366;
/// The range shown when none is chosen: the last 30 days, today included.
const DEFAULT_SPAN_DAYS: i64 = 30;

/// The page's query string, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InsightsQuery {
    /// First day, `YYYY-MM-DD` (a local day in the installation's zone); default: 29 days
    /// before `to`.
    pub from: String,
    /// Last day, included whole; default: today (local).
    pub to: String,
    /// A problem id, or empty for all.
    pub problem: String,
    /// The trend's period: `day` (default) or `week`.
    pub by: String,
}

/// The trend's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One point per local day.
    Day,
    /// One point per week, Monday to Sunday (local days).
    Week,
}

/// A valid choice of range, problem and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// First local day (day number).
    pub from_day: i64,
    /// Last local day, included.
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
        let problem = crate::console::chosen_problem(guide, &self.problem)?;
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
    /// The choice as a query string, for links that keep it.
    pub(super) fn query_string(&self) -> String {
        let mut q = format!("from={}&to={}", date(self.from_day), date(self.to_day));
        if let Some(p) = &self.problem {
            q.push_str(&format!("&problem={}", encode(p)));
        }
        q
    }

    /// What the exports of this choice contain: from the first local midnight of the range in
    /// `zone` to the one after its last day.
    pub(super) fn export_filter(&self, zone: &Zone) -> ExportFilter {
        ExportFilter {
            start: zone.start_of_day(self.from_day),
            until: zone.start_of_day(self.to_day + 1),
            problem: self.problem.clone(),
        }
    }
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
}
