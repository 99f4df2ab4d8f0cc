//! Response-time targets per escalation kind, and the deadline each open ticket works to.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::targets::Target;
use crate::domain::time::Timestamp;

/// A ticket's times, for the response-time figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTimes {
    /// Its escalation kind.
    pub outcome_kind: String,
    /// When it opened.
    pub created_at: Timestamp,
    /// When a manager first answered the customer.
    pub first_response_at: Option<Timestamp>,
    /// When it was first resolved (or closed without being resolved first).
    pub resolved_at: Option<Timestamp>,
}

/// The targets, and keeping the tickets' deadlines up to date with them.
#[async_trait]
pub trait TargetStore: Send + Sync {
    /// The targets, by escalation kind (`iims-support`, ...); a kind with none is absent.
    async fn targets(&self) -> Result<Vec<(String, Target)>, StoreError>;
    /// Sets the targets of `kind` and moves the deadline of each of its open tickets to match
    /// (in the installation's time zone), in one transaction.
    async fn set_target(&self, kind: &str, target: Target) -> Result<(), StoreError>;
    /// The times of the tickets opened in `[from, to)`, of one problem or all, oldest first.
    async fn ticket_times(
        &self,
        from: Timestamp,
        to: Timestamp,
        problem: Option<&str>,
    ) -> Result<Vec<TicketTimes>, StoreError>;
}
