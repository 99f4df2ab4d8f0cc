//! A step page (its instructions and the answers to choose from) and an ending page (resolved,
//! the ISP, or the escalation form). Showing either writes nothing.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::Path as VisitPath;
use crate::error::{AppError, AppResult};
use crate::extract::Path;
use crate::guide::{Guide, Node, Problem};
use crate::journey::current_outcome;
use crate::journey::sidebar::{Sidebar, sidebar};
use crate::journey::visit::CustomerVisit;
use crate::store::TicketCreated;
use crate::tickets::form::{EscalationValues, FieldErrors};

#[derive(Template)]
#[template(path = "step.html")]
struct StepPage<'a> {
    org: &'a str,
    problem: &'a Problem,
    node: &'a Node,
    progress: Option<String>,
    description: String,
    csrf: &'a str,
    side: Sidebar,
}

/// An ending page, with the escalation form where the outcome escalates.
#[derive(Template)]
#[template(path = "ending.html")]
pub struct EndingPage<'a> {
    org: &'a str,
    guide: &'a Guide,
    problem: &'a Problem,
    node: &'a Node,
    kind: OutcomeKind,
    progress: String,
    description: String,
    tell_isp: Option<String>,
    csrf: &'a str,
    outcome_event: Option<i64>,
    after: i64,
    side: Sidebar,
    sent: Option<(String, String)>,
    form: EscalationValues,
    errors: FieldErrors,
    describe_required: bool,
}

/// "Step 2 of 3", or "Step 1" where the guide has a single numbered step.
pub fn progress(problem: &Problem, node: &Node) -> Option<String> {
    let n = node.number.as_ref()?;
    Some(match problem.numbered_steps() {
        0 | 1 => format!("Step {n}"),
        total => format!("Step {n} of {total}"),
    })
}

/// A page's meta description: the instruction in plain words, within the length search
/// engines show.
fn meta_description(problem: &Problem, node: &Node) -> String {
    let text = format!("{}: {}", problem.symptom, node.title.replace("**", ""));
    match text.char_indices().nth(157) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

/// `GET /problems/{problem}/steps/{step}`: a step with its checklist and choices, or an ending.
pub async fn step_page(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
    Path((problem, step)): Path<(String, String)>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let (problem, node) = guide.locate(&problem, &step).ok_or(AppError::NotFound)?;
    let events = visit.events(&state.store).await?;
    let path = VisitPath::replay(&events);
    let side = sidebar(&state, &guide, &path, problem, node).await?;
    let html = match node.outcome() {
        None => StepPage {
            org: &guide.organisation,
            problem,
            node,
            progress: progress(problem, node),
            description: meta_description(problem, node),
            csrf: visit.csrf(),
            side,
        }
        .render()?,
        Some(_) => {
            let outcome = current_outcome(&events, &problem.id, &node.id);
            let sent = match outcome {
                Some(event) => state.store.ticket_for_escalation(visit.id(), event).await?,
                None => None,
            };
            let after = events.last().map_or(0, |e| e.seq);
            ending_page(
                &guide,
                problem,
                node,
                visit.csrf(),
                (outcome, after),
                side,
                sent,
                EscalationValues::default(),
                FieldErrors::default(),
            )
            .render()?
        }
    };
    Ok(Html(html).into_response())
}

/// Builds an ending page; the escalation handler re-renders it with the form's errors.
/// `at` is the outcome event the form escalates (if the customer reached it by answering) and
/// the visit's latest event when the page was shown.
#[allow(clippy::too_many_arguments)]
pub fn ending_page<'a>(
    guide: &'a Guide,
    problem: &'a Problem,
    node: &'a Node,
    csrf: &'a str,
    at: (Option<i64>, i64),
    side: Sidebar,
    sent: Option<TicketCreated>,
    form: EscalationValues,
    errors: FieldErrors,
) -> EndingPage<'a> {
    let outcome = node.outcome().expect("an ending has an outcome");
    EndingPage {
        org: &guide.organisation,
        guide,
        problem,
        node,
        kind: outcome.kind,
        progress: progress(problem, node).unwrap_or_else(|| outcome.kind.label().to_string()),
        description: meta_description(problem, node),
        tell_isp: outcome.tell_isp.clone(),
        csrf,
        outcome_event: at.0,
        after: at.1,
        side,
        sent: sent.map(|t| (guide.reference(t.number), t.status_token)),
        form,
        errors,
        describe_required: false,
    }
}
