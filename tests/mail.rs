//! Mail through a real SMTP server on loopback: the real binary queues each ticket's mails in
//! its outbox and delivers them, through an outage, a refusal and a crash, without losing or
//! doubling one.

mod common;
mod real_server;
mod real_smtp;

use std::time::Duration;

use common::fresh_database_now;
use helpdesk::domain::mail::MailState;
use helpdesk::store::Store;
use real_server::{Server, eventually, free_port};
use real_smtp::SmtpServer;

const FROM: &str = "IIMS Support <support@iims.example>";

/// `helpdesk serve` on `db` and `port`, sending through `smtp_port`, trying again after a second.
fn serve_with_mail(db: &str, port: u16, smtp_port: u16) -> Server {
    Server::start_on(
        db,
        port,
        &[
            "--smtp-url",
            &format!("smtp://127.0.0.1:{smtp_port}"),
            "--mail-from",
            FROM,
            "--public-url",
            &format!("http://127.0.0.1:{port}"),
            "--mail-retry-seconds",
            "1",
        ],
    )
}

/// The mails of the ticket behind `status_link`, as the store holds them.
fn mails_of(db: &str, status_link: &str) -> Vec<helpdesk::store::MailRecord> {
    let token = status_link.rsplit('/').next().unwrap().to_string();
    common::block_on(async move {
        let store = Store::open(db).await.unwrap();
        let ticket = store.ticket_by_token(&token).await.unwrap().unwrap();
        let mails = store.ticket_mails(&ticket.id).await.unwrap();
        store.close().await;
        mails
    })
}

#[test]
fn a_new_ticket_mails_the_customer_the_reference_the_status_link_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mail"), free_port(), None);
    let port = free_port();
    let db = fresh_database_now(&dir);
    let server = serve_with_mail(&db, port, smtp.port);
    let mut ann = server.client();
    let sent = ann.escalate_download_stuck().unwrap();
    assert_eq!(sent.status, 303);
    let status_link = sent.location_path();

    let landing = ann.get(sent.header("location").unwrap()).unwrap();
    assert!(
        landing
            .body
            .contains("We are also mailing your reference and this link to a**@example.com"),
        "the page says what is sent"
    );

    let mails = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(mails.len(), 1, "one acknowledgement");
    let ack = &mails[0];
    assert_eq!(ack.to, ["ann@example.com"]);
    assert!(
        ack.subject().starts_with("[IIMS-000001] "),
        "{}",
        ack.subject()
    );
    let head = ack.head();
    assert!(head.contains("Auto-Submitted: auto-generated"), "{head}");
    assert!(
        head.contains("From: \"IIMS Support\" <support@iims.example>"),
        "{head}"
    );
    assert!(
        ack.message_id().ends_with("@iims.example"),
        "{}",
        ack.message_id()
    );

    // The link in the mail is the customer's status page, and it works.
    let link = format!("http://127.0.0.1:{port}{status_link}");
    let text = ack.text();
    assert!(text.contains(&link), "{text}");
    assert!(ack.html().contains(&link), "{}", ack.html());
    assert!(text.contains("IIMS-000001"), "{text}");
    let page = ann.get(&status_link).unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("IIMS-000001"));

    // The steps Ann already took, so nobody asks her again.
    assert!(text.contains("you answered"), "{text}");
    assert!(text.contains("You reached"), "{text}");

    let record = mails_of(&db, &status_link);
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].state, MailState::Sent);
    assert_eq!(record[0].attempts, 1);
    server.stop();
}

#[test]
fn a_mail_server_that_is_down_for_a_while_delays_mail_and_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let db = fresh_database_now(&dir);
    let server = serve_with_mail(&db, free_port(), smtp_port);

    // Three customers escalate while nothing listens on the mail server's port: each is
    // answered at once, as if mail were fine.
    let mut links = Vec::new();
    for _ in 0..3 {
        let mut customer = server.client();
        let started = std::time::Instant::now();
        let sent = customer.escalate_download_stuck().unwrap();
        assert_eq!(sent.status, 303);
        assert!(started.elapsed() < Duration::from_secs(5));
        links.push(sent.location_path());
    }
    std::thread::sleep(Duration::from_millis(2500));
    let waiting = mails_of(&db, &links[0]);
    assert_eq!(waiting[0].state, MailState::Queued);
    assert!(waiting[0].attempts >= 1, "it was tried: {waiting:?}");
    assert!(waiting[0].last_error.is_some());

    // The server comes back: every mail arrives, once.
    let smtp = SmtpServer::start(&dir.path().join("mail"), smtp_port, None);
    let mails = smtp.wait_for(3, Duration::from_secs(30));
    assert_eq!(mails.len(), 3);
    std::thread::sleep(Duration::from_secs(3));
    let mails = smtp.received();
    assert_eq!(mails.len(), 3, "no mail twice");
    let mut ids: Vec<String> = mails.iter().map(|m| m.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    for link in &links {
        assert!(
            mails.iter().any(|m| m.text().contains(link.as_str())),
            "the mail for {link}"
        );
    }
    server.stop();
}

#[test]
fn a_refusal_is_kept_with_the_servers_answer_and_not_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mail"), free_port(), Some("example.com"));
    let db = fresh_database_now(&dir);
    let server = serve_with_mail(&db, free_port(), smtp.port);
    let sent = server.client().escalate_download_stuck().unwrap();
    let link = sent.location_path();
    assert!(
        eventually(Duration::from_secs(10), || mails_of(&db, &link)[0].state
            == MailState::Refused),
        "{:?}",
        mails_of(&db, &link)
    );
    let mail = &mails_of(&db, &link)[0];
    let answer = mail.last_error.as_deref().unwrap();
    assert!(answer.contains("550"), "{answer}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(mails_of(&db, &link)[0].attempts, 1, "a refusal is final");
    assert!(smtp.received().is_empty());

    // Neither the address nor the server's answer quoting it reaches the log.
    let log = server.stop_and_read().join("\n");
    assert!(log.contains("mail refused"), "{log}");
    assert!(!log.contains("ann@example.com"), "{log}");
}

#[test]
fn a_crash_before_the_mail_server_is_back_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_now(&dir);
    let smtp_port = free_port();
    let port = free_port();
    let server = serve_with_mail(&db, port, smtp_port);
    let sent = server.client().escalate_download_stuck().unwrap();
    assert_eq!(sent.status, 303);
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();

    let smtp = SmtpServer::start(&dir.path().join("mail"), smtp_port, None);
    let server = serve_with_mail(&db, port, smtp_port);
    let mails = smtp.wait_for(1, Duration::from_secs(20));
    assert_eq!(mails.len(), 1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.received().len(), 1, "no mail twice");
    server.stop();
}

#[test]
fn without_a_mail_server_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_now(&dir);
    let server = Server::start_on(&db, free_port(), &[]);
    let mut ann = server.client();
    let sent = ann.escalate_download_stuck().unwrap();
    let link = sent.location_path();
    assert!(mails_of(&db, &link).is_empty());
    let landing = ann.get(sent.header("location").unwrap()).unwrap();
    assert_eq!(landing.status, 200);
    assert!(!landing.body.contains("mailing"), "no mail is promised");
    server.stop();
}
