//! The conversation: each message written in one transaction with the mails it causes.

use async_trait::async_trait;
use sqlx::Row;

use super::outbox::{QueuedMail, mail_followers, queue};
use super::work::{audit_on, current_on};
use super::{Conn, Shared, on_conn, on_pool, targets};
use crate::domain::mail::MailKind;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;
use crate::store::{
    Author, CannedReply, ConversationStore, CustomerMessage, Rating, Satisfaction, StoreError,
    TicketMessage,
};

/// Inserts a message; returns its id.
async fn insert_message(
    conn: Conn<'_>,
    ticket_id: &str,
    manager_id: Option<&str>,
    body: &str,
    now: Timestamp,
) -> Result<i64, sqlx::Error> {
    on_conn!(conn, |conn| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_messages (ticket_id, author, manager_id, body, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(ticket_id)
        .bind(if manager_id.is_some() {
            "manager"
        } else {
            "customer"
        })
        .bind(manager_id)
        .bind(body)
        .bind(now.millis())
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
            .bind(now.millis())
            .bind(ticket_id)
            .execute(&mut *conn)
            .await?;
        Ok(id)
    })
}

/// The customer's address on ticket `id`.
pub(in crate::store) async fn customer_email(
    conn: Conn<'_>,
    ticket_id: &str,
) -> Result<String, sqlx::Error> {
    on_conn!(conn, |conn| {
        sqlx::query_scalar("SELECT customer_email FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_one(&mut *conn)
            .await
    })
}

fn message_of<R>(row: &R) -> Result<TicketMessage, StoreError>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let author: String = row.try_get("author")?;
    Ok(TicketMessage {
        id: row.try_get("id")?,
        author: match author.as_str() {
            "customer" => Author::Customer,
            _ => Author::Manager(
                row.try_get::<Option<String>, _>("name")?
                    .unwrap_or_default(),
            ),
        },
        body: row.try_get("body")?,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}

const MESSAGES: &str = "SELECT t.id, t.author, t.body, t.created_at, m.name FROM ticket_messages t
     LEFT JOIN managers m ON m.id = t.manager_id";

#[async_trait]
impl<S: Shared> ConversationStore for S {
    async fn canned_replies(&self) -> Result<Vec<CannedReply>, StoreError> {
        let rows: Vec<(i64, String, String)> = on_pool!(self.pool(), |read| sqlx::query_as(
            "SELECT id, title, body FROM canned_replies ORDER BY title"
        )
        .fetch_all(read)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(id, title, body)| CannedReply { id, title, body })
            .collect())
    }

    async fn save_canned_reply(&self, title: &str, body: &str) -> Result<(), StoreError> {
        let (title, body) = (title.to_string(), body.to_string());
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    sqlx::query(
                        "INSERT INTO canned_replies (title, body, updated_at) VALUES ($1, $2, $3)
                         ON CONFLICT (title) DO UPDATE SET body = excluded.body,
                             updated_at = excluded.updated_at",
                    )
                    .bind(&title)
                    .bind(&body)
                    .bind(Timestamp::now().millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
        })
        .await
    }

    async fn remove_canned_reply(&self, id: i64) -> Result<bool, StoreError> {
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let gone = sqlx::query("DELETE FROM canned_replies WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    Ok(gone == 1)
                })
            })
        })
        .await
    }

    async fn rating(&self, ticket_id: &str) -> Result<Option<Rating>, StoreError> {
        let row: Option<(bool, String, i64)> = on_pool!(self.pool(), |read| sqlx::query_as(
            "SELECT helped = 1, comment, answered_at FROM ticket_ratings WHERE ticket_id = $1",
        )
        .bind(ticket_id)
        .fetch_optional(read)
        .await?);
        Ok(row.map(|(helped, comment, at)| Rating {
            helped,
            comment,
            answered_at: Timestamp(at),
        }))
    }

    async fn rate(&self, ticket_id: &str, helped: bool, comment: &str) -> Result<(), StoreError> {
        let (id, comment) = (ticket_id.to_string(), comment.to_string());
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    sqlx::query(
                        "INSERT INTO ticket_ratings (ticket_id, helped, comment, answered_at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (ticket_id) DO UPDATE SET helped = excluded.helped,
                             comment = excluded.comment, answered_at = excluded.answered_at",
                    )
                    .bind(&id)
                    .bind(i64::from(helped))
                    .bind(&comment)
                    .bind(Timestamp::now().millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
        })
        .await
    }

    async fn satisfaction(
        &self,
        from: Timestamp,
        to: Timestamp,
        problem: Option<&str>,
    ) -> Result<Satisfaction, StoreError> {
        let rows: Vec<(String, String, String, i64, i64)> = on_pool!(self.pool(), |read| {
            sqlx::query_as(
            "SELECT t.outcome_kind, t.problem_id, t.ending_id, COUNT(*), CAST(SUM(r.helped) AS BIGINT)
             FROM ticket_ratings r JOIN tickets t ON t.id = r.ticket_id
             WHERE t.created_at >= $1 AND t.created_at < $2 AND ($3 IS NULL OR t.problem_id = $3)
             GROUP BY t.outcome_kind, t.problem_id, t.ending_id
             ORDER BY t.outcome_kind, t.problem_id, t.ending_id",
        )
        .bind(from.millis())
        .bind(to.millis())
        .bind(problem)
        .fetch_all(read)
        .await?
        });
        let mut figures = Satisfaction::default();
        for (kind, problem, ending, answered, helped) in rows {
            match figures.by_kind.iter_mut().find(|(k, _, _)| *k == kind) {
                Some((_, a, h)) => {
                    *a += answered;
                    *h += helped;
                }
                None => figures.by_kind.push((kind, answered, helped)),
            }
            match figures
                .by_step
                .iter_mut()
                .find(|(p, e, _, _)| *p == problem && *e == ending)
            {
                Some((_, _, a, h)) => {
                    *a += answered;
                    *h += helped;
                }
                None => figures.by_step.push((problem, ending, answered, helped)),
            }
        }
        Ok(figures)
    }

    async fn messages(&self, ticket_id: &str) -> Result<Vec<TicketMessage>, StoreError> {
        let sql = format!("{MESSAGES} WHERE t.ticket_id = $1 ORDER BY t.id");
        on_pool!(self.pool(), |read| {
            let rows = sqlx::query(&sql).bind(ticket_id).fetch_all(read).await?;
            rows.iter().map(message_of).collect()
        })
    }

    async fn message(&self, ticket_id: &str, id: i64) -> Result<Option<TicketMessage>, StoreError> {
        let sql = format!("{MESSAGES} WHERE t.ticket_id = $1 AND t.id = $2");
        on_pool!(self.pool(), |read| {
            let row = sqlx::query(&sql)
                .bind(ticket_id)
                .bind(id)
                .fetch_optional(read)
                .await?;
            row.as_ref().map(message_of).transpose()
        })
    }

    async fn reply_to_customer(
        &self,
        number: i64,
        manager_id: &str,
        body: &str,
        notify: bool,
    ) -> Result<bool, StoreError> {
        let (manager, body) = (manager_id.to_string(), body.to_string());
        let zone = self.zone();
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let Some((id, _, _)) = current_on(Conn::from(&mut *conn), number).await? else {
                        return Ok(false);
                    };
                    let now = Timestamp::now();
                    let message = insert_message(Conn::from(&mut *conn), &id, Some(&manager), &body, now).await?;
                    sqlx::query(
                        "UPDATE tickets SET first_response_at = $1 WHERE id = $2 AND first_response_at IS NULL",
                    )
                    .bind(now.millis())
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?;
                    targets::refresh_due(Conn::from(&mut *conn), &id, &zone).await?;
                    if notify {
                        let to = customer_email(Conn::from(&mut *conn), &id).await?;
                        let mut mail = QueuedMail::about(&id, MailKind::Reply, None, to);
                        mail.ticket_message_id = Some(message);
                        queue(Conn::from(&mut *conn), &[mail], now).await?;
                    }
                    Ok(true)
                }) })
            })
            .await
    }

    async fn customer_message(
        &self,
        ticket_id: &str,
        body: &str,
        notify: bool,
    ) -> Result<CustomerMessage, StoreError> {
        let (id, body) = (ticket_id.to_string(), body.to_string());
        let zone = self.zone();
        self.transaction(move |conn| {
            Box::pin(async move {
                let sql = format!(
                    "SELECT number, status, assignee_id FROM tickets WHERE id = $1{}",
                    conn.dialect().lock_rows()
                );
                on_conn!(conn, |conn| {
                    let row: Option<(i64, String, Option<String>)> = sqlx::query_as(&sql)
                        .bind(&id)
                        .fetch_optional(&mut *conn)
                        .await?;
                    let Some((_, status, assignee)) = row else {
                        return Ok(CustomerMessage::NotFound);
                    };
                    let status = TicketStatus::from_name(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?;
                    if status == TicketStatus::Closed {
                        return Ok(CustomerMessage::Closed);
                    }
                    let now = Timestamp::now();
                    let message =
                        insert_message(Conn::from(&mut *conn), &id, None, &body, now).await?;
                    // The customer answered: a ticket waiting on them, or resolved, is back in
                    // progress (only the second is a reopening in their words).
                    let reopened = status == TicketStatus::Resolved;
                    if reopened || status == TicketStatus::WaitingOnCustomer {
                        let to = TicketStatus::InProgress.as_str();
                        sqlx::query(
                            "UPDATE tickets SET status = $1, revision = revision + 1 WHERE id = $2",
                        )
                        .bind(to)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                        audit_on(
                            Conn::from(&mut *conn),
                            &id,
                            now,
                            None,
                            "status",
                            Some(status.as_str()),
                            Some(to),
                        )
                        .await?;
                        targets::refresh_due(Conn::from(&mut *conn), &id, &zone).await?;
                    }
                    if notify {
                        let followers = mail_followers(Conn::from(&mut *conn)).await?;
                        let mails: Vec<QueuedMail> = followers
                            .into_iter()
                            .filter(|(manager, _, assigned, unassigned)| match &assignee {
                                Some(holder) => holder == manager && *assigned,
                                None => *unassigned,
                            })
                            .map(|(manager, email, _, _)| {
                                let mut mail = QueuedMail::about(
                                    &id,
                                    MailKind::CustomerReplied,
                                    Some(manager),
                                    email,
                                );
                                mail.ticket_message_id = Some(message);
                                mail
                            })
                            .collect();
                        queue(Conn::from(&mut *conn), &mails, now).await?;
                    }
                    Ok(CustomerMessage::Added { reopened })
                })
            })
        })
        .await
    }
}
