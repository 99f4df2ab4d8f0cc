//! The customer's journey: picking a symptom and walking the guide one step at a time.
//!
//! Every page works without JavaScript: choices are POST forms answered with a redirect, and every
//! symptom and step has a stable URL. Each page view and choice is recorded on the visit before
//! the response is sent; recording is idempotent, so reloads, double clicks and the back button
//! never record a choice twice.

pub mod describe;
pub mod path;
pub mod visit;

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::guide::{Guide, Node, OutcomeKind, Problem};
use crate::store::{NewEvent, TicketCreated};
use crate::tickets::form::{EscalationValues, FieldErrors};
use describe::{PathLine, describe};
use path::{Event, EventKind, Path as VisitPath};
use visit::CustomerVisit;

/// The URL of a step (or ending) page.
pub fn step_url(problem: &str, node: &str) -> String {
    format!("/problems/{problem}/steps/{node}")
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    org: &'a str,
    guide: &'a Guide,
    csrf: &'a str,
    resume: Option<(&'a Problem, &'a Node)>,
}

/// `GET /`: the symptoms, in the customer's words.
pub async fn home(State(state): State<AppState>, mut visit: CustomerVisit) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let path = if visit.is_new {
        VisitPath::default()
    } else {
        VisitPath::replay(&visit.events(&state.store).await?)
    };
    let resume = path.problem_id.as_deref().and_then(|p| {
        let current = path.current(p)?;
        let (problem, node) = guide.locate(p, &current.node_id)?;
        // Only a journey still under way is worth resuming.
        (node.outcome().is_none() && path.steps.len() > 1).then_some((problem, node))
    });
    let page = HomePage {
        org: &guide.organisation,
        guide: &guide,
        csrf: visit.csrf(),
        resume,
    };
    Ok(visit.respond(Html(page.render()?)))
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    org: &'a str,
    problem: &'a Problem,
    steps: Vec<String>,
    csrf: &'a str,
}

/// `GET /problems/{problem}`: a symptom's bookmarkable page, with what the guide will go through.
pub async fn problem_page(
    State(state): State<AppState>,
    visit: CustomerVisit,
    Path(problem): Path<String>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let problem = guide.problem(&problem).ok_or(AppError::NotFound)?;
    let page = ProblemPage {
        org: &guide.organisation,
        problem,
        steps: problem
            .steps
            .iter()
            .filter(|s| s.number.is_some())
            .map(|s| s.html.numbered_title.clone())
            .collect(),
        csrf: visit.csrf(),
    };
    Ok(visit.respond(Html(page.render()?)))
}

/// A form that carries only its token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /problems/{problem}/start`: the customer picks a symptom, or starts it over.
pub async fn start(
    State(state): State<AppState>,
    visit: CustomerVisit,
    Path(problem): Path<String>,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let problem = guide.problem(&problem).ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    let pid = problem.id.clone();
    state
        .store
        .record_event(
            visit.id(),
            NewEvent {
                kind: EventKind::Symptom,
                guide_version: guide.version.clone(),
                problem_id: problem.id.clone(),
                node_id: problem.start.clone(),
                choice_index: None,
                next_id: None,
                outcome_kind: None,
            },
            // A double click on the same symptom starts it once.
            move |events| {
                events
                    .last()
                    .filter(|e| e.kind == EventKind::Symptom && *e.problem_id == *pid)
                    .map(|e| e.id)
            },
        )
        .await?;
    Ok(Redirect::to(&step_url(&problem.id, &problem.start)).into_response())
}

/// A choice at a step.
#[derive(Debug, Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    choice: String,
}

