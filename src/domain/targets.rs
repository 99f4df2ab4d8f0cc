//! Response-time targets: a ticket's first response and its resolution within so many minutes of
//! its opening, counted around the clock or in business hours, and how a deadline stands.

use crate::domain::time::{Timestamp, Zone};

/// `due_at` of a ticket with no deadline ahead: later than any other.
pub const NO_DEADLINE: i64 = i64::MAX;

/// How long before a deadline a ticket counts as nearly due.
pub const NEARLY_DUE_MS: i64 = 60 * 60 * 1000;

/// The targets of one escalation kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target {
    /// Minutes to the first response, if there is a target.
    pub first_response_minutes: Option<i64>,
    /// Minutes to the resolution, if there is a target.
    pub resolution_minutes: Option<i64>,
    /// Whether the minutes are business hours (else around the clock).
    pub business_hours: bool,
}

impl Target {
    /// `minutes` after `opened`, as this target counts them.
    fn after(&self, opened: Timestamp, minutes: i64, zone: &Zone) -> Timestamp {
        if self.business_hours {
            zone.after_business_minutes(opened, minutes)
        } else {
            Timestamp(opened.0.saturating_add(minutes.saturating_mul(60_000)))
        }
    }

    /// When the first response is due for a ticket opened at `opened`.
    pub fn first_response_due(&self, opened: Timestamp, zone: &Zone) -> Option<Timestamp> {
        self.first_response_minutes
            .map(|m| self.after(opened, m, zone))
    }

    /// When the resolution is due.
    pub fn resolution_due(&self, opened: Timestamp, zone: &Zone) -> Option<Timestamp> {
        self.resolution_minutes.map(|m| self.after(opened, m, zone))
    }

    /// The deadline an open ticket works to next: its first response while it has none (and
    /// there is a target for it), else its resolution. `None` for a ticket that is not open.
    pub fn next_due(
        &self,
        opened: Timestamp,
        responded: bool,
        open: bool,
        zone: &Zone,
    ) -> Option<Timestamp> {
        if !open {
            return None;
        }
        let first = (!responded)
            .then(|| self.first_response_due(opened, zone))
            .flatten();
        first.or_else(|| self.resolution_due(opened, zone))
    }
}

/// How a deadline stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Past it.
    Overdue,
    /// Within [`NEARLY_DUE_MS`] of it.
    NearlyDue,
    /// Further off.
    OnTime,
}

impl Urgency {
    /// How `due` stands at `now`.
    pub fn of(due: Timestamp, now: Timestamp) -> Urgency {
        if now >= due {
            Urgency::Overdue
        } else if due.0 - now.0 <= NEARLY_DUE_MS {
            Urgency::NearlyDue
        } else {
            Urgency::OnTime
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn the_next_deadline_is_the_first_response_then_the_resolution() {
        let utc = Zone::utc();
        let target = Target {
            first_response_minutes: Some(60),
            resolution_minutes: Some(8 * 60),
            business_hours: false,
        };
        let opened = at("2026-12-04T16:30:00Z");
        assert_eq!(
            target.next_due(opened, false, true, &utc),
            Some(at("2026-12-04T17:30:00Z"))
        );
        assert_eq!(
            target.next_due(opened, true, true, &utc),
            Some(at("2026-12-05T00:30:00Z"))
        );
        assert_eq!(target.next_due(opened, true, false, &utc), None);
        let business = Target {
            business_hours: true,
            ..target
        };
        // Friday 16:30 + 1 business hour: Monday 09:30.
        assert_eq!(
            business.next_due(opened, false, true, &utc),
            Some(at("2026-12-07T09:30:00Z"))
        );
        let resolution_only = Target {
            first_response_minutes: None,
            ..target
        };
        assert_eq!(
            resolution_only.next_due(opened, false, true, &utc),
            Some(at("2026-12-05T00:30:00Z"))
        );
        assert_eq!(Target::default().next_due(opened, false, true, &utc), None);
    }

    #[test]
    fn deadlines_are_overdue_nearly_due_or_on_time() {
        let due = at("2026-12-07T10:00:00Z");
        assert_eq!(
            Urgency::of(due, at("2026-12-07T10:00:00Z")),
            Urgency::Overdue
        );
        assert_eq!(
            Urgency::of(due, at("2026-12-07T09:30:00Z")),
            Urgency::NearlyDue
        );
        assert_eq!(
            Urgency::of(due, at("2026-12-07T08:30:00Z")),
            Urgency::OnTime
        );
    }
}
