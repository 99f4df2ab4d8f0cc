//! Per-client allowances on SQLite. Its one instance keeps them in memory (`crate::limits`), so
//! nothing calls these but the tests; they keep the same rule as PostgreSQL's, through the
//! writer.

use std::time::Duration;

use async_trait::async_trait;

use super::SqliteStore;
use crate::domain::time::Timestamp;
use crate::store::{AllowanceStore, StoreError};

#[async_trait]
impl AllowanceStore for SqliteStore {
    fn shared(&self) -> bool {
        false
    }

    async fn take_allowance(
        &self,
        action: &str,
        client: &str,
        interval: Duration,
        burst: u32,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreError> {
        let (action, client) = (action.to_string(), client.to_string());
        let t = interval.as_millis() as i64;
        let window = t * i64::from(burst);
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let taken: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO client_allowances (action, client, full_at) VALUES ($1, $2, $3 + $4)
                         ON CONFLICT (action, client) DO UPDATE
                            SET full_at = MAX(client_allowances.full_at, $3) + $4
                            WHERE MAX(client_allowances.full_at, $3) + $4 - $3 <= $5
                         RETURNING full_at",
                    )
                    .bind(&action)
                    .bind(&client)
                    .bind(now.millis())
                    .bind(t)
                    .bind(window)
                    .fetch_optional(&mut *conn)
                    .await?;
                    if taken.is_some() {
                        return Ok(None);
                    }
                    let full_at: Option<i64> = sqlx::query_scalar(
                        "SELECT full_at FROM client_allowances WHERE action = $1 AND client = $2",
                    )
                    .bind(&action)
                    .bind(&client)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let wait = full_at.map_or(0, |f| f + t - window - now.millis()).max(1);
                    Ok(Some(Duration::from_millis(wait as u64)))
                })
            })
            .await
    }

    async fn forget_full_allowances(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    Ok(
                        sqlx::query("DELETE FROM client_allowances WHERE full_at <= $1")
                            .bind(now.millis())
                            .execute(&mut *conn)
                            .await?
                            .rows_affected(),
                    )
                })
            })
            .await
    }
}
