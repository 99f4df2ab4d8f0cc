//! Writing a mail: its text and HTML from `templates/mail/`, and headers that thread a ticket's
//! mails together in the recipient's mail program.
//!
//! Nothing a customer typed goes into a header: the subject holds the reference and the guide's
//! words for the problem, the recipient is the address the form checked, and lettre encodes
//! every header it writes.

use askama::Template;
use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use super::Mail;
use crate::AppState;
use crate::domain::mail::MailKind;
use crate::domain::manager::first_name;
use crate::domain::outcome::OutcomeKind;
use crate::domain::path::history;
use crate::domain::ticket::TicketStatus;
use crate::error::AppResult;
use crate::journey::describe::{HistoryLine, describe_history};
use crate::store::{Author, OutgoingMail, TicketSummary};
use crate::tickets::page::ticket_symptom;
use crate::tickets::status_url;

/// What the mails about a ticket say.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The organisation's name.
    pub org: String,
    /// The ticket's reference, e.g. `IIMS-000123`.
    pub reference: String,
    /// The ticket's number.
    pub number: i64,
    /// The ticket's status-link token (its reply address's key comes from it).
    pub token: String,
    /// The customer's name.
    pub name: String,
    /// The guide's words for the problem.
    pub symptom: String,
    /// Where the ticket went, e.g. `IIMS support`.
    pub sent_to: &'static str,
    /// The customer's status link, whole.
    pub status_link: String,
    /// The ticket in the console, whole.
    pub console_link: String,
    /// A manager's mail settings in the console, whole.
    pub settings_link: String,
    /// What the customer did in the guide.
    pub history: Vec<HistoryLine>,
    /// What the customer wrote, possibly empty.
    pub description: String,
    /// The customer's email program.
    pub email_program: String,
    /// For a manager's mail: why they get it, e.g. "A ticket was assigned to you".
    pub headline: &'static str,
    /// For a reply or the customer's message: who wrote it (a manager's first name, or the
    /// customer's name).
    pub who: String,
    /// For a reply or the customer's message: what they wrote.
    pub body: String,
    /// For a status change: whether the ticket now waits on the customer (else it is resolved).
    pub waiting: bool,
}

#[derive(Template)]
#[template(path = "mail/ticket_opened.txt")]
struct OpenedText<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/ticket_opened.html")]
struct OpenedHtml<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/ticket_new.txt")]
struct NewText<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/ticket_new.html")]
struct NewHtml<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/reply.txt")]
struct ReplyText<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/reply.html")]
struct ReplyHtml<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/status_changed.txt")]
struct StatusText<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/status_changed.html")]
struct StatusHtml<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/customer_wrote.txt")]
struct CustomerText<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/customer_wrote.html")]
struct CustomerHtml<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/status_link.txt")]
struct LinkText<'a> {
    l: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/status_link.html")]
struct LinkHtml<'a> {
    l: &'a Letter,
}

/// `Auto-Submitted: auto-generated` (RFC 3834): mail programs and servers do not answer it
/// with an out-of-office reply.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// What mail `out` about `ticket` says.
pub async fn letter(
    state: &AppState,
    mail: &Mail,
    ticket: &TicketSummary,
    out: &OutgoingMail,
) -> AppResult<Letter> {
    let guide = state.guides.current().clone();
    let then = state
        .guides
        .version(&state.store, &ticket.guide_version)
        .await?;
    // Only the acknowledgement and the managers' news tell the path; the other mails skip
    // reading it.
    let tells_path = matches!(
        out.kind,
        MailKind::TicketOpened
            | MailKind::TicketRouted
            | MailKind::TicketAssigned
            | MailKind::TicketUnassigned
    );
    let lines = if tells_path {
        let events = state.store.ticket_events(&ticket.id).await?;
        describe_history(state, &history(&events)).await?
    } else {
        Vec::new()
    };
    let message = match out.ticket_message_id {
        Some(id) => state.store.message(&ticket.id, id).await?,
        None => None,
    };
    let (who, body) = match message {
        Some(m) => (
            match m.author {
                Author::Customer => ticket.customer_name.clone(),
                Author::Manager(name) => first_name(&name).to_string(),
            },
            m.body,
        ),
        None => (String::new(), String::new()),
    };
    Ok(Letter {
        org: guide.organisation.clone(),
        reference: guide.reference(ticket.number),
        number: ticket.number,
        token: ticket.status_token.clone(),
        name: ticket.customer_name.clone(),
        symptom: ticket_symptom(&guide, then.as_deref(), &ticket.problem_id),
        sent_to: OutcomeKind::from_name(&ticket.outcome_kind).map_or("", |k| k.label()),
        status_link: format!("{}{}", mail.public_url, status_url(&ticket.status_token)),
        console_link: format!("{}/console/tickets/{}", mail.public_url, ticket.number),
        settings_link: format!("{}/console/account/mail", mail.public_url),
        history: lines,
        description: ticket.description.clone(),
        email_program: ticket.email_program.clone(),
        headline: "",
        who,
        body,
        waiting: out.status == Some(TicketStatus::WaitingOnCustomer),
    })
}

