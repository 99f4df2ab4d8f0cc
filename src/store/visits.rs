//! Visits and their path events.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{Store, StoreError};
use crate::journey::path::{Event, EventKind};
use crate::time::Timestamp;

/// A customer's visit, identified by the visit cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// The cookie's value.
    pub id: Uuid,
    /// The token every customer form of this visit carries.
    pub csrf_token: String,
}

/// An event to append to a visit.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The guide version shown.
    pub guide_version: String,
    /// The problem.
    pub problem_id: String,
    /// The step or ending.
    pub node_id: String,
    /// For a choice: the answer.
    pub choice_index: Option<i64>,
    /// For a choice: where it led.
    pub next_id: Option<String>,
    /// For an outcome: its kind.
    pub outcome_kind: Option<&'static str>,
}

fn event(row: SqliteRow) -> Result<Event, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Event {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        at: Timestamp(row.try_get("at")?),
        kind: EventKind::from_name(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown event kind {kind}").into()))?,
        guide_version: row.try_get("guide_version")?,
        problem_id: row.try_get("problem_id")?,
        node_id: row.try_get("node_id")?,
        choice_index: row.try_get("choice_index")?,
        next_id: row.try_get("next_id")?,
        outcome_kind: row.try_get("outcome_kind")?,
    })
}

/// A visit's events, oldest first, read on `conn`.
pub(super) async fn events_on(
    conn: &mut SqliteConnection,
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

impl Store {
    /// Starts a new visit with a fresh id and form token.
    pub async fn create_visit(&self) -> Result<Visit, StoreError> {
        let visit = Visit {
            id: Uuid::new_v4(),
            csrf_token: Uuid::new_v4().simple().to_string(),
        };
        let (id, token) = (visit.id.to_string(), visit.csrf_token.clone());
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let now = Timestamp::now().millis();
                    sqlx::query("INSERT INTO visits (id, csrf_token, started_at, last_seen_at) VALUES ($1, $2, $3, $3)")
                        .bind(id)
                        .bind(token)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await?;
        Ok(visit)
    }

    /// The visit with this id, if there is one.
    pub async fn visit(&self, id: Uuid) -> Result<Option<Visit>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT csrf_token FROM visits WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|(csrf_token,)| Visit { id, csrf_token }))
    }

    /// A visit's events, oldest first.
    pub async fn events(&self, visit: Uuid) -> Result<Vec<Event>, StoreError> {
        let mut conn = self.read.acquire().await?;
        events_on(&mut conn, &visit.to_string()).await
    }

    /// Appends `new` to the visit's events unless `existing` finds it already recorded.
    ///
    /// `existing` sees the visit's events as they stand inside the writer, so two identical
    /// requests racing each other (a double click, a replayed form) record one event, not two.
    /// Returns the id of the event recorded, or of the one `existing` found.
    pub async fn record_event<F>(
        &self,
        visit: Uuid,
        new: NewEvent,
        existing: F,
    ) -> Result<i64, StoreError>
    where
        F: FnOnce(&[Event]) -> Option<i64> + Send + 'static,
    {
        let visit = visit.to_string();
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let events = events_on(conn, &visit).await?;
                    if let Some(id) = existing(&events) {
                        return Ok(id);
                    }
                    let seq = events.last().map_or(1, |e| e.seq + 1);
                    let now = Timestamp::now().millis();
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO visit_events
                           (visit_id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(&visit)
                    .bind(seq)
                    .bind(now)
                    .bind(new.kind.as_str())
                    .bind(&new.guide_version)
                    .bind(&new.problem_id)
                    .bind(&new.node_id)
                    .bind(new.choice_index)
                    .bind(&new.next_id)
                    .bind(new.outcome_kind)
                    .fetch_one(&mut *conn)
                    .await?;
                    super::insights::track_new(conn, &visit, id, seq, now, &new).await?;
                    sqlx::query("UPDATE visits SET last_seen_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(&visit)
                        .execute(&mut *conn)
                        .await?;
                    Ok(id)
                })
            })
            .await
    }
}
