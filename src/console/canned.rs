//! Canned replies: admins keep a list of replies for the composer on a ticket's page, with
//! `{name}`, `{reference}` and `{status_link}` filled in for the ticket when one is inserted.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::conversation::REPLY_MAX;
use super::session::Admin;
use super::{Chrome, plain_text};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::store::{CannedReply, TicketSummary};
use crate::tickets::status_url;

const CANNED_URL: &str = "/console/admin/replies";
/// The longest title, in characters.
const TITLE_MAX: usize = 100;

#[derive(Template)]
#[template(path = "console/canned.html")]
struct CannedPage {
    chrome: Chrome,
    replies: Vec<CannedReply>,
    form: CannedForm,
    title_error: Option<String>,
    body_error: Option<String>,
    reply_max: usize,
}

/// The form to save a canned reply.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CannedForm {
    csrf: String,
    title: String,
    body: String,
}

async fn render(
    state: &AppState,
    me: &Admin,
    code: StatusCode,
    form: CannedForm,
    errors: (Option<String>, Option<String>),
) -> AppResult<Response> {
    let page = CannedPage {
        chrome: Chrome::new(state, &me.0),
        replies: state.store.canned_replies().await?,
        form,
        title_error: errors.0,
        body_error: errors.1,
        reply_max: REPLY_MAX,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/admin/replies`: the list and the form.
pub async fn page(State(state): State<AppState>, me: Admin) -> AppResult<Response> {
    render(
        &state,
        &me,
        StatusCode::OK,
        CannedForm::default(),
        (None, None),
    )
    .await
}

/// `POST /console/admin/replies`: saves one, replacing the one of the same title.
pub async fn save(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<CannedForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let title = plain_text(&form.title, TITLE_MAX, "The title").map(|t| t.replace('\n', " "));
    let body = plain_text(&form.body, REPLY_MAX, "The reply");
    match (title, body) {
        (Ok(title), Ok(body)) => {
            state.store.save_canned_reply(&title, &body).await?;
            Ok(Redirect::to(CANNED_URL).into_response())
        }
        (title, body) => {
            let errors = (title.err(), body.err());
            render(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
        }
    }
}

/// The remove form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    csrf: String,
}

/// `POST /console/admin/replies/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    me: Admin,
    Path(raw): Path<String>,
    Form(form): Form<RemoveForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    if !state.store.remove_canned_reply(id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(CANNED_URL).into_response())
}

/// Canned reply `id` filled in for `ticket`: its customer's name, its reference and the whole
/// status link (with `--public-url`; else the link's path).
pub(super) async fn filled_in(
    state: &AppState,
    ticket: &TicketSummary,
    id: i64,
) -> AppResult<Option<String>> {
    let Some(canned) = state
        .store
        .canned_replies()
        .await?
        .into_iter()
        .find(|c| c.id == id)
    else {
        return Ok(None);
    };
    let site = state.mail.as_ref().map_or("", |m| m.public_url.as_str());
    Ok(Some(
        canned
            .body
            .replace("{name}", &ticket.customer_name)
            .replace(
                "{reference}",
                &state.guides.current().reference(ticket.number),
            )
            .replace(
                "{status_link}",
                &format!("{site}{}", status_url(&ticket.status_token)),
            ),
    ))
}
