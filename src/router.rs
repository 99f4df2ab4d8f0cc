//! Every route of the site, in one list.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::console::{
    self, admin, canned, conversation, insights, mail_settings, password, privacy, queue, sign_in,
    targets, ticket, ticket_mail,
};
use crate::error::AppError;
use crate::middleware::Site;
use crate::{AppState, assets, journey, middleware, tickets};

/// The whole application: routes, middleware and state.
pub fn app(state: AppState) -> Site {
    let routes = Router::new()
        .route("/", get(journey::home))
        .route("/problems/{problem}", get(journey::problem_page))
        .route("/problems/{problem}/start", post(journey::start))
        .route("/problems/{problem}/back", post(journey::back))
        .route("/problems/{problem}/steps/{step}", get(journey::step_page))
        .route(
            "/problems/{problem}/steps/{step}/choose",
            post(journey::choose),
        )
        .route(
            "/problems/{problem}/steps/{step}/escalate",
            post(tickets::escalate),
        )
        .route(
            "/contact",
            get(tickets::something_else::contact_page).post(tickets::something_else::contact),
        )
        .route(
            "/tickets/find",
            get(tickets::find::page).post(tickets::find::ask),
        )
        .route("/tickets/{token}", get(tickets::status))
        .route(
            "/tickets/{token}/contact",
            post(tickets::page::correct_contact),
        )
        .route(
            "/tickets/{token}/messages",
            post(tickets::conversation::write),
        )
        .route(
            "/tickets/{token}/rating",
            get(tickets::rating::page).post(tickets::rating::rate),
        )
        .route("/console", get(console::home))
        .route("/console/sign-in", get(sign_in::page).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/tickets", get(queue::page))
        .route(
            "/console/account/password",
            get(password::page).post(password::change),
        )
        .route(
            "/console/account/mail",
            get(mail_settings::page).post(mail_settings::save),
        )
        .route("/console/insights", get(insights::page))
        .route("/console/insights/tickets.csv", get(insights::tickets_csv))
        .route("/console/insights/events.csv", get(insights::events_csv))
        .route("/console/tickets/{number}", get(ticket::page))
        .route("/console/tickets/{number}/notes", post(ticket::add_note))
        .route(
            "/console/tickets/{number}/replies",
            post(conversation::reply),
        )
        .route("/console/tickets/{number}/status", post(ticket::set_status))
        .route("/console/tickets/{number}/assign", post(ticket::assign))
        .route(
            "/console/tickets/{number}/mails/{mail}/resend",
            post(ticket_mail::resend),
        )
        .route(
            "/console/tickets/{number}/contact",
            post(console::contact::correct),
        )
        .route(
            "/console/admin/managers",
            get(admin::managers).post(admin::add_manager),
        )
        .route("/console/admin/managers/{id}/role", post(admin::set_role))
        .route(
            "/console/admin/managers/{id}/access",
            post(admin::set_access),
        )
        .route(
            "/console/admin/routing",
            get(admin::routing).post(admin::add_route),
        )
        .route("/console/admin/routing/remove", post(admin::remove_route))
        .route(
            "/console/admin/targets",
            get(targets::page).post(targets::save),
        )
        .route(
            "/console/admin/replies",
            get(canned::page).post(canned::save),
        )
        .route("/console/admin/replies/{id}/remove", post(canned::remove))
        .route(
            "/console/admin/privacy",
            get(privacy::show).post(privacy::find),
        )
        .route("/console/admin/privacy/erase", post(privacy::erase))
        .route("/static/{file}", get(assets::serve))
        .route("/robots.txt", get(assets::robots))
        .route("/healthz", get(healthz))
        .fallback(|| async { AppError::NotFound });
    middleware::wrap(routes, state)
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
