//! Bulk loading of synthetic visits and tickets (see `crate::seed`), for benchmarks and demos.

use uuid::Uuid;

use super::rollups::{Attempt, Tally};
use super::{Store, StoreError};
use crate::journey::path::Event;
use crate::seed::SyntheticVisit;

impl Store {
    /// Inserts generated visits, their events and tickets in one transaction; tickets that have
    /// moved on from "new" are assigned round-robin to `managers` (id, name), if any.
    pub async fn insert_synthetic(
        &self,
        visits: Vec<SyntheticVisit>,
        managers: Vec<(String, String)>,
    ) -> Result<(), StoreError> {
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let mut number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) FROM tickets")
                        .fetch_one(&mut *conn)
                        .await?;
                    // The insight counters of the whole chunk, written together at its end.
                    let mut tally = Tally::default();
                    for visit in visits {
                        let id = visit.id.to_string();
                        let (first, last) = match (visit.events.first(), visit.events.last()) {
                            (Some(f), Some(l)) => (f.at.millis(), l.at.millis()),
                            _ => continue,
                        };
                        sqlx::query("INSERT INTO visits (id, csrf_token, started_at, last_seen_at) VALUES ($1, $2, $3, $4)")
                            .bind(&id)
                            .bind(Uuid::new_v4().simple().to_string())
                            .bind(first)
                            .bind(last)
                            .execute(&mut *conn)
                            .await?;
                        let mut outcome_event = None;
                        // A new visit: no attempt before its own events.
                        let mut attempt = None;
                        for e in &visit.events {
                            let event_id: i64 = sqlx::query_scalar(
                                "INSERT INTO visit_events
                                   (visit_id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                            )
                            .bind(&id)
                            .bind(e.seq)
                            .bind(e.at.millis())
                            .bind(e.kind.as_str())
                            .bind(&e.guide_version)
                            .bind(&e.problem_id)
                            .bind(&e.node_id)
                            .bind(e.choice_index)
                            .bind(&e.next_id)
                            .bind(&e.outcome_kind)
                            .fetch_one(&mut *conn)
                            .await?;
                            let recorded = Event { id: event_id, ..e.clone() };
                            Attempt::apply(&mut attempt, &id, &recorded, &mut tally);
                            outcome_event = Some((event_id, e.guide_version.clone()));
                        }
                        let (Some(t), Some((outcome_event, version))) = (visit.ticket, outcome_event) else {
                            continue;
                        };
                        number += 1;
                        let ticket_id = Uuid::new_v4().to_string();
                        let status = t.changes.last().map_or("new", |c| c.1);
                        let updated = t.changes.last().map_or(t.created_at, |c| c.0);
                        let manager = (status != "new" && !managers.is_empty())
                            .then(|| managers[number as usize % managers.len()].clone());
                        let assignee = manager.as_ref().map(|m| m.0.clone());
                        sqlx::query(
                            "INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version,
                                problem_id, ending_id, outcome_kind, reason, customer_name, customer_email,
                                customer_phone, customer_account, email_program, description, status, created_at, updated_at,
                                assignee_id)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14, $15, $16, $17, $18, $19)",
                        )
                        .bind(&ticket_id)
                        .bind(number)
                        .bind(format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()))
                        .bind(&id)
                        .bind(outcome_event)
                        .bind(&version)
                        .bind(&t.problem_id)
                        .bind(&t.ending_id)
                        .bind(t.outcome_kind.as_str())
                        .bind(&t.reason)
                        .bind(&t.name)
                        .bind(&t.email)
                        .bind(&t.account)
                        .bind(&t.email_program)
                        .bind(&t.description)
                        .bind(status)
                        .bind(t.created_at.millis())
                        .bind(updated.millis())
                        .bind(&assignee)
                        .execute(&mut *conn)
                        .await?;
                        for (position, step) in t.path.steps.iter().enumerate() {
                            sqlx::query(
                                "INSERT INTO ticket_path (ticket_id, position, guide_version, node_id, shown_at, choice_index, answered_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(&ticket_id)
                            .bind(position as i64)
                            .bind(&step.guide_version)
                            .bind(&step.node_id)
                            .bind(step.shown_at.millis())
                            .bind(step.answer.map(|a| a.0))
                            .bind(step.answer.map(|a| a.1.millis()))
                            .execute(&mut *conn)
                            .await?;
                        }
                        let mut audit = vec![(t.created_at, None, "opened", None, Some("new"))];
                        let mut before = "new";
                        for (i, (at, status)) in t.changes.iter().enumerate() {
                            if i == 0 && assignee.is_some() {
                                audit.push((*at, assignee.as_deref(), "assignee", None, None));
                            }
                            audit.push((*at, assignee.as_deref(), "status", Some(before), Some(*status)));
                            before = status;
                        }
                        for (at, actor, action, before, after) in audit {
                            // The audit names the manager, as the console's own assignments do.
                            let after = if action == "assignee" { manager.as_ref().map(|m| m.1.as_str()) } else { after };
                            sqlx::query("INSERT INTO ticket_audit (ticket_id, at, actor_id, action, before, after) VALUES ($1, $2, $3, $4, $5, $6)")
                                .bind(&ticket_id)
                                .bind(at.millis())
                                .bind(actor)
                                .bind(action)
                                .bind(before)
                                .bind(after)
                                .execute(&mut *conn)
                                .await?;
                            if action == "status" {
                                super::insights::track_status(conn, &ticket_id, at.millis(), after.unwrap_or("")).await?;
                            }
                        }
                    }
                    tally.write(conn).await
                })
            })
            .await
    }

    /// The ids and names of enabled managers, for assigning synthetic tickets.
    pub async fn enabled_manager_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, name FROM managers WHERE enabled = 1 ORDER BY created_at")
                .fetch_all(&self.read)
                .await?,
        )
    }
}
