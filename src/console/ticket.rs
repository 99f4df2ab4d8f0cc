//! One ticket as a manager works it: the customer, the path as a timeline, internal notes, the
//! status workflow, assignment, and the audit trail. Edits carry the ticket's revision; a stale
//! one gets a 409 with the ticket as it now stands.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::SignedIn;
use super::{Chrome, plain_text};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::guide::OutcomeKind;
use crate::guide::text::rich;
use crate::journey::describe::describe;
use crate::store::{AuditEntry, ManagerRecord, Note, TicketChange, TicketDetail};
use crate::tickets::status::TicketStatus;
use crate::time::elapsed;

/// The longest note accepted, in characters.
pub const NOTE_MAX: usize = 8000;

/// One step of the customer's path on the timeline.
#[derive(Debug)]
struct Moment {
    number: Option<String>,
    /// Guide text, already escaped by `rich`.
    title_html: String,
    answer: Option<String>,
    at: String,
    at_iso: String,
    took: Option<String>,
    is_ending: bool,
}

/// One audit line in words.
#[derive(Debug)]
struct AuditLine {
    at: String,
    at_iso: String,
    who: String,
    what: &'static str,
    before: String,
    after: String,
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
    notes: Vec<Note>,
    audit: Vec<AuditLine>,
    next_statuses: Vec<(&'static str, &'static str)>,
    managers: Vec<ManagerRecord>,
    my_id: &'a str,
    conflict: Option<String>,
}

fn status_label(name: &str) -> String {
    TicketStatus::from_name(name).map_or_else(|| name.to_string(), |s| s.label().to_string())
}

fn audit_line(entry: AuditEntry) -> AuditLine {
    let who = entry.actor_name.unwrap_or_else(|| "System".into());
    let (what, before, after) = match entry.action.as_str() {
        "opened" => (
            "Ticket opened by the customer's escalation",
            String::new(),
            status_label(entry.after.as_deref().unwrap_or("")),
        ),
        "routed" => (
            "Routed to the account's manager",
            "Unassigned".into(),
            entry.after.unwrap_or_default(),
        ),
        "status" => (
            "Status changed",
            status_label(entry.before.as_deref().unwrap_or("")),
            status_label(entry.after.as_deref().unwrap_or("")),
        ),
        "assignee" => (
            "Assignment changed",
            entry.before.unwrap_or_else(|| "Unassigned".into()),
            entry.after.unwrap_or_else(|| "Unassigned".into()),
        ),
        "note" => ("Internal note added", String::new(), String::new()),
        _ => (
            "Changed",
            entry.before.unwrap_or_default(),
            entry.after.unwrap_or_default(),
        ),
    };
    AuditLine {
        at: entry.at.display(),
        at_iso: entry.at.iso(),
        who,
        what,
        before,
        after,
    }
}

/// A ticket number from the URL; anything else is a page that does not exist.
fn number(raw: &str) -> AppResult<i64> {
    if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Renders the ticket page with `status`, and a conflict message if the edit was refused.
async fn render(
    state: &AppState,
    me: &SignedIn,
    number: i64,
    code: StatusCode,
    conflict: Option<String>,
) -> AppResult<Response> {
    let mut t = state
        .store
        .ticket_detail(number)
        .await?
        .ok_or(AppError::NotFound)?;
    let guide = state.guides.current().clone();
    let then = state.guides.version(&state.store, &t.guide_version).await?;
    let symptom = then
        .as_ref()
        .and_then(|g| g.problem(&t.problem_id))
        .or_else(|| guide.problem(&t.problem_id))
        .map_or_else(|| t.problem_id.clone(), |p| p.symptom.clone());
    let lines = describe(state, &t.problem_id, &t.path).await?;
    let count = lines.len();
    let timeline = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| Moment {
            number: l.number,
            title_html: rich(&l.title),
            answer: l.answer,
            at: l.shown_at.display(),
            at_iso: l.shown_at.iso(),
            took: l.took,
            is_ending: i + 1 == count,
        })
        .collect();
    let total_time = match (t.path.first(), t.path.last()) {
        (Some(first), Some(last)) if t.path.len() > 1 => {
            Some(elapsed(first.shown_at, last.shown_at))
        }
        _ => None,
    };
    let notes = std::mem::take(&mut t.notes);
    let audit = std::mem::take(&mut t.audit)
        .into_iter()
        .map(audit_line)
        .collect();
    let managers = state
        .store
        .managers_as_of(me.managers_generation)
        .await?
        .into_iter()
        .filter(|m| m.enabled)
        .collect();
    let page = TicketPage {
        chrome: Chrome::new(state, me),
        reference: guide.reference(t.number),
        status: t.status.label(),
        symptom,
        kind: OutcomeKind::from_name(&t.outcome_kind).map_or("", |k| k.label()),
        opened: t.created_at.display(),
        updated: t.updated_at.display(),
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
        conflict,
        t: &t,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/tickets/{number}`: the ticket.
pub async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    render(&state, &me, number(&raw)?, StatusCode::OK, None).await
}

fn ticket_url(number: i64) -> String {
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
            tracing::info!(ticket.number = number, manager.id = %me.manager.id, ticket.revision = revision, "ticket changed");
            Ok(Redirect::to(&format!("{}#{anchor}", ticket_url(number))).into_response())
        }
        TicketChange::Conflict => {
            render(
                state,
                me,
                number,
                StatusCode::CONFLICT,
                Some(
                    "Someone else changed this ticket after you opened it, so your change was not saved. \
                     Below is the ticket as it is now: check it, then make your change again if it is still needed."
                        .into(),
                ),
            )
            .await
        }
        TicketChange::NotAllowed(from) => Err(AppError::BadRequest(format!(
            "A ticket that is {} can't be moved to that status. Use one of the buttons on the ticket.",
            from.label().to_lowercase()
        ))),
        TicketChange::NoSuchAssignee => Err(AppError::BadRequest(
            "That manager can't be assigned: choose an enabled manager from the list.".into(),
        )),
        TicketChange::NotFound => Err(AppError::NotFound),
    }
}

fn revision(raw: &str) -> AppResult<i64> {
    raw.trim().parse().map_err(|_| {
        AppError::BadRequest(
            "The form was incomplete. Please reload the ticket and try again.".into(),
        )
    })
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
    me: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    me.check_form(&form.csrf)?;
    let revision = revision(&form.revision)?;
    let to = TicketStatus::from_name(form.status.trim())
        .ok_or_else(|| AppError::BadRequest("There is no ticket status called that.".into()))?;
    let change = state
        .store
        .change_status(number, revision, to, me.id())
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
    me: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    me.check_form(&form.csrf)?;
    let revision = revision(&form.revision)?;
    let assignee = match form.assignee.trim() {
        "me" => Some(me.id().to_string()),
        "none" | "" => None,
        id => Some(
            uuid::Uuid::try_parse(id)
                .map_err(|_| AppError::BadRequest("Choose a manager from the list.".into()))?
                .to_string(),
        ),
    };
    let change = state
        .store
        .assign(number, revision, assignee.as_deref(), me.id())
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
    me: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    me.check_form(&form.csrf)?;
    let body = plain_text(&form.body, NOTE_MAX, "The note").map_err(AppError::BadRequest)?;
    if !state.store.add_note(number, me.id(), &body).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(ticket.number = number, manager.id = %me.manager.id, "note added");
    Ok(Redirect::to(&format!("{}#notes", ticket_url(number))).into_response())
}
