//! Retention on PostgreSQL: old visits without a ticket deleted a few hundred to a transaction.
//! The visits are taken with `FOR UPDATE SKIP LOCKED`, so instances deleting at the same time
//! take different ones, and a visit a click holds is left for the next round.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::domain::time::Timestamp;
use crate::store::{RetentionStore, StoreError};

/// Visits deleted per transaction.
const VISITS_A_JOB: i64 = 512;

#[async_trait]
impl RetentionStore for PgStore {
    async fn delete_visits_before(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let n = self
                .write(move |conn| Box::pin(async move { delete_some(conn, before).await }))
                .await?;
            deleted += n;
            if n < VISITS_A_JOB as u64 {
                return Ok(deleted);
            }
        }
    }
}

/// Deletes up to [`VISITS_A_JOB`] of the visits due, oldest first; returns how many.
async fn delete_some(conn: &mut PgConnection, before: Timestamp) -> Result<u64, StoreError> {
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT v.id FROM visits v
         WHERE v.started_at < $1
           AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.visit_id = v.id)
           AND NOT EXISTS (SELECT 1 FROM visit_events e WHERE e.visit_id = v.id AND e.at >= $1)
         ORDER BY v.started_at LIMIT $2
         FOR UPDATE OF v SKIP LOCKED",
    )
    .bind(before.millis())
    .bind(VISITS_A_JOB)
    .fetch_all(&mut *conn)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    for sql in [
        "UPDATE visit_retention SET highest_event_id = GREATEST(highest_event_id,
             COALESCE((SELECT MAX(id) FROM visit_events WHERE visit_id = ANY($1)), 0)) WHERE id = 1",
        "UPDATE insight_attempts SET visit_id = NULL WHERE visit_id = ANY($1)",
        "DELETE FROM visit_events WHERE visit_id = ANY($1)",
        "DELETE FROM visits WHERE id = ANY($1)",
    ] {
        sqlx::query(sql).bind(&due).execute(&mut *conn).await?;
    }
    sqlx::query(
        "UPDATE visit_retention SET visits_deleted = visits_deleted + $1, last_run_at = $2 WHERE id = 1",
    )
    .bind(due.len() as i64)
    .bind(Timestamp::now().millis())
    .execute(&mut *conn)
    .await?;
    Ok(due.len() as u64)
}
