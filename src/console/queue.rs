//! The ticket queue: open tickets first, sorted by age or last update, filtered and searched
//! through the URL (so a view can be bookmarked), with counts per status and keyset pages both
//! ways.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::session::SignedIn;
use super::{Chrome, Params, age, encode};
use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::targets::Urgency;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone, parse_date};
use crate::error::{AppError, AppResult};
use crate::guide::Guide;
use crate::store::{
    AssigneeFilter, Cursor, ManagerRecord, QueueFilter, QueueRow, QueueSort, Search, StatusFilter,
};

/// Tickets per page.
pub const PAGE_SIZE: u32 = 25;
/// The longest search accepted, in characters.
const SEARCH_MAX: usize = 100;

/// The queue's query string, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    /// `new`, `in-progress`, ..., `all`, or `open` (also when empty).
    pub status: String,
    /// An escalation kind, or empty.
    pub kind: String,
    /// A problem id, or empty.
    pub symptom: String,
    /// `mine`, `unassigned`, `anyone` (or empty), or a manager's id.
    pub assignee: String,
    /// A reference, or text in the customer's details, the description or a note.
    pub q: String,
    /// `newest` (or empty), `oldest` or `updated`.
    pub sort: String,
    /// Opened on or after this local day, `YYYY-MM-DD`, or empty.
    pub from: String,
    /// Opened on or before this local day (included whole), `YYYY-MM-DD`, or empty.
    pub to: String,
    /// The keyset cursor `time.number` of the last ticket of the page before (next page).
    pub after: String,
    /// The keyset cursor `time.number` of the first ticket of the page after (previous page).
    pub before: String,
}

/// The sort choices: value, label.
const SORTS: [(&str, &str); 4] = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("updated", "Last updated first"),
    ("due", "Due first"),
];

fn bad(message: String) -> AppError {
    AppError::BadRequest(message)
}

/// A cursor as it appears in URLs: `time.number`.
pub fn cursor_text(cursor: Cursor) -> String {
    format!("{}.{}", cursor.at.millis(), cursor.number)
}

/// A cursor from a URL, or a message.
fn parse_cursor(raw: &str) -> Result<Option<Cursor>, String> {
    match raw.trim() {
        "" => Ok(None),
        a => {
            let parsed = a
                .split_once('.')
                .and_then(|(t, n)| Some((t.parse::<i64>().ok()?, n.parse::<i64>().ok()?)));
            let (at, number) = parsed.ok_or_else(|| {
                "That page link is malformed. Please start again from the first page.".to_string()
            })?;
            Ok(Some(Cursor {
                at: Timestamp(at),
                number,
            }))
        }
    }
}

/// `IIMS-000123`, `iims-123` or `123` is a ticket number; anything else is text to look for.
pub fn parse_search(raw: &str, prefix: &str) -> Search {
    let text = raw.trim();
    let digits = match text.split_once('-') {
        Some((p, rest)) if p.eq_ignore_ascii_case(prefix) => rest,
        _ => text,
    };
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = digits.parse()
    {
        return Search::Number(n);
    }
    Search::Text(text.to_string())
}

