//! The black-box robustness suite: bad input and attacks thrown at the real router, each with the
//! answer it must get. Every case is listed, with its expected answer, in docs/SECURITY.md.
//! Across the whole suite no response may be a 5xx.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{ANN, Customer, Page, TestApp};

/// One request exactly as given, with the customer's cookie if `with` is set.
fn request(method: &str, uri: &str, with: Option<&Customer>) -> axum::http::request::Builder {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "help.example.com");
    if let Some(c) = with.and_then(|c| c.cookie.as_deref()) {
        r = r.header("cookie", c);
    }
    r
}

fn form(r: axum::http::request::Builder, body: impl Into<Body>) -> Request<Body> {
    r.header("content-type", "application/x-www-form-urlencoded")
        .body(body.into())
        .unwrap()
}

/// Checks one case: its status, that it is a page of ours (not framework text), and no 5xx.
fn expect(case: &str, page: &Page, status: u16) {
    assert!(
        page.status < 500,
        "{case}: got {} (a 5xx)\n{}",
        page.status,
        page.body
    );
    assert_eq!(page.status, status, "{case}\n{}", page.body);
    if status >= 400 && status != 405 {
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{case}: errors are pages"
        );
        assert!(
            page.body.contains("Go to the help home page") || page.body.contains("<form"),
            "{case}: a way on"
        );
    }
}

/// A customer with a visit, on step 1 of "can't send" (started with the page's own form).
async fn customer_on_step(app: &TestApp) -> Customer {
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.start_over("cant-send").await;
    c
}

async fn customer_at_escalation(app: &TestApp) -> Customer {
    let mut c = customer_on_step(app).await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    c.choose("I still can't send").await;
    c
}

