//! The customer's status page: what they told IIMS, what they did in the guide, how the ticket
//! is going, and (until a manager has acted) a way to correct their contact details.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::history;
use crate::domain::ticket::TicketStatus;
use crate::error::{AppError, AppResult};
use crate::extract::{Client, Form, Path, is_cross_site, same_secret};
use crate::guide::Guide;
use crate::journey::describe::{HistoryLine, describe_history};
use crate::limits::Action;
use crate::store::{Contact, ContactChange, Corrector, TicketSummary};
use crate::tickets::conversation::{ConversationLine, ReplyBox, conversation_lines};
use crate::tickets::form::{ContactValues, FieldErrors};
use crate::tickets::rating::{RatingBox, rating_box};
use crate::tickets::status_url;

#[derive(Template)]
#[template(path = "ticket_status.html")]
struct StatusPage<'a> {
    org: &'a str,
    reference: String,
    token: &'a str,
    status: &'static str,
    status_note: &'static str,
    created: String,
    updated: String,
    symptom: String,
    kind: &'static str,
    email_program: &'a str,
    description: &'a str,
    reply_to: String,
    history: Vec<HistoryLine>,
    in_guide: bool,
    you: bool,
    just_sent: bool,
    corrected: bool,
    statuses: Vec<(String, String, &'static str)>,
    handled_by: Option<String>,
    contact: Option<ContactForm>,
    mail_on: bool,
    messages: Vec<ConversationLine>,
    reply: Option<ReplyBox>,
    replied: bool,
    reopened: bool,
    rating: Option<RatingBox>,
    rated: bool,
}

/// What the page says back after the customer wrote: their message sent, or the ticket opened
/// again by it.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Wrote {
    /// The message was added.
    pub replied: bool,
    /// It opened the ticket again.
    pub reopened: bool,
    /// They answered the satisfaction question.
    pub rated: bool,
}

/// The contact details form on the status page, while the customer may still correct them.
/// Its fields start empty (an empty field keeps what is held): the page shows the address and
/// phone number only masked, as a status link may be forwarded.
pub(super) struct ContactForm {
    csrf: String,
    values: ContactValues,
    errors: FieldErrors,
    phone_hint: Option<String>,
}

