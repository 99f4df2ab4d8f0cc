//! The latest attempts of a group of visits, read in one statement a batch inside the writer (the
//! rest of the counters' reading and writing is shared: `crate::store::shared::rollups`).

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::batches;
use crate::store::StoreError;
use crate::store::counting::Attempt;
use crate::store::shared::rollups::attempt;

/// The latest attempt of each of `visits` that has one, read inside the writer.
pub(super) async fn latest_attempts(
    conn: &mut SqliteConnection,
    visits: &[String],
) -> Result<HashMap<String, Attempt>, StoreError> {
    let mut latest: HashMap<String, Attempt> = HashMap::with_capacity(visits.len());
    for chunk in batches(visits) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, visit_id, seq, problem_id, day, started_at, last_at, step_id, via_step, steps,
                    outcome_kind, outcome_step, ended_at
             FROM insight_attempts WHERE visit_id IN (",
        );
        let mut list = q.separated(", ");
        for visit in chunk {
            list.push_bind(visit);
        }
        q.push(") ORDER BY visit_id, seq");
        // Ordered by position, so the last row of each visit is its latest attempt.
        for row in q.build().fetch_all(&mut *conn).await? {
            let a = attempt(&row)?;
            latest.insert(a.visit_id.clone(), a);
        }
    }
    Ok(latest)
}
