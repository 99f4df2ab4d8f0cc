//! Escalation tickets and the paths they carry.

use crate::store::shared::Conn;
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use super::PgStore;
use super::escalations::open_tickets;
use crate::domain::path::Event;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;
use crate::store::shared::event;
use crate::store::shared::work::path_on;
use crate::store::{
    CustomerUpdates, NewTicket, StoreError, TicketCreated, TicketStore, TicketSummary,
};

#[async_trait]
impl TicketStore for PgStore {
    async fn create_ticket(&self, new: NewTicket) -> Result<Option<TicketCreated>, StoreError> {
        let zone = self.zone.get();
        self.write(move |conn| {
            Box::pin(async move { Ok(open_tickets(conn, vec![new], &zone).await?.pop().flatten()) })
        })
        .await
    }

    async fn ticket_for_escalation(
        &self,
        visit: Uuid,
        outcome_event: i64,
    ) -> Result<Option<TicketCreated>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT number, status_token FROM tickets WHERE outcome_event_id = $1 AND visit_id = $2")
                .bind(outcome_event)
                .bind(visit.to_string())
                .fetch_optional(&self.read)
                .await?;
        Ok(row.map(|(number, status_token)| TicketCreated {
            number,
            status_token,
            existed: true,
        }))
    }

    async fn ticket_by_token(&self, token: &str) -> Result<Option<TicketSummary>, StoreError> {
        self.summary_where("status_token", token).await
    }

    async fn ticket_by_id(&self, id: &str) -> Result<Option<TicketSummary>, StoreError> {
        self.summary_where("id", id).await
    }

    async fn customer_updates(&self, ticket_id: &str) -> Result<CustomerUpdates, StoreError> {
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT at, after FROM ticket_audit WHERE ticket_id = $1 AND action IN ('opened', 'status') ORDER BY at, id",
        )
        .bind(ticket_id)
        .fetch_all(&self.read)
        .await?;
        let assignee_name: Option<String> = sqlx::query_scalar(
            "SELECT m.name FROM tickets t JOIN managers m ON m.id = t.assignee_id WHERE t.id = $1",
        )
        .bind(ticket_id)
        .fetch_optional(&self.read)
        .await?;
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
        let rows = sqlx::query(
            "SELECT e.id, e.seq, e.at, e.kind, e.guide_version, e.problem_id, e.node_id,
                    e.choice_index, e.next_id, e.outcome_kind
             FROM tickets t
             JOIN visit_events o ON o.id = t.outcome_event_id
             JOIN visit_events e ON e.visit_id = t.visit_id AND e.seq <= o.seq
             WHERE t.id = $1
             ORDER BY e.seq",
        )
        .bind(ticket_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(event).collect::<Result<_, _>>()?)
    }
}

impl PgStore {
    /// The ticket whose `column` (a unique one) is `value`, as its customer sees it.
    async fn summary_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<TicketSummary>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let sql = format!(
            "SELECT id, number, status_token, status, created_at, updated_at, guide_version, problem_id,
                    ending_id, outcome_kind, reason, customer_name, customer_email, customer_phone,
                    customer_account, email_program, description
             FROM tickets WHERE {column} = $1"
        );
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
            status: crate::store::shared::status_of(&row)?,
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
    }
}
