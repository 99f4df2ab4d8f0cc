//! Synthetic visits and tickets, as the seed generator (`crate::seed`) makes them and the store
//! loads them in bulk, for benchmarks, insights and demos.

use uuid::Uuid;

use crate::domain::outcome::OutcomeKind;
use crate::domain::path::{Event, Path};
use crate::domain::time::Timestamp;

/// One generated visit, ready for the store.
#[derive(Debug, Clone)]
pub struct SyntheticVisit {
    /// The visit id.
    pub id: Uuid,
    /// Its events in order (ids and seqs are assigned by the store).
    pub events: Vec<Event>,
    /// The ticket it sent in, if any.
    pub ticket: Option<SyntheticTicket>,
}

/// A generated ticket.
#[derive(Debug, Clone)]
pub struct SyntheticTicket {
    /// The customer's name.
    pub name: String,
    /// The customer's email.
    pub email: String,
    /// Their account domain, if they gave one.
    pub account: Option<String>,
    /// Their email program.
    pub email_program: String,
    /// What they wrote.
    pub description: String,
    /// The ending's kind.
    pub outcome_kind: OutcomeKind,
    /// The guide's reason.
    pub reason: String,
    /// The ending reached.
    pub ending_id: String,
    /// The problem.
    pub problem_id: String,
    /// When it was sent.
    pub created_at: Timestamp,
    /// Status changes after "new": (when, status).
    pub changes: Vec<(Timestamp, &'static str)>,
    /// The path as it stood.
    pub path: Path,
}
