//! Admin pages: the managers (add, role, enable/disable with their open tickets handed over) and
//! the domain routing table. A form with a mistake comes back on its page (422) with a message
//! beside the field and what was typed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use super::accounts::Password;
use super::session::Admin;
use crate::AppState;
use crate::domain::manager::{ManagerEmail, Role, parse_name};
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::store::{
    AccountChange, DomainRoute, HandOver, ManagerRecord, NewManager, account_domain,
};

const MANAGERS_URL: &str = "/console/admin/managers";
const ROUTING_URL: &str = "/console/admin/routing";

/// The add-manager form's values, kept (all but the password) to show the form again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewManagerForm {
    csrf: String,
    email: String,
    name: String,
    role: String,
    password: String,
}

/// What is wrong with each field of the add-manager form.
#[derive(Debug, Default)]
struct NewManagerErrors {
    email: Option<String>,
    name: Option<String>,
    role: Option<String>,
    password: Option<String>,
}

impl NewManagerErrors {
    fn any(&self) -> bool {
        self.email.is_some()
            || self.name.is_some()
            || self.role.is_some()
            || self.password.is_some()
    }
}

/// A manager's line: the account, when it was created (in the installation's zone), and how
/// many open tickets they hold.
#[derive(Debug)]
struct ManagerLine {
    m: ManagerRecord,
    created: String,
    created_iso: String,
    open_tickets: i64,
}

#[derive(Template)]
#[template(path = "console/managers.html")]
struct ManagersPage<'a> {
    chrome: Chrome,
    managers: Vec<ManagerLine>,
    enabled: Vec<ManagerRecord>,
    my_id: &'a str,
    form: NewManagerForm,
    errors: NewManagerErrors,
    /// A message about one manager's line (their id, the message).
    line_error: Option<(String, String)>,
}

