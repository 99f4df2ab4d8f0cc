//! Opening tickets, a group at a time.
//!
//! In an outage many customers escalate at once. The writer runs the ticket openings queued
//! together as one group: one statement finds the tickets some of them already opened (a double
//! or replayed submit), one reads the paths not held in memory, one the domain routes, and the
//! tickets, their paths and their audit rows are inserted in one statement each.

use crate::store::shared::Conn;
use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::group::GroupDone;
use super::keep_prepared;
use super::recent::HeldVisit;
use super::visits::events_of;
use crate::domain::path::{EventKind, Path, reached_by_answer};
use crate::domain::time::{Timestamp, Zone};
use crate::store::shared;
use crate::store::shared::escalations::Opening;
use crate::store::{HeldEvents, NewTicket, StoreError, TicketCreated};

/// A ticket to open, with the visit's events if the store holds them.
pub(super) struct TicketJob {
    /// The ticket to open.
    pub new: NewTicket,
    /// The visit as memory holds it, if it holds the ticket's outcome.
    pub held: Option<Arc<HeldVisit>>,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Result<Option<TicketCreated>, StoreError>>,
}

impl TicketJob {
    /// Answers the job with an error without running it.
    pub(super) fn fail(self, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// Runs a group of ticket openings inside the writer's transaction; their deadlines are counted
/// in `zone`.
pub(super) async fn open_group(
    conn: &mut SqliteConnection,
    jobs: Vec<TicketJob>,
    zone: &Zone,
) -> GroupDone {
    let (replies, work): (Vec<_>, Vec<_>) =
        jobs.into_iter().map(|j| (j.reply, (j.new, j.held))).unzip();
    match run_group(conn, work, zone).await {
        Ok(results) => GroupDone::answered(replies, results.into_iter().map(Ok)),
        Err(e) => GroupDone::failed(replies, &e),
    }
}

async fn run_group(
    conn: &mut SqliteConnection,
    work: Vec<(NewTicket, Option<Arc<HeldVisit>>)>,
    zone: &Zone,
) -> Result<Vec<Option<TicketCreated>>, StoreError> {
    // Tickets already opened for these escalations, by outcome event.
    let mut opened: HashMap<i64, (String, TicketCreated)> = HashMap::new();
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT outcome_event_id, visit_id, number, status_token FROM tickets WHERE outcome_event_id IN (",
    );
    let mut list = q.separated(", ");
    for (new, _) in &work {
        list.push_bind(new.outcome_event);
    }
    q.push(")");
    for row in q
        .build()
        .persistent(keep_prepared(work.len()))
        .fetch_all(&mut *conn)
        .await?
    {
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
    let mut number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) FROM tickets")
        .fetch_one(&mut *conn)
        .await?;

    // The events of the visits not held in memory.
    let unheld: Vec<String> = work
        .iter()
        .filter(|(new, held)| held.is_none() && !opened.contains_key(&new.outcome_event))
        .map(|(new, _)| new.visit.to_string())
        .collect();
    let read = events_of(&mut *conn, &unheld).await?;

    // Each ticket, in order: a later submit of the same form in this group finds the first.
    let now = Timestamp::now().millis();
    let mut results = Vec::with_capacity(work.len());
    let mut openings: Vec<(usize, Opening)> = Vec::new();
    for (i, (new, held)) in work.iter().enumerate() {
        let visit = new.visit.to_string();
        if let Some((owner, created)) = opened.get(&new.outcome_event) {
            results.push((*owner == visit).then(|| created.clone()));
            continue;
        }
        let events = match held {
            Some(held) => held.events(),
            None => read.get(&visit).map_or(&[][..], Vec::as_slice),
        };
        let Some(end) = events.iter().position(|e| {
            e.id == new.outcome_event
                && e.kind == EventKind::Outcome
                && *e.problem_id == *new.problem_id
                && *e.node_id == *new.ending_id
        }) else {
            results.push(None);
            continue;
        };
        number += 1;
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
        .map(|(i, opening)| (&work[i].0, opening))
        .collect();
    shared::escalations::insert_openings(Conn::from(&mut *conn), &mut openings, now, zone).await?;
    Ok(results)
}
