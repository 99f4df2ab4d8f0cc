//! A manager changing their own password: the current one is asked for, the new one follows the
//! same rule as the command line (12 to 256 characters) and is stored as argon2id. Every other
//! session of theirs ends; the browser they changed it from stays signed in.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use super::accounts::{Password, verify_password};
use super::session::{SignedIn, session_token};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::Form;

const PASSWORD_URL: &str = "/console/account/password";

/// What is wrong with each field of the form.
#[derive(Debug, Default)]
struct PasswordErrors {
    current: Option<String>,
    new: Option<String>,
    repeat: Option<String>,
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: PasswordErrors,
    changed: bool,
}

/// The page's query: `changed=1` after a change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordQuery {
    changed: String,
}

fn render(
    state: &AppState,
    me: &SignedIn,
    code: StatusCode,
    errors: PasswordErrors,
    changed: bool,
) -> AppResult<Response> {
    let page = PasswordPage {
        chrome: Chrome::new(state, me),
        errors,
        changed,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/account/password`: the form.
pub async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    super::Params(query): super::Params<PasswordQuery>,
) -> AppResult<Response> {
    let changed = query.changed == "1";
    render(
        &state,
        &me,
        StatusCode::OK,
        PasswordErrors::default(),
        changed,
    )
}

/// The form as posted. Its `Debug` shows no password.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm(..)")
    }
}

/// `POST /console/account/password`: changes the signed-in manager's password.
pub async fn change(
    State(state): State<AppState>,
    me: SignedIn,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    me.check_form(&form.csrf)?;
    let hash = state.store.password_hash(me.id()).await?;
    let current = form.current.clone();
    // argon2 is deliberately slow: keep it off the async workers.
    let current_ok =
        tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &current))
            .await
            .unwrap_or(false);
    let mut errors = PasswordErrors::default();
    if !current_ok {
        errors.current = Some("That is not your current password.".into());
    }
    let new = Password::parse(&form.new);
    match &new {
        Err(e) => errors.new = Some(e.clone()),
        Ok(_) if form.new == form.current => {
            errors.new = Some("Choose a password different from the current one.".into())
        }
        Ok(_) if form.repeat != form.new => {
            errors.repeat = Some("The two new passwords are not the same.".into())
        }
        Ok(_) => {}
    }
    let (true, Ok(new)) = (
        errors.current.is_none() && errors.new.is_none() && errors.repeat.is_none(),
        new,
    ) else {
        tracing::info!(manager.id = %me.manager.id, "password change refused");
        return render(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, errors, false);
    };
    let password_hash = tokio::task::spawn_blocking(move || new.hash())
        .await
        .map_err(|e| AppError::BadRequest(format!("could not hash the password: {e}")))?
        .map_err(AppError::BadRequest)?;
    let token = session_token(&headers).unwrap_or_default();
    state
        .store
        .change_own_password(me.id(), password_hash, token)
        .await?;
    tracing::info!(manager.id = %me.manager.id, "password changed; other sessions ended");
    Ok(Redirect::to(&format!("{PASSWORD_URL}?changed=1")).into_response())
}
