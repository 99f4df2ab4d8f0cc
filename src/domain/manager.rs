//! Managers in the product's words: their roles, sign-in addresses and names, parsed before any
//! I/O so every layer (forms, the command line, the store) handles only valid ones.

const NAME_MAX: usize = 100;
const EMAIL_MAX: usize = 254;

/// What a manager may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages managers and routing, and works the queue.
    Admin,
    /// Works the queue.
    Manager,
}

impl Role {
    /// The name stored in the database and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
        }
    }

    /// Parses a stored or typed name.
    pub fn from_name(name: &str) -> Option<Role> {
        match name {
            "admin" => Some(Role::Admin),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }

    /// The role in words.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
        }
    }
}

/// A manager's sign-in address: trimmed, lowercased, one `@`, a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerEmail(String);

impl ManagerEmail {
    /// Parses an address typed into a form or on the command line.
    pub fn parse(raw: &str) -> Result<ManagerEmail, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("Enter an email address like name@example.com.".into());
        };
        let bad = email.chars().count() > EMAIL_MAX
            || email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
            || local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.split('.').any(str::is_empty);
        if bad {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(ManagerEmail(email))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: one line, 1 to 100 characters.
pub fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Enter the manager's name.".into());
    }
    if name.chars().any(char::is_control) || name.chars().count() > NAME_MAX {
        return Err(format!(
            "A name is one line of at most {NAME_MAX} characters."
        ));
    }
    Ok(name.to_string())
}

/// The first word of a name: all a customer is ever told about who handles their ticket.
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_names_and_roles() {
        assert_eq!(
            ManagerEmail::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@x",
            "a b@x.com",
            "@x.com",
            "a@b@c.com",
            "a@x..com",
        ] {
            assert!(ManagerEmail::parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse_name(" ").is_err());
        assert!(parse_name("a\nb").is_err());
        assert_eq!(first_name("Mary Ann Smith"), "Mary");
        assert_eq!(Role::from_name("admin"), Some(Role::Admin));
        assert_eq!(Role::from_name("root"), None);
    }
}
