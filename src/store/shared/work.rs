//! The managers' side of one ticket: the ticket with its notes and audit trail, and the changes
//! managers make (status, assignment, notes), each one atomic and audited. The queue's pages are in
//! [`super::queue`].

use async_trait::async_trait;
use sqlx::Row;

use super::{Conn, Shared, insights, on_conn, on_pool, outbox, status_of, targets};
use crate::domain::path::PathStep;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;
use crate::store::{AuditEntry, Note, StoreError, TicketChange, TicketDetail, WorkStore};

/// Appends an audit entry, on the writer's connection.
pub(in crate::store) async fn audit_on(
    conn: Conn<'_>,
    ticket_id: &str,
    at: Timestamp,
    actor: Option<&str>,
    action: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        sqlx::query(
        "INSERT INTO ticket_audit (ticket_id, at, actor_id, action, before, after) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ticket_id)
    .bind(at.millis())
    .bind(actor)
    .bind(action)
    .bind(before)
    .bind(after)
    .execute(&mut *conn)
    .await?;
        if action == "status" {
            insights::track_status(
                Conn::from(&mut *conn),
                ticket_id,
                at.millis(),
                after.unwrap_or(""),
            )
            .await?;
        }
        Ok(())
    })
}

#[async_trait]
impl<S: Shared> WorkStore for S {
    async fn ticket_detail(&self, number: i64) -> Result<Option<TicketDetail>, StoreError> {
        // One connection for the page's reads: each acquire and release of a pooled connection
        // costs a round trip to its thread.
        on_pool!(self.pool(), |read| {
            let mut conn = read.acquire().await?;
            let row = sqlx::query(
            "SELECT t.id, t.number, t.status, t.revision, t.created_at, t.updated_at, t.first_response_at,
                    (SELECT MIN(a.at) FROM ticket_audit a WHERE a.ticket_id = t.id AND a.action = 'status'
                        AND a.after IN ('resolved', 'closed')) AS resolved_at, t.guide_version, t.problem_id,
                    t.ending_id, t.outcome_kind, t.reason, t.customer_name, t.customer_email, t.customer_phone,
                    t.customer_account, t.email_program, t.description, t.assignee_id, m.name AS assignee_name
             FROM tickets t LEFT JOIN managers m ON m.id = t.assignee_id
             WHERE t.number = $1",
        )
        .bind(number)
        .fetch_optional(&mut *conn)
        .await?;
            let Some(row) = row else { return Ok(None) };
            let id: String = row.try_get("id")?;
            let path = path_on(Conn::from(&mut *conn), &id).await?;
            let notes = notes_on(Conn::from(&mut *conn), &id).await?;
            let audit = audit_trail_on(Conn::from(&mut *conn), &id).await?;
            Ok(Some(TicketDetail {
                number: row.try_get("number")?,
                status: status_of(&row)?,
                revision: row.try_get("revision")?,
                created_at: Timestamp(row.try_get("created_at")?),
                updated_at: Timestamp(row.try_get("updated_at")?),
                first_response_at: row
                    .try_get::<Option<i64>, _>("first_response_at")?
                    .map(Timestamp),
                resolved_at: row.try_get::<Option<i64>, _>("resolved_at")?.map(Timestamp),
                guide_version: row.try_get("guide_version")?,
                problem_id: row.try_get("problem_id")?,
                ending_id: row.try_get("ending_id")?,
                outcome_kind: row.try_get("outcome_kind")?,
                reason: row.try_get("reason")?,
                customer_name: row.try_get("customer_name")?,
                customer_email: row.try_get("customer_email")?,
                customer_phone: row.try_get("customer_phone")?,
                customer_account: row.try_get("customer_account")?,
                email_program: row.try_get("email_program")?,
                description: row.try_get("description")?,
                assignee_id: row.try_get("assignee_id")?,
                assignee_name: row.try_get("assignee_name")?,
                path,
                notes,
                audit,
                id,
            }))
        })
    }

