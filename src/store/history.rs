//! What a ticket's customer did before escalating: the visit's events up to the ticket's
//! outcome, for the full reading of the path.

use super::visits::event;
use super::{Store, StoreError};
use crate::domain::path::Event;

impl Store {
    /// The events of the ticket's visit up to and including the outcome it escalated from,
    /// oldest first. Empty for an unknown ticket.
    pub async fn ticket_events(&self, ticket_id: &str) -> Result<Vec<Event>, StoreError> {
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
