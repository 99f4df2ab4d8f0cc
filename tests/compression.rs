//! Compression through the real router: pages and the stylesheet gzipped for clients that ask,
//! everything else (and every client that does not ask) as before.

mod common;

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, header};
use common::TestApp;
use flate2::read::GzDecoder;
use helpdesk::Site;
use helpdesk::domain::manager::Role;
use http_body_util::BodyExt;
use tower::ServiceExt;

const STEP: &str = "/problems/cant-send/steps/check-smtp-settings";

/// A response as bytes: a gzipped body is not text.
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Raw {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(router: &Site, request: Request<Body>) -> Raw {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Raw {
        status,
        headers,
        body,
    }
}

/// `method path` with the visit `cookie` and, if given, `Accept-Encoding`.
fn request(method: &str, path: &str, cookie: &str, accept: Option<&str>) -> Request<Body> {
    let mut r = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "help.example.com")
        .header(header::COOKIE, cookie);
    if let Some(a) = accept {
        r = r.header(header::ACCEPT_ENCODING, a);
    }
    r.body(Body::empty()).unwrap()
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a valid gzip stream");
    out
}

/// A customer with a visit, on the first step: the page's bytes are the same on every view.
async fn visit_cookie(app: &TestApp) -> String {
    let mut customer = app.customer();
    customer.pick("cant-send").await;
    customer.start_over("cant-send").await;
    customer.cookie.clone().expect("the visit cookie")
}

#[tokio::test]
async fn a_step_page_asked_for_gzip_comes_gzipped_and_decodes_to_the_same_html() {
    let app = TestApp::new().await;
    let cookie = visit_cookie(&app).await;
    let plain = send(&app.router, request("GET", STEP, &cookie, None)).await;
    assert_eq!(plain.status, 200);
    let gz = send(
        &app.router,
        request("GET", STEP, &cookie, Some("gzip, deflate, br")),
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"));
    assert!(
        gz.header(header::VARY)
            .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    );
    // The length of the plain page would be wrong for the gzipped bytes.
    assert!(
        gz.header(header::CONTENT_LENGTH)
            .is_none_or(|n| n == gz.body.len().to_string())
    );
    assert!(
        gz.body.len() * 4 < plain.body.len() * 3,
        "gzip should shrink a page by a quarter at least: {} of {} bytes",
        gz.body.len(),
        plain.body.len()
    );
    assert_eq!(gunzip(&gz.body), plain.body.to_vec());
    // What the site adds on the way out is there either way.
    for name in ["x-request-id", "content-security-policy", "x-frame-options"] {
        assert!(gz.headers.contains_key(name), "{name} missing");
    }
    assert_eq!(gz.header(header::CACHE_CONTROL), Some("no-store"));
    assert!(
        gz.header(header::CONTENT_TYPE)
            .is_some_and(|t| t.starts_with("text/html"))
    );
}

#[tokio::test]
async fn without_accept_encoding_or_with_gzip_refused_a_page_is_plain() {
    let app = TestApp::new().await;
    let cookie = visit_cookie(&app).await;
    for accept in [None, Some("identity"), Some("gzip;q=0, identity")] {
        let page = send(&app.router, request("GET", STEP, &cookie, accept)).await;
        assert_eq!(page.status, 200, "{accept:?}");
        assert_eq!(page.header(header::CONTENT_ENCODING), None, "{accept:?}");
        let html = String::from_utf8(page.body.to_vec()).expect("plain text");
        assert!(html.contains("</html>"), "{accept:?}");
    }
}

#[tokio::test]
async fn a_head_of_a_step_page_has_the_get_headers_and_no_body() {
    let app = TestApp::new().await;
    let cookie = visit_cookie(&app).await;
    let get = send(&app.router, request("GET", STEP, &cookie, Some("gzip"))).await;
    let head = send(&app.router, request("HEAD", STEP, &cookie, Some("gzip"))).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "a HEAD answer has no body");
    assert_eq!(head.header(header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(
        head.header(header::CONTENT_ENCODING),
        get.header(header::CONTENT_ENCODING)
    );
    assert_eq!(head.header(header::VARY), get.header(header::VARY));
    let plain_head = send(&app.router, request("HEAD", STEP, &cookie, None)).await;
    assert_eq!(plain_head.status, 200);
    assert!(plain_head.body.is_empty());
    assert_eq!(plain_head.header(header::CONTENT_ENCODING), None);
}

#[tokio::test]
async fn an_error_page_asked_for_gzip_is_still_the_site_error_page() {
    let app = TestApp::new().await;
    let page = send(
        &app.router,
        request("GET", "/problems/no-such-problem", "", Some("gzip")),
    )
    .await;
    assert_eq!(page.status, 404);
    let body = match page.header(header::CONTENT_ENCODING) {
        Some("gzip") => gunzip(&page.body),
        None => page.body.to_vec(),
        Some(other) => panic!("unexpected encoding {other}"),
    };
    let html = String::from_utf8(body).expect("an HTML page");
    let id = page.header(header::HeaderName::from_static("x-request-id"));
    assert!(html.contains("We can&#x27;t find that page") || html.contains("find that page"));
    assert!(
        html.contains(id.expect("a request id")),
        "the page shows its request id"
    );
    assert!(page.headers.contains_key(header::CONTENT_SECURITY_POLICY));
}

#[tokio::test]
async fn the_stylesheet_comes_precompressed_with_its_own_etag_and_revalidates() {
    let app = TestApp::new().await;
    let url = helpdesk::assets::url("style.css");
    let plain = send(&app.router, request("GET", url, "", None)).await;
    let gz = send(&app.router, request("GET", url, "", Some("gzip"))).await;
    assert_eq!((plain.status, gz.status), (200, 200));
    assert_eq!(plain.header(header::CONTENT_ENCODING), None);
    assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(gunzip(&gz.body), plain.body.to_vec());
    for r in [&plain, &gz] {
        assert_eq!(r.header(header::VARY), Some("accept-encoding"));
        assert!(
            r.header(header::CACHE_CONTROL)
                .is_some_and(|c| c.contains("immutable"))
        );
    }
    assert_eq!(
        gz.header(header::CONTENT_LENGTH),
        Some(gz.body.len().to_string().as_str())
    );
    let (plain_tag, gz_tag) = (
        plain.header(header::ETAG).expect("etag").to_string(),
        gz.header(header::ETAG).expect("etag").to_string(),
    );
    assert_ne!(plain_tag, gz_tag, "two representations, two tags");

    let revalidate = |tag: &str, accept: Option<&str>| {
        let mut r = request("GET", url, "", accept);
        r.headers_mut()
            .insert(header::IF_NONE_MATCH, tag.parse().unwrap());
        r
    };
    let not_modified = send(&app.router, revalidate(&gz_tag, Some("gzip"))).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header(header::ETAG), Some(gz_tag.as_str()));
    assert_eq!(not_modified.header(header::CONTENT_ENCODING), None);
    let not_modified = send(&app.router, revalidate(&plain_tag, None)).await;
    assert_eq!(not_modified.status, 304);
    // A cached plain copy is not the gzipped one: the client gets the body.
    let changed = send(&app.router, revalidate(&plain_tag, Some("gzip"))).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.header(header::CONTENT_ENCODING), Some("gzip"));
}

