//! Health and shutdown for the PostgreSQL backend; its backups are PostgreSQL's own.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;

use super::PgStore;
use crate::store::{MaintenanceStore, StoreError};

/// How long a health check waits for the database.
const PING_WITHIN: Duration = Duration::from_secs(2);

#[async_trait]
impl MaintenanceStore for PgStore {
    /// Within two seconds, so a balancer's health check hears "unavailable" rather than
    /// waiting out the pool's own timeout.
    async fn ping(&self) -> Result<(), StoreError> {
        match tokio::time::timeout(PING_WITHIN, sqlx::query("SELECT 1").execute(&self.read)).await {
            Ok(done) => done.map(|_| ()).map_err(StoreError::from),
            Err(_) => Err(StoreError::from(sqlx::Error::PoolTimedOut)),
        }
    }

    /// A file copy is SQLite's way; PostgreSQL's is `pg_dump` (or its base backups and WAL
    /// archiving), which know its transactions and its roles.
    async fn backup_to(&self, _target: &Path) -> Result<(), StoreError> {
        Err(StoreError::NotHere(
            "helpdesk backup copies a SQLite database; on PostgreSQL use pg_dump \
             (e.g. pg_dump --format=custom --file=helpdesk.dump DATABASE_URL), or the base \
             backups and WAL archiving your PostgreSQL runs with"
                .into(),
        ))
    }

    async fn close(&self) {
        self.read.close().await;
    }

    /// PostgreSQL's `synchronous_commit` (2 when a commit waits for its WAL to be flushed, as
    /// `on` does; 0 otherwise) and `fsync`.
    async fn durability(&self) -> Result<(String, i64), StoreError> {
        let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&self.read)
            .await?;
        let fsync: String = sqlx::query_scalar("SHOW fsync")
            .fetch_one(&self.read)
            .await?;
        let level = match commit.as_str() {
            "on" | "remote_write" | "remote_apply" | "local" => 2,
            _ => 0,
        };
        Ok((format!("postgres (fsync {fsync})"), level))
    }
}
