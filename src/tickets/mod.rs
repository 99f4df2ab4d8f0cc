//! Escalation tickets from the customer's side: the escalation form creates one, carrying the
//! customer's path; "something else" opens one for a problem the guide does not cover; the
//! unguessable status link shows how it is going.

pub mod conversation;
pub mod find;
pub mod form;
pub mod page;
pub mod rating;
pub mod something_else;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::{Event, EventKind, Path as VisitPath};
use crate::error::{AppError, AppResult, limited};
use crate::extract::{Client, Form, Path};
use crate::guide::{Guide, Node, Problem};
use crate::journey::ending_page;
use crate::journey::sidebar::sidebar;
use crate::journey::visit::CustomerVisit;
use crate::limits::Action;
use crate::store::{Contact, ContactChange, Corrector, NewEvent, NewTicket, TicketCreated};
use form::{Escalation, EscalationValues, FieldErrors};

pub use page::status;

/// The reason a ticket carries when the customer opened the contact page directly (a bookmark,
/// a link) instead of reaching it by the guide's steps: the guide's own reason would claim
/// steps nobody saw them take.
pub const CAME_DIRECTLY: &str = "The customer opened this contact page directly (from a bookmark or a link) instead of reaching it through the guide's steps; their path shows what they did.";

/// The escalation form as posted.
#[derive(Debug, Deserialize)]
pub struct EscalationForm {
    #[serde(default)]
    csrf: String,
    /// The outcome event the page was shown for; empty when the page was opened directly.
    #[serde(default)]
    outcome: String,
    /// The visit's latest event when the page was shown (0: none).
    #[serde(default)]
    after: String,
    #[serde(flatten)]
    values: EscalationValues,
}

/// The URL of a ticket's status page.
pub fn status_url(token: &str) -> String {
    format!("/tickets/{token}")
}

fn stale() -> AppError {
    AppError::BadRequest(
        "This form belongs to an earlier visit of this page. Please reload the page and send the form again.".into(),
    )
}

/// `POST /problems/{problem}/steps/{step}/escalate`: opens the ticket, once per escalation.
pub async fn escalate(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
    client: Client,
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
    let given = match form.outcome.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| stale())?),
    };
    let after = form.after.trim().parse::<i64>().unwrap_or(0);
    let parsed = form.values.parse(&guide.email_programs);
    // A new ticket counts against the client's limit; a double submit of a sent form does not.
    let refused = match (&parsed, given) {
        (Err(_), _) => None,
        (Ok(_), Some(event))
            if state
                .store
                .ticket_for_escalation(visit.id(), event)
                .await?
                .is_some() =>
        {
            None
        }
        (Ok(_), _) => state.limits.check(Action::OpenTicket, client.0).await.err(),
    };
    let escalation = match parsed {
        Ok(escalation) if refused.is_none() => escalation,
        parsed => {
            // The form again, with what was typed: its mistakes, or how long to wait.
            let errors = match (parsed, &refused) {
                (_, Some(refused)) => FieldErrors::waiting(refused),
                (Err(errors), None) => *errors,
                (Ok(_), None) => FieldErrors::default(),
            };
            let page = show_errors(
                &state,
                &mut visit,
                &guide,
                (problem, node),
                (given, after),
                form.values,
                errors,
            )
            .await?;
            return Ok(match refused {
                Some(refused) => limited(page, &refused),
                None => page,
            });
        }
    };
    // Reached by answering the guide, the page named its outcome event; opened directly, the
    // outcome is recorded now, once for a double submit of the same page.
    let outcome_event = match given {
        Some(event) => event,
        None => {
            record_outcome(
                &state,
                &visit,
                &guide,
                &problem.id,
                &node.id,
                outcome.kind,
                after,
            )
            .await?
        }
    };
    let reason = (
        outcome.reason.clone().unwrap_or_default(),
        Some(CAME_DIRECTLY.to_string()),
    );
    let contact = Contact {
        name: escalation.name.clone(),
        email: escalation.email.as_str().to_string(),
        phone: escalation.phone.clone(),
        account: escalation.account.clone(),
    };
    let created = open_ticket(
        &state,
        &visit,
        (outcome_event, &problem.id, &node.id, outcome.kind),
        reason,
        escalation,
    )
    .await?;
    // The same form sent again (the browser's Back button, a typo fixed): the ticket exists,
    // and corrected contact details are applied rather than dropped, while nobody has acted.
    let mut corrected = "";
    if created.existed
        && matches!(
            state
                .store
                .correct_contact(created.number, contact, Corrector::Customer)
                .await?,
            ContactChange::Saved(_)
        )
    {
        corrected = "&corrected=1";
    }
    Ok(visit.respond(Redirect::to(&format!(
        "{}?sent=1{corrected}",
        status_url(&created.status_token)
    ))))
}

