//! Notes and changes a manager sent after their session had ended, kept until they have signed in
//! again and shown back to them filled in, so nothing they typed is lost. They are never applied
//! from here: the manager sends them again with the new session's form token.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;

use super::{Store, StoreError};
use crate::domain::time::Timestamp;

/// How long a pending form is kept.
pub const PENDING_FOR: Duration = Duration::from_secs(3600);

/// What kind of form was pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingKind {
    /// An internal note; the value is its text.
    Note,
    /// A status change; the value is the status's name.
    Status,
    /// An assignment; the value is `me`, `none` or a manager's id.
    Assign,
}

impl PendingKind {
    fn as_str(self) -> &'static str {
        match self {
            PendingKind::Note => "note",
            PendingKind::Status => "status",
            PendingKind::Assign => "assign",
        }
    }

    fn from_name(name: &str) -> Option<PendingKind> {
        match name {
            "note" => Some(PendingKind::Note),
            "status" => Some(PendingKind::Status),
            "assign" => Some(PendingKind::Assign),
            _ => None,
        }
    }
}

/// A form kept for after sign-in. Its `Debug` never shows the value (a note's text).
#[derive(Clone, PartialEq, Eq)]
pub struct PendingForm {
    /// The ticket it was for.
    pub ticket_number: i64,
    /// What it was.
    pub kind: PendingKind,
    /// What was typed or chosen.
    pub value: String,
}

impl std::fmt::Debug for PendingForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingForm")
            .field("ticket_number", &self.ticket_number)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn id_hash(id: &str) -> String {
    Sha256::digest(format!("pending:{id}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Keeps `form` until the manager has signed in again; returns the random id (for their
    /// browser's cookie only; the database keeps its hash).
    pub async fn keep_pending_form(
        &self,
        form: PendingForm,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let id = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let hash = id_hash(&id);
        self.writer
            .run(move |conn| {
                Box::pin(async move {
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
                })
            })
            .await?;
        Ok(id)
    }

    /// Takes (and forgets) the pending form behind a browser's id, if it is still fresh.
    pub async fn take_pending_form(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<PendingForm>, StoreError> {
        let hash = id_hash(id);
        self.writer
            .run(move |conn| {
                Box::pin(async move {
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
            .await
    }
}
