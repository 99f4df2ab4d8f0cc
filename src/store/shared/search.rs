//! The queue's search text: each ticket's customer name, email and account, description and
//! internal notes, lowercased here in Rust (`str::to_lowercase`, all of Unicode) because SQLite's
//! lower() and LIKE fold ASCII only, and so both backends find the same tickets whatever the
//! database's collation.
//!
//! Triggers mark a ticket's text as stale whenever any write changes what is searched
//! (migration 20261206000002), whichever code or process makes it; [`fold_search_text`]
//! folds the marked rows before a search reads them.

use sqlx::Row;

use super::{Shared, on_conn, on_pool};
use crate::store::{StoreError, fold};

/// How many tickets one transaction folds, so a large backlog (a fresh migration of a big
/// database) never holds SQLite's writer, or PostgreSQL's rows, for long.
const FOLD_CHUNK: i64 = 500;

/// Folds the search text of every ticket marked stale. A failure (say, a read-only database) is
/// logged and the search goes on without those tickets' new text.
pub(in crate::store) async fn fold_search_text<S: Shared>(store: &S) {
    loop {
        let stale: Result<Option<i64>, sqlx::Error> = on_pool!(store.pool(), |read| {
            sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM ticket_search WHERE folded IS NULL LIMIT 1",
            )
            .fetch_optional(read)
            .await
        });
        match stale {
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the search text to fold");
                return;
            }
        }
        match fold_chunk(store).await {
            Ok(n) if n < FOLD_CHUNK => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not fold the search text");
                return;
            }
        }
    }
}

/// Folds up to [`FOLD_CHUNK`] stale rows in one transaction, on PostgreSQL those no other
/// instance is folding; returns how many it found.
async fn fold_chunk<S: Shared>(store: &S) -> Result<i64, StoreError> {
    store.transaction(move |conn| {
                Box::pin(async move {
                    let dialect = conn.dialect();
                    let sql = format!(
                        "SELECT s.ticket_id, t.id AS present, t.customer_name, t.customer_email,
                                t.customer_account, t.description,
                                (SELECT {} FROM ticket_notes n WHERE n.ticket_id = s.ticket_id) AS notes
                         FROM ticket_search s LEFT JOIN tickets t ON t.id = s.ticket_id
                         WHERE s.folded IS NULL LIMIT $1{}",
                        dialect.joined_lines("n.body", "n.id"),
                        dialect.skip_locked_of("s")
                    );
                    on_conn!(conn, |conn| {
                    let rows = sqlx::query(&sql)
                    .bind(FOLD_CHUNK)
                    .fetch_all(&mut *conn)
                    .await?;
                    for row in &rows {
                        let id: String = row.try_get("ticket_id")?;
                        let present: Option<String> = row.try_get("present")?;
                        if present.is_none() {
                            sqlx::query("DELETE FROM ticket_search WHERE ticket_id = $1")
                                .bind(&id)
                                .execute(&mut *conn)
                                .await?;
                            continue;
                        }
                        let mut parts: Vec<String> = Vec::with_capacity(5);
                        for column in [
                            "customer_name",
                            "customer_email",
                            "customer_account",
                            "description",
                            "notes",
                        ] {
                            if let Some(text) = row.try_get::<Option<String>, _>(column)? {
                                parts.push(text);
                            }
                        }
                        sqlx::query("UPDATE ticket_search SET folded = $1 WHERE ticket_id = $2")
                            .bind(fold(&parts.join("\n")))
                            .bind(&id)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(rows.len() as i64)
                    })
                })
            })
            .await
}
