//! A way back to a ticket for a customer who lost their status link: they give the ticket's
//! reference and the address they gave, and the link is mailed to that address. The page says
//! the same whether or not the pair matched (so it tells a stranger nothing), and a client may
//! ask a few times an hour.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Client, Form};
use crate::journey::visit::CustomerVisit;
use crate::limits::Action;

const FIND_URL: &str = "/tickets/find";

#[derive(Template)]
#[template(path = "find_ticket.html")]
struct FindPage<'a> {
    org: &'a str,
    prefix: &'a str,
    csrf: &'a str,
    mail_on: bool,
    asked: bool,
    reference: String,
    email: String,
    error: Option<String>,
}

/// `GET /tickets/find`: the form.
pub async fn page(
    State(state): State<AppState>,
    visit: CustomerVisit,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let asked = query.is_some_and(|q| q.split('&').any(|kv| kv == "asked=1"));
    let guide = state.guides.current();
    let page = FindPage {
        org: &guide.organisation,
        prefix: &guide.reference_prefix,
        csrf: visit.csrf(),
        mail_on: state.mail.is_some(),
        asked,
        reference: String::new(),
        email: String::new(),
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// The form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FindForm {
    csrf: String,
    reference: String,
    email: String,
}

/// The ticket number in a reference as a customer types it: `IIMS-000123`, `iims 123`, `123`.
fn ticket_number(prefix: &str, typed: &str) -> Option<i64> {
    let typed = typed.trim();
    let rest = typed
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map_or(typed, |_| &typed[prefix.len()..]);
    let digits = rest.trim_start_matches(['-', ' ', '#']);
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// `POST /tickets/find`: mails the link if the reference and the address belong together.
pub async fn ask(
    State(state): State<AppState>,
    mut visit: CustomerVisit,
    client: Client,
    Form(form): Form<FindForm>,
) -> AppResult<Response> {
    visit.check_form(&form.csrf)?;
    let guide = state.guides.current().clone();
    let Some(mail) = state.mail.clone() else {
        return Err(AppError::Conflict(
            "This site cannot send mail, so it cannot send you your link. Please contact us another way and quote your reference.".into(),
        ));
    };
    let number = ticket_number(&guide.reference_prefix, &form.reference);
    let email = form.email.trim().to_string();
    let error = if number.is_none() {
        Some(format!(
            "Enter the reference from your confirmation, like {}.",
            guide.reference(123)
        ))
    } else if !email.contains('@') || email.len() > 254 {
        Some("Enter the email address you gave when you sent the ticket.".to_string())
    } else {
        None
    };
    if let Some(error) = error {
        let page = FindPage {
            org: &guide.organisation,
            prefix: &guide.reference_prefix,
            csrf: visit.csrf(),
            mail_on: true,
            asked: false,
            reference: form.reference,
            email: form.email,
            error: Some(error),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    state
        .limits
        .check(Action::FindLink, client.0)
        .await
        .map_err(AppError::Limited)?;
    if let Some(number) = number
        && state.store.queue_status_link(number, &email).await?
    {
        mail.wake();
    }
    Ok(Redirect::to(&format!("{FIND_URL}?asked=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::ticket_number;

    #[test]
    fn references_are_read_as_customers_type_them() {
        assert_eq!(ticket_number("IIMS", "IIMS-000123"), Some(123));
        assert_eq!(ticket_number("IIMS", " iims 123 "), Some(123));
        assert_eq!(ticket_number("IIMS", "#42"), Some(42));
        assert_eq!(ticket_number("IIMS", "000007"), Some(7));
        assert_eq!(ticket_number("IIMS", "IIMS-"), None);
        assert_eq!(ticket_number("IIMS", "ABC-1"), None);
        assert_eq!(ticket_number("IIMS", "0"), None);
        assert_eq!(ticket_number("IIMS", "1234567890123"), None);
        assert_eq!(ticket_number("IIMŞ", "IIMŞ-5"), Some(5));
    }
}