/// A status link's token: 64 lowercase hex digits. A malformed one is answered like an unknown
/// one.
fn valid_token(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The ticket behind a status link; a malformed link is answered like an unknown one.
pub(super) async fn ticket_by_link(state: &AppState, token: &str) -> AppResult<TicketSummary> {
    if !valid_token(token) {
        return Err(AppError::NotFound);
    }
    state
        .store
        .ticket_by_token(token)
        .await?
        .ok_or(AppError::NotFound)
}

/// The contact form's token: derived from the status link, which only the customer holds, so
/// another site cannot forge it and nothing needs storing.
fn contact_csrf(token: &str) -> String {
    Sha256::digest(format!("helpdesk contact form\n{token}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The symptom a ticket is about, in the customer's words, from the guide version they read.
pub fn ticket_symptom(guide: &Guide, then: Option<&Guide>, problem_id: &str) -> String {
    if problem_id.is_empty() {
        return then
            .or(Some(guide))
            .and_then(|g| g.something_else.as_ref())
            .map_or_else(|| "Something else".to_string(), |s| s.symptom.clone());
    }
    then.and_then(|g| g.problem(problem_id))
        .or_else(|| guide.problem(problem_id))
        .map_or_else(|| problem_id.to_string(), |p| p.symptom.clone())
}

/// `GET /tickets/{token}`: the customer's view of their ticket.
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let ticket = ticket_by_link(&state, &token).await?;
    let query = query.unwrap_or_default();
    let flag = |name: &str| query.split('&').any(|kv| kv == name);
    let contact = contact_form(&state, &ticket, &token).await?;
    let wrote = Wrote {
        replied: flag("replied=1"),
        reopened: flag("reopened=1"),
        rated: flag("rated=1"),
    };
    let html = render(
        &state,
        &ticket,
        &token,
        (flag("sent=1"), flag("corrected=1"), wrote),
        contact,
        ReplyBox::new(&token),
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The empty contact details form, while the customer may still correct them.
pub(super) async fn contact_form(
    state: &AppState,
    ticket: &TicketSummary,
    token: &str,
) -> AppResult<Option<ContactForm>> {
    let editable = state.store.customer_may_correct(&ticket.id).await?;
    Ok(editable.then(|| ContactForm {
        csrf: contact_csrf(token),
        values: ContactValues::default(),
        errors: FieldErrors::default(),
        phone_hint: ticket.customer_phone.as_deref().map(mask_phone),
    }))
}

fn contact_of(ticket: &TicketSummary) -> Contact {
    Contact {
        name: ticket.customer_name.clone(),
        email: ticket.customer_email.clone(),
        phone: ticket.customer_phone.clone(),
        account: ticket.customer_account.clone(),
    }
}

/// The status page: `said` is what to say back (just sent, contact corrected, customer wrote).
pub(super) async fn render(
    state: &AppState,
    ticket: &TicketSummary,
    token: &str,
    said: (bool, bool, Wrote),
    contact: Option<ContactForm>,
    reply: ReplyBox,
) -> AppResult<String> {
    let (just_sent, corrected, wrote) = said;
    let guide = state.guides.current().clone();
    let then = state
        .guides
        .version(&state.store, &ticket.guide_version)
        .await?;
    let events = state.store.ticket_events(&ticket.id).await?;
    let lines = describe_history(state, &history(&events)).await?;
    let (status, status_note) = status_words(ticket.status);
    // Only status changes and a first name: never notes, never who else touched the ticket.
    let updates = state.store.customer_updates(&ticket.id).await?;
    let page = StatusPage {
        org: &guide.organisation,
        reference: guide.reference(ticket.number),
        token,
        status,
        status_note,
        created: state.zone.display(ticket.created_at),
        // The last change the customer can see: an internal note moves nothing here.
        updated: state.zone.display(
            updates
                .statuses
                .last()
                .map_or(ticket.created_at, |(at, _)| *at),
        ),
        symptom: ticket_symptom(&guide, then.as_deref(), &ticket.problem_id),
        kind: OutcomeKind::from_name(&ticket.outcome_kind).map_or("", |k| k.label()),
        email_program: &ticket.email_program,
        description: &ticket.description,
        reply_to: mask_email(&ticket.customer_email),
        history: lines,
        in_guide: !ticket.problem_id.is_empty(),
        you: true,
        just_sent,
        corrected,
        statuses: updates
            .statuses
            .iter()
            .map(|(at, s)| (state.zone.display(*at), at.iso(), status_words(*s).0))
            .collect(),
        handled_by: updates
            .assignee_name
            .as_deref()
            .map(crate::domain::manager::first_name)
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        contact,
        mail_on: state.mail.is_some(),
        messages: conversation_lines(state, ticket).await?,
        reply: (ticket.status != TicketStatus::Closed).then_some(reply),
        replied: wrote.replied,
        reopened: wrote.reopened,
        rating: rating_box(state, ticket, token).await?,
        rated: wrote.rated,
    };
    Ok(page.render()?)
}

/// The contact details form as posted.
#[derive(Debug, Deserialize)]
pub struct ContactPost {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    values: ContactValues,
}

/// `POST /tickets/{token}/contact`: the customer corrects their contact details, until a
/// manager has acted on the ticket.
pub async fn correct_contact(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(token): Path<String>,
    Form(form): Form<ContactPost>,
) -> AppResult<Response> {
    state
        .limits
        .check(Action::StatusForm, client.0)
        .await
        .map_err(AppError::Limited)?;
    let ticket = ticket_by_link(&state, &token).await?;
    if is_cross_site(&headers) || !same_secret(&form.csrf, &contact_csrf(&token)) {
        return Err(AppError::Forbidden(
            "This form was not sent from your ticket's page, so nothing was changed. Please reload the page and try again.".into(),
        ));
    }
    // An empty field keeps what the ticket holds.
    let held = ContactValues::of(&contact_of(&ticket));
    let keep = |typed: &str, held: &str| {
        if typed.trim().is_empty() {
            held.to_string()
        } else {
            typed.to_string()
        }
    };
    let merged = ContactValues {
        name: keep(&form.values.name, &held.name),
        email: keep(&form.values.email, &held.email),
        phone: keep(&form.values.phone, &held.phone),
        account: keep(&form.values.account, &held.account),
    };
    let contact = match merged.parse() {
        Ok(contact) => contact,
        Err(errors) => {
            let editable = state.store.customer_may_correct(&ticket.id).await?;
            let form = editable.then(|| ContactForm {
                csrf: contact_csrf(&token),
                values: form.values,
                errors: *errors,
                phone_hint: ticket.customer_phone.as_deref().map(mask_phone),
            });
            let said = (false, false, Wrote::default());
            let html = render(&state, &ticket, &token, said, form, ReplyBox::new(&token)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
        }
    };
    match state
        .store
        .correct_contact(ticket.number, contact, Corrector::Customer)
        .await?
    {
        ContactChange::Saved(_) | ContactChange::Unchanged => Ok(Redirect::to(&format!(
            "{}?corrected=1#contact",
            status_url(&token)
        ))
        .into_response()),
        ContactChange::Closed | ContactChange::Conflict => Err(AppError::Conflict(
            "Your ticket is already being handled, so your details can no longer be changed here. Nothing was changed.".into(),
        )),
        ContactChange::NotFound => Err(AppError::NotFound),
    }
}

/// A ticket status in the customer's words, with what it means for them. It promises nothing
/// the site does not do: no mail is promised here (the acknowledgement is the only mail a
/// customer gets so far, and only when mail is on).
fn status_words(status: TicketStatus) -> (&'static str, &'static str) {
    match status {
        TicketStatus::New => (
            "Received",
            "Your ticket is in the queue and will be picked up soon.",
        ),
        TicketStatus::InProgress => ("Being worked on", "Someone is working on your problem."),
        TicketStatus::WaitingOnCustomer => (
            "Waiting for you",
            "We need more information from you before we can go on.",
        ),
        TicketStatus::Resolved => (
            "Resolved",
            "We consider this problem solved. If it isn't, go through the guide again and quote this ticket's reference.",
        ),
        TicketStatus::Closed => ("Closed", "This ticket is closed."),
    }
}

/// `+1 203 555 0100` -> `ending in 00`: enough to recognise.
fn mask_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    format!("ending in {}", &digits[digits.len().saturating_sub(2)..])
}

/// `ann@example.com` -> `a**@example.com`: enough to recognise, not to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!(
                "{first}{}@{domain}",
                "*".repeat(local.chars().count().saturating_sub(1).clamp(1, 6))
            )
        }
        None => "***".into(),
    }
}
