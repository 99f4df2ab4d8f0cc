//! Inbound mail: `helpdesk mail-in` reads one message on standard input, as a mail server's pipe
//! alias delivers it, and adds the customer's reply to their ticket.
//!
//! The ticket is found from the address the reply was sent to (`support+123-KEY@…`, whose key
//! only the ticket's customer has: [`super::reply_address`]) or, failing that, from the
//! `In-Reply-To` / `References` headers naming a mail helpdesk sent to the customer (its
//! `Message-ID` is random, so it is as good as a key). The subject alone never finds a ticket.
//! What the customer wrote is kept; the quoted history and the signature their mail program
//! added are not. A message that finds no ticket, is malformed or too large is refused with an
//! exit status the mail server understands (sysexits) and a line saying why, and nothing is
//! written.

use mail_parser::{HeaderValue, MessageParser};

use crate::domain::text::multiline;
use crate::store::{CustomerMessage, Store, StoreError};

/// The longest reply kept, in characters, as on the status page; the rest is cut.
const KEPT_CHARS: usize = 8000;

/// Why a message was not added.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Larger than the limit.
    TooLarge(u64),
    /// Not a mail message, or nothing of its own to add.
    Malformed(String),
    /// It names no ticket, or names one with a key that does not match.
    NoTicket,
    /// The ticket is closed.
    Closed(i64),
    /// The database could not be reached: the mail server should try again later.
    Unavailable(String),
}

impl Refusal {
    /// The exit status for the mail server (sysexits.h): it bounces 65 and 67 to the sender and
    /// keeps 75 in its queue to try again.
    pub fn exit_code(&self) -> u8 {
        match self {
            Refusal::TooLarge(_) | Refusal::Malformed(_) => 65,
            Refusal::NoTicket | Refusal::Closed(_) => 67,
            Refusal::Unavailable(_) => 75,
        }
    }

    /// Why, in a line the sender may read in a bounce.
    pub fn message(&self) -> String {
        match self {
            Refusal::TooLarge(max) => format!(
                "the message is larger than {} MB: send the text without attachments",
                max / (1024 * 1024)
            ),
            Refusal::Malformed(why) => format!("the message cannot be read: {why}"),
            Refusal::NoTicket => "the message is not a reply to a ticket of this help desk (no ticket address or reference to a mail it sent): open a ticket at the help site".to_string(),
            Refusal::Closed(n) => format!("ticket {n} is closed and takes no more messages: open a new ticket at the help site"),
            Refusal::Unavailable(why) => format!("the help desk's database is unavailable, try again later: {why}"),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Refusal {
        Refusal::Unavailable(e.to_string())
    }
}

/// What was added.
#[derive(Debug, PartialEq, Eq)]
pub struct Added {
    /// The ticket's number.
    pub number: i64,
    /// Whether the message reopened a resolved ticket.
    pub reopened: bool,
}

/// Adds the reply in `raw` to its ticket.
pub async fn deliver(store: &Store, raw: &[u8]) -> Result<Added, Refusal> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| {
            m.from()
                .and_then(|f| f.first())
                .and_then(|a| a.address())
                .is_some()
        })
        .ok_or_else(|| Refusal::Malformed("it is not a mail (no From address)".into()))?;

    let mut addresses: Vec<String> = Vec::new();
    for address in [message.to(), message.cc()].into_iter().flatten() {
        addresses.extend(
            address
                .iter()
                .filter_map(|a| a.address().map(str::to_string)),
        );
    }
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        if let Some(value) = message.header_raw(name) {
            addresses.push(value.trim().to_string());
        }
    }
    let mut ticket = None;
    for address in &addresses {
        if let Some((number, key)) = ticket_address(address)
            && let Some(detail) = store.ticket_detail(number).await?
            && let Some(summary) = store.ticket_by_id(&detail.id).await?
            && crate::extract::same_secret(&key, &super::reply_key(&summary.status_token))
        {
            ticket = Some(summary);
            break;
        }
    }
    if ticket.is_none() {
        let mut ids: Vec<String> = Vec::new();
        for header in [message.in_reply_to(), message.references()] {
            match header {
                HeaderValue::Text(id) => ids.push(id.to_string()),
                HeaderValue::TextList(list) => ids.extend(list.iter().map(|id| id.to_string())),
                _ => {}
            }
        }
        let unique: Vec<String> = ids
            .iter()
            .filter_map(|id| id.split('@').next())
            .map(|s| s.trim_start_matches('<').to_string())
            .filter(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .collect();
        if let Some(id) = store.ticket_of_customer_mail(&unique).await? {
            ticket = store.ticket_by_id(&id).await?;
        }
    }
    let ticket = ticket.ok_or(Refusal::NoTicket)?;

    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let mut body = own_words(&text);
    if body.is_empty() {
        return Err(Refusal::Malformed(
            "it has no text of its own above the quoted mail".into(),
        ));
    }
    if body.chars().count() > KEPT_CHARS {
        body = body.chars().take(KEPT_CHARS).collect::<String>() + "\n[…]";
    }
    match store.customer_message(&ticket.id, &body, true).await? {
        CustomerMessage::Added { reopened } => Ok(Added {
            number: ticket.number,
            reopened,
        }),
        CustomerMessage::Closed => Err(Refusal::Closed(ticket.number)),
        CustomerMessage::NotFound => Err(Refusal::NoTicket),
    }
}

