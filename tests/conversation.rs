//! The conversation after a ticket opens, through the real router and a real SMTP server: a
//! manager's public reply (mailed, threaded, never an internal note), status changes that ask
//! something of the customer, the customer's own messages on their status page, reopening a
//! resolved ticket by writing, and a closed ticket that takes no more.

mod common;
mod real_smtp;

use std::time::Duration;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use real_smtp::{SmtpServer, free_port};

#[tokio::test]
async fn a_reply_reaches_the_customer_who_answers_and_reopens_until_the_ticket_closes() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), free_port(), None);
    let app = TestApp::with_mail(smtp.port).await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (n, link) = app.support_escalation(&[]).await;
    let ticket = format!("/console/tickets/{n}");
    let ack = smtp.arrived(1, Duration::from_secs(10)).await[0].clone();

    // Rita takes the ticket, writes an internal note and a public reply.
    rita.get(&ticket).await;
    let revision = rita.page.hidden("revision").unwrap();
    ok(&rita
        .submit(
            &format!("{ticket}/assign"),
            &[("revision", &revision), ("assignee", "me")],
        )
        .await);
    ok(&rita
        .submit(
            &format!("{ticket}/notes"),
            &[("body", "Internal: probably port 25 blocked")],
        )
        .await);
    let page = rita
        .submit(
            &format!("{ticket}/replies"),
            &[("body", "Please set the outgoing port to 587 and try again.")],
        )
        .await;
    ok(&page);
    assert!(page.shows("Please set the outgoing port to 587"));
    let empty = rita
        .submit(&format!("{ticket}/replies"), &[("body", "  ")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.shows("The reply is empty."));

    let mails = smtp.arrived(2, Duration::from_secs(10)).await;
    assert_eq!(
        mails.len(),
        2,
        "the acknowledgement and the reply, nothing about the note"
    );
    let reply = &mails[1];
    assert_eq!(reply.to, ["ann@example.com"]);
    assert!(
        reply.subject().contains("Rita replied"),
        "{}",
        reply.subject()
    );
    assert!(
        reply
            .text()
            .contains("Please set the outgoing port to 587 and try again.")
    );
    assert!(
        !reply.text().contains("port 25 blocked"),
        "an internal note is never mailed"
    );
    assert!(
        reply
            .text()
            .contains(&format!("http://help.iims.example{link}"))
    );
    let ack_id = format!("<{}>", ack.message_id());
    assert_eq!(
        reply.header("In-Reply-To"),
        ack_id,
        "threaded under the acknowledgement"
    );
    assert!(reply.header("References").contains(&ack_id));

    // Ann reads it on her page (never the note), and answers after Rita asks her to.
    let mut ann = app.customer();
    let page = ann.get(&link).await;
    ok(&page);
    assert!(page.shows("Please set the outgoing port to 587 and try again."));
    assert!(page.shows("Rita"));
    assert!(!page.shows("port 25 blocked"));
    rita.get(&ticket).await;
    let revision = rita.page.hidden("revision").unwrap();
    ok(&rita
        .submit(
            &format!("{ticket}/status"),
            &[("revision", &revision), ("status", "waiting-on-customer")],
        )
        .await);
    let mails = smtp.arrived(3, Duration::from_secs(10)).await;
    assert!(
        mails[2].subject().contains("We need more from you"),
        "{}",
        mails[2].subject()
    );

    let page = ann.get(&link).await;
    let csrf = page.hidden("csrf").unwrap();
    let forged = ann
        .post_raw(
            &format!("{link}/messages"),
            &[("csrf", "x"), ("body", "hi")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let long = "x".repeat(8001);
    let too_long = ann
        .post_raw(
            &format!("{link}/messages"),
            &[("csrf", &csrf), ("body", &long)],
        )
        .await;
    assert_eq!(too_long.status, 422);
    assert!(too_long.shows("at most 8000 characters"));
    assert!(too_long.body.contains(&long), "what Ann typed is kept");
    let sent = ann
        .post_raw(
            &format!("{link}/messages"),
            &[
                ("csrf", &csrf),
                (
                    "body",
                    "Port 587 works now, thanks!\nBut receiving is slow.",
                ),
            ],
        )
        .await;
    assert_eq!(sent.status, 303);
    assert!(sent.header("location").unwrap().contains("replied=1"));
    assert_eq!(
        app.text(&format!("SELECT status FROM tickets WHERE number = {n}"))
            .await
            .as_deref(),
        Some("in-progress"),
        "answering moves a ticket waiting on the customer back to in progress"
    );
    let mails = smtp.arrived(4, Duration::from_secs(10)).await;
    let to_rita = &mails[3];
    assert_eq!(
        to_rita.to,
        ["rita@iims.example"],
        "the manager holding the ticket hears of it"
    );
    assert!(to_rita.text().contains("Port 587 works now, thanks!"));

    // Resolved: Ann is told how to reopen, and writing reopens it.
    rita.get(&ticket).await;
    assert!(rita.page.shows("Port 587 works now, thanks!"));
    let revision = rita.page.hidden("revision").unwrap();
    ok(&rita
        .submit(
            &format!("{ticket}/status"),
            &[("revision", &revision), ("status", "resolved")],
        )
        .await);
    let mails = smtp.arrived(5, Duration::from_secs(10)).await;
    assert!(mails[4].subject().contains("Resolved"));
    assert!(mails[4].text().contains("opens again"));
    let page = ann.get(&link).await;
    assert!(page.shows("Writing here opens your ticket again."));
    let csrf = page.hidden_in(&format!("{link}/messages"), "csrf").unwrap();
    let sent = ann
        .post_raw(
            &format!("{link}/messages"),
            &[("csrf", &csrf), ("body", "It broke again this morning.")],
        )
        .await;
    assert_eq!(sent.status, 303);
    assert!(sent.header("location").unwrap().contains("reopened=1"));
    let page = ann.get(sent.header("location").unwrap()).await;
    assert!(page.shows("Your message was sent, and your ticket is open again."));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_audit a JOIN tickets t ON t.id = a.ticket_id
             WHERE t.number = {n} AND a.action = 'status' AND a.actor_id IS NULL AND a.before = 'resolved'"
        ))
        .await,
        1,
        "the reopening is in the audit trail, by the customer"
    );

    // Resolved again, then closed: nothing more is added.
    for status in ["resolved", "closed"] {
        rita.get(&ticket).await;
        let revision = rita.page.hidden("revision").unwrap();
        ok(&rita
            .submit(
                &format!("{ticket}/status"),
                &[("revision", &revision), ("status", status)],
            )
            .await);
    }
    let page = ann.get(&link).await;
    assert!(page.shows("This ticket is closed, so it takes no more messages."));
    let refused = ann
        .post_raw(
            &format!("{link}/messages"),
            &[("csrf", &csrf), ("body", "Hello?")],
        )
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = {n}"
        ))
        .await,
        3
    );
}

