//! Escalation tickets and the paths they carry.

use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use super::work::path_on;
use super::{Conn, Shared, batches, event, on_conn, on_pool, status_of};
use crate::domain::path::{Event, Path, PathStep};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;
use crate::store::{
    CustomerUpdates, NewTicket, StoreError, TicketCreated, TicketStore, TicketSummary,
};
use sqlx::QueryBuilder;

#[async_trait]
impl<S: Shared> TicketStore for S {
    async fn create_ticket(&self, new: NewTicket) -> Result<Option<TicketCreated>, StoreError> {
        self.open_ticket(new).await
    }

    async fn ticket_for_escalation(
        &self,
        visit: Uuid,
        outcome_event: i64,
    ) -> Result<Option<TicketCreated>, StoreError> {
        let sql = "SELECT number, status_token FROM tickets WHERE outcome_event_id = $1 AND visit_id = $2";
        let row: Option<(i64, String)> = on_pool!(self.pool(), |read| {
            sqlx::query_as(sql)
                .bind(outcome_event)
                .bind(visit.to_string())
                .fetch_optional(read)
                .await?
        });
        Ok(row.map(|(number, status_token)| TicketCreated {
            number,
            status_token,
            existed: true,
        }))
    }

    async fn ticket_by_token(&self, token: &str) -> Result<Option<TicketSummary>, StoreError> {
        summary_where(self, "status_token", token).await
    }

    async fn ticket_by_id(&self, id: &str) -> Result<Option<TicketSummary>, StoreError> {
        summary_where(self, "id", id).await
    }

    async fn customer_updates(&self, ticket_id: &str) -> Result<CustomerUpdates, StoreError> {
        let statuses = "SELECT at, after FROM ticket_audit WHERE ticket_id = $1 AND action IN ('opened', 'status') ORDER BY at, id";
        let assignee =
            "SELECT m.name FROM tickets t JOIN managers m ON m.id = t.assignee_id WHERE t.id = $1";
        let (rows, assignee_name): (Vec<(i64, Option<String>)>, Option<String>) =
            on_pool!(self.pool(), |read| {
                let mut conn = read.acquire().await?;
                let rows = sqlx::query_as(statuses)
                    .bind(ticket_id)
                    .fetch_all(&mut *conn)
                    .await?;
                let name = sqlx::query_scalar(assignee)
                    .bind(ticket_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                (rows, name)
            });
        Ok(CustomerUpdates {
            statuses: rows
                .into_iter()
                .filter_map(|(at, after)| {
                    Some((Timestamp(at), TicketStatus::from_name(after.as_deref()?)?))
                })
                .collect(),
            assignee_name,
        })
    }

    async fn ticket_events(&self, ticket_id: &str) -> Result<Vec<Event>, StoreError> {
        let sql = "SELECT e.id, e.seq, e.at, e.kind, e.guide_version, e.problem_id, e.node_id,
                          e.choice_index, e.next_id, e.outcome_kind
                   FROM tickets t
                   JOIN visit_events o ON o.id = t.outcome_event_id
                   JOIN visit_events e ON e.visit_id = t.visit_id AND e.seq <= o.seq
                   WHERE t.id = $1
                   ORDER BY e.seq";
        on_pool!(self.pool(), |read| {
            let rows = sqlx::query(sql).bind(ticket_id).fetch_all(read).await?;
            Ok(rows.into_iter().map(event).collect::<Result<_, _>>()?)
        })
    }
}

/// The ticket whose `column` (a unique one) is `value`, as its customer sees it.
async fn summary_where<S: Shared>(
    store: &S,
    column: &'static str,
    value: &str,
) -> Result<Option<TicketSummary>, StoreError> {
    let sql = format!(
            "SELECT id, number, status_token, status, created_at, updated_at, guide_version, problem_id,
                    ending_id, outcome_kind, reason, customer_name, customer_email, customer_phone,
                    customer_account, email_program, description
             FROM tickets WHERE {column} = $1"
        );
    on_pool!(store.pool(), |read| {
        let mut conn = read.acquire().await?;
        let Some(row) = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let id: String = row.try_get("id")?;
        let path = path_on(Conn::from(&mut *conn), &id).await?;
        Ok(Some(TicketSummary {
            id,
            number: row.try_get("number")?,
            status_token: row.try_get("status_token")?,
            status: status_of(&row)?,
            created_at: Timestamp(row.try_get("created_at")?),
            updated_at: Timestamp(row.try_get("updated_at")?),
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
            path,
        }))
    })
}

/// Inserts the path of each (ticket id, path), a row per step, a few hundred to a statement.
pub(in crate::store) async fn insert_paths(
    conn: Conn<'_>,
    paths: &[(&str, &Path)],
) -> Result<(), sqlx::Error> {
    on_conn!(conn, |conn| {
        let rows: Vec<(&str, i64, &PathStep)> = paths
            .iter()
            .flat_map(|(ticket, path)| {
                path.steps
                    .iter()
                    .enumerate()
                    .map(move |(position, step)| (*ticket, position as i64, step))
            })
            .collect();
        for chunk in batches(&rows) {
            let mut q = QueryBuilder::new(
                "INSERT INTO ticket_path (ticket_id, position, guide_version, node_id, shown_at, choice_index, answered_at) ",
            );
            q.push_values(chunk, |mut row, (id, position, step)| {
                row.push_bind(*id)
                    .push_bind(*position)
                    .push_bind(&*step.guide_version)
                    .push_bind(&*step.node_id)
                    .push_bind(step.shown_at.millis())
                    .push_bind(step.answer.map(|a| a.0))
                    .push_bind(step.answer.map(|a| a.1.millis()));
            });
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    })
}
