//! The SQLite backend: helpdesk's embedded default, one database file on one machine.
//!
//! Its way of being fast rests on SQLite having one writer:
//! - Reads go through a small pool of read-only connections.
//! - Every write goes through the single [`writer`] task, which runs the jobs queued together in
//!   one transaction (one fsync for a group of clicks) and answers each job after the commit.
//! - Because the writer sees every write in order, it keeps the visits it recently wrote in
//!   memory ([`recent`]), and page views read a customer's path from there instead of SQLite.
//!   That memory is right only while this process is the database's one writer: a backend shared
//!   by several processes must not hold visits this way.
//! - For the same reason ids may be taken as one more than the largest (`MAX(id) + 1`) inside the
//!   writer: no other writer can take the same one. A backend with several writers takes its ids
//!   from the database (a sequence or identity column) instead.
//!
//! Most of the store's SQL is shared with PostgreSQL (`super::shared`), which [`SqliteStore`]
//! runs through [`shared::Shared`]: reads on its pool, writes as jobs of its writer. The files here
//! are what only SQLite does: the click path (`visits`, with `recent`, `group` and `writer`),
//! opening tickets a group at a time (`escalations`), the latest attempts of a group of visits
//! (`rollups`), the per-client allowances (kept in memory: `allowances`), retention's own
//! bookkeeping of event ids (`retention`), and health and backups (`maintenance`).

mod allowances;
mod escalations;
mod group;
mod maintenance;
mod recent;
mod retention;
mod rollups;
mod visits;
mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Backend, NewTicket, StoreError, TicketCreated, shared};
use crate::store::counting::RollupZone;
use shared::{batches, keep_prepared};
use tokio::sync::oneshot;
use writer::Writer;

/// How many recently active visits the store keeps in memory (about 1-2 KB each). Customers
/// active at the same time beyond half of this are read back from the database, a group of
/// clicks together, on their next click.
const RECENT_VISITS: usize = 8_192;

/// The page cache of each read connection, in KiB as SQLite's `cache_size` takes it when
/// negative: a quarter of SQLite's default. Reads are mostly of one visit or one ticket; a page
/// not in it is read from the operating system's cache, which holds the database either way.
const READ_CACHE_KIB: &str = "-512";

/// An SQLite database: a read pool, the writer, and the visits the writer recently wrote.
#[derive(Debug)]
pub(super) struct SqliteStore {
    read: SqlitePool,
    writer: Writer,
    recent: Arc<recent::RecentVisits>,
    managers: shared::managers::ManagerCache,
    /// The zone the insight counters are keyed in, as the database records it.
    zone: RollupZone,
}

impl Backend for SqliteStore {}

/// The SQL both backends share runs on this store's read pool and, for writes, its single writer.
#[async_trait::async_trait]
impl shared::Shared for SqliteStore {
    fn pool(&self) -> shared::Pool<'_> {
        shared::Pool::Sqlite(&self.read)
    }

    fn manager_cache(&self) -> &shared::managers::ManagerCache {
        &self.managers
    }

    fn rollup_zone(&self) -> &RollupZone {
        &self.zone
    }

    async fn open_ticket(&self, new: NewTicket) -> Result<Option<TicketCreated>, StoreError> {
        // The outcome was committed before its form was shown, so the visit's committed events
        // (held in memory if the visit is recent) include everything the ticket's path needs.
        let held = self
            .recent
            .get(&new.visit)
            .filter(|v| v.has_event(new.outcome_event));
        let (reply, answer) = oneshot::channel();
        self.writer
            .open_ticket(escalations::TicketJob { new, held, reply })
            .await?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    async fn transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(shared::Conn<'c>) -> shared::WriteFuture<'c, T> + Send + 'static,
        T: Send + 'static,
    {
        self.writer
            .run(move |conn| work(shared::Conn::Sqlite(conn)))
            .await
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub(super) async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: what a customer is told is saved survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .disable_statement_logging();
        let mut conn = options.connect().await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut conn)
            .await
            .map_err(|e| StoreError::Migrate(Box::new(e)))?;
        let zone = RollupZone::new(shared::rebuild::recorded_zone((&mut conn).into()).await?);
        let read = SqlitePoolOptions::new()
            // Each connection is a thread with its own page cache; most page views read the
            // visits held in memory, and two cores keep no more than a few reads busy at once.
            .max_connections(4)
            // A pooled SQLite connection lives in this process: pinging it on every acquire only
            // adds a round trip to its thread.
            .test_before_acquire(false)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(
                options
                    .clone()
                    .read_only(true)
                    .pragma("cache_size", READ_CACHE_KIB),
            )
            .await?;
        let recent = Arc::new(recent::RecentVisits::new(RECENT_VISITS));
        Ok(SqliteStore {
            read,
            writer: Writer::start(conn, options, recent.clone(), zone.clone()),
            recent,
            managers: shared::managers::ManagerCache::default(),
            zone,
        })
    }
}

/// SQLite's primary result codes that mean "unavailable for now": BUSY, LOCKED, READONLY, IOERR,
/// FULL, CANTOPEN.
const UNAVAILABLE_CODES: [i32; 6] = [5, 6, 8, 10, 13, 14];
/// The codes after which the connection is in doubt: READONLY, IOERR, CANTOPEN.
const RECONNECT_CODES: [i32; 3] = [8, 10, 14];

/// Whether an error SQLite reported with `code` means the database is unavailable for now, and
/// whether the connection is in doubt (see `super::database_error`).
pub(super) fn classify(code: &str) -> (bool, bool) {
    let Ok(code) = code.parse::<i32>().map(|c| c & 0xff) else {
        return (false, false);
    };
    (
        UNAVAILABLE_CODES.contains(&code),
        RECONNECT_CODES.contains(&code),
    )
}

#[cfg(test)]
mod tests {
    use super::batches;

    #[test]
    fn batches_are_powers_of_two_in_order_and_cover_every_row() {
        for n in [0usize, 1, 2, 3, 7, 37, 256, 257, 1000] {
            let rows: Vec<usize> = (0..n).collect();
            let sizes: Vec<usize> = batches(&rows).map(<[usize]>::len).collect();
            assert!(
                sizes.iter().all(|s| s.is_power_of_two() && *s <= 256),
                "{n}: {sizes:?}"
            );
            assert_eq!(batches(&rows).flatten().copied().collect::<Vec<_>>(), rows);
        }
        let rows = [0; 37];
        assert_eq!(
            batches(&rows).map(<[i32]>::len).collect::<Vec<_>>(),
            [32, 4, 1]
        );
    }
}
