//! The mails helpdesk sends about a ticket: what each is for, whom it goes to, and how its
//! delivery stands.

/// What a mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// To the customer when their ticket opens: the reference, the status link, the steps they
    /// already tried, what happens next.
    TicketOpened,
    /// To the manager a new ticket was routed to.
    TicketRouted,
    /// To the manager another manager assigned a ticket to.
    TicketAssigned,
    /// To a manager who asked to hear of every new ticket nobody holds.
    TicketUnassigned,
    /// To the customer: a manager's public reply.
    Reply,
    /// To the customer: their ticket waits on them, or is resolved (with how to reopen it).
    StatusChanged,
    /// To the customer who asked for their lost status link.
    StatusLink,
    /// To the manager holding the ticket (or, when nobody does, those following unassigned
    /// tickets): the customer wrote.
    CustomerReplied,
}

impl MailKind {
    /// Every kind.
    pub const ALL: [MailKind; 8] = [
        MailKind::TicketOpened,
        MailKind::TicketRouted,
        MailKind::TicketAssigned,
        MailKind::TicketUnassigned,
        MailKind::Reply,
        MailKind::StatusChanged,
        MailKind::CustomerReplied,
        MailKind::StatusLink,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::TicketOpened => "ticket-opened",
            MailKind::TicketRouted => "ticket-routed",
            MailKind::TicketAssigned => "ticket-assigned",
            MailKind::TicketUnassigned => "ticket-unassigned",
            MailKind::Reply => "reply",
            MailKind::StatusChanged => "status-changed",
            MailKind::CustomerReplied => "customer-replied",
            MailKind::StatusLink => "status-link",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<MailKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether the mail goes to the customer (else to a manager).
    pub fn to_customer(self) -> bool {
        matches!(
            self,
            MailKind::TicketOpened
                | MailKind::Reply
                | MailKind::StatusChanged
                | MailKind::StatusLink
        )
    }

    /// The mail in a manager's words, for the ticket's list of mails.
    pub fn label(self) -> &'static str {
        match self {
            MailKind::TicketOpened => "Acknowledgement to the customer",
            MailKind::TicketRouted => "New ticket, to its manager",
            MailKind::TicketAssigned => "Assigned, to the new assignee",
            MailKind::TicketUnassigned => "New unassigned ticket",
            MailKind::Reply => "Reply to the customer",
            MailKind::StatusChanged => "Status change, to the customer",
            MailKind::CustomerReplied => "The customer's message, to a manager",
            MailKind::StatusLink => "The status link, asked for again",
        }
    }
}

/// Which mails a manager wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailWanted {
    /// A ticket routed or assigned to them (on unless turned off).
    pub assigned: bool,
    /// Every new ticket nobody holds (off unless turned on).
    pub unassigned: bool,
}

/// How a mail's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting to be sent, or to be tried again.
    Queued,
    /// The mail server took it.
    Sent,
    /// The mail server refused it for good (a 5xx answer); a manager may send it again.
    Refused,
}

impl MailState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Refused => "refused",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<MailState> {
        [MailState::Queued, MailState::Sent, MailState::Refused]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// The state in a manager's words.
    pub fn label(self) -> &'static str {
        match self {
            MailState::Queued => "Waiting to be sent",
            MailState::Sent => "Sent",
            MailState::Refused => "Refused by the mail server",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::from_name(kind.as_str()), Some(kind));
        }
        for state in [MailState::Queued, MailState::Sent, MailState::Refused] {
            assert_eq!(MailState::from_name(state.as_str()), Some(state));
        }
        assert_eq!(MailKind::from_name("ticket"), None);
    }
}
