//! Retention for the SQLite backend: old visits without a ticket deleted a few hundred to a
//! writer job, so clicks are written in between.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::recent::RecentVisits;
use super::{SqliteStore, batches};
use crate::domain::time::Timestamp;
use crate::store::{RetentionStore, StoreError};

/// Visits deleted per writer job.
const VISITS_A_JOB: i64 = 512;

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn delete_visits_before(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let recent = self.recent.clone();
            let n = self
                .writer
                .run(move |conn| Box::pin(async move { delete_some(conn, &recent, before).await }))
                .await?;
            deleted += n;
            if n < VISITS_A_JOB as u64 {
                return Ok(deleted);
            }
        }
    }
}

/// Deletes up to [`VISITS_A_JOB`] of the visits due, oldest first, inside the writer's
/// transaction; returns how many.
async fn delete_some(
    conn: &mut SqliteConnection,
    recent: &Arc<RecentVisits>,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT v.id FROM visits v
         WHERE v.started_at < $1
           AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.visit_id = v.id)
           AND NOT EXISTS (SELECT 1 FROM visit_events e WHERE e.visit_id = v.id AND e.at >= $1)
         ORDER BY v.started_at LIMIT $2",
    )
    .bind(before.millis())
    .bind(VISITS_A_JOB)
    .fetch_all(&mut *conn)
    .await?;
    // Forgotten before the commit: a click queued behind this job reads the database, not a
    // visit that is no longer there. (Should the job fail, they are read back from it.)
    for id in &due {
        if let Ok(id) = Uuid::try_parse(id) {
            recent.forget(&id);
        }
    }
    for chunk in batches(&due) {
        // The ids of the events deleted are never given again (`visits::next_event_id`).
        for (head, tail) in [
            (
                "UPDATE visit_retention SET highest_event_id = MAX(highest_event_id,
                     COALESCE((SELECT MAX(id) FROM visit_events WHERE visit_id IN (",
                ")), 0)) WHERE id = 1",
            ),
            (
                "UPDATE insight_attempts SET visit_id = NULL WHERE visit_id IN (",
                ")",
            ),
            ("DELETE FROM visit_events WHERE visit_id IN (", ")"),
            ("DELETE FROM visits WHERE id IN (", ")"),
        ] {
            let mut q = QueryBuilder::<Sqlite>::new(head);
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id);
            }
            q.push(tail);
            q.build().execute(&mut *conn).await?;
        }
    }
    if !due.is_empty() {
        sqlx::query(
            "UPDATE visit_retention SET visits_deleted = visits_deleted + $1, last_run_at = $2 WHERE id = 1",
        )
        .bind(due.len() as i64)
        .bind(Timestamp::now().millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(due.len() as u64)
}