impl QueueQuery {
    /// The filters, or a message saying which value is wrong; dates are local days in `zone`.
    pub fn parse(&self, guide: &Guide, me: &str, zone: &Zone) -> Result<QueueFilter, String> {
        let status = match self.status.trim() {
            "all" => StatusFilter::Any,
            "" | "open" => StatusFilter::Open,
            s => StatusFilter::Is(TicketStatus::from_name(s).ok_or_else(|| {
                "There is no ticket status called that. Choose a status from the list.".to_string()
            })?),
        };
        let kind = match self.kind.trim() {
            "" => None,
            k => Some(
                OutcomeKind::from_name(k)
                    .filter(|k| k.escalates())
                    .ok_or_else(|| {
                        "There is no escalation kind called that. Choose one from the list."
                            .to_string()
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        let problem = super::chosen_problem(guide, &self.symptom)?;
        let assignee = match self.assignee.trim() {
            "" | "anyone" => AssigneeFilter::Anyone,
            "mine" => AssigneeFilter::Manager(me.to_string()),
            "unassigned" => AssigneeFilter::Unassigned,
            id => AssigneeFilter::Manager(
                uuid::Uuid::try_parse(id)
                    .map_err(|_| {
                        "The assignee must be mine, unassigned, anyone, or a manager from the list."
                            .to_string()
                    })?
                    .to_string(),
            ),
        };
        let search = match self.q.trim() {
            "" => None,
            q if q.chars().count() > SEARCH_MAX => {
                return Err(format!(
                    "A search can be at most {SEARCH_MAX} characters long."
                ));
            }
            q => Some(parse_search(q, &guide.reference_prefix)),
        };
        let sort = match self.sort.trim() {
            "" | "newest" => QueueSort::Newest,
            "oldest" => QueueSort::Oldest,
            "updated" => QueueSort::Updated,
            "due" => QueueSort::Due,
            _ => {
                return Err(
                    "The queue can be sorted by newest, oldest, last updated or due first. Choose one from the list."
                        .into(),
                );
            }
        };
        let day = |text: &str, what: &str| match text.trim() {
            "" => Ok(None),
            t => parse_date(t).map(Some).ok_or_else(|| {
                format!(
                    "The {what} date must be a real date written like 2026-11-01 (year-month-day)."
                )
            }),
        };
        let (from, to) = (
            day(&self.from, "\"opened from\"")?,
            day(&self.to, "\"opened to\"")?,
        );
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err("The \"opened from\" date is after the \"opened to\" date. Choose a start on or before the end.".into());
        }
        let after = parse_cursor(&self.after)?;
        let before = parse_cursor(&self.before)?;
        Ok(QueueFilter {
            status,
            kind,
            problem,
            assignee,
            search,
            // A local day runs from its first moment to the next day's (23 or 25 hours when the
            // clocks change).
            opened_from: from.map(|d| zone.start_of_day(d)),
            opened_before: to.map(|d| zone.start_of_day(d + 1)),
            sort,
            after,
            before,
        })
    }

    /// The queue's URL with these filters and sort, `status` replaced, at a page (`after` or
    /// `before` a cursor).
    fn url(&self, status: &str, page: Page) -> String {
        let (after, before) = match page {
            Page::First => (String::new(), String::new()),
            Page::After(c) => (cursor_text(c), String::new()),
            Page::Before(c) => (String::new(), cursor_text(c)),
        };
        let sort = match self.sort.trim() {
            "newest" => "",
            s => s,
        };
        let mut parts = Vec::new();
        for (name, value) in [
            ("status", status),
            ("kind", self.kind.trim()),
            ("symptom", self.symptom.trim()),
            ("assignee", self.assignee.trim()),
            ("q", self.q.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("sort", sort),
            ("after", &after),
            ("before", &before),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode(value)));
            }
        }
        if parts.is_empty() {
            "/console/tickets".into()
        } else {
            format!("/console/tickets?{}", parts.join("&"))
        }
    }
}

/// Which page a queue link leads to.
#[derive(Debug, Clone, Copy)]
enum Page {
    First,
    After(Cursor),
    Before(Cursor),
}

/// A status tab: its label, count, link, and whether it is the one shown.
#[derive(Debug)]
struct Tab {
    label: String,
    count: i64,
    url: String,
    current: bool,
}

/// A queue line ready for the page.
#[derive(Debug)]
struct Line {
    reference: String,
    url: String,
    status: &'static str,
    status_name: &'static str,
    symptom: String,
    kind: &'static str,
    customer_name: String,
    customer_email: String,
    assignee: Option<String>,
    opened: String,
    opened_iso: String,
    age: String,
    updated: String,
    updated_iso: String,
    /// The next deadline: (when, ISO, "overdue" / "nearly-due" / "on-time").
    due: Option<(String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage<'a> {
    chrome: Chrome,
    query: &'a QueueQuery,
    tabs: Vec<Tab>,
    lines: Vec<Line>,
    next_url: Option<String>,
    previous_url: Option<String>,
    first_url: Option<String>,
    sorts: [(&'static str, &'static str); 4],
    sort_now: &'a str,
    sort_words: &'static str,
    by_update: bool,
    problems: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    managers: Vec<ManagerRecord>,
    total: i64,
    /// The installation's zone, which the dates and times are in.
    zone: &'a str,
}

fn line(guide: &Guide, row: QueueRow, zone: &Zone, now: Timestamp) -> Line {
    Line {
        reference: guide.reference(row.number),
        url: format!("/console/tickets/{}", row.number),
        status: row.status.label(),
        status_name: row.status.as_str(),
        symptom: guide
            .problem(&row.problem_id)
            .map_or_else(|| row.problem_id.clone(), |p| p.symptom.clone()),
        kind: OutcomeKind::from_name(&row.outcome_kind).map_or("", |k| k.label()),
        customer_name: row.customer_name,
        customer_email: row.customer_email,
        assignee: row.assignee_name,
        opened: zone.display(row.created_at),
        opened_iso: row.created_at.iso(),
        age: age(row.created_at, now),
        updated: zone.display(row.updated_at),
        updated_iso: row.updated_at.iso(),
        due: row.due_at.map(|due| {
            let urgency = match Urgency::of(due, now) {
                Urgency::Overdue => "overdue",
                Urgency::NearlyDue => "nearly-due",
                Urgency::OnTime => "on-time",
            };
            (zone.display(due), due.iso(), urgency)
        }),
    }
}

/// `GET /console/tickets`: the queue.
pub async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    Params(query): Params<QueueQuery>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let filter = query.parse(&guide, me.id(), &state.zone).map_err(bad)?;
    let page = state.store.queue(&filter, PAGE_SIZE).await?;
    let status_now = match query.status.trim() {
        "" => "open",
        s => s,
    };
    let mut tabs = vec![
        Tab {
            label: "Open".into(),
            count: page
                .counts
                .iter()
                .filter(|c| c.0.is_open())
                .map(|c| c.1)
                .sum(),
            url: query.url("", Page::First),
            current: status_now == "open",
        },
        Tab {
            label: "All".into(),
            count: page.counts.iter().map(|c| c.1).sum(),
            url: query.url("all", Page::First),
            current: status_now == "all",
        },
    ];
    tabs.extend(page.counts.iter().map(|&(s, count)| Tab {
        label: s.label().into(),
        count,
        url: query.url(s.as_str(), Page::First),
        current: status_now == s.as_str(),
    }));
    let total = tabs.iter().find(|t| t.current).map_or(0, |t| t.count);
    let status_link = match status_now {
        "open" => "",
        s => s,
    };
    let sort_now = match query.sort.trim() {
        "" => "newest",
        s => s,
    };
    let now = Timestamp::now();
    let page_html = QueuePage {
        chrome: Chrome::new(&state, &me),
        query: &query,
        tabs,
        next_url: page.next.map(|c| query.url(status_link, Page::After(c))),
        previous_url: page
            .previous
            .map(|c| query.url(status_link, Page::Before(c))),
        // Also from an empty page past either end (a link that went stale), so there is a way back.
        first_url: (page.previous.is_some()
            || (page.rows.is_empty() && (filter.after.is_some() || filter.before.is_some())))
        .then(|| query.url(status_link, Page::First)),
        sorts: SORTS,
        sort_now,
        sort_words: SORTS.iter().find(|s| s.0 == sort_now).map_or("", |s| s.1),
        by_update: filter.sort == QueueSort::Updated,
        lines: page
            .rows
            .into_iter()
            .map(|r| line(&guide, r, &state.zone, now))
            .collect(),
        problems: guide
            .problems
            .iter()
            .map(|p| (p.id.clone(), p.symptom.clone()))
            .collect(),
        kinds: OutcomeKind::ALL
            .iter()
            .filter(|k| k.escalates())
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        managers: state.store.managers_as_of(me.managers_generation).await?,
        total,
        zone: state.zone.name(),
    };
    Ok(Html(page_html.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_numbers_are_searched_as_numbers() {
        assert_eq!(parse_search("IIMS-000123", "IIMS"), Search::Number(123));
        assert_eq!(parse_search(" iims-7 ", "IIMS"), Search::Number(7));
        assert_eq!(parse_search("42", "IIMS"), Search::Number(42));
        assert_eq!(
            parse_search("ann@example.com", "IIMS"),
            Search::Text("ann@example.com".into())
        );
        assert_eq!(parse_search("IIMS-", "IIMS"), Search::Text("IIMS-".into()));
    }

    #[test]
    fn bad_filter_values_are_refused() {
        let guide = Guide::embedded();
        let q = |f: fn(&mut QueueQuery)| {
            let mut query = QueueQuery::default();
            f(&mut query);
            query.parse(&guide, "me", &Zone::utc())
        };
        assert!(q(|_| {}).is_ok());
        assert!(q(|q| q.status = "pending".into()).is_err());
        assert!(q(|q| q.kind = "isp".into()).is_err());
        assert!(q(|q| q.symptom = "printer".into()).is_err());
        assert!(q(|q| q.assignee = "bob".into()).is_err());
        assert!(q(|q| q.after = "12".into()).is_err());
        assert!(q(|q| q.before = "x.1".into()).is_err());
        assert!(q(|q| q.sort = "random".into()).is_err());
        assert!(q(|q| q.from = "2026-02-30".into()).is_err());
        assert!(q(|q| q.to = "yesterday".into()).is_err());
        let ny = Zone::parse("America/New_York").unwrap();
        let mut query = QueueQuery {
            from: "2026-11-02".into(),
            to: "2026-11-01".into(),
            ..QueueQuery::default()
        };
        assert!(query.parse(&guide, "me", &ny).is_err(), "from after to");
        query.from = "2026-11-01".into();
        let f = query.parse(&guide, "me", &ny).unwrap();
        // 2026-11-01 in New York: 04:00Z to 05:00Z the next day, 25 hours.
        assert_eq!(
            f.opened_from.map(|t| t.iso()).unwrap(),
            "2026-11-01T04:00:00Z"
        );
        assert_eq!(
            f.opened_before.map(|t| t.iso()).unwrap(),
            "2026-11-02T05:00:00Z"
        );
        assert_eq!(q(|_| {}).unwrap().status, StatusFilter::Open);
        assert_eq!(
            q(|q| q.status = "all".into()).unwrap().status,
            StatusFilter::Any
        );
        assert_eq!(
            q(|q| q.sort = "oldest".into()).unwrap().sort,
            QueueSort::Oldest
        );
        assert_eq!(
            q(|q| q.assignee = "mine".into()).unwrap().assignee,
            AssigneeFilter::Manager("me".into())
        );
    }
}
