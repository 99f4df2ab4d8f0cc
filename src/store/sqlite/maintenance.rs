//! Health, online backups and shutdown for the SQLite backend.

use std::path::Path;

use async_trait::async_trait;
use sqlx::Connection;

use super::SqliteStore;
use crate::store::{MaintenanceStore, StoreError};

#[async_trait]
impl MaintenanceStore for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read.acquire().await?;
        conn.ping().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// `VACUUM INTO` reads one snapshot (WAL mode lets writers carry on meanwhile) and writes a
    /// compact, self-contained file: restoring is copying it into place.
    async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        let target = target.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await?;
        Ok(())
    }

    async fn durability(&self) -> Result<(String, i64), StoreError> {
        self.writer
            .run(|conn| {
                Box::pin(async move {
                    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                        .fetch_one(&mut *conn)
                        .await?;
                    let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok((mode, level))
                })
            })
            .await
    }

    async fn close(&self) {
        self.read.close().await;
    }
}
