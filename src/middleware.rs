//! Everything wrapped around every request: request ids, one log line per request, time and size
//! limits, panic recovery, security headers, and the error pages.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::AppState;
use crate::error::ErrorPage;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The largest request body accepted: the escalation form is the biggest, well under this.
const BODY_LIMIT: usize = 64 * 1024;
/// How long a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Wraps the application's routes in the middleware stack.
pub fn wrap(router: Router<AppState>, state: AppState) -> Router {
    // Listed from the innermost layer out. The limits sit inside `error_pages`, so their bare
    // 408/413/500 answers are rendered as pages too; security headers cover every answer.
    router
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
        .layer(middleware::from_fn(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let path = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), route = path, request.id = id)
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
        .with_state(state)
}

/// Request ids for requests that come without one: a random prefix per server start and a
/// counter, unique across restarts without asking the system for randomness on every request.
#[derive(Clone, Debug)]
struct RequestIds(Arc<(String, AtomicU64)>);

impl RequestIds {
    fn new() -> RequestIds {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        RequestIds(Arc::new((prefix, AtomicU64::new(1))))
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let (prefix, next) = &*self.0;
        let n = next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{prefix}-{n}"))
            .ok()
            .map(RequestId::new)
    }
}

/// Headers that make the browser refuse what this site never does: inline scripts, framing,
/// content sniffing, leaking status links through the referrer.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages show a customer's own path; no shared cache may keep them. Assets set their own.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    org: &'a str,
    heading: &'a str,
    message: &'a str,
    request_id: &'a str,
    status: u16,
}

/// Renders every error response as a page: [`ErrorPage`] markers from handlers, and the bare
/// 4xx/5xx answers of axum's extractors and of the layers above.
async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = request.extensions().get::<RequestId>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        // An answer that already has a body of ours (e.g. a form re-shown with its errors).
        None if response.headers().contains_key(header::CONTENT_TYPE)
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/html")) =>
        {
            return response;
        }
        None => ErrorPage {
            heading: match status {
                StatusCode::NOT_FOUND => "We can't find that page",
                StatusCode::METHOD_NOT_ALLOWED => "That page can't be used that way",
                StatusCode::PAYLOAD_TOO_LARGE => "That was more than we can accept",
                StatusCode::REQUEST_TIMEOUT => "That took too long",
                s if s.is_server_error() => "Something went wrong on our side",
                _ => "Something in that request wasn't right",
            },
            message: match status {
                StatusCode::NOT_FOUND => "The page you asked for doesn't exist. It may have been moved, or the link may be incomplete.".into(),
                StatusCode::PAYLOAD_TOO_LARGE => "The form was too large. Please shorten what you wrote and send it again.".into(),
                s if s.is_server_error() => "The problem has been logged. Please try again in a moment.".into(),
                _ => "Please go back and try again.".into(),
            },
        },
    };
    let (mut parts, _) = response.into_parts();
    let body = ErrorTemplate {
        org: &state.guides.current().organisation,
        heading: page.heading,
        message: &page.message,
        request_id: request_id
            .as_ref()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-"),
        status: status.as_u16(),
    }
    .render()
    .unwrap_or_else(|_| page.message.clone());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    (parts, Html(body)).into_response()
}
