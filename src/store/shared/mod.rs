//! The SQL both backends run alike, written once.
//!
//! Most of what the store does is the same statement on SQLite and PostgreSQL, decoded into the
//! same types; only sqlx's types differ (`SqlitePool`, `SqliteConnection` and `SqliteRow` against
//! `PgPool`, `PgConnection` and `PgRow`). Code here takes the backend's read pool as a [`Pool`],
//! or the connection of a write's transaction as a [`Conn`], and runs each statement through
//! [`on_pool!`] or [`on_conn!`], which write the statement out once per backend: each is
//! compiled with that backend's own types, and nothing is converted at run time. Where a
//! statement must differ, the [`Dialect`] of the pool or connection gives the backend's spelling.
//!
//! An interface whose every method is shared is implemented here once, for every backend that
//! implements [`Shared`]: its read pool, its zone, and a way to run a write in a transaction of
//! its own (SQLite's single writer; PostgreSQL's pool). What differs in substance stays in the
//! backend's folder: the click path (SQLite's writer groups clicks and remembers recent visits;
//! PostgreSQL locks rows, since another instance may be writing), and each backend's own
//! administration.

pub(super) mod contact;
pub(super) mod conversation;
pub(super) mod escalations;
pub(super) mod events;
pub(super) mod exports;
pub(super) mod guides;
pub(super) mod insights;
pub(super) mod insights_raw;
pub(super) mod managers;
pub(super) mod outbox;
pub(super) mod pending;
pub(super) mod privacy;
pub(super) mod queue;
pub(super) mod rebuild;
pub(super) mod rollups;
pub(super) mod search;
pub(super) mod seed;
pub(super) mod sessions;
pub(super) mod targets;
pub(super) mod tickets;
pub(super) mod work;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

use crate::domain::path::{Event, EventKind, Name};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone};
use crate::store::counting::RollupZone;
use crate::store::{NewTicket, StoreError, TicketCreated};

/// What a backend gives the shared code.
#[async_trait]
pub(in crate::store) trait Shared: Send + Sync {
    /// The read pool.
    fn pool(&self) -> Pool<'_>;

    /// The list of managers this store keeps in memory.
    fn manager_cache(&self) -> &managers::ManagerCache;

    /// The zone the insight counters are keyed in, as every part of this store shares it.
    fn rollup_zone(&self) -> &RollupZone;

    /// The zone the insight counters are keyed in, and deadlines counted in.
    fn zone(&self) -> Zone {
        self.rollup_zone().get()
    }

    /// Opens the ticket an escalation asks for (each backend keeps the visit's path its own way:
    /// see [`TicketStore::create_ticket`](crate::store::TicketStore::create_ticket)).
    async fn open_ticket(&self, new: NewTicket) -> Result<Option<TicketCreated>, StoreError>;

    /// Runs `work` in a transaction of its own: committed when it returns `Ok`, rolled back
    /// otherwise.
    async fn transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(Conn<'c>) -> WriteFuture<'c, T> + Send + 'static,
        T: Send + 'static;
}

/// The work of [`Shared::transaction`], borrowing its connection.
pub(in crate::store) type WriteFuture<'c, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// The connection of a write's transaction.
pub(in crate::store) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Conn<'c> {
        Conn::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(conn: &'c mut PgConnection) -> Conn<'c> {
        Conn::Postgres(conn)
    }
}

impl Conn<'_> {
    /// The SQL spoken on this connection.
    pub(in crate::store) fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The same connection, for one statement, keeping this one for the next.
    pub(in crate::store) fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// Runs `$body` with `$conn` bound to the backend's own connection (`&mut SqliteConnection` or
/// `&mut PgConnection`), taken from a [`Conn`].
macro_rules! on_conn {
    ($from:expr, |$conn:ident| $body:expr) => {
        match $from {
            $crate::store::shared::Conn::Sqlite($conn) => $body,
            $crate::store::shared::Conn::Postgres($conn) => $body,
        }
    };
}
pub(super) use on_conn;

/// A backend's pool of read connections.
#[derive(Clone, Copy)]
pub(in crate::store) enum Pool<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

impl Pool<'_> {
    /// The SQL spoken on this pool.
    pub(in crate::store) fn dialect(self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// Where the two backends spell a statement differently.
#[derive(Clone, Copy)]
pub(in crate::store) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// What a `SELECT` ends with to lock the rows it reads until the transaction ends: nothing
    /// on SQLite, whose single writer makes every write transaction wait its turn;
    /// ` FOR UPDATE` on PostgreSQL, where another instance may be writing.
    pub(in crate::store) fn lock_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// What a `SELECT` of rows to work on ends with so that instances take different rows:
    /// nothing on SQLite (one writer); ` FOR UPDATE SKIP LOCKED` on PostgreSQL.
    pub(in crate::store) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The statement reading the highest ticket number given so far. On PostgreSQL it is kept in
    /// a row of its own, locked until the transaction ends, so numbers stay unique and gapless
    /// across instances; SQLite's single writer reads it from the tickets.
    pub(in crate::store) fn last_ticket_number(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT COALESCE(MAX(number), 0) FROM tickets",
            Dialect::Postgres => "SELECT last FROM ticket_number WHERE id = 1 FOR UPDATE",
        }
    }

