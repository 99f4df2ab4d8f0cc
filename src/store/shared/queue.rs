//! The queue's pages: tickets filtered, searched and sorted, read a page at a time with a keyset
//! cursor in either direction, with counts per status; and a customer's other tickets.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::query::Query;

use super::{Pool, Shared, on_pool, status_of};
use crate::domain::targets::NO_DEADLINE;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;
use crate::store::{
    AssigneeFilter, Cursor, QueueFilter, QueuePage, QueueRow, QueueSort, QueueStore, Search,
    StatusFilter, StoreError, fold,
};

/// A query's WHERE clauses and their values, numbered `$1`, `$2`, ... in order.
#[derive(Default, Clone)]
struct Conditions {
    clauses: Vec<String>,
    values: Vec<Value>,
}

#[derive(Clone)]
enum Value {
    Text(String),
    Int(i64),
}

impl Conditions {
    fn push(&mut self, clause: &str, values: Vec<Value>) {
        let mut clause = clause.to_string();
        for i in 0..values.len() {
            clause = clause.replacen('?', &format!("${}", self.values.len() + i + 1), 1);
        }
        self.clauses.push(clause);
        self.values.extend(values);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn bind<'q, DB>(
        &'q self,
        mut query: Query<'q, DB, DB::Arguments<'q>>,
    ) -> Query<'q, DB, DB::Arguments<'q>>
    where
        DB: sqlx::Database,
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        for v in &self.values {
            query = match v {
                Value::Text(s) => query.bind(s.as_str()),
                Value::Int(i) => query.bind(*i),
            };
        }
        query
    }

    /// Tickets strictly beyond `cursor` in the sort's order (`forward`), or strictly before it.
    fn beyond(&mut self, sort: QueueSort, cursor: Cursor, forward: bool) {
        let (column, descending) = sort.key();
        let op = if descending == forward { "<" } else { ">" };
        self.push(
            &format!("(t.{column}, t.number) {op} (?, ?)"),
            vec![Value::Int(cursor.at.millis()), Value::Int(cursor.number)],
        );
    }
}

/// The conditions of every filter except status and the cursor.
fn base_conditions(pool: Pool<'_>, filter: &QueueFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(kind) = &filter.kind {
        c.push("t.outcome_kind = ?", vec![Value::Text(kind.clone())]);
    }
    if let Some(problem) = &filter.problem {
        c.push("t.problem_id = ?", vec![Value::Text(problem.clone())]);
    }
    match &filter.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Unassigned => c.push("t.assignee_id IS NULL", vec![]),
        AssigneeFilter::Manager(id) => c.push("t.assignee_id = ?", vec![Value::Text(id.clone())]),
    }
    match &filter.search {
        None => {}
        Some(Search::Number(n)) => c.push("t.number = ?", vec![Value::Int(*n)]),
        // Text folded the same way as the needle, containing it: literal (no wildcards to
        // escape) and case-insensitive beyond ASCII.
        Some(Search::Text(text)) => c.push(
            &format!(
                "t.id IN (SELECT s.ticket_id FROM ticket_search s WHERE {})",
                pool.dialect().contains("s.folded", "?")
            ),
            vec![Value::Text(fold(text))],
        ),
    }
    if let Some(from) = filter.opened_from {
        c.push("t.created_at >= ?", vec![Value::Int(from.millis())]);
    }
    if let Some(before) = filter.opened_before {
        c.push("t.created_at < ?", vec![Value::Int(before.millis())]);
    }
    c
}

/// The conditions of every filter except the cursor.
fn page_conditions(pool: Pool<'_>, filter: &QueueFilter) -> Conditions {
    let mut c = base_conditions(pool, filter);
    match filter.status {
        StatusFilter::Any => {}
        StatusFilter::Open => c.push(
            "t.status IN ('new', 'in-progress', 'waiting-on-customer')",
            vec![],
        ),
        StatusFilter::Is(s) => c.push("t.status = ?", vec![Value::Text(s.as_str().into())]),
    }
    c
}

/// The conditions of the non-search filters on `ticket_counts`, which keeps the number of tickets
/// per problem, kind, assignee ('' for nobody) and status.
fn kept_count_conditions(filter: &QueueFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(kind) = &filter.kind {
        c.push("c.outcome_kind = ?", vec![Value::Text(kind.clone())]);
    }
    if let Some(problem) = &filter.problem {
        c.push("c.problem_id = ?", vec![Value::Text(problem.clone())]);
    }
    match &filter.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Unassigned => c.push("c.assignee_id = ''", vec![]),
        // '' stands for nobody here; no manager has it as an id.
        AssigneeFilter::Manager(id) if id.is_empty() => c.push("0 = 1", vec![]),
        AssigneeFilter::Manager(id) => c.push("c.assignee_id = ?", vec![Value::Text(id.clone())]),
    }
    c
}

const ROW_COLUMNS: &str =
    "t.number, t.status, t.created_at, t.updated_at, t.problem_id, t.outcome_kind,
    t.customer_name, t.customer_email, m.name AS assignee_name, t.due_at";

fn queue_row<R>(r: &R) -> Result<QueueRow, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(QueueRow {
        number: r.try_get("number")?,
        status: status_of(r)?,
        created_at: Timestamp(r.try_get("created_at")?),
        updated_at: Timestamp(r.try_get("updated_at")?),
        problem_id: r.try_get("problem_id")?,
        outcome_kind: r.try_get("outcome_kind")?,
        customer_name: r.try_get("customer_name")?,
        customer_email: r.try_get("customer_email")?,
        assignee_name: r.try_get("assignee_name")?,
        due_at: Some(Timestamp(r.try_get("due_at")?)).filter(|t| t.0 != NO_DEADLINE),
    })
}

