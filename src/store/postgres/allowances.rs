//! Per-client allowances on PostgreSQL, shared by every instance: one upsert takes from a
//! client's allowance when there is any left, atomically, however many instances ask at once.

use std::time::Duration;

use async_trait::async_trait;

use super::PgStore;
use crate::domain::time::Timestamp;
use crate::store::{AllowanceStore, StoreError};

#[async_trait]
impl AllowanceStore for PgStore {
    fn shared(&self) -> bool {
        true
    }

    async fn take_allowance(
        &self,
        action: &str,
        client: &str,
        interval: Duration,
        burst: u32,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreError> {
        let t = interval.as_millis() as i64;
        let window = t * i64::from(burst);
        // Taken when the bucket, moved on by one, is still within the burst of now.
        let taken: Option<i64> = sqlx::query_scalar(
            "INSERT INTO client_allowances (action, client, full_at) VALUES ($1, $2, $3 + $4)
             ON CONFLICT (action, client) DO UPDATE
                SET full_at = GREATEST(client_allowances.full_at, $3) + $4
                WHERE GREATEST(client_allowances.full_at, $3) + $4 - $3 <= $5
             RETURNING full_at",
        )
        .bind(action)
        .bind(client)
        .bind(now.millis())
        .bind(t)
        .bind(window)
        .fetch_optional(&self.read)
        .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let full_at: Option<i64> = sqlx::query_scalar(
            "SELECT full_at FROM client_allowances WHERE action = $1 AND client = $2",
        )
        .bind(action)
        .bind(client)
        .fetch_optional(&self.read)
        .await?;
        let wait = full_at.map_or(0, |f| f + t - window - now.millis()).max(1);
        Ok(Some(Duration::from_millis(wait as u64)))
    }

    async fn forget_full_allowances(&self, now: Timestamp) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM client_allowances WHERE full_at <= $1")
                .bind(now.millis())
                .execute(&self.read)
                .await?
                .rows_affected(),
        )
    }
}
