//! A ticket's workflow: new, in progress, waiting on the customer, resolved, closed, and reopening.

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    /// Escalated, nobody has started on it.
    New,
    /// A manager is working on it.
    InProgress,
    /// A manager has replied and waits for the customer.
    WaitingOnCustomer,
    /// The problem is solved.
    Resolved,
    /// Nothing more will happen.
    Closed,
}

impl TicketStatus {
    /// Every status, in workflow order.
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::New,
        TicketStatus::InProgress,
        TicketStatus::WaitingOnCustomer,
        TicketStatus::Resolved,
        TicketStatus::Closed,
    ];

    /// The name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::InProgress => "in-progress",
            TicketStatus::WaitingOnCustomer => "waiting-on-customer",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The status in a manager's words.
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::New => "New",
            TicketStatus::InProgress => "In progress",
            TicketStatus::WaitingOnCustomer => "Waiting on customer",
            TicketStatus::Resolved => "Resolved",
            TicketStatus::Closed => "Closed",
        }
    }

    /// Whether the ticket still needs work.
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }

    /// The statuses a ticket may move to from this one; leaving resolved or closed is a reopen.
    pub fn next(self) -> &'static [TicketStatus] {
        use TicketStatus::*;
        match self {
            New => &[InProgress, WaitingOnCustomer, Resolved],
            InProgress => &[WaitingOnCustomer, Resolved],
            WaitingOnCustomer => &[InProgress, Resolved],
            Resolved => &[Closed, InProgress],
            Closed => &[InProgress],
        }
    }

    /// Whether the workflow allows moving from this status to `to`.
    pub fn can_move_to(self, to: TicketStatus) -> bool {
        self.next().contains(&to)
    }

    /// The button text for moving from this status to `to`.
    pub fn action_to(self, to: TicketStatus) -> &'static str {
        match (self.is_open(), to) {
            (false, TicketStatus::InProgress) => "Reopen",
            (_, TicketStatus::InProgress) => "Start work",
            (_, TicketStatus::WaitingOnCustomer) => "Wait on customer",
            (_, TicketStatus::Resolved) => "Resolve",
            (_, TicketStatus::Closed) => "Close",
            (_, TicketStatus::New) => "Mark new",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::{self, *};

    #[test]
    fn the_workflow_moves_forward_and_reopens() {
        assert!(New.can_move_to(InProgress));
        assert!(InProgress.can_move_to(WaitingOnCustomer));
        assert!(WaitingOnCustomer.can_move_to(Resolved));
        assert!(Resolved.can_move_to(Closed));
        assert!(Closed.can_move_to(InProgress));
        assert!(!Closed.can_move_to(Resolved));
        assert!(!InProgress.can_move_to(New));
        assert_eq!(Closed.action_to(InProgress), "Reopen");
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::from_name(s.as_str()), Some(s));
            assert!(!s.can_move_to(s), "{s:?} to itself");
        }
    }
}