fn cursor_of(sort: QueueSort, row: &QueueRow) -> Cursor {
    Cursor {
        at: match sort {
            QueueSort::Newest | QueueSort::Oldest => row.created_at,
            QueueSort::Updated => row.updated_at,
            QueueSort::Due => row.due_at.unwrap_or(Timestamp(NO_DEADLINE)),
        },
        number: row.number,
    }
}

#[async_trait]
impl<S: Shared> QueueStore for S {
    async fn queue(&self, filter: &QueueFilter, limit: u32) -> Result<QueuePage, StoreError> {
        if matches!(filter.search, Some(Search::Text(_))) {
            super::search::fold_search_text(self).await;
        }
        queue(self.pool(), filter, limit).await
    }

    async fn customer_tickets(
        &self,
        email: &str,
        except: i64,
        limit: u32,
    ) -> Result<Vec<QueueRow>, StoreError> {
        customer_tickets(self.pool(), email, except, limit).await
    }
}

/// A page of the queue, its search text folded: see [`QueueStore::queue`].
async fn queue(pool: Pool<'_>, filter: &QueueFilter, limit: u32) -> Result<QueuePage, StoreError> {
    on_pool!(pool, |read| {
        let sort = filter.sort;
        let (column, descending) = sort.key();
        // A previous page is read backwards from its cursor, then turned round.
        let backwards = filter.before.is_some();
        let mut page = page_conditions(pool, filter);
        if let Some(before) = filter.before {
            page.beyond(sort, before, false);
        } else if let Some(after) = filter.after {
            page.beyond(sort, after, true);
        }
        let dir = if descending != backwards {
            "DESC"
        } else {
            "ASC"
        };
        let sql = format!(
            "SELECT {ROW_COLUMNS}
             FROM tickets t LEFT JOIN managers m ON m.id = t.assignee_id
             {}
             ORDER BY t.{column} {dir}, t.number {dir}
             LIMIT {}",
            page.sql(),
            u64::from(limit) + 1
        );
        // One connection for every read: each acquire and release of a pooled connection costs
        // a round trip to its thread.
        let mut conn = read.acquire().await?;
        let rows = page.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
        let mut rows = rows
            .iter()
            .map(queue_row)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        // Whether anything lies beyond the far end of the page that the cursor did not tell.
        let probe = |from: Option<&QueueRow>, forward: bool| {
            let mut c = page_conditions(pool, filter);
            let sql = from.map(|row| {
                c.beyond(sort, cursor_of(sort, row), forward);
                format!("SELECT 1 FROM tickets t {} LIMIT 1", c.sql())
            });
            (c, sql)
        };
        let (next, previous) = if backwards {
            let (c, sql) = probe(rows.last(), true);
            let later = match sql {
                Some(sql) => c.bind(sqlx::query(&sql)).fetch_optional(&mut *conn).await?,
                None => None,
            };
            (
                later.and(rows.last()).map(|r| cursor_of(sort, r)),
                if more { rows.first() } else { None }.map(|r| cursor_of(sort, r)),
            )
        } else {
            let earlier = match (filter.after, probe(rows.first(), false)) {
                (Some(_), (c, Some(sql))) => {
                    c.bind(sqlx::query(&sql)).fetch_optional(&mut *conn).await?
                }
                _ => None,
            };
            (
                if more { rows.last() } else { None }.map(|r| cursor_of(sort, r)),
                earlier.and(rows.first()).map(|r| cursor_of(sort, r)),
            )
        };

        let dated = filter.opened_from.is_some() || filter.opened_before.is_some();
        let (counting, sql) = match filter.search {
            None if !dated => {
                let kept = kept_count_conditions(filter);
                let sql = format!(
                    "SELECT c.status, CAST(SUM(c.tickets) AS BIGINT) AS n FROM ticket_counts c {} GROUP BY c.status",
                    kept.sql()
                );
                (kept, sql)
            }
            // A search matches tickets by text or number, and dates by when they were opened,
            // which no kept count can tell.
            _ => {
                let base = base_conditions(pool, filter);
                let sql = format!(
                    "SELECT t.status, COUNT(*) AS n FROM tickets t {} GROUP BY t.status",
                    base.sql()
                );
                (base, sql)
            }
        };
        let counted = counting
            .bind(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await?;
        let mut counts: Vec<(TicketStatus, i64)> =
            TicketStatus::ALL.iter().map(|&s| (s, 0)).collect();
        for r in &counted {
            let status = status_of(r)?;
            let n: i64 = r.try_get("n")?;
            if let Some(c) = counts.iter_mut().find(|(s, _)| *s == status) {
                c.1 = n;
            }
        }
        Ok(QueuePage {
            rows,
            next,
            previous,
            counts,
        })
    })
}

/// A customer's other tickets: see [`QueueStore::customer_tickets`].
async fn customer_tickets(
    pool: Pool<'_>,
    email: &str,
    except: i64,
    limit: u32,
) -> Result<Vec<QueueRow>, StoreError> {
    let sql = format!(
        "SELECT {ROW_COLUMNS}
         FROM tickets t LEFT JOIN managers m ON m.id = t.assignee_id
         WHERE t.customer_email = $1 AND t.number <> $2 AND t.customer_email <> $4
         ORDER BY t.created_at DESC, t.number DESC
         LIMIT $3"
    );
    on_pool!(pool, |read| {
        let rows = sqlx::query(&sql)
            .bind(email)
            .bind(except)
            .bind(i64::from(limit))
            // Tickets whose customer was erased are nobody's "other tickets".
            .bind(crate::store::ERASED)
            .fetch_all(read)
            .await?;
        Ok(rows
            .iter()
            .map(queue_row)
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    })
}
