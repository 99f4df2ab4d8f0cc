//! The store: the only place in helpdesk that speaks SQL.
//!
//! Handlers call plain async methods on [`Store`]; nothing outside this folder builds a query, so a
//! PostgreSQL backend can be added beside SQLite by giving these methods a second implementation.
//! Reads go through a pool of read-only connections; writes go through the single [`writer`],
//! which also keeps the visits it recently wrote in memory ([`recent`]) for page views to read.

mod backup;
mod contact;
mod escalations;
mod guides;
mod history;
mod insights;
mod managers;
mod pending;
mod queue;
mod queue_page;
mod recent;
mod rollups;
mod search;
mod seed;
mod sessions;
mod tickets;
mod visits;
pub mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

pub use contact::{Contact, ContactChange, Corrector};
pub use insights::{
    ABANDONED_AFTER_MS, DAY_MS, EventExport, ExportFilter, InsightQuery, Insights, ProblemFigures,
    StepFigures, Tally, TicketExport, TicketFigures, weekday,
};
pub use managers::{
    AccountChange, DomainRoute, HandOver, ManagerCredentials, ManagerRecord, NewManager,
};
pub use pending::{PENDING_FOR, PendingForm, PendingKind};
pub use queue::{AuditEntry, Note, TicketChange, TicketDetail};
pub use queue_page::{
    AssigneeFilter, Cursor, QueueFilter, QueuePage, QueueRow, QueueSort, Search, StatusFilter,
};
pub use search::fold;
pub use sessions::{ManagerSession, NewSession, RecentFailures, SESSION_ABSOLUTE, SESSION_IDLE};
pub use tickets::{
    CustomerUpdates, NewTicket, TicketCreated, TicketSummary, account_domain, domain_suffixes,
};
pub use visits::{Decision, Events, NewEvent, Visit};
use writer::Writer;

/// The database the server runs on when none is given: a file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://helpdesk.db";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The writer task is gone (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
    /// An error shared by several jobs of one failed transaction.
    #[error("{message}")]
    Shared {
        /// The original error's text.
        message: String,
        /// Whether the original error meant the database was unavailable.
        unavailable: bool,
    },
}

impl StoreError {
    /// Whether the database is unavailable for now (locked, read-only, full, gone), as opposed to
    /// a bug: the answer is then 503 and the request may be retried.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                let code = e.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff;
                // SQLITE_BUSY, LOCKED, IOERR, FULL, CANTOPEN, READONLY
                matches!(code, 5 | 6 | 10 | 13 | 14 | 8)
            }
            StoreError::Database(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed,
            ) => true,
            StoreError::WriterGone => true,
            StoreError::Shared { unavailable, .. } => *unavailable,
            _ => false,
        }
    }

    /// Whether the writer should drop its connection and open a new one: the file went
    /// read-only, could not be opened, or an I/O error left the connection in doubt.
    pub(crate) fn needs_reconnect(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                let code = e.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff;
                // SQLITE_READONLY, IOERR, CANTOPEN
                matches!(code, 8 | 10 | 14)
            }
            StoreError::Database(sqlx::Error::Io(_)) => true,
            _ => false,
        }
    }

    /// A copy of this error, for answering every job of a failed transaction.
    pub(crate) fn duplicate(&self) -> StoreError {
        StoreError::Shared {
            message: self.to_string(),
            unavailable: self.is_unavailable(),
        }
    }
}

/// How many recently active visits the store keeps in memory (about 1-2 KB each). Customers
/// active at the same time beyond half of this are read back from the database, a group of
/// clicks together, on their next click.
const RECENT_VISITS: usize = 16_384;

/// The database: a read pool, the writer, and the visits the writer recently wrote.
#[derive(Clone, Debug)]
pub struct Store {
    read: SqlitePool,
    writer: Writer,
    recent: Arc<recent::RecentVisits>,
    managers: managers::ManagerCache,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: what a customer is told is saved survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .disable_statement_logging();
        let mut conn = options.connect().await?;
        sqlx::migrate!("./migrations").run(&mut conn).await?;
        let read = SqlitePoolOptions::new()
            // Each connection is a thread with its own page cache; most page views read the
            // visits held in memory, and two cores keep no more than a few reads busy at once.
            .max_connections(4)
            // A pooled SQLite connection lives in this process: pinging it on every acquire only
            // adds a round trip to its thread.
            .test_before_acquire(false)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone().read_only(true))
            .await?;
        let recent = Arc::new(recent::RecentVisits::new(RECENT_VISITS));
        Ok(Store {
            read,
            writer: Writer::start(conn, options, recent.clone()),
            recent,
            managers: managers::ManagerCache::default(),
        })
    }

    /// Closes the read pool: later reads fail as "unavailable". Called at shutdown.
    pub async fn close(&self) {
        self.read.close().await;
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read.acquire().await?;
        conn.ping().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }
}
