//! The rows of the insights' CSV exports: the tickets opened and the path events recorded in a
//! range of instants (the console turns the chosen local days into them), oldest first, a page at
//! a time after a keyset cursor.

use sqlx::Row;

use super::{Pool, on_pool, status_of};
use crate::domain::time::Timestamp;
use crate::store::{EventExport, ExportFilter, StoreError, TicketExport};

/// A page of the tickets export: see
/// [`tickets_for_export`](crate::store::InsightStore::tickets_for_export).
pub(in crate::store) async fn export_tickets(
    pool: Pool<'_>,
    filter: &ExportFilter,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<TicketExport>, StoreError> {
    let (after_at, after_number) = after.unwrap_or((i64::MIN, i64::MIN));
    on_pool!(pool, |pool| {
        let rows = sqlx::query(
        "SELECT t.number, t.created_at, t.problem_id, t.outcome_kind, t.ending_id, t.status, m.name AS assignee,
                t.customer_name, t.customer_email, t.customer_phone, t.customer_account, t.email_program,
                t.description, r.resolved_at, t.updated_at, t.visit_id, t.outcome_event_id
         FROM tickets t
         LEFT JOIN managers m ON m.id = t.assignee_id
         LEFT JOIN insight_resolutions r ON r.ticket_id = t.id
         WHERE t.created_at >= $1 AND t.created_at < $2 AND ($3 IS NULL OR t.problem_id = $3)
           AND (t.created_at, t.number) > ($4, $5)
         ORDER BY t.created_at, t.number
         LIMIT $6",
    )
    .bind(filter.start.millis())
    .bind(filter.until.millis())
    .bind(filter.problem.as_deref())
    .bind(after_at)
    .bind(after_number)
    .bind(limit)
    .fetch_all(pool)
    .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TicketExport {
                    number: r.try_get("number")?,
                    created_at: Timestamp(r.try_get("created_at")?),
                    problem_id: r.try_get("problem_id")?,
                    outcome_kind: r.try_get("outcome_kind")?,
                    ending_id: r.try_get("ending_id")?,
                    status: status_of(&r)?,
                    assignee: r.try_get("assignee")?,
                    customer_name: r.try_get("customer_name")?,
                    customer_email: r.try_get("customer_email")?,
                    customer_phone: r.try_get("customer_phone")?,
                    customer_account: r.try_get("customer_account")?,
                    email_program: r.try_get("email_program")?,
                    description: r.try_get("description")?,
                    resolved_at: r.try_get::<Option<i64>, _>("resolved_at")?.map(Timestamp),
                    updated_at: Timestamp(r.try_get("updated_at")?),
                    visit_id: r.try_get("visit_id")?,
                    outcome_event: r.try_get("outcome_event_id")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    })
}

/// A page of the path events export: see
/// [`events_for_export`](crate::store::InsightStore::events_for_export).
pub(in crate::store) async fn export_events(
    pool: Pool<'_>,
    filter: &ExportFilter,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<EventExport>, StoreError> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, i64::MIN));
    on_pool!(pool, |pool| {
        let rows = sqlx::query(
        "SELECT id, visit_id, seq, at, kind, problem_id, node_id, choice_index, next_id, outcome_kind, guide_version
         FROM visit_events
         WHERE at >= $1 AND at < $2 AND ($3 IS NULL OR problem_id = $3) AND (at, id) > ($4, $5)
         ORDER BY at, id
         LIMIT $6",
    )
    .bind(filter.start.millis())
    .bind(filter.until.millis())
    .bind(filter.problem.as_deref())
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
        rows.into_iter()
            .map(|r| {
                Ok(EventExport {
                    id: r.try_get("id")?,
                    visit_id: r.try_get("visit_id")?,
                    seq: r.try_get("seq")?,
                    at: Timestamp(r.try_get("at")?),
                    kind: r.try_get("kind")?,
                    problem_id: r.try_get("problem_id")?,
                    node_id: r.try_get("node_id")?,
                    choice_index: r.try_get("choice_index")?,
                    next_id: r.try_get("next_id")?,
                    outcome_kind: r.try_get("outcome_kind")?,
                    guide_version: r.try_get("guide_version")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    })
}
