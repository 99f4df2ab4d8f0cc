//! The customer's journey: picking a symptom and walking the guide one step at a time.
//!
//! Every page works without JavaScript: symptoms and steps are links with stable URLs, choices
//! are POST forms answered with a redirect. Reading a page never writes: a visit begins with the
//! customer's first action, and each action is recorded before the response is sent. Recording
//! is idempotent, so reloads, double clicks and the back button never record a choice twice.

pub mod describe;
pub mod sidebar;
pub mod step;
pub mod visit;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::{Event, EventKind, Path as VisitPath};
use crate::domain::time::Timestamp;
use crate::error::{AppError, AppResult};
use crate::extract::{Client, Form, Path};
use crate::guide::{Guide, Node, Problem};
use crate::limits::Action;
use crate::store::{ABANDONED_AFTER_MS, Decision, NewEvent};
use visit::CustomerVisit;

pub use step::{ending_page, step_page};

/// The URL of a step (or ending) page.
pub fn step_url(problem: &str, node: &str) -> String {
    format!("/problems/{problem}/steps/{node}")
}

/// Where a customer who left a journey under way can pick it up again.
struct Resume<'a> {
    problem: &'a Problem,
    /// The step to continue at.
    node: &'a Node,
    /// Whether they left it for the ISP (the step is the one that referred them).
    from_isp: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    org: &'a str,
    guide: &'a Guide,
    description: String,
    resume: Option<Resume<'a>>,
}

/// `GET /`: the symptoms, in the customer's words, each a link to its first step.
pub async fn home(State(state): State<AppState>, mut visit: CustomerVisit) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let path = VisitPath::replay(&visit.events(&state.store).await?);
    let page = HomePage {
        org: &guide.organisation,
        guide: &guide,
        description: format!(
            "{}: {}.",
            guide.title,
            guide
                .problems
                .iter()
                .map(|p| p.symptom.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        resume: resume(&guide, &path),
    };
    Ok(Html(page.render()?).into_response())
}

/// The journey worth resuming: a step under way, or an ISP referral the customer may come back
/// from (they continue at the step that referred them).
fn resume<'g>(guide: &'g Guide, path: &VisitPath) -> Option<Resume<'g>> {
    let pid = path.problem_id.as_deref()?;
    let current = path.current(pid)?;
    let (problem, node) = guide.locate(pid, &current.node_id)?;
    match node.outcome() {
        None if path.steps.len() > 1 => Some(Resume {
            problem,
            node,
            from_isp: false,
        }),
        Some(o) if o.kind == OutcomeKind::Isp && path.steps.len() > 1 => {
            let before = &path.steps[path.steps.len() - 2];
            let (_, node) = guide.locate(pid, &before.node_id)?;
            Some(Resume {
                problem,
                node,
                from_isp: true,
            })
        }
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    org: &'a str,
    problem: &'a Problem,
    steps: Vec<String>,
    description: String,
}

/// `GET /problems/{problem}`: a symptom's bookmarkable page, with what the guide will go through.
pub async fn problem_page(
    State(state): State<AppState>,
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
            .map(|s| s.html.title.clone())
            .collect(),
        description: format!("{}: {}", guide.title, problem.title),
    };
    Ok(Html(page.render()?).into_response())
}

