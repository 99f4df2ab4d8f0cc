//! The outbox on SQLite: mails queued in the writer's transaction with the change that causes
//! them, claimed and settled by the sender through the writer too.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use super::{Conn, Shared, batches, on_conn, on_pool};
use crate::domain::mail::{MailKind, MailState, MailWanted};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;
use crate::store::{Delivery, MailRecord, OutboxStore, OutgoingMail, StoreError};

/// A mail to queue: its ticket, kind, manager (for a manager's mail), address, and what it
/// carries.
pub(in crate::store) struct QueuedMail<'a> {
    pub ticket_id: &'a str,
    pub kind: MailKind,
    pub manager_id: Option<String>,
    pub recipient: String,
    pub ticket_message_id: Option<i64>,
    pub status: Option<TicketStatus>,
}

impl<'a> QueuedMail<'a> {
    /// A mail about `ticket_id` carrying nothing but the ticket.
    pub(in crate::store) fn about(
        ticket_id: &'a str,
        kind: MailKind,
        manager_id: Option<String>,
        recipient: String,
    ) -> QueuedMail<'a> {
        QueuedMail {
            ticket_id,
            kind,
            manager_id,
            recipient,
            ticket_message_id: None,
            status: None,
        }
    }
}

/// Queues `mails` inside the caller's transaction, each due at once with a new `Message-ID`.
pub(in crate::store) async fn queue(
    conn: Conn<'_>,
    mails: &[QueuedMail<'_>],
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    on_conn!(conn, |conn| {
        // A customer whose data was erased has no address to write to.
        let mails: Vec<&QueuedMail<'_>> = mails
            .iter()
            .filter(|m| m.recipient != crate::store::ERASED)
            .collect();
        for chunk in batches(&mails) {
            let mut q = QueryBuilder::new(
            "INSERT INTO outbox (ticket_id, kind, manager_id, recipient, ticket_message_id, status, message_id,
                next_attempt_at, created_at) ",
        );
            q.push_values(chunk, |mut row, mail| {
                row.push_bind(mail.ticket_id)
                    .push_bind(mail.kind.as_str())
                    .push_bind(&mail.manager_id)
                    .push_bind(&mail.recipient)
                    .push_bind(mail.ticket_message_id)
                    .push_bind(mail.status.map(TicketStatus::as_str))
                    .push_bind(Uuid::new_v4().simple().to_string())
                    .push_bind(now.millis())
                    .push_bind(now.millis());
            });
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// The enabled managers who want mail: (id, address, about tickets routed to them, about
/// unassigned tickets).
pub(in crate::store) async fn mail_followers(
    conn: Conn<'_>,
) -> Result<Vec<(String, String, bool, bool)>, sqlx::Error> {
    on_conn!(conn, |conn| {
        sqlx::query_as(
            "SELECT id, email, mail_assigned = 1, mail_unassigned = 1 FROM managers
         WHERE enabled = 1 AND (mail_assigned = 1 OR mail_unassigned = 1)",
        )
        .fetch_all(&mut *conn)
        .await
    })
}

/// Queues the news of an assignment to `assignee` when they want it and did not assign the
/// ticket to themselves.
pub(in crate::store) async fn queue_assigned(
    conn: Conn<'_>,
    ticket_id: &str,
    assignee: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    on_conn!(conn, |conn| {
        if assignee == actor {
            return Ok(());
        }
        let email: Option<String> = sqlx::query_scalar(
            "SELECT email FROM managers WHERE id = $1 AND enabled = 1 AND mail_assigned = 1",
        )
        .bind(assignee)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(recipient) = email {
            let mail = QueuedMail::about(
                ticket_id,
                MailKind::TicketAssigned,
                Some(assignee.to_string()),
                recipient,
            );
            queue(Conn::from(&mut *conn), &[mail], now).await?;
        }
        Ok(())
    })
}

/// Queues the news of a status change to the ticket's customer.
pub(in crate::store) async fn queue_status(
    conn: Conn<'_>,
    ticket_id: &str,
    status: TicketStatus,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    on_conn!(conn, |conn| {
        let to: String = sqlx::query_scalar("SELECT customer_email FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_one(&mut *conn)
            .await?;
        let mut mail = QueuedMail::about(ticket_id, MailKind::StatusChanged, None, to);
        mail.status = Some(status);
        queue(Conn::from(&mut *conn), &[mail], now).await
    })
}

#[async_trait]
impl<S: Shared> OutboxStore for S {
    async fn ticket_of_customer_mail(
        &self,
        message_ids: &[String],
    ) -> Result<Option<String>, StoreError> {
        for id in message_ids.iter().take(50) {
            let ticket: Option<String> = on_pool!(self.pool(), |read| sqlx::query_scalar(
                "SELECT ticket_id FROM outbox WHERE message_id = $1 AND manager_id IS NULL",
            )
            .bind(id)
            .fetch_optional(read)
            .await?);
            if ticket.is_some() {
                return Ok(ticket);
            }
        }
        Ok(None)
    }

    async fn queue_status_link(&self, number: i64, email: &str) -> Result<bool, StoreError> {
        let email = email.trim().to_lowercase();
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let row: Option<(String, String)> =
                        sqlx::query_as("SELECT id, customer_email FROM tickets WHERE number = $1")
                            .bind(number)
                            .fetch_optional(&mut *conn)
                            .await?;
                    let Some((id, held)) = row.filter(|(_, held)| held.to_lowercase() == email)
                    else {
                        return Ok(false);
                    };
                    let mail = QueuedMail::about(&id, MailKind::StatusLink, None, held);
                    queue(Conn::from(&mut *conn), &[mail], Timestamp::now()).await?;
                    Ok(true)
                })
            })
        })
        .await
    }

    async fn mail_wanted(&self, manager_id: &str) -> Result<Option<MailWanted>, StoreError> {
        let row: Option<(bool, bool)> = on_pool!(self.pool(), |read| sqlx::query_as(
            "SELECT mail_assigned = 1, mail_unassigned = 1 FROM managers WHERE id = $1",
        )
        .bind(manager_id)
        .fetch_optional(read)
        .await?);
        Ok(row.map(|(assigned, unassigned)| MailWanted {
            assigned,
            unassigned,
        }))
    }

    async fn set_mail_wanted(
        &self,
        manager_id: &str,
        wanted: MailWanted,
    ) -> Result<bool, StoreError> {
        let id = manager_id.to_string();
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let changed = sqlx::query(
                        "UPDATE managers SET mail_assigned = $1, mail_unassigned = $2 WHERE id = $3",
                    )
                    .bind(i64::from(wanted.assigned))
                    .bind(i64::from(wanted.unassigned))
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    Ok(changed == 1)
                }) })
            })
            .await
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutgoingMail>, StoreError> {
        let until = now.millis() + lease.as_millis() as i64;
        self.transaction(move |conn| {
                Box::pin(async move {
                    // Mails another instance is claiming right now are left to it.
                    let sql = format!(
                        "SELECT id, ticket_id, kind, manager_id, recipient, ticket_message_id, status, message_id,
                                attempts FROM outbox
                         WHERE state = 'queued' AND next_attempt_at <= $1
                           AND (claimed_until IS NULL OR claimed_until < $1)
                         ORDER BY next_attempt_at, id LIMIT $2{}",
                        conn.dialect().skip_locked()
                    );
                    on_conn!(conn, |conn| {
                    let rows = sqlx::query(&sql)
                    .bind(now.millis())
                    .bind(limit as i64)
                    .fetch_all(&mut *conn)
                    .await?;
                    let mut mails = Vec::with_capacity(rows.len());
                    for row in rows {
                        let kind: String = row.try_get("kind")?;
                        let mut mail = OutgoingMail {
                            id: row.try_get("id")?,
                            ticket_id: row.try_get("ticket_id")?,
                            kind: MailKind::from_name(&kind).ok_or_else(|| {
                                StoreError::Corrupt(format!("unknown mail kind {kind:?}"))
                            })?,
                            manager_id: row.try_get("manager_id")?,
                            recipient: row.try_get("recipient")?,
                            ticket_message_id: row.try_get("ticket_message_id")?,
                            status: row
                                .try_get::<Option<String>, _>("status")?
                                .as_deref()
                                .and_then(TicketStatus::from_name),
                            message_id: row.try_get("message_id")?,
                            attempts: row.try_get::<i64, _>("attempts")? as u32,
                            earlier: Vec::new(),
                        };
                        mail.earlier = sqlx::query_scalar(
                            "SELECT message_id FROM outbox WHERE ticket_id = $1 AND recipient = $2 AND id < $3
                             ORDER BY id",
                        )
                        .bind(&mail.ticket_id)
                        .bind(&mail.recipient)
                        .bind(mail.id)
                        .fetch_all(&mut *conn)
                        .await?;
                        sqlx::query("UPDATE outbox SET claimed_until = $1 WHERE id = $2")
                            .bind(until)
                            .bind(mail.id)
                            .execute(&mut *conn)
                            .await?;
                        mails.push(mail);
                    }
                    Ok(mails)
                }) })
            })
            .await
    }

    async fn record_delivery(&self, id: i64, delivery: Delivery) -> Result<(), StoreError> {
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let now = Timestamp::now().millis();
                    let (outcome, detail) = match &delivery {
                        Delivery::Sent => {
                            sqlx::query(
                                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $1,
                                     claimed_until = NULL, last_error = NULL WHERE id = $2",
                            )
                            .bind(now)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                            ("sent", "")
                        }
                        Delivery::Retry { at, error } => {
                            sqlx::query(
                                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1,
                                     claimed_until = NULL, last_error = $2 WHERE id = $3",
                            )
                            .bind(at.millis())
                            .bind(error)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                            ("retry", error.as_str())
                        }
                        Delivery::Refused { error } => {
                            sqlx::query(
                                "UPDATE outbox SET state = 'refused', attempts = attempts + 1,
                                     claimed_until = NULL, last_error = $1 WHERE id = $2",
                            )
                            .bind(error)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                            ("refused", error.as_str())
                        }
                    };
                    sqlx::query(
                        "INSERT INTO outbox_attempts (outbox_id, at, outcome, detail) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(now)
                    .bind(outcome)
                    .bind(detail)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                }) })
            })
            .await
    }

    async fn next_mail_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let due: Option<i64> = on_pool!(self.pool(), |read| sqlx::query_scalar(&format!(
            "SELECT MIN({}) FROM outbox WHERE state = 'queued'",
            self.pool()
                .dialect()
                .greatest("next_attempt_at", "COALESCE(claimed_until, 0)")
        ),)
        .fetch_one(read)
        .await?);
        Ok(due.map(Timestamp))
    }

    async fn ticket_mails(&self, ticket_id: &str) -> Result<Vec<MailRecord>, StoreError> {
        on_pool!(self.pool(), |read| {
            let rows = sqlx::query(
            "SELECT id, kind, recipient, state, attempts, created_at, sent_at, next_attempt_at, last_error
             FROM outbox WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket_id)
        .fetch_all(read)
        .await?;
            rows.iter()
                .map(|row| {
                    let kind: String = row.try_get("kind")?;
                    let state: String = row.try_get("state")?;
                    Ok(MailRecord {
                        id: row.try_get("id")?,
                        kind: MailKind::from_name(&kind).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown mail kind {kind:?}"))
                        })?,
                        recipient: row.try_get("recipient")?,
                        state: MailState::from_name(&state).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown mail state {state:?}"))
                        })?,
                        attempts: row.try_get::<i64, _>("attempts")? as u32,
                        created_at: Timestamp(row.try_get("created_at")?),
                        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(Timestamp),
                        next_attempt_at: Timestamp(row.try_get("next_attempt_at")?),
                        last_error: row.try_get("last_error")?,
                    })
                })
                .collect()
        })
    }

    async fn resend_mail(
        &self,
        ticket_id: &str,
        mail_id: i64,
        manager_id: &str,
    ) -> Result<bool, StoreError> {
        let (ticket_id, manager_id) = (ticket_id.to_string(), manager_id.to_string());
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let now = Timestamp::now().millis();
                    let resent = sqlx::query(
                        "UPDATE outbox SET state = 'queued', next_attempt_at = $1, claimed_until = NULL
                         WHERE id = $2 AND ticket_id = $3 AND state <> 'queued'",
                    )
                    .bind(now)
                    .bind(mail_id)
                    .bind(&ticket_id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    if resent == 0 {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO outbox_attempts (outbox_id, at, outcome, detail, actor_id)
                         VALUES ($1, $2, 'resent', '', $3)",
                    )
                    .bind(mail_id)
                    .bind(now)
                    .bind(&manager_id)
                    .execute(&mut *conn)
                    .await?;
                    Ok(true)
                }) })
            })
            .await
    }
}
