//! What is held about one customer, found by their email address: written out whole when they
//! ask for it, or erased when they ask for that, keeping the guide paths and the numbers the
//! insights count.

use async_trait::async_trait;
use serde::Serialize;

use super::StoreError;

/// Everything held about the customer of one email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRecord {
    /// The address asked about, as given.
    pub email: String,
    /// Their tickets, oldest first.
    pub tickets: Vec<CustomerTicket>,
}

/// One ticket of the customer, with everything on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerTicket {
    /// The ticket's number (the reference's digits).
    pub number: i64,
    /// When it was opened (RFC 3339, UTC).
    pub opened_at: String,
    /// Its status's stored name.
    pub status: String,
    /// The guide problem and the kind of ending it came from.
    pub problem_id: String,
    /// The kind of ending.
    pub outcome_kind: String,
    /// The contact details as the ticket holds them.
    pub name: String,
    /// The reply address.
    pub email: String,
    /// The phone number, if given.
    pub phone: Option<String>,
    /// The account or domain, if given.
    pub account: Option<String>,
    /// The email program named.
    pub email_program: Option<String>,
    /// What the customer wrote.
    pub description: String,
    /// The path through the guide, step by step.
    pub path: Vec<PathEntry>,
    /// The conversation: the customer's messages and the public replies.
    pub messages: Vec<MessageEntry>,
    /// The managers' internal notes on the ticket.
    pub notes: Vec<MessageEntry>,
    /// The satisfaction answer, if given.
    pub rating: Option<RatingEntry>,
    /// The mails sent or to be sent about the ticket.
    pub mails: Vec<MailEntry>,
    /// The ticket's audit trail (contact corrections hold earlier details).
    pub changes: Vec<ChangeEntry>,
}

/// One step of a ticket's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathEntry {
    /// The step or ending.
    pub node_id: String,
    /// When it was shown (RFC 3339).
    pub shown_at: String,
    /// The answer given there, if any.
    pub choice_index: Option<i64>,
}

/// A message or note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageEntry {
    /// Who wrote it: `customer`, `manager`.
    pub author: String,
    /// What it says.
    pub body: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A satisfaction answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingEntry {
    /// Whether it solved the problem.
    pub helped: bool,
    /// The comment.
    pub comment: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A mail about a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailEntry {
    /// Which mail.
    pub kind: String,
    /// To whom.
    pub recipient: String,
    /// `queued`, `sent` or `refused`.
    pub state: String,
    /// When it was written (RFC 3339).
    pub at: String,
}

/// An audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeEntry {
    /// What changed.
    pub action: String,
    /// From.
    pub before: Option<String>,
    /// To.
    pub after: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// What an erasure changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Tickets whose contact details and description were erased.
    pub tickets: usize,
    /// Messages and notes whose text was erased or redacted.
    pub texts: usize,
    /// Mails whose recipient was erased (those not yet sent are not sent).
    pub mails: usize,
}

/// What stands in place of erased text.
pub const ERASED: &str = "[erased]";

/// Finding, writing out and erasing what is held about a customer.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Everything held about the customer of `email` (any case): every ticket whose reply
    /// address it is or was, with all on it.
    async fn customer_record(&self, email: &str) -> Result<CustomerRecord, StoreError>;
    /// Erases the personal data of the customer of `email` from every ticket whose reply
    /// address it is or was: contact details, description, their messages and rating comment,
    /// their details wherever a note, reply, mail or audit entry quotes them; the status link
    /// stops working. The guide path, the numbers and the insight counters stay. Records an
    /// `erased` entry without the data in each ticket's audit trail, by `actor` (a manager's
    /// id, or `None` from the command line). One transaction: all or nothing.
    async fn erase_customer(&self, email: &str, actor: Option<&str>)
    -> Result<Erasure, StoreError>;
}
