//! How a customer's walk through the guide ends: fixed, referred to their ISP, or one of the kinds
//! of escalation that offer the contact form.

/// The typed ends of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// The customer says a step fixed it.
    Resolved,
    /// The Internet connection is the ISP's problem; no ticket.
    Isp,
    /// The guide says to contact IIMS.
    IimsSupport,
    /// The guide says to contact the customer's IIMS Account Manager.
    AccountManager,
    /// The steps ran out without an instruction; the customer may still write in.
    GuideEnded,
    /// The customer's problem is none of the guide's symptoms ("something else" on the home
    /// page). Never the outcome of a step.
    NotInGuide,
}

impl OutcomeKind {
    /// Every kind, in a stable order.
    pub const ALL: [OutcomeKind; 6] = [
        OutcomeKind::Resolved,
        OutcomeKind::Isp,
        OutcomeKind::IimsSupport,
        OutcomeKind::AccountManager,
        OutcomeKind::GuideEnded,
        OutcomeKind::NotInGuide,
    ];

    /// The name stored in the database and used in the guide file.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Resolved => "resolved",
            OutcomeKind::Isp => "isp",
            OutcomeKind::IimsSupport => "iims-support",
            OutcomeKind::AccountManager => "account-manager",
            OutcomeKind::GuideEnded => "guide-ended",
            OutcomeKind::NotInGuide => "not-in-guide",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether this outcome offers the customer the escalation form.
    pub fn escalates(self) -> bool {
        matches!(
            self,
            OutcomeKind::IimsSupport
                | OutcomeKind::AccountManager
                | OutcomeKind::GuideEnded
                | OutcomeKind::NotInGuide
        )
    }

    /// A short label for people, e.g. on a ticket.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::Resolved => "Resolved by the guide",
            OutcomeKind::Isp => "Referred to the ISP",
            OutcomeKind::IimsSupport => "IIMS support",
            OutcomeKind::AccountManager => "Account Manager",
            OutcomeKind::GuideEnded => "Guide ended",
            OutcomeKind::NotInGuide => "Not in the guide",
        }
    }
}
