//! The ticket page's lines in words, as a manager reads them: the customer's other tickets, the
//! path's timeline, the notes and the audit trail, each time in the installation's zone
//! (`crate::AppState::zone`) beside its RFC 3339 instant for `<time datetime>`.

use crate::domain::ticket::TicketStatus;
use crate::domain::time::{Timestamp, Zone};
use crate::journey::describe::PathLine;
use crate::store::{AuditEntry, Note, QueueRow};

use super::age;

/// One of the customer's other tickets.
#[derive(Debug)]
pub(super) struct OtherTicket {
    pub(super) reference: String,
    pub(super) url: String,
    pub(super) status: &'static str,
    pub(super) status_name: &'static str,
    pub(super) opened: String,
    pub(super) opened_iso: String,
    pub(super) age: String,
}

/// One step of the customer's path on the timeline.
#[derive(Debug)]
pub(super) struct Moment {
    pub(super) number: Option<String>,
    /// Guide text, already escaped by `rich`.
    pub(super) title_html: String,
    pub(super) answer: Option<String>,
    pub(super) at: String,
    pub(super) at_iso: String,
    pub(super) took: Option<String>,
    pub(super) is_ending: bool,
}

/// One audit line in words.
#[derive(Debug)]
pub(super) struct AuditLine {
    pub(super) at: String,
    pub(super) at_iso: String,
    pub(super) who: String,
    pub(super) what: &'static str,
    pub(super) before: String,
    pub(super) after: String,
}

/// One internal note.
#[derive(Debug)]
pub(super) struct NoteLine {
    pub(super) author_name: String,
    pub(super) at_iso: String,
    pub(super) when: String,
    pub(super) body: String,
}

impl NoteLine {
    pub(super) fn new(note: Note, zone: &Zone) -> NoteLine {
        NoteLine {
            at_iso: note.at.iso(),
            when: zone.display(note.at),
            author_name: note.author_name,
            body: note.body,
        }
    }
}

impl OtherTicket {
    pub(super) fn new(
        reference: String,
        row: QueueRow,
        zone: &Zone,
        now: Timestamp,
    ) -> OtherTicket {
        OtherTicket {
            reference,
            url: super::ticket::ticket_url(row.number),
            status: row.status.label(),
            status_name: row.status.as_str(),
            opened: zone.display(row.created_at),
            opened_iso: row.created_at.iso(),
            age: age(row.created_at, now),
        }
    }
}

impl Moment {
    /// The `i`th of `count` steps of the path.
    pub(super) fn new(line: PathLine, i: usize, count: usize, zone: &Zone) -> Moment {
        Moment {
            number: line.number,
            title_html: crate::guide::text::rich(&line.title),
            answer: line.answer,
            at: zone.display(line.shown_at),
            at_iso: line.shown_at.iso(),
            took: line.took,
            is_ending: i + 1 == count,
        }
    }
}

pub(super) fn status_label(name: &str) -> String {
    TicketStatus::from_name(name).map_or_else(|| name.to_string(), |s| s.label().to_string())
}

pub(super) fn audit_line(entry: AuditEntry, zone: &Zone) -> AuditLine {
    let who = entry.actor_name.unwrap_or_else(|| {
        if entry.action == "contact" {
            "The customer".into()
        } else {
            "System".into()
        }
    });
    let (what, before, after) = match entry.action.as_str() {
        "opened" => (
            "Ticket opened by the customer's escalation",
            String::new(),
            status_label(entry.after.as_deref().unwrap_or("")),
        ),
        "routed" => (
            "Routed to the account's manager",
            "Unassigned".into(),
            entry.after.unwrap_or_default(),
        ),
        "status" => (
            "Status changed",
            status_label(entry.before.as_deref().unwrap_or("")),
            status_label(entry.after.as_deref().unwrap_or("")),
        ),
        "assignee" => (
            "Assignment changed",
            entry.before.unwrap_or_else(|| "Unassigned".into()),
            entry.after.unwrap_or_else(|| "Unassigned".into()),
        ),
        "note" => ("Internal note added", String::new(), String::new()),
        "contact" => (
            "Contact details corrected",
            entry.before.unwrap_or_default(),
            entry.after.unwrap_or_default(),
        ),
        _ => (
            "Changed",
            entry.before.unwrap_or_default(),
            entry.after.unwrap_or_default(),
        ),
    };
    AuditLine {
        at: zone.display(entry.at),
        at_iso: entry.at.iso(),
        who,
        what,
        before,
        after,
    }
}
