//! The sender: delivers the outbox's mails, with retries, never in a customer's request.
//!
//! It claims the mails that are due (a claim lasts [`LEASE`], so a second server, or this one
//! after a crash, takes a mail only once its claim has run out), writes each one, hands it to the
//! mail server and records how that went: sent; refused for good (a 5xx answer), shown on the
//! ticket with the server's answer; or not now (down, slow, a 4xx answer), tried again after a
//! delay that doubles each time up to an hour. A crash between the server taking a mail and the
//! record of it sends that mail once more when the claim runs out, with the same `Message-ID`,
//! so the recipient's mail program shows it once. docs/MAIL.md has the whole account.

use std::sync::Arc;
use std::time::Duration;

use lettre::AsyncTransport;
use tokio::sync::watch;

use super::Mail;
use super::compose::{letter, message};
use crate::AppState;
use crate::domain::time::Timestamp;
use crate::store::{Delivery, OutgoingMail};

/// How long a claimed mail is left to its sender: well over the mail server's time limit.
pub const LEASE: Duration = Duration::from_secs(120);

/// How many mails one look at the outbox claims.
const CLAIM: usize = 16;

/// The longest the sender sleeps without looking at the outbox (a mail queued by another
/// server, or a claim that ran out, is seen within this).
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// The longest delay between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(3600);

/// Delivers mail until `stop` turns true; the mail being sent then is finished first.
pub async fn run(state: AppState, mail: Arc<Mail>, mut stop: watch::Receiver<bool>) {
    tracing::info!(server = %mail.server, "mail is on");
    loop {
        if *stop.borrow() {
            return;
        }
        match state.store.claim_mail(Timestamp::now(), LEASE, CLAIM).await {
            Ok(mails) if !mails.is_empty() => {
                for out in mails {
                    let delivery = deliver(&state, &mail, &out).await;
                    if let Err(e) = state.store.record_delivery(out.id, delivery).await {
                        // The claim runs out and the mail is tried again: at worst sent twice,
                        // with the same Message-ID.
                        tracing::warn!(mail.id = out.id, error = %e, "cannot record a mail's delivery");
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the mail outbox"),
        }
        let wait = match state.store.next_mail_due().await {
            Ok(Some(due)) => Duration::from_millis(
                (due.millis() - Timestamp::now().millis()).clamp(0, i64::MAX) as u64,
            )
            .min(LOOK_EVERY),
            _ => LOOK_EVERY,
        };
        tokio::select! {
            () = mail.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            // Told to stop, or whoever could tell it is gone.
            changed = stop.changed() => if changed.is_err() { return; },
        }
    }
}

/// Writes and sends one mail; says how it went.
async fn deliver(state: &AppState, mail: &Mail, out: &OutgoingMail) -> Delivery {
    let ticket = match state.store.ticket_by_id(&out.ticket_id).await {
        Ok(Some(ticket)) => ticket,
        Ok(None) => {
            return Delivery::Refused {
                error: "the ticket no longer exists".into(),
            };
        }
        Err(e) => return retry(mail, out, format!("cannot read the ticket: {e}")),
    };
    let written = match letter(state, mail, &ticket, out).await {
        Ok(letter) => message(mail, out, &letter),
        Err(e) => return retry(mail, out, format!("cannot read the ticket's path: {e}")),
    };
    let message = match written {
        Ok(message) => message,
        Err(error) => return Delivery::Refused { error },
    };
    match mail.transport.send(message).await {
        Ok(_) => {
            tracing::info!(mail.id = out.id, mail.kind = out.kind.as_str(), "mail sent");
            Delivery::Sent
        }
        Err(e) => {
            // The server's answer may quote the address: the log gets its code only.
            let code = e.status().map(|c| c.to_string());
            let code = code.as_deref().unwrap_or("none");
            if e.is_permanent() {
                tracing::warn!(
                    mail.id = out.id,
                    smtp.code = code,
                    "mail refused by the mail server"
                );
                Delivery::Refused {
                    error: e.to_string(),
                }
            } else {
                tracing::info!(
                    mail.id = out.id,
                    smtp.code = code,
                    attempts = out.attempts + 1,
                    "mail not sent yet; will try again"
                );
                retry(mail, out, e.to_string())
            }
        }
    }
}

/// Try again after the delay for the attempt `out` is on.
fn retry(mail: &Mail, out: &OutgoingMail, error: String) -> Delivery {
    let delay = delay(mail.retry_first, out.attempts);
    Delivery::Retry {
        at: Timestamp(Timestamp::now().millis() + delay.as_millis() as i64),
        error,
    }
}

/// The wait after a failed attempt when `attempts` came before it: `first`, doubled for each
/// earlier attempt, at most an hour.
fn delay(first: Duration, attempts: u32) -> Duration {
    first
        .checked_mul(1 << attempts.min(16))
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let first = Duration::from_secs(30);
        assert_eq!(delay(first, 0), Duration::from_secs(30));
        assert_eq!(delay(first, 1), Duration::from_secs(60));
        assert_eq!(delay(first, 3), Duration::from_secs(240));
        assert_eq!(delay(first, 7), MAX_DELAY);
        assert_eq!(delay(first, 40), MAX_DELAY);
    }
}
