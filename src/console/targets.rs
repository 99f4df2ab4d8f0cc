//! Response-time targets: admins set a first-response and a resolution target per escalation
//! kind, in business hours or around the clock; a ticket's page shows each deadline met, missed
//! or still ahead (the queue shows the next one and sorts by it).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use super::session::Admin;
use crate::AppState;
use crate::domain::outcome::OutcomeKind;
use crate::domain::targets::{Target, Urgency};
use crate::domain::time::{BUSINESS_CLOSES, BUSINESS_OPENS, Timestamp, elapsed};
use crate::error::AppResult;
use crate::extract::Form;
use crate::store::TicketDetail;

const TARGETS_URL: &str = "/console/admin/targets";
/// The longest target, in hours: a year.
const MAX_HOURS: f64 = 8760.0;

/// One escalation kind's form.
struct KindForm {
    kind: &'static str,
    label: &'static str,
    first: String,
    resolution: String,
    business: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/targets.html")]
struct TargetsPage {
    chrome: Chrome,
    kinds: Vec<KindForm>,
    zone: String,
    opens: i8,
    closes: i8,
}

/// Hours for a form field: `1.5` for 90 minutes, empty for none.
fn hours(minutes: Option<i64>) -> String {
    match minutes {
        None => String::new(),
        Some(m) if m % 60 == 0 => (m / 60).to_string(),
        Some(m) => format!("{:.2}", m as f64 / 60.0)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

/// Minutes from an hours field; empty is no target.
fn minutes(field: &str, what: &str) -> Result<Option<i64>, String> {
    let text = field.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.replace(',', ".").parse::<f64>() {
        Ok(h) if h > 0.0 && h <= MAX_HOURS && (h * 60.0).round() >= 1.0 => {
            Ok(Some((h * 60.0).round() as i64))
        }
        _ => Err(format!(
            "The {what} target is a number of hours between 0.1 and {MAX_HOURS}, like 4 or 1.5; leave it empty for none."
        )),
    }
}

async fn render(
    state: &AppState,
    me: &Admin,
    code: StatusCode,
    typed: Option<KindForm>,
) -> AppResult<Response> {
    let targets = state.store.targets().await?;
    let kinds = OutcomeKind::ALL
        .into_iter()
        .filter(|k| k.escalates())
        .map(|k| {
            let target = targets
                .iter()
                .find(|(kind, _)| kind == k.as_str())
                .map(|(_, t)| *t)
                .unwrap_or_default();
            KindForm {
                kind: k.as_str(),
                label: k.label(),
                first: hours(target.first_response_minutes),
                resolution: hours(target.resolution_minutes),
                business: target.business_hours,
                error: None,
            }
        })
        .map(|form| match &typed {
            Some(t) if t.kind == form.kind => KindForm {
                kind: form.kind,
                label: form.label,
                first: t.first.clone(),
                resolution: t.resolution.clone(),
                business: t.business,
                error: t.error.clone(),
            },
            _ => form,
        })
        .collect();
    let page = TargetsPage {
        chrome: Chrome::new(state, &me.0),
        kinds,
        zone: state.zone.name().to_string(),
        opens: BUSINESS_OPENS,
        closes: BUSINESS_CLOSES,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `GET /console/admin/targets`.
pub async fn page(State(state): State<AppState>, me: Admin) -> AppResult<Response> {
    render(&state, &me, StatusCode::OK, None).await
}

/// One kind's form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    csrf: String,
    kind: String,
    first: String,
    resolution: String,
    business: Option<String>,
}

/// `POST /console/admin/targets`: saves one kind's targets.
pub async fn save(
    State(state): State<AppState>,
    me: Admin,
    Form(form): Form<TargetForm>,
) -> AppResult<Response> {
    me.0.check_form(&form.csrf)?;
    let Some(kind) = OutcomeKind::from_name(form.kind.trim()).filter(|k| k.escalates()) else {
        return Err(crate::error::AppError::BadRequest(
            "There is no escalation kind called that. Use the forms on the targets page.".into(),
        ));
    };
    let parsed = minutes(&form.first, "first response").and_then(|first| {
        minutes(&form.resolution, "resolution").map(|resolution| (first, resolution))
    });
    match parsed {
        Ok((first, resolution)) => {
            let target = Target {
                first_response_minutes: first,
                resolution_minutes: resolution,
                business_hours: form.business.is_some(),
            };
            state.store.set_target(kind.as_str(), target).await?;
            tracing::info!(kind = kind.as_str(), "response-time targets changed");
            Ok(Redirect::to(&format!("{TARGETS_URL}#{}", kind.as_str())).into_response())
        }
        Err(message) => {
            let typed = KindForm {
                kind: kind.as_str(),
                label: kind.label(),
                first: form.first,
                resolution: form.resolution,
                business: form.business.is_some(),
                error: Some(message),
            };
            render(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, Some(typed)).await
        }
    }
}

/// One of a ticket's deadlines, as its page shows it.
pub(super) struct DeadlineLine {
    pub what: &'static str,
    pub due: String,
    pub due_iso: String,
    /// `met`, `missed`, `overdue`, `nearly-due` or `on-time`.
    pub state: &'static str,
    pub words: String,
}

/// The ticket's deadlines under its kind's targets: each met, missed or still ahead.
pub(super) async fn deadlines(state: &AppState, t: &TicketDetail) -> AppResult<Vec<DeadlineLine>> {
    let Some(target) = state
        .store
        .targets()
        .await?
        .into_iter()
        .find(|(kind, _)| *kind == t.outcome_kind)
        .map(|(_, target)| target)
    else {
        return Ok(Vec::new());
    };
    let zone = &state.zone;
    let now = Timestamp::now();
    let line = |what: &'static str, due: Timestamp, done: Option<Timestamp>, open: bool| {
        let (state, words) = match done {
            Some(at) if at <= due => ("met", format!("met: {}", zone.display(at))),
            Some(at) => (
                "missed",
                format!("missed: {} ({} late)", zone.display(at), elapsed(due, at)),
            ),
            None if !open => ("met", "no longer due".to_string()),
            None => match Urgency::of(due, now) {
                Urgency::Overdue => ("overdue", format!("overdue by {}", elapsed(due, now))),
                Urgency::NearlyDue => ("nearly-due", format!("due in {}", elapsed(now, due))),
                Urgency::OnTime => ("on-time", format!("due in {}", elapsed(now, due))),
            },
        };
        DeadlineLine {
            what,
            due: zone.display(due),
            due_iso: due.iso(),
            state,
            words,
        }
    };
    let open = t.status.is_open();
    let mut lines = Vec::new();
    if let Some(due) = target.first_response_due(t.created_at, zone) {
        lines.push(line("First response", due, t.first_response_at, open));
    }
    if let Some(due) = target.resolution_due(t.created_at, zone) {
        lines.push(line("Resolution", due, t.resolved_at, open));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_and_written_back() {
        assert_eq!(minutes("4", "x"), Ok(Some(240)));
        assert_eq!(minutes(" 1.5 ", "x"), Ok(Some(90)));
        assert_eq!(minutes("0,25", "x"), Ok(Some(15)));
        assert_eq!(minutes("", "x"), Ok(None));
        assert!(minutes("0", "x").is_err());
        assert!(minutes("-2", "x").is_err());
        assert!(minutes("soon", "x").is_err());
        assert!(minutes("9000", "x").is_err());
        assert_eq!(hours(Some(240)), "4");
        assert_eq!(hours(Some(90)), "1.5");
        assert_eq!(hours(Some(1)), "0.02");
        assert_eq!(minutes(&hours(Some(1)), "x"), Ok(Some(1)));
        assert_eq!(hours(None), "");
    }
}
