//! The web layer's one error type, and the pages people see when something goes wrong.
//!
//! A handler returns [`AppError`]; its response carries an [`ErrorPage`] marker that the
//! site's middleware turns into a full page with the request id a person can quote.
//! 4xx pages say what happened in plain words; 5xx pages say nothing of the cause, which the
//! response carries as a [`Failure`] for the middleware to log once, on the request's line.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::limits::{Action, Refused};
use crate::store::StoreError;

/// What a failed request answers.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page, symptom, step or ticket.
    #[error("not found")]
    NotFound,
    /// The request was malformed; the message says how, in the customer's words.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A request the framework refused before the handler ran (wrong content type, bad encoding).
    #[error("rejected ({0}): {1}")]
    Rejected(StatusCode, String),
    /// A form without a valid token, or from another site.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A signed-in person asked for something their role does not allow.
    #[error("denied: {0}")]
    Denied(String),
    /// The change contradicts the current state (e.g. it would leave no admin); nothing was saved.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A client over one of its limits; the page says when to try again, as does `Retry-After`.
    #[error("too many requests: {}", .0.action.as_str())]
    Limited(Refused),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error("template: {0}")]
    Render(#[from] askama::Error),
}

/// The marker the middleware renders: a status, a heading and a message safe to show.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The heading.
    pub heading: &'static str,
    /// The explanation.
    pub message: String,
}

/// Why a request failed on the server's side, for the log only: the middleware writes it on the
/// request's line, with the request id the error page shows. Never shown to anyone.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The cause, as the store or the template engine gave it (never a customer's input).
    pub cause: String,
    /// The database was unavailable for a moment (logged as a warning, not an error).
    pub unavailable: bool,
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Rejected(status, _) => *status,
            AppError::Forbidden(_) | AppError::Denied(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(_) | AppError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let page = match &self {
            AppError::NotFound => ErrorPage {
                heading: "We can't find that page",
                message: "The page you asked for doesn't exist. It may have been moved, or the link may be incomplete.".into(),
            },
            AppError::BadRequest(message) => ErrorPage {
                heading: "Something in that request wasn't right",
                message: message.clone(),
            },
            AppError::Rejected(_, message) => ErrorPage {
                heading: "Something in that request wasn't right",
                message: message.clone(),
            },
            AppError::Forbidden(message) => ErrorPage {
                heading: "That form can't be accepted",
                message: message.clone(),
            },
            AppError::Denied(message) => ErrorPage {
                heading: "That page isn't open to you",
                message: message.clone(),
            },
            AppError::Conflict(message) => ErrorPage {
                heading: "That change wasn't made",
                message: message.clone(),
            },
            AppError::Limited(refused) => ErrorPage {
                heading: "Too many attempts",
                message: limited_message(refused),
            },
            _ if status == StatusCode::SERVICE_UNAVAILABLE => ErrorPage {
                    heading: "The help site is briefly unavailable",
                message: "Nothing you sent was half-saved. Please wait a moment and try again.".into(),
            },
            _ => ErrorPage {
                heading: "Something went wrong on our side",
                message: "The problem has been logged. Please try again in a moment.".into(),
            },
        };
        let mut response = status.into_response();
        if status.is_server_error() {
            response.extensions_mut().insert(Failure {
                cause: self.to_string(),
                unavailable: status == StatusCode::SERVICE_UNAVAILABLE,
            });
        }
        if let AppError::Limited(refused) = &self {
            response = limited(response, refused);
        }
        response.extensions_mut().insert(page);
        response
    }
}

/// `response` as the answer to a client over a limit: `429`, with `Retry-After`. Also for a
/// form shown again with what was typed.
pub fn limited(mut response: Response, refused: &Refused) -> Response {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(refused.retry_after_secs()),
    );
    response
}

/// What a client over a limit is told: what was refused and how long to wait.
pub fn limited_message(refused: &Refused) -> String {
    let wait = refused.wait_in_words();
    match refused.action {
        Action::StartVisit => format!(
            "Many visits of the guide have been started from your network in the last minute. Please wait {wait} and try again."
        ),
        Action::Choose => format!(
            "Many answers have been sent from your network in the last minute. Please wait {wait} and answer again; your place in the guide is kept."
        ),
        Action::OpenTicket => format!(
            "Many tickets have been sent from your network in the last few minutes. Please try again in {wait}; nothing you typed was lost."
        ),
        Action::StatusForm => format!(
            "Many forms have been sent from your network in the last minute. Please wait {wait} and send it again."
        ),
        Action::FindLink => format!(
            "Links have been asked for many times from your network. Please try again in {wait}."
        ),
        Action::SignIn => format!(
            "Too many sign-in attempts have come from your network. Please wait {wait} and try again."
        ),
    }
}

/// A result whose error is an [`AppError`].
pub type AppResult<T> = Result<T, AppError>;