/// `POST /problems/{problem}/steps/{step}/choose`: the customer answers a step.
pub async fn choose(
    State(state): State<AppState>,
    visit: CustomerVisit,
    Path((problem, step)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let (problem, node) = guide.locate(&problem, &step).ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    let index = form
        .choice
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&i| i < node.choices().len())
        .ok_or_else(|| {
            AppError::BadRequest("That answer isn't one of this step's choices. Please go back and pick one of the buttons.".into())
        })?;
    let next = node.choices()[index].next.clone();
    let (pid, sid) = (problem.id.clone(), node.id.clone());
    let choice = NewEvent {
        kind: EventKind::Choice,
        guide_version: guide.version.clone(),
        problem_id: problem.id.clone(),
        node_id: node.id.clone(),
        choice_index: Some(index as i64),
        next_id: Some(next.clone()),
        outcome_kind: None,
    };
    // The step the answer leads to is shown (or the ending reached) by the redirect that
    // follows; recording both in one write spares the next page a write of its own.
    let mut events = vec![choice];
    events.extend(
        guide
            .locate(&problem.id, &next)
            .map(|(_, to)| arrival(&guide, problem, to)),
    );
    state
        .store
        .record_events(visit.id(), events, move |events| {
            let path = VisitPath::replay(events);
            (path.answer_at(&pid, &sid) == Some(index as i64))
                .then(|| events.last().map_or(0, |e| e.id))
        })
        .await?;
    Ok(Redirect::to(&step_url(&problem.id, &next)).into_response())
}

/// Going back a step.
#[derive(Debug, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    from: String,
}

/// `POST /problems/{problem}/back`: undo the last answer and return to the step before.
pub async fn back(
    State(state): State<AppState>,
    visit: CustomerVisit,
    Path(problem): Path<String>,
    Form(form): Form<BackForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let problem = guide.problem(&problem).ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    let (pid, from) = (problem.id.clone(), form.from.clone());
    state
        .store
        .record_event(
            visit.id(),
            NewEvent {
                kind: EventKind::Back,
                guide_version: guide.version.clone(),
                problem_id: problem.id.clone(),
                node_id: form.from.clone(),
                choice_index: None,
                next_id: None,
                outcome_kind: None,
            },
            // Only from the step the customer is on, and never past the first: a second click
            // on the same button (or a replayed form) goes back once.
            move |events| {
                let path = VisitPath::replay(events);
                let on_it = path.current(&pid).is_some_and(|s| *s.node_id == *from);
                (!on_it || path.steps.len() < 2).then(|| events.last().map_or(0, |e| e.id))
            },
        )
        .await?;
    let events = state.store.events(visit.id()).await?;
    let path = VisitPath::replay(&events);
    let target = path
        .current(&problem.id)
        .map_or(problem.start.as_str(), |s| &*s.node_id);
    Ok(Redirect::to(&step_url(&problem.id, target)).into_response())
}

#[derive(Template)]
#[template(path = "step.html")]
struct StepPage<'a> {
    org: &'a str,
    problem: &'a Problem,
    node: &'a Node,
    title: &'a str,
    text: &'a [String],
    checklist: &'a [String],
    progress: Option<String>,
    csrf: &'a str,
    path: Vec<PathLine>,
    can_go_back: bool,
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
    title: &'a str,
    text: &'a [String],
    checklist: &'a [String],
    reason: Option<String>,
    tell_isp: Option<String>,
    csrf: &'a str,
    outcome_event: i64,
    path: Vec<PathLine>,
    can_go_back: bool,
    sent: Option<(String, String)>,
    form: EscalationValues,
    errors: FieldErrors,
}

/// `GET /problems/{problem}/steps/{step}`: a step with its checklist and choices, or an ending.
pub async fn step_page(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
    Path((problem, step)): Path<(String, String)>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let (problem, node) = guide.locate(&problem, &step).ok_or(AppError::NotFound)?;
    let (event, path) = show(&state, &mut visit, &guide, problem, node).await?;
    let lines = path_lines(&state, &path, &problem.id).await?;
    let can_go_back = lines.iter().any(|l| l.answer.is_some())
        && path
            .current(&problem.id)
            .is_some_and(|s| *s.node_id == *node.id);
    let html = match node.outcome() {
        None => StepPage {
            org: &guide.organisation,
            problem,
            node,
            title: &node.html.title,
            text: &node.html.text,
            checklist: &node.html.checklist,
            progress: node
                .number
                .as_ref()
                .map(|n| format!("Step {n} of {}", problem.numbered_steps())),
            csrf: visit.csrf(),
            path: lines,
            can_go_back,
        }
        .render()?,
        Some(_) => {
            let sent = state.store.ticket_for_escalation(visit.id(), event).await?;
            let mut form = EscalationValues::default();
            if let Some(program) = guide.email_programs.first() {
                form.email_program = program.clone();
            }
            ending_page(
                &guide,
                problem,
                node,
                visit.csrf(),
                event,
                lines,
                can_go_back,
                sent,
                form,
                FieldErrors::default(),
            )
            .render()?
        }
    };
    Ok(visit.respond(Html(html)))
}

