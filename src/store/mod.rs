//! The store: the only place in helpdesk that speaks SQL.
//!
//! Handlers, the command line and background work hold a [`Store`] and call its methods, which
//! speak in the domain's types and the plain types declared here; no `sqlx` type leaves this
//! folder. The methods are declared by one interface (trait) per concern, each in its own file
//! with the types it speaks in:
//!
//! | file | interface | what |
//! |---|---|---|
//! | `visits.rs` | [`VisitStore`] | a customer's visit and its path events |
//! | `tickets.rs` | [`TicketStore`] | opening a ticket, and what its customer sees |
//! | `contact.rs` | [`ContactStore`] | corrections of a ticket's contact details |
//! | `conversation.rs` | [`ConversationStore`] | replies and the customer's messages |
//! | `queue.rs` | [`QueueStore`] | the console's queue: filters, sorts, pages |
//! | `work.rs` | [`WorkStore`] | one ticket in the console: detail, notes, status, assignee |
//! | `managers.rs` | [`ManagerStore`] | manager accounts and domain routing |
//! | `sessions.rs` | [`SessionStore`] | console sessions and sign-in throttling |
//! | `pending.rs` | [`PendingStore`] | console forms kept across a sign-in |
//! | `insights.rs` | [`InsightStore`] | the insights' figures and exports |
//! | `outbox.rs` | [`OutboxStore`] | the mails changes cause, and their delivery |
//! | `guides.rs` | [`GuideStore`] | every guide version served |
//! | `targets.rs` | [`TargetStore`] | response-time targets and tickets' deadlines |
//! | `seed.rs` | [`SeedStore`] | bulk loading of synthetic traffic |
//! | `privacy.rs` | [`PrivacyStore`] | what is held about a customer: export and erasure |
//! | `retention.rs` | [`RetentionStore`] | deleting old visits that led to no ticket |
//! | `allowances.rs` | [`AllowanceStore`] | per-client rate limits shared by instances |
//! | `maintenance.rs` | [`MaintenanceStore`] | health, backups, shutdown |
//!
//! [`Backend`] is all of them together. Most of it is the same SQL on every database, written
//! once in [`shared`]; a database helpdesk runs on implements what differs in its own folder:
//! [`sqlite`], the embedded default (its module documentation says how it stays fast), and
//! [`postgres`], for several instances.

mod allowances;
mod contact;
mod conversation;
mod counting;
mod database_error;
mod error;
mod guides;
mod insights;
mod maintenance;
mod managers;
mod outbox;
mod pending;
mod postgres;
mod privacy;
mod queue;
mod retention;
mod search;
mod seed;
mod sessions;
mod shared;
mod sqlite;
mod targets;
mod tickets;
pub mod transfer;
mod visits;
mod work;

use std::fmt::Debug;
use std::sync::Arc;

use uuid::Uuid;

pub use allowances::AllowanceStore;
pub use contact::{Contact, ContactChange, ContactStore, Corrector};
pub use conversation::{
    Author, CannedReply, ConversationStore, CustomerMessage, Rating, Satisfaction, TicketMessage,
};
pub use error::StoreError;
pub use guides::GuideStore;
pub use insights::{
    ABANDONED_AFTER_MS, CONTACT_KINDS, EventExport, ExportFilter, InsightQuery, InsightStore,
    Insights, ProblemFigures, StepFigures, Tally, TicketExport, TicketFigures,
};
pub use maintenance::MaintenanceStore;
pub use managers::{
    AccountChange, DomainRoute, HandOver, ManagerCredentials, ManagerRecord, ManagerStore,
    NewManager,
};
pub use outbox::{Delivery, MailRecord, OutboxStore, OutgoingMail};
pub use pending::{PENDING_FOR, PendingForm, PendingKind, PendingStore};
pub use privacy::{
    ChangeEntry, CustomerRecord, CustomerTicket, ERASED, Erasure, MailEntry, MessageEntry,
    PathEntry, PrivacyStore, RatingEntry,
};
pub use queue::{
    AssigneeFilter, Cursor, QueueFilter, QueuePage, QueueRow, QueueSort, QueueStore, Search,
    StatusFilter,
};
pub use retention::RetentionStore;
pub use search::fold;
pub use seed::SeedStore;
pub use sessions::{
    ManagerSession, NewSession, RecentFailures, SESSION_ABSOLUTE, SESSION_IDLE, SessionStore,
};
pub use targets::{TargetStore, TicketTimes};
pub use tickets::{
    CustomerUpdates, NewTicket, TicketCreated, TicketStore, TicketSummary, account_domain,
    domain_suffixes,
};
pub use visits::{Decide, Decision, Events, HeldEvents, NewEvent, Visit, VisitStore};
pub use work::{AuditEntry, Note, TicketChange, TicketDetail, WorkStore};

use crate::domain::path::Event;

/// The database the server runs on when none is given: a file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://helpdesk.db";

/// Everything a database helpdesk runs on provides.
pub trait Backend:
    VisitStore
    + TicketStore
    + ContactStore
    + ConversationStore
    + QueueStore
    + WorkStore
    + ManagerStore
    + SessionStore
    + PendingStore
    + PrivacyStore
    + InsightStore
    + OutboxStore
    + GuideStore
    + TargetStore
    + SeedStore
    + RetentionStore
    + AllowanceStore
    + MaintenanceStore
    + Debug
{
}

/// The database, as every part of helpdesk holds it: cheap to clone, shared by all requests.
/// Its methods are the [`Backend`]'s.
#[derive(Clone, Debug)]
pub struct Store(Arc<dyn Backend>);

impl std::ops::Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    /// `sqlite://PATH` (the embedded default) or `postgres://USER@HOST/DB`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Store(Arc::new(sqlite::SqliteStore::open(url).await?)))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Store(Arc::new(postgres::PgStore::open(url).await?)))
        } else {
            Err(StoreError::Unsupported(url.to_string()))
        }
    }

    /// Appends `new` to the visit's events unless `existing` finds it already recorded.
    ///
    /// `existing` sees the visit's events as they stand where they are written, so two identical
    /// requests racing each other (a double click, a replayed form) record one event, not two.
    /// A visit that does not exist yet is started, with `start` as its form token, when `start`
    /// is given: the customer's first action starts their visit, and two submits of the same
    /// first form start it once. Returns the id of the event recorded, or of the one `existing`
    /// found.
    pub async fn record_event<F>(
        &self,
        visit: Uuid,
        start: Option<String>,
        new: NewEvent,
        existing: F,
    ) -> Result<i64, StoreError>
    where
        F: FnOnce(&[Event]) -> Option<i64> + Send + 'static,
    {
        self.record_with(
            visit,
            start,
            Box::new(move |events| match existing(events) {
                Some(id) => Decision::Found(id),
                None => Decision::Append(vec![new]),
            }),
        )
        .await
    }
}
