//! Why a store operation failed, in words every backend can give: callers decide between a 503
//! (the database is unavailable for now) and a bug, without knowing which database answered.

use std::error::Error;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {source}")]
    Database {
        /// What the database said.
        source: Box<dyn Error + Send + Sync>,
        /// Whether it means the database is unavailable for now (locked, read-only, full,
        /// unreachable), as opposed to a bug.
        unavailable: bool,
        /// Whether the connection that saw it is in doubt and should be opened again.
        reconnect: bool,
    },
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migrate(Box<dyn Error + Send + Sync>),
    /// The database URL names no backend helpdesk has.
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH (e.g. sqlite://helpdesk.db) or postgres://USER@HOST/DB"
    )]
    Unsupported(String),
    /// Something this database does by its own tools, not helpdesk's: the text says which.
    #[error("{0}")]
    NotHere(String),
    /// The database's insight counters were built for a time zone this build does not know.
    #[error("the database's insights are kept in a time zone this build does not know: {0}")]
    Zone(#[from] crate::domain::time::UnknownZone),
    /// The database holds a value this build cannot read (written by a newer one, or by hand).
    #[error("the database holds what this build cannot read: {0}")]
    Corrupt(String),
    /// The task that writes is gone (the server is shutting down).
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
            StoreError::Database { unavailable, .. } | StoreError::Shared { unavailable, .. } => {
                *unavailable
            }
            StoreError::WriterGone => true,
            StoreError::Migrate(_)
            | StoreError::Unsupported(_)
            | StoreError::NotHere(_)
            | StoreError::Zone(_)
            | StoreError::Corrupt(_) => false,
        }
    }

    /// Whether a backend should drop the connection that saw this error and open a new one.
    pub(crate) fn needs_reconnect(&self) -> bool {
        matches!(
            self,
            StoreError::Database {
                reconnect: true,
                ..
            }
        )
    }

    /// A copy of this error, for answering every job of a failed transaction.
    pub(crate) fn duplicate(&self) -> StoreError {
        StoreError::Shared {
            message: self.to_string(),
            unavailable: self.is_unavailable(),
        }
    }
}