async fn managers_page(
    state: &AppState,
    me: &Admin,
    code: StatusCode,
    form: NewManagerForm,
    errors: NewManagerErrors,
    line_error: Option<(String, String)>,
) -> AppResult<Response> {
    let all = state.store.managers().await?;
    let open = state.store.open_tickets_by_manager().await?;
    let page = ManagersPage {
        chrome: Chrome::new(state, &me.0),
        enabled: all.iter().filter(|m| m.enabled).cloned().collect(),
        managers: all
            .into_iter()
            .map(|m| ManagerLine {
                open_tickets: open.iter().find(|o| o.0 == m.id).map_or(0, |o| o.1),
                created: state.zone.display(m.created_at),
                created_iso: m.created_at.iso(),
                m,
            })
            .collect(),
        my_id: me.0.id(),
        form: NewManagerForm {
            password: String::new(),
            ..form
        },
        errors,
        line_error,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// The managers page again with a message on one manager's line.
async fn line_refused(
    state: &AppState,
    me: &Admin,
    code: StatusCode,
    id: &str,
    message: &str,
) -> AppResult<Response> {
    let form = NewManagerForm {
        role: Role::Manager.as_str().into(),
        ..NewManagerForm::default()
    };
    let line = Some((id.to_string(), message.to_string()));
    managers_page(state, me, code, form, NewManagerErrors::default(), line).await
}

/// `GET /console/admin/managers`: every manager, and the form to add one.
pub async fn managers(State(state): State<AppState>, me: Admin) -> AppResult<Response> {
    let form = NewManagerForm {
        role: Role::Manager.as_str().into(),
        ..NewManagerForm::default()
    };
    managers_page(
        &state,
        &me,
        StatusCode::OK,
        form,
        NewManagerErrors::default(),
        None,
    )
    .await
}

/// `POST /console/admin/managers`: adds a manager with the password the admin chose.
pub async fn add_manager(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<NewManagerForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let email = ManagerEmail::parse(&form.email);
    let name = parse_name(&form.name);
    let role = Role::from_name(form.role.trim())
        .ok_or_else(|| "Choose a role: admin or manager.".to_string());
    let password = Password::parse(&form.password);
    let (email, name, role, password) = match (email, name, role, password) {
        (Ok(e), Ok(n), Ok(r), Ok(p)) => (e, n, r, p),
        (e, n, r, p) => {
            let errors = NewManagerErrors {
                email: e.err(),
                name: n.err(),
                role: r.err(),
                password: p.err(),
            };
            let code = StatusCode::UNPROCESSABLE_ENTITY;
            return managers_page(&state, &me, code, form, errors, None).await;
        }
    };
    let password_hash = tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|e| AppError::BadRequest(format!("could not hash the password: {e}")))?
        .map_err(AppError::BadRequest)?;
    let added = state
        .store
        .add_manager(NewManager {
            email,
            name,
            role,
            password_hash,
        })
        .await?;
    match added {
        Some(m) => {
            tracing::info!(manager.id = %m.id, by = %me.0.manager.id, "manager added");
            Ok(Redirect::to(MANAGERS_URL).into_response())
        }
        None => {
            let errors = NewManagerErrors {
                email: Some("A manager with that email address already exists.".into()),
                ..NewManagerErrors::default()
            };
            managers_page(&state, &me, StatusCode::CONFLICT, form, errors, None).await
        }
    }
}

async fn account_change(
    state: &AppState,
    me: &Admin,
    id: &str,
    change: AccountChange,
) -> AppResult<Response> {
    match change {
        AccountChange::Done => Ok(Redirect::to(MANAGERS_URL).into_response()),
        AccountChange::NotFound => Err(AppError::NotFound),
        AccountChange::LastAdmin => {
            let message = "That would leave no enabled admin to manage the console. Make another manager an admin first.";
            line_refused(state, me, StatusCode::CONFLICT, id, message).await
        }
        AccountChange::NoSuchAssignee => {
            let message = "Their open tickets can go to another enabled manager or to the shared queue: choose one from the list.";
            line_refused(state, me, StatusCode::UNPROCESSABLE_ENTITY, id, message).await
        }
    }
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /console/admin/managers/{id}/role`: makes a manager an admin or a manager.
pub async fn set_role(
    State(state): State<AppState>,
    me: Admin,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let Some(role) = Role::from_name(form.role.trim()) else {
        let code = StatusCode::UNPROCESSABLE_ENTITY;
        return line_refused(&state, &me, code, &id, "Choose a role: admin or manager.").await;
    };
    let change = state.store.set_manager_role(&id, role).await?;
    if change == AccountChange::Done {
        tracing::info!(manager.id = %id, by = %me.0.manager.id, role = role.as_str(), "manager role changed");
    }
    account_change(&state, &me, &id, change).await
}

/// The enable/disable form.
#[derive(Debug, Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    csrf: String,
    /// `yes` or `no`.
    #[serde(default)]
    enabled: String,
    /// When disabling, who takes over their open tickets: `none` (the shared queue), a manager's
    /// id, or `keep` (also when absent) to leave them assigned.
    #[serde(default)]
    hand_over: String,
}

/// `POST /console/admin/managers/{id}/access`: enables or disables a manager (ending their
/// sessions and handing their open tickets over as chosen).
pub async fn set_access(
    State(state): State<AppState>,
    me: Admin,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let code = StatusCode::UNPROCESSABLE_ENTITY;
    let change = match form.enabled.trim() {
        "yes" => state.store.set_manager_enabled(&id, true).await?,
        "no" => {
            let hand_over = match form.hand_over.trim() {
                "" | "keep" => HandOver::Keep,
                "none" => HandOver::Unassigned,
                to => match uuid::Uuid::try_parse(to) {
                    Ok(to) => HandOver::Manager(to.to_string()),
                    Err(_) => {
                        let message = "Choose who takes over their open tickets from the list.";
                        return line_refused(&state, &me, code, &id, message).await;
                    }
                },
            };
            let (change, moved) = state
                .store
                .disable_manager(&id, hand_over, me.0.id())
                .await?;
            if change == AccountChange::Done {
                tracing::info!(manager.id = %id, by = %me.0.manager.id, tickets.moved = moved, "manager disabled");
            }
            change
        }
        _ => {
            let message = "Choose whether the manager may sign in.";
            return line_refused(&state, &me, code, &id, message).await;
        }
    };
    if change == AccountChange::Done && form.enabled.trim() == "yes" {
        tracing::info!(manager.id = %id, by = %me.0.manager.id, "manager enabled");
    }
    account_change(&state, &me, &id, change).await
}

#[derive(Template)]
#[template(path = "console/routing.html")]
struct RoutingPage {
    chrome: Chrome,
    routes: Vec<DomainRoute>,
    managers: Vec<ManagerRecord>,
    form: RouteForm,
    domain_error: Option<String>,
    manager_error: Option<String>,
}

async fn routing_page(
    state: &AppState,
    me: &Admin,
    code: StatusCode,
    form: RouteForm,
    (domain_error, manager_error): (Option<String>, Option<String>),
) -> AppResult<Response> {
    let page = RoutingPage {
        chrome: Chrome::new(state, &me.0),
        routes: state.store.domain_routes().await?,
        managers: state
            .store
            .managers()
            .await?
            .into_iter()
            .filter(|m| m.enabled)
            .collect(),
        form,
        domain_error,
        manager_error,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/admin/routing`: which manager each customer domain's escalations go to.
pub async fn routing(State(state): State<AppState>, me: Admin) -> AppResult<Response> {
    let form = RouteForm::default();
    routing_page(&state, &me, StatusCode::OK, form, (None, None)).await
}

/// The add-route form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RouteForm {
    csrf: String,
    domain: String,
    manager: String,
}

/// `POST /console/admin/routing`: routes a domain to a manager (replacing an earlier route).
pub async fn add_route(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<RouteForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let code = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(domain) = account_domain(&form.domain) else {
        let message = "Enter a domain like example.com, or paste the customer's web address (letters, digits, hyphens and dots).";
        return routing_page(&state, &me, code, form, (Some(message.into()), None)).await;
    };
    if !state
        .store
        .set_domain_route(&domain, form.manager.trim())
        .await?
    {
        let message = "Choose a manager from the list.";
        return routing_page(&state, &me, code, form, (None, Some(message.into()))).await;
    }
    tracing::info!(manager.id = %form.manager.trim(), by = %me.0.manager.id, "domain route set");
    Ok(Redirect::to(ROUTING_URL).into_response())
}

/// The remove-route form.
#[derive(Debug, Deserialize)]
pub struct RemoveRouteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
}

/// `POST /console/admin/routing/remove`: removes a domain's route.
pub async fn remove_route(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<RemoveRouteForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    if !state.store.remove_domain_route(form.domain.trim()).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(by = %me.0.manager.id, "domain route removed");
    Ok(Redirect::to(ROUTING_URL).into_response())
}