/// `(number, key)` from a ticket's reply address, `anything+123-0123456789abcdef@domain`.
fn ticket_address(address: &str) -> Option<(i64, String)> {
    let local = address.trim().trim_matches(['<', '>']).split('@').next()?;
    let tag = local.rsplit_once('+')?.1;
    let (number, key) = tag.split_once('-')?;
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let key = key.to_ascii_lowercase();
    (key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some((number, key))
}

/// What the customer wrote themselves: the text above the history their mail program quoted
/// (`On … wrote:`, Outlook's `From:`/`Sent:` block or its rule, `-----Original Message-----`,
/// lines starting with `>`), without their signature (`-- `) or a "Sent from my phone" line.
pub fn own_words(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        let attribution =
            |s: &str| s.ends_with("wrote:") || s.ends_with("a écrit :") || s.ends_with("schrieb:");
        let quote_starts = t.starts_with('>')
            || t.starts_with("-----Original Message-----")
            || t.starts_with("----- Original Message -----")
            || (t.starts_with("________________") && t.trim_matches('_').is_empty())
            || (t.starts_with("On ") && (attribution(t) || attribution(&format!("{t} {next}"))))
            || ((t.starts_with("From: ") || t.starts_with("*From:*"))
                && lines[i + 1..].iter().take(4).any(|l| {
                    l.trim_start().starts_with("Sent:")
                        || l.trim_start().starts_with("*Sent:*")
                        || l.trim_start().starts_with("Date:")
                }));
        if quote_starts {
            break;
        }
        if t == "--" && line.starts_with("--") || *line == "-- " {
            break;
        }
        if t.starts_with("Sent from my ") || t.starts_with("Get Outlook for ") {
            break;
        }
        kept.push(line);
    }
    multiline(&kept.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_addresses_name_a_ticket_and_a_key() {
        assert_eq!(
            ticket_address("support+12-0123456789ABCDEF@iims.example"),
            Some((12, "0123456789abcdef".into()))
        );
        assert_eq!(
            ticket_address("<help+7-aaaaaaaaaaaaaaaa@x.example>"),
            Some((7, "aaaaaaaaaaaaaaaa".into()))
        );
        assert_eq!(ticket_address("support@iims.example"), None);
        assert_eq!(ticket_address("support+12@iims.example"), None);
        assert_eq!(ticket_address("support+12-short@iims.example"), None);
        assert_eq!(
            ticket_address("support+x-0123456789abcdef@iims.example"),
            None
        );
    }

    #[test]
    fn quoted_history_and_signatures_go() {
        let thunderbird = "Port 587 works now.\n\nOn 12/06/2026 21:14, IIMS Support wrote:\n> Please set the port.\n";
        assert_eq!(own_words(thunderbird), "Port 587 works now.");
        let gmail = "Thanks!\n\nOn Mon, Dec 7, 2026 at 9:01 AM IIMS Support <support+1-0123456789abcdef@iims.example>\nwrote:\n\n> Please set the port.";
        assert_eq!(own_words(gmail), "Thanks!");
        let outlook = "It still fails.\r\n\r\n________________________________\r\nFrom: IIMS Support <support@iims.example>\r\nSent: Monday, December 7, 2026 9:01 AM\r\nTo: Ann\r\nSubject: RE: ...\r\n\r\nPlease set the port.";
        assert_eq!(own_words(outlook), "It still fails.");
        let outlook_plain = "Still broken.\n\nFrom: IIMS Support <support@iims.example>\nSent: Monday\nSubject: x\n\nold text";
        assert_eq!(own_words(outlook_plain), "Still broken.");
        let signed = "Done.\n\n-- \nAnn Example\nExample Ltd";
        assert_eq!(own_words(signed), "Done.");
        let phone = "Yes it works\n\nSent from my iPhone\n\n> old";
        assert_eq!(own_words(phone), "Yes it works");
        let original = "See below\n-----Original Message-----\nFrom: x";
        assert_eq!(own_words(original), "See below");
        assert_eq!(own_words("> only a quote\n> nothing else"), "");
        assert_eq!(
            own_words("Line one\nOn the other hand it works.\nBye"),
            "Line one\nOn the other hand it works.\nBye",
            "a line that merely starts with On is the customer's"
        );
    }
}
