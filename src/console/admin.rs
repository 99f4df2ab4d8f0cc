//! Admin pages: the managers (add, role, enable/disable) and the domain routing table.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use super::accounts::{ManagerEmail, Password, Role, parse_name};
use super::session::Admin;
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::store::{AccountChange, DomainRoute, ManagerRecord, NewManager, account_domain};

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

#[derive(Template)]
#[template(path = "console/managers.html")]
struct ManagersPage<'a> {
    chrome: Chrome,
    managers: Vec<ManagerRecord>,
    my_id: &'a str,
    form: NewManagerForm,
    errors: Vec<String>,
}

async fn managers_page(
    state: &AppState,
    me: &Admin,
    code: StatusCode,
    form: NewManagerForm,
    errors: Vec<String>,
) -> AppResult<Response> {
    let page = ManagersPage {
        chrome: Chrome::new(state, &me.0),
        managers: state.store.managers().await?,
        my_id: me.0.id(),
        form: NewManagerForm {
            password: String::new(),
            ..form
        },
        errors,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/admin/managers`: every manager, and the form to add one.
pub async fn managers(State(state): State<AppState>, me: Admin) -> AppResult<Response> {
    let form = NewManagerForm {
        role: Role::Manager.as_str().into(),
        ..NewManagerForm::default()
    };
    managers_page(&state, &me, StatusCode::OK, form, Vec::new()).await
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
            let errors = [e.err(), n.err(), r.err(), p.err()]
                .into_iter()
                .flatten()
                .collect();
            return managers_page(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, form, errors)
                .await;
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
            let errors = vec!["A manager with that email address already exists.".to_string()];
            managers_page(&state, &me, StatusCode::CONFLICT, form, errors).await
        }
    }
}

fn account_change(change: AccountChange) -> AppResult<Response> {
    match change {
        AccountChange::Done => Ok(Redirect::to(MANAGERS_URL).into_response()),
        AccountChange::NotFound => Err(AppError::NotFound),
        AccountChange::LastAdmin => Err(AppError::Conflict(
            "That would leave no enabled admin to manage the console. Make another manager an admin first.".into(),
        )),
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
    let role = Role::from_name(form.role.trim())
        .ok_or_else(|| AppError::BadRequest("Choose a role: admin or manager.".into()))?;
    let change = state.store.set_manager_role(&id, role).await?;
    if change == AccountChange::Done {
        tracing::info!(manager.id = %id, by = %me.0.manager.id, role = role.as_str(), "manager role changed");
    }
    account_change(change)
}

/// The enable/disable form.
#[derive(Debug, Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    csrf: String,
    /// `yes` or `no`.
    #[serde(default)]
    enabled: String,
}

/// `POST /console/admin/managers/{id}/access`: enables or disables a manager (ending their sessions).
pub async fn set_access(
    State(state): State<AppState>,
    me: Admin,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let enabled = match form.enabled.trim() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether the manager may sign in.".into(),
            ));
        }
    };
    let change = state.store.set_manager_enabled(&id, enabled).await?;
    if change == AccountChange::Done {
        tracing::info!(manager.id = %id, by = %me.0.manager.id, enabled, "manager access changed");
    }
    account_change(change)
}

#[derive(Template)]
#[template(path = "console/routing.html")]
struct RoutingPage {
    chrome: Chrome,
    routes: Vec<DomainRoute>,
    managers: Vec<ManagerRecord>,
}

/// `GET /console/admin/routing`: which manager each customer domain's escalations go to.
pub async fn routing(State(state): State<AppState>, me: Admin) -> AppResult<Response> {
    let page = RoutingPage {
        chrome: Chrome::new(&state, &me.0),
        routes: state.store.domain_routes().await?,
        managers: state
            .store
            .managers()
            .await?
            .into_iter()
            .filter(|m| m.enabled)
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

/// The add-route form.
#[derive(Debug, Deserialize)]
pub struct RouteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    manager: String,
}

/// `POST /console/admin/routing`: routes a domain to a manager (replacing an earlier route).
pub async fn add_route(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<RouteForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let domain = account_domain(&form.domain).ok_or_else(|| {
        AppError::BadRequest(
            "Enter a domain like example.com (letters, digits, hyphens and dots).".into(),
        )
    })?;
    if !state
        .store
        .set_domain_route(&domain, form.manager.trim())
        .await?
    {
        return Err(AppError::BadRequest(
            "Choose a manager from the list.".into(),
        ));
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
