//! Opening a ticket from an escalation, with the path that led to it, and what the ticket's
//! customer sees of it afterwards.

use async_trait::async_trait;
use uuid::Uuid;

use super::StoreError;
use crate::domain::path::{Event, PathStep};
use crate::domain::ticket::TicketStatus;
use crate::domain::time::Timestamp;

/// What the escalation form hands the store.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// The visit the escalation belongs to.
    pub visit: Uuid,
    /// The outcome event the form was shown for: at most one ticket per escalation.
    pub outcome_event: i64,
    /// The problem the customer escalated from.
    pub problem_id: String,
    /// The ending node the customer reached.
    pub ending_id: String,
    /// The outcome's kind (an escalating one).
    pub outcome_kind: &'static str,
    /// The guide's reason for the escalation.
    pub reason: String,
    /// The reason instead, when the customer did not reach the outcome by answering the step
    /// before it (they opened the contact page directly): the guide's would claim steps they
    /// did not take.
    pub reason_if_direct: Option<String>,
    /// The customer's name.
    pub name: String,
    /// The customer's email address.
    pub email: String,
    /// The customer's phone number, if given.
    pub phone: Option<String>,
    /// The customer's IIMS account or domain, if given.
    pub account: Option<String>,
    /// The email program the customer uses.
    pub email_program: String,
    /// The customer's description, possibly empty.
    pub description: String,
    /// Whether to queue the ticket's mails with it: the acknowledgement to the customer, and
    /// the news to its manager (or to the managers who follow unassigned tickets). Set when
    /// mail is on.
    pub notify: bool,
}

/// A ticket just created, or the one an earlier submit of the same form created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCreated {
    /// The ticket number, shown as a reference.
    pub number: i64,
    /// The customer's status-link token.
    pub status_token: String,
    /// Whether the ticket already existed (a double or replayed submit).
    pub existed: bool,
}

/// A ticket as its status page shows it.
#[derive(Debug, Clone)]
pub struct TicketSummary {
    /// Internal id.
    pub id: String,
    /// The ticket number.
    pub number: i64,
    /// The customer's status-link token.
    pub status_token: String,
    /// Workflow status.
    pub status: TicketStatus,
    /// When the customer escalated.
    pub created_at: Timestamp,
    /// When the ticket last changed.
    pub updated_at: Timestamp,
    /// The guide version the ticket's path was made with.
    pub guide_version: String,
    /// The problem.
    pub problem_id: String,
    /// The ending reached.
    pub ending_id: String,
    /// The outcome's kind.
    pub outcome_kind: String,
    /// The guide's reason.
    pub reason: String,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's email.
    pub customer_email: String,
    /// The customer's phone number, if given.
    pub customer_phone: Option<String>,
    /// The customer's account or domain, if given.
    pub customer_account: Option<String>,
    /// The customer's email program.
    pub email_program: String,
    /// The customer's description.
    pub description: String,
    /// The path, in order.
    pub path: Vec<PathStep>,
}

/// What a customer may see of a ticket's handling: its status changes and who handles it.
#[derive(Debug, Clone, Default)]
pub struct CustomerUpdates {
    /// When the ticket reached each status, oldest first (opening counts as reaching `new`).
    pub statuses: Vec<(Timestamp, TicketStatus)>,
    /// The assignee's full name; the status page shows only the first word of it.
    pub assignee_name: Option<String>,
}

/// The domain a customer's account field names: `Example.COM`, `ann@example.com` and a pasted
/// `https://www.example.com/contact` all give `example.com`; anything that is not a dotted host
/// name gives nothing.
pub fn account_domain(account: &str) -> Option<String> {
    let raw = account.trim().to_lowercase();
    // A pasted URL: drop the scheme, then everything from the path, query or fragment on.
    let raw = raw.split_once("://").map_or(raw.as_str(), |(_, rest)| rest);
    let raw = raw.split(['/', '?', '#']).next().unwrap_or("");
    let domain = raw.rsplit_once('@').map_or(raw, |(_, d)| d);
    // A port, as in `example.com:443`.
    let domain = domain.split_once(':').map_or(domain, |(host, _)| host);
    let domain = domain.trim_end_matches('.');
    let domain = domain.strip_prefix("www.").unwrap_or(domain);
    let valid = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    valid.then(|| domain.to_string())
}

/// A domain and the domains it is part of, most specific first, down to two labels:
/// `mail.bigcorp.example` gives `mail.bigcorp.example` then `bigcorp.example`, so a route for
/// `bigcorp.example` also takes its subdomains, and a route for the subdomain itself wins.
pub fn domain_suffixes(domain: &str) -> Vec<String> {
    let mut out = vec![domain.to_string()];
    let mut rest = domain;
    while let Some((_, parent)) = rest.split_once('.') {
        if !parent.contains('.') {
            break;
        }
        out.push(parent.to_string());
        rest = parent;
    }
    out
}

/// The enabled manager (id, name) an "Account Manager" escalation goes to: the route for the
/// customer's account domain, else for their email's domain.
/// Opening tickets, and what their customers see.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Opens a ticket for an escalation, carrying the visit's path up to it.
    ///
    /// Idempotent per escalation: a second submit of the same form returns the first ticket.
    /// Returns `None` when `outcome_event` is not an outcome of this visit at this ending.
    async fn create_ticket(&self, new: NewTicket) -> Result<Option<TicketCreated>, StoreError>;
    /// The ticket already opened for this escalation of this visit, if any.
    async fn ticket_for_escalation(
        &self,
        visit: Uuid,
        outcome_event: i64,
    ) -> Result<Option<TicketCreated>, StoreError>;
    /// The ticket behind a customer's status link.
    async fn ticket_by_token(&self, token: &str) -> Result<Option<TicketSummary>, StoreError>;
    /// A ticket by its internal id, as its customer sees it: for the mails about it.
    async fn ticket_by_id(&self, id: &str) -> Result<Option<TicketSummary>, StoreError>;
    /// A ticket's status changes and assignee, and nothing else of its internal handling.
    async fn customer_updates(&self, ticket_id: &str) -> Result<CustomerUpdates, StoreError>;
    /// The events of the ticket's visit up to and including the outcome it escalated from,
    /// oldest first. Empty for an unknown ticket.
    async fn ticket_events(&self, ticket_id: &str) -> Result<Vec<Event>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::account_domain;

    #[test]
    fn account_fields_name_a_domain() {
        assert_eq!(
            account_domain(" Example.COM ").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            account_domain("ann@Example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            account_domain("www.example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            account_domain("https://www.bigcorp.example/contact?x=1").as_deref(),
            Some("bigcorp.example")
        );
        assert_eq!(
            account_domain("http://mail.bigcorp.example:8080").as_deref(),
            Some("mail.bigcorp.example")
        );
        assert_eq!(account_domain("https://"), None);
        assert_eq!(account_domain("ACC-1234"), None);
        assert_eq!(account_domain("exa mple.com"), None);
        assert_eq!(account_domain(""), None);
    }

    #[test]
    fn a_domain_is_part_of_its_parents() {
        use super::domain_suffixes;
        assert_eq!(
            domain_suffixes("a.mail.bigcorp.example"),
            [
                "a.mail.bigcorp.example",
                "mail.bigcorp.example",
                "bigcorp.example"
            ]
        );
        assert_eq!(domain_suffixes("bigcorp.example"), ["bigcorp.example"]);
    }
}
