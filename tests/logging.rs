//! The server's log, read as the people who run it read it: one line a request, with the
//! route's pattern and the request id the error page shows, written out within a moment on a
//! quiet server, and nothing a customer typed or a status link's secret in it.

mod common;
mod real_server;

use std::time::Duration;

use common::fresh_database_now;
use real_server::{Server, eventually, free_port};

#[test]
fn each_request_has_one_line_with_its_route_status_and_id_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&fresh_database_now(&dir), free_port(), &[]);
    let mut customer = server.client();

    let home = customer.get("/").unwrap();
    let home_id = home.header("x-request-id").unwrap().to_string();
    let missing = customer.get("/no-such-page").unwrap();
    assert_eq!(missing.status, 404);
    let missing_id = missing.header("x-request-id").unwrap().to_string();
    let sent = customer.escalate_download_stuck().unwrap();
    assert_eq!(sent.status, 303);
    let status_link = sent.header("location").unwrap().to_string();
    let status_page = customer.get(&status_link).unwrap();
    assert_eq!(status_page.status, 200);
    let status_id = status_page.header("x-request-id").unwrap().to_string();

    // A quiet server writes its buffered lines out within a moment.
    let line_of = |id: &str| {
        server
            .lines()
            .into_iter()
            .find(|l| l.contains(&format!("request.id={id}")))
    };
    assert!(
        eventually(Duration::from_secs(5), || line_of(&status_id).is_some()),
        "the status page's request is logged within a moment: {:#?}",
        server.lines()
    );
    let home_line = line_of(&home_id).expect("the home page's line");
    assert!(
        home_line.contains("method=GET route=/ status=200"),
        "{home_line}"
    );
    let missing_line = line_of(&missing_id).expect("the 404's line");
    assert!(missing_line.contains("status=404"), "{missing_line}");
    let status_line = line_of(&status_id).expect("the status page's line");
    assert!(status_line.contains("route=/tickets/{"), "{status_line}");

    // One line a request, never two.
    for id in [&home_id, &missing_id, &status_id] {
        let n = server
            .lines()
            .iter()
            .filter(|l| l.contains(&format!("request.id={id}")))
            .count();
        assert_eq!(n, 1, "request {id} has one line");
    }

    // The status link is the ticket's key: neither it nor what Ann typed is ever logged.
    let secret = status_link
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let log = server.lines().join("\n");
    // Nor the visit's cookie or its form token.
    let cookie = customer.cookie.clone().expect("a visit cookie");
    let visit = cookie.split_once('=').expect("name=value").1.to_string();
    let form_token = customer.csrf.clone().expect("a form token");
    for private in [
        secret,
        visit.as_str(),
        form_token.as_str(),
        "ann@example.com",
        "ann%40example.com",
        "Apple Mail",
        "no-such-page",
    ] {
        assert!(!log.contains(private), "{private:?} is in the log:\n{log}");
    }
    server.stop();
}

#[test]
fn what_is_buffered_is_written_out_when_the_server_stops() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&fresh_database_now(&dir), free_port(), &[]);
    let mut customer = server.client();
    let ids: Vec<String> = (0..20)
        .map(|_| {
            let page = customer.get("/").unwrap();
            page.header("x-request-id").unwrap().to_string()
        })
        .collect();
    let lines = server.stop_and_read();
    for id in &ids {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("request.id={id}"))),
            "request {id} is in the log after a stop"
        );
    }
    assert!(
        lines.last().is_some_and(|l| l.contains("helpdesk stopped")),
        "the last line says the server stopped: {lines:#?}"
    );
}
