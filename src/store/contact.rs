//! Corrections of a ticket's contact details, by its customer (through the status link, until a
//! manager has acted) or by a manager (on the revision they saw), each recorded in the audit trail.

use async_trait::async_trait;

use super::StoreError;

/// A ticket's contact details, as corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The customer's name.
    pub name: String,
    /// The customer's email address.
    pub email: String,
    /// Their phone number, if given.
    pub phone: Option<String>,
    /// Their account or domain, if given.
    pub account: Option<String>,
}

/// How a correction came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactChange {
    /// Saved; the ticket's revision now.
    Saved(i64),
    /// The details were already these: nothing to change.
    Unchanged,
    /// The ticket changed since the form was shown (a manager's correction); nothing saved.
    Conflict,
    /// A manager has acted on the ticket, so the customer can no longer change it here.
    Closed,
    /// No such ticket.
    NotFound,
}

/// Who corrects the details.
#[derive(Debug, Clone)]
pub enum Corrector {
    /// The customer, through their status link.
    Customer,
    /// A manager, on the ticket as it stood at `revision`.
    Manager {
        /// The manager's id.
        id: String,
        /// The ticket's revision the form was shown with.
        revision: i64,
    },
}

/// A ticket's contact details, corrected.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Whether the customer may still correct the ticket's contact details: no manager has
    /// changed, assigned or annotated it yet.
    async fn customer_may_correct(&self, ticket_id: &str) -> Result<bool, StoreError>;
    /// Corrects ticket `number`'s contact details and records which fields changed, and from
    /// what, in the audit trail.
    async fn correct_contact(
        &self,
        number: i64,
        contact: Contact,
        by: Corrector,
    ) -> Result<ContactChange, StoreError>;
}
