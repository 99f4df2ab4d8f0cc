//! Bulk loading of synthetic visits and tickets (see `crate::seed`), for benchmarks and demos.
//!
//! A chunk of generated visits is written in one transaction with a few multi-row statements
//! per table, the way SQLite's writer records a group of customers' clicks: a million events load in
//! under two minutes instead of the nine a statement per row took.

use async_trait::async_trait;
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::events::insert_events;
use super::tickets::insert_paths;
use super::{Conn, Shared, batches, on_conn, on_pool, rollups};
use crate::domain::path::{Event, Path};
use crate::domain::synthetic::{SyntheticTicket, SyntheticVisit};
use crate::domain::time::{Timestamp, Zone};
use crate::store::counting::{Attempt, Tally};
use crate::store::{SeedStore, StoreError};

#[async_trait]
impl<S: Shared> SeedStore for S {
    async fn insert_synthetic(
        &self,
        visits: Vec<SyntheticVisit>,
        managers: Vec<(String, String)>,
    ) -> Result<(), StoreError> {
        let zone = self.zone();
        self.transaction(move |conn| Box::pin(write_synthetic(conn, visits, managers, zone)))
            .await
    }

    async fn enabled_manager_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(on_pool!(self.pool(), |read| sqlx::query_as(
            "SELECT id, name FROM managers WHERE enabled = 1 ORDER BY created_at"
        )
        .fetch_all(read)
        .await?))
    }
}

/// A ticket ready to insert, with its path and audit rows.
struct NewTicket<'v> {
    id: String,
    number: i64,
    visit: &'v str,
    outcome_event: i64,
    guide_version: &'v str,
    ticket: &'v SyntheticTicket,
    status: &'static str,
    updated: Timestamp,
    assignee: Option<&'v (String, String)>,
}

/// One `ticket_audit` row: (ticket, at, actor, action, before, after).
type AuditRow<'v> = (
    &'v str,
    i64,
    Option<&'v str>,
    &'static str,
    Option<&'static str>,
    Option<&'v str>,
);

