//! Signing in and out: the session cookie, refusals that tell nothing, the form's own token,
//! and throttling by account and by client.

use std::time::Duration;

use axum::body::Body;
use helpdesk::console::sign_in::{self, FAILURE_WINDOW, MAX_ACCOUNT_FAILURES, MAX_CLIENT_FAILURES};
use helpdesk::domain::manager::Role;
use helpdesk::domain::time::Timestamp;
use helpdesk::limits::LimitSettings;

use crate::common::{self, PASSWORD, TestApp, ago, ok};

/// The `Set-Cookie` headers of a response.
fn set_cookies(page: &common::Page) -> Vec<&str> {
    page.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test]
async fn a_manager_signs_in_with_a_new_session_and_signs_out() {
    let app = TestApp::new().await;
    let ann = app
        .add_manager("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let mut m = app.manager("ANN@iims.example ");

    // Not signed in: the queue sends them to sign in, and back afterwards.
    let page = m.get("/console/tickets?status=new").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        Some("/console/sign-in?next=/console/tickets%3Fstatus%3Dnew")
    );

    let form = m.get(page.location().unwrap()).await;
    ok(&form);
    assert_eq!(
        form.hidden("next").as_deref(),
        Some("/console/tickets?status=new")
    );
    let token = m.csrf.clone().unwrap();
    let signed = m
        .post_raw(
            "/console/sign-in",
            &[
                ("csrf", &token),
                ("email", &m.email.clone()),
                ("password", PASSWORD),
                ("next", "/console/tickets?status=new"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.location(), Some("/console/tickets?status=new"));
    let cookie = set_cookies(&signed)
        .into_iter()
        .find(|c| c.starts_with("helpdesk_console="))
        .expect("a session cookie")
        .to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/console"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP gets no Secure cookie"
    );
    let first = m.session().unwrap();
    assert_eq!(first.len(), 64);
    // Only the token's SHA-256 is stored: the row holds the hash of the cookie's token, and
    // nowhere the token itself.
    let hash: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(first.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(
        app.text("SELECT token_hash FROM manager_sessions").await,
        Some(hash)
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM manager_sessions WHERE {}",
            common::contains_sql("token_hash", &format!("'{first}'"))
        ))
        .await,
        0
    );

    let queue = m.get("/console/tickets").await;
    ok(&queue);
    assert!(queue.shows("Ann Smith"));

    // A sign-in from a browser that already holds a session (another tab, or a planted cookie)
    // gets a new id, and the session it held ends.
    let planted = app
        .store()
        .start_session(&ann.id, None, None, Timestamp::now())
        .await
        .unwrap();
    let mut other = app.manager("ann@iims.example");
    ok(&other.get("/console/sign-in").await);
    other
        .cookies
        .push(("helpdesk_console".into(), planted.token.clone()));
    let token = other.csrf.clone().unwrap();
    let page = other
        .post_raw(
            "/console/sign-in",
            &[
                ("csrf", &token),
                ("email", "ann@iims.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let second = other.session().unwrap();
    assert_ne!(second, planted.token);
    assert!(
        app.store()
            .session(&planted.token, Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.store().session_count(&ann.id).await.unwrap(),
        2,
        "this browser's and the other's"
    );
    // Visiting the sign-in page while signed in goes straight on.
    assert_eq!(
        m.get("/console/sign-in?next=/console/tickets")
            .await
            .location(),
        Some("/console/tickets")
    );

    // Sign out: the session ends and the cookie is cleared.
    let out = m.submit("/console/sign-out", &[]).await;
    ok(&out);
    assert!(out.shows("You have signed out."));
    assert!(m.session().is_none());
    assert_eq!(
        app.store().session_count(&ann.id).await.unwrap(),
        1,
        "only the other browser's is left"
    );
    let mut replay = app.manager("ann@iims.example");
    replay.cookies.push(("helpdesk_console".into(), first));
    assert_eq!(replay.get("/console/tickets").await.status, 303);
}

/// Signs in through `peer` saying the request came over HTTPS; the session cookie and the
/// response's `Strict-Transport-Security`.
async fn sign_in_saying_https(app: &TestApp, peer: &str) -> (String, Option<String>) {
    let mut m = app.manager("ann@iims.example");
    m.peer = peer.parse().unwrap();
    let form = m.get("/console/sign-in").await;
    let request = m
        .request("POST", "/console/sign-in")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "198.51.100.7")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(common::form_body(&[
            ("csrf", &form.hidden("csrf").unwrap()),
            ("email", "ann@iims.example"),
            ("password", PASSWORD),
        ])))
        .unwrap();
    let page = app.send(request).await;
    assert_eq!(page.status, 303);
    let cookie = set_cookies(&page)
        .into_iter()
        .find(|c| c.starts_with("helpdesk_console="))
        .unwrap()
        .to_string();
    (
        cookie,
        page.header("strict-transport-security").map(str::to_string),
    )
}

#[tokio::test]
async fn over_https_through_a_trusted_proxy_the_session_cookie_is_secure() {
    let app = TestApp::with_network("127.0.0.1", LimitSettings::DEFAULT).await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let (cookie, hsts) = sign_in_saying_https(&app, "127.0.0.1:50000").await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert_eq!(hsts.as_deref(), Some("max-age=31536000"));
    // Anyone else saying so is not believed: no Secure cookie, no HSTS.
    let (cookie, hsts) = sign_in_saying_https(&app, "203.0.113.5:50000").await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(hsts, None);
}

#[tokio::test]
async fn a_wrong_password_or_unknown_address_is_refused_alike() {
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let mut m = app.manager("ann@iims.example");
    for (email, password) in [
        ("ann@iims.example", "wrong password here"),
        ("nobody@iims.example", PASSWORD),
        ("not an email", PASSWORD),
    ] {
        let page = m.sign_in_with(email, password).await;
        assert_eq!(page.status, 401, "{email}");
        assert!(
            page.shows("That email address and password don't match an account."),
            "{email}"
        );
        assert!(m.session().is_none());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM manager_sessions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures").await, 3);
    // The failures hold no address.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_failures WHERE account_key LIKE '%@%'")
            .await,
        0
    );
    // A correct sign-in forgets the account's failures.
    ok(&m.sign_in().await);
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures").await, 2);
}

#[tokio::test]
async fn the_sign_in_form_needs_its_own_token_and_only_returns_to_console_pages() {
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let mut m = app.manager("ann@iims.example");
    // No form loaded (no sign-in cookie), or a made-up token: refused before any password check.
    for token in ["", "0123456789abcdef0123456789abcdef"] {
        let page = m
            .post_raw(
                "/console/sign-in",
                &[
                    ("csrf", token),
                    ("email", "ann@iims.example"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{token:?}");
        assert!(page.shows("The sign-in page had expired"));
    }
    m.get("/console/sign-in").await;
    let page = m
        .post_raw(
            "/console/sign-in",
            &[
                ("csrf", "wrong"),
                ("email", "ann@iims.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM manager_sessions").await, 0);

    for evil in [
        "//evil.example/console",
        "https://evil.example/",
        "/console\\@evil.example",
        "/tickets/x",
    ] {
        let mut m = app.manager("ann@iims.example");
        m.get("/console/sign-in").await;
        let token = m.csrf.clone().unwrap();
        let page = m
            .post_raw(
                "/console/sign-in",
                &[
                    ("csrf", &token),
                    ("email", "ann@iims.example"),
                    ("password", PASSWORD),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(page.status, 303);
        assert_eq!(page.location(), Some("/console/tickets"), "{evil}");
    }
}

#[tokio::test]
async fn repeated_failures_for_one_account_are_slowed_then_refused_even_with_the_right_password() {
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    app.add_manager("bob@iims.example", "Bob", Role::Manager)
        .await;
    let mut m = app.manager("ann@iims.example");
    let started = std::time::Instant::now();
    for attempt in 1..MAX_ACCOUNT_FAILURES {
        let page = m
            .sign_in_with("ann@iims.example", &format!("guess number {attempt}"))
            .await;
        assert_eq!(page.status, 401, "attempt {attempt}");
    }
    // Failures are answered more and more slowly (250 ms, 500 ms, 750 ms, ...).
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    let last = m.sign_in_with("ann@iims.example", "guess number 5").await;
    assert_eq!(last.status, 429);
    assert!(last.shows("Too many failed sign-ins"), "{}", last.body);
    let refused = m.sign_in_with("ann@iims.example", PASSWORD).await;
    assert_eq!(
        refused.status, 429,
        "the right password is refused while throttled"
    );
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= FAILURE_WINDOW.as_secs(), "{retry}");
    assert!(
        refused.shows("signing in is paused for 15 minutes"),
        "{}",
        refused.body
    );
    assert!(m.session().is_none());
    // Another account from the same client is not affected.
    ok(&app.manager("bob@iims.example").sign_in().await);
}

#[tokio::test]
async fn old_failures_age_out_of_the_window() {
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let account = sign_in::account_key("ann@iims.example");
    let client = sign_in::client_key("unknown");
    let long_ago = ago(Duration::from_secs(3600));
    // Five failures just outside the window: signing in works.
    for _ in 0..MAX_ACCOUNT_FAILURES {
        let at = ago(FAILURE_WINDOW + Duration::from_secs(60));
        app.store()
            .record_sign_in_failure(&account, &client, at, long_ago)
            .await
            .unwrap();
    }
    let mut m = app.manager("ann@iims.example");
    ok(&m.sign_in().await);

    // Five just inside it: refused, for about the minute they have left.
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    for _ in 0..MAX_ACCOUNT_FAILURES {
        let at = ago(FAILURE_WINDOW - Duration::from_secs(60));
        app.store()
            .record_sign_in_failure(&account, &client, at, long_ago)
            .await
            .unwrap();
    }
    let mut m = app.manager("ann@iims.example");
    let page = m.sign_in().await;
    assert_eq!(page.status, 429);
    assert!(page.shows("paused for 1 minute."), "{}", page.body);
}

#[tokio::test]
async fn one_client_spraying_many_accounts_is_refused() {
    let app = TestApp::new().await;
    app.add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let mut sprayer = app.manager("ann@iims.example");
    for i in 1..=MAX_CLIENT_FAILURES {
        let page = sprayer
            .sign_in_with(&format!("user{i}@iims.example"), "a guessed password")
            .await;
        let expected = if i < MAX_CLIENT_FAILURES { 401 } else { 429 };
        assert_eq!(page.status, expected, "attempt {i}");
    }
    let page = sprayer.sign_in().await;
    assert_eq!(
        page.status, 429,
        "the client is refused, even for a real account"
    );
    // The same account from another client signs in.
    let mut elsewhere = app.manager("ann@iims.example");
    ok(&elsewhere.sign_in().await);
}

/// A failed sign-in by `m` sending `X-Forwarded-For: forwarded`; its status.
async fn fail_forwarded(app: &TestApp, m: &mut common::Manager, i: usize, forwarded: &str) -> u16 {
    let form = m.get("/console/sign-in").await;
    let request = m
        .request("POST", "/console/sign-in")
        .header("x-forwarded-for", forwarded)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(common::form_body(&[
            ("csrf", &form.hidden("csrf").unwrap()),
            ("email", &format!("user{i}@iims.example")),
            ("password", "a guessed password"),
        ])))
        .unwrap();
    app.send(request).await.status
}

#[tokio::test]
async fn a_new_x_forwarded_for_each_try_does_not_escape_the_throttling() {
    // No trusted proxy: the header is the client's own words, and ignored.
    let app = TestApp::new().await;
    let mut sprayer = app.manager("ann@iims.example");
    for i in 1..=MAX_CLIENT_FAILURES {
        let status = fail_forwarded(&app, &mut sprayer, i, &format!("192.0.2.{i}")).await;
        let expected = if i < MAX_CLIENT_FAILURES { 401 } else { 429 };
        assert_eq!(status, expected, "attempt {i}");
    }
    // Nor does a chain that ends in a loopback address.
    let status = fail_forwarded(&app, &mut sprayer, 99, "198.51.100.24, 127.0.0.1").await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn behind_two_trusted_proxies_the_client_they_name_is_throttled() {
    let app = TestApp::with_network("127.0.0.1, 10.0.0.0/8", LimitSettings::DEFAULT).await;
    let mut through_proxy = app.manager("ann@iims.example");
    through_proxy.peer = "127.0.0.1:50000".parse().unwrap();
    // client 203.0.113.9 -> edge proxy 10.0.0.7 -> local proxy 127.0.0.1 -> helpdesk; each try
    // also sends a spoofed left-most entry of its own.
    for i in 1..=MAX_CLIENT_FAILURES {
        let chain = format!("192.0.2.{i}, 203.0.113.9, 10.0.0.7");
        let status = fail_forwarded(&app, &mut through_proxy, i, &chain).await;
        let expected = if i < MAX_CLIENT_FAILURES { 401 } else { 429 };
        assert_eq!(status, expected, "attempt {i}");
    }
    // Another client behind the same proxies is not affected.
    let status = fail_forwarded(&app, &mut through_proxy, 1, "198.51.100.7, 10.0.0.7").await;
    assert_eq!(status, 401);
}