/// Records that the customer reached the ending `node` without an answer leading there, unless
/// the visit's latest event since `after` already says so; returns the event's id.
async fn record_outcome(
    state: &AppState,
    visit: &CustomerVisit,
    guide: &Guide,
    problem: &str,
    node: &str,
    kind: OutcomeKind,
    after: i64,
) -> AppResult<i64> {
    let (pid, nid) = (problem.to_string(), node.to_string());
    Ok(state
        .store
        .record_event(
            visit.id(),
            visit.start(),
            NewEvent {
                kind: EventKind::Outcome,
                guide_version: guide.version.clone(),
                problem_id: problem.to_string(),
                node_id: node.to_string(),
                choice_index: None,
                next_id: None,
                outcome_kind: Some(kind.as_str()),
            },
            move |events: &[Event]| {
                events
                    .last()
                    .filter(|e| {
                        e.kind == EventKind::Outcome
                            && e.seq > after
                            && *e.problem_id == *pid
                            && *e.node_id == *nid
                    })
                    .map(|e| e.id)
            },
        )
        .await?)
}

/// Opens the ticket for the outcome event `at` (event, problem, ending, kind), or finds the one
/// an earlier submit of the same form opened. `reason` is the guide's, and the one to carry
/// instead if the customer did not reach the outcome by the guide's steps.
pub(crate) async fn open_ticket(
    state: &AppState,
    visit: &CustomerVisit,
    at: (i64, &str, &str, OutcomeKind),
    reason: (String, Option<String>),
    escalation: Escalation,
) -> AppResult<TicketCreated> {
    let (outcome_event, problem_id, ending_id, kind) = at;
    let created = state
        .store
        .create_ticket(NewTicket {
            visit: visit.id(),
            outcome_event,
            problem_id: problem_id.to_string(),
            ending_id: ending_id.to_string(),
            outcome_kind: kind.as_str(),
            reason: reason.0,
            reason_if_direct: reason.1,
            name: escalation.name,
            email: escalation.email.as_str().to_string(),
            phone: escalation.phone,
            account: escalation.account,
            email_program: escalation.email_program,
            description: escalation.description,
            notify: state.mail.is_some(),
        })
        .await?
        .ok_or_else(stale)?;
    if !created.existed {
        tracing::info!(
            ticket.number = created.number,
            outcome = kind.as_str(),
            "ticket opened"
        );
        if let Some(mail) = &state.mail {
            mail.wake();
        }
    }
    Ok(created)
}

async fn show_errors(
    state: &AppState,
    visit: &mut CustomerVisit,
    guide: &Guide,
    (problem, node): (&Problem, &Node),
    at: (Option<i64>, i64),
    values: EscalationValues,
    errors: FieldErrors,
) -> AppResult<Response> {
    let events = visit.events(&state.store).await?;
    let path = VisitPath::replay(&events);
    let side = sidebar(state, guide, &path, problem, node).await?;
    let page = ending_page(
        guide,
        problem,
        node,
        visit.csrf(),
        at,
        side,
        None,
        values,
        errors,
    );
    // Nothing was written: a customer without a visit still has none.
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
