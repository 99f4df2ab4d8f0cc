//! A manager's mail settings: whether they hear of tickets routed or assigned to them, and of
//! every new ticket nobody holds.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use super::session::SignedIn;
use crate::AppState;
use crate::domain::mail::MailWanted;
use crate::error::{AppError, AppResult};
use crate::extract::Form;

const MAIL_SETTINGS_URL: &str = "/console/account/mail";

#[derive(Template)]
#[template(path = "console/mail_settings.html")]
struct MailSettingsPage {
    chrome: Chrome,
    wanted: MailWanted,
    mail_on: bool,
    saved: bool,
}

/// The page's query: `saved=1` after a change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MailSettingsQuery {
    saved: String,
}

/// `GET /console/account/mail`: the settings.
pub async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    super::Params(query): super::Params<MailSettingsQuery>,
) -> AppResult<Response> {
    let wanted = state
        .store
        .mail_wanted(me.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let page = MailSettingsPage {
        chrome: Chrome::new(&state, &me),
        wanted,
        mail_on: state.mail.is_some(),
        saved: query.saved == "1",
    };
    Ok((StatusCode::OK, Html(page.render()?)).into_response())
}

/// The form as posted: a box that is not ticked is not sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MailSettingsForm {
    csrf: String,
    assigned: Option<String>,
    unassigned: Option<String>,
}

/// `POST /console/account/mail`: saves the settings.
pub async fn save(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<MailSettingsForm>,
) -> AppResult<Response> {
    me.check_form(&form.csrf)?;
    let wanted = MailWanted {
        assigned: form.assigned.is_some(),
        unassigned: form.unassigned.is_some(),
    };
    if !state.store.set_mail_wanted(me.id(), wanted).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(manager.id = %me.manager.id, "mail settings changed");
    Ok(Redirect::to(&format!("{MAIL_SETTINGS_URL}?saved=1")).into_response())
}
