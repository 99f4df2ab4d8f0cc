//! "Did this solve your problem?": asked once a ticket is resolved, on the status page and in
//! the mail that says so, answered with one click and no account. The mail's links open the
//! question with the answer chosen (a GET changes nothing); sending it is a POST. A second
//! answer replaces the first.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::page::ticket_by_link;
use super::status_url;
use crate::AppState;
use crate::domain::text::multiline;
use crate::domain::ticket::TicketStatus;
use crate::error::{AppError, AppResult};
use crate::extract::{Client, Form, Path, is_cross_site, same_secret};
use crate::limits::Action;
use crate::store::TicketSummary;

/// The longest comment kept, in characters.
pub const COMMENT_MAX: usize = 2000;

/// The question on the status page: its token and the answer given so far.
#[derive(Debug)]
pub(crate) struct RatingBox {
    pub csrf: String,
    /// (it helped, the comment, when), once answered.
    pub answered: Option<(bool, String, String)>,
    pub max: usize,
}

/// The question for the ticket behind `token`, once it is resolved or closed.
pub(crate) async fn rating_box(
    state: &AppState,
    ticket: &TicketSummary,
    token: &str,
) -> AppResult<Option<RatingBox>> {
    if !asks(ticket.status) {
        return Ok(None);
    }
    let answered = state
        .store
        .rating(&ticket.id)
        .await?
        .map(|r| (r.helped, r.comment, state.zone.display(r.answered_at)));
    Ok(Some(RatingBox {
        csrf: rating_csrf(token),
        answered,
        max: COMMENT_MAX,
    }))
}

/// Whether a ticket in `status` asks the question.
fn asks(status: TicketStatus) -> bool {
    matches!(status, TicketStatus::Resolved | TicketStatus::Closed)
}

/// The form's token: derived from the status link, which only the customer holds.
fn rating_csrf(token: &str) -> String {
    Sha256::digest(format!("helpdesk rating\n{token}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Template)]
#[template(path = "rating.html")]
struct RatingPage<'a> {
    org: &'a str,
    reference: String,
    token: &'a str,
    csrf: String,
    helped: Option<bool>,
    comment: String,
    error: Option<String>,
    max: usize,
}

/// `GET /tickets/{token}/rating?answer=helped|not`: the question, with the mail's answer chosen.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let ticket = ticket_by_link(&state, &token).await?;
    if !asks(ticket.status) {
        return Ok(Redirect::to(&status_url(&token)).into_response());
    }
    let query = query.unwrap_or_default();
    let helped = match query.split('&').find_map(|kv| kv.strip_prefix("answer=")) {
        Some("helped") => Some(true),
        Some("not") => Some(false),
        _ => None,
    };
    let guide = state.guides.current();
    let page = RatingPage {
        org: &guide.organisation,
        reference: guide.reference(ticket.number),
        token: &token,
        csrf: rating_csrf(&token),
        helped,
        comment: String::new(),
        error: None,
        max: COMMENT_MAX,
    };
    Ok(Html(page.render()?).into_response())
}

/// The answer as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RatingPost {
    csrf: String,
    answer: String,
    comment: String,
}

/// `POST /tickets/{token}/rating`: records the answer.
pub async fn rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Path(token): Path<String>,
    Form(form): Form<RatingPost>,
) -> AppResult<Response> {
    state
        .limits
        .check(Action::StatusForm, client.0)
        .await
        .map_err(AppError::Limited)?;
    let ticket = ticket_by_link(&state, &token).await?;
    if is_cross_site(&headers) || !same_secret(&form.csrf, &rating_csrf(&token)) {
        return Err(AppError::Forbidden(
            "This answer was not sent from your ticket's page, so it was not recorded. Please reload the page and try again.".into(),
        ));
    }
    if !asks(ticket.status) {
        return Err(AppError::Conflict(
            "Your ticket is not resolved, so there is nothing to answer yet. Nothing was recorded."
                .into(),
        ));
    }
    let comment = multiline(&form.comment);
    let helped = match form.answer.as_str() {
        "helped" => Some(true),
        "not" => Some(false),
        _ => None,
    };
    let count = comment.chars().count();
    let error = match helped {
        None => Some("Choose whether it solved your problem.".to_string()),
        Some(_) if count > COMMENT_MAX => Some(format!(
            "Your comment can be at most {COMMENT_MAX} characters long (it has {count})."
        )),
        Some(_) => None,
    };
    if let (Some(error), guide) = (error, state.guides.current()) {
        let page = RatingPage {
            org: &guide.organisation,
            reference: guide.reference(ticket.number),
            token: &token,
            csrf: rating_csrf(&token),
            helped,
            comment: form.comment,
            error: Some(error),
            max: COMMENT_MAX,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    state
        .store
        .rate(&ticket.id, helped == Some(true), &comment)
        .await?;
    tracing::info!(
        ticket.number = ticket.number,
        "customer answered the satisfaction question"
    );
    Ok(Redirect::to(&format!("{}?rated=1#rating", status_url(&token))).into_response())
}
