//! Response-time targets, and `tickets.due_at`: the deadline an open ticket works to
//! next, kept by every change that moves it (opening, the first reply, a change of status, a
//! change of targets) so the queue sorts by an indexed column.

use std::collections::HashMap;

use async_trait::async_trait;

use super::{Conn, Shared, on_conn, on_pool};
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
pub(in crate::store) async fn targets_on(
    conn: Conn<'_>,
) -> Result<HashMap<String, Target>, sqlx::Error> {
    let sql = "SELECT outcome_kind, first_response_minutes, resolution_minutes, business_hours = 1
               FROM response_targets";
    let rows: Vec<TargetRow> = on_conn!(conn, |c| sqlx::query_as(sql).fetch_all(c).await?);
    Ok(rows.iter().map(|r| (r.0.clone(), target_of(r))).collect())
}

/// The `due_at` of a ticket of this kind, opened then, answered or not, in this status.
pub(in crate::store) fn due_at(
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
pub(in crate::store) async fn refresh_due(
    mut conn: Conn<'_>,
    id: &str,
    zone: &Zone,
) -> Result<(), StoreError> {
    let sql =
        "SELECT outcome_kind, created_at, first_response_at, status FROM tickets WHERE id = $1";
    let row: Option<(String, i64, Option<i64>, String)> = on_conn!(conn.reborrow(), |c| {
        sqlx::query_as(sql).bind(id).fetch_optional(c).await?
    });
    let Some((kind, opened, responded, status)) = row else {
        return Ok(());
    };
    let status = TicketStatus::from_name(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?;
    let targets = targets_on(conn.reborrow()).await?;
    let due = due_at(
        targets.get(&kind),
        Timestamp(opened),
        responded.is_some(),
        status,
        zone,
    );
    let sql = "UPDATE tickets SET due_at = $1 WHERE id = $2 AND due_at <> $1";
    on_conn!(conn, |c| {
        sqlx::query(sql).bind(due).bind(id).execute(c).await?;
    });
    Ok(())
}

#[async_trait]
impl<S: Shared> TargetStore for S {
    async fn ticket_times(
        &self,
        from: Timestamp,
        to: Timestamp,
        problem: Option<&str>,
    ) -> Result<Vec<TicketTimes>, StoreError> {
        let sql = "SELECT t.outcome_kind, t.created_at, t.first_response_at,
                   (SELECT MIN(a.at) FROM ticket_audit a WHERE a.ticket_id = t.id AND a.action = 'status'
                       AND a.after IN ('resolved', 'closed'))
            FROM tickets t
            WHERE t.created_at >= $1 AND t.created_at < $2 AND ($3 IS NULL OR t.problem_id = $3)
            ORDER BY t.created_at";
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = on_pool!(self.pool(), |p| {
            sqlx::query_as(sql)
                .bind(from.millis())
                .bind(to.millis())
                .bind(problem)
                .fetch_all(p)
                .await?
        });
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
        let sql =
            "SELECT outcome_kind, first_response_minutes, resolution_minutes, business_hours = 1
                   FROM response_targets ORDER BY outcome_kind";
        let rows: Vec<TargetRow> =
            on_pool!(self.pool(), |p| sqlx::query_as(sql).fetch_all(p).await?);
        Ok(rows.iter().map(|r| (r.0.clone(), target_of(r))).collect())
    }

    async fn set_target(&self, kind: &str, target: Target) -> Result<(), StoreError> {
        let kind = kind.to_string();
        let zone = self.zone();
        self.transaction(move |mut conn| {
            Box::pin(async move {
                let upsert = "INSERT INTO response_targets (outcome_kind, first_response_minutes, resolution_minutes, business_hours)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (outcome_kind) DO UPDATE SET
                         first_response_minutes = excluded.first_response_minutes,
                         resolution_minutes = excluded.resolution_minutes,
                         business_hours = excluded.business_hours";
                on_conn!(conn.reborrow(), |c| {
                    sqlx::query(upsert)
                        .bind(&kind)
                        .bind(target.first_response_minutes)
                        .bind(target.resolution_minutes)
                        .bind(i64::from(target.business_hours))
                        .execute(c)
                        .await?;
                });
                let open = "SELECT id, created_at, first_response_at, status FROM tickets
                     WHERE outcome_kind = $1 AND status NOT IN ('resolved', 'closed')";
                let open: Vec<(String, i64, Option<i64>, String)> =
                    on_conn!(conn.reborrow(), |c| sqlx::query_as(open).bind(&kind).fetch_all(c).await?);
                for (id, opened, responded, status) in open {
                    let status = TicketStatus::from_name(&status).unwrap_or(TicketStatus::New);
                    let due = due_at(Some(&target), Timestamp(opened), responded.is_some(), status, &zone);
                    let sql = "UPDATE tickets SET due_at = $1 WHERE id = $2";
                    on_conn!(conn.reborrow(), |c| {
                        sqlx::query(sql).bind(due).bind(&id).execute(c).await?;
                    });
                }
                Ok(())
            })
        })
            .await
    }
}
