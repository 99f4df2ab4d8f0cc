//! Background work with two real `helpdesk serve` processes on one PostgreSQL database: the
//! mail outbox is delivered once across the instances, not once per instance, and a mail an
//! instance had claimed when it was killed is sent by the other once the claim runs out.
//! (Several instances on one SQLite file are not supported; these tests always use the
//! PostgreSQL test cluster, as `tests/balancer.rs` does.)

mod common;
mod real_server;
mod real_smtp;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::time::Duration;

use common::{block_on, connect_any, count_on, real_postgres};
use helpdesk::domain::time::Timestamp;
use real_server::{Server, eventually, free_port};
use real_smtp::SmtpServer;

/// An instance on `db` sending through `smtp_port`, trying again after a second.
fn instance(db: &str, smtp_port: u16) -> Server {
    let port = free_port();
    Server::start_on(
        db,
        port,
        &[
            "--smtp-url",
            &format!("smtp://127.0.0.1:{smtp_port}"),
            "--mail-from",
            "IIMS Support <support@iims.example>",
            "--public-url",
            &format!("http://127.0.0.1:{port}"),
            "--mail-retry-seconds",
            "1",
            "--limit-tickets=0",
        ],
    )
}

/// The outbox ids an instance logged as sent.
fn sent_by(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.contains("mail sent"))
        .filter_map(|l| l.split("mail.id=").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn two_instances_racing_for_the_outbox_send_each_mail_once() {
    let db = block_on(real_postgres::cluster().new_database());
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let (a, b) = (instance(&db, smtp_port), instance(&db, smtp_port));

    // Twenty tickets, every other one through each instance, while the mail server is down:
    // both instances try, fail, and wait for the same moments to try again.
    let mut links = Vec::new();
    for n in 0..20 {
        let server = if n % 2 == 0 { &a } else { &b };
        let sent = server.client().escalate_download_stuck().unwrap();
        assert_eq!(sent.status, 303);
        links.push(sent.location_path());
    }
    std::thread::sleep(Duration::from_millis(2500));

    // The mail server comes back: both instances race for the same due mails.
    let smtp = SmtpServer::start(dir.path(), smtp_port, None);
    let mails = smtp.wait_for(20, Duration::from_secs(30));
    assert_eq!(mails.len(), 20);
    std::thread::sleep(Duration::from_secs(3));
    let mails = smtp.received();
    assert_eq!(mails.len(), 20, "no mail twice");
    let ids: BTreeSet<String> = mails.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 20);
    for link in &links {
        assert!(
            mails.iter().any(|m| m.text().contains(link.as_str())),
            "the mail for {link}"
        );
    }
    // Each mail was sent by one instance: no outbox id is in both logs.
    let (by_a, by_b) = (sent_by(&a.stop_and_read()), sent_by(&b.stop_and_read()));
    assert_eq!(by_a.len() + by_b.len(), 20, "a: {by_a:?}, b: {by_b:?}");
    let all: BTreeSet<&String> = by_a.iter().chain(&by_b).collect();
    assert_eq!(all.len(), 20, "a: {by_a:?}, b: {by_b:?}");
    eprintln!("sent by the first instance: {by_a:?}; by the second: {by_b:?}");
}

#[test]
fn mail_claimed_by_a_killed_instance_is_sent_once_by_the_other_when_the_claim_runs_out() {
    let db = block_on(real_postgres::cluster().new_database());
    let dir = tempfile::tempdir().unwrap();
    // A mail server that takes the connection and never answers: the sender is caught with
    // its mails claimed.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = silent.local_addr().unwrap().port();
    let first = instance(&db, smtp_port);
    for _ in 0..3 {
        assert_eq!(
            first.client().escalate_download_stuck().unwrap().status,
            303
        );
    }
    silent.set_nonblocking(true).unwrap();
    let mut held = Vec::new();
    assert!(
        eventually(Duration::from_secs(10), || {
            if let Ok((connection, _)) = silent.accept() {
                held.push(connection);
            }
            !held.is_empty()
        }),
        "the sender connected"
    );
    first.kill();
    drop(held);
    drop(silent);

    let claimed =
        "SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND claimed_until IS NOT NULL";
    let count = |sql: &str| block_on(async { count_on(&mut connect_any(&db).await, sql).await });
    let held_by_the_dead = count(claimed);
    assert!(held_by_the_dead >= 1, "the killed instance held a claim");
    let free = 3 - held_by_the_dead as usize;

    // The other instance, with the mail server back, sends the mails no one had claimed and
    // leaves the claims alone while they last.
    let smtp = SmtpServer::start(dir.path(), smtp_port, None);
    let second = instance(&db, smtp_port);
    assert_eq!(smtp.wait_for(free, Duration::from_secs(30)).len(), free);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(smtp.received().len(), free, "a claim is respected");

    // The claims run out (their time moved to now, as two minutes passing would): the other
    // instance sends each mail, once.
    block_on(async {
        sqlx::query(&format!(
            "UPDATE outbox SET claimed_until = {} WHERE claimed_until IS NOT NULL",
            Timestamp::now().millis()
        ))
        .execute(&mut connect_any(&db).await)
        .await
        .unwrap()
    });
    let mails = smtp.wait_for(3, Duration::from_secs(30));
    assert_eq!(mails.len(), 3);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.received().len(), 3, "no mail twice");
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE state = 'sent'"),
        3,
        "each recorded as sent"
    );
    assert_eq!(sent_by(&second.stop_and_read()).len(), 3);
}
