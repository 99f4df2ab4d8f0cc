//! Per-client limits over a real socket: one client cannot flood the queue with tickets, and the
//! limit is per client (behind a local proxy, per `X-Forwarded-For`), not for everyone.

mod real_server;

use helpdesk::limits::TICKETS_PER_CLIENT;
use real_server::{Client, Server, free_port};

/// A new customer from `client` who escalates "download gets stuck"; returns the final status.
fn escalate_from(server: &Server, client: &str) -> real_server::Response {
    let mut c = Client::new(&server.address);
    c.headers.push(("X-Forwarded-For".into(), client.into()));
    c.escalate_download_stuck().unwrap()
}

#[test]
fn one_client_cannot_flood_the_queue_with_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("helpdesk.db"), free_port());
    for i in 0..TICKETS_PER_CLIENT {
        let r = escalate_from(&server, "192.0.2.7");
        assert_eq!(r.status, 303, "ticket {i} within the limit");
    }
    let refused = escalate_from(&server, "192.0.2.7");
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.body.contains("Please try again in 10 minutes"));
    // Another customer is not affected.
    assert_eq!(escalate_from(&server, "198.51.100.20").status, 303);
}