/// A form that carries only its token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /problems/{problem}/start`: the customer starts a symptom over.
pub async fn start(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
    client: Client,
    Path(problem): Path<String>,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let problem = guide.problem(&problem).ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    state
        .limits
        .check(Action::StartVisit, client.0)
        .await
        .map_err(AppError::Limited)?;
    let pid = problem.id.clone();
    let start = problem
        .steps
        .iter()
        .find(|s| s.id == problem.start)
        .ok_or(AppError::NotFound)?;
    state
        .store
        .record_event(
            visit.id(),
            visit.start(),
            arrival(&guide, problem, start, EventKind::Symptom),
            // A double click on the same symptom starts it once.
            move |events| {
                events
                    .last()
                    .filter(|e| e.kind == EventKind::Symptom && *e.problem_id == *pid)
                    .map(|e| e.id)
            },
        )
        .await?;
    Ok(visit.respond(Redirect::to(&step_url(&problem.id, &problem.start))))
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
    mut visit: CustomerVisit,
    client: Client,
    Path((problem, step)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let (problem, node) = guide.locate(&problem, &step).ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    state
        .limits
        .check(Action::Choose, client.0)
        .await
        .map_err(AppError::Limited)?;
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
    // The events are made here; the writer only decides, from the visit as it stands there,
    // whether the arrival at the step comes first, or the answer is already recorded.
    let came = arrival(
        &guide,
        problem,
        node,
        if node.id == problem.start {
            EventKind::Symptom
        } else {
            EventKind::Shown
        },
    );
    let mut answered = vec![NewEvent {
        kind: EventKind::Choice,
        guide_version: guide.version.clone(),
        problem_id: problem.id.clone(),
        node_id: node.id.clone(),
        choice_index: Some(index as i64),
        next_id: Some(next.clone()),
        outcome_kind: None,
    }];
    // The step the answer leads to is reached in the same write, so the page the redirect
    // shows needs no write of its own.
    if let Some((_, to)) = guide.locate(&problem.id, &next) {
        answered.push(arrival(&guide, problem, to, arrival_kind(to)));
    }
    let (pid, sid) = (problem.id.clone(), node.id.clone());
    let guide_then = guide.clone();
    state
        .store
        .record_with(
            visit.id(),
            visit.start(),
            Box::new(move |events: &[Event]| {
                let path = VisitPath::replay(events);
                let arrives = arrival_unrecorded(&guide_then, &path, &pid, &sid);
                // The same answer again is a double click, unless it starts the problem afresh.
                let restarts = arrives && came.kind == EventKind::Symptom;
                if !restarts && path.answer_at(&pid, &sid) == Some(index as i64) {
                    return Decision::Found(events.last().map_or(0, |e| e.id));
                }
                let mut new = Vec::with_capacity(answered.len() + 1);
                if arrives {
                    new.push(came);
                }
                new.extend(answered);
                Decision::Append(new)
            }),
        )
        .await?;
    Ok(visit.respond(Redirect::to(&step_url(&problem.id, &next))))
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
    mut visit: CustomerVisit,
    client: Client,
    Path(problem): Path<String>,
    Form(form): Form<BackForm>,
) -> AppResult<Response> {
    let guide = state.guides.current().clone();
    let problem = guide.problem(&problem).ok_or(AppError::NotFound)?;
    if let Err(e) = visit.check_form(&form.csrf) {
        return Ok(visit.respond(e));
    }
    state
        .limits
        .check(Action::Choose, client.0)
        .await
        .map_err(AppError::Limited)?;
    let (pid, from) = (problem.id.clone(), form.from.clone());
    let guide_then = guide.clone();
    state
        .store
        .record_with(
            visit.id(),
            visit.start(),
            Box::new(move |events: &[Event]| {
                let path = VisitPath::replay(events);
                let on_it = path.current(&pid).is_some_and(|s| *s.node_id == *from);
                // Only from the step the customer is on, and never past the first: a second click
                // on the same button (or a replayed form) goes back once.
                let (Some([before, _]), true) = (path.steps.last_chunk::<2>(), on_it) else {
                    return Decision::Found(events.last().map_or(0, |e| e.id));
                };
                let mut new = vec![NewEvent {
                    kind: EventKind::Back,
                    guide_version: guide_then.version.clone(),
                    problem_id: pid.clone(),
                    node_id: from.clone(),
                    choice_index: None,
                    next_id: None,
                    outcome_kind: None,
                }];
                // The step it returns to is shown again in the same write, as an answer records
                // the step it leads to: the insights see where the customer is now.
                if let Some((problem, to)) = guide_then.locate(&pid, &before.node_id) {
                    new.push(arrival(&guide_then, problem, to, arrival_kind(to)));
                }
                Decision::Append(new)
            }),
        )
        .await?;
    let events = state.store.events(visit.id()).await?;
    let path = VisitPath::replay(&events);
    let target = path
        .current(&problem.id)
        .map_or(problem.start.as_str(), |s| &*s.node_id);
    Ok(visit.respond(Redirect::to(&step_url(&problem.id, target))))
}

/// Whether an answer at `node` of `problem` must first record how the customer came to the
/// step, from the visit's `path`: the first step of a symptom picked from the home page, or a
/// step opened directly from a link. Coming back to the first step well after the journey ended
/// (fixed, or sent to IIMS) starts the problem afresh, as a new attempt; answering it again
/// straight away (the browser's Back button) is a change of mind within the same one, and after
/// an ISP referral the customer continues where they were.
fn arrival_unrecorded(guide: &Guide, path: &VisitPath, problem: &str, node: &str) -> bool {
    let Some((problem, node)) = guide.locate(problem, node) else {
        return false;
    };
    let on_path = path.problem_id.as_deref() == Some(&*problem.id)
        && path.steps.iter().any(|s| *s.node_id == *node.id);
    let finished = path.current(&problem.id).is_some_and(|s| {
        let ended = guide
            .node(problem, &s.node_id)
            .and_then(Node::outcome)
            .is_some_and(|o| o.kind != OutcomeKind::Isp);
        ended && Timestamp::now().millis() - s.shown_at.millis() >= ABANDONED_AFTER_MS
    });
    !on_path || (finished && node.id == problem.start)
}

/// The event recording that the customer arrived at `node` of `problem`.
fn arrival(guide: &Guide, problem: &Problem, node: &Node, kind: EventKind) -> NewEvent {
    NewEvent {
        kind,
        guide_version: guide.version.clone(),
        problem_id: problem.id.clone(),
        node_id: node.id.clone(),
        choice_index: None,
        next_id: None,
        outcome_kind: node.outcome().map(|o| o.kind.as_str()),
    }
}

/// What arriving at `node` by an answer records: a step shown, or an ending reached.
fn arrival_kind(node: &Node) -> EventKind {
    if node.outcome().is_some() {
        EventKind::Outcome
    } else {
        EventKind::Shown
    }
}

/// The outcome event a visit's latest arrival at the ending `node` of `problem` recorded, if the
/// customer is on that ending now (reached by an answer, or by an earlier escalation).
pub fn current_outcome(events: &[Event], problem: &str, node: &str) -> Option<i64> {
    let path = VisitPath::replay(events);
    path.current(problem).filter(|s| &*s.node_id == node)?;
    events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Outcome && &*e.problem_id == problem && &*e.node_id == node)
        .map(|e| e.id)
}
