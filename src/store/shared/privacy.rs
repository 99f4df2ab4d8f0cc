//! A customer's data on SQLite: the tickets their address is or was on, written out or erased in
//! one writer transaction.

use async_trait::async_trait;
use uuid::Uuid;

use super::work::audit_on;
use super::{Conn, Shared, on_conn, on_pool};
use crate::domain::time::Timestamp;
use crate::store::{
    ChangeEntry, CustomerRecord, CustomerTicket, ERASED, Erasure, MailEntry, MessageEntry,
    PathEntry, PrivacyStore, RatingEntry, StoreError,
};

/// The shortest detail redacted where a note or reply quotes it: a shorter one (a two-letter
/// name) would cut pieces out of other words.
const SHORTEST_QUOTED: usize = 3;

/// RFC 3339 of stored milliseconds.
fn iso(ms: i64) -> String {
    Timestamp(ms).iso_millis()
}

/// The ids and numbers of the tickets whose reply address `email` is, or was before a
/// correction, oldest first.
async fn tickets_of(conn: Conn<'_>, email: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let dialect = conn.dialect();
    let sql = format!(
        "SELECT id, number FROM tickets
         WHERE lower(customer_email) = lower($1)
            OR id IN (SELECT ticket_id FROM ticket_audit WHERE action = 'contact'
                      AND ({} OR {}))
         ORDER BY number",
        dialect.contains("lower(before)", "lower($1)"),
        dialect.contains("lower(after)", "lower($1)")
    );
    on_conn!(conn, |conn| {
        Ok(sqlx::query_as(&sql)
            .bind(email.trim())
            .fetch_all(conn)
            .await?)
    })
}

#[async_trait]
impl<S: Shared> PrivacyStore for S {
    async fn customer_record(&self, email: &str) -> Result<CustomerRecord, StoreError> {
        let mut tickets = Vec::new();
        on_pool!(self.pool(), |read| {
            let mut conn = read.acquire().await?;
            for (id, _) in tickets_of(Conn::from(&mut *conn), email).await? {
                tickets.push(ticket_record(Conn::from(&mut *conn), &id).await?);
            }
        });
        Ok(CustomerRecord {
            email: email.trim().to_string(),
            tickets,
        })
    }

    async fn erase_customer(
        &self,
        email: &str,
        actor: Option<&str>,
    ) -> Result<Erasure, StoreError> {
        let (email, actor) = (email.trim().to_string(), actor.map(str::to_string));
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let mut erased = Erasure::default();
                    for (id, number) in tickets_of(Conn::from(&mut *conn), &email).await? {
                        erase_ticket(
                            Conn::from(&mut *conn),
                            &id,
                            number,
                            &email,
                            actor.as_deref(),
                            &mut erased,
                        )
                        .await?;
                    }
                    Ok(erased)
                })
            })
        })
        .await
    }
}

