//! The insights exports: the tickets and path events of the chosen range as CSV
//! (`super::super::csv`), streamed a page of rows at a time.

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
use crate::domain::time::{Timestamp, date};
use crate::error::{AppError, AppResult};
use crate::guide::Guide;
use crate::store::{EventExport, TicketExport};

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
            t.visit_id.clone(),
            t.outcome_event.to_string(),
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
