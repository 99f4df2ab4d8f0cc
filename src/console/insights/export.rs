//! The insights exports: the tickets and path events of the chosen range as CSV
//! (`super::super::csv`), streamed a page of rows at a time. The range is local days of the
//! installation's zone; the times in the files are UTC instants (RFC 3339 with milliseconds and
//! `Z`), which sort and compare whatever the zone, as the insights page says. Each export is an [`Export`]: its
//! columns, its pages and its fields; [`respond`] and [`stream`] serve them all alike.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::super::session::SignedIn;
use super::super::{Params, csv};
use super::problem_label;
use super::query::{Chosen, InsightsQuery};
use crate::AppState;
use crate::domain::time::date;
use crate::error::{AppError, AppResult};
use crate::guide::Guide;
use crate::store::{EventExport, ExportFilter, Store, StoreError, TicketExport};

/// Rows fetched per round trip while exporting.
const EXPORT_PAGE: i64 = 2_000;

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

/// The tickets export's columns.
/// `visit` and `outcome_event` lead to the customer's whole path: the rows of the events export
/// with that visit, up to and including that event.
pub const TICKET_COLUMNS: [&str; 18] = [
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
    "visit",
    "outcome_event",
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

/// One export: its columns, its rows a page at a time, and how a row reads as CSV fields.
trait Export: Send + Sync + 'static {
    /// A row as the store gives it.
    type Row: Send + 'static;
    /// What the file holds, for its name: `tickets` or `events`.
    const NAME: &'static str;
    /// The header row.
    const COLUMNS: &'static [&'static str];
    /// Up to [`EXPORT_PAGE`] rows, oldest first, after the row whose key is `after`.
    fn page(
        &self,
        after: Option<(i64, i64)>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send;
    /// A row's place in the order, to ask for the page after it.
    fn key(row: &Self::Row) -> (i64, i64);
    /// A row's fields, in the order of the columns.
    fn fields(&self, row: &Self::Row) -> Vec<String>;
}

/// The tickets opened in the range.
struct Tickets {
    store: Store,
    filter: ExportFilter,
    guide: Arc<Guide>,
}

impl Export for Tickets {
    type Row = TicketExport;
    const NAME: &'static str = "tickets";
    const COLUMNS: &'static [&'static str] = &TICKET_COLUMNS;

    async fn page(&self, after: Option<(i64, i64)>) -> Result<Vec<TicketExport>, StoreError> {
        self.store
            .tickets_for_export(&self.filter, after, EXPORT_PAGE)
            .await
    }

    fn key(t: &TicketExport) -> (i64, i64) {
        (t.created_at.millis(), t.number)
    }

    fn fields(&self, t: &TicketExport) -> Vec<String> {
        vec![
            self.guide.reference(t.number),
            t.created_at.iso_millis(),
            t.problem_id.clone(),
            problem_label(&self.guide, &t.problem_id),
            t.outcome_kind.clone(),
            t.ending_id.clone(),
            t.status.as_str().to_string(),
            t.assignee.clone().unwrap_or_default(),
            t.customer_name.clone(),
            t.customer_email.clone(),
            t.customer_phone.clone().unwrap_or_default(),
            t.customer_account.clone().unwrap_or_default(),
            t.email_program.clone(),
            t.description.clone(),
            t.resolved_at.map(|r| r.iso_millis()).unwrap_or_default(),
            t.updated_at.iso_millis(),
            t.visit_id.clone(),
            t.outcome_event.to_string(),
        ]
    }
}

/// The path events recorded in the range.
struct Events {
    store: Store,
    filter: ExportFilter,
}

impl Export for Events {
    type Row = EventExport;
    const NAME: &'static str = "events";
    const COLUMNS: &'static [&'static str] = &EVENT_COLUMNS;

    async fn page(&self, after: Option<(i64, i64)>) -> Result<Vec<EventExport>, StoreError> {
        self.store
            .events_for_export(&self.filter, after, EXPORT_PAGE)
            .await
    }

    fn key(e: &EventExport) -> (i64, i64) {
        (e.at.millis(), e.id)
    }

    fn fields(&self, e: &EventExport) -> Vec<String> {
        vec![
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
        ]
    }
}

/// Answers with `export` as a CSV file named for it and the range. The first page is read
/// before answering, so a database that fails at once gets an error page rather than a cut
/// file; the rest follows a page at a time.
async fn respond<E: Export>(export: E, chosen: &Chosen) -> AppResult<Response> {
    let first = export.page(None).await?;
    let name = format!(
        "helpdesk-{}-{}-to-{}.csv",
        E::NAME,
        date(chosen.from_day),
        date(chosen.to_day)
    );
    Ok(attachment(&name, stream(export, first)))
}

/// A body fed from a task that writes `first` (after the header), then every further page
/// after the previous page's last row, until a short page. One page of rows is held at a time.
fn stream<E: Export>(export: E, first: Vec<E::Row>) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut rows = first;
        let mut header = Some(E::COLUMNS);
        loop {
            let chunk = csv::chunk(header.take(), rows.iter().map(|r| export.fields(r)))
                .map(Bytes::from)
                .map_err(|e| {
                    tracing::warn!(error = %e, "export stopped");
                    std::io::Error::other("export stopped")
                });
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return; // the client went away, or the file cannot go on
            }
            let after = match rows.last() {
                Some(last) if rows.len() as i64 == EXPORT_PAGE => E::key(last),
                _ => return,
            };
            rows = match export.page(Some(after)).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "export stopped");
                    let _ = tx.send(Err(std::io::Error::other("export stopped"))).await;
                    return;
                }
            };
        }
    });
    Body::new(Chunks(rx))
}

fn chosen_for_export(state: &AppState, query: &InsightsQuery) -> AppResult<Chosen> {
    query
        .parse(state.guides.current(), state.zone.today())
        .map_err(AppError::BadRequest)
}

/// `GET /console/insights/tickets.csv`: the tickets opened in the range, oldest first.
pub async fn tickets_csv(
    State(state): State<AppState>,
    _me: SignedIn,
    Params(query): Params<InsightsQuery>,
) -> AppResult<Response> {
    let chosen = chosen_for_export(&state, &query)?;
    let export = Tickets {
        store: state.store.clone(),
        filter: chosen.export_filter(&state.zone),
        guide: state.guides.current().clone(),
    };
    respond(export, &chosen).await
}

/// `GET /console/insights/events.csv`: the path events recorded in the range, oldest first.
pub async fn events_csv(
    State(state): State<AppState>,
    _me: SignedIn,
    Params(query): Params<InsightsQuery>,
) -> AppResult<Response> {
    let chosen = chosen_for_export(&state, &query)?;
    let export = Events {
        store: state.store.clone(),
        filter: chosen.export_filter(&state.zone),
    };
    respond(export, &chosen).await
}
