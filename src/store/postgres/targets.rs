//! Response-time targets on PostgreSQL, and `tickets.due_at`: the deadline an open ticket works to
//! next, kept by every change that moves it (opening, the first reply, a change of status, a
//! change of targets) so the queue sorts by an indexed column.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::domain::targets::{NO_DEADLINE, Target};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone};
use crate::store::{StoreError, TargetStore, TicketTimes};

type TargetRow = (String, Option<i64>, Option<i64>, bool);

fn target_of((_, first, resolution, business): &TargetRow) -> Target {
    Target {
        first_response_minutes: *first,
        resolution_minutes: *resolution,
        business_hours: *business,
    }
}

/// Every kind's targets.
pub(super) async fn targets_on(
    conn: &mut PgConnection,
) -> Result<HashMap<String, Target>, sqlx::Error> {
    let rows: Vec<TargetRow> = sqlx::query_as(
        "SELECT outcome_kind, first_response_minutes, resolution_minutes, business_hours = 1
         FROM response_targets",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(|r| (r.0.clone(), target_of(r))).collect())
}

/// The `due_at` of a ticket of this kind, opened then, answered or not, in this status.
pub(super) fn due_at(
    target: Option<&Target>,
    opened: Timestamp,
    responded: bool,
    status: TicketStatus,
    zone: &Zone,
) -> i64 {
    target
        .and_then(|t| t.next_due(opened, responded, status.is_open(), zone))
        .map_or(NO_DEADLINE, |t| t.0)
}

/// Moves ticket `id`'s deadline to what its targets, answer and status now say.
pub(super) async fn refresh_due(
    conn: &mut PgConnection,
    id: &str,
    zone: &Zone,
) -> Result<(), StoreError> {
    let row: Option<(String, i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT outcome_kind, created_at, first_response_at, status FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((kind, opened, responded, status)) = row else {
        return Ok(());
    };
    let status = TicketStatus::from_name(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?;
    let targets = targets_on(conn).await?;
    let due = due_at(
        targets.get(&kind),
        Timestamp(opened),
        responded.is_some(),
        status,
        zone,
    );
    sqlx::query("UPDATE tickets SET due_at = $1 WHERE id = $2 AND due_at <> $1")
        .bind(due)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl TargetStore for PgStore {
    async fn ticket_times(
        &self,
        from: Timestamp,
        to: Timestamp,
        problem: Option<&str>,
    ) -> Result<Vec<TicketTimes>, StoreError> {
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT t.outcome_kind, t.created_at, t.first_response_at,
                    (SELECT MIN(a.at) FROM ticket_audit a WHERE a.ticket_id = t.id AND a.action = 'status'
                        AND a.after IN ('resolved', 'closed'))
             FROM tickets t
             WHERE t.created_at >= $1 AND t.created_at < $2 AND ($3 IS NULL OR t.problem_id = $3)
             ORDER BY t.created_at",
        )
        .bind(from.millis())
        .bind(to.millis())
        .bind(problem)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, created, first, resolved)| TicketTimes {
                outcome_kind: kind,
                created_at: Timestamp(created),
                first_response_at: first.map(Timestamp),
                resolved_at: resolved.map(Timestamp),
            })
            .collect())
    }

    async fn targets(&self) -> Result<Vec<(String, Target)>, StoreError> {
        let rows: Vec<TargetRow> = sqlx::query_as(
            "SELECT outcome_kind, first_response_minutes, resolution_minutes, business_hours = 1
             FROM response_targets ORDER BY outcome_kind",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| (r.0.clone(), target_of(r))).collect())
    }

    async fn set_target(&self, kind: &str, target: Target) -> Result<(), StoreError> {
        let kind = kind.to_string();
        let zone = self.zone.get();
        self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO response_targets (outcome_kind, first_response_minutes, resolution_minutes, business_hours)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (outcome_kind) DO UPDATE SET
                             first_response_minutes = excluded.first_response_minutes,
                             resolution_minutes = excluded.resolution_minutes,
                             business_hours = excluded.business_hours",
                    )
                    .bind(&kind)
                    .bind(target.first_response_minutes)
                    .bind(target.resolution_minutes)
                    .bind(i64::from(target.business_hours))
                    .execute(&mut *conn)
                    .await?;
                    let open: Vec<(String, i64, Option<i64>, String)> = sqlx::query_as(
                        "SELECT id, created_at, first_response_at, status FROM tickets
                         WHERE outcome_kind = $1 AND status NOT IN ('resolved', 'closed')",
                    )
                    .bind(&kind)
                    .fetch_all(&mut *conn)
                    .await?;
                    for (id, opened, responded, status) in open {
                        let status = TicketStatus::from_name(&status).unwrap_or(TicketStatus::New);
                        let due = due_at(Some(&target), Timestamp(opened), responded.is_some(), status, &zone);
                        sqlx::query("UPDATE tickets SET due_at = $1 WHERE id = $2")
                            .bind(due)
                            .bind(&id)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
    }
}
