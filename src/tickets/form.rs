//! The escalation form: what the customer typed, parsed into a ticket's fields or into a message
//! per field ("parse, don't validate").

use serde::Deserialize;

use crate::domain::text::multiline;
use crate::store::Contact;

/// The longest description accepted, in characters.
pub const DESCRIPTION_MAX: usize = 4000;
const NAME_MAX: usize = 100;
const EMAIL_MAX: usize = 254;
const PHONE_MAX: usize = 30;
const ACCOUNT_MAX: usize = 100;

/// The form's fields as typed, kept to show the form again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EscalationValues {
    /// The customer's name.
    pub name: String,
    /// The customer's email address.
    pub email: String,
    /// Optional phone number.
    pub phone: String,
    /// Optional IIMS account or domain.
    pub account: String,
    /// The email program they use.
    pub email_program: String,
    /// What they want to add.
    pub description: String,
}

/// One message per field that needs fixing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    /// About the name.
    pub name: Option<String>,
    /// About the email address.
    pub email: Option<String>,
    /// About the phone number.
    pub phone: Option<String>,
    /// About the account.
    pub account: Option<String>,
    /// About the email program.
    pub email_program: Option<String>,
    /// About the description.
    pub description: Option<String>,
    /// About sending at all: the client is over its limit, and when to try again.
    pub wait: Option<String>,
}

impl FieldErrors {
    /// No field is wrong, but the form cannot be sent yet: its client is over a limit.
    pub fn waiting(refused: &crate::limits::Refused) -> FieldErrors {
        FieldErrors {
            wait: Some(crate::error::limited_message(refused)),
            ..FieldErrors::default()
        }
    }

