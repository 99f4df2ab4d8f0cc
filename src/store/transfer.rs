//! Moving an installation from SQLite to PostgreSQL (`helpdesk migrate-database`): every table
//! copied column for column into an empty PostgreSQL database in one transaction, then checked
//! table by table (rows and a checksum of their values) before it commits.
//!
//! The two schemas are the same tables and columns (`tests/postgres_schema.rs`), so the copy
//! needs no mapping: integers stay integers, texts texts. The counters kept by triggers (queue
//! counts, insight counters, search text) are copied as they are, with the triggers on the
//! target's tables switched off for the copy, so the insights read the same figures after.
//! Console sessions are not copied: managers sign in again.

use std::str::FromStr;

use futures_util::TryStreamExt;

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Postgres, QueryBuilder, Row};

use super::{Store, StoreError};

/// The tables copied, parents before the tables that reference them.
const TABLES: &[&str] = &[
    "guide_versions",
    "visits",
    "visit_events",
    "managers",
    "domain_routes",
    "canned_replies",
    "response_targets",
    "tickets",
    "ticket_path",
    "ticket_notes",
    "ticket_audit",
    "ticket_messages",
    "ticket_ratings",
    "ticket_search",
    "ticket_counts",
    "outbox",
    "outbox_attempts",
    "insight_zone",
    "insight_zone_offsets",
    "insight_attempts",
    "insight_daily",
    "insight_hourly",
    "insight_resolutions",
    "insight_resolution_hours",
    "insight_tickets",
    "insight_contacts_sent",
    "manager_generation",
    "visit_retention",
    "sign_in_failures",
    "console_pending_forms",
];

/// Tables a new PostgreSQL database already holds one row in (its migration's defaults): the
/// copy replaces that row.
const SINGLE_ROWS: &[&str] = &[
    "insight_zone",
    "insight_zone_offsets",
    "manager_generation",
    "visit_retention",
];

/// The tables whose triggers keep other tables: switched off while the rows are copied, since
/// what they would keep is copied too.
const WITH_TRIGGERS: &[&str] = &["tickets", "ticket_notes", "managers", "insight_attempts"];

/// Rows read and written per statement.
const PAGE: i64 = 2_000;

/// What was copied, table by table: (table, rows, checksum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Each table copied, in order.
    pub tables: Vec<(String, u64, String)>,
}

/// A column's value as both databases hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Copies the SQLite database at `from` (brought up to date first) into the empty PostgreSQL
/// database at `to` (given its schema first); refuses a target that holds any data.
pub async fn sqlite_to_postgres(from: &str, to: &str) -> Result<Transfer, StoreError> {
    if !from.starts_with("sqlite:") {
        return Err(StoreError::NotHere(format!(
            "--from must be a SQLite database (sqlite://PATH), not {from:?}"
        )));
    }
    if !(to.starts_with("postgres:") || to.starts_with("postgresql:")) {
        return Err(StoreError::NotHere(
            "--to must be a PostgreSQL database (postgres://USER@HOST/DB)".into(),
        ));
    }
    // Both schemas up to date, by the backends' own migrations.
    let path = from
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    if !std::path::Path::new(path.split('?').next().unwrap_or(path)).exists() {
        return Err(StoreError::NotHere(format!("{from}: no such database")));
    }
    Store::open(from).await?.close().await;
    Store::open(to).await?.close().await;

    let mut source = SqliteConnectOptions::from_str(from)?
        .read_only(true)
        .connect()
        .await?;
    let mut target = PgConnection::connect(to).await?;
    let mut tx = target.begin().await?;
    refuse_unless_empty(&mut tx).await?;
    for table in WITH_TRIGGERS {
        sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await?;
    }
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        if SINGLE_ROWS.contains(table) {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        let columns = columns(&mut tx, table).await?;
        let (rows, sum) = copy_table(&mut source, &mut tx, table, &columns).await?;
        let (back, back_sum) = checksum_target(&mut tx, table, &columns).await?;
        if (rows, &sum) != (back, &back_sum) {
            return Err(StoreError::Corrupt(format!(
                "{table}: {rows} rows read (checksum {sum}), {back} written (checksum {back_sum})"
            )));
        }
        copied.push((table.to_string(), rows, sum));
    }
    for table in WITH_TRIGGERS {
        sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await?;
    }
    // Ids and ticket numbers go on after the largest copied (and deleted) ones.
    for table in [
        "visit_events",
        "sign_in_failures",
        "canned_replies",
        "ticket_notes",
        "ticket_audit",
        "ticket_messages",
        "outbox",
    ] {
        let floor = if table == "visit_events" {
            "(SELECT highest_event_id FROM visit_retention)"
        } else {
            "0"
        };
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                           GREATEST((SELECT MAX(id) FROM {table}), {floor}, 1))"
        ))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE ticket_number SET last = COALESCE((SELECT MAX(number) FROM tickets), 0) WHERE id = 1",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Transfer { tables: copied })
}

