//! The mail outbox: the mails a change to a ticket causes, written with the change, and their
//! delivery. The sender claims due mails, tries each and records how it went; docs/MAIL.md says
//! what that guarantees.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::mail::{MailKind, MailState, MailWanted};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;

/// A mail claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The outbox row.
    pub id: i64,
    /// The ticket it is about.
    pub ticket_id: String,
    /// What it is for.
    pub kind: MailKind,
    /// The manager it goes to, for a manager's mail.
    pub manager_id: Option<String>,
    /// The address it goes to.
    pub recipient: String,
    /// The message it carries, for a reply or the customer's message.
    pub ticket_message_id: Option<i64>,
    /// The status the ticket moved to, for a status change.
    pub status: Option<TicketStatus>,
    /// The unique part of its `Message-ID`, the same on every attempt.
    pub message_id: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The `Message-ID`s of the ticket's earlier mails to the same address, oldest first: what
    /// this one replies to, so a mail program shows the ticket's mails as one thread.
    pub earlier: Vec<String>,
}

/// How an attempt to send a mail went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The mail server took the mail.
    Sent,
    /// It could not be sent now (server down, slow, or a 4xx answer): try again at `at`.
    Retry {
        /// When to try again.
        at: Timestamp,
        /// What went wrong.
        error: String,
    },
    /// The mail server refused it for good (a 5xx answer).
    Refused {
        /// The server's answer.
        error: String,
    },
}

/// One of a ticket's mails, as the console lists it.
#[derive(Debug, Clone)]
pub struct MailRecord {
    /// The outbox row.
    pub id: i64,
    /// What it is for.
    pub kind: MailKind,
    /// The address it goes to.
    pub recipient: String,
    /// How its delivery stands.
    pub state: MailState,
    /// Attempts made.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When the mail server took it.
    pub sent_at: Option<Timestamp>,
    /// When it will next be tried, while queued.
    pub next_attempt_at: Timestamp,
    /// The mail server's last answer that was not a yes.
    pub last_error: Option<String>,
}

/// The outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` mails due at `now`, oldest first, for `lease`: no other sender takes
    /// them until the lease ends, and a sender that dies with them lets them go when it does.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutgoingMail>, StoreError>;
    /// Records how an attempt to send mail `id` went, and ends its claim.
    async fn record_delivery(&self, id: i64, delivery: Delivery) -> Result<(), StoreError>;
    /// When the next queued mail is due (a claimed one: when its claim ends), if any is queued.
    async fn next_mail_due(&self) -> Result<Option<Timestamp>, StoreError>;
    /// A ticket's mails, oldest first.
    async fn ticket_mails(&self, ticket_id: &str) -> Result<Vec<MailRecord>, StoreError>;
    /// Queues mail `mail_id` of the ticket again, to be sent at once with the same `Message-ID`,
    /// and records who asked with the mail's attempts. False when the ticket has no such mail
    /// or it is waiting to be sent already.
    async fn resend_mail(
        &self,
        ticket_id: &str,
        mail_id: i64,
        manager_id: &str,
    ) -> Result<bool, StoreError>;
    /// Queues ticket `number`'s status link to its customer if `email` is their address (in any
    /// case); says whether it was.
    async fn queue_status_link(&self, number: i64, email: &str) -> Result<bool, StoreError>;
    /// The ticket of the mail to its customer whose `Message-ID`'s unique part is one of
    /// `message_ids`, if any: what a reply's `In-Reply-To` or `References` names.
    async fn ticket_of_customer_mail(
        &self,
        message_ids: &[String],
    ) -> Result<Option<String>, StoreError>;
    /// Which mails a manager wants; `None` for no such manager.
    async fn mail_wanted(&self, manager_id: &str) -> Result<Option<MailWanted>, StoreError>;
    /// Sets which mails a manager wants; `false` for no such manager.
    async fn set_mail_wanted(
        &self,
        manager_id: &str,
        wanted: MailWanted,
    ) -> Result<bool, StoreError>;
}
