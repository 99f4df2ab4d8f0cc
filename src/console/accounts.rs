//! Manager accounts at the edge: email addresses, names, roles and passwords parsed before any
//! I/O, and argon2id hashing.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// The shortest password accepted, in characters.
pub const PASSWORD_MIN: usize = 12;
/// The longest password accepted, in characters: argon2 hashes anything, but a megabyte "password"
/// is an attack on the CPU, not a password.
pub const PASSWORD_MAX: usize = 256;
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

/// A new password that meets the policy. Its `Debug` never shows it.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl Password {
    /// Accepts 12 to 256 characters that are not all spaces; kept exactly as typed.
    pub fn parse(raw: &str) -> Result<Password, String> {
        let count = raw.chars().count();
        if raw.trim().is_empty() {
            return Err("The password can't be empty.".into());
        }
        if count < PASSWORD_MIN {
            return Err(format!(
                "The password must be at least {PASSWORD_MIN} characters long."
            ));
        }
        if count > PASSWORD_MAX {
            return Err(format!(
                "The password can't be longer than {PASSWORD_MAX} characters."
            ));
        }
        Ok(Password(raw.to_string()))
    }

    /// The argon2id PHC string to store, with a fresh random salt.
    pub fn hash(&self) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| format!("could not hash the password: {e}"))
    }
}

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane); spelled out so a crate update
    // cannot silently weaken it.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the account does not exist so that an
/// unknown address takes as long to refuse as a wrong password.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    Password(random).hash().unwrap_or_default()
});

/// Whether `candidate` matches the stored `hash`; `None` burns the same time and answers false.
pub fn verify_password(hash: Option<&str>, candidate: &str) -> bool {
    let decoy = hash.is_none();
    let stored = hash.unwrap_or(DECOY_HASH.as_str());
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let ok = hasher()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok();
    ok && !decoy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_policy_and_hash_with_argon2id() {
        assert!(Password::parse("").is_err());
        assert!(Password::parse("            ").is_err());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(PASSWORD_MAX + 1)).is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(..)");
        let hash = p.hash().unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(Some(&hash), "correct horse battery"));
        assert!(!verify_password(Some(&hash), "correct horse battery "));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("not a hash"), "x"));
    }

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
