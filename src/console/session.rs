//! Who is signed in: the session cookie, the extractors that require a manager or an admin, and
//! the form check every console action runs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::encode;
use crate::AppState;
use crate::domain::manager::Role;
use crate::domain::time::Timestamp;
use crate::error::{AppError, AppResult};
use crate::extract::{cookie, is_cross_site, is_https, same_secret};
use crate::store::{ManagerRecord, SESSION_ABSOLUTE};

/// The cookie that carries a manager's session token.
pub const SESSION_COOKIE: &str = "helpdesk_console";

/// A signed-in, enabled manager and their session's form token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The manager.
    pub manager: ManagerRecord,
    /// The session's form token.
    pub csrf: String,
    /// The generation of the manager accounts read with the session, for
    /// [`Store::managers_as_of`](crate::store::Store::managers_as_of).
    pub managers_generation: i64,
    cross_site: bool,
}

/// The cookie's token, if it looks like one of ours (64 lowercase hex digits).
pub fn session_token(parts_headers: &axum::http::HeaderMap) -> Option<&str> {
    cookie(parts_headers, SESSION_COOKIE).filter(|t| {
        t.len() == 64
            && t.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The sign-in page's URL, coming back to `next` afterwards.
pub fn sign_in_url(next: &str) -> String {
    format!("/console/sign-in?next={}", encode(next))
}

/// Only a path inside the console is a place to return to after signing in: no other site, no
/// scheme-relative `//host`, no backslash tricks.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = (next == "/console" || next.starts_with("/console/") || next.starts_with("/console?"))
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    ok.then_some(next)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = match session_token(&parts.headers) {
            Some(token) => state
                .store
                .session(token, Timestamp::now())
                .await
                .map_err(|e| AppError::from(e).into_response())?,
            None => None,
        };
        match session {
            Some(s) => Ok(SignedIn {
                manager: s.manager,
                csrf: s.csrf,
                managers_generation: s.managers_generation,
                cross_site: is_cross_site(&parts.headers),
            }),
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                let next = parts.uri.path_and_query().map_or("/console", |p| p.as_str());
                let mut response = Redirect::to(&sign_in_url(next)).into_response();
                if cookie(&parts.headers, SESSION_COOKIE).is_some() {
                    // The session is over (expired, signed out elsewhere, manager disabled).
                    clear_session_cookie(&mut response, &parts.headers);
                }
                Err(response)
            }
            // Never act on a form without a session, and never bounce it through a redirect
            // that could replay it after sign-in.
            None => Err(AppError::Forbidden(
                "You are not signed in (or your session has ended), so nothing was changed. Please sign in and try again."
                    .into(),
            )
            .into_response()),
        }
    }
}

impl SignedIn {
    /// Whether the manager is an admin.
    pub fn is_admin(&self) -> bool {
        self.manager.role == Role::Admin
    }

    /// The manager's id.
    pub fn id(&self) -> &str {
        &self.manager.id
    }

    /// Refuses a form that came from another site or lacks this session's token.
    pub fn check_form(&self, token: &str) -> AppResult<()> {
        if self.cross_site {
            return Err(AppError::Forbidden(
                "This form was sent from another web site, so it was not accepted.".into(),
            ));
        }
        if !same_secret(token, &self.csrf) {
            return Err(AppError::Forbidden(
                "This page had expired, so nothing was changed. Please reload the page and try again.".into(),
            ));
        }
        Ok(())
    }
}

/// Who sent a console form: a signed-in manager, or a browser whose session has ended (so the
/// form can be kept for after sign-in rather than lost).
#[derive(Debug, Clone)]
pub enum Sender {
    /// A signed-in, enabled manager.
    SignedIn(SignedIn),
    /// No live session. `own_browser` holds when the request carried a session cookie (which,
    /// being SameSite, another site's form cannot send) and came from no other site.
    SessionEnded {
        /// Whether the form can be trusted to come from the manager's own console page.
        own_browser: bool,
    },
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match SignedIn::from_request_parts(parts, state).await {
            Ok(me) => Ok(Sender::SignedIn(me)),
            Err(response)
                if parts.method == Method::POST
                    && response.status() == axum::http::StatusCode::FORBIDDEN =>
            {
                Ok(Sender::SessionEnded {
                    own_browser: session_token(&parts.headers).is_some()
                        && !is_cross_site(&parts.headers),
                })
            }
            Err(response) => Err(response),
        }
    }
}

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let me = SignedIn::from_request_parts(parts, state).await?;
        if !me.is_admin() {
            return Err(
                AppError::Denied("Only admins can manage managers and routing.".into())
                    .into_response(),
            );
        }
        Ok(Admin(me))
    }
}

/// A `Set-Cookie` value for a console cookie: HttpOnly, limited to `/console`, Secure over HTTPS.
pub fn cookie_header(
    name: &str,
    value: &str,
    max_age_secs: u64,
    same_site: &str,
    https: bool,
) -> Option<HeaderValue> {
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; Max-Age={max_age_secs}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .ok()
}

/// Adds the session cookie for `token` to `response`.
///
/// SameSite=Lax rather than Strict: a link to a ticket in a manager's mail must open it signed in;
/// every state change is a POST with the session's token, which Lax does not send cross-site.
pub fn set_session_cookie(response: &mut Response, token: &str, headers: &axum::http::HeaderMap) {
    if let Some(v) = cookie_header(
        SESSION_COOKIE,
        token,
        SESSION_ABSOLUTE.as_secs(),
        "Lax",
        is_https(headers),
    ) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Adds a cookie that removes the session cookie.
pub fn clear_session_cookie(response: &mut Response, headers: &axum::http::HeaderMap) {
    if let Some(v) = cookie_header(SESSION_COOKIE, "", 0, "Lax", is_https(headers)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(
            safe_next("/console/tickets?status=new"),
            Some("/console/tickets?status=new")
        );
        assert_eq!(safe_next("/console"), Some("/console"));
        for bad in [
            "//evil.example/console",
            "https://evil.example",
            "/console\\@evil",
            "/consolex",
            "/",
            "/tickets/x",
            "",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}
