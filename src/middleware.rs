//! Everything wrapped around every request: request ids, one log line per request, time and size
//! limits, panic recovery, compression, security headers, and the error pages.
//!
//! It is one service, [`Site`], around the router, and each request passes through it in the
//! order [`Site::answer`] reads: a request id, the body limit, the routes (under a time limit,
//! with panics caught), their pages gzipped for clients that accept it, then the error page and
//! the security headers on the way out. One
//! service rather than a stack of layers: each layer applied to a router wraps every route and
//! clones and boxes its inner service on every request, which on a step page cost more than
//! the page's own work.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use futures_util::FutureExt;
use http_body_util::Limited;
use tower::{BoxError, Service, ServiceExt};
use tower_http::timeout::Timeout;

use crate::AppState;
use crate::error::{ErrorPage, Failure};
use crate::gzip;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The longest request id taken from a client (a proxy's); a longer one is replaced.
const REQUEST_ID_MAX: usize = 128;
/// The largest request body accepted: the escalation form is the biggest, well under this.
const BODY_LIMIT: usize = 64 * 1024;
/// How long a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The smallest body worth compressing: below this it fits one TCP segment either way, and the
/// gzip header and the encoder's setup are all cost.
const COMPRESS_MIN_BYTES: u64 = 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers that make the browser refuse what this site never does: inline scripts, framing,
/// content sniffing, leaking status links through the referrer.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The site: the routes inside everything every request goes through. Cloned for every
/// request, so it is one shared pointer.
#[derive(Clone, Debug)]
pub struct Site(Arc<Parts>);

struct Parts {
    routes: Timeout<Router>,
    state: AppState,
    ids: RequestIds,
}

// By hand: tower-http's `Timeout` has no `Debug`.
impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("state", &self.state)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

/// Wraps the application's routes in what every request goes through.
pub fn wrap(router: Router<AppState>, state: AppState) -> Site {
    // Only a logged request needs its route, and finding it costs a wrapper on every route.
    let router = if tracing::enabled!(tracing::Level::INFO) {
        router.route_layer(tower::layer::layer_fn(|inner| RecordRoute { inner }))
    } else {
        router
    };
    Site(Arc::new(Parts {
        routes: Timeout::with_status_code(
            router.with_state(state.clone()),
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ),
        state,
        ids: RequestIds::new(),
    }))
}

impl<B> Service<axum::http::Request<B>> for Site
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let site = self.clone();
        Box::pin(async move { Ok(site.answer(request.map(Body::new)).await) })
    }
}

impl Site {
    async fn answer(self, request: Request) -> Response {
        // The id the request is logged under and its error page shows: the one a proxy sent,
        // or one of ours. Every response carries it back.
        let id = request
            .headers()
            .get(REQUEST_ID)
            .filter(|v| !v.is_empty() && v.len() <= REQUEST_ID_MAX)
            .cloned()
            .unwrap_or_else(|| self.0.ids.next());
        let method = request.method().clone();
        let started = Instant::now();
        let mut response = self.route(request, &id).await;
        log_request(&method, &response, &id, started);
        let headers = response.headers_mut();
        headers.reserve(SECURITY_HEADERS.len() + 2);
        for (name, value) in SECURITY_HEADERS {
            headers.insert(name, HeaderValue::from_static(value));
        }
        // Pages show a customer's own path; no shared cache may keep them. Assets set their own.
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        headers.insert(REQUEST_ID, id);
        response
    }

    /// The routes' answer to `request`, as a page if it is an error.
    async fn route(&self, request: Request, id: &HeaderValue) -> Response {
        let too_large = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|length| length > BODY_LIMIT as u64);
        let response = if too_large {
            StatusCode::PAYLOAD_TOO_LARGE.into_response()
        } else {
            // A body without a length (chunked) is cut off at the limit as it is read; the form
            // extractors answer that with 413 too.
            let request = request.map(|body| Body::new(Limited::new(body, BODY_LIMIT)));
            let head = request.method() == Method::HEAD;
            // Only pages are compressed (inside the error pages and the headers added on the
            // way out, so those stay as they are). A form's answer (a redirect, the form again
            // with its errors) goes as it is.
            let gzip =
                (head || request.method() == Method::GET) && gzip::accepts_gzip(request.headers());
            let answer = self.0.routes.clone().oneshot(request);
            match AssertUnwindSafe(answer).catch_unwind().await {
                // A HEAD answer has the GET's headers (its encoding too) and no body.
                Ok(Ok(response)) if head => {
                    compress(response, gzip, head).await.map(|_| Body::empty())
                }
                Ok(Ok(response)) => compress(response, gzip, head).await,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    response.extensions_mut().insert(Failure {
                        cause: "a handler panicked".into(),
                        unavailable: false,
                    });
                    response
                }
            }
        };
        error_page(&self.0.state, response, id)
    }
}

