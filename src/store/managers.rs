//! Manager accounts (added, disabled, roles, passwords) and the routing of account domains to
//! the managers who look after them.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::manager::{ManagerEmail, Role};
use crate::domain::time::Timestamp;

/// A manager account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRecord {
    /// Internal id (UUID).
    pub id: String,
    /// Sign-in address, lowercased.
    pub email: String,
    /// Display name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Whether they may sign in.
    pub enabled: bool,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A manager with the password hash to check a sign-in against.
#[derive(Debug, Clone)]
pub struct ManagerCredentials {
    /// The account.
    pub manager: ManagerRecord,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// A manager to create.
#[derive(Debug, Clone)]
pub struct NewManager {
    /// Sign-in address.
    pub email: ManagerEmail,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The argon2id PHC string of their password.
    pub password_hash: String,
}

/// How a change to a manager account went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// Done (or already so).
    Done,
    /// No such manager.
    NotFound,
    /// Refused: no enabled admin would be left to manage the console.
    LastAdmin,
    /// Refused: the manager chosen to take over is not another enabled manager.
    NoSuchAssignee,
}

/// Who takes over a disabled manager's open tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOver {
    /// Nobody: they stay assigned to the disabled manager.
    Keep,
    /// The shared queue.
    Unassigned,
    /// Another enabled manager (by id).
    Manager(String),
}

/// One domain route, with the manager it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRoute {
    /// The customer domain, e.g. `example.com`.
    pub domain: String,
    /// The manager's id.
    pub manager_id: String,
    /// The manager's name.
    pub manager_name: String,
    /// Whether that manager is enabled (a disabled one's tickets land unassigned).
    pub manager_enabled: bool,
}

/// Manager accounts and domain routes.
#[async_trait]
pub trait ManagerStore: Send + Sync {
    /// Creates a manager; `None` when the address is already taken.
    async fn add_manager(&self, new: NewManager) -> Result<Option<ManagerRecord>, StoreError>;
    /// Every manager, by name.
    async fn managers(&self) -> Result<Vec<ManagerRecord>, StoreError>;
    /// Every manager, by name, as of `generation` or later: from memory when the list kept
    /// there is that recent, otherwise read again (and kept).
    ///
    /// `generation` comes from [`ManagerSession::managers_generation`](super::ManagerSession),
    /// read with the session, so checking whether the list changed costs no statement of its own.
    async fn managers_as_of(&self, generation: i64) -> Result<Vec<ManagerRecord>, StoreError>;
    /// The manager with this id.
    async fn manager(&self, id: &str) -> Result<Option<ManagerRecord>, StoreError>;
    /// The manager signing in with this address, with their password hash.
    async fn manager_credentials(
        &self,
        email: &ManagerEmail,
    ) -> Result<Option<ManagerCredentials>, StoreError>;
    /// Replaces a manager's password hash and ends their sessions; `false` when there is no
    /// such manager.
    async fn set_password(
        &self,
        email: &ManagerEmail,
        password_hash: String,
    ) -> Result<bool, StoreError>;
    /// Enables or disables a manager; disabling ends their sessions at once.
    async fn set_manager_enabled(
        &self,
        id: &str,
        enabled: bool,
    ) -> Result<AccountChange, StoreError>;
    /// Changes a manager's role; the last enabled admin cannot be demoted.
    async fn set_manager_role(&self, id: &str, role: Role) -> Result<AccountChange, StoreError>;
    /// Disables a manager, ending their sessions, and hands their open tickets (new, in progress,
    /// waiting on the customer) over as `hand_over` says; each handover is an assignee change on
    /// the ticket's audit trail by `actor_id`. Returns how it went and how many tickets moved.
    async fn disable_manager(
        &self,
        id: &str,
        hand_over: HandOver,
        actor_id: &str,
    ) -> Result<(AccountChange, u64), StoreError>;
    /// How many open tickets (new, in progress, waiting on the customer) each manager holds, by
    /// manager id, from the kept counts.
    async fn open_tickets_by_manager(&self) -> Result<Vec<(String, i64)>, StoreError>;
    /// A manager's password hash, to check their current password before a change.
    async fn password_hash(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// Replaces a manager's own password hash and ends every session of theirs except the one
    /// behind `keep_token` (the browser they changed it from).
    async fn change_own_password(
        &self,
        id: &str,
        password_hash: String,
        keep_token: &str,
    ) -> Result<(), StoreError>;
    /// Every domain route, by domain.
    async fn domain_routes(&self) -> Result<Vec<DomainRoute>, StoreError>;
    /// Routes `domain` to a manager, replacing any earlier route; `false` when there is no such
    /// manager.
    async fn set_domain_route(&self, domain: &str, manager_id: &str) -> Result<bool, StoreError>;
    /// Removes the route for `domain`; `false` when there was none.
    async fn remove_domain_route(&self, domain: &str) -> Result<bool, StoreError>;
}
