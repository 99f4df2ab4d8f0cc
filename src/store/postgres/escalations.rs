//! Opening tickets on PostgreSQL: one transaction per ticket, which first locks the visit's row,
//! so a double submit that reaches two instances opens the ticket once (the second finds the
//! first's ticket), and takes its number from `ticket_number`'s one row, so numbers stay unique
//! and gapless across instances.

use crate::store::shared::Conn;
use std::collections::HashMap;

use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::batches;
use super::visits::events_of;
use crate::domain::mail::MailKind;
use crate::domain::path::{EventKind, Name, Path, reached_by_answer};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone};
use crate::store::shared;
use crate::store::shared::outbox::{self, QueuedMail};
use crate::store::{NewTicket, StoreError, TicketCreated, account_domain, domain_suffixes};

/// A ticket about to be inserted.
struct Opening {
    reason: String,
    id: String,
    number: i64,
    token: String,
    guide_version: Name,
    path: Path,
    assignee: Option<(String, String)>,
}

/// Opens the tickets of `work` inside a transaction; their deadlines are counted in `zone`.
/// Returns, for each, the ticket (opened now or before), or `None` when the escalation is not
/// one of its visit's.
pub(super) async fn open_tickets(
    conn: &mut PgConnection,
    work: Vec<NewTicket>,
    zone: &Zone,
) -> Result<Vec<Option<TicketCreated>>, StoreError> {
    // The visits' rows, locked in one order: a submit of the same form on another instance
    // waits here, then finds the ticket this one opens.
    let mut visits: Vec<String> = work.iter().map(|new| new.visit.to_string()).collect();
    visits.sort();
    visits.dedup();
    sqlx::query("SELECT id FROM visits WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(&visits)
        .fetch_all(&mut *conn)
        .await?;
    // Tickets already opened for these escalations, by outcome event.
    let mut opened: HashMap<i64, (String, TicketCreated)> = HashMap::new();
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT outcome_event_id, visit_id, number, status_token FROM tickets WHERE outcome_event_id IN (",
    );
    let mut list = q.separated(", ");
    for new in &work {
        list.push_bind(new.outcome_event);
    }
    q.push(")");
    for row in q.build().fetch_all(&mut *conn).await? {
        opened.insert(
            row.try_get("outcome_event_id")?,
            (
                row.try_get("visit_id")?,
                TicketCreated {
                    number: row.try_get("number")?,
                    status_token: row.try_get("status_token")?,
                    existed: true,
                },
            ),
        );
    }

    // The events of the visits.
    let wanted: Vec<String> = work
        .iter()
        .filter(|new| !opened.contains_key(&new.outcome_event))
        .map(|new| new.visit.to_string())
        .collect();
    let read = events_of(&mut *conn, &wanted).await?;

    // Each ticket, in order: a later submit of the same form in this group finds the first.
    let now = Timestamp::now().millis();
    let mut results = Vec::with_capacity(work.len());
    let mut openings: Vec<(usize, Opening)> = Vec::new();
    for (i, new) in work.iter().enumerate() {
        let visit = new.visit.to_string();
        if let Some((owner, created)) = opened.get(&new.outcome_event) {
            results.push((*owner == visit).then(|| created.clone()));
            continue;
        }
        let events = read.get(&visit).map_or(&[][..], Vec::as_slice);
        let Some(end) = events.iter().position(|e| {
            e.id == new.outcome_event
                && e.kind == EventKind::Outcome
                && *e.problem_id == *new.problem_id
                && *e.node_id == *new.ending_id
        }) else {
            results.push(None);
            continue;
        };
        let number: i64 = sqlx::query_scalar(
            "UPDATE ticket_number SET last = last + 1 WHERE id = 1 RETURNING last",
        )
        .fetch_one(&mut *conn)
        .await?;
        let reason = match &new.reason_if_direct {
            Some(direct) if !reached_by_answer(&events[..=end], new.outcome_event) => {
                direct.clone()
            }
            _ => new.reason.clone(),
        };
        let opening = Opening {
            reason,
            id: Uuid::new_v4().to_string(),
            number,
            token: format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()),
            guide_version: events[end].guide_version.clone(),
            path: Path::replay(&events[..=end]),
            assignee: None,
        };
        let created = TicketCreated {
            number,
            status_token: opening.token.clone(),
            existed: false,
        };
        opened.insert(new.outcome_event, (visit, created.clone()));
        results.push(Some(created));
        openings.push((i, opening));
    }
    if openings.is_empty() {
        return Ok(results);
    }

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
        .filter(|(i, _)| work[*i].outcome_kind == "account-manager")
        .flat_map(|(i, _)| domains(&work[*i]))
        .flatten()
        .collect();
    if !wanted_domains.is_empty() {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT r.domain, m.id, m.name FROM domain_routes r JOIN managers m ON m.id = r.manager_id
             WHERE m.enabled = 1 AND r.domain IN (",
        );
        let mut list = q.separated(", ");
        for domain in &wanted_domains {
            list.push_bind(domain);
        }
        q.push(")");
        let mut routes: HashMap<String, (String, String)> = HashMap::new();
        for row in q.build().fetch_all(&mut *conn).await? {
            routes.insert(
                row.try_get("domain")?,
                (row.try_get("id")?, row.try_get("name")?),
            );
        }
        for (i, opening) in &mut openings {
            if work[*i].outcome_kind == "account-manager" {
                opening.assignee = domains(&work[*i])
                    .into_iter()
                    .flatten()
                    .find_map(|d| routes.get(&d).cloned());
            }
        }
    }

    for chunk in batches(&openings) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version,
                problem_id, ending_id, outcome_kind, reason, customer_name, customer_email, customer_phone,
                customer_account, email_program, description, status, created_at, updated_at, assignee_id) ",
        );
        q.push_values(chunk, |mut row, (i, t)| {
            let new = &work[*i];
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
    shared::tickets::insert_paths(Conn::from(&mut *conn), &paths).await?;

    // Deadlines, where the kind has targets (none are set on a new installation).
    let targets = shared::targets::targets_on(shared::Conn::Postgres(conn)).await?;
    if !targets.is_empty() {
        for (i, t) in &openings {
            let kind = work[*i].outcome_kind;
            let due = shared::targets::due_at(
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
        let mut q = QueryBuilder::<Postgres>::new(
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
    if openings.iter().any(|(i, _)| work[*i].notify) {
        let followers = outbox::mail_followers(Conn::from(&mut *conn)).await?;
        let mut mails = Vec::new();
        for (i, t) in openings.iter().filter(|(i, _)| work[*i].notify) {
            mails.push(QueuedMail::about(
                &t.id,
                MailKind::TicketOpened,
                None,
                work[*i].email.clone(),
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
    Ok(results)
}
