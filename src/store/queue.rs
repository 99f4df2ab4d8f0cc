//! The console's queue: which tickets a manager asks for (status, assignee, problem, dates,
//! search), in which order, a page at a time.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;

/// Which statuses the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Every status.
    #[default]
    Any,
    /// New, in progress and waiting on the customer.
    Open,
    /// Exactly this one.
    Is(TicketStatus),
}

/// Whose tickets the queue shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    /// Assigned to anyone or nobody.
    #[default]
    Anyone,
    /// Nobody's yet.
    Unassigned,
    /// This manager's (by id).
    Manager(String),
}

/// What the search box asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A ticket number, from `IIMS-000123` or `123`.
    Number(i64),
    /// Part of the customer's name, email or account, the description or a note, in any case.
    Text(String),
}

/// The order of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueSort {
    /// Newest opened first.
    #[default]
    Newest,
    /// Oldest opened first: the order to work a backlog in.
    Oldest,
    /// Most recently changed first.
    Updated,
    /// The nearest deadline first (overdue at the top), tickets without one last.
    Due,
}

impl QueueSort {
    /// The column the order and the cursor's time are on, and whether it runs descending.
    pub(super) fn key(self) -> (&'static str, bool) {
        match self {
            QueueSort::Newest => ("created_at", true),
            QueueSort::Oldest => ("created_at", false),
            QueueSort::Updated => ("updated_at", true),
            QueueSort::Due => ("due_at", false),
        }
    }
}

/// A position in the queue: a ticket's time in the sort's column, and its number, which breaks
/// ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The ticket's creation time, or its last update when sorting by that.
    pub at: Timestamp,
    /// Its number.
    pub number: i64,
}

/// The queue's filters, order and position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// By status.
    pub status: StatusFilter,
    /// By escalation kind (stored outcome kind name).
    pub kind: Option<String>,
    /// By symptom (problem id).
    pub problem: Option<String>,
    /// By assignee.
    pub assignee: AssigneeFilter,
    /// By reference or text.
    pub search: Option<Search>,
    /// Opened at or after this instant (the first moment of a local day).
    pub opened_from: Option<Timestamp>,
    /// Opened before this instant (the first moment of the local day after the last one).
    pub opened_before: Option<Timestamp>,
    /// The order.
    pub sort: QueueSort,
    /// The page after this ticket (the next page).
    pub after: Option<Cursor>,
    /// The page before this ticket (the previous page); wins over `after`.
    pub before: Option<Cursor>,
}

/// One line of the queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    /// The ticket number.
    pub number: i64,
    /// Its status.
    pub status: TicketStatus,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// The symptom's problem id.
    pub problem_id: String,
    /// The escalation kind.
    pub outcome_kind: String,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's email.
    pub customer_email: String,
    /// Who works it, if anyone.
    pub assignee_name: Option<String>,
    /// The deadline it works to next, if its kind has targets and it is open.
    pub due_at: Option<Timestamp>,
}

/// A page of the queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    /// Up to the page size of tickets, in the sort's order.
    pub rows: Vec<QueueRow>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
    /// Where the previous page ends, if there is one.
    pub previous: Option<Cursor>,
    /// How many tickets match the other filters, per status.
    pub counts: Vec<(TicketStatus, i64)>,
}

/// The console's queue.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// A page of the queue, at most `limit` tickets in the filter's order, with counts per status.
    ///
    /// Without a search the counts are sums of the kept `ticket_counts`; a search counts its
    /// matches (after folding the search text of tickets changed since the last search).
    async fn queue(&self, filter: &QueueFilter, limit: u32) -> Result<QueuePage, StoreError>;
    /// The customer's other tickets (the same email address), newest first, at most `limit`,
    /// without the ticket `except`.
    async fn customer_tickets(
        &self,
        email: &str,
        except: i64,
        limit: u32,
    ) -> Result<Vec<QueueRow>, StoreError>;
}