    async fn notes(&self, ticket_id: &str) -> Result<Vec<Note>, StoreError> {
        on_pool!(self.pool(), |read| notes_on(
            Conn::from(&mut *read.acquire().await?),
            ticket_id
        )
        .await)
    }

    async fn audit_trail(&self, ticket_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        on_pool!(self.pool(), |read| {
            audit_trail_on(Conn::from(&mut *read.acquire().await?), ticket_id).await
        })
    }

    async fn change_status(
        &self,
        number: i64,
        revision: i64,
        to: TicketStatus,
        actor_id: &str,
        notify: bool,
    ) -> Result<TicketChange, StoreError> {
        let actor = actor_id.to_string();
        let zone = self.zone();
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let Some((id, current, from)) =
                        current_on(Conn::from(&mut *conn), number).await?
                    else {
                        return Ok(TicketChange::NotFound);
                    };
                    if current != revision {
                        return Ok(TicketChange::Conflict);
                    }
                    if !from.can_move_to(to) {
                        return Ok(TicketChange::NotAllowed(from));
                    }
                    let now = Timestamp::now();
                    let Some(new_revision) = bump_on(
                        Conn::from(&mut *conn),
                        &id,
                        revision,
                        now,
                        "status = $4",
                        Some(to.as_str()),
                    )
                    .await?
                    else {
                        return Ok(TicketChange::Conflict);
                    };
                    audit_on(
                        Conn::from(&mut *conn),
                        &id,
                        now,
                        Some(&actor),
                        "status",
                        Some(from.as_str()),
                        Some(to.as_str()),
                    )
                    .await?;
                    targets::refresh_due(Conn::from(&mut *conn), &id, &zone).await?;
                    if notify
                        && matches!(to, TicketStatus::WaitingOnCustomer | TicketStatus::Resolved)
                    {
                        outbox::queue_status(Conn::from(&mut *conn), &id, to, now).await?;
                    }
                    Ok(TicketChange::Saved(new_revision))
                })
            })
        })
        .await
    }

    async fn assign(
        &self,
        number: i64,
        revision: i64,
        assignee_id: Option<&str>,
        actor_id: &str,
        notify: bool,
    ) -> Result<TicketChange, StoreError> {
        let actor = actor_id.to_string();
        let assignee = assignee_id.map(str::to_string);
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let Some((id, current, _)) = current_on(Conn::from(&mut *conn), number).await? else {
                        return Ok(TicketChange::NotFound);
                    };
                    if current != revision {
                        return Ok(TicketChange::Conflict);
                    }
                    let new_name: Option<String> = match &assignee {
                        None => None,
                        Some(a) => {
                            let name: Option<String> =
                                sqlx::query_scalar("SELECT name FROM managers WHERE id = $1 AND enabled = 1")
                                    .bind(a)
                                    .fetch_optional(&mut *conn)
                                    .await?;
                            match name {
                                Some(n) => Some(n),
                                None => return Ok(TicketChange::NoSuchAssignee),
                            }
                        }
                    };
                    let old_name: Option<String> = sqlx::query_scalar(
                        "SELECT m.name FROM tickets t JOIN managers m ON m.id = t.assignee_id WHERE t.id = $1",
                    )
                    .bind(&id)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let now = Timestamp::now();
                    let Some(new_revision) = bump_on(Conn::from(&mut *conn), &id, revision, now, "assignee_id = $4", assignee.as_deref()).await?
                    else {
                        return Ok(TicketChange::Conflict);
                    };
                    audit_on(Conn::from(&mut *conn), &id, now, Some(&actor), "assignee", old_name.as_deref(), new_name.as_deref()).await?;
                    if let Some(assignee) = assignee.as_deref().filter(|_| notify) {
                        outbox::queue_assigned(Conn::from(&mut *conn), &id, assignee, &actor, now).await?;
                    }
                    Ok(TicketChange::Saved(new_revision))
                }) })
            })
            .await
    }

    async fn add_note(&self, number: i64, author_id: &str, body: &str) -> Result<bool, StoreError> {
        let (author, body) = (author_id.to_string(), body.to_string());
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let Some((id, _, _)) = current_on(Conn::from(&mut *conn), number).await? else {
                        return Ok(false);
                    };
                    let now = Timestamp::now();
                    sqlx::query("INSERT INTO ticket_notes (ticket_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(&id)
                        .bind(&author)
                        .bind(&body)
                        .bind(now.millis())
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
                        .bind(now.millis())
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    audit_on(Conn::from(&mut *conn), &id, now, Some(&author), "note", None, None).await?;
                    Ok(true)
                }) })
            })
            .await
    }
}

