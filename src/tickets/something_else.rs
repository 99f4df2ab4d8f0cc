//! "Something else": a customer whose problem is none of the guide's symptoms (a hacked account,
//! a forgotten password) writes to the organisation directly. The ticket is of its own kind,
//! "not in the guide", so managers and the insights tell these apart.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::{Event, EventKind};
use crate::error::{AppError, AppResult, limited};
use crate::extract::{Client, Form};
use crate::guide::{Guide, SomethingElse};
use crate::journey::visit::CustomerVisit;
use crate::limits::Action;
use crate::store::NewEvent;
use crate::tickets::form::{EscalationValues, FieldErrors};
use crate::tickets::{open_ticket, status_url};

/// The node id the outcome event of a "something else" ticket names.
pub const NODE: &str = "something-else";

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage<'a> {
    org: &'a str,
    guide: &'a Guide,
    other: &'a SomethingElse,
    csrf: &'a str,
    after: i64,
    sent: Option<(String, String)>,
    form: EscalationValues,
    errors: FieldErrors,
    describe_required: bool,
}

fn page<'a>(
    guide: &'a Guide,
    csrf: &'a str,
    after: i64,
    form: EscalationValues,
    errors: FieldErrors,
) -> AppResult<ContactPage<'a>> {
    Ok(ContactPage {
        org: &guide.organisation,
        guide,
        other: guide.something_else.as_ref().ok_or(AppError::NotFound)?,
        csrf,
        after,
        sent: None,
        form,
        errors,
        describe_required: true,
    })
}

/// `GET /contact`: the contact form for a problem the guide does not cover.
pub async fn contact_page(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let events = visit.events(&state.store).await?;
    let after = events.last().map_or(0, |e| e.seq);
    let mut page = page(
        &guide,
        visit.csrf(),
        after,
        EscalationValues::default(),
        FieldErrors::default(),
    )?;
    // Just sent (the browser's Back button): say so rather than invite a second ticket.
    if let Some(last) = events.last().filter(|e| is_something_else(e)) {
        page.sent = state
            .store
            .ticket_for_escalation(visit.id(), last.id)
            .await?
            .map(|t| (guide.reference(t.number), t.status_token));
    }
    Ok(Html(page.render()?).into_response())
}

fn is_something_else(e: &Event) -> bool {
    e.kind == EventKind::Outcome && e.problem_id.is_empty() && *e.node_id == *NODE
}

/// The contact form as posted.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    after: String,
    #[serde(flatten)]
    values: EscalationValues,
}

/// `POST /contact`: opens a "not in the guide" ticket, once per form sent.
pub async fn contact(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
    client: Client,
    Form(form): Form<ContactForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let other = guide.something_else.as_ref().ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    let after = form.after.trim().parse::<i64>().unwrap_or(0);
    let parsed = form.values.parse(&guide.email_programs);
    let escalation = match parsed {
        Ok(e) if !e.description.is_empty() => e,
        parsed => {
            let mut errors = parsed.err().map(|e| *e).unwrap_or_default();
            if form.values.description.trim().is_empty() {
                errors.description =
                    Some("Describe your problem, so we know what it is about.".into());
            }
            let page = page(&guide, visit.csrf(), after, form.values, errors)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    if let Err(refused) = state.limits.check(Action::OpenTicket, client.0).await {
        let page = page(
            &guide,
            visit.csrf(),
            after,
            form.values,
            FieldErrors::waiting(&refused),
        )?;
        return Ok(limited(Html(page.render()?).into_response(), &refused));
    }
    let outcome_event = state
        .store
        .record_event(
            visit.id(),
            visit.start(),
            NewEvent {
                kind: EventKind::Outcome,
                guide_version: guide.version.clone(),
                problem_id: String::new(),
                node_id: NODE.to_string(),
                choice_index: None,
                next_id: None,
                outcome_kind: Some(OutcomeKind::NotInGuide.as_str()),
            },
            // A double submit of the same form finds the event the first recorded.
            move |events: &[Event]| {
                events
                    .last()
                    .filter(|e| is_something_else(e) && e.seq > after)
                    .map(|e| e.id)
            },
        )
        .await?;
    let created = open_ticket(
        &state,
        &visit,
        (outcome_event, "", NODE, OutcomeKind::NotInGuide),
        (other.reason.clone(), None),
        escalation,
    )
    .await?;
    Ok(visit.respond(Redirect::to(&format!(
        "{}?sent=1",
        status_url(&created.status_token)
    ))))
}
