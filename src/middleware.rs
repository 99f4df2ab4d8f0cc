//! Everything wrapped around every request: who is asking, request ids, one log line per
//! request, time and size limits, panic recovery, compression, security headers, and the error
//! pages.
//!
//! It is one service, [`Site`], around the router, and each request passes through it in the
//! order [`Site::answer`] reads: the client (as trusted proxies tell it, [`crate::client`]), a
//! request id, the body limit, the routes (under a time limit, with panics caught), their pages
//! gzipped for clients that accept it, then the error page and the security headers on the way
//! out. One
//! service rather than a stack of layers: each layer applied to a router wraps every route and
//! clones and boxes its inner service on every request, which on a step page cost more than
//! the page's own work.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use futures_util::FutureExt;
use http_body_util::{BodyExt, Limited};
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
/// The most of a too large body read (and dropped) before its `413` is sent.
const DRAIN_LIMIT: u64 = 32 * 1024 * 1024;
/// The longest a too large body is read before its `413` is sent.
const DRAIN_TIME: Duration = Duration::from_secs(10);
/// How long a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The smallest body worth compressing: below this it fits one TCP segment either way, and the
/// gzip header and the encoder's setup are all cost.
const COMPRESS_MIN_BYTES: u64 = 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers that make the browser refuse what this site never does: inline scripts, framing,
/// content sniffing, leaking status links through the referrer, sharing its window with a page
/// of another site that opened it, and the device features (camera, location...) no page here
/// uses.
const SECURITY_HEADERS: [(HeaderName, &str); 6] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    ),
];

/// Only features every current browser knows: one it does not know is reported in its console.
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// For a request that a trusted proxy says came over HTTPS: browsers keep to HTTPS for a year.
/// Not `includeSubDomains`: the help site cannot speak for the rest of the domain.
const HSTS: &str = "max-age=31536000";

/// The paths of ticket status pages (a customer's personal data, behind the secret in the link)
/// and their forms: search engines must neither index them nor follow their links, even if a
/// link leaks.
const TICKET_PATHS: &str = "/tickets/";

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
    async fn answer(self, mut request: Request) -> Response {
        // Who is asking, as the trusted proxies tell it; what anyone else forwarded is dropped
        // here, before any handler can read it.
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let origin = self.0.state.proxies.resolve(peer, request.headers_mut());
        request.extensions_mut().insert(origin);
        let ticket_page = request.uri().path().starts_with(TICKET_PATHS);
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
        headers.reserve(SECURITY_HEADERS.len() + 4);
        for (name, value) in SECURITY_HEADERS {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if origin.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
        if ticket_page {
            headers.insert(
                HeaderName::from_static("x-robots-tag"),
                HeaderValue::from_static("noindex, nofollow"),
            );
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
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let chunked = declared.is_none() && !request.body().is_end_stream();
        let request = match declared {
            Some(length) if length > BODY_LIMIT as u64 => Err(too_large_answer(request).await),
            // A body without a length is read here, up to the limit, so that one too large is
            // read to its end like one declared too large.
            _ if chunked => read_chunked(request).await,
            // Hyper holds a body to its declared length; the limit is the seatbelt.
            _ => Ok(request.map(|body| Body::new(Limited::new(body, BODY_LIMIT)))),
        };
        let response = match request {
            Err(answer) => answer,
            Ok(request) => {
                let head = request.method() == Method::HEAD;
                // Only pages are compressed (inside the error pages and the headers added on the
                // way out, so those stay as they are). A form's answer (a redirect, the form again
                // with its errors) goes as it is.
                let gzip = (head || request.method() == Method::GET)
                    && gzip::accepts_gzip(request.headers());
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
            }
        };
        error_page(&self.0.state, response, id)
    }
}

/// The `413` for a body declared larger than [`BODY_LIMIT`], once the body has been read and
/// dropped: a client still sending when the server answers and closes gets its connection
/// reset, and a browser shows that as a network error instead of the page. As nginx's lingering
/// close does, at most [`DRAIN_LIMIT`] bytes are read, within [`DRAIN_TIME`]; past either the
/// connection is closed after the answer. A client that waits for `100 Continue` sends nothing
/// and is answered at once.
async fn too_large_answer(request: Request) -> Response {
    let waits = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    // Having had no `100 Continue`, such a client may still send its body after the answer.
    let drained = !waits && drain(&mut request.into_body()).await;
    too_large(drained)
}

/// The `413`, closing the connection after it unless the body was read to its end.
fn too_large(drained: bool) -> Response {
    let mut response = StatusCode::PAYLOAD_TOO_LARGE.into_response();
    if !drained {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads the rest of `body` and drops it, up to [`DRAIN_LIMIT`] bytes within [`DRAIN_TIME`];
/// whether it was read to its end.
async fn drain(body: &mut Body) -> bool {
    let mut read = 0u64;
    let to_end = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                read += data.len() as u64;
                if read > DRAIN_LIMIT {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, to_end)
        .await
        .unwrap_or(false)
}

/// A request whose body comes without a length, with its body read whole: up to [`BODY_LIMIT`]
/// within [`REQUEST_TIMEOUT`], or else the answer (413, 408, or 400 for a body cut off).
async fn read_chunked(request: Request) -> Result<Request, Response> {
    let (parts, mut body) = request.into_parts();
    let mut whole = Vec::new();
    let read = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(StatusCode::BAD_REQUEST.into_response());
            };
            if let Some(data) = frame.data_ref() {
                if whole.len() + data.len() > BODY_LIMIT {
                    return Err(too_large(drain(&mut body).await));
                }
                whole.extend_from_slice(data);
            }
        }
        Ok(())
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, read).await {
        Ok(Ok(())) => Ok(Request::from_parts(parts, Body::from(whole))),
        Ok(Err(answer)) => Err(answer),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT.into_response()),
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
