//! Per-client allowances kept in the database, for installations whose instances share it: a
//! client's allowance must hold across every instance a balancer sends it to.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::time::Timestamp;

/// Allowances as a token bucket per (action, client), by GCRA: the time at which the client's
/// bucket will be full again, moved on by `interval` with each thing it does.
#[async_trait]
pub trait AllowanceStore: Send + Sync {
    /// Whether several instances may share this database, so per-client allowances are kept in
    /// it (by this interface) rather than in each instance's memory.
    fn shared(&self) -> bool;
    /// Takes one from `client`'s allowance for `action` at `now`: one more each `interval`, at
    /// most `burst` at once. `None` when taken; the wait until one is, when the client is over.
    async fn take_allowance(
        &self,
        action: &str,
        client: &str,
        interval: Duration,
        burst: u32,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreError>;
    /// Forgets the allowances that are full again at `now`; returns how many.
    async fn forget_full_allowances(&self, now: Timestamp) -> Result<u64, StoreError>;
}