#[tokio::test]
async fn unknown_malformed_and_traversing_paths_are_404() {
    let app = TestApp::new().await;
    let c = app.customer();
    for (case, uri) in [
        ("unknown symptom", "/problems/printer-on-fire"),
        ("unknown step", "/problems/cant-send/steps/nope"),
        (
            "step of another problem",
            "/problems/cant-send/steps/possible-virus",
        ),
        ("invalid UTF-8 in the path", "/problems/%FF%FE"),
        (
            "percent-encoded traversal in a step",
            "/problems/cant-send/steps/..%2F..%2Fetc%2Fpasswd",
        ),
        ("traversal on static files", "/static/..%2FCargo.toml"),
        ("dot-dot segment on static files", "/static/../Cargo.toml"),
        ("NUL byte in a static file name", "/static/style.css%00.js"),
        ("absolute path as a static file", "/static/%2Fetc%2Fpasswd"),
        (
            "protocol-relative path (open redirect probe)",
            "//evil.example/",
        ),
        ("a 10 KB path", &format!("/problems/{}", "a".repeat(10_000))),
        ("SQL in a symptom id", "/problems/cant-send'%20OR%20'1'='1"),
        (
            "guessed ticket reference as a status link",
            "/tickets/IIMS-000001",
        ),
        (
            "guessed sequential status token",
            &format!("/tickets/{}", "0".repeat(63) + "1"),
        ),
        (
            "upper-case status token",
            &format!("/tickets/{}", "A".repeat(64)),
        ),
        (
            "status token with a NUL",
            &format!("/tickets/{}%00", "a".repeat(64)),
        ),
    ] {
        let page = app
            .send(request("GET", uri, Some(&c)).body(Body::empty()).unwrap())
            .await;
        expect(case, &page, 404);
        assert!(
            page.body.contains("We can&#39;t find that page")
                || page.body.contains("We can't find that page"),
            "{case}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = TestApp::new().await;
    for (case, method, uri) in [
        ("PUT on the home page", "PUT", "/"),
        (
            "DELETE on a status link",
            "DELETE",
            &format!("/tickets/{}", "a".repeat(64)),
        ),
        (
            "GET on a choice endpoint",
            "GET",
            "/problems/cant-send/steps/check-smtp-settings/choose",
        ),
    ] {
        let page = app
            .send(request(method, uri, None).body(Body::empty()).unwrap())
            .await;
        expect(case, &page, 405);
    }
}

#[tokio::test]
async fn oversized_wrongly_typed_and_malformed_bodies_are_refused_cleanly() {
    let app = TestApp::new().await;
    let c = customer_on_step(&app).await;
    let token = c.csrf.clone().unwrap();
    let uri = "/problems/cant-send/steps/check-smtp-settings/choose";
    let big = format!("csrf={token}&choice=1&pad={}", "x".repeat(100_000));
    let cases: Vec<(&str, Request<Body>, u16)> = vec![
        (
            "a 100 KB form body",
            form(request("POST", uri, Some(&c)), big),
            413,
        ),
        (
            "JSON instead of a form",
            request("POST", uri, Some(&c))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"choice":1}"#))
                .unwrap(),
            415,
        ),
        (
            "no content type",
            request("POST", uri, Some(&c))
                .body(Body::from("choice=1"))
                .unwrap(),
            415,
        ),
        (
            "malformed percent-encoding",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=%zz"),
            ),
            400,
        ),
        (
            "invalid UTF-8 in a field",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=%FF%FE"),
            ),
            400,
        ),
        (
            "a duplicated field",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=0&choice=1"),
            ),
            400,
        ),
        (
            "a choice index that overflows",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=99999999999999999999999"),
            ),
            400,
        ),
        (
            "a negative choice index",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=-1"),
            ),
            400,
        ),
        (
            "a control character as the choice",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=%00"),
            ),
            400,
        ),
        (
            "SQL as the choice",
            form(
                request("POST", uri, Some(&c)),
                format!("csrf={token}&choice=1%3B%20DROP%20TABLE%20visit_events"),
            ),
            400,
        ),
    ];
    for (case, req, status) in cases {
        let page = app.send(req).await;
        expect(case, &page, status);
    }
    // Nothing was recorded by any of them: the visit still has only its first event.
    assert_eq!(app.store().events(c.visit_id()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn forged_cross_site_and_tokenless_forms_are_403_and_change_nothing() {
    let app = TestApp::new().await;
    let c = customer_on_step(&app).await;
    let token = c.csrf.clone().unwrap();
    let uri = "/problems/cant-send/steps/check-smtp-settings/choose";
    let body = format!("csrf={token}&choice=1");
    let cases: Vec<(&str, Request<Body>)> = vec![
        ("no token", form(request("POST", uri, Some(&c)), "choice=1")),
        (
            "a wrong token",
            form(
                request("POST", uri, Some(&c)),
                "csrf=0123456789abcdef0123456789abcdef&choice=1",
            ),
        ),
        (
            "the right token without the visit cookie",
            form(request("POST", uri, None), body.clone()),
        ),
        (
            "the right token from another origin",
            form(
                request("POST", uri, Some(&c)).header("origin", "https://evil.example"),
                body.clone(),
            ),
        ),
        (
            "the right token from an opaque (null) origin",
            form(
                request("POST", uri, Some(&c)).header("origin", "null"),
                body.clone(),
            ),
        ),
        (
            "the right token, Sec-Fetch-Site: cross-site",
            form(
                request("POST", uri, Some(&c)).header("sec-fetch-site", "cross-site"),
                body.clone(),
            ),
        ),
        (
            "a forged start",
            form(
                request("POST", "/problems/download-stuck/start", Some(&c)),
                "csrf=forged",
            ),
        ),
        (
            "a forged back",
            form(
                request("POST", "/problems/cant-send/back", Some(&c)),
                "csrf=&from=check-smtp-settings",
            ),
        ),
    ];
    for (case, req) in cases {
        let page = app.send(req).await;
        expect(case, &page, 403);
    }
    assert_eq!(app.store().events(c.visit_id()).await.unwrap().len(), 1);
    // The same origin is welcome.
    let page = app
        .send(form(
            request("POST", uri, Some(&c)).header("origin", "http://help.example.com"),
            body,
        ))
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn tampered_and_forged_cookies_start_a_fresh_visit() {
    let app = TestApp::new().await;
    let victim = customer_on_step(&app).await;
    let victim_id = victim.visit_id().to_string();
    for (case, cookie) in [
        ("garbage", "helpdesk_visit=%3Cscript%3E".to_string()),
        (
            "an all-zero UUID",
            "helpdesk_visit=00000000-0000-0000-0000-000000000000".to_string(),
        ),
        (
            "a UUID of the wrong version",
            "helpdesk_visit=6ba7b810-9dad-11d1-80b4-00c04fd430c8".to_string(),
        ),
        (
            "the victim's id with an attribute injected",
            format!("helpdesk_visit={victim_id}x; Path=/"),
        ),
        (
            "a 4 KB cookie",
            format!("helpdesk_visit={}", "a".repeat(4096)),
        ),
    ] {
        let step = "/problems/cant-send/steps/check-smtp-settings";
        let page = app
            .send(
                request("GET", step, None)
                    .header("cookie", &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        expect(case, &page, 200);
        assert!(
            page.header("set-cookie").is_none(),
            "{case}: reading a page starts nothing"
        );
        // The first answer starts a fresh visit, never the victim's.
        let token = page.hidden("csrf").unwrap();
        let page = app
            .send(form(
                request("POST", &format!("{step}/choose"), None).header("cookie", &cookie),
                format!("csrf={token}&choice=0"),
            ))
            .await;
        expect(case, &page, 303);
        let set = page.header("set-cookie").unwrap_or_default();
        assert!(set.starts_with("helpdesk_visit="), "{case}: a fresh cookie");
        assert!(!set.contains(&victim_id), "{case}");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{case}"
        );
    }
}

/// A bad form: what it tries, the fields it changes, the message it must get.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn escalation_fields_refuse_injection_and_keep_text_inert() {
    let app = TestApp::new().await;
    let mut c = customer_at_escalation(&app).await;
    let bad: &[Case] = &[
        (
            "header injection through the email field",
            &[("email", "ann@example.com\r\nBcc: all@example.com")],
            "Enter an email address like name@example.com.",
        ),
        (
            "script in the email field",
            &[("email", "<script>@example.com")],
            "Enter an email address like name@example.com.",
        ),
        (
            "two addresses in the email field",
            &[("email", "ann@example.com, bob@example.com")],
            "Enter an email address like name@example.com.",
        ),
        (
            "a control character in the name",
            &[("name", "Ann\u{7}Example")],
            "Your name can't contain line breaks or control characters.",
        ),
        (
            "a line break in the name",
            &[("name", "Ann\nBcc: x")],
            "Your name can't contain line breaks or control characters.",
        ),
        (
            "a 10,000 character name",
            &[("name", &"n".repeat(10_000))],
            "Your name can't be longer than 100 characters.",
        ),
        (
            "an email program not on the list",
            &[("email_program", "<b>Mutt</b>")],
            "Choose the email program you use from the list.",
        ),
        (
            "a 5,000 character description",
            &[("description", &"d".repeat(5_000))],
            "Please keep the description under 4000 characters",
        ),
        (
            "letters as a phone number",
            &[("phone", "javascript:alert(1)")],
            "Enter a phone number using digits",
        ),
    ];
    for (case, fields, message) in bad {
        let mut all: Vec<(&str, &str)> = ANN
            .iter()
            .copied()
            .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
            .collect();
        all.extend_from_slice(fields);
        let page = c.escalate(&all).await;
        expect(case, &page, 422);
        assert!(page.shows(message), "{case}: {message}");
        assert!(!page.body.contains("<script>@"), "{case}: shown escaped");
        assert!(!page.body.contains("<b>Mutt"), "{case}: shown escaped");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);

    // HTML, SQL metacharacters and control characters in free text are stored as text.
    let page = c
        .escalate(&[
            ("name", "Robert'); DROP TABLE tickets;--"),
            ("email", "o'brien+help@example.co.uk"),
            ("email_program", "Apple Mail"),
            (
                "description",
                "<iframe src=//evil>\u{0}\u{1b}[31m ' OR 1=1 --",
            ),
        ])
        .await;
    expect("SQL and HTML in free text", &page, 200);
    assert!(!page.body.contains("<iframe"));
    assert!(page.body.contains("&#60;iframe src=//evil&#62;"));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE customer_name = 'Robert''); DROP TABLE tickets;--' AND customer_email = 'o''brien+help@example.co.uk'").await,
        1,
        "stored literally"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE description = '<iframe src=//evil>[31m '' OR 1=1 --'").await,
        1,
        "control characters are dropped from the description"
    );
}

#[tokio::test]
async fn escalations_that_do_not_belong_to_the_visit_are_refused() {
    let app = TestApp::new().await;
    let mut c = customer_at_escalation(&app).await;
    let token = c.csrf.clone().unwrap();
    let mut fields: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
    fields.extend_from_slice(ANN);
    for (case, uri, outcome, status) in [
        (
            "an outcome id that is SQL",
            "/problems/cant-send/steps/contact-iims/escalate",
            "1 OR 1=1",
            400,
        ),
        (
            "an outcome id of nobody",
            "/problems/cant-send/steps/contact-iims/escalate",
            "999999",
            400,
        ),
        (
            "escalating from a resolved ending",
            "/problems/cant-send/steps/fixed/escalate",
            "1",
            404,
        ),
        (
            "escalating from the ISP referral",
            "/problems/cant-send-or-receive/steps/isp/escalate",
            "1",
            404,
        ),
        (
            "escalating from a step",
            "/problems/cant-send/steps/check-smtp-settings/escalate",
            "1",
            404,
        ),
        (
            "escalating under another problem",
            "/problems/download-stuck/steps/contact-iims/escalate",
            "1",
            404,
        ),
    ] {
        let mut all = fields.clone();
        all.push(("outcome", outcome));
        let page = c.post_raw(uri, &all).await;
        expect(case, &page, status);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
}

#[tokio::test]
async fn redirects_stay_on_the_site() {
    let app = TestApp::new().await;
    let mut c = customer_on_step(&app).await;
    let token = c.csrf.clone().unwrap();
    for (case, from) in [
        ("back from an absolute URL", "https://evil.example/"),
        ("back from a protocol-relative URL", "//evil.example"),
        (
            "back from a header-splitting value",
            "x\r\nLocation: https://evil.example",
        ),
    ] {
        let page = c
            .post_raw(
                "/problems/cant-send/back",
                &[("csrf", &token), ("from", from)],
            )
            .await;
        expect(case, &page, 303);
        let location = page.location().unwrap();
        assert!(
            location.starts_with("/problems/cant-send/steps/"),
            "{case}: {location}"
        );
        assert!(!location.contains("evil"), "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_concurrent_forms_on_one_visit_record_once() {
    let app = TestApp::new().await;
    let c = customer_on_step(&app).await;
    let token = c.csrf.clone().unwrap();
    let uri = "/problems/cant-send/steps/check-smtp-settings/choose";
    // 40 identical choices at once on one visit, as a flaky connection or an impatient user does.
    let sends = (0..40).map(|_| {
        form(
            request("POST", uri, Some(&c)),
            format!("csrf={token}&choice=1"),
        )
    });
    let pages = all_at_once(&app, sends).await;
    for page in &pages {
        expect("concurrent identical choices", page, 303);
    }
    let events = app.store().events(c.visit_id()).await.unwrap();
    let choices = events.iter().filter(|e| e.choice_index.is_some()).count();
    assert_eq!(choices, 1, "recorded once");
    // 20 concurrent page loads of the next step record nothing: the answer recorded it.
    let loads = (0..20).map(|_| {
        request("GET", "/problems/cant-send/steps/use-isp-smtp", Some(&c))
            .body(Body::empty())
            .unwrap()
    });
    for page in all_at_once(&app, loads).await {
        expect("concurrent reloads", &page, 200);
    }
    assert_eq!(app.store().events(c.visit_id()).await.unwrap().len(), 3);
}

/// Sends all `requests` at once, each on its own task, and collects the pages.
async fn all_at_once(
    app: &TestApp,
    requests: impl IntoIterator<Item = Request<Body>>,
) -> Vec<Page> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let router = app.router.clone();
            tokio::spawn(async move { common::send(&router, req).await })
        })
        .collect();
    let mut pages = Vec::new();
    for task in tasks {
        pages.push(task.await.expect("request task"));
    }
    pages
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let c = customer_on_step(&app).await;
    for uri in [
        "/",
        "/problems/cant-send/steps/check-smtp-settings",
        "/nowhere",
        "/static/style.css",
        "/healthz",
    ] {
        let page = app
            .send(request("GET", uri, Some(&c)).body(Body::empty()).unwrap())
            .await;
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{uri}"
        );
        assert!(!csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(
            page.header("x-content-type-options"),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(page.header("referrer-policy"), Some("same-origin"), "{uri}");
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{uri}");
        assert_eq!(
            page.header("cross-origin-opener-policy"),
            Some("same-origin"),
            "{uri}"
        );
        let features = page.header("permissions-policy").unwrap_or_default();
        for feature in ["camera=()", "microphone=()", "geolocation=()"] {
            assert!(features.contains(feature), "{uri}: {features}");
        }
        assert!(page.header("x-request-id").is_some(), "{uri}");
        // Pages show a customer's own path: no cache keeps them. The stylesheet is cached.
        let cache = page.header("cache-control").unwrap_or_default();
        if uri.starts_with("/static/") {
            assert!(cache.contains("immutable"), "{uri}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{uri}");
        }
        // Without a trusted proxy saying so, nothing came over HTTPS.
        assert_eq!(page.header("strict-transport-security"), None, "{uri}");
        // The guide is public: search engines may index it.
        assert_eq!(page.header("x-robots-tag"), None, "{uri}");
    }
}

#[tokio::test]
async fn ticket_pages_are_kept_out_of_search_engines() {
    let app = TestApp::new().await;
    let mut c = customer_at_escalation(&app).await;
    // The status page, where the form's answer leads.
    let status = c.escalate(common::ANN).await;
    assert!(status.shows("your reference is"), "{}", status.body);
    assert_eq!(status.header("x-robots-tag"), Some("noindex, nofollow"));
    for uri in ["/tickets/find", "/tickets/not-a-token"] {
        let page = app
            .send(request("GET", uri, Some(&c)).body(Body::empty()).unwrap())
            .await;
        assert_eq!(
            page.header("x-robots-tag"),
            Some("noindex, nofollow"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_proxys_request_id_is_kept_and_an_overlong_one_replaced() {
    let app = TestApp::new().await;
    let page = app
        .send(
            Request::builder()
                .uri("/nowhere")
                .header("x-request-id", "edge-4711")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(page.header("x-request-id"), Some("edge-4711"));
    assert!(
        page.shows("edge-4711"),
        "the error page shows the id to quote"
    );

    let long = "x".repeat(129);
    let page = app
        .send(
            Request::builder()
                .uri("/nowhere")
                .header("x-request-id", long.as_str())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let id = page.header("x-request-id").unwrap_or_default();
    assert!(!id.is_empty() && id != long, "{id}");
    assert!(page.shows(id));
}