/// Refuses a target that holds any row beyond its migration's defaults.
async fn refuse_unless_empty(tx: &mut PgConnection) -> Result<(), StoreError> {
    for table in TABLES.iter().chain(&["manager_sessions"]) {
        if SINGLE_ROWS.contains(table) {
            continue;
        }
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Err(StoreError::NotHere(format!(
                "the target database is not empty ({table} holds {n} rows): \
                 migrate-database copies into a new, empty database only"
            )));
        }
    }
    Ok(())
}

/// The columns of `table` as the target holds them: (name, is an integer), in order.
async fn columns(tx: &mut PgConnection, table: &str) -> Result<Vec<(String, bool)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, kind)| (name, kind == "bigint"))
        .collect())
}

fn value_of<R>(row: &R, i: usize, integer: bool) -> Result<Value, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(if integer {
        Value::Int(row.try_get(i)?)
    } else {
        Value::Text(row.try_get(i)?)
    })
}

/// The quoted names of `columns`, comma-separated.
fn column_list(columns: &[(String, bool)]) -> String {
    columns
        .iter()
        .map(|(c, _)| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An order-free checksum of rows: the sum of each row's SHA-256 (its first 16 bytes), so the
/// two databases' row orders need not agree.
#[derive(Default)]
struct Sum(u128);

impl Sum {
    fn add(&mut self, row: &[Value]) {
        let mut h = Sha256::new();
        for v in row {
            match v {
                Value::Int(Some(n)) => h.update(format!("i{n};")),
                Value::Text(Some(t)) => h.update(format!("t{}:{t};", t.len())),
                Value::Int(None) | Value::Text(None) => h.update("n;"),
            }
        }
        let digest = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.0 = self.0.wrapping_add(u128::from_be_bytes(first));
    }

    fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

/// Copies `table` page by page (in rowid order); returns its rows and checksum as read.
async fn copy_table(
    source: &mut SqliteConnection,
    tx: &mut PgConnection,
    table: &str,
    columns: &[(String, bool)],
) -> Result<(u64, String), StoreError> {
    let list = column_list(columns);
    let mut after = i64::MIN;
    let (mut rows, mut sum) = (0u64, Sum::default());
    loop {
        let page = sqlx::query(&format!(
            "SELECT rowid, {list} FROM {table} WHERE rowid > $1 ORDER BY rowid LIMIT $2"
        ))
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *source)
        .await?;
        let Some(last) = page.last() else { break };
        after = last.try_get(0)?;
        let mut values: Vec<Vec<Value>> = Vec::with_capacity(page.len());
        for row in &page {
            let v = columns
                .iter()
                .enumerate()
                .map(|(i, (_, integer))| value_of(row, i + 1, *integer))
                .collect::<Result<Vec<_>, _>>()?;
            sum.add(&v);
            values.push(v);
        }
        rows += values.len() as u64;
        // A statement's worth of rows at a time: PostgreSQL binds at most 65,535 values.
        let per_statement = (60_000 / columns.len().max(1)).max(1);
        for chunk in values.chunks(per_statement) {
            let mut q = QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({list}) "));
            q.push_values(chunk, |mut b, row| {
                for v in row {
                    match v {
                        Value::Int(n) => b.push_bind(*n),
                        Value::Text(t) => b.push_bind(t.clone()),
                    };
                }
            });
            q.build().execute(&mut *tx).await?;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok((rows, sum.hex()))
}

/// The rows and checksum of `table` as the target now holds it.
async fn checksum_target(
    tx: &mut PgConnection,
    table: &str,
    columns: &[(String, bool)],
) -> Result<(u64, String), StoreError> {
    let list = column_list(columns);
    let sql = format!("SELECT {list} FROM {table}");
    let mut rows = sqlx::query(&sql).fetch(&mut *tx);
    let (mut n, mut sum) = (0u64, Sum::default());
    while let Some(row) = rows.try_next().await? {
        let v = columns
            .iter()
            .enumerate()
            .map(|(i, (_, integer))| value_of(&row, i, *integer))
            .collect::<Result<Vec<_>, _>>()?;
        sum.add(&v);
        n += 1;
    }
    Ok((n, sum.hex()))
}

/// The tables copied, for the report.
pub fn report(transfer: &Transfer) -> String {
    let width = transfer
        .tables
        .iter()
        .map(|(t, _, _)| t.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (table, rows, sum) in &transfer.tables {
        out.push_str(&format!(
            "{table:width$}  {rows:>10} rows  checksum {sum}  ok\n"
        ));
    }
    out
}