async fn write_synthetic(
    conn: Conn<'_>,
    visits: Vec<SyntheticVisit>,
    managers: Vec<(String, String)>,
    zone: Zone,
) -> Result<(), StoreError> {
    let dialect = conn.dialect();
    on_conn!(conn, |conn| {
        let visits: Vec<(String, SyntheticVisit)> = visits
            .into_iter()
            .filter(|v| !v.events.is_empty())
            .map(|v| (v.id.to_string(), v))
            .collect();

        for chunk in batches(&visits) {
            let mut q = QueryBuilder::new("INSERT INTO visits (id, csrf_token, started_at) ");
            q.push_values(chunk, |mut row, (id, visit)| {
                row.push_bind(id)
                    .push_bind(Uuid::new_v4().simple().to_string())
                    .push_bind(visit.events.first().map_or(0, |e| e.at.millis()));
            });
            q.build().execute(&mut *conn).await?;
        }

        // Every event, with the id the database gave it.
        let events: Vec<(&str, &Event)> = visits
            .iter()
            .flat_map(|(id, v)| v.events.iter().map(move |e| (id.as_str(), e)))
            .collect();
        // The ids, in the order of `events`: visit by visit, each visit's events in order.
        let mut ids = insert_events(Conn::from(&mut *conn), &events)
            .await?
            .into_iter();

        // The insight counters, moved on visit by visit in memory and written together.
        let mut tally = Tally::default();
        let mut number: i64 = sqlx::query_scalar(dialect.last_ticket_number())
            .fetch_one(&mut *conn)
            .await?;
        let mut tickets = Vec::new();
        for (visit, v) in &visits {
            // A new visit: no attempt before its own events.
            let mut attempt = None;
            let mut last_id = 0;
            for e in &v.events {
                let id = ids.next().ok_or(sqlx::Error::RowNotFound)?;
                let recorded = Event { id, ..e.clone() };
                Attempt::apply(&mut attempt, visit, &recorded, &zone, &mut tally);
                last_id = id;
            }
            let (Some(ticket), Some(last)) = (&v.ticket, v.events.last()) else {
                continue;
            };
            number += 1;
            let status = ticket.changes.last().map_or("new", |c| c.1);
            tickets.push(NewTicket {
                id: Uuid::new_v4().to_string(),
                number,
                visit,
                outcome_event: last_id,
                guide_version: &last.guide_version,
                ticket,
                status,
                updated: ticket.changes.last().map_or(ticket.created_at, |c| c.0),
                assignee: (status != "new" && !managers.is_empty())
                    .then(|| &managers[number as usize % managers.len()]),
            });
        }
        rollups::write(tally, Conn::from(&mut *conn)).await?;
        if let Some(record) = dialect.record_ticket_number() {
            sqlx::query(record).bind(number).execute(&mut *conn).await?;
        }

        for chunk in batches(&tickets) {
            let mut q = QueryBuilder::new(
            "INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version,
                problem_id, ending_id, outcome_kind, reason, customer_name, customer_email,
                customer_phone, customer_account, email_program, description, status, created_at,
                updated_at, assignee_id) ",
        );
            q.push_values(chunk, |mut row, t| {
                row.push_bind(&t.id)
                    .push_bind(t.number)
                    .push_bind(format!(
                        "{}{}",
                        Uuid::new_v4().simple(),
                        Uuid::new_v4().simple()
                    ))
                    .push_bind(t.visit)
                    .push_bind(t.outcome_event)
                    .push_bind(t.guide_version)
                    .push_bind(&t.ticket.problem_id)
                    .push_bind(&t.ticket.ending_id)
                    .push_bind(t.ticket.outcome_kind.as_str())
                    .push_bind(&t.ticket.reason)
                    .push_bind(&t.ticket.name)
                    .push_bind(&t.ticket.email)
                    .push_bind(None::<String>)
                    .push_bind(&t.ticket.account)
                    .push_bind(&t.ticket.email_program)
                    .push_bind(&t.ticket.description)
                    .push_bind(t.status)
                    .push_bind(t.ticket.created_at.millis())
                    .push_bind(t.updated.millis())
                    .push_bind(t.assignee.map(|m| &m.0));
            });
            q.build().execute(&mut *conn).await?;
        }

        let paths: Vec<(&str, &Path)> = tickets
            .iter()
            .map(|t| (t.id.as_str(), &t.ticket.path))
            .collect();
        insert_paths(Conn::from(&mut *conn), &paths).await?;

        let audit: Vec<AuditRow> = tickets.iter().flat_map(audit_rows).collect();
        for chunk in batches(&audit) {
            let mut q = QueryBuilder::new(
                "INSERT INTO ticket_audit (ticket_id, at, actor_id, action, before, after) ",
            );
            q.push_values(
                chunk,
                |mut row, (ticket, at, actor, action, before, after)| {
                    row.push_bind(*ticket)
                        .push_bind(*at)
                        .push_bind(*actor)
                        .push_bind(*action)
                        .push_bind(*before)
                        .push_bind(*after);
                },
            );
            q.build().execute(&mut *conn).await?;
        }
        for (ticket, at, _, action, _, after) in &audit {
            if *action == "status" {
                super::insights::track_status(
                    Conn::from(&mut *conn),
                    ticket,
                    *at,
                    after.unwrap_or(""),
                )
                .await?;
            }
        }
        Ok(())
    })
}

/// A ticket's audit rows: opened, then assigned with its first change, then each change.
fn audit_rows<'v>(t: &'v NewTicket<'v>) -> Vec<AuditRow<'v>> {
    let actor = t.assignee.map(|m| m.0.as_str());
    let mut rows = vec![(
        t.id.as_str(),
        t.ticket.created_at.millis(),
        None,
        "opened",
        None,
        Some("new"),
    )];
    let mut before = "new";
    for (i, (at, status)) in t.ticket.changes.iter().enumerate() {
        if i == 0 && actor.is_some() {
            // The audit names the manager, as the console's own assignments do.
            rows.push((
                t.id.as_str(),
                at.millis(),
                actor,
                "assignee",
                None,
                t.assignee.map(|m| m.1.as_str()),
            ));
        }
        rows.push((
            t.id.as_str(),
            at.millis(),
            actor,
            "status",
            Some(before),
            Some(status),
        ));
        before = status;
    }
    rows
}
