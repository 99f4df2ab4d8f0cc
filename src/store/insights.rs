//! The insights: where customers get stuck, what the guide resolves, what turns into tickets;
//! the query a manager asks, the figures it answers, and the rows of the CSV exports.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone};

/// An attempt without an outcome is abandoned once its latest event is this old (30 minutes).
pub const ABANDONED_AFTER_MS: i64 = 30 * 60_000;

/// The outcome kinds that offer the customer the escalation form at the end of a guide path.
pub const CONTACT_KINDS: [&str; 3] = ["iims-support", "account-manager", "guide-ended"];

/// The question: attempts started on the local days `from_day..=to_day`, perhaps of one problem,
/// as seen at `now`. Days are day numbers (`crate::domain::time`) of local dates in the zone the
/// counters are keyed in ([`InsightStore::use_zone`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsightQuery {
    /// The first day.
    pub from_day: i64,
    /// The last day, included whole.
    pub to_day: i64,
    /// Only this problem, if given.
    pub problem: Option<String>,
    /// The time of the question, which decides what counts as abandoned.
    pub now: Timestamp,
}

impl InsightQuery {
    pub(super) fn abandoned_before(&self) -> i64 {
        self.now.millis() - ABANDONED_AFTER_MS
    }
}

/// How a set of attempts went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Attempts started.
    pub started: i64,
    /// Attempts that reached an outcome, by outcome kind.
    pub outcomes: BTreeMap<String, i64>,
    /// Attempts without an outcome whose latest event is 30 minutes old or more.
    pub abandoned: i64,
    /// Attempts without an outcome, still active in the last 30 minutes.
    pub in_progress: i64,
}

impl Tally {
    /// Attempts that ended in `kind`.
    pub fn outcome(&self, kind: &str) -> i64 {
        self.outcomes.get(kind).copied().unwrap_or(0)
    }

    /// Attempts the guide resolved.
    pub fn resolved(&self) -> i64 {
        self.outcome("resolved")
    }

    /// Attempts that are over: an outcome or abandoned (the self-service rate's denominator).
    pub fn finished(&self) -> i64 {
        self.outcomes.values().sum::<i64>() + self.abandoned
    }

    /// Resolved per finished attempt, if any finished.
    pub fn self_service_rate(&self) -> Option<f64> {
        let finished = self.finished();
        (finished > 0).then(|| self.resolved() as f64 / finished as f64)
    }

    fn add(&mut self, other: &Tally) {
        self.started += other.started;
        for (k, v) in &other.outcomes {
            *self.outcomes.entry(k.clone()).or_default() += v;
        }
        self.abandoned += other.abandoned;
        self.in_progress += other.in_progress;
    }
}

/// One step of a problem's funnel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepFigures {
    /// Attempts that reached the step.
    pub reached: i64,
    /// Outcomes a choice at this step led straight to, by kind.
    pub outcomes: BTreeMap<String, i64>,
    /// Abandoned attempts whose customer was last on this step.
    pub abandoned: i64,
    /// Attempts in progress whose customer is on this step.
    pub in_progress: i64,
}

/// One problem's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemFigures {
    /// Its attempts.
    pub tally: Tally,
    /// By step id (`""` collects outcomes reached without a choice, e.g. from a bookmark).
    pub steps: BTreeMap<String, StepFigures>,
    /// Tickets opened in the range (by the day each was opened), by escalation kind.
    pub escalated: BTreeMap<String, i64>,
    /// Attempts that reached a contact point and left without a ticket, by outcome kind.
    pub left: BTreeMap<String, i64>,
}

impl ProblemFigures {
    /// Tickets opened in the range.
    pub fn escalated_total(&self) -> i64 {
        self.escalated.values().sum()
    }

    /// Attempts that reached a contact point and left without a ticket.
    pub fn left_total(&self) -> i64 {
        self.left.values().sum()
    }
}

/// Tickets opened in the range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFigures {
    /// Tickets opened.
    pub opened: i64,
    /// Tickets opened, by escalation kind.
    pub by_kind: BTreeMap<String, i64>,
    /// Tickets opened per local day of opening; only days with tickets.
    pub by_day: BTreeMap<i64, i64>,
    /// Of those, tickets resolved (or closed) since.
    pub resolved: i64,
    /// The median time from opening to the first resolution, in milliseconds (the mean of the two
    /// middle values for an even count, rounded down).
    pub median_resolution_ms: Option<i64>,
}