/// Everything on one ticket.
async fn ticket_record(conn: Conn<'_>, id: &str) -> Result<CustomerTicket, StoreError> {
    on_conn!(conn, |conn| {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let (number, created, status, problem_id, outcome_kind, name, email, phone, account, program, description): Row =
        sqlx::query_as(
            "SELECT number, created_at, status, problem_id, outcome_kind, customer_name, customer_email,
                    customer_phone, customer_account, email_program, description
             FROM tickets WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let path: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT node_id, shown_at, choice_index FROM ticket_path WHERE ticket_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
        let messages: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT author, body, created_at FROM ticket_messages WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let notes: Vec<(String, i64)> = sqlx::query_as(
            "SELECT body, created_at FROM ticket_notes WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let rating: Option<(bool, String, i64)> = sqlx::query_as(
            "SELECT helped, comment, answered_at FROM ticket_ratings WHERE ticket_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let mails: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT kind, recipient, state, created_at FROM outbox WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
        let changes: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT action, before, after, at FROM ticket_audit WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(CustomerTicket {
            number,
            opened_at: iso(created),
            status,
            problem_id,
            outcome_kind,
            name,
            email,
            phone,
            account,
            email_program: program,
            description,
            path: path
                .into_iter()
                .map(|(node_id, shown, choice_index)| PathEntry {
                    node_id,
                    shown_at: iso(shown),
                    choice_index,
                })
                .collect(),
            messages: messages
                .into_iter()
                .map(|(author, body, at)| MessageEntry {
                    author,
                    body,
                    at: iso(at),
                })
                .collect(),
            notes: notes
                .into_iter()
                .map(|(body, at)| MessageEntry {
                    author: "manager".into(),
                    body,
                    at: iso(at),
                })
                .collect(),
            rating: rating.map(|(helped, comment, at)| RatingEntry {
                helped,
                comment,
                at: iso(at),
            }),
            mails: mails
                .into_iter()
                .map(|(kind, recipient, state, at)| MailEntry {
                    kind,
                    recipient,
                    state,
                    at: iso(at),
                })
                .collect(),
            changes: changes
                .into_iter()
                .map(|(action, before, after, at)| ChangeEntry {
                    action,
                    before,
                    after,
                    at: iso(at),
                })
                .collect(),
        })
    })
}

/// `text` with every `term` in it (any case) replaced by [`ERASED`]; where two overlap, the one
/// listed first wins.
fn redact(text: &str, terms: &[String]) -> String {
    let mut found: Vec<(usize, usize)> = Vec::new();
    for term in terms {
        let mut from = 0;
        while let Some((start, end)) = find_any_case(text, term, from) {
            if !found.iter().any(|&(s, e)| start < e && s < end) {
                found.push((start, end));
            }
            from = end;
        }
    }
    found.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in found {
        out.push_str(&text[at..start]);
        out.push_str(ERASED);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Where `term` first stands in `hay` at or after byte `from`, letter case aside: (start, end).
fn find_any_case(hay: &str, term: &str, from: usize) -> Option<(usize, usize)> {
    let same = |a: char, b: char| a.to_lowercase().eq(b.to_lowercase());
    hay.get(from..)?.char_indices().find_map(|(i, _)| {
        let start = from + i;
        let mut rest = hay[start..].char_indices();
        let mut end = start;
        for t in term.chars() {
            let (j, h) = rest.next()?;
            if !same(h, t) {
                return None;
            }
            end = start + j + h.len_utf8();
        }
        Some((start, end))
    })
}

/// Erases the customer's data from one ticket.
async fn erase_ticket(
    conn: Conn<'_>,
    id: &str,
    number: i64,
    email: &str,
    actor: Option<&str>,
    erased: &mut Erasure,
) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        let (name, current, phone, account): (String, String, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT customer_name, customer_email, customer_phone, customer_account FROM tickets WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        // Longest first, so an address is redacted before the name inside it.
        let mut terms: Vec<String> = [
            Some(email.to_string()),
            Some(current.clone()),
            Some(name),
            phone,
            account,
        ]
        .into_iter()
        .flatten()
        .map(|t| t.trim().to_string())
        .filter(|t| t.chars().count() >= SHORTEST_QUOTED && t != ERASED)
        .collect();
        terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
        terms.dedup();

        let now = Timestamp::now();
        // A new status link: the old one, which may have been forwarded, leads nowhere.
        let link = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        sqlx::query(
            "UPDATE tickets SET customer_name = $2, customer_email = $2, customer_phone = NULL,
                customer_account = NULL, description = $2, status_token = $3,
                revision = revision + 1, updated_at = $4
         WHERE id = $1",
        )
        .bind(id)
        .bind(ERASED)
        .bind(&link)
        .bind(now.millis())
        .execute(&mut *conn)
        .await?;
        erased.tickets += 1;

        // The customer's own words go whole; what managers wrote keeps all but the details.
        let messages: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, author, body FROM ticket_messages WHERE ticket_id = $1")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        for (message, author, body) in messages {
            let new = if author == "customer" {
                ERASED.to_string()
            } else {
                redact(&body, &terms)
            };
            if new != body {
                sqlx::query("UPDATE ticket_messages SET body = $2 WHERE id = $1")
                    .bind(message)
                    .bind(&new)
                    .execute(&mut *conn)
                    .await?;
                erased.texts += 1;
            }
        }
        let notes: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, body FROM ticket_notes WHERE ticket_id = $1")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        for (note, body) in notes {
            let new = redact(&body, &terms);
            if new != body {
                sqlx::query("UPDATE ticket_notes SET body = $2 WHERE id = $1")
                    .bind(note)
                    .bind(&new)
                    .execute(&mut *conn)
                    .await?;
                erased.texts += 1;
            }
        }
        sqlx::query("UPDATE ticket_ratings SET comment = '' WHERE ticket_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        // Contact corrections recorded the details they replaced: gone whole. Other entries keep
        // what they say but the details.
        let changes: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, action, before, after FROM ticket_audit WHERE ticket_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for (change, action, before, after) in changes {
            let scrub = |v: &Option<String>| {
                v.as_ref().map(|v| {
                    if action == "contact" {
                        ERASED.to_string()
                    } else {
                        redact(v, &terms)
                    }
                })
            };
            let (b, a) = (scrub(&before), scrub(&after));
            if (&b, &a) != (&before, &after) {
                sqlx::query("UPDATE ticket_audit SET before = $2, after = $3 WHERE id = $1")
                    .bind(change)
                    .bind(&b)
                    .bind(&a)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        // Mails to the customer: the address goes, and one not yet sent never will be. The
        // mail server's answers may quote the address.
        let to_customer = sqlx::query(
        "UPDATE outbox SET recipient = $2,
                state = CASE WHEN state = 'queued' THEN 'refused' ELSE state END,
                last_error = CASE WHEN state = 'queued' THEN 'erased before it was sent' ELSE NULL END
         WHERE ticket_id = $1 AND (lower(recipient) = lower($3) OR lower(recipient) = lower($4))",
    )
    .bind(id)
    .bind(ERASED)
    .bind(email)
    .bind(&current)
    .execute(&mut *conn)
    .await?;
        erased.mails += to_customer.rows_affected() as usize;
        sqlx::query("UPDATE outbox SET last_error = NULL WHERE ticket_id = $1 AND last_error IS NOT NULL AND last_error <> 'erased before it was sent'")
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
        "UPDATE outbox_attempts SET detail = NULL WHERE outbox_id IN (SELECT id FROM outbox WHERE ticket_id = $1)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
        // A manager's form kept after a failed send may hold what they typed about the customer.
        sqlx::query("DELETE FROM console_pending_forms WHERE ticket_number = $1")
            .bind(number)
            .execute(&mut *conn)
            .await?;
        audit_on(Conn::from(&mut *conn), id, now, actor, "erased", None, None).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redaction_replaces_every_quote_in_any_case_and_nothing_else() {
        let terms = vec!["ann@example.com".to_string(), "Ann Example".to_string()];
        assert_eq!(
            redact(
                "Wrote to ANN@example.com; ann example called back. Annex fine.",
                &terms
            ),
            "Wrote to [erased]; [erased] called back. Annex fine."
        );
        assert_eq!(redact("nothing here", &terms), "nothing here");
        // Letters that change length in another case, and a term inside the mark itself.
        let terms = vec!["Åsa Ström".to_string(), "erase".to_string()];
        assert_eq!(
            redact("Called ÅSA STRÖM, then erase: done", &terms),
            "Called [erased], then [erased]: done"
        );
    }
}