/// Builds an ending page; the escalation handler re-renders it with the form's errors.
#[allow(clippy::too_many_arguments)]
pub fn ending_page<'a>(
    guide: &'a Guide,
    problem: &'a Problem,
    node: &'a Node,
    csrf: &'a str,
    outcome_event: i64,
    path: Vec<PathLine>,
    can_go_back: bool,
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
        title: &node.html.numbered_title,
        text: &node.html.text,
        checklist: &node.html.checklist,
        reason: outcome.reason.clone(),
        tell_isp: outcome.tell_isp.clone(),
        csrf,
        outcome_event,
        path,
        can_go_back,
        sent: sent.map(|t| (guide.reference(t.number), t.status_token)),
        form,
        errors,
    }
}

/// The answered steps of the customer's path in `problem`, in words.
pub async fn path_lines(
    state: &AppState,
    path: &VisitPath,
    problem: &str,
) -> AppResult<Vec<PathLine>> {
    if path.problem_id.as_deref() != Some(problem) {
        return Ok(Vec::new());
    }
    let answered: Vec<_> = path
        .steps
        .iter()
        .filter(|s| s.answer.is_some())
        .cloned()
        .collect();
    describe(state, problem, &answered).await
}

/// The event recording that the customer arrived at `node`: a step shown, or an ending reached.
fn arrival(guide: &Guide, problem: &Problem, node: &Node) -> NewEvent {
    NewEvent {
        kind: arrival_kind(node),
        guide_version: guide.version.clone(),
        problem_id: problem.id.clone(),
        node_id: node.id.clone(),
        choice_index: None,
        next_id: None,
        outcome_kind: node.outcome().map(|o| o.kind.as_str()),
    }
}

/// What arriving at `node` records: a step shown, or an ending reached.
fn arrival_kind(node: &Node) -> EventKind {
    if node.outcome().is_some() {
        EventKind::Outcome
    } else {
        EventKind::Shown
    }
}

/// Records that `node` was shown (or, for an ending, reached) unless that is already the visit's
/// latest event; returns the event's id and the visit's path.
async fn show(
    state: &AppState,
    visit: &mut CustomerVisit,
    guide: &Arc<Guide>,
    problem: &Problem,
    node: &Node,
) -> AppResult<(i64, VisitPath)> {
    let kind = arrival_kind(node);
    if !visit.is_new {
        let events = visit.events(&state.store).await?;
        if let Some(id) = already_arrived(&events, kind, &problem.id, &node.id) {
            return Ok((id, VisitPath::replay(&events)));
        }
    }
    let (pid, nid) = (problem.id.clone(), node.id.clone());
    let id = state
        .store
        .record_event(visit.id(), arrival(guide, problem, node), move |events| {
            already_arrived(events, kind, &pid, &nid)
        })
        .await?;
    let events = state.store.events(visit.id()).await?;
    Ok((id, VisitPath::replay(&events)))
}

/// The id of the visit's latest event if it records arriving at `node` of `problem` already
/// (a symptom event counts as showing its first step).
fn already_arrived(events: &[Event], kind: EventKind, problem: &str, node: &str) -> Option<i64> {
    events
        .last()
        .filter(|e| {
            let same_kind =
                e.kind == kind || (kind == EventKind::Shown && e.kind == EventKind::Symptom);
            same_kind && *e.problem_id == *problem && *e.node_id == *node
        })
        .map(|e| e.id)
}
