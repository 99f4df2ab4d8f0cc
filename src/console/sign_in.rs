//! Signing in and out, with failed attempts slowed down and then refused for a while.
//!
//! Throttling is counted in the database, per account tried and per client, so several server
//! instances share it. Both keys are hashed before they are stored.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Params;
use super::accounts::verify_password;
use super::session::{
    SignedIn, clear_session_cookie, cookie_header, safe_next, session_token, set_session_cookie,
};
use crate::AppState;
use crate::domain::manager::ManagerEmail;
use crate::domain::time::Timestamp;
use crate::error::{AppError, AppResult};
use crate::extract::{Client, Form, cookie, is_cross_site, is_https, same_secret};
use crate::limits::Action;
use crate::store::RecentFailures;

/// Failed sign-ins are counted over this window; a refusal lasts until enough of them age out.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures for one account within the window after which it is refused: a password guesser
/// gets five tries per quarter hour, a person who mistyped is barely slowed.
pub const MAX_ACCOUNT_FAILURES: usize = 5;
/// Failures from one client within the window after which it is refused, whatever account it
/// tries: stops one machine spraying many accounts, yet leaves room for an office behind one
/// address.
pub const MAX_CLIENT_FAILURES: usize = 20;
/// Each recent failure of the account adds this much to the answer to a wrong password...
pub const FAILURE_DELAY_STEP: Duration = Duration::from_millis(250);
/// ...up to this much.
pub const FAILURE_DELAY_MAX: Duration = Duration::from_secs(1);

/// The cookie that pairs the sign-in form with the browser that loaded it (a double-submit token:
/// there is no session yet to keep a form token in).
const SIGN_IN_COOKIE: &str = "helpdesk_sign_in";
/// How long a sign-in form stays usable.
const SIGN_IN_FORM_MAX_AGE: u64 = 3600;

