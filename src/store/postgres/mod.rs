//! The PostgreSQL backend: for installations that outgrow one machine, with several helpdesk
//! instances behind a balancer on one database.
//!
//! The SQLite backend is fast because it is the database's one writer; this one assumes the
//! opposite, that any other instance may write at any moment:
//! - every write is one transaction on a pooled connection, and a click locks its visit's row
//!   (`SELECT ... FOR UPDATE`), so two instances write one visit's clicks one after the other,
//!   each deciding from what the other committed;
//! - nothing read from the database is kept in memory between requests (no visits, no managers),
//!   since another instance may have changed it;
//! - row ids come from identity columns, ticket numbers from one locked row (`ticket_number`);
//! - background work takes row leases (`FOR UPDATE SKIP LOCKED`), so it runs once however many
//!   instances run it.
//!
//! Most of the store's SQL is shared with SQLite (`super::shared`), which [`PgStore`] runs
//! through [`shared::Shared`]: reads on its pool, each write in a transaction of its own. The
//! files here are what only PostgreSQL does: the click path under the visit's lock (`visits`),
//! opening tickets under the visits' locks (`escalations`), per-client allowances kept in a table
//! every instance shares (`allowances`), retention taking its rows with `SKIP LOCKED`
//! (`retention`), and health and backups (`maintenance`).
//!
//! Its schema is `migrations/postgres/`, the same tables and columns as the SQLite migrations
//! leave, with BIGINT for every integer.

mod allowances;
mod escalations;
mod maintenance;
mod retention;
mod visits;

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::store::counting::RollupZone;
use crate::store::{NewTicket, StoreError, TicketCreated, shared};

/// Connections each instance keeps at most: a few per core serve the clicks, the console and
/// the background work; PostgreSQL's default of 100 leaves room for several instances.
const MAX_CONNECTIONS: u32 = 16;

/// How long a statement waits for a lock another session holds before it gives up, and the
/// request answers "unavailable, try again" rather than hanging (SQLite's busy timeout is the
/// same five seconds).
const LOCK_TIMEOUT: &str = "5s";

/// A boxed future borrowing a transaction's connection: the work of [`PgStore::write`].
pub type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

impl crate::store::Backend for PgStore {}

/// The PostgreSQL store.
#[derive(Debug)]
pub struct PgStore {
    /// The pool every read and write takes a connection from.
    read: PgPool,
    /// The zone the insight counters are keyed in, as this instance started with it.
    zone: RollupZone,
    /// The list of managers, kept with the generation it was read at (see `managers`): the
    /// generation comes from the database with each session, so a list another instance
    /// changed is never served.
    managers: shared::managers::ManagerCache,
}

/// The SQL both backends share runs on this store's read pool and, for writes, a transaction of the pool's.
#[async_trait::async_trait]
impl shared::Shared for PgStore {
    fn pool(&self) -> shared::Pool<'_> {
        shared::Pool::Postgres(&self.read)
    }

    fn manager_cache(&self) -> &shared::managers::ManagerCache {
        &self.managers
    }

    fn rollup_zone(&self) -> &RollupZone {
        &self.zone
    }

    async fn open_ticket(&self, new: NewTicket) -> Result<Option<TicketCreated>, StoreError> {
        let zone = self.zone.get();
        self.write(move |conn| {
            Box::pin(async move {
                Ok(escalations::open_tickets(conn, vec![new], &zone)
                    .await?
                    .pop()
                    .flatten())
            })
        })
        .await
    }

    async fn transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(shared::Conn<'c>) -> shared::WriteFuture<'c, T> + Send + 'static,
        T: Send + 'static,
    {
        self.write(move |conn| work(shared::Conn::Postgres(conn)))
            .await
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`) and brings its
    /// schema up to date; several instances starting at once migrate it once (sqlx holds an
    /// advisory lock while it migrates).
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            .application_name("helpdesk")
            .disable_statement_logging();
        // Migrated on a connection of its own, which waits as long as another instance takes
        // to migrate; the pool's connections give up on a lock after LOCK_TIMEOUT instead.
        let mut setup = PgConnection::connect_with(&options).await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&mut setup)
            .await
            .map_err(|e| StoreError::Migrate(Box::new(e)))?;
        setup.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.options([("lock_timeout", LOCK_TIMEOUT)]))
            .await?;
        let zone = shared::rebuild::recorded_zone((&mut *pool.acquire().await?).into()).await?;
        Ok(PgStore {
            read: pool,
            zone: RollupZone::new(zone),
            managers: shared::managers::ManagerCache::default(),
        })
    }

    /// Runs `work` in a transaction of its own (READ COMMITTED): committed when it returns `Ok`,
    /// rolled back otherwise. Work that decides from what it read locks those rows first
    /// (`FOR UPDATE`), since another instance may be changing them.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(&'c mut PgConnection) -> TxFuture<'c, T> + Send,
        T: Send,
    {
        let mut tx = self.read.begin().await?;
        let result = work(&mut tx).await;
        match result {
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}

/// SQLSTATE classes and codes that mean "unavailable for now": connection exceptions (08),
/// insufficient resources such as a full disk (53), the server shutting down or not yet
/// accepting connections (57P01-57P03), a read-only transaction (25006), a lock not granted
/// (55P03), and a transaction that lost a serialization race or a deadlock (40001, 40P01), which
/// the client may retry.
const UNAVAILABLE: [&str; 7] = [
    "25006", "40001", "40P01", "55P03", "57P01", "57P02", "57P03",
];

/// Whether an error PostgreSQL reported with SQLSTATE `code` means the database is unavailable
/// for now, and whether the connection is in doubt (see `super::database_error`).
pub(super) fn classify(code: &str) -> (bool, bool) {
    let class = code.get(..2).unwrap_or_default();
    let lost = class == "08" || code == "57P01";
    (lost || class == "53" || UNAVAILABLE.contains(&code), lost)
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn sqlstates_read_as_unavailable_or_not() {
        assert_eq!(classify("08006"), (true, true), "connection failure");
        assert_eq!(classify("53100"), (true, false), "disk full");
        assert_eq!(classify("40P01"), (true, false), "deadlock");
        assert_eq!(classify("57P01"), (true, true), "admin shutdown");
        assert_eq!(classify("23505"), (false, false), "unique violation: a bug");
        assert_eq!(classify("42P01"), (false, false), "undefined table: a bug");
    }
}
