//! One ticket as a manager works it: the customer, the path as a timeline, the conversation with
//! the customer (`conversation.rs`) and internal notes, the status workflow, assignment, the
//! customer's other tickets, its mails (`ticket_mail.rs`), the customer's satisfaction answer and
//! the audit trail. Edits carry the
//! ticket's revision; a stale one gets a 409 with the ticket as it now stands; a wrong one gets the
//! page again (422) with a message beside the form and what was typed; one sent after the session
//! ended is kept and shown back after sign-in.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::conversation::{MessageLine, REPLY_MAX, message_lines};
use super::session::{Sender, SignedIn, cookie_header, sign_in_url};
use super::ticket_mail::{MailLine, mail_lines};
use super::ticket_view::{AuditLine, Moment, NoteLine, OtherTicket, audit_line, status_label};
use super::{Chrome, plain_text};
use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::history;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, elapsed};
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path, cookie, is_https};
use crate::journey::describe::{HistoryLine, describe, describe_history};
use crate::store::{ManagerRecord, PendingForm, PendingKind, TicketChange, TicketDetail};
use crate::tickets::form::{ContactValues, FieldErrors};
use crate::tickets::page::ticket_symptom;

/// The longest note accepted, in characters.
pub const NOTE_MAX: usize = 8000;
/// How many of the customer's other tickets the page lists.
const OTHER_TICKETS: u32 = 20;
/// The cookie that names the form kept while its sender signs in again.
const PENDING_COOKIE: &str = "helpdesk_pending";

/// What the page says back about the forms on it: messages beside the fields, what was typed,
/// and notices.
#[derive(Debug, Default)]
pub struct Feedback {
    /// The note as typed, shown again in the note field.
    pub note: String,
    /// The reply to the customer as typed, shown again in its field.
    pub reply: String,
    /// What is wrong with the reply.
    pub reply_error: Option<String>,
    /// What is wrong with the note.
    pub note_error: Option<String>,
    /// What is wrong with the status change.
    pub status_error: Option<String>,
    /// What is wrong with the assignment.
    pub assign_error: Option<String>,
    /// The assignee chosen, shown selected again.
    pub assignee: Option<String>,
    /// Someone else changed the ticket first.
    pub conflict: Option<String>,
    /// A note or change kept while the manager signed in again.
    pub restored: Option<String>,
    /// The contact details as typed, when their correction was refused.
    pub contact: Option<ContactValues>,
    /// What is wrong with the contact details.
    pub contact_errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "console/ticket.html")]
struct TicketPage<'a> {
    chrome: Chrome,
    reference: String,
    t: &'a TicketDetail,
    status: &'static str,
    symptom: String,
    kind: &'static str,
    opened: String,
    updated: String,
    timeline: Vec<Moment>,
    total_time: Option<String>,
    history: Vec<HistoryLine>,
    detours: bool,
    you: bool,
    contact: ContactValues,
    notes: Vec<NoteLine>,
    audit: Vec<AuditLine>,
    next_statuses: Vec<(&'static str, &'static str)>,
    managers: Vec<ManagerRecord>,
    my_id: &'a str,
    feedback: Feedback,
    others: Vec<OtherTicket>,
    mails: Vec<MailLine>,
    mail_on: bool,
    messages: Vec<MessageLine>,
    reply_max: usize,
    /// The canned replies to start from: (id, title).
    canned: Vec<(i64, String)>,
    /// Its deadlines under its kind's response-time targets.
    deadlines: Vec<super::targets::DeadlineLine>,
    /// The customer's answer to "did this solve your problem?": (it did, comment, when).
    rating: Option<(bool, String, String)>,
}

