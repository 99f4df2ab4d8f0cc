//! The troubleshooting guide: problems, their steps and choices, and the outcomes they end in.
//!
//! The guide is content: it is read from a TOML file (`content/iims-email-guide.toml` is embedded as
//! the default) and validated by [`Guide::parse`] before anything is served. Every version ever
//! served is kept in the database; [`library::Guides`] finds the one a recorded path was made with.

pub mod library;
mod load;
pub mod text;

use std::sync::Arc;

pub use load::{GuideError, GuideFault};

use crate::domain::outcome::OutcomeKind;

/// The guide helpdesk ships with: the IIMS email troubleshooting guide.
pub const DEFAULT_GUIDE: &str = include_str!("../../content/iims-email-guide.toml");
/// The name the embedded guide goes by in messages.
pub const DEFAULT_GUIDE_NAME: &str = "content/iims-email-guide.toml";

/// A validated guide, with the version (content hash) it is stored under.
#[derive(Debug)]
pub struct Guide {
    /// Hex SHA-256 of the file's content: the version recorded with every event.
    pub version: String,
    /// The file's content, stored so old paths can be read after the file changes.
    pub source: Arc<str>,
    /// The guide's title, e.g. "Email troubleshooting guide".
    pub title: String,
    /// Who publishes the guide and answers escalations, e.g. "IIMS".
    pub organisation: String,
    /// Prefix of ticket references, e.g. "IIMS" for `IIMS-000123`.
    pub reference_prefix: String,
    /// Email programs the escalation form offers.
    pub email_programs: Vec<String>,
    /// The problems, in the order the home page lists them.
    pub problems: Vec<Problem>,
    /// Outcomes shared by every problem (resolved, refer to the ISP, guide ended).
    pub endings: Vec<Node>,
    /// The home page's way to reach the organisation with a problem none of the symptoms covers.
    pub something_else: Option<SomethingElse>,
}

/// A problem the guide does not cover: its entry on the home page and its contact form.
#[derive(Debug)]
pub struct SomethingElse {
    /// The entry's words on the home page, e.g. "Something else".
    pub symptom: String,
    /// The contact page's heading.
    pub title: String,
    /// The contact page's paragraphs.
    pub text: Vec<String>,
    /// The same, as HTML.
    pub html: Vec<String>,
    /// The reason carried on the ticket, for managers.
    pub reason: String,
}

/// One symptom and the steps the guide gives for it.
#[derive(Debug)]
pub struct Problem {
    /// URL-safe identifier, e.g. `cant-send`.
    pub id: String,
    /// The symptom in the customer's words.
    pub symptom: String,
    /// The problem in the guide's words.
    pub title: String,
    /// The first step.
    pub start: String,
    /// The problem's steps, end points included.
    pub steps: Vec<Node>,
    /// The ids of the shared endings its choices lead to.
    pub endings: Vec<String>,
}

/// A step of a problem, or an ending shared by all problems.
#[derive(Debug)]
pub struct Node {
    /// URL-safe identifier, unique within its problem (endings: unique in the guide).
    pub id: String,
    /// The guide's own numbering, e.g. "2".
    pub number: Option<String>,
    /// The instruction, in the guide's words.
    pub title: String,
    /// Further paragraphs.
    pub text: Vec<String>,
    /// Sub-steps, shown as a checklist.
    pub checklist: Vec<String>,
    /// What the customer can do next, or the outcome this node ends in.
    pub body: NodeBody,
    /// The node's text as HTML, made once when the guide is loaded.
    pub html: NodeHtml,
}

/// A node's words as HTML ([`text::rich`]: escaped, with `**bold**`), for the pages that show it.
#[derive(Debug, Default)]
pub struct NodeHtml {
    /// The title.
    pub title: String,
    /// The title with its number: "2) Confirm ...".
    pub numbered_title: String,
    /// The paragraphs.
    pub text: Vec<String>,
    /// The checklist's items.
    pub checklist: Vec<String>,
}

impl NodeHtml {
    fn of(node: &Node) -> NodeHtml {
        NodeHtml {
            title: text::rich(&node.title),
            numbered_title: text::rich(&node.numbered_title()),
            text: node.text.iter().map(|t| text::rich(t)).collect(),
            checklist: node.checklist.iter().map(|t| text::rich(t)).collect(),
        }
    }
}

/// Either choices that lead on, or an outcome.
#[derive(Debug)]
pub enum NodeBody {
    /// Buttons the customer picks from; each names the next node.
    Choices(Vec<Choice>),
    /// The node is an end point of the guide.
    Outcome(Outcome),
}

/// One answer a customer can give at a step.
#[derive(Debug)]
pub struct Choice {
    /// The button's text.
    pub label: String,
    /// The id of the node it leads to.
    pub next: String,
}

/// How a path through the guide ends.
#[derive(Debug)]
pub struct Outcome {
    /// Which kind of end.
    pub kind: OutcomeKind,
    /// The guide's reason for an escalation, carried on the ticket.
    pub reason: Option<String>,
    /// For an ISP referral: what to tell the ISP.
    pub tell_isp: Option<String>,
}

impl Guide {
    /// Parses and validates a guide file; `name` is how messages refer to the file.
    pub fn parse(name: &str, source: &str) -> Result<Guide, GuideError> {
        load::parse(name, source)
    }

    /// The embedded default guide.
    pub fn embedded() -> Guide {
        Guide::parse(DEFAULT_GUIDE_NAME, DEFAULT_GUIDE).expect("the embedded guide is valid")
    }

    /// The problem with this id.
    pub fn problem(&self, id: &str) -> Option<&Problem> {
        self.problems.iter().find(|p| p.id == id)
    }

    /// A node of `problem` by id: one of its steps, or a shared ending one of its choices leads
    /// to (`/problems/cant-send/steps/isp` is no page: that problem never refers to the ISP).
    pub fn node<'g>(&'g self, problem: &'g Problem, id: &str) -> Option<&'g Node> {
        problem.steps.iter().find(|s| s.id == id).or_else(|| {
            problem
                .endings
                .iter()
                .any(|e| e == id)
                .then(|| self.endings.iter().find(|e| e.id == id))
                .flatten()
        })
    }

    /// Looks up a problem and one of its nodes together.
    pub fn locate(&self, problem: &str, node: &str) -> Option<(&Problem, &Node)> {
        let p = self.problem(problem)?;
        Some((p, self.node(p, node)?))
    }

    /// A ticket reference for a ticket number, e.g. `IIMS-000123`.
    pub fn reference(&self, number: i64) -> String {
        format!("{}-{number:06}", self.reference_prefix)
    }
}

impl Node {
    /// The outcome, if this node is an end point.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.body {
            NodeBody::Outcome(o) => Some(o),
            NodeBody::Choices(_) => None,
        }
    }

    /// The choices, empty for an end point.
    pub fn choices(&self) -> &[Choice] {
        match &self.body {
            NodeBody::Choices(c) => c,
            NodeBody::Outcome(_) => &[],
        }
    }

    /// The title with its number, as the guide prints it: "2) Confirm ...".
    pub fn numbered_title(&self) -> String {
        match &self.number {
            Some(n) => format!("{n}) {}", self.title),
            None => self.title.clone(),
        }
    }
}

impl Problem {
    /// The number of numbered steps, for "step 2 of 3".
    pub fn numbered_steps(&self) -> usize {
        self.steps.iter().filter(|s| s.number.is_some()).count()
    }
}
