//! Visits and their path events on PostgreSQL.
//!
//! A click is one transaction that first locks its visit's row (`SELECT ... FOR UPDATE`): two
//! clicks on one visit, from any instances, are decided one after the other, the second from
//! the events the first committed, so a path is recorded exactly as clicked and a double submit
//! is found, not written twice. Nothing is held in memory between requests: every page reads
//! the visit's events from the database, since another instance may have added one.

use crate::store::shared::Conn;
use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::PgStore;
use crate::domain::path::{Event, EventKind, Name};
use crate::domain::time::Timestamp;
use crate::store::counting::{Attempt, Tally};
use crate::store::shared::{self, event};
use crate::store::{Decide, Decision, Events, StoreError, Visit, VisitStore};

/// A visit's events, oldest first, read on `conn`.
pub(super) async fn events_on(
    conn: &mut PgConnection,
    visit: &str,
) -> Result<Vec<Event>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind
         FROM visit_events WHERE visit_id = $1 ORDER BY seq",
    )
    .bind(visit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(event).collect::<Result<_, _>>()?)
}

/// The events of each of the visits `keys` (their ids as text), oldest first, in one
/// statement. Visits with no events are left out.
pub(super) async fn events_of(
    conn: &mut PgConnection,
    keys: &[String],
) -> Result<HashMap<String, Vec<Event>>, sqlx::Error> {
    let mut events: HashMap<String, Vec<Event>> = HashMap::with_capacity(keys.len());
    if keys.is_empty() {
        return Ok(events);
    }
    let rows = sqlx::query(
        "SELECT id, visit_id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind
         FROM visit_events WHERE visit_id = ANY($1) ORDER BY visit_id, seq",
    )
    .bind(keys)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let visit: String = row.try_get("visit_id")?;
        events.entry(visit).or_default().push(event(row)?);
    }
    Ok(events)
}

#[async_trait]
impl VisitStore for PgStore {
    async fn visit(&self, id: Uuid) -> Result<Option<Visit>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT csrf_token FROM visits WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|(csrf_token,)| Visit { id, csrf_token }))
    }

    async fn visit_as_held(&self, id: Uuid) -> Result<Option<(Visit, Option<Events>)>, StoreError> {
        Ok(self.visit(id).await?.map(|visit| (visit, None)))
    }

    async fn events(&self, visit: Uuid) -> Result<Events, StoreError> {
        let mut conn = self.read.acquire().await?;
        Ok(Events::read(
            events_on(&mut conn, &visit.to_string()).await?,
        ))
    }

    async fn record_with(
        &self,
        visit: Uuid,
        start: Option<String>,
        decide: Decide,
    ) -> Result<i64, StoreError> {
        let zone = self.zone.get();
        self.write(move |conn| {
            Box::pin(async move {
                let key = visit.to_string();
                let now = Timestamp::now();
                // A customer's first action starts the visit; a double submit of it (to this
                // instance or another) starts it once.
                if let Some(token) = &start {
                    sqlx::query(
                        "INSERT INTO visits (id, csrf_token, started_at) VALUES ($1, $2, $3)
                         ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(&key)
                    .bind(token)
                    .bind(now.millis())
                    .execute(&mut *conn)
                    .await?;
                }
                let locked: Option<String> =
                    sqlx::query_scalar("SELECT id FROM visits WHERE id = $1 FOR UPDATE")
                        .bind(&key)
                        .fetch_optional(&mut *conn)
                        .await?;
                if locked.is_none() {
                    return Err(sqlx::Error::RowNotFound.into());
                }
                let events = events_on(conn, &key).await?;
                let new = match decide(&events) {
                    Decision::Found(id) => return Ok(id),
                    Decision::Append(new) => new,
                };
                if new.is_empty() {
                    return Err(sqlx::Error::RowNotFound.into());
                }
                let ids = shared::events::new_event_ids(Conn::from(&mut *conn), new.len()).await?;
                let mut seq = events.last().map_or(0, |e| e.seq);
                let recorded: Vec<Event> = new
                    .into_iter()
                    .zip(&ids)
                    .map(|(new, id)| {
                        seq += 1;
                        Event {
                            id: *id,
                            seq,
                            at: now,
                            kind: new.kind,
                            guide_version: Name::from(new.guide_version.as_str()),
                            problem_id: Name::from(new.problem_id.as_str()),
                            node_id: Name::from(new.node_id.as_str()),
                            choice_index: new.choice_index,
                            next_id: new.next_id.as_deref().map(Name::from),
                            outcome_kind: new.outcome_kind.map(Name::from),
                        }
                    })
                    .collect();
                let rows: Vec<(&str, &Event)> =
                    recorded.iter().map(|e| (key.as_str(), e)).collect();
                shared::events::insert_numbered(Conn::from(&mut *conn), &ids, &rows).await?;

                // The visit's attempt, moved on by each new event (a symptom starts a new one).
                let mut attempt: Option<Attempt> = if recorded[0].kind == EventKind::Symptom {
                    None
                } else {
                    shared::rollups::latest_attempt(shared::Conn::Postgres(conn), &key).await?
                };
                let mut tally = Tally::default();
                for e in &recorded {
                    Attempt::apply(&mut attempt, &key, e, &zone, &mut tally);
                }
                shared::rollups::write(tally, shared::Conn::Postgres(conn)).await?;
                Ok(ids[0])
            })
        })
        .await
    }
}
