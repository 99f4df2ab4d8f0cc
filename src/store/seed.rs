//! Bulk loading of synthetic visits and tickets (see `crate::seed`), for benchmarks and demos.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::synthetic::SyntheticVisit;

/// Bulk loading of synthetic traffic.
#[async_trait]
pub trait SeedStore: Send + Sync {
    /// Inserts generated visits, their events and tickets in one transaction; tickets that have
    /// moved on from "new" are assigned round-robin to `managers` (id, name), if any.
    async fn insert_synthetic(
        &self,
        visits: Vec<SyntheticVisit>,
        managers: Vec<(String, String)>,
    ) -> Result<(), StoreError>;
    /// The ids and names of enabled managers, for assigning synthetic tickets.
    async fn enabled_manager_names(&self) -> Result<Vec<(String, String)>, StoreError>;
}