#[tokio::test]
async fn with_mail_off_the_conversation_works_and_promises_no_mail() {
    let app = TestApp::new().await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (n, link) = app.support_escalation(&[]).await;
    let page = rita.get(&format!("/console/tickets/{n}")).await;
    assert!(!page.shows("gets it by mail"));
    ok(&rita
        .submit(
            &format!("/console/tickets/{n}/replies"),
            &[("body", "We are looking into it.")],
        )
        .await);
    let page = app.customer().get(&link).await;
    assert!(page.shows("We are looking into it."));
    assert!(!page.shows("mailed to you"));
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn a_lost_link_is_mailed_to_the_address_given_and_to_nobody_else() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), free_port(), None);
    let app = TestApp::with_mail(smtp.port).await;
    let (n, link) = app.support_escalation(&[]).await;
    smtp.arrived(1, Duration::from_secs(10)).await;

    let mut someone = app.customer();
    let page = someone.get("/tickets/find").await;
    ok(&page);
    let csrf = page.hidden("csrf").unwrap();
    // Each request from a new page of the same browser: one client for the limit.
    let peer = someone.peer;
    let ask = |reference: String, email: &'static str| {
        let csrf = csrf.clone();
        let mut c = app.customer();
        c.peer = peer;
        async move {
            c.post_raw(
                "/tickets/find",
                &[("csrf", &csrf), ("reference", &reference), ("email", email)],
            )
            .await
        }
    };

    // The right pair, however the reference and the address are typed: the link goes to the
    // address the ticket holds.
    let asked = ask(format!("iims {n}"), "ANN@Example.com").await;
    assert_eq!(asked.status, 303);
    let told = asked.header("location").unwrap().to_string();
    let mails = smtp.arrived(2, Duration::from_secs(10)).await;
    assert_eq!(mails[1].to, ["ann@example.com"]);
    assert!(
        mails[1]
            .text()
            .contains(&format!("http://help.iims.example{link}"))
    );

    // A wrong address, or a ticket that does not exist: the same answer, and no mail.
    for (reference, email) in [
        (format!("IIMS-{n:06}"), "eve@evil.example"),
        ("IIMS-999999".to_string(), "ann@example.com"),
    ] {
        let answer = ask(reference, email).await;
        assert_eq!(answer.status, 303);
        assert_eq!(answer.header("location").unwrap(), told);
    }
    let page = someone.get(&told).await;
    assert!(page.shows("If a ticket with that reference was sent from that address"));

    // A reference that is not one is said so, with what was typed kept.
    let wrong = ask("my ticket".into(), "ann@example.com").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.shows("Enter the reference from your confirmation, like IIMS-000123."));
    assert!(wrong.body.contains(r#"value="my ticket""#));
    let forged = app
        .customer()
        .post_raw(
            "/tickets/find",
            &[
                ("csrf", "x"),
                ("reference", "1"),
                ("email", "ann@example.com"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    // A few requests an hour from one client, then 429.
    let mut limited = None;
    for _ in 0..6 {
        let answer = ask(format!("{n}"), "eve@evil.example").await;
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.expect("the requests are limited");
    assert!(limited.header("retry-after").is_some());
    assert!(limited.shows("Links have been asked for many times from your network"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        smtp.received().len(),
        2,
        "only the owner's address ever got the link"
    );
}

#[tokio::test]
async fn with_mail_off_finding_a_ticket_says_it_cannot_mail() {
    let app = TestApp::new().await;
    let mut someone = app.customer();
    let page = someone.get("/tickets/find").await;
    ok(&page);
    assert!(page.shows("This site cannot send mail"));
    assert!(!page.body.contains("<form class=\"find-ticket\""));
    let home = someone.get("/").await;
    assert!(home.shows("Find your ticket"));
}

#[tokio::test]
async fn canned_replies_are_kept_by_admins_and_filled_in_for_the_ticket() {
    let app = TestApp::new().await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let mut sam = app
        .signed_in("sam@iims.example", "Sam Manager", Role::Manager)
        .await;
    let (n, link) = app.support_escalation(&[]).await;

    rita.get("/console/admin/replies").await;
    let body = "Hello {name}, about {reference}: please use port 587.\nYour ticket: {status_link}";
    let missing = rita
        .submit("/console/admin/replies", &[("title", " "), ("body", body)])
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.shows("The title is empty."));
    assert!(
        missing.shows("please use port 587."),
        "the reply typed is kept"
    );
    ok(&rita
        .submit(
            "/console/admin/replies",
            &[("title", "Use port 587"), ("body", body)],
        )
        .await);
    let id = app.count("SELECT id FROM canned_replies").await;
    assert_ne!(
        sam.get("/console/admin/replies").await.status,
        200,
        "admins only"
    );

    // A manager inserts it on the ticket: filled in, in the composer, not yet sent.
    let page = sam.get(&format!("/console/tickets/{n}?canned={id}")).await;
    ok(&page);
    assert!(page.shows(&format!(
        "Hello Ann Example, about IIMS-{n:06}: please use port 587.\nYour ticket: {link}"
    )));
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_messages").await, 0);
    let page = sam.get(&format!("/console/tickets/{n}?canned=999")).await;
    ok(&page);

    let page = rita.get("/console/admin/replies").await;
    let csrf = page.hidden("csrf").unwrap();
    let removed = rita
        .post_raw(
            &format!("/console/admin/replies/{id}/remove"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM canned_replies").await, 0);
}
