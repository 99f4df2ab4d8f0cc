//! Per-client limits over a real socket: a client flooding one kind of form gets `429` with
//! `Retry-After` and a page that says when to try again, while another client is served; each
//! limit is set by its own flag; behind a trusted proxy the client is the one the proxy names,
//! and without one `X-Forwarded-For` changes nothing.

mod common;
mod real_server;

use common::fresh_database_now;
use real_server::{Client, Response, Server, free_port};

/// A customer at `address` whose requests come through the local proxy for `client`.
fn through_proxy(server: &Server, client: &str) -> Client {
    let mut c = Client::new(&server.address);
    c.headers.push(("X-Forwarded-For".into(), client.into()));
    c
}

/// Checks a refusal: 429, a whole number of seconds to wait, and a page of ours saying so.
fn refused(r: &Response, says: &str) {
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert!(wait >= 1, "{wait}");
    assert!(r.body.contains("Too many attempts"), "{}", r.body);
    assert!(r.body.contains(says), "{says:?} not in {}", r.body);
}

#[test]
fn each_limit_refuses_a_flooding_client_and_serves_another() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(
        &fresh_database_now(&dir),
        free_port(),
        &[
            "--trusted-proxy=127.0.0.1",
            "--limit-visits=3",
            "--limit-choices=4",
            "--limit-tickets=2",
            "--limit-sign-ins=2",
        ],
    );
    // A flooding client per limit, so that each is refused by that limit alone.
    let other = "198.51.100.20";
    let flood = "192.0.2.7";

    // Visits: three starts, then a refusal.
    let mut c = through_proxy(&server, flood);
    c.get("/problems/cant-send/steps/check-smtp-settings")
        .unwrap();
    for i in 0..3 {
        let r = c.post("/problems/cant-send/start", "").unwrap();
        assert_eq!(r.status, 303, "start {i}: {}", r.body);
    }
    refused(
        &c.post("/problems/cant-send/start", "").unwrap(),
        "visits of the guide",
    );
    let mut o = through_proxy(&server, other);
    o.get("/problems/cant-send/steps/check-smtp-settings")
        .unwrap();
    assert_eq!(o.post("/problems/cant-send/start", "").unwrap().status, 303);

    // Answers: four, then a refusal; the place in the guide is kept.
    let choose = "/problems/cant-send/steps/check-smtp-settings/choose";
    for i in 0..4 {
        let r = c.post(choose, &format!("choice={}", i % 2)).unwrap();
        assert_eq!(r.status, 303, "answer {i}: {}", r.body);
    }
    refused(
        &c.post(choose, "choice=0").unwrap(),
        "your place in the guide is kept",
    );
    assert_eq!(o.post(choose, "choice=0").unwrap().status, 303);

    // Tickets: two, then the form again with what was typed, and the wait.
    let flood = "192.0.2.8";
    for i in 0..2 {
        let r = through_proxy(&server, flood)
            .escalate_download_stuck()
            .unwrap();
        assert_eq!(r.status, 303, "ticket {i}: {}", r.body);
    }
    let r = through_proxy(&server, flood)
        .escalate_download_stuck()
        .unwrap();
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    assert!(r.body.contains("Please wait before sending"), "{}", r.body);
    assert!(
        r.body.contains(r#"value="Ann""#),
        "the name typed is kept: {}",
        r.body
    );
    assert!(
        r.body.contains("ann@example.com"),
        "the address typed is kept"
    );
    assert_eq!(
        through_proxy(&server, other)
            .escalate_download_stuck()
            .unwrap()
            .status,
        303
    );

    // Sign-in: two tries, then a refusal before the password is even checked.
    let flood = "192.0.2.9";
    let mut m = through_proxy(&server, flood);
    for i in 0..2 {
        m.get("/console/sign-in").unwrap();
        let r = m
            .post(
                "/console/sign-in",
                "email=a%40iims.example&password=wrong+password",
            )
            .unwrap();
        assert_eq!(r.status, 401, "sign-in {i}: {}", r.body);
    }
    m.get("/console/sign-in").unwrap();
    refused(
        &m.post(
            "/console/sign-in",
            "email=a%40iims.example&password=wrong+password",
        )
        .unwrap(),
        "sign-in attempts",
    );
    let mut n = through_proxy(&server, other);
    n.get("/console/sign-in").unwrap();
    assert_eq!(
        n.post(
            "/console/sign-in",
            "email=a%40iims.example&password=wrong+password"
        )
        .unwrap()
        .status,
        401
    );
}

#[test]
fn without_a_trusted_proxy_x_forwarded_for_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(
        &fresh_database_now(&dir),
        free_port(),
        &["--limit-tickets=2"],
    );
    for i in 0..2 {
        let r = through_proxy(&server, &format!("192.0.2.{i}"))
            .escalate_download_stuck()
            .unwrap();
        assert_eq!(r.status, 303, "ticket {i}");
    }
    // Every request comes from 127.0.0.1, whatever the header says, the way the scanner tried it.
    for spoof in ["198.51.100.24", "198.51.100.24, 127.0.0.1", "10.9.9.9"] {
        let r = through_proxy(&server, spoof)
            .escalate_download_stuck()
            .unwrap();
        assert_eq!(r.status, 429, "{spoof}");
    }
}

#[test]
fn the_defaults_let_a_busy_customer_through() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&fresh_database_now(&dir), free_port(), &[]);
    // One customer answering fast, as a person never does: 40 answers in a row.
    let mut c = Client::new(&server.address);
    c.get("/problems/cant-send/steps/check-smtp-settings")
        .unwrap();
    assert_eq!(c.post("/problems/cant-send/start", "").unwrap().status, 303);
    let choose = "/problems/cant-send/steps/check-smtp-settings/choose";
    for i in 0..40 {
        let r = c.post(choose, &format!("choice={}", i % 2)).unwrap();
        assert_eq!(r.status, 303, "answer {i}");
    }
}

#[test]
fn past_the_status_form_limit_a_message_stays_in_its_box() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(
        &fresh_database_now(&dir),
        free_port(),
        &["--limit-status-forms=1"],
    );
    let mut c = Client::new(&server.address);
    let sent = c.escalate_download_stuck().unwrap();
    assert_eq!(sent.status, 303, "{}", sent.body);
    let status = sent.location_path();
    let page = c.get(&status).unwrap();
    // The message form's own token, derived from the status link.
    let form = &page.body[page
        .body
        .find("class=\"message-form\"")
        .expect("a message form")..];
    let marker = r#"name="csrf" value=""#;
    let start = form.find(marker).unwrap() + marker.len();
    let token = form[start..].split('"').next().unwrap().to_string();
    let messages = format!("{status}/messages");
    let first = c
        .send(
            "POST",
            &messages,
            Some(&format!("csrf={token}&body=First+message")),
        )
        .unwrap();
    assert_eq!(first.status, 303, "{}", first.body);
    let second = c
        .send(
            "POST",
            &messages,
            Some(&format!("csrf={token}&body=Second+message")),
        )
        .unwrap();
    assert_eq!(second.status, 429, "{}", second.body);
    assert!(second.header("retry-after").is_some());
    assert!(
        second
            .body
            .contains("Many forms have been sent from your network"),
        "{}",
        second.body
    );
    assert!(
        second.body.contains(">Second message</textarea>"),
        "the message typed is kept: {}",
        second.body
    );
}
