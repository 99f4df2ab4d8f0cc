//! The visit cookie: which customer's path a request belongs to.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{cookie, is_cross_site, is_https, same_secret};
use crate::store::{Events, Store, Visit};

/// The cookie that carries the visit id.
pub const VISIT_COOKIE: &str = "helpdesk_visit";
/// How long a visit is remembered: long enough to come back after the ISP fixed the line.
const VISIT_MAX_AGE_SECS: u32 = 30 * 24 * 3600;

/// The request's visit; a missing, malformed or unknown cookie starts a fresh one.
#[derive(Debug)]
pub struct CustomerVisit {
    /// The visit.
    pub visit: Visit,
    /// Whether it was started by this request (the response must set the cookie).
    pub is_new: bool,
    /// The visit's events as they stood when the request came, if memory held them.
    held: Option<Events>,
    https: bool,
    cross_site: bool,
}

impl FromRequestParts<AppState> for CustomerVisit {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let https = is_https(&parts.headers);
        let cross_site = is_cross_site(&parts.headers);
        let id = cookie(&parts.headers, VISIT_COOKIE)
            .filter(|v| v.len() == 36)
            .and_then(|v| Uuid::try_parse(v).ok())
            .filter(|id| id.get_version_num() == 4);
        if let Some(id) = id
            && let Some((visit, held)) = state.store.visit_as_held(id).await?
        {
            return Ok(CustomerVisit {
                visit,
                is_new: false,
                held,
                https,
                cross_site,
            });
        }
        Ok(CustomerVisit {
            visit: state.store.create_visit().await?,
            is_new: true,
            held: None,
            https,
            cross_site,
        })
    }
}

impl CustomerVisit {
    /// The visit's id.
    pub fn id(&self) -> Uuid {
        self.visit.id
    }

    /// The visit's events as they stood when the request came, without asking the store again
    /// where memory held them. (A write since then is not in them.)
    pub async fn events(&mut self, store: &Store) -> AppResult<Events> {
        match self.held.take() {
            Some(events) => Ok(events),
            None => Ok(store.events(self.visit.id).await?),
        }
    }

    /// The token this visit's forms carry.
    pub fn csrf(&self) -> &str {
        &self.visit.csrf_token
    }

    /// Refuses a form that came from another site or carries the wrong token.
    pub fn check_form(&self, token: &str) -> AppResult<()> {
        if self.cross_site {
            return Err(AppError::Forbidden(
                "This form was sent from another web site, so it was not accepted.".into(),
            ));
        }
        if self.is_new || !same_secret(token, &self.visit.csrf_token) {
            return Err(AppError::Forbidden(
                "This page had expired, so your answer was not recorded. Please reload the page and choose again.".into(),
            ));
        }
        Ok(())
    }

    /// `response`, with the visit cookie set if this request started the visit.
    pub fn respond(&self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        if self.is_new {
            let secure = if self.https { "; Secure" } else { "" };
            let value = format!(
                "{VISIT_COOKIE}={}; Path=/; Max-Age={VISIT_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
                self.visit.id
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        response
    }
}