    /// The statement recording `$1` as the highest ticket number given, where a row keeps it.
    pub(in crate::store) fn record_ticket_number(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("UPDATE ticket_number SET last = $1 WHERE id = 1"),
        }
    }

    /// What a `SELECT` of rows to work on ends with so that instances take different rows of
    /// `table` (an alias of the query's): nothing on SQLite; ` FOR UPDATE OF table SKIP LOCKED`
    /// on PostgreSQL.
    pub(in crate::store) fn skip_locked_of(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => String::new(),
            Dialect::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
        }
    }

    /// The SQL joining the group's values of `column`, one a line, in the order of `order_by`:
    /// SQLite's `group_concat` (in the rows' order), PostgreSQL's `string_agg`.
    pub(in crate::store) fn joined_lines(self, column: &str, order_by: &str) -> String {
        match self {
            Dialect::Sqlite => format!("group_concat({column}, char(10))"),
            Dialect::Postgres => format!("string_agg({column}, chr(10) ORDER BY {order_by})"),
        }
    }

    /// The SQL for the larger of two values: SQLite's two-argument `MAX`, PostgreSQL's
    /// `GREATEST`.
    pub(in crate::store) fn greatest(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!("MAX({a}, {b})"),
            Dialect::Postgres => format!("GREATEST({a}, {b})"),
        }
    }

    /// The SQL for "`haystack` contains `needle` literally" (no wildcards to escape): SQLite's
    /// `instr`, PostgreSQL's `strpos`.
    pub(in crate::store) fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Dialect::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }
}

/// Runs `$body` with `$pool` bound to the backend's own pool (`&SqlitePool` or `&PgPool`): the
/// body is written once and compiled once per backend.
macro_rules! on_pool {
    ($from:expr, |$pool:ident| $body:expr) => {
        match $from {
            $crate::store::shared::Pool::Sqlite($pool) => $body,
            $crate::store::shared::Pool::Postgres($pool) => $body,
        }
    };
}
pub(super) use on_pool;

/// The most rows one multi-row statement writes: at 20 values a row (a ticket), well under
/// SQLite's limit on bound values (and PostgreSQL's 65,535).
const MAX_ROWS_PER_STATEMENT: usize = 256;

/// `rows` in slices of 256, 128, ... 2 or 1 rows: the statements that write them.
///
/// A group of clicks is written with statements of one row per click, whose text differs with
/// the number of rows, and each text takes a place in the connection's cache of prepared
/// statements. Slices of any size would fill that cache with up to 100 compiled statements of up
/// to hundreds of rows each (megabytes a connection, held for ever) or prepare each anew; slices
/// whose sizes are powers of two need at most nine statements a kind of row, all kept prepared,
/// at the price of a few more statements for an odd-sized group.
pub(in crate::store) fn batches<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = MAX_ROWS_PER_STATEMENT.min(1 << rest.len().ilog2());
        let (batch, tail) = rest.split_at(size);
        rest = tail;
        Some(batch)
    })
}

/// Whether a statement over `rows` values of an `IN (...)` list is worth keeping prepared: the
/// small lists a quiet site asks for again and again. A longer list (a busy moment's group, where
/// the preparing is shared by its clicks) is prepared for the one use, for the reason given at
/// [`batches`].
pub(in crate::store) fn keep_prepared(rows: usize) -> bool {
    rows <= 4
}

/// A ticket's status from its row's `status` column, on either backend.
pub(super) fn status_of<R>(row: &R) -> Result<TicketStatus, sqlx::Error>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    TicketStatus::from_name(&status)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown status {status}").into()))
}

/// A path event from its row in `visit_events`, on either backend.
pub(in crate::store) fn event<R>(row: R) -> Result<Event, sqlx::Error>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: &str = row.try_get("kind")?;
    Ok(Event {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        at: Timestamp(row.try_get("at")?),
        kind: EventKind::from_name(kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown event kind {kind}").into()))?,
        guide_version: row.try_get::<&str, _>("guide_version")?.into(),
        problem_id: row.try_get::<&str, _>("problem_id")?.into(),
        node_id: row.try_get::<&str, _>("node_id")?.into(),
        choice_index: row.try_get("choice_index")?,
        next_id: row.try_get::<Option<&str>, _>("next_id")?.map(Name::from),
        outcome_kind: row
            .try_get::<Option<&str>, _>("outcome_kind")?
            .map(Name::from),
    })
}
