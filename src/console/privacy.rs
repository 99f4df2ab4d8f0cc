//! A customer's privacy request in the console, for admins: find what is held under an email
//! address, then erase it after a confirmation (the same erasure as `helpdesk privacy erase`,
//! audited as the admin who did it).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use super::session::Admin;
use crate::AppState;
use crate::error::AppResult;
use crate::extract::Form;
use crate::store::CustomerTicket;
use crate::tickets::form::CustomerEmail;

const PRIVACY_URL: &str = "/console/admin/privacy";

#[derive(Template)]
#[template(path = "console/privacy.html")]
struct PrivacyPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    /// What was found for `email`, once asked.
    found: Option<Vec<Found>>,
    /// Tickets erased by the last request, after its redirect.
    erased: Option<usize>,
}

/// A ticket found for the address, as the page lists it.
struct Found {
    number: i64,
    reference: String,
    status: String,
    messages: usize,
}

/// The tickets held under `email`, as the page lists them.
async fn found(state: &AppState, email: &str) -> AppResult<Vec<Found>> {
    let guide = state.guides.current();
    Ok(state
        .store
        .customer_record(email)
        .await?
        .tickets
        .into_iter()
        .map(|t: CustomerTicket| Found {
            number: t.number,
            reference: guide.reference(t.number),
            status: t.status,
            messages: t.messages.len() + t.notes.len(),
        })
        .collect())
}

/// The form: an address, and for erasing the confirmation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PrivacyForm {
    csrf: String,
    email: String,
    confirm: String,
}

fn render(code: StatusCode, page: PrivacyPage) -> AppResult<Response> {
    Ok((code, Html(page.render()?)).into_response())
}

fn page(state: &AppState, me: &Admin, email: String) -> PrivacyPage {
    PrivacyPage {
        chrome: Chrome::new(state, &me.0),
        email,
        error: None,
        found: None,
        erased: None,
    }
}

/// `GET /console/admin/privacy`: the form (and, after an erasure, what it did).
pub async fn show(
    State(state): State<AppState>,
    me: Admin,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let mut p = page(&state, &me, String::new());
    p.erased = query
        .as_deref()
        .and_then(|q| q.strip_prefix("erased="))
        .and_then(|n| n.parse().ok());
    render(StatusCode::OK, p)
}

/// The address typed, checked; or the page saying what is wrong with it.
fn address(form: &PrivacyForm) -> Result<String, String> {
    CustomerEmail::parse(&form.email)
        .map(|_| form.email.trim().to_string())
        .map_err(|_| "Enter the customer's email address, like name@example.com.".to_string())
}

/// `POST /console/admin/privacy`: what is held under the address, with the erase form.
pub async fn find(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<PrivacyForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let mut p = page(&state, &me, form.email.clone());
    match address(&form) {
        Ok(email) => {
            p.found = Some(found(&state, &email).await?);
            render(StatusCode::OK, p)
        }
        Err(e) => {
            p.error = Some(e);
            render(StatusCode::UNPROCESSABLE_ENTITY, p)
        }
    }
}

/// `POST /console/admin/privacy/erase`: erases, once confirmed; audited as this admin.
pub async fn erase(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<PrivacyForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let email = match address(&form) {
        Ok(email) => email,
        Err(e) => {
            let mut p = page(&state, &me, form.email.clone());
            p.error = Some(e);
            return render(StatusCode::UNPROCESSABLE_ENTITY, p);
        }
    };
    if form.confirm != "yes" {
        let mut p = page(&state, &me, email.clone());
        p.found = Some(found(&state, &email).await?);
        p.error = Some("Tick the box to confirm: erasing cannot be undone.".into());
        return render(StatusCode::UNPROCESSABLE_ENTITY, p);
    }
    let erased = state.store.erase_customer(&email, Some(me.0.id())).await?;
    tracing::info!(tickets = erased.tickets, "customer data erased");
    Ok(Redirect::to(&format!("{PRIVACY_URL}?erased={}", erased.tickets)).into_response())
}