    /// Whether any field needs fixing.
    pub fn any(&self) -> bool {
        [
            &self.name,
            &self.email,
            &self.phone,
            &self.account,
            &self.email_program,
            &self.description,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

/// A valid escalation: every field checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// The customer's name.
    pub name: String,
    /// The customer's email address.
    pub email: CustomerEmail,
    /// Their phone number, if given.
    pub phone: Option<String>,
    /// Their IIMS account or domain, if given.
    pub account: Option<String>,
    /// One of the guide's email programs.
    pub email_program: String,
    /// Their description, possibly empty.
    pub description: String,
}

/// An email address that is safe to store, show and later write into a mail header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEmail(String);

impl CustomerEmail {
    /// Accepts `local@domain.tld` with no spaces, control characters or header punctuation.
    pub fn parse(raw: &str) -> Result<CustomerEmail, String> {
        let email = raw.trim();
        if email.is_empty() {
            return Err("Enter your email address, so IIMS can reply to you.".into());
        }
        let invalid = || Err("Enter an email address like name@example.com.".to_string());
        if email.chars().count() > EMAIL_MAX {
            return Err(format!(
                "An email address can't be longer than {EMAIL_MAX} characters."
            ));
        }
        if email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
        {
            return invalid();
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid();
        };
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !domain.contains('.')
            || !labels_ok
        {
            return invalid();
        }
        Ok(CustomerEmail(email.to_string()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Single-line text: trimmed, at most `max` characters, no control characters.
fn line(raw: &str, max: usize, what: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.chars().any(char::is_control) {
        return Err(format!(
            "{what} can't contain line breaks or control characters."
        ));
    }
    if text.chars().count() > max {
        return Err(format!("{what} can't be longer than {max} characters."));
    }
    Ok(text.to_string())
}

fn optional(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The contact fields as typed, when a customer or a manager corrects them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactValues {
    /// The customer's name.
    pub name: String,
    /// The customer's email address.
    pub email: String,
    /// Optional phone number.
    pub phone: String,
    /// Optional IIMS account or domain.
    pub account: String,
}

impl ContactValues {
    /// The fields of a stored contact, to show in a form.
    pub fn of(contact: &Contact) -> ContactValues {
        ContactValues {
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone().unwrap_or_default(),
            account: contact.account.clone().unwrap_or_default(),
        }
    }

    /// Parses the fields with the escalation form's rules.
    pub fn parse(&self) -> Result<Contact, Box<FieldErrors>> {
        let name = name(&self.name);
        let email = CustomerEmail::parse(&self.email);
        let phone = phone(&self.phone);
        let account = line(&self.account, ACCOUNT_MAX, "Your account or domain");
        let errors = FieldErrors {
            name: name.as_ref().err().cloned(),
            email: email.as_ref().err().cloned(),
            phone: phone.as_ref().err().cloned(),
            account: account.as_ref().err().cloned(),
            ..FieldErrors::default()
        };
        match (name, email, phone, account) {
            (Ok(name), Ok(email), Ok(phone), Ok(account)) => Ok(Contact {
                name,
                email: email.as_str().to_string(),
                phone: optional(phone),
                account: optional(account),
            }),
            _ => Err(Box::new(errors)),
        }
    }
}

fn name(raw: &str) -> Result<String, String> {
    match line(raw, NAME_MAX, "Your name") {
        Ok(n) if n.is_empty() => Err("Enter your name.".to_string()),
        other => other,
    }
}

fn phone(raw: &str) -> Result<String, String> {
    line(raw, PHONE_MAX, "A phone number").and_then(|p| {
        if p.is_empty() || phone_number(&p) {
            Ok(p)
        } else {
            Err(
                "Enter a phone number using digits, spaces and + - ( ), with an extension after \"ext.\" if you have one, or leave it empty."
                    .into(),
            )
        }
    })
}

impl EscalationValues {
    /// Parses the form against the guide's list of email programs.
    pub fn parse(&self, email_programs: &[String]) -> Result<Escalation, Box<FieldErrors>> {
        let mut errors = FieldErrors::default();
        let name = name(&self.name);
        let email = CustomerEmail::parse(&self.email);
        let phone = phone(&self.phone);
        let account = line(&self.account, ACCOUNT_MAX, "Your account or domain");
        let program = self.email_program.trim().to_string();
        let email_program = if email_programs.is_empty() {
            line(&program, NAME_MAX, "The email program")
        } else if email_programs.contains(&program) {
            Ok(program)
        } else if program.is_empty() {
            Err("Choose the email program you use. If it isn't listed or you aren't sure, the list has a choice for that too.".into())
        } else {
            Err("Choose the email program you use from the list.".into())
        };
        let description = description(&self.description);

        errors.name = name.as_ref().err().cloned();
        errors.email = email.as_ref().err().cloned();
        errors.phone = phone.as_ref().err().cloned();
        errors.account = account.as_ref().err().cloned();
        errors.email_program = email_program.as_ref().err().cloned();
        errors.description = description.as_ref().err().cloned();
        match (name, email, phone, account, email_program, description) {
            (Ok(name), Ok(email), Ok(phone), Ok(account), Ok(email_program), Ok(description)) => {
                Ok(Escalation {
                    name,
                    email,
                    phone: optional(phone),
                    account: optional(account),
                    email_program,
                    description,
                })
            }
            _ => Err(Box::new(errors)),
        }
    }
}

/// A phone number: at least five digits with spaces and `+ - ( ) .`, and optionally an
/// extension after `ext`, `ext.`, `extension` or `x` (`+1 555 0100 ext. 23`).
pub fn phone_number(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let (main, extension) = ["extension", "ext.", "ext", "x"]
        .iter()
        .find_map(|word| {
            lower
                .rfind(word)
                .map(|i| (&lower[..i], lower[i + word.len()..].trim()))
        })
        .unwrap_or((lower.as_str(), ""));
    let digits = main.chars().filter(char::is_ascii_digit).count();
    let main_ok = digits >= 5
        && main
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let extension_ok = main.len() == lower.len()
        || (!extension.is_empty()
            && extension.len() <= 8
            && extension.bytes().all(|b| b.is_ascii_digit()));
    main_ok && extension_ok
}

/// Free text, cleaned by [`multiline`], length capped. Errors are in the customer's words.
fn description(raw: &str) -> Result<String, String> {
    let text = multiline(raw);
    let count = text.chars().count();
    if count > DESCRIPTION_MAX {
        return Err(format!(
            "Please keep the description under {DESCRIPTION_MAX} characters (it has {count})."
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        assert!(CustomerEmail::parse(" ann@example.com ").is_ok());
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@example.com\r\nBcc: x@y.z",
            "a@b@c.com",
            "ann@-x.com",
        ] {
            assert!(CustomerEmail::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn descriptions_keep_line_breaks_and_drop_control_characters() {
        assert_eq!(description("one\r\ntwo\u{7}").unwrap(), "one\ntwo");
        assert!(description(&"x".repeat(DESCRIPTION_MAX + 1)).is_err());
    }

    #[test]
    fn phone_numbers_may_carry_an_extension() {
        for good in [
            "+1 (555) 010-0100",
            "555 0100 ext. 23",
            "555 0100 ext 23",
            "555-0100 x23",
            "555 0100 Extension 4",
            "555 0100 EXT.23",
        ] {
            assert!(phone_number(good), "{good:?} was refused");
        }
        for bad in [
            "ext. 23",
            "555 0100 ext.",
            "555 0100 ext. 2a",
            "call me",
            "1234",
            "555 0100 x 1 x 2",
        ] {
            assert!(!phone_number(bad), "{bad:?} was accepted");
        }
    }
}