/// The answer to an [`InsightQuery`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Insights {
    /// By problem id.
    pub problems: BTreeMap<String, ProblemFigures>,
    /// By local day of the attempts' start; only days with attempts.
    pub days: BTreeMap<i64, Tally>,
    /// Attempts started per local hour of the day.
    pub hours: [i64; 24],
    /// Attempts started per local day of the week, Monday first.
    pub weekdays: [i64; 7],
    /// Tickets opened on the range's days.
    pub tickets: TicketFigures,
}

impl Insights {
    /// Every problem together.
    pub fn total(&self) -> Tally {
        let mut total = Tally::default();
        for p in self.problems.values() {
            total.add(&p.tally);
        }
        total
    }

    /// Attempts that reached a contact point and left without a ticket, every problem together.
    pub fn left(&self) -> i64 {
        self.problems.values().map(ProblemFigures::left_total).sum()
    }
}

/// A ticket as the CSV export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketExport {
    /// The ticket number.
    pub number: i64,
    /// When it was opened.
    pub created_at: Timestamp,
    /// The problem.
    pub problem_id: String,
    /// The escalation kind.
    pub outcome_kind: String,
    /// The ending reached.
    pub ending_id: String,
    /// The current status.
    pub status: TicketStatus,
    /// The assignee's name.
    pub assignee: Option<String>,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's email.
    pub customer_email: String,
    /// Their phone number.
    pub customer_phone: Option<String>,
    /// Their account domain.
    pub customer_account: Option<String>,
    /// Their email program.
    pub email_program: String,
    /// What they wrote.
    pub description: String,
    /// The first time it was resolved (or closed).
    pub resolved_at: Option<Timestamp>,
    /// The last change.
    pub updated_at: Timestamp,
    /// The visit the ticket was opened from: its events are the customer's whole path.
    pub visit_id: String,
    /// The outcome event it escalated from: the path's last event.
    pub outcome_event: i64,
}

/// A path event as the CSV export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventExport {
    /// Database id.
    pub id: i64,
    /// The visit.
    pub visit_id: String,
    /// Position in the visit.
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Its kind's stored name.
    pub kind: String,
    /// The problem.
    pub problem_id: String,
    /// The step or ending.
    pub node_id: String,
    /// For a choice: which answer.
    pub choice_index: Option<i64>,
    /// For a choice: where it led.
    pub next_id: Option<String>,
    /// For an outcome: its kind.
    pub outcome_kind: Option<String>,
    /// The guide version.
    pub guide_version: String,
}

/// What to export: rows of the instants `start..until` (the first local midnight of the range
/// to the one after it), perhaps of one problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFilter {
    /// The range's first instant.
    pub start: Timestamp,
    /// The first instant after the range.
    pub until: Timestamp,
    /// Only this problem, if given.
    pub problem: Option<String>,
}

/// The insights' figures and exports.
#[async_trait]
pub trait InsightStore: Send + Sync {
    /// The figures for `q`, from the counters.
    async fn insights(&self, q: &InsightQuery) -> Result<Insights, StoreError>;
    /// The figures for `q`, computed from every recorded event and status change: slow, and the
    /// plainest statement of the definitions, against which the counters are checked.
    async fn insights_from_events(&self, q: &InsightQuery) -> Result<Insights, StoreError>;
    /// The zone the counters are keyed in: the installation's, as the server last started.
    fn insight_zone(&self) -> Zone;
    /// Keys the counters by `zone`'s local days and hours: if they were kept for another zone
    /// (or other rules of it), empties them and recomputes them from the events, tickets and
    /// status changes, in one transaction. Returns whether it recomputed them.
    async fn use_zone(&self, zone: &Zone) -> Result<bool, StoreError>;
    /// Empties the insight counters and recomputes them from the events and status changes, in
    /// the zone they are keyed in.
    async fn rebuild_insights(&self) -> Result<(), StoreError>;
    /// Up to `limit` tickets opened in the filter's range, oldest first, after `after`
    /// (`created_at`, `number`) if given.
    async fn tickets_for_export(
        &self,
        filter: &ExportFilter,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<TicketExport>, StoreError>;
    /// Up to `limit` path events recorded in the filter's range, oldest first, after `after`
    /// (`at`, `id`) if given.
    async fn events_for_export(
        &self,
        filter: &ExportFilter,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<EventExport>, StoreError>;
}
