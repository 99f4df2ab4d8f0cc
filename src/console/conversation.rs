//! The conversation with the customer on a ticket's page: every public reply and message of
//! the customer, oldest first, and the composer that answers them (mailed to the customer when
//! mail is on). Internal notes are the other composer, in `ticket.rs`, and never leave the console.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::plain_text;
use super::session::SignedIn;
use super::ticket::{number, refuse, ticket_url};
use crate::AppState;
use crate::domain::time::Zone;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::store::{Author, TicketMessage};

/// The longest reply accepted, in characters.
pub const REPLY_MAX: usize = 8000;

/// One message of the conversation, as the ticket page shows it.
pub(super) struct MessageLine {
    pub from_customer: bool,
    pub who: String,
    pub when: String,
    pub at_iso: String,
    pub body: String,
}

impl MessageLine {
    pub(super) fn new(message: TicketMessage, customer: &str, zone: &Zone) -> MessageLine {
        let (from_customer, who) = match message.author {
            Author::Customer => (true, format!("{customer} (the customer)")),
            Author::Manager(name) => (false, name),
        };
        MessageLine {
            from_customer,
            who,
            when: zone.display(message.created_at),
            at_iso: message.created_at.iso(),
            body: message.body,
        }
    }
}

/// The ticket's conversation for its page.
pub(super) async fn message_lines(
    state: &AppState,
    ticket_id: &str,
    customer: &str,
) -> AppResult<Vec<MessageLine>> {
    Ok(state
        .store
        .messages(ticket_id)
        .await?
        .into_iter()
        .map(|m| MessageLine::new(m, customer, &state.zone))
        .collect())
}

/// The reply form.
#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// `POST /console/tickets/{number}/replies`: a public reply to the customer.
pub async fn reply(
    State(state): State<AppState>,
    me: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ReplyForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    me.check_form(&form.csrf)?;
    let body = match plain_text(&form.body, REPLY_MAX, "The reply") {
        Ok(body) => body,
        Err(message) => {
            return refuse(&state, &me, number, |f| {
                f.reply = form.body.clone();
                f.reply_error = Some(message);
            })
            .await;
        }
    };
    let notify = state.mail.is_some();
    if !state
        .store
        .reply_to_customer(number, me.id(), &body, notify)
        .await?
    {
        return Err(AppError::NotFound);
    }
    if let Some(mail) = &state.mail {
        mail.wake();
    }
    tracing::info!(ticket.number = number, manager.id = %me.manager.id, "reply sent");
    Ok(Redirect::to(&format!("{}#conversation", ticket_url(number))).into_response())
}
