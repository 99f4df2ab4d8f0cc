//! Notes and changes a manager sent after their session had ended, kept until they have signed in
//! again and shown back to them filled in, so nothing they typed is lost. They are never applied
//! from here: the manager sends them again with the new session's form token.

use async_trait::async_trait;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;

use super::{Shared, on_conn};
use crate::domain::time::Timestamp;
use crate::store::{PENDING_FOR, PendingForm, PendingKind, PendingStore, StoreError};

fn id_hash(id: &str) -> String {
    Sha256::digest(format!("pending:{id}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl<S: Shared> PendingStore for S {
    async fn keep_pending_form(
        &self,
        form: PendingForm,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let id = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let hash = id_hash(&id);
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    sqlx::query("DELETE FROM console_pending_forms WHERE created_at < $1")
                        .bind(now.millis() - millis(PENDING_FOR))
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(
                        "INSERT INTO console_pending_forms (id_hash, ticket_number, kind, value, created_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(hash)
                    .bind(form.ticket_number)
                    .bind(form.kind.as_str())
                    .bind(form.value)
                    .bind(now.millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                }) })
            })
            .await?;
        Ok(id)
    }

    async fn take_pending_form(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<PendingForm>, StoreError> {
        let hash = id_hash(id);
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let row = sqlx::query(
                        "DELETE FROM console_pending_forms WHERE id_hash = $1
                         RETURNING ticket_number, kind, value, created_at",
                    )
                    .bind(hash)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let Some(row) = row else { return Ok(None) };
                    let created: i64 = row.try_get("created_at")?;
                    let kind: String = row.try_get("kind")?;
                    if now.millis() - created > millis(PENDING_FOR) {
                        return Ok(None);
                    }
                    Ok(PendingKind::from_name(&kind).map(|kind| PendingForm {
                        ticket_number: row.try_get("ticket_number").unwrap_or_default(),
                        kind,
                        value: row.try_get("value").unwrap_or_default(),
                    }))
                })
            })
        })
        .await
    }
}
