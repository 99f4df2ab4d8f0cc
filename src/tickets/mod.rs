//! Escalation tickets from the customer's side: the escalation form creates one, carrying the
//! customer's path, and the unguessable status link shows how it is going.

pub mod form;
pub mod status;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Client, Form, Path};
use crate::journey::describe::{PathLine, describe};
use crate::journey::path::Path as VisitPath;
use crate::journey::visit::CustomerVisit;
use crate::journey::{ending_page, path_lines};
use crate::store::NewTicket;
use form::{EscalationValues, FieldErrors};

/// The escalation form as posted.
#[derive(Debug, Deserialize)]
pub struct EscalationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(flatten)]
    values: EscalationValues,
}

/// The URL of a ticket's status page.
pub fn status_url(token: &str) -> String {
    format!("/tickets/{token}")
}

/// `POST /problems/{problem}/steps/{step}/escalate`: opens the ticket, once per escalation.
pub async fn escalate(
    State(state): State<AppState>,
    visit: CustomerVisit,
    Client(client): Client,
    Path((problem, step)): Path<(String, String)>,
    Form(form): Form<EscalationForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let (problem, node) = guide.locate(&problem, &step).ok_or(AppError::NotFound)?;
    let outcome = node
        .outcome()
        .filter(|o| o.kind.escalates())
        .ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    let stale = || {
        AppError::BadRequest(
            "This form belongs to an earlier visit of this page. Please reload the page and send the form again.".into(),
        )
    };
    let outcome_event: i64 = form.outcome.trim().parse().map_err(|_| stale())?;
    let escalation = match form.values.parse(&guide.email_programs) {
        Ok(escalation) => escalation,
        Err(errors) => {
            return show_errors(
                &state,
                &visit,
                &guide,
                problem,
                node,
                outcome_event,
                form.values,
                *errors,
            )
            .await;
        }
    };
    // Only a ticket this form has not opened yet counts against the client's limit.
    let already = state
        .store
        .ticket_for_escalation(visit.id(), outcome_event)
        .await?;
    if already.is_none()
        && let Err(wait) = state.ticket_limit.allow(&client)
    {
        tracing::warn!("ticket limit reached for a client");
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return Err(AppError::TooManyRequests(format!(
            "Many tickets have been sent from your network in the last few minutes. Please try again in {minutes} minutes; nothing you typed was lost: go back to find the form as you left it."
        )));
    }
    let created = state
        .store
        .create_ticket(NewTicket {
            visit: visit.id(),
            outcome_event,
            problem_id: problem.id.clone(),
            ending_id: node.id.clone(),
            outcome_kind: outcome.kind.as_str(),
            reason: outcome.reason.clone().unwrap_or_default(),
            name: escalation.name,
            email: escalation.email.as_str().to_string(),
            phone: escalation.phone,
            account: escalation.account,
            email_program: escalation.email_program,
            description: escalation.description,
        })
        .await?
        .ok_or_else(stale)?;
    if !created.existed {
        tracing::info!(
            ticket.number = created.number,
            outcome = outcome.kind.as_str(),
            "ticket opened"
        );
    }
    Ok(Redirect::to(&format!("{}?sent=1", status_url(&created.status_token))).into_response())
}

#[allow(clippy::too_many_arguments)]
async fn show_errors(
    state: &AppState,
    visit: &CustomerVisit,
    guide: &crate::guide::Guide,
    problem: &crate::guide::Problem,
    node: &crate::guide::Node,
    outcome_event: i64,
    values: EscalationValues,
    errors: FieldErrors,
) -> AppResult<Response> {
    let events = state.store.events(visit.id()).await?;
    let path = VisitPath::replay(&events);
    let lines = path_lines(state, &path, &problem.id).await?;
    let can_go_back = !lines.is_empty();
    let page = ending_page(
        guide,
        problem,
        node,
        visit.csrf(),
        outcome_event,
        lines,
        can_go_back,
        None,
        values,
        errors,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "ticket_status.html")]
struct StatusPage<'a> {
    org: &'a str,
    reference: String,
    status: &'static str,
    status_note: &'static str,
    created: String,
    updated: String,
    symptom: String,
    reason: &'a str,
    kind: &'static str,
    email_program: &'a str,
    description: &'a str,
    reply_to: String,
    path: Vec<PathLine>,
    just_sent: bool,
    history: Vec<(String, String, &'static str)>,
    handled_by: Option<String>,
}

/// `GET /tickets/{token}`: the customer's view of their ticket.
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    // A malformed token gets the same answer as an unknown one.
    if token.len() != 64
        || !token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(AppError::NotFound);
    }
    let ticket = state
        .store
        .ticket_by_token(&token)
        .await?
        .ok_or(AppError::NotFound)?;
    let guide = state.guides.current().clone();
    let then = state
        .guides
        .version(&state.store, &ticket.guide_version)
        .await?;
    let symptom = then
        .as_ref()
        .and_then(|g| g.problem(&ticket.problem_id))
        .or_else(|| guide.problem(&ticket.problem_id))
        .map_or_else(|| ticket.problem_id.clone(), |p| p.symptom.clone());
    let path = describe(&state, &ticket.problem_id, &ticket.path).await?;
    let (status, status_note) = status_words(&ticket.status);
    // Only status changes and a first name: never notes, never who else touched the ticket.
    let updates = state.store.customer_updates(&ticket.id).await?;
    let history = updates
        .statuses
        .iter()
        .map(|(at, s)| (at.display(), at.iso(), status_words(s.as_str()).0))
        .collect();
    let handled_by = updates
        .assignee_name
        .as_deref()
        .map(crate::console::accounts::first_name)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let page = StatusPage {
        history,
        handled_by,
        org: &guide.organisation,
        reference: guide.reference(ticket.number),
        status,
        status_note,
        created: ticket.created_at.display(),
        // The last change the customer can see: an internal note moves nothing here.
        updated: updates
            .statuses
            .last()
            .map_or(ticket.created_at, |(at, _)| *at)
            .display(),
        symptom,
        reason: &ticket.reason,
        kind: crate::guide::OutcomeKind::from_name(&ticket.outcome_kind).map_or("", |k| k.label()),
        email_program: &ticket.email_program,
        description: &ticket.description,
        reply_to: mask_email(&ticket.customer_email),
        path,
        // `?sent=1` right after the escalation.
        just_sent: query.is_some_and(|q| q.split('&').any(|kv| kv == "sent=1")),
    };
    Ok(Html(page.render()?).into_response())
}

/// A ticket status in the customer's words, with what it means for them.
fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "new" => (
            "Received",
            "Your ticket is in the queue and will be picked up soon.",
        ),
        "in-progress" => ("Being worked on", "Someone is working on your problem."),
        "waiting-on-customer" => (
            "Waiting for your reply",
            "We have replied and are waiting to hear from you.",
        ),
        "resolved" => (
            "Resolved",
            "We consider this problem solved. If it isn't, reply to our last email.",
        ),
        "closed" => ("Closed", "This ticket is closed."),
        _ => ("Received", ""),
    }
}

/// `ann@example.com` -> `a**@example.com`: enough to recognise, not to harvest.
fn mask_email(email: &str) -> String {
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
