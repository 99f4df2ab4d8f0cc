//! One ticket in the console: everything a manager sees of it, and the changes they make (status,
//! assignee, notes), each checked against the revision they saw.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::path::PathStep;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;

/// A ticket with everything a manager sees.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    /// Internal id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Status.
    pub status: TicketStatus,
    /// Bumped by every change; edit forms carry it to detect concurrent edits.
    pub revision: i64,
    /// Opened.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// When a manager first replied to the customer.
    pub first_response_at: Option<Timestamp>,
    /// When it was first resolved (or closed without being resolved first).
    pub resolved_at: Option<Timestamp>,
    /// The guide version of the path.
    pub guide_version: String,
    /// The symptom's problem id.
    pub problem_id: String,
    /// The ending reached.
    pub ending_id: String,
    /// The escalation kind.
    pub outcome_kind: String,
    /// The guide's reason.
    pub reason: String,
    /// Customer's name.
    pub customer_name: String,
    /// Customer's email.
    pub customer_email: String,
    /// Customer's phone.
    pub customer_phone: Option<String>,
    /// Customer's account or domain.
    pub customer_account: Option<String>,
    /// Customer's email program.
    pub email_program: String,
    /// Customer's description.
    pub description: String,
    /// The assignee's id.
    pub assignee_id: Option<String>,
    /// The assignee's name.
    pub assignee_name: Option<String>,
    /// The path, in order.
    pub path: Vec<PathStep>,
    /// Internal notes, oldest first.
    pub notes: Vec<Note>,
    /// The audit trail, oldest first.
    pub audit: Vec<AuditEntry>,
}

/// An internal note.
#[derive(Debug, Clone)]
pub struct Note {
    /// Who wrote it.
    pub author_name: String,
    /// What they wrote (plain text).
    pub body: String,
    /// When.
    pub at: Timestamp,
}

/// One entry of a ticket's audit trail.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who, if a manager (otherwise the system did it).
    pub actor_name: Option<String>,
    /// What: `opened`, `routed`, `status`, `assignee` or `note`.
    pub action: String,
    /// The value before.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
}

/// How an edit of a ticket went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketChange {
    /// Saved; the ticket's new revision.
    Saved(i64),
    /// Someone changed the ticket since the form was shown; nothing was saved.
    Conflict,
    /// The workflow does not allow that status change.
    NotAllowed(TicketStatus),
    /// The chosen assignee is not an enabled manager.
    NoSuchAssignee,
    /// No such ticket.
    NotFound,
}

/// A manager's work on one ticket.
#[async_trait]
pub trait WorkStore: Send + Sync {
    /// A ticket by number, as a manager sees it: with its path, notes and audit trail.
    async fn ticket_detail(&self, number: i64) -> Result<Option<TicketDetail>, StoreError>;
    /// A ticket's internal notes, oldest first.
    async fn notes(&self, ticket_id: &str) -> Result<Vec<Note>, StoreError>;
    /// A ticket's audit trail, oldest first.
    async fn audit_trail(&self, ticket_id: &str) -> Result<Vec<AuditEntry>, StoreError>;
    /// Moves a ticket to `to`, if it is still at `revision` and the workflow allows it; with
    /// `notify` (mail is on), a move that asks something of the customer (waiting on them,
    /// resolved) queues a mail to them in the same transaction.
    async fn change_status(
        &self,
        number: i64,
        revision: i64,
        to: TicketStatus,
        actor_id: &str,
        notify: bool,
    ) -> Result<TicketChange, StoreError>;
    /// Assigns a ticket to an enabled manager, or to nobody, if it is still at `revision`;
    /// with `notify` (mail is on), queues the news to the new assignee in the same transaction,
    /// unless they took it themselves or turned that mail off.
    async fn assign(
        &self,
        number: i64,
        revision: i64,
        assignee_id: Option<&str>,
        actor_id: &str,
        notify: bool,
    ) -> Result<TicketChange, StoreError>;
    /// Adds an internal note; `false` when there is no such ticket.
    ///
    /// A note changes nothing anyone else wrote, so it needs no revision and never conflicts.
    async fn add_note(&self, number: i64, author_id: &str, body: &str) -> Result<bool, StoreError>;
}
