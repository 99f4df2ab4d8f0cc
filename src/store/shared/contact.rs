//! Correcting a ticket's contact details: by the customer from their status page while no
//! manager has acted on the ticket, or by a manager at any time. Every correction is audited.

use super::work::{audit_on, current_on};
use super::{Conn, Shared, on_conn, on_pool};
use crate::domain::time::Timestamp;
use crate::store::{Contact, ContactChange, ContactStore, Corrector, StoreError};
use async_trait::async_trait;

#[async_trait]
impl<S: Shared> ContactStore for S {
    async fn customer_may_correct(&self, ticket_id: &str) -> Result<bool, StoreError> {
        on_pool!(self.pool(), |read| {
            let mut conn = read.acquire().await?;
            Ok(!manager_acted_on(Conn::from(&mut *conn), ticket_id).await?)
        })
    }

    async fn correct_contact(
        &self,
        number: i64,
        contact: Contact,
        by: Corrector,
    ) -> Result<ContactChange, StoreError> {
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let Some((id, revision, _)) = current_on(Conn::from(&mut *conn), number).await? else {
                        return Ok(ContactChange::NotFound);
                    };
                    let actor = match &by {
                        Corrector::Manager { id: actor, revision: seen } => {
                            if *seen != revision {
                                return Ok(ContactChange::Conflict);
                            }
                            Some(actor.clone())
                        }
                        Corrector::Customer => {
                            if manager_acted_on(Conn::from(&mut *conn), &id).await? {
                                return Ok(ContactChange::Closed);
                            }
                            None
                        }
                    };
                    let (name, email, phone, account): (String, String, Option<String>, Option<String>) =
                        sqlx::query_as(
                            "SELECT customer_name, customer_email, customer_phone, customer_account FROM tickets WHERE id = $1",
                        )
                        .bind(&id)
                        .fetch_one(&mut *conn)
                        .await?;
                    let old = Contact {
                        name,
                        email,
                        phone,
                        account,
                    };
                    if old == contact {
                        return Ok(ContactChange::Unchanged);
                    }
                    let now = Timestamp::now();
                    let updated = sqlx::query(
                        "UPDATE tickets SET customer_name = $2, customer_email = $3, customer_phone = $4,
                                customer_account = $5, revision = revision + 1, updated_at = $6
                         WHERE id = $1 AND revision = $7",
                    )
                    .bind(&id)
                    .bind(&contact.name)
                    .bind(&contact.email)
                    .bind(&contact.phone)
                    .bind(&contact.account)
                    .bind(now.millis())
                    .bind(revision)
                    .execute(&mut *conn)
                    .await?;
                    if updated.rows_affected() != 1 {
                        return Ok(ContactChange::Conflict);
                    }
                    let (before, after) = differences(&old, &contact);
                    audit_on(Conn::from(&mut *conn),
                        &id,
                        now,
                        actor.as_deref(),
                        "contact",
                        Some(&before),
                        Some(&after),
                    )
                    .await?;
                    Ok(ContactChange::Saved(revision + 1))
                }) })
            })
            .await
    }
}

/// Whether a manager has changed, assigned or annotated the ticket: its audit trail names one.
async fn manager_acted_on(conn: Conn<'_>, ticket_id: &str) -> Result<bool, StoreError> {
    on_conn!(conn, |conn| {
        let acted: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM ticket_audit WHERE ticket_id = $1 AND actor_id IS NOT NULL
         UNION ALL SELECT CAST(1 AS BIGINT) FROM ticket_messages WHERE ticket_id = $1 AND author = 'manager'
         LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(conn)
    .await?;
        Ok(acted.is_some())
    })
}

/// The changed fields, before and after, one `field: value` per line.
fn differences(old: &Contact, new: &Contact) -> (String, String) {
    let fields = [
        ("name", Some(&old.name), Some(&new.name)),
        ("email", Some(&old.email), Some(&new.email)),
        ("phone", old.phone.as_ref(), new.phone.as_ref()),
        ("account", old.account.as_ref(), new.account.as_ref()),
    ];
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (field, was, now) in fields {
        if was != now {
            before.push(format!("{field}: {}", was.map_or("", |v| v.as_str())));
            after.push(format!("{field}: {}", now.map_or("", |v| v.as_str())));
        }
    }
    (before.join("\n"), after.join("\n"))
}
