//! The queue's search text: each ticket's customer name, email and account, description and
//! internal notes, lowercased here in Rust (`str::to_lowercase`, all of Unicode) as the SQLite
//! backend does, so both find the same tickets whatever the database's collation.
//!
//! Triggers mark a ticket's text as stale whenever any write changes what is searched
//! (migration 20261206000002), whichever code or process makes it; [`PgStore::fold_search_text`]
//! folds the marked rows before a search reads them.

use sqlx::Row;

use super::PgStore;
use crate::store::fold;

/// How many tickets one transaction folds, so a large backlog (a fresh migration of a big
/// database) never holds its rows for long.
const FOLD_CHUNK: i64 = 500;

impl PgStore {
    /// Folds the search text of every ticket marked stale. A failure (say, a read-only
    /// database) is logged and the search goes on without those tickets' new text.
    pub(super) async fn fold_search_text(&self) {
        loop {
            let stale: Result<Option<i64>, _> = sqlx::query_scalar(
                "SELECT 1::BIGINT FROM ticket_search WHERE folded IS NULL LIMIT 1",
            )
            .fetch_optional(&self.read)
            .await;
            match stale {
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the search text to fold");
                    return;
                }
            }
            match self.fold_chunk().await {
                Ok(n) if n < FOLD_CHUNK => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not fold the search text");
                    return;
                }
            }
        }
    }
}

impl PgStore {
    /// Folds up to [`FOLD_CHUNK`] stale rows no other instance is folding, in one transaction;
    /// returns how many it found.
    async fn fold_chunk(&self) -> Result<i64, super::StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let rows = sqlx::query(
                    "SELECT s.ticket_id, t.id AS present, t.customer_name, t.customer_email,
                                t.customer_account, t.description,
                                (SELECT string_agg(n.body, chr(10) ORDER BY n.id) FROM ticket_notes n
                                 WHERE n.ticket_id = s.ticket_id) AS notes
                         FROM ticket_search s LEFT JOIN tickets t ON t.id = s.ticket_id
                         WHERE s.folded IS NULL LIMIT $1
                         FOR UPDATE OF s SKIP LOCKED",
                )
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
        .await
    }
}
