//! Opening tickets on PostgreSQL: one transaction per ticket, which first locks the visit's row,
//! so a double submit that reaches two instances opens the ticket once (the second finds the
//! first's ticket), and takes its number from `ticket_number`'s one row, so numbers stay unique
//! and gapless across instances.

use crate::store::shared::Conn;
use std::collections::HashMap;

use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::visits::events_of;
use crate::domain::path::{EventKind, Path, reached_by_answer};
use crate::domain::time::{Timestamp, Zone};
use crate::store::shared;
use crate::store::shared::escalations::Opening;
use crate::store::{NewTicket, StoreError, TicketCreated};

/// Opens the tickets of `work` inside a transaction; their deadlines are counted in `zone`.
/// Returns, for each, the ticket (opened now or before), or `None` when the escalation is not
/// one of its visit's.
pub(super) async fn open_tickets(
    conn: &mut PgConnection,
    work: Vec<NewTicket>,
    zone: &Zone,
) -> Result<Vec<Option<TicketCreated>>, StoreError> {
    // The visits' rows, locked in one order: a submit of the same form on another instance
    // waits here, then finds the ticket this one opens.
    let mut visits: Vec<String> = work.iter().map(|new| new.visit.to_string()).collect();
    visits.sort();
    visits.dedup();
    sqlx::query("SELECT id FROM visits WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(&visits)
        .fetch_all(&mut *conn)
        .await?;
    // Tickets already opened for these escalations, by outcome event.
    let mut opened: HashMap<i64, (String, TicketCreated)> = HashMap::new();
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT outcome_event_id, visit_id, number, status_token FROM tickets WHERE outcome_event_id IN (",
    );
    let mut list = q.separated(", ");
    for new in &work {
        list.push_bind(new.outcome_event);
    }
    q.push(")");
    for row in q.build().fetch_all(&mut *conn).await? {
        opened.insert(
            row.try_get("outcome_event_id")?,
            (
                row.try_get("visit_id")?,
                TicketCreated {
                    number: row.try_get("number")?,
                    status_token: row.try_get("status_token")?,
                    existed: true,
                },
            ),
        );
    }

    // The events of the visits.
    let wanted: Vec<String> = work
        .iter()
        .filter(|new| !opened.contains_key(&new.outcome_event))
        .map(|new| new.visit.to_string())
        .collect();
    let read = events_of(&mut *conn, &wanted).await?;

    // Each ticket, in order: a later submit of the same form in this group finds the first.
    let now = Timestamp::now().millis();
    let mut results = Vec::with_capacity(work.len());
    let mut openings: Vec<(usize, Opening)> = Vec::new();
    for (i, new) in work.iter().enumerate() {
        let visit = new.visit.to_string();
        if let Some((owner, created)) = opened.get(&new.outcome_event) {
            results.push((*owner == visit).then(|| created.clone()));
            continue;
        }
        let events = read.get(&visit).map_or(&[][..], Vec::as_slice);
        let Some(end) = events.iter().position(|e| {
            e.id == new.outcome_event
                && e.kind == EventKind::Outcome
                && *e.problem_id == *new.problem_id
                && *e.node_id == *new.ending_id
        }) else {
            results.push(None);
            continue;
        };
        let number: i64 = sqlx::query_scalar(
            "UPDATE ticket_number SET last = last + 1 WHERE id = 1 RETURNING last",
        )
        .fetch_one(&mut *conn)
        .await?;
        let reason = match &new.reason_if_direct {
            Some(direct) if !reached_by_answer(&events[..=end], new.outcome_event) => {
                direct.clone()
            }
            _ => new.reason.clone(),
        };
        let opening = Opening {
            reason,
            id: Uuid::new_v4().to_string(),
            number,
            token: format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()),
            guide_version: events[end].guide_version.clone(),
            path: Path::replay(&events[..=end]),
            assignee: None,
        };
        let created = TicketCreated {
            number,
            status_token: opening.token.clone(),
            existed: false,
        };
        opened.insert(new.outcome_event, (visit, created.clone()));
        results.push(Some(created));
        openings.push((i, opening));
    }
    if openings.is_empty() {
        return Ok(results);
    }

    let mut openings: Vec<(&NewTicket, Opening)> = openings
        .into_iter()
        .map(|(i, opening)| (&work[i], opening))
        .collect();
    shared::escalations::insert_openings(Conn::from(&mut *conn), &mut openings, now, zone).await?;
    Ok(results)
}
