//! A ticket's mails in the console: each one, whom it went to and how its delivery stands (with
//! the mail server's answer when it refused), and "send again".

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::SignedIn;
use super::ticket::{number, ticket_url};
use crate::AppState;
use crate::domain::mail::MailState;
use crate::domain::time::Zone;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::store::MailRecord;

/// One of a ticket's mails, as the ticket page lists it.
pub(super) struct MailLine {
    pub id: i64,
    pub what: &'static str,
    pub to: String,
    pub state: &'static str,
    pub state_name: &'static str,
    pub queued: String,
    pub queued_iso: String,
    /// When it was sent, or when it will next be tried.
    pub when: Option<String>,
    pub attempts: u32,
    pub answer: Option<String>,
    pub may_resend: bool,
}

impl MailLine {
    pub(super) fn new(mail: MailRecord, zone: &Zone) -> MailLine {
        let when = match mail.state {
            MailState::Sent => mail.sent_at.map(|at| format!("sent {}", zone.display(at))),
            MailState::Queued if mail.attempts > 0 => {
                Some(format!("next try {}", zone.display(mail.next_attempt_at)))
            }
            _ => None,
        };
        MailLine {
            id: mail.id,
            what: mail.kind.label(),
            to: mail.recipient,
            state: mail.state.label(),
            state_name: mail.state.as_str(),
            queued: zone.display(mail.created_at),
            queued_iso: mail.created_at.iso(),
            when,
            attempts: mail.attempts,
            answer: mail.last_error,
            may_resend: mail.state != MailState::Queued,
        }
    }
}

/// The ticket's mails for its page.
pub(super) async fn mail_lines(state: &AppState, ticket_id: &str) -> AppResult<Vec<MailLine>> {
    Ok(state
        .store
        .ticket_mails(ticket_id)
        .await?
        .into_iter()
        .map(|m| MailLine::new(m, &state.zone))
        .collect())
}

/// The "send again" form.
#[derive(Debug, Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/tickets/{number}/mails/{id}/resend`: queues a sent or refused mail again,
/// with the same `Message-ID`.
pub async fn resend(
    State(state): State<AppState>,
    me: SignedIn,
    Path((raw, raw_mail)): Path<(String, String)>,
    Form(form): Form<ResendForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    me.check_form(&form.csrf)?;
    let mail_id: i64 = raw_mail.parse().map_err(|_| AppError::NotFound)?;
    let Some(mail) = state.mail.as_ref() else {
        return Err(AppError::Conflict(
            "Mail is off on this server (no --smtp-url), so nothing can be sent again.".into(),
        ));
    };
    let ticket = state
        .store
        .ticket_detail(number)
        .await?
        .ok_or(AppError::NotFound)?;
    if !state
        .store
        .resend_mail(&ticket.id, mail_id, me.id())
        .await?
    {
        return Err(AppError::Conflict(
            "That mail is already waiting to be sent, or is not one of this ticket's mails. Nothing was changed.".into(),
        ));
    }
    mail.wake();
    tracing::info!(ticket.number = number, mail.id = mail_id, manager.id = %me.manager.id, "mail queued again");
    Ok(Redirect::to(&format!("{}#mails", ticket_url(number))).into_response())
}
