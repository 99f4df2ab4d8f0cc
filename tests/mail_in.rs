//! `helpdesk mail-in`, fed real messages as a mail server's pipe alias does: replies shaped as
//! Thunderbird, Outlook and Gmail send them (quoted history, HTML only, other charsets), a forged
//! reply to another customer's ticket, a message for no ticket, a malformed one, a 30 MB one and
//! one to a closed ticket. What is stored, and what is refused with which exit status.

mod common;
mod real_server;
mod real_smtp;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use real_server::{Server, binary, free_port};
use real_smtp::SmtpServer;

/// Runs `helpdesk mail-in` on `db` with `raw` on its standard input: (exit status, stderr).
fn mail_in(db: &str, raw: &[u8]) -> (i32, String) {
    let mut child = Command::new(binary())
        .args(["mail-in", "--database-url", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mail-in");
    // A process that stops reading early (a message over the limit) closes the pipe: fine.
    let _ = child.stdin.take().unwrap().write_all(raw);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The bare address in `Name <address>`.
fn bare(address: &str) -> String {
    address
        .rsplit('<')
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_string()
}

#[test]
fn replies_by_mail_reach_their_ticket_and_everything_else_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_database_now(&dir);
    let smtp = SmtpServer::start(&dir.path().join("mail"), free_port(), None);
    let port = free_port();
    let server = Server::start_on(
        &db,
        port,
        &[
            "--smtp-url",
            &smtp.url(),
            "--mail-from",
            "IIMS Support <support@iims.example>",
            "--public-url",
            &format!("http://127.0.0.1:{port}"),
            "--mail-retry-seconds",
            "1",
        ],
    );
    let mut ann = server.client();
    let sent = ann.escalate_download_stuck().unwrap();
    let link = sent.location_path();
    let mut eve = server.client();
    eve.escalate_download_stuck().unwrap();
    let mails = smtp.wait_for(2, Duration::from_secs(10));
    let ack = mails
        .iter()
        .find(|m| m.text().contains(&link))
        .expect("Ann's acknowledgement");
    let reply_to = bare(&ack.header("Reply-To"));
    assert!(
        reply_to.starts_with("support+1-") && reply_to.ends_with("@iims.example"),
        "{reply_to}"
    );
    let ack_id = ack.header("Message-ID");
    let eve_ack = mails.iter().find(|m| !m.text().contains(&link)).unwrap();
    let eve_reply_to = bare(&eve_ack.header("Reply-To"));
    let page = |ann: &mut real_server::Client| ann.get(&link).unwrap().body;

    // Thunderbird: plain text, the history quoted below "… wrote:".
    let thunderbird = format!(
        "From: Ann Example <ann@example.com>\r\nTo: IIMS Support <{reply_to}>\r\nSubject: Re: [IIMS-000001] We have your request\r\nMessage-ID: <t1@example.com>\r\nIn-Reply-To: {ack_id}\r\nReferences: {ack_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\nThe big attachment is gone, it downloads now.\r\n\r\nOn 06/12/2026 21:14, IIMS Support wrote:\r\n> IIMS has your request about \"Downloading my email gets stuck\".\r\n> Your reference is IIMS-000001.\r\n"
    );
    let (code, err) = mail_in(&db, thunderbird.as_bytes());
    assert_eq!(code, 0, "{err}");
    let body = page(&mut ann);
    assert!(body.contains("The big attachment is gone, it downloads now."));
    assert!(
        !body.contains("Your reference is IIMS-000001."),
        "the quote is not kept"
    );

    // Outlook: text and HTML in windows-1252, quoted-printable, history below its rule; sent to
    // the plain support address, found by In-Reply-To alone.
    let outlook = format!(
        "From: \"Example, Ann\" <ann@example.com>\r\nTo: support@iims.example\r\nSubject: RE: [IIMS-000001] We have your request\r\nIn-Reply-To: {ack_id}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=\"windows-1252\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nI tried it from the caf=E9 too =96 same result.\r\n\r\n________________________________\r\nFrom: IIMS Support <support@iims.example>\r\nSent: Monday, December 7, 2026 9:01 AM\r\nTo: Ann\r\nSubject: IIMS-000001\r\n\r\nold text\r\n--b1\r\nContent-Type: text/html; charset=\"windows-1252\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p>I tried it from the caf=E9 too =96 same result.</p><hr><p>From: IIMS Support</p></body></html>\r\n--b1--\r\n"
    );
    let (code, err) = mail_in(&db, outlook.as_bytes());
    assert_eq!(code, 0, "{err}");
    let body = page(&mut ann);
    assert!(
        body.contains("I tried it from the café too – same result."),
        "windows-1252 read"
    );
    assert!(!body.contains("old text"));

    // Gmail, HTML only, the history in a blockquote after "On … wrote:".
    let gmail = format!(
        "From: Ann <ann@example.com>\r\nTo: {reply_to}\r\nSubject: Re: IIMS-000001\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<div dir=\"ltr\">Thanks, all good now!</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, Dec 7, 2026 at 9:01 AM IIMS Support &lt;{reply_to}&gt; wrote:<br></div><blockquote class=\"gmail_quote\">Your reference is IIMS-000001.</blockquote></div>\r\n"
    );
    let (code, err) = mail_in(&db, gmail.as_bytes());
    assert_eq!(code, 0, "{err}");
    let body = page(&mut ann);
    assert!(body.contains("Thanks, all good now!"));

    // ISO-8859-1, 8-bit, with an encoded subject.
    let mut latin = format!(
        "From: ann@example.com\r\nTo: {reply_to}\r\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    latin.extend_from_slice(b"Gr\xfc\xdfe aus M\xfcnchen\r\n");
    let (code, err) = mail_in(&db, &latin);
    assert_eq!(code, 0, "{err}");
    assert!(page(&mut ann).contains("Grüße aus München"));
    let stored = |ann: &mut real_server::Client| page(ann).matches("class=\"message ").count();
    assert_eq!(stored(&mut ann), 4);

    // Eve forges a reply to Ann's ticket with her own key: refused, nothing stored.
    let (eve_number_key, domain) = eve_reply_to.split_once('@').unwrap();
    let eve_key = eve_number_key.rsplit('-').next().unwrap();
    let forged = format!(
        "From: ann@example.com\r\nTo: support+1-{eve_key}@{domain}\r\nSubject: Re: [IIMS-000001]\r\n\r\nPlease send the new password to eve@evil.example\r\n"
    );
    let (code, err) = mail_in(&db, forged.as_bytes());
    assert_eq!(code, 67, "{err}");
    assert!(err.contains("not a reply to a ticket"), "{err}");
    // The subject alone finds nothing either.
    let subject_only = "From: ann@example.com\r\nTo: support@iims.example\r\nSubject: Re: [IIMS-000001] We have your request\r\n\r\nHello?\r\n";
    assert_eq!(mail_in(&db, subject_only.as_bytes()).0, 67);
    // Not a mail at all, or nothing but the quote.
    assert_eq!(mail_in(&db, b"just some bytes without headers").0, 65);
    let only_quote =
        format!("From: ann@example.com\r\nTo: {reply_to}\r\nSubject: Re\r\n\r\n> quoted only\r\n");
    let (code, err) = mail_in(&db, only_quote.as_bytes());
    assert_eq!(code, 65, "{err}");
    // 30 MB: refused before it is read whole.
    let mut huge =
        format!("From: ann@example.com\r\nTo: {reply_to}\r\nSubject: Re\r\n\r\n").into_bytes();
    huge.resize(30 * 1024 * 1024, b'a');
    let (code, err) = mail_in(&db, &huge);
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("larger than 10 MB"), "{err}");
    assert_eq!(stored(&mut ann), 4, "nothing refused was stored");
    assert!(!page(&mut ann).contains("eve@evil.example"));

    // The manager holding nothing, nobody follows unassigned tickets: no mail about the replies,
    // and every reply was added to the ticket the customer wrote to, not Eve's.
    server.stop();
}
