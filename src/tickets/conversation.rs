//! The conversation on the customer's status page: every public reply and their own messages,
//! oldest first, and the form to write more. Writing on a resolved ticket opens it again; a
//! closed ticket takes no more messages.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::page::{Wrote, contact_form, render, ticket_by_link};
use super::status_url;
use crate::AppState;
use crate::domain::manager::first_name;
use crate::domain::text::multiline;
use crate::error::{AppError, AppResult, limited, limited_message};
use crate::extract::{Client, Form, Path, is_cross_site, same_secret};
use crate::limits::Action;
use crate::store::{Author, CustomerMessage, TicketSummary};

/// The longest message accepted, in characters.
pub const MESSAGE_MAX: usize = 8000;

/// One message as the customer reads it.
pub(crate) struct ConversationLine {
    pub from_you: bool,
    pub who: String,
    pub when: String,
    pub at_iso: String,
    pub body: String,
}

/// The ticket's conversation in the customer's words: "You", or the manager's first name.
pub(crate) async fn conversation_lines(
    state: &AppState,
    ticket: &TicketSummary,
) -> AppResult<Vec<ConversationLine>> {
    Ok(state
        .store
        .messages(&ticket.id)
        .await?
        .into_iter()
        .map(|m| {
            let (from_you, who) = match m.author {
                Author::Customer => (true, "You".to_string()),
                Author::Manager(name) => (false, first_name(&name).to_string()),
            };
            ConversationLine {
                from_you,
                who,
                when: state.zone.display(m.created_at),
                at_iso: m.created_at.iso(),
                body: m.body,
            }
        })
        .collect())
}

/// The message form: its token, and what was typed when it came back with a mistake.
#[derive(Debug, Default)]
pub(crate) struct ReplyBox {
    pub csrf: String,
    pub body: String,
    pub error: Option<String>,
    pub max: usize,
}

impl ReplyBox {
    /// An empty form for the ticket behind `token`.
    pub(crate) fn new(token: &str) -> ReplyBox {
        ReplyBox {
            csrf: reply_csrf(token),
            max: MESSAGE_MAX,
            ..ReplyBox::default()
        }
    }
}

/// The message form's token: derived from the status link, which only the customer holds.
fn reply_csrf(token: &str) -> String {
    Sha256::digest(format!("helpdesk customer message\n{token}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The message form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessagePost {
    csrf: String,
    body: String,
}

/// `POST /tickets/{token}/messages`: the customer writes on their ticket.
pub async fn write(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(token): Path<String>,
    Form(form): Form<MessagePost>,
) -> AppResult<Response> {
    let refused = state.limits.check(Action::StatusForm, client.0).await.err();
    let ticket = ticket_by_link(&state, &token).await?;
    if is_cross_site(&headers) || !same_secret(&form.csrf, &reply_csrf(&token)) {
        return Err(AppError::Forbidden(
            "This form was not sent from your ticket's page, so nothing was sent. Please reload the page and try again.".into(),
        ));
    }
    let body = multiline(&form.body);
    let count = body.chars().count();
    // Over the limit, the page comes back with what was typed still in the box.
    let mistake = if let Some(refused) = &refused {
        Some(limited_message(refused))
    } else if body.is_empty() {
        Some("Your message is empty. Write what you want to tell us, then send it.".to_string())
    } else if count > MESSAGE_MAX {
        Some(format!(
            "Your message can be at most {MESSAGE_MAX} characters long (it has {count}). Shorten it, or send it in two parts."
        ))
    } else {
        None
    };
    if let Some(error) = mistake {
        let reply = ReplyBox {
            body: form.body,
            error: Some(error),
            ..ReplyBox::new(&token)
        };
        let said = (false, false, Wrote::default());
        let contact = contact_form(&state, &ticket, &token).await?;
        let html = render(&state, &ticket, &token, said, contact, reply).await?;
        let page = (StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response();
        return Ok(match &refused {
            Some(refused) => limited(page, refused),
            None => page,
        });
    }
    let notify = state.mail.is_some();
    match state
        .store
        .customer_message(&ticket.id, &body, notify)
        .await?
    {
        CustomerMessage::Added { reopened } => {
            if let Some(mail) = &state.mail {
                mail.wake();
            }
            tracing::info!(ticket.number = ticket.number, reopened, "customer wrote");
            let flag = if reopened { "reopened=1" } else { "replied=1" };
            Ok(Redirect::to(&format!("{}?{flag}#conversation", status_url(&token))).into_response())
        }
        CustomerMessage::Closed => Err(AppError::Conflict(
            "This ticket is closed, so nothing more can be added to it. If you still need help, go through the guide again and open a new ticket.".into(),
        )),
        CustomerMessage::NotFound => Err(AppError::NotFound),
    }
}
