//! Reading and writing the insight counters: the attempts a group of events moves on, and what a
//! [`Tally`] gathered, a few statements in all. The rules are the store's own
//! (`crate::store::counting`). Rows are written in key order, so two instances bumping the same
//! counters on PostgreSQL lock them in the same order and never deadlock.

use sqlx::{QueryBuilder, Row};

use super::{Conn, batches, on_conn};
use crate::domain::path::Name;
use crate::store::StoreError;
pub(in crate::store) use crate::store::counting::{Attempt, Tally};

/// Writes the attempts and counters `tally` gathered, a few statements in all.
pub(in crate::store) async fn write(tally: Tally, conn: Conn<'_>) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        let mut attempts: Vec<Attempt> = tally.attempts.into_values().collect();
        attempts.sort_by_key(|a| a.id);
        for chunk in batches(&attempts) {
            let mut q = QueryBuilder::new(
            "INSERT INTO insight_attempts (id, visit_id, seq, problem_id, day, started_at, last_at,
                    step_id, via_step, steps, outcome_kind, outcome_step, ended_at) ",
        );
            q.push_values(chunk, |mut row, a| {
                row.push_bind(a.id)
                    .push_bind(&a.visit_id)
                    .push_bind(a.seq)
                    .push_bind(&*a.problem_id)
                    .push_bind(a.day)
                    .push_bind(a.started_at)
                    .push_bind(a.last_at)
                    .push_bind(&*a.step_id)
                    .push_bind(a.via_step.as_deref())
                    .push_bind(&a.steps)
                    .push_bind(a.outcome_kind.as_deref())
                    .push_bind(a.outcome_step.as_deref())
                    .push_bind(a.ended_at);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET last_at = excluded.last_at, step_id = excluded.step_id,
                    via_step = excluded.via_step, steps = excluded.steps, outcome_kind = excluded.outcome_kind,
                    outcome_step = excluded.outcome_step, ended_at = excluded.ended_at",
            );
            q.build().execute(&mut *conn).await?;
        }
        let mut daily: Vec<_> = tally.daily.into_iter().collect();
        daily.sort();
        for chunk in batches(&daily) {
            let mut q = QueryBuilder::new(
                "INSERT INTO insight_daily (day, problem_id, measure, step_id, outcome_kind, attempts) ",
            );
            q.push_values(
                chunk,
                |mut row, ((day, problem, measure, step, kind), n)| {
                    row.push_bind(*day)
                        .push_bind(problem)
                        .push_bind(*measure)
                        .push_bind(step)
                        .push_bind(kind)
                        .push_bind(*n);
                },
            );
            q.push(
                " ON CONFLICT (day, problem_id, measure, step_id, outcome_kind)
                  DO UPDATE SET attempts = insight_daily.attempts + excluded.attempts",
            );
            q.build().execute(&mut *conn).await?;
        }
        let mut hourly: Vec<_> = tally.hourly.into_iter().collect();
        hourly.sort();
        for chunk in batches(&hourly) {
            let mut q =
                QueryBuilder::new("INSERT INTO insight_hourly (hour, problem_id, started) ");
            q.push_values(chunk, |mut row, ((hour, problem), n)| {
                row.push_bind(*hour).push_bind(problem).push_bind(*n);
            });
            q.push(
                " ON CONFLICT (hour, problem_id) DO UPDATE SET started = insight_hourly.started + excluded.started",
            );
            q.build().execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// An attempt from its row in `insight_attempts`, on either backend.
pub(in crate::store) fn attempt<R>(row: &R) -> Result<Attempt, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Attempt {
        id: row.try_get("id")?,
        visit_id: row.try_get("visit_id")?,
        seq: row.try_get("seq")?,
        problem_id: row.try_get::<String, _>("problem_id")?.as_str().into(),
        day: row.try_get("day")?,
        started_at: row.try_get("started_at")?,
        last_at: row.try_get("last_at")?,
        step_id: row.try_get::<String, _>("step_id")?.as_str().into(),
        via_step: row
            .try_get::<Option<String>, _>("via_step")?
            .as_deref()
            .map(Name::from),
        steps: row.try_get("steps")?,
        outcome_kind: row
            .try_get::<Option<String>, _>("outcome_kind")?
            .as_deref()
            .map(Name::from),
        outcome_step: row
            .try_get::<Option<String>, _>("outcome_step")?
            .as_deref()
            .map(Name::from),
        ended_at: row.try_get("ended_at")?,
    })
}

/// The visit's latest attempt, read inside the caller's transaction.
pub(in crate::store) async fn latest_attempt(
    conn: Conn<'_>,
    visit: &str,
) -> Result<Option<Attempt>, StoreError> {
    let sql =
        "SELECT id, visit_id, seq, problem_id, day, started_at, last_at, step_id, via_step, steps,
                      outcome_kind, outcome_step, ended_at
               FROM insight_attempts WHERE visit_id = $1 ORDER BY seq DESC LIMIT 1";
    on_conn!(conn, |c| {
        let row = sqlx::query(sql).bind(visit).fetch_optional(c).await?;
        Ok(row.as_ref().map(attempt).transpose()?)
    })
}
