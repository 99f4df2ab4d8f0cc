//! Opening escalation tickets, once a backend has found which to open: their routes, the rows
//! of the tickets, their paths, deadlines and audit trail, and the mails they cause, in the
//! caller's transaction. Finding them (which escalations already have a ticket, the visits'
//! paths, the ticket numbers) is each backend's: SQLite's writer opens a group of them at once
//! from its memory of recent visits; PostgreSQL locks the visits first.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row};

use super::outbox::{self, QueuedMail};
use super::{Conn, batches, keep_prepared, on_conn, targets, tickets};
use crate::domain::mail::MailKind;
use crate::domain::path::{Name, Path};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone};
use crate::store::{NewTicket, StoreError, account_domain, domain_suffixes};

/// A ticket about to be inserted.
pub(in crate::store) struct Opening {
    pub reason: String,
    pub id: String,
    pub number: i64,
    pub token: String,
    pub guide_version: Name,
    pub path: Path,
    pub assignee: Option<(String, String)>,
}

/// Inserts the tickets of `openings`, each with the escalation it answers, opened at `now`,
/// their deadlines counted in `zone`.
pub(in crate::store) async fn insert_openings(
    conn: Conn<'_>,
    openings: &mut [(&NewTicket, Opening)],
    now: i64,
    zone: &Zone,
) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        // An "Account Manager" escalation goes to the customer's manager when the account's domain
        // (else the email's), or a domain it is part of, is routed, the most specific route first;
        // everything else waits in the shared queue.
        let domains = |new: &NewTicket| {
            [
                new.account.as_deref().and_then(account_domain),
                account_domain(&new.email),
            ]
            .into_iter()
            .flatten()
            .flat_map(|d| domain_suffixes(&d))
            .map(Some)
            .collect::<Vec<_>>()
        };
        let wanted_domains: Vec<String> = openings
            .iter()
            .filter(|(new, _)| new.outcome_kind == "account-manager")
            .flat_map(|(new, _)| domains(new))
            .flatten()
            .collect();
        if !wanted_domains.is_empty() {
            let mut q = QueryBuilder::new(
            "SELECT r.domain, m.id, m.name FROM domain_routes r JOIN managers m ON m.id = r.manager_id
             WHERE m.enabled = 1 AND r.domain IN (",
        );
            let mut list = q.separated(", ");
            for domain in &wanted_domains {
                list.push_bind(domain);
            }
            q.push(")");
            let mut routes: HashMap<String, (String, String)> = HashMap::new();
            for row in q
                .build()
                .persistent(keep_prepared(wanted_domains.len()))
                .fetch_all(&mut *conn)
                .await?
            {
                routes.insert(
                    row.try_get("domain")?,
                    (row.try_get("id")?, row.try_get("name")?),
                );
            }
            for (new, opening) in openings.iter_mut() {
                if new.outcome_kind == "account-manager" {
                    opening.assignee = domains(new)
                        .into_iter()
                        .flatten()
                        .find_map(|d| routes.get(&d).cloned());
                }
            }
        }

        for chunk in batches(openings) {
            let mut q = QueryBuilder::new(
            "INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version,
                problem_id, ending_id, outcome_kind, reason, customer_name, customer_email, customer_phone,
                customer_account, email_program, description, status, created_at, updated_at, assignee_id) ",
        );
            q.push_values(chunk, |mut row, (new, t)| {
                row.push_bind(&t.id)
                    .push_bind(t.number)
                    .push_bind(&t.token)
                    .push_bind(new.visit.to_string())
                    .push_bind(new.outcome_event)
                    .push_bind(&*t.guide_version)
                    .push_bind(&new.problem_id)
                    .push_bind(&new.ending_id)
                    .push_bind(new.outcome_kind)
                    .push_bind(&t.reason)
                    .push_bind(&new.name)
                    .push_bind(&new.email)
                    .push_bind(&new.phone)
                    .push_bind(&new.account)
                    .push_bind(&new.email_program)
                    .push_bind(&new.description)
                    .push_bind(TicketStatus::New.as_str())
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(t.assignee.as_ref().map(|a| &a.0));
            });
            q.build().execute(&mut *conn).await?;
        }

        let paths: Vec<(&str, &Path)> = openings
            .iter()
            .map(|(_, t)| (t.id.as_str(), &t.path))
            .collect();
        tickets::insert_paths(Conn::from(&mut *conn), &paths).await?;

        // Deadlines, where the kind has targets (none are set on a new installation).
        let targets = targets::targets_on(Conn::from(&mut *conn)).await?;
        if !targets.is_empty() {
            for (new, t) in openings.iter() {
                let kind = new.outcome_kind;
                let due = targets::due_at(
                    targets.get(kind),
                    Timestamp(now),
                    false,
                    TicketStatus::New,
                    zone,
                );
                sqlx::query("UPDATE tickets SET due_at = $1 WHERE id = $2")
                    .bind(due)
                    .bind(&t.id)
                    .execute(&mut *conn)
                    .await?;
            }
        }

        // The audit trail: opened, and routed where a manager was found.
        let audit: Vec<(&str, &str, &str)> = openings
            .iter()
            .flat_map(|(_, t)| {
                let opened = Some((t.id.as_str(), "opened", TicketStatus::New.as_str()));
                let routed = t
                    .assignee
                    .as_ref()
                    .map(|(_, name)| (t.id.as_str(), "routed", name.as_str()));
                opened.into_iter().chain(routed)
            })
            .collect();
        for chunk in batches(&audit) {
            let mut q = QueryBuilder::new(
                "INSERT INTO ticket_audit (ticket_id, at, actor_id, action, before, after) ",
            );
            q.push_values(chunk, |mut row, (id, action, after)| {
                row.push_bind(*id)
                    .push_bind(now)
                    .push_bind(None::<String>)
                    .push_bind(*action)
                    .push_bind(None::<String>)
                    .push_bind(*after);
            });
            q.build().execute(&mut *conn).await?;
        }

        // The mails, in the same transaction: the customer's acknowledgement, and the news to the
        // manager the ticket was routed to or to those who follow unassigned tickets.
        if openings.iter().any(|(new, _)| new.notify) {
            let followers = outbox::mail_followers(Conn::from(&mut *conn)).await?;
            let mut mails = Vec::new();
            for (new, t) in openings.iter().filter(|(new, _)| new.notify) {
                mails.push(QueuedMail::about(
                    &t.id,
                    MailKind::TicketOpened,
                    None,
                    new.email.clone(),
                ));
                let assignee = t.assignee.as_ref().map(|(id, _)| id);
                for (id, email, assigned, unassigned) in &followers {
                    let kind = match assignee {
                        Some(a) if a == id && *assigned => MailKind::TicketRouted,
                        None if *unassigned => MailKind::TicketUnassigned,
                        _ => continue,
                    };
                    mails.push(QueuedMail::about(
                        &t.id,
                        kind,
                        Some(id.clone()),
                        email.clone(),
                    ));
                }
            }
            outbox::queue(Conn::from(&mut *conn), &mails, Timestamp(now)).await?;
        }
        Ok(())
    })
}