fn key(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{value}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The throttling key of the account an address typed into the sign-in form names.
pub fn account_key(typed_email: &str) -> String {
    key("account", &typed_email.trim().to_lowercase())
}

/// The throttling key of a client (see [`Client`]).
pub fn client_key(client: &str) -> String {
    key("client", client)
}

/// The start of the failure window ending at `now`.
pub fn window_start(now: Timestamp) -> Timestamp {
    Timestamp(now.millis() - FAILURE_WINDOW.as_millis() as i64)
}

/// When a refused account or client may try again, if it is refused now.
pub fn refused_until(failures: &RecentFailures) -> Option<Timestamp> {
    let window = FAILURE_WINDOW.as_millis() as i64;
    // Newest first: the limit-th newest failure is the one that must age out.
    let account = failures
        .account
        .get(MAX_ACCOUNT_FAILURES - 1)
        .map(|t| t.millis() + window);
    let client = failures
        .client
        .get(MAX_CLIENT_FAILURES - 1)
        .map(|t| t.millis() + window);
    account.max(client).map(Timestamp)
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    org: &'a str,
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The sign-in page's query.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default, rename = "signed-out")]
    signed_out: String,
}

/// Renders the sign-in form with a fresh form token (cookie and hidden field).
fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
    notice: Option<&'static str>,
) -> AppResult<Response> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let page = SignInPage {
        org: &state.guides.current().organisation,
        csrf: &token,
        next: safe_next(next).unwrap_or("/console/tickets"),
        email,
        error,
        notice,
    };
    let mut response = (status, Html(page.render()?)).into_response();
    if let Some(v) = cookie_header(
        SIGN_IN_COOKIE,
        &token,
        SIGN_IN_FORM_MAX_AGE,
        "Strict",
        is_https(headers),
    ) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /console/sign-in`: the form, or straight on for someone already signed in.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(query): Params<NextQuery>,
) -> AppResult<Response> {
    if let Some(token) = session_token(&headers)
        && state
            .store
            .session(token, Timestamp::now())
            .await?
            .is_some()
    {
        return Ok(
            Redirect::to(safe_next(&query.next).unwrap_or("/console/tickets")).into_response(),
        );
    }
    let notice = (query.signed_out == "1").then_some("You have signed out.");
    sign_in_form(
        &state,
        &headers,
        StatusCode::OK,
        &query.next,
        "",
        None,
        notice,
    )
}

/// The sign-in form as posted.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /console/sign-in`: checks the password, throttled; starts a new session.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    Form(form): Form<SignInForm>,
) -> AppResult<Response> {
    if is_cross_site(&headers) {
        return Err(AppError::Forbidden(
            "This form was sent from another web site, so it was not accepted.".into(),
        ));
    }
    if !cookie(&headers, SIGN_IN_COOKIE)
        .is_some_and(|c| !form.csrf.is_empty() && same_secret(c, &form.csrf))
    {
        return Err(AppError::Forbidden(
            "The sign-in page had expired. Please reload it and sign in again.".into(),
        ));
    }
    state
        .limits
        .check(Action::SignIn, client)
        .await
        .map_err(AppError::Limited)?;
    let account_key = account_key(&form.email);
    let client_key = client_key(&client.to_string());
    let now = Timestamp::now();
    let failures = state
        .store
        .recent_sign_in_failures(&account_key, &client_key, window_start(now))
        .await?;
    if let Some(until) = refused_until(&failures) {
        tracing::warn!("sign-in refused: too many recent failures");
        return refuse(&state, &headers, &form, until, now);
    }

    let credentials = match ManagerEmail::parse(&form.email) {
        Ok(email) => state.store.manager_credentials(&email).await?,
        Err(_) => None,
    };
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let password = form.password.clone();
    // argon2 is deliberately slow: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &password))
        .await
        .unwrap_or(false);

    match credentials {
        Some(c) if matches && c.manager.enabled => {
            let session = state
                .store
                .start_session(
                    &c.manager.id,
                    session_token(&headers),
                    Some(&account_key),
                    now,
                )
                .await?;
            tracing::info!(manager.id = %c.manager.id, "manager signed in");
            let to = safe_next(&form.next).unwrap_or("/console/tickets");
            let mut response = Redirect::to(to).into_response();
            set_session_cookie(&mut response, &session.token, &headers);
            if let Some(v) = cookie_header(SIGN_IN_COOKIE, "", 0, "Strict", is_https(&headers)) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Some(c) if matches => {
            tracing::info!(manager.id = %c.manager.id, "disabled manager tried to sign in");
            sign_in_form(
                &state,
                &headers,
                StatusCode::FORBIDDEN,
                &form.next,
                &form.email,
                Some(
                    "This account is disabled. Ask an admin of the console to enable it again."
                        .into(),
                ),
                None,
            )
        }
        _ => {
            state
                .store
                .record_sign_in_failure(&account_key, &client_key, now, window_start(now))
                .await?;
            let mut failures = failures;
            failures.account.insert(0, now);
            failures.client.insert(0, now);
            let steps = u32::try_from(failures.account.len()).unwrap_or(u32::MAX);
            tokio::time::sleep((FAILURE_DELAY_STEP * steps).min(FAILURE_DELAY_MAX)).await;
            tracing::info!("sign-in failed");
            if let Some(until) = refused_until(&failures) {
                return refuse(&state, &headers, &form, until, now);
            }
            sign_in_form(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &form.next,
                &form.email,
                Some("That email address and password don't match an account. Check both and try again.".into()),
                None,
            )
        }
    }
}

/// The 429 answer while an account or client is refused.
fn refuse(
    state: &AppState,
    headers: &HeaderMap,
    form: &SignInForm,
    until: Timestamp,
    now: Timestamp,
) -> AppResult<Response> {
    let secs = (until.millis() - now.millis()).max(1000) / 1000;
    let minutes = (secs + 59) / 60;
    let message = format!(
        "Too many failed sign-ins. For your security, signing in is paused for {minutes} minute{}. \
         Please wait, then try again, or ask an admin to set a new password.",
        if minutes == 1 { "" } else { "s" }
    );
    let mut response = sign_in_form(
        state,
        headers,
        StatusCode::TOO_MANY_REQUESTS,
        &form.next,
        &form.email,
        Some(message),
        None,
    )?;
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(response)
}

/// A form that carries only its token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/sign-out`: ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    me.check_form(&form.csrf)?;
    if let Some(token) = session_token(&headers) {
        state.store.end_session(token).await?;
    }
    tracing::info!(manager.id = %me.manager.id, "manager signed out");
    let mut response = Redirect::to("/console/sign-in?signed-out=1").into_response();
    clear_session_cookie(&mut response, &headers);
    Ok(response)
}
