//! Path events: new ids for them, and writing them, a few hundred to a statement.

use sqlx::QueryBuilder;

use super::{Conn, Dialect, batches, on_conn};
use crate::domain::path::Event;

/// `n` new event ids, in order. SQLite's single writer takes the next ones after the highest
/// ever given (retention's deletions included: `visit_retention.highest_event_id`), so an id is
/// never given twice; PostgreSQL's sequence gives them to every instance without a lock.
pub(in crate::store) async fn new_event_ids(
    conn: Conn<'_>,
    n: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    match conn.dialect() {
        Dialect::Sqlite => {
            let first = next_event_id(conn).await?;
            Ok((first..).take(n).collect())
        }
        Dialect::Postgres => on_conn!(conn, |conn| {
            let mut ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('visit_events', 'id')) FROM generate_series(1, $1)",
            )
            .bind(n as i64)
            .fetch_all(&mut *conn)
            .await?;
            ids.sort_unstable();
            Ok(ids)
        }),
    }
}

/// The id the next event inserted gets on SQLite: one past the highest ever recorded, counting
/// those retention deleted (so an id is never given twice, and an attempt kept after its visit
/// was deleted never shares its id with a later one). Only meaningful inside a write
/// transaction, where no other connection can take it in between.
pub(in crate::store) async fn next_event_id(conn: Conn<'_>) -> Result<i64, sqlx::Error> {
    on_conn!(conn, |conn| {
        sqlx::query_scalar(
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM visit_events), 0),
                        (SELECT highest_event_id FROM visit_retention WHERE id = 1)) + 1",
        )
        .fetch_one(&mut *conn)
        .await
    })
}

/// Inserts `events` (each with its visit's id) under new ids, a few hundred to a statement;
/// returns their ids, in order.
pub(in crate::store) async fn insert_events(
    mut conn: Conn<'_>,
    events: &[(&str, &Event)],
) -> Result<Vec<i64>, sqlx::Error> {
    let ids = new_event_ids(conn.reborrow(), events.len()).await?;
    insert_numbered(conn, &ids, events).await?;
    Ok(ids)
}

/// Inserts `events` (each with its visit's id) under `ids`, a few hundred to a statement.
pub(in crate::store) async fn insert_numbered(
    conn: Conn<'_>,
    ids: &[i64],
    events: &[(&str, &Event)],
) -> Result<(), sqlx::Error> {
    on_conn!(conn, |conn| {
        let rows: Vec<_> = ids.iter().zip(events).collect();
        for chunk in batches(&rows) {
            let mut q = QueryBuilder::new(
            "INSERT INTO visit_events
               (id, visit_id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind) ",
        );
            q.push_values(chunk, |mut row, (id, (visit, e))| {
                row.push_bind(**id)
                    .push_bind(*visit)
                    .push_bind(e.seq)
                    .push_bind(e.at.millis())
                    .push_bind(e.kind.as_str())
                    .push_bind(&*e.guide_version)
                    .push_bind(&*e.problem_id)
                    .push_bind(&*e.node_id)
                    .push_bind(e.choice_index)
                    .push_bind(e.next_id.as_deref())
                    .push_bind(e.outcome_kind.as_deref());
            });
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    })
}