/// A page gzipped for a client that accepts it (`gzip`), with `Vary: Accept-Encoding` whether or
/// not it was. Only pages and stylesheets of at least [`COMPRESS_MIN_BYTES`] whose length is
/// known: images and the precompressed assets gain nothing (and a response that has a
/// `Content-Encoding` is never touched), and the CSV exports stream page by page as they are
/// read, which would have to be held back to be compressed whole.
async fn compress(response: Response, gzip: bool, head: bool) -> Response {
    let headers = response.headers();
    let text = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"text/html") || v.starts_with(b"text/css")
    });
    // The length header first: a HEAD answer has it, with an empty body, and must say what the
    // GET would.
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .or_else(|| response.body().size_hint().exact());
    if !text
        || headers.contains_key(header::CONTENT_ENCODING)
        || size.is_none_or(|size| size < COMPRESS_MIN_BYTES)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if !gzip {
        return Response::from_parts(parts, body);
    }
    let gzip_header = HeaderValue::from_static("gzip");
    if head {
        // The GET's headers: gzipped, of a length only the GET's gzipping would tell.
        parts.headers.insert(header::CONTENT_ENCODING, gzip_header);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, body);
    }
    // A page of known length is one buffer, rendered before it was answered: this reads it at
    // once.
    let Ok(page) = axum::body::to_bytes(body, usize::MAX).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, Body::empty());
    };
    match gzip::gzip(&page) {
        Some(gzipped) => {
            parts.headers.insert(header::CONTENT_ENCODING, gzip_header);
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(gzipped))
        }
        None => Response::from_parts(parts, Body::from(page)),
    }
}

/// The request's one line in the log: what was asked (the method and the route's pattern, never
/// the path: a status link's path is its secret), the answer, the time it took and the request
/// id. A failure on the server's side is written on that line, with its cause, as an error.
///
/// One event and no span a request: a span costs a fifth of a page's time, and everything worth
/// knowing about a request is on its line.
fn log_request(method: &Method, response: &Response, id: &HeaderValue, started: Instant) {
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", MatchedPath::as_str);
    let id = id.to_str().unwrap_or("-");
    let status = response.status().as_u16();
    // Whole microseconds: an integer is written in a fraction of a float's time.
    let latency_us = started.elapsed().as_micros() as u64;
    match response.extensions().get::<Failure>() {
        Some(f) if f.unavailable => {
            tracing::warn!(%method, %route, status, latency_us, request.id = %id, error = %f.cause, "database unavailable")
        }
        Some(f) => {
            tracing::error!(%method, %route, status, latency_us, request.id = %id, error = %f.cause, "request failed")
        }
        None => tracing::info!(%method, %route, status, latency_us, request.id = %id, "request"),
    }
}

/// Puts the route a request matched on its response, for its line in the log.
#[derive(Clone, Debug)]
struct RecordRoute<S> {
    inner: S,
}

impl<S> Service<Request> for RecordRoute<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        Recorded {
            answer: self.inner.call(request),
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// A route's answer on its way out, with the route it matched put on it: a future of its own
    /// rather than a boxed one, as this runs on every request.
    struct Recorded<F> {
        #[pin]
        answer: F,
        route: Option<MatchedPath>,
    }
}

impl<F, E> Future for Recorded<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.answer.poll(cx))?;
        if let Some(route) = this.route.take() {
            response.extensions_mut().insert(route);
        }
        Poll::Ready(Ok(response))
    }
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

    fn next(&self) -> HeaderValue {
        let (prefix, next) = &*self.0;
        let n = next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{prefix}-{n}"))
            .unwrap_or_else(|_| HeaderValue::from_static("-"))
    }
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

/// Renders an error response as a page: the [`ErrorPage`] markers of handlers, and the bare
/// 4xx/5xx answers of axum's extractors and of the limits above. Other responses pass as they are.
fn error_page(state: &AppState, response: Response, id: &HeaderValue) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        // An answer that already has a body of ours (e.g. a form re-shown with its errors).
        None if response
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
        request_id: id.to_str().unwrap_or("-"),
        status: status.as_u16(),
    }
    .render()
    .unwrap_or_else(|_| page.message.clone());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    // The page replaces whatever body came, compressed or not.
    parts.headers.remove(header::CONTENT_ENCODING);
    (parts, Html(body)).into_response()
}
