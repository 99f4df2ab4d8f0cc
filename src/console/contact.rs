//! A manager corrects the customer's contact details on a ticket (a mistyped address, a new
//! phone number). The change carries the ticket's revision like every edit, and the audit trail
//! keeps what each changed field was before.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::SignedIn;
use super::ticket::{Feedback, number, render, revision, ticket_url};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Form, Path};
use crate::store::{ContactChange, Corrector};
use crate::tickets::form::{ContactValues, FieldErrors};

/// The contact details form.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    revision: String,
    #[serde(flatten)]
    values: ContactValues,
}

/// `POST /console/tickets/{number}/contact`: corrects the customer's contact details.
pub async fn correct(
    State(state): State<AppState>,
    me: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ContactForm>,
) -> AppResult<Response> {
    let number = number(&raw)?;
    me.check_form(&form.csrf)?;
    let refused = |errors: FieldErrors, values: ContactValues| Feedback {
        contact: Some(values),
        contact_errors: errors,
        ..Feedback::default()
    };
    let revision = match revision(&form.revision) {
        Ok(r) => r,
        Err(message) => {
            let errors = FieldErrors {
                name: Some(message),
                ..FieldErrors::default()
            };
            let feedback = refused(errors, form.values);
            return render(
                &state,
                &me,
                number,
                StatusCode::UNPROCESSABLE_ENTITY,
                feedback,
            )
            .await;
        }
    };
    let contact = match form.values.parse() {
        Ok(contact) => contact,
        Err(errors) => {
            let feedback = refused(*errors, form.values);
            return render(
                &state,
                &me,
                number,
                StatusCode::UNPROCESSABLE_ENTITY,
                feedback,
            )
            .await;
        }
    };
    let by = Corrector::Manager {
        id: me.id().to_string(),
        revision,
    };
    match state.store.correct_contact(number, contact, by).await? {
        ContactChange::Saved(_) | ContactChange::Unchanged => {
            tracing::info!(ticket.number = number, manager.id = %me.manager.id, "contact details corrected");
            Ok(Redirect::to(&format!("{}#customer", ticket_url(number))).into_response())
        }
        ContactChange::Conflict | ContactChange::Closed => {
            let feedback = Feedback {
                conflict: Some(
                    "Someone else changed this ticket after you opened it, so the contact details were not saved. \
                     Below is the ticket as it is now: check it, then correct the details again if it is still needed."
                        .into(),
                ),
                contact: Some(form.values),
                ..Feedback::default()
            };
            render(&state, &me, number, StatusCode::CONFLICT, feedback).await
        }
        ContactChange::NotFound => Err(AppError::NotFound),
    }
}
