//! Password verifiers, until the auth module (`src/auth/`) provides the
//! full set (argon2id, SCRAM-SHA-256, CRAM-MD5, APOP): the store creates
//! and checks argon2id verifiers here, in PHC string form.

use std::fmt;

/// A password in memory; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// An argon2id verifier (PHC string) for `password`, with a fresh salt.
pub fn argon2id_verifier(password: &Secret) -> Result<String, String> {
    use argon2::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// True when `password` matches the argon2id verifier `phc`; false for a
/// wrong password or a malformed verifier.
pub fn argon2id_check(phc: &str, password: &Secret) -> bool {
    use argon2::PasswordVerifier;
    let Ok(hash) = argon2::PasswordHash::new(phc) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.expose().as_bytes(), &hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_checks_the_right_password_only() {
        let p = Secret::new("correct horse");
        let v = argon2id_verifier(&p).unwrap();
        assert!(v.starts_with("$argon2id$"));
        assert!(!v.contains("correct"));
        assert!(argon2id_check(&v, &p));
        assert!(!argon2id_check(&v, &Secret::new("wrong")));
        assert!(!argon2id_check("garbage", &p));
        assert_eq!(format!("{p:?}"), "Secret(<redacted>)");
    }
}
