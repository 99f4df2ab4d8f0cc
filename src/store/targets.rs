//! Response-time targets per escalation kind, and the deadline each open ticket works to.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::targets::Target;

/// The targets, and keeping the tickets' deadlines up to date with them.
#[async_trait]
pub trait TargetStore: Send + Sync {
    /// The targets, by escalation kind (`iims-support`, ...); a kind with none is absent.
    async fn targets(&self) -> Result<Vec<(String, Target)>, StoreError>;
    /// Sets the targets of `kind` and moves the deadline of each of its open tickets to match
    /// (in the installation's time zone), in one transaction.
    async fn set_target(&self, kind: &str, target: Target) -> Result<(), StoreError>;
}