/// A ticket number from the URL; anything else is a page that does not exist.
pub(super) fn number(raw: &str) -> AppResult<i64> {
    if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Renders the ticket page with `code`, and what to say back about its forms.
pub(super) async fn render(
    state: &AppState,
    me: &SignedIn,
    number: i64,
    code: StatusCode,
    feedback: Feedback,
) -> AppResult<Response> {
    let mut t = state
        .store
        .ticket_detail(number)
        .await?
        .ok_or(AppError::NotFound)?;
    let guide = state.guides.current().clone();
    let then = state.guides.version(&state.store, &t.guide_version).await?;
    let symptom = ticket_symptom(&guide, then.as_deref(), &t.problem_id);
    let lines = describe(state, &t.problem_id, &t.path).await?;
    let events = state.store.ticket_events(&t.id).await?;
    let history = describe_history(state, &history(&events)).await?;
    let count = lines.len();
    let zone = &state.zone;
    let timeline = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| Moment::new(l, i, count, zone))
        .collect();
    let total_time = match (t.path.first(), t.path.last()) {
        (Some(first), Some(last)) if t.path.len() > 1 => {
            Some(elapsed(first.shown_at, last.shown_at))
        }
        _ => None,
    };
    let notes = std::mem::take(&mut t.notes)
        .into_iter()
        .map(|n| NoteLine::new(n, zone))
        .collect();
    let audit = std::mem::take(&mut t.audit)
        .into_iter()
        .map(|a| audit_line(a, zone))
        .collect();
    let managers = state
        .store
        .managers_as_of(me.managers_generation)
        .await?
        .into_iter()
        .filter(|m| m.enabled)
        .collect();
    let now = Timestamp::now();
    let others = state
        .store
        .customer_tickets(&t.customer_email, t.number, OTHER_TICKETS)
        .await?
        .into_iter()
        .map(|o| OtherTicket::new(guide.reference(o.number), o, zone, now))
        .collect();
    let mut feedback = feedback;
    let contact = feedback.contact.take().unwrap_or_else(|| ContactValues {
        name: t.customer_name.clone(),
        email: t.customer_email.clone(),
        phone: t.customer_phone.clone().unwrap_or_default(),
        account: t.customer_account.clone().unwrap_or_default(),
    });
    let mails = mail_lines(state, &t.id).await?;
    let messages = message_lines(state, &t.id, &t.customer_name).await?;
    let rating = state
        .store
        .rating(&t.id)
        .await?
        .map(|r| (r.helped, r.comment, zone.display(r.answered_at)));
    let page = TicketPage {
        chrome: Chrome::new(state, me),
        mails,
        mail_on: state.mail.is_some(),
        messages,
        reply_max: REPLY_MAX,
        deadlines: super::targets::deadlines(state, &t).await?,
        canned: state
            .store
            .canned_replies()
            .await?
            .into_iter()
            .map(|c| (c.id, c.title))
            .collect(),
        rating,
        detours: history.iter().any(|h| {
            matches!(
                h.kind,
                "back" | "back-from-isp" | "changed" | "switched" | "started-again" | "straight"
            )
        }),
        history,
        you: false,
        contact,
        reference: guide.reference(t.number),
        status: t.status.label(),
        symptom,
        kind: OutcomeKind::from_name(&t.outcome_kind).map_or("", |k| k.label()),
        opened: zone.display(t.created_at),
        updated: zone.display(t.updated_at),
        timeline,
        total_time,
        notes,
        audit,
        next_statuses: t
            .status
            .next()
            .iter()
            .map(|&s| (s.as_str(), t.status.action_to(s)))
            .collect(),
        managers,
        my_id: me.id(),
        feedback,
        others,
        t: &t,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/tickets/{number}`: the ticket, with a note or change its manager sent after
/// their session ended shown back to them.
pub async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    headers: HeaderMap,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let number = number(&raw)?;
    let mut feedback = Feedback::default();
    // "Insert" beside the reply composer: the canned reply, filled in for this ticket.
    let canned = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("canned=")))
        .and_then(|id| id.parse::<i64>().ok());
    if let Some(id) = canned
        && let Some(detail) = state.store.ticket_detail(number).await?
        && let Some(ticket) = state.store.ticket_by_id(&detail.id).await?
        && let Some(text) = super::canned::filled_in(&state, &ticket, id).await?
    {
        feedback.reply = text;
    }
    let pending = match cookie(&headers, PENDING_COOKIE) {
        Some(id) if !id.is_empty() => state.store.take_pending_form(id, Timestamp::now()).await?,
        _ => None,
    };
    if let Some(form) = pending.filter(|f| f.ticket_number == number) {
        restore(&mut feedback, form);
    }
    let mut response = render(&state, &me, number, StatusCode::OK, feedback).await?;
    if cookie(&headers, PENDING_COOKIE).is_some()
        && let Some(v) = cookie_header(PENDING_COOKIE, "", 0, "Strict", is_https(&headers))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// Puts a kept form back on the page: a note in its field, a change as a notice.
fn restore(feedback: &mut Feedback, form: PendingForm) {
    feedback.restored = Some(match form.kind {
        PendingKind::Note => {
            feedback.note = form.value;
            "Your session had ended before your note was saved, so it was kept for you. \
             Check it below and press \u{201c}Add internal note\u{201d} to save it."
                .to_string()
        }
        PendingKind::Status => format!(
            "Your session had ended before your change of status ({}) was saved. \
             Check the ticket and choose it again if it is still needed.",
            status_label(&form.value).to_lowercase()
        ),
        PendingKind::Assign => {
            feedback.assignee = Some(form.value);
            "Your session had ended before your change of assignment was saved. \
             The manager you chose is selected below: save it again if it is still needed."
                .to_string()
        }
    });
}

/// Keeps a form sent after its sender's session ended and sends them to sign in, back to the
/// ticket where it is shown again. Only a form from the manager's own browser is kept; anything
/// else is refused as before, with nothing kept.
async fn keep_for_later(
    state: &AppState,
    headers: &HeaderMap,
    own_browser: bool,
    form: PendingForm,
) -> AppResult<Response> {
    if !own_browser || form.value.trim().is_empty() {
        return Err(AppError::Forbidden(
            "You are not signed in (or your session has ended), so nothing was changed. Please sign in and try again."
                .into(),
        ));
    }
    let number = form.ticket_number;
    let id = state
        .store
        .keep_pending_form(form, Timestamp::now())
        .await?;
    tracing::info!(ticket.number = number, "form kept until sign-in");
    let mut response = Redirect::to(&sign_in_url(&ticket_url(number))).into_response();
    let max_age = crate::store::PENDING_FOR.as_secs();
    if let Some(v) = cookie_header(PENDING_COOKIE, &id, max_age, "Strict", is_https(headers)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub(super) fn ticket_url(number: i64) -> String {
    format!("/console/tickets/{number}")
}

/// What an edit of a ticket answers.
async fn answer(
    state: &AppState,
    me: &SignedIn,
    number: i64,
    change: TicketChange,
    anchor: &str,
) -> AppResult<Response> {
    match change {
        TicketChange::Saved(revision) => {
            // The change may have queued mail: send it now rather than at the sender's next look.
            if let Some(mail) = &state.mail {
                mail.wake();
            }
            tracing::info!(ticket.number = number, manager.id = %me.manager.id, ticket.revision = revision, "ticket changed");
            Ok(Redirect::to(&format!("{}#{anchor}", ticket_url(number))).into_response())
        }
        TicketChange::Conflict => {
            let feedback = Feedback {
                conflict: Some(
                    "Someone else changed this ticket after you opened it, so your change was not saved. \
                     Below is the ticket as it is now: check it, then make your change again if it is still needed."
                        .into(),
                ),
                ..Feedback::default()
            };
            render(state, me, number, StatusCode::CONFLICT, feedback).await
        }
        TicketChange::NotAllowed(from) => {
            let message = format!(
                "A ticket that is {} can't be moved to that status. Use one of the buttons on the ticket.",
                from.label().to_lowercase()
            );
            refuse(state, me, number, |f| f.status_error = Some(message)).await
        }
        TicketChange::NoSuchAssignee => {
            let message =
                "That manager can't be assigned: choose an enabled manager from the list.".into();
            refuse(state, me, number, |f| f.assign_error = Some(message)).await
        }
        TicketChange::NotFound => Err(AppError::NotFound),
    }
}

/// The ticket page again with a message beside the form that was wrong: 422.
pub(super) async fn refuse(
    state: &AppState,
    me: &SignedIn,
    number: i64,
    say: impl FnOnce(&mut Feedback),
) -> AppResult<Response> {
    let mut feedback = Feedback::default();
    say(&mut feedback);
    render(
        state,
        me,
        number,
        StatusCode::UNPROCESSABLE_ENTITY,
        feedback,
    )
    .await
}

pub(super) fn revision(raw: &str) -> Result<i64, String> {
    raw.trim()
        .parse()
        .map_err(|_| "The form was incomplete. Please reload the ticket and try again.".into())
}

/// The status form.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    status: String,
}

/// `POST /console/tickets/{number}/status`: moves the ticket along the workflow.
pub async fn set_status(
    State(state): State<AppState>,
    sender: Sender,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    let me = match sender {
        Sender::SignedIn(me) => me,
        Sender::SessionEnded { own_browser } => {
            let kept = TicketStatus::from_name(form.status.trim()).map(|s| PendingForm {
                ticket_number: number,
                kind: PendingKind::Status,
                value: s.as_str().into(),
            });
            let kept = kept.unwrap_or(PendingForm {
                ticket_number: number,
                kind: PendingKind::Status,
                value: String::new(),
            });
            return keep_for_later(&state, &headers, own_browser, kept).await;
        }
    };
    me.check_form(&form.csrf)?;
    let (revision, to) = match (
        revision(&form.revision),
        TicketStatus::from_name(form.status.trim()),
    ) {
        (Ok(r), Some(to)) => (r, to),
        (Err(message), _) => {
            return refuse(&state, &me, number, |f| f.status_error = Some(message)).await;
        }
        (_, None) => {
            let message = "There is no ticket status called that. Use one of the buttons.".into();
            return refuse(&state, &me, number, |f| f.status_error = Some(message)).await;
        }
    };
    let change = state
        .store
        .change_status(number, revision, to, me.id(), state.mail.is_some())
        .await?;
    answer(&state, &me, number, change, "status").await
}

/// The assignment form.
#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    revision: String,
    /// `me`, `none`, or a manager's id.
    #[serde(default)]
    assignee: String,
}

/// `POST /console/tickets/{number}/assign`: assigns the ticket to oneself, another manager, or nobody.
pub async fn assign(
    State(state): State<AppState>,
    sender: Sender,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    let me = match sender {
        Sender::SignedIn(me) => me,
        Sender::SessionEnded { own_browser } => {
            let kept = PendingForm {
                ticket_number: number,
                kind: PendingKind::Assign,
                value: form.assignee.trim().chars().take(64).collect(),
            };
            return keep_for_later(&state, &headers, own_browser, kept).await;
        }
    };
    me.check_form(&form.csrf)?;
    let revision = match revision(&form.revision) {
        Ok(r) => r,
        Err(message) => {
            return refuse(&state, &me, number, |f| f.assign_error = Some(message)).await;
        }
    };
    let assignee = match form.assignee.trim() {
        "me" => Some(me.id().to_string()),
        "none" | "" => None,
        id => match uuid::Uuid::try_parse(id) {
            Ok(id) => Some(id.to_string()),
            Err(_) => {
                let message = "Choose a manager from the list.".to_string();
                return refuse(&state, &me, number, |f| f.assign_error = Some(message)).await;
            }
        },
    };
    let change = state
        .store
        .assign(
            number,
            revision,
            assignee.as_deref(),
            me.id(),
            state.mail.is_some(),
        )
        .await?;
    answer(&state, &me, number, change, "assignment").await
}

/// The note form.
#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// `POST /console/tickets/{number}/notes`: adds an internal note.
pub async fn add_note(
    State(state): State<AppState>,
    sender: Sender,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    let me = match sender {
        Sender::SignedIn(me) => me,
        Sender::SessionEnded { own_browser } => {
            let kept = PendingForm {
                ticket_number: number,
                kind: PendingKind::Note,
                value: form.body.chars().take(NOTE_MAX * 2).collect(),
            };
            return keep_for_later(&state, &headers, own_browser, kept).await;
        }
    };
    me.check_form(&form.csrf)?;
    let body = match plain_text(&form.body, NOTE_MAX, "The note") {
        Ok(body) => body,
        Err(message) => {
            return refuse(&state, &me, number, |f| {
                f.note = form.body.clone();
                f.note_error = Some(message);
            })
            .await;
        }
    };
    if !state.store.add_note(number, me.id(), &body).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(ticket.number = number, manager.id = %me.manager.id, "note added");
    Ok(Redirect::to(&format!("{}#notes", ticket_url(number))).into_response())
}
