//! The visit cookie: which customer's path a request belongs to.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{cookie, is_cross_site, is_https, same_secret};
use crate::store::{Events, Store};

/// The cookie that carries the visit id.
pub const VISIT_COOKIE: &str = "helpdesk_visit";
/// How long a visit is remembered: long enough to come back after the ISP fixed the line.
const VISIT_MAX_AGE_SECS: u32 = 30 * 24 * 3600;

/// What form tokens look like on the pages of a customer who has no visit yet: `new-` and the
/// id the visit will have. Nothing is written until the customer acts: the first form they send
/// starts the visit under that id, so a link preview, a crawler or a prefetch leaves no trace,
/// and a double submit of that first form starts one visit, not two.
const PENDING_PREFIX: &str = "new-";

/// The request's visit. A missing, malformed or unknown cookie means there is no visit yet:
/// pages still show, and the customer's first action (a POST) starts one.
#[derive(Debug)]
pub struct CustomerVisit {
    /// The visit's id; for a customer without a visit, the id their first action will start.
    id: Uuid,
    /// The visit's form token, if the visit exists.
    csrf_token: Option<String>,
    /// For a customer without a visit: the token this page's forms carry.
    pending: String,
    /// Whether this request starts the visit (the response must set the cookie).
    starts: bool,
    /// The form token of the visit this request starts.
    start_token: Option<String>,
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
                id: visit.id,
                csrf_token: Some(visit.csrf_token),
                pending: String::new(),
                starts: false,
                start_token: None,
                held,
                https,
                cross_site,
            });
        }
        let id = Uuid::new_v4();
        Ok(CustomerVisit {
            id,
            csrf_token: None,
            pending: format!("{PENDING_PREFIX}{id}"),
            starts: false,
            start_token: None,
            held: None,
            https,
            cross_site,
        })
    }
}

impl CustomerVisit {
    /// The visit's id (for a customer without a visit, the one their first action starts).
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Whether the customer has a visit: they have acted on the site before.
    pub fn exists(&self) -> bool {
        self.csrf_token.is_some()
    }

    /// The form token a visit started by this request gets; `None` if the visit exists.
    pub fn start(&self) -> Option<String> {
        self.start_token.clone()
    }

    /// The visit's events as they stood when the request came, without asking the store again
    /// where memory held them. (A write since then is not in them.) None for no visit.
    pub async fn events(&mut self, store: &Store) -> AppResult<Events> {
        match self.held.take() {
            Some(events) => Ok(events),
            None if self.exists() || self.starts => Ok(store.events(self.id).await?),
            None => Ok(Events::none()),
        }
    }

    /// The token this visit's forms carry.
    pub fn csrf(&self) -> &str {
        self.csrf_token.as_deref().unwrap_or(&self.pending)
    }

    /// Refuses a form that came from another site or carries the wrong token. A form from a
    /// page shown before the customer had a visit names the visit it starts.
    pub fn check_form(&mut self, token: &str) -> AppResult<()> {
        if self.cross_site {
            return Err(AppError::Forbidden(
                "This form was sent from another web site, so it was not accepted.".into(),
            ));
        }
        let accepted = match &self.csrf_token {
            // A page shown before the visit began carries the token that started it: the
            // browser's Back button to that page must still work.
            Some(expected) => {
                same_secret(token, expected) || pending_visit(token) == Some(self.id)
            }
            None => match pending_visit(token) {
                Some(id) => {
                    self.id = id;
                    self.pending = token.to_string();
                    self.starts = true;
                    self.start_token = Some(Uuid::new_v4().simple().to_string());
                    true
                }
                None => false,
            },
        };
        if !accepted {
            return Err(AppError::Forbidden(
                "This page had expired, so your answer was not recorded. Please reload the page and choose again.".into(),
            ));
        }
        Ok(())
    }

    /// `response`, with the visit cookie set if this request started the visit.
    pub fn respond(&self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        if self.starts {
            let secure = if self.https { "; Secure" } else { "" };
            let value = format!(
                "{VISIT_COOKIE}={}; Path=/; Max-Age={VISIT_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
                self.id
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        response
    }
}

/// The visit a form token from a page without a visit names: `new-` and a UUID v4.
fn pending_visit(token: &str) -> Option<Uuid> {
    token
        .strip_prefix(PENDING_PREFIX)
        .filter(|id| id.len() == 36)
        .and_then(|id| Uuid::try_parse(id).ok())
        .filter(|id| id.get_version_num() == 4)
}

#[cfg(test)]
mod tests {
    use super::pending_visit;

    #[test]
    fn only_a_pending_token_names_a_visit() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(pending_visit(&format!("new-{id}")), Some(id));
        assert_eq!(pending_visit(&id.to_string()), None);
        assert_eq!(pending_visit(&format!("new-{}", id.simple())), None);
        assert_eq!(pending_visit("new-"), None);
        assert_eq!(
            pending_visit("new-00000000-0000-1000-8000-000000000000"),
            None
        );
    }
}