/// A ticket's path, in order.
pub(in crate::store) async fn path_on(
    conn: Conn<'_>,
    ticket_id: &str,
) -> Result<Vec<PathStep>, StoreError> {
    on_conn!(conn, |conn| {
        let rows = sqlx::query(
            "SELECT guide_version, node_id, shown_at, choice_index, answered_at
         FROM ticket_path WHERE ticket_id = $1 ORDER BY position",
        )
        .bind(ticket_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let choice: Option<i64> = r.try_get("choice_index")?;
                let answered: Option<i64> = r.try_get("answered_at")?;
                Ok(PathStep {
                    guide_version: r.try_get::<&str, _>("guide_version")?.into(),
                    node_id: r.try_get::<&str, _>("node_id")?.into(),
                    shown_at: Timestamp(r.try_get("shown_at")?),
                    answer: choice.zip(answered.map(Timestamp)),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    })
}

/// A ticket's internal notes, oldest first.
async fn notes_on(conn: Conn<'_>, ticket_id: &str) -> Result<Vec<Note>, StoreError> {
    on_conn!(conn, |conn| {
        let rows = sqlx::query(
        "SELECT m.name, n.body, n.created_at FROM ticket_notes n JOIN managers m ON m.id = n.author_id
         WHERE n.ticket_id = $1 ORDER BY n.created_at, n.id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
        rows.iter()
            .map(|r| {
                Ok(Note {
                    author_name: r.try_get("name")?,
                    body: r.try_get("body")?,
                    at: Timestamp(r.try_get("created_at")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    })
}

/// A ticket's audit trail, oldest first.
async fn audit_trail_on(conn: Conn<'_>, ticket_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
    on_conn!(conn, |conn| {
        let rows = sqlx::query(
        "SELECT a.at, m.name, a.action, a.before, a.after FROM ticket_audit a LEFT JOIN managers m ON m.id = a.actor_id
         WHERE a.ticket_id = $1 ORDER BY a.at, a.id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: Timestamp(r.try_get("at")?),
                    actor_name: r.try_get("name")?,
                    action: r.try_get("action")?,
                    before: r.try_get("before")?,
                    after: r.try_get("after")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    })
}

/// A ticket's id, revision and status, read inside the caller's transaction; on PostgreSQL locked
/// (`FOR UPDATE`), so another instance changing the ticket waits for this transaction.
pub(in crate::store) async fn current_on(
    conn: Conn<'_>,
    number: i64,
) -> Result<Option<(String, i64, TicketStatus)>, StoreError> {
    let sql = format!(
        "SELECT id, revision, status FROM tickets WHERE number = $1{}",
        conn.dialect().lock_rows()
    );
    on_conn!(conn, |conn| {
        let row = sqlx::query(&sql)
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((
            row.try_get("id")?,
            row.try_get("revision")?,
            status_of(&row)?,
        )))
    })
}

/// Sets one column (`set` uses `$4` for `value`) if the ticket is still at `revision`; returns the
/// new revision, or `None` when another change got there first.
async fn bump_on(
    conn: Conn<'_>,
    id: &str,
    revision: i64,
    now: Timestamp,
    set: &'static str,
    value: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    on_conn!(conn, |conn| {
        let sql = format!(
            "UPDATE tickets SET {set}, revision = revision + 1, updated_at = $3 WHERE id = $1 AND revision = $2"
        );
        let done = sqlx::query(&sql)
            .bind(id)
            .bind(revision)
            .bind(now.millis())
            .bind(value)
            .execute(&mut *conn)
            .await?;
        Ok((done.rows_affected() == 1).then_some(revision + 1))
    })
}
