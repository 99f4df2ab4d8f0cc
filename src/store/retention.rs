//! Retention: how long the visits that led to no ticket are kept.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::time::Timestamp;

/// Deleting the paths of customers who never opened a ticket once they are old.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes, with their events, the visits that led to no ticket and had no event at or
    /// after `before`; returns how many. The insight figures stay as they were: the counters
    /// are kept, and so are the visits' attempts, without the visit. A visit with a ticket is
    /// kept whole, since the ticket shows its path.
    async fn delete_visits_before(&self, before: Timestamp) -> Result<u64, StoreError>;
}
