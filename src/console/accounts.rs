//! Manager passwords at the edge: the policy a new one must meet, and argon2id hashing. Roles,
//! addresses and names are in [`crate::domain::manager`].

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// The shortest password accepted, in characters.
pub const PASSWORD_MIN: usize = 12;
/// The longest password accepted, in characters: argon2 hashes anything, but a megabyte "password"
/// is an attack on the CPU, not a password.
pub const PASSWORD_MAX: usize = 256;

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
}
