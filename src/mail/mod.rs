//! Mail: what helpdesk sends about a ticket, and how it leaves.
//!
//! A change that causes mail (a ticket opened) queues it in the database's outbox in the same
//! transaction (`crate::store::OutboxStore`); [`sender`] delivers it afterwards with retries, so a
//! mail server that is down or slow delays mail and never fails or slows the customer's request.
//! [`compose`] writes each mail from the ticket and the templates in `templates/mail/`.
//! Without `--smtp-url` mail is off: nothing is queued and the site says nothing is sent.

pub mod compose;
pub mod inbound;
pub mod sender;

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::sync::Notify;

/// How long the mail server may take to answer before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Mail as configured for this server: where it leaves from and goes through.
pub struct Mail {
    /// The sender of every mail.
    pub from: Mailbox,
    /// The site's address as customers reach it, without a trailing `/`: links in mail.
    pub public_url: String,
    /// The mail server, as `host:port`, without credentials: for the console and the log.
    pub server: String,
    /// The first retry's delay; each later one doubles it, up to an hour.
    pub retry_first: Duration,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    wake: Notify,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("from", &self.from.email.to_string())
            .field("public_url", &self.public_url)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Mail {
    /// Mail through `smtp_url` from `from`, with links to `public_url`; a message naming the
    /// setting at fault otherwise (never repeating a password).
    ///
    /// `smtps://HOST[:465]` speaks TLS from the start. `smtp://HOST[:587]` requires STARTTLS,
    /// except to a loopback address (a relay on the same machine), which is spoken to in plain
    /// text; `?tls=opportunistic` or `?tls=required` chooses explicitly.
    pub fn new(
        smtp_url: &str,
        from: &str,
        public_url: &str,
        retry_first: Duration,
    ) -> Result<Mail, String> {
        let url = url::Url::parse(smtp_url)
            .map_err(|e| format!("--smtp-url / HELPDESK_SMTP_URL is not a URL: {e}"))?;
        let host = url.host_str().unwrap_or_default().to_string();
        if host.is_empty() {
            return Err("--smtp-url / HELPDESK_SMTP_URL names no mail server".into());
        }
        let mut url = url;
        match url.scheme() {
            "smtps" => {}
            "smtp" => {
                let chosen = url.query_pairs().any(|(k, _)| k == "tls");
                if !chosen && !is_loopback(&host) {
                    url.query_pairs_mut().append_pair("tls", "required");
                }
            }
            other => {
                return Err(format!(
                    "--smtp-url / HELPDESK_SMTP_URL: unknown scheme {other:?}; use smtp:// (STARTTLS) or smtps:// (TLS)"
                ));
            }
        }
        // lettre's defaults: 465 for TLS from the start, 587 for STARTTLS.
        let port = url
            .port()
            .unwrap_or(if url.scheme() == "smtps" { 465 } else { 587 });
        let server = format!("{host}:{port}");
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
            .map_err(|e| format!("--smtp-url / HELPDESK_SMTP_URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox = from.trim().parse().map_err(|e| {
            format!("--mail-from / HELPDESK_MAIL_FROM is not a mail address ({e}): use support@example.com or \"IIMS Support <support@example.com>\"")
        })?;
        let public_url = public_url.trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&public_url).map_err(|e| {
            format!("--public-url / HELPDESK_PUBLIC_URL is not a URL ({e}): use the address customers open, such as https://help.example.com")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err("--public-url / HELPDESK_PUBLIC_URL must be an http:// or https:// address, such as https://help.example.com".into());
        }
        Ok(Mail {
            from,
            public_url,
            server,
            retry_first,
            transport,
            wake: Notify::new(),
        })
    }

    /// Tells the sender that mail was queued, so it goes out now rather than at its next look.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The domain of the sender's address: the right-hand side of every `Message-ID`.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }
}

/// The reply address of ticket `number`: the sender's address with `+NUMBER-KEY` added to its
/// local part (`support+123-1f2e3d4c5b6a7980@iims.example`). The key comes from the ticket's
/// status link, which only its customer holds, so a stranger cannot write to someone else's
/// ticket by guessing an address; `helpdesk mail-in` checks it.
pub fn reply_address(from: &Mailbox, number: i64, status_token: &str) -> Option<Mailbox> {
    let user = format!("{}+{number}-{}", from.email.user(), reply_key(status_token));
    let address = lettre::Address::new(user, from.email.domain()).ok()?;
    Some(Mailbox::new(from.name.clone(), address))
}

/// The key in a ticket's reply address: 16 hex digits of a hash of its status-link token.
pub fn reply_key(status_token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("helpdesk reply address\n{status_token}").as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `host` is this machine.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(url: &str) -> Result<Mail, String> {
        Mail::new(
            url,
            "IIMS Support <support@iims.example>",
            "https://help.iims.example/",
            Duration::from_secs(30),
        )
    }

    #[test]
    fn the_mail_server_is_named_without_its_password() {
        let m = mail("smtp://user:secret@mail.iims.example:587").unwrap();
        assert_eq!(m.server, "mail.iims.example:587");
        assert!(!format!("{m:?}").contains("secret"));
        assert_eq!(m.public_url, "https://help.iims.example");
        assert_eq!(m.domain(), "iims.example");
        assert_eq!(
            mail("smtps://mail.iims.example").unwrap().server,
            "mail.iims.example:465"
        );
        assert_eq!(
            mail("smtp://127.0.0.1:2525").unwrap().server,
            "127.0.0.1:2525"
        );
    }

    #[test]
    fn mistakes_name_the_setting() {
        let e = mail("imap://user:secret@mail.iims.example").unwrap_err();
        assert!(e.contains("--smtp-url") && !e.contains("secret"), "{e}");
        assert!(mail("not a url").unwrap_err().contains("--smtp-url"));
        let e = Mail::new(
            "smtp://127.0.0.1:25",
            "nobody",
            "https://x.example",
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(e.contains("--mail-from"), "{e}");
        let e = Mail::new(
            "smtp://127.0.0.1:25",
            "a@b.example",
            "help.example",
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(e.contains("--public-url"), "{e}");
    }

    #[test]
    fn loopback_is_this_machine() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("[::1]"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("mail.iims.example"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
