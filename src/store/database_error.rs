//! sqlx's errors as [`StoreError`]s: whether the database is unavailable for now (a 503 the
//! client may retry) and whether the connection that saw it is in doubt, as each backend's codes
//! say.

use sqlx::error::DatabaseError;

use super::{StoreError, postgres, sqlite};

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        let (unavailable, reconnect) = match &e {
            sqlx::Error::Io(_) => (true, true),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => (true, false),
            sqlx::Error::Database(d) => classify(d.as_ref()),
            _ => (false, false),
        };
        StoreError::Database {
            unavailable,
            reconnect,
            source: Box::new(e),
        }
    }
}

/// The backend's own reading of a database error's code.
fn classify(d: &dyn DatabaseError) -> (bool, bool) {
    let Some(code) = d.code() else {
        return (false, false);
    };
    if d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        postgres::classify(&code)
    } else {
        sqlite::classify(&code)
    }
}
