//! Keeping the database well: is it there, a copy while serving, closing at shutdown.

use std::path::Path;

use async_trait::async_trait;

use super::StoreError;

/// Health, backups and shutdown.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Writes a consistent copy of the whole database to `target`, which must not exist yet,
    /// while the server keeps serving.
    async fn backup_to(&self, target: &Path) -> Result<(), StoreError>;
    /// Stops taking reads: later ones fail as "unavailable". Called at shutdown.
    async fn close(&self);
    /// How the writes are made durable, as the connection that writes reports it: for SQLite
    /// its journal mode and `synchronous` level (`wal`, 2 is FULL).
    async fn durability(&self) -> Result<(String, i64), StoreError>;
}
