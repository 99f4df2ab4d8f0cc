//! The conversation on a ticket: a manager's public replies and the customer's messages, oldest
//! first. Internal notes are not part of it (`WorkStore::add_note`) and never reach the customer.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::time::Timestamp;

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// The ticket's customer.
    Customer,
    /// A manager, by their full name.
    Manager(String),
}

/// One message of a ticket's conversation.
#[derive(Debug, Clone)]
pub struct TicketMessage {
    /// The message's id.
    pub id: i64,
    /// Who wrote it.
    pub author: Author,
    /// What they wrote.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

/// What a customer's message came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerMessage {
    /// Added; `reopened` when it moved a resolved ticket back to in progress (a ticket waiting
    /// on the customer moves there too, without being called reopened).
    Added {
        /// Whether a resolved ticket was opened again.
        reopened: bool,
    },
    /// The ticket is closed: nothing more is added to it.
    Closed,
    /// No such ticket.
    NotFound,
}

/// The customer's answer to "did this solve your problem?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// Whether it did.
    pub helped: bool,
    /// What they added, possibly empty.
    pub comment: String,
    /// When they answered (last).
    pub answered_at: Timestamp,
}

/// Satisfaction figures: (answers, of which "it helped").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Satisfaction {
    /// By the escalation's kind (`iims-support`, ...).
    pub by_kind: Vec<(String, i64, i64)>,
    /// By where the customer left the guide: (problem, ending node).
    pub by_step: Vec<(String, String, i64, i64)>,
}

/// A reply admins keep for the composer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedReply {
    /// Its id.
    pub id: i64,
    /// What the list calls it.
    pub title: String,
    /// Its text, with `{name}`, `{reference}` and `{status_link}` to fill in.
    pub body: String,
}

/// A ticket's conversation.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The ticket's messages, oldest first.
    async fn messages(&self, ticket_id: &str) -> Result<Vec<TicketMessage>, StoreError>;
    /// One message of the ticket.
    async fn message(&self, ticket_id: &str, id: i64) -> Result<Option<TicketMessage>, StoreError>;
    /// Adds a manager's public reply to ticket `number`; with `notify` (mail is on), queues it to
    /// the customer in the same transaction. `false` when there is no such ticket.
    async fn reply_to_customer(
        &self,
        number: i64,
        manager_id: &str,
        body: &str,
        notify: bool,
    ) -> Result<bool, StoreError>;
    /// Adds the customer's message to their ticket. A resolved ticket, or one waiting on the
    /// customer, moves to in progress (recorded in its audit trail, by the customer); with
    /// `notify`, the message is queued to the manager holding the ticket, or to those following
    /// unassigned tickets when nobody holds it.
    async fn customer_message(
        &self,
        ticket_id: &str,
        body: &str,
        notify: bool,
    ) -> Result<CustomerMessage, StoreError>;
    /// The canned replies, by title.
    async fn canned_replies(&self) -> Result<Vec<CannedReply>, StoreError>;
    /// Saves a canned reply under `title`, replacing the one of that title.
    async fn save_canned_reply(&self, title: &str, body: &str) -> Result<(), StoreError>;
    /// Removes canned reply `id`; `false` when there was none.
    async fn remove_canned_reply(&self, id: i64) -> Result<bool, StoreError>;
    /// The customer's answer on the ticket, if any.
    async fn rating(&self, ticket_id: &str) -> Result<Option<Rating>, StoreError>;
    /// Records the customer's answer, replacing an earlier one.
    async fn rate(&self, ticket_id: &str, helped: bool, comment: &str) -> Result<(), StoreError>;
    /// The answers on tickets opened in `[from, to)`, for one problem or all.
    async fn satisfaction(
        &self,
        from: Timestamp,
        to: Timestamp,
        problem: Option<&str>,
    ) -> Result<Satisfaction, StoreError>;
}
