//! The zone the insight counters are keyed in, and rebuilding them for another one.
//!
//! The counters count by the installation's local days and hours. The database records the zone
//! they were built for (`insight_zone`) and that zone's offsets from UTC (`insight_zone_offsets`,
//! which the triggers on `tickets` read, since SQL cannot ask jiff). When the server starts with
//! another zone, or with other rules for the same zone (a newer time zone database), every
//! counter is emptied and rebuilt from the raw rows in one transaction, before anything
//! is served: the events replayed through the same [`Attempt::apply`] that keeps them on write,
//! and the ticket counters by the same SQL as the triggers. The attempts of visits retention
//! deleted have no events left to replay: they are kept, and counted from their rows.

use sqlx::{QueryBuilder, Row};

use super::{Conn, event, on_conn, rollups};
use crate::domain::time::{Timestamp, Zone};
use crate::store::StoreError;
use crate::store::counting::{Attempt, RollupZone, Tally};

/// The offsets table holds the zone's rules up to 2200-01-01T00:00Z; past it the last offset
/// stands (in SQL only: the store asks jiff).
const OFFSETS_UNTIL: Timestamp = Timestamp(7_258_118_400_000);

/// Events read per round trip while replaying them.
const REPLAY_PAGE: i64 = 20_000;

/// Rows per multi-row statement: two values a row.
const ROWS_PER_STATEMENT: usize = 400;

/// The SQL for the local day number of the instant in column `column`: the instant plus the
/// recorded zone's offset at it, in whole civil days (times after 1970, where SQL's division
/// and [`Zone::local_day`]'s agree).
pub(in crate::store) fn local_day_sql(column: &str) -> String {
    format!(
        "(({column} + (SELECT o.offset_ms FROM insight_zone_offsets o WHERE o.from_at <= {column}
                        ORDER BY o.from_at DESC LIMIT 1)) / 86400000)"
    )
}

/// The zone the counters were built for, as recorded.
pub(in crate::store) async fn recorded_zone(conn: Conn<'_>) -> Result<Zone, StoreError> {
    on_conn!(conn, |conn| {
        let name: String = sqlx::query_scalar("SELECT name FROM insight_zone WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        Ok(Zone::parse(&name)?)
    })
}

/// Keys the counters by `zone`, inside the caller's transaction: rebuilds them if they were
/// built for another zone or other offsets, or if `always`. Returns whether it rebuilt; the
/// shared zone is changed at once, so the writes after it in the same transaction count in the
/// new zone (and [`RollupZone`] goes back to `before` if the transaction fails: see
/// each backend's `use_zone`).
pub(in crate::store) async fn key_by(
    conn: Conn<'_>,
    shared: &RollupZone,
    zone: Zone,
    always: bool,
) -> Result<bool, StoreError> {
    on_conn!(conn, |conn| {
        let offsets = zone.offsets(OFFSETS_UNTIL);
        let name: String = sqlx::query_scalar("SELECT name FROM insight_zone WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        let recorded: Vec<(i64, i64)> =
            sqlx::query_as("SELECT from_at, offset_ms FROM insight_zone_offsets ORDER BY from_at")
                .fetch_all(&mut *conn)
                .await?;
        if !always && name == zone.name() && recorded == offsets {
            shared.set(zone);
            return Ok(false);
        }
        sqlx::query("UPDATE insight_zone SET name = $1 WHERE id = 1")
            .bind(zone.name())
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM insight_zone_offsets")
            .execute(&mut *conn)
            .await?;
        for chunk in offsets.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new("INSERT INTO insight_zone_offsets (from_at, offset_ms) ");
            q.push_values(chunk, |mut row, (from, offset)| {
                row.push_bind(*from).push_bind(*offset);
            });
            q.build().execute(&mut *conn).await?;
        }
        rebuild(conn.into(), &zone).await?;
        shared.set(zone);
        Ok(true)
    })
}

/// Empties every counter and computes it again from the events, tickets and audit trail, days
/// in `zone` (whose offsets the table already holds).
async fn rebuild(conn: Conn<'_>, zone: &Zone) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        // The attempts of visits retention deleted stay: they are all there is left of them.
        sqlx::query("DELETE FROM insight_attempts WHERE visit_id IS NOT NULL")
            .execute(&mut *conn)
            .await?;
        for table in [
            "insight_daily",
            "insight_hourly",
            "insight_resolutions",
            "insight_resolution_hours",
            "insight_tickets",
            "insight_contacts_sent",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *conn)
                .await?;
        }
        replay_events(Conn::from(&mut *conn), zone).await?;
        recount_kept(Conn::from(&mut *conn), zone).await?;
        let created = local_day_sql("created_at");
        for sql in [
        // A ticket's first move to resolved (or closed) is its resolution (`track_status`).
        "INSERT INTO insight_resolutions (ticket_id, problem_id, created_at, resolved_at, hours)
         SELECT t.id, t.problem_id, t.created_at, MIN(a.at), (MIN(a.at) - t.created_at) / 3600000
         FROM tickets t JOIN ticket_audit a ON a.ticket_id = t.id
         WHERE a.action = 'status' AND a.after IN ('resolved', 'closed')
         GROUP BY t.id, t.problem_id, t.created_at"
            .to_string(),
        format!(
            "INSERT INTO insight_resolution_hours (day, problem_id, hours, tickets)
             SELECT day, problem_id, hours, COUNT(*)
             FROM (SELECT {created} AS day, problem_id, hours FROM insight_resolutions) r
             GROUP BY day, problem_id, hours"
        ),
        // As the trigger on inserting a ticket counts it.
        format!(
            "INSERT INTO insight_tickets (day, problem_id, outcome_kind, tickets)
             SELECT day, problem_id, outcome_kind, COUNT(*)
             FROM (SELECT {created} AS day, problem_id, outcome_kind FROM tickets) t
             GROUP BY day, problem_id, outcome_kind"
        ),
        // The attempt each ticket was opened from, as the same trigger finds it; marking it
        // fills `insight_contacts_sent` through the trigger on `insight_attempts`.
        "UPDATE insight_attempts SET ticket_opened = 1
         WHERE id IN (SELECT a.id
                      FROM (SELECT t.problem_id,
                                   (SELECT b.id FROM insight_attempts b WHERE b.visit_id = t.visit_id AND b.seq < e.seq
                                    ORDER BY b.seq DESC LIMIT 1) AS attempt_id
                            FROM tickets t JOIN visit_events e ON e.id = t.outcome_event_id) x
                      JOIN insight_attempts a ON a.id = x.attempt_id AND a.problem_id = x.problem_id
                      WHERE a.outcome_kind IN ('iims-support', 'account-manager', 'guide-ended'))"
            .to_string(),
    ] {
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
        Ok(())
    })
}

