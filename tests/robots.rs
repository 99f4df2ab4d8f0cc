//! `/robots.txt` through the real router: the guide may be crawled, tickets and the console not.

mod common;

use common::TestApp;

/// Whether `robots` lets a crawler fetch `path`: the longest matching rule of the `*` group
/// wins, `Allow` on a tie, as RFC 9309 says.
fn allowed(robots: &str, path: &str) -> bool {
    let mut best: Option<(usize, bool)> = None;
    let mut in_star = false;
    for line in robots.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
        match key.as_str() {
            "user-agent" => in_star = value == "*",
            "allow" | "disallow" if in_star && !value.is_empty() && path.starts_with(value) => {
                let allow = key == "allow";
                let better = match best {
                    None => true,
                    Some((len, was)) => value.len() > len || (value.len() == len && allow && !was),
                };
                if better {
                    best = Some((value.len(), allow));
                }
            }
            _ => {}
        }
    }
    best.is_none_or(|(_, allow)| allow)
}

#[tokio::test]
async fn robots_txt_lets_the_guide_be_crawled_and_keeps_tickets_and_the_console_out() {
    let app = TestApp::new().await;
    let mut crawler = app.customer();
    let page = crawler.get("/robots.txt").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(page.header("set-cookie").is_none());
    let robots = &page.body;
    for path in [
        "/",
        "/problems/cant-send",
        "/problems/cant-send/steps/check-smtp-settings",
        "/contact",
    ] {
        assert!(
            allowed(robots, path),
            "{path} should be crawlable:\n{robots}"
        );
    }
    for path in [
        "/tickets/",
        "/tickets/abc123",
        "/console",
        "/console/tickets",
        "/console/sign-in",
    ] {
        assert!(
            !allowed(robots, path),
            "{path} should be disallowed:\n{robots}"
        );
    }
}

#[tokio::test]
async fn robots_txt_writes_nothing_and_answers_head() {
    let app = TestApp::new().await;
    let before = app.count("SELECT COUNT(*) FROM visits").await;
    let page = app
        .send(
            axum::http::Request::head("/robots.txt")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, before);
}

#[test]
fn the_matcher_used_above_can_say_no() {
    let robots = "User-agent: *\nDisallow: /a\nAllow: /a/b\n";
    assert!(!allowed(robots, "/a/c"));
    assert!(allowed(robots, "/a/b/c"));
    assert!(allowed(robots, "/z"));
    assert!(!allowed("User-agent: *\nDisallow: /\n", "/problems"));
}
