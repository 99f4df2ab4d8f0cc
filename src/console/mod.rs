//! The account manager console: signing in, the ticket queue, each ticket with the customer's
//! path, notes, status and assignment, and the admin pages for managers and domain routing.
//!
//! Every page lives under `/console`. Every page and action needs a signed-in, enabled manager
//! ([`session::SignedIn`]); admin pages need an admin ([`session::Admin`]). Every form carries
//! the session's token and is refused from other sites.

pub mod accounts;
pub mod admin;
pub mod canned;
pub mod command;
pub mod contact;
pub mod conversation;
pub mod csv;
pub mod insights;
pub mod mail_settings;
pub mod password;
pub mod privacy;
pub mod queue;
pub mod session;
pub mod sign_in;
pub mod targets;
pub mod ticket;
pub mod ticket_mail;
mod ticket_view;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::Redirect;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::domain::text::multiline;
use crate::domain::time::Timestamp;
use crate::error::AppError;
use session::SignedIn;

/// What every console page shows around its content: who is signed in and the sign-out form.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The organisation, e.g. "IIMS".
    pub org: String,
    /// The signed-in manager's name.
    pub name: String,
    /// Whether to show the admin links.
    pub is_admin: bool,
    /// The session's form token, for the sign-out form.
    pub csrf: String,
}

impl Chrome {
    /// The chrome for `me`'s pages.
    pub fn new(state: &AppState, me: &SignedIn) -> Chrome {
        Chrome {
            org: state.guides.current().organisation.clone(),
            name: me.manager.name.clone(),
            is_admin: me.is_admin(),
            csrf: me.csrf.clone(),
        }
    }
}

/// `GET /console`: the queue is the console's front page.
pub async fn home(_me: SignedIn) -> Redirect {
    Redirect::to("/console/tickets")
}

/// Query-string parameters; a malformed query string is a 400 page, not framework text.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(_) => Err(AppError::BadRequest(
                "The address of this page is malformed. Please start again from the ticket queue."
                    .into(),
            )),
        }
    }
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The problem a filter names by id, checked against the guide; empty means every problem.
pub fn chosen_problem(guide: &crate::guide::Guide, raw: &str) -> Result<Option<String>, String> {
    match raw.trim() {
        "" => Ok(None),
        id => guide
            .problem(id)
            .map(|p| Some(p.id.clone()))
            .ok_or_else(|| {
                "The guide has no symptom with that id. Choose one from the list.".to_string()
            }),
    }
}

/// How long ago `then` was, at a glance: `5 min`, `3 h`, `2 d`.
pub fn age(then: Timestamp, now: Timestamp) -> String {
    let minutes = (now.millis() - then.millis()).max(0) / 60_000;
    match minutes {
        0..=59 => format!("{minutes} min"),
        60..=1439 => format!("{} h", minutes / 60),
        _ => format!("{} d", minutes / 1440),
    }
}

/// Multi-line plain text from a form, cleaned by [`multiline`], not empty and length capped.
/// Errors are in the manager's words.
pub fn plain_text(raw: &str, max: usize, what: &str) -> Result<String, String> {
    let text = multiline(raw);
    if text.is_empty() {
        return Err(format!("{what} is empty. Write something before saving."));
    }
    let count = text.chars().count();
    if count > max {
        return Err(format!(
            "{what} can be at most {max} characters long (it has {count})."
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode("/console/tickets?q=a b&x=1"),
            "/console/tickets%3Fq%3Da%20b%26x%3D1"
        );
    }

    #[test]
    fn ages_read_at_a_glance() {
        let t = |m: i64| age(Timestamp(0), Timestamp(m * 60_000));
        assert_eq!(t(0), "0 min");
        assert_eq!(t(59), "59 min");
        assert_eq!(t(180), "3 h");
        assert_eq!(t(2 * 1440 + 5), "2 d");
        assert_eq!(age(Timestamp(10), Timestamp(0)), "0 min");
    }

    #[test]
    fn plain_text_keeps_line_breaks() {
        assert_eq!(plain_text(" a\r\nb\u{7} ", 10, "The note").unwrap(), "a\nb");
        assert!(plain_text(" \n ", 10, "The note").is_err());
        assert!(plain_text("abcdefghijk", 10, "The note").is_err());
    }
}