/// Counts again the attempts whose visits retention deleted, from their rows (their events are
/// gone), as their events counted them: the day each started is taken in `zone` first.
async fn recount_kept(conn: Conn<'_>, zone: &Zone) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        sqlx::query(&format!(
            "UPDATE insight_attempts SET day = {} WHERE visit_id IS NULL",
            local_day_sql("started_at")
        ))
        .execute(&mut *conn)
        .await?;
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(
                "SELECT id, problem_id, day, started_at, steps, outcome_kind, outcome_step
             FROM insight_attempts WHERE visit_id IS NULL AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(REPLAY_PAGE)
            .fetch_all(&mut *conn)
            .await?;
            let full = rows.len() as i64 == REPLAY_PAGE;
            let mut tally = Tally::default();
            for row in rows {
                after = row.try_get("id")?;
                let outcome: Option<String> = row.try_get("outcome_kind")?;
                let from: Option<String> = row.try_get("outcome_step")?;
                tally.count_kept(
                    row.try_get("day")?,
                    row.try_get("problem_id")?,
                    Timestamp(row.try_get("started_at")?),
                    row.try_get("steps")?,
                    outcome
                        .as_deref()
                        .map(|kind| (kind, from.as_deref().unwrap_or(""))),
                    zone,
                );
            }
            rollups::write(tally, Conn::from(&mut *conn)).await?;
            if !full {
                return Ok(());
            }
        }
    })
}

/// Every event, visit by visit in order, through the rules that keep the counters on write; a
/// page of events in memory at a time.
async fn replay_events(conn: Conn<'_>, zone: &Zone) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        let mut after = (String::new(), i64::MIN);
        let mut visit = String::new();
        let mut attempt: Option<Attempt> = None;
        loop {
            let rows = sqlx::query(
            "SELECT id, visit_id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind
             FROM visit_events WHERE (visit_id, seq) > ($1, $2)
             ORDER BY visit_id, seq LIMIT $3",
        )
        .bind(&after.0)
        .bind(after.1)
        .bind(REPLAY_PAGE)
        .fetch_all(&mut *conn)
        .await?;
            let full = rows.len() as i64 == REPLAY_PAGE;
            let mut tally = Tally::default();
            for row in rows {
                let of: String = row.try_get("visit_id")?;
                let e = event(row)?;
                if of != visit {
                    visit = of;
                    attempt = None;
                }
                Attempt::apply(&mut attempt, &visit, &e, zone, &mut tally);
                after.1 = e.seq;
            }
            after.0.clone_from(&visit);
            rollups::write(tally, Conn::from(&mut *conn)).await?;
            if !full {
                return Ok(());
            }
        }
    })
}