#[tokio::test]
async fn small_answers_and_csv_exports_are_not_compressed() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/robots.txt", "/static/favicon.svg"] {
        let r = send(&app.router, request("GET", path, "", Some("gzip"))).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header(header::CONTENT_ENCODING), None, "{path}");
    }
    // A redirect's tiny body is not worth it either.
    let mut customer = app.customer();
    customer.pick("cant-send").await;
    let token = customer.csrf.clone().expect("a form token");
    let post = Request::post("/problems/cant-send/start")
        .header(header::HOST, "help.example.com")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::from(format!("csrf={token}")))
        .unwrap();
    let r = send(&app.router, post).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header(header::CONTENT_ENCODING), None);

    // The exports stream page by page as the database is read; they go as they are.
    let m = app
        .signed_in("mia@iims.example", "Mia", Role::Manager)
        .await;
    for path in [
        "/console/insights/tickets.csv",
        "/console/insights/events.csv",
    ] {
        let r = send(
            &app.router,
            m.request("GET", path)
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header(header::CONTENT_TYPE)
                .is_some_and(|t| t.starts_with("text/csv"))
        );
        assert_eq!(r.header(header::CONTENT_ENCODING), None, "{path}");
    }
}

#[tokio::test]
async fn a_form_post_is_answered_plain_whatever_the_client_accepts() {
    let app = TestApp::new().await;
    let mut customer = app.customer();
    customer.pick("cant-send").await;
    let token = customer.csrf.clone().expect("a form token");
    // A client that refuses every encoding, even none: the answer to a form that was acted on
    // must still say what happened (here: the visit started), not 406.
    let post = Request::post("/problems/cant-send/start")
        .header(header::HOST, "help.example.com")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT_ENCODING, "identity;q=0")
        .body(Body::from(format!("csrf={token}")))
        .unwrap();
    let r = send(&app.router, post).await;
    assert_eq!(r.status, 303);
    assert!(r.headers.contains_key(header::SET_COOKIE));
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, 1);
    // A page asked for that way has no acceptable encoding: it is sent plain, as RFC 9110
    // (12.5.3) lets a server disregard the header rather than answer 406; never a 5xx.
    let page = send(&app.router, request("GET", STEP, "", Some("identity;q=0"))).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header(header::CONTENT_ENCODING), None);
}
