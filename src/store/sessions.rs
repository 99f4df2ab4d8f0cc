//! Console sessions (started at sign-in, ended by time or sign-out) and the failed sign-ins that
//! throttle guessing.

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ManagerRecord, StoreError};
use crate::domain::time::Timestamp;

/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);

/// A session ends this long after sign-in, however active: a stolen cookie does not live forever.
pub const SESSION_ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A session just started: the cookie's token and the session's form token.
#[derive(Clone)]
pub struct NewSession {
    /// The secret the cookie carries; only its hash is stored.
    pub token: String,
    /// The token every form of this session carries.
    pub csrf: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession(..)")
    }
}

/// A live session and the enabled manager it belongs to.
#[derive(Clone)]
pub struct ManagerSession {
    /// The signed-in manager.
    pub manager: ManagerRecord,
    /// The session's form token.
    pub csrf: String,
    /// The generation of the manager accounts when the session was read, for
    /// [`super::ManagerStore::managers_as_of`].
    pub managers_generation: i64,
}

impl std::fmt::Debug for ManagerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerSession")
            .field("manager.id", &self.manager.id)
            .finish_non_exhaustive()
    }
}

/// Recent failed sign-ins for one account and one client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentFailures {
    /// Failures for the account, newest first.
    pub account: Vec<Timestamp>,
    /// Failures from the client, newest first.
    pub client: Vec<Timestamp>,
}

/// The stored form of a session token: its SHA-256, so a copy of the database signs nobody in.
pub(super) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new session token: two random (v4) UUIDs, 244 random bits.
pub(super) fn random_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Console sessions and sign-in failures.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session for a manager who just proved who they are.
    ///
    /// In the same transaction: the session the browser had before (if any) ends, so every
    /// sign-in gets a new id; the account's failed attempts are forgotten; expired sessions of
    /// everyone are cleared away.
    async fn start_session(
        &self,
        manager_id: &str,
        replaces: Option<&str>,
        forget_failures_of: Option<&str>,
        now: Timestamp,
    ) -> Result<NewSession, StoreError>;
    /// The live session behind a cookie token at time `now`, if its manager is still enabled.
    ///
    /// An expired session is deleted; a live one has its `last_seen_at` moved to `now` (at most
    /// once a minute).
    async fn session(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<ManagerSession>, StoreError>;
    /// Ends the session behind a cookie token (sign-out, or expiry).
    async fn end_session(&self, token: &str) -> Result<(), StoreError>;
    /// How many sessions a manager has open, for showing (and testing) that sign-outs happen.
    async fn session_count(&self, manager_id: &str) -> Result<i64, StoreError>;
    /// Failed sign-ins since `since` for an account key and a client key (both opaque hashes).
    async fn recent_sign_in_failures(
        &self,
        account_key: &str,
        client_key: &str,
        since: Timestamp,
    ) -> Result<RecentFailures, StoreError>;
    /// Records a failed sign-in at `at`, and forgets failures older than `forget_before`.
    async fn record_sign_in_failure(
        &self,
        account_key: &str,
        client_key: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError>;
}
