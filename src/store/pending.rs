//! Console forms sent after the manager's session ended, kept for the manager to send again once
//! signed in, so nothing they typed is lost.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
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
    pub(super) fn as_str(self) -> &'static str {
        match self {
            PendingKind::Note => "note",
            PendingKind::Status => "status",
            PendingKind::Assign => "assign",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<PendingKind> {
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

/// Console forms kept across a sign-in.
#[async_trait]
pub trait PendingStore: Send + Sync {
    /// Keeps `form` until the manager has signed in again; returns the random id (for their
    /// browser's cookie only; the database keeps its hash).
    async fn keep_pending_form(
        &self,
        form: PendingForm,
        now: Timestamp,
    ) -> Result<String, StoreError>;
    /// Takes (and forgets) the pending form behind a browser's id, if it is still fresh.
    async fn take_pending_form(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<PendingForm>, StoreError>;
}