/// A header's text without line breaks or other control characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The mail `out`, about the ticket `letter` describes, ready to send.
pub fn message(mail: &Mail, out: &OutgoingMail, letter: &Letter) -> Result<Message, String> {
    let to: Mailbox = out
        .recipient
        .parse()
        .map_err(|_| "the recipient's address is not one a mail can go to".to_string())?;
    let id = |unique: &str| format!("<{unique}@{}>", mail.domain());
    let (subject, text, html) = match out.kind {
        MailKind::TicketOpened => (
            format!(
                "[{}] We have your request: {}",
                letter.reference, letter.symptom
            ),
            OpenedText { l: letter }.render(),
            OpenedHtml { l: letter }.render(),
        ),
        MailKind::Reply => (
            format!(
                "[{}] {} replied: {}",
                letter.reference, letter.who, letter.symptom
            ),
            ReplyText { l: letter }.render(),
            ReplyHtml { l: letter }.render(),
        ),
        MailKind::StatusChanged => (
            if letter.waiting {
                format!(
                    "[{}] We need more from you: {}",
                    letter.reference, letter.symptom
                )
            } else {
                format!("[{}] Resolved: {}", letter.reference, letter.symptom)
            },
            StatusText { l: letter }.render(),
            StatusHtml { l: letter }.render(),
        ),
        MailKind::StatusLink => (
            format!(
                "[{}] Your ticket's link: {}",
                letter.reference, letter.symptom
            ),
            LinkText { l: letter }.render(),
            LinkHtml { l: letter }.render(),
        ),
        MailKind::CustomerReplied => (
            format!(
                "[{}] The customer wrote: {}",
                letter.reference, letter.symptom
            ),
            CustomerText { l: letter }.render(),
            CustomerHtml { l: letter }.render(),
        ),
        MailKind::TicketRouted | MailKind::TicketAssigned | MailKind::TicketUnassigned => {
            let (headline, subject) = match out.kind {
                MailKind::TicketRouted => ("A new ticket was routed to you", "New ticket for you"),
                MailKind::TicketAssigned => ("A ticket was assigned to you", "Assigned to you"),
                _ => (
                    "A new ticket is waiting and nobody holds it yet",
                    "New unassigned ticket",
                ),
            };
            let news = Letter {
                headline,
                ..letter.clone()
            };
            (
                format!("[{}] {subject}: {}", letter.reference, letter.symptom),
                NewText { l: &news }.render(),
                NewHtml { l: &news }.render(),
            )
        }
    };
    let text = text.map_err(|e| format!("cannot write the mail's text: {e}"))?;
    let html = html.map_err(|e| format!("cannot write the mail's HTML: {e}"))?;
    let mut builder = Message::builder()
        .from(mail.from.clone())
        .to(to)
        .subject(one_line(&subject))
        .message_id(Some(id(&out.message_id)))
        .date_now()
        .header(AutoSubmitted);
    // The customer's mails answer to the ticket's own address, which `helpdesk mail-in` reads.
    if out.kind.to_customer()
        && let Some(reply_to) = super::reply_address(&mail.from, letter.number, &letter.token)
    {
        builder = builder.reply_to(reply_to);
    }
    if let Some(last) = out.earlier.last() {
        builder = builder.in_reply_to(id(last));
        for earlier in &out.earlier {
            builder = builder.references(id(earlier));
        }
    }
    builder
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("cannot build the mail: {e}"))
}
