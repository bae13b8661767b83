//! Authentication: the credentials an account holds, where passwords are
//! checked, and the SASL mechanisms the protocol servers offer.
//!
//! The store implements [`CredentialLookup`] (user name to [`Credentials`]).
//! Accounts flagged `PWD_ELSEWHERE` have their plaintext passwords checked by
//! a [`PasswordSource`] (system passwords, LDAP, an external program). The
//! [`Authenticator`] ties both together for the servers.
//!
//! Passwords travel as [`Secret`] and never appear in `Debug` output or logs.

mod argon;
mod cram;
pub mod sasl;
pub mod scram;
mod secret;
pub mod stored;
pub mod throttle;
mod verifiers;

use std::fmt;
use std::sync::Arc;

pub use cram::CramMd5Context;
pub use secret::{Secret, constant_time_eq};
pub use verifiers::{
    ScramKeys, VerifierError, VerifierOptions, Verifiers, apop_digest, cram_md5_digest,
};

/// The account flags that matter to authentication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountFlags {
    /// DISUSER: the account may not log in (mail is still accepted).
    pub disuser: bool,
    /// PWD_ELSEWHERE: the password is checked by the configured
    /// [`PasswordSource`], not by the profile's verifiers.
    pub pwd_elsewhere: bool,
}

/// What the store knows about an account for authentication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The account's canonical name (names are case-insensitive; this is the
    /// spelling the store opens maildrops by).
    pub user: String,
    /// The verifiers held in the profile.
    pub verifiers: Verifiers,
    /// The account's flags.
    pub flags: AccountFlags,
}

/// A lookup that could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// Retrying later may work (I/O error, LDAP server down).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// An administrator must act (corrupt profile).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Finds an account's credentials. Implemented by the store; blocking.
pub trait CredentialLookup: Send + Sync + 'static {
    /// The credentials of `user` (matched case-insensitively), or `None`
    /// when no such account exists.
    fn credentials(&self, user: &str) -> Result<Option<Credentials>, LookupError>;
}

/// A place that checks plaintext passwords for `PWD_ELSEWHERE` accounts:
/// system passwords, LDAP, an external program. Blocking.
pub trait PasswordSource: Send + Sync + fmt::Debug + 'static {
    /// A short name for logs (`system`, `ldap`, `program`).
    fn name(&self) -> &str;
    /// True when `password` is `user`'s password.
    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError>;
}

/// Why an authentication failed. Each maps to one protocol reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// Wrong user name or password (deliberately not saying which).
    BadCredentials,
    /// The account is DISUSER (said only after the password checked out).
    Disabled,
    /// The account lacks the verifier this mechanism needs.
    MissingVerifier(&'static str),
    /// The client sent something the mechanism cannot parse.
    Malformed(&'static str),
    /// The client cancelled the exchange with `*`.
    Cancelled,
    /// A temporary failure of a lookup.
    Temporary(String),
    /// A permanent failure of a lookup.
    Permanent(String),
}

impl From<LookupError> for AuthFailure {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Temporary(s) => AuthFailure::Temporary(s),
            LookupError::Permanent(s) => AuthFailure::Permanent(s),
        }
    }
}

/// Checks credentials for the servers: the store's verifiers, and the
/// configured password source for `PWD_ELSEWHERE` accounts.
#[derive(Clone)]
pub struct Authenticator {
    lookup: Arc<dyn CredentialLookup>,
    elsewhere: Option<Arc<dyn PasswordSource>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("elsewhere", &self.elsewhere)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator over the store's credentials, with an optional
    /// source for `PWD_ELSEWHERE` accounts.
    pub fn new(
        lookup: Arc<dyn CredentialLookup>,
        elsewhere: Option<Arc<dyn PasswordSource>>,
    ) -> Self {
        Self { lookup, elsewhere }
    }

    /// Looks up an account; unknown accounts are `BadCredentials`.
    pub fn lookup(&self, user: &str) -> Result<Credentials, AuthFailure> {
        self.lookup
            .credentials(user)?
            .ok_or(AuthFailure::BadCredentials)
    }

    /// Spends the time a password check against a real account takes, so
    /// an answer's timing does not tell a missing (or unreadable) account
    /// from an existing one.
    fn equal_time(password: &Secret<String>) {
        static DUMMY: std::sync::OnceLock<Option<Verifiers>> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| {
            let options = VerifierOptions {
                scram_sha256: false,
                ..VerifierOptions::default()
            };
            Verifiers::from_password(&Secret::new(String::from("popstore")), &options).ok()
        });
        if let Some(v) = dummy {
            let _ = v.verify_plain(password.expose().as_bytes());
        }
    }

    /// Checks a plaintext password (USER/PASS, PLAIN, LOGIN). Returns the
    /// canonical user name.
    pub fn check_plain(
        &self,
        user: &str,
        password: &Secret<String>,
    ) -> Result<String, AuthFailure> {
        let creds = match self.lookup(user) {
            Ok(c) => c,
            Err(f) => {
                Self::equal_time(password);
                return Err(f);
            }
        };
        let ok = if creds.flags.pwd_elsewhere {
            match &self.elsewhere {
                Some(src) => src.verify(&creds.user, password)?,
                None => {
                    return Err(AuthFailure::Temporary(
                        "no password source is configured for this account".into(),
                    ));
                }
            }
        } else {
            creds.verifiers.verify_plain(password.expose().as_bytes())
        };
        if !ok {
            return Err(AuthFailure::BadCredentials);
        }
        if creds.flags.disuser {
            return Err(AuthFailure::Disabled);
        }
        Ok(creds.user)
    }

    /// Checks an APOP digest against the account's APOP secret.
    pub fn check_apop(
        &self,
        user: &str,
        timestamp: &str,
        digest: &str,
    ) -> Result<String, AuthFailure> {
        let creds = self.lookup(user)?;
        let Some(secret) = &creds.verifiers.apop else {
            return Err(AuthFailure::MissingVerifier("APOP"));
        };
        let expected = apop_digest(timestamp, secret.expose());
        if !constant_time_eq(expected.as_bytes(), digest.to_ascii_lowercase().as_bytes()) {
            return Err(AuthFailure::BadCredentials);
        }
        if creds.flags.disuser {
            return Err(AuthFailure::Disabled);
        }
        Ok(creds.user)
    }
}

/// A [`CredentialLookup`] over a fixed table, for tests and examples.
#[derive(Debug, Default)]
pub struct StaticCredentials {
    accounts: std::sync::RwLock<Vec<Credentials>>,
}

impl StaticCredentials {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an account.
    pub fn insert(&self, creds: Credentials) {
        let mut all = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        all.retain(|c| !c.user.eq_ignore_ascii_case(&creds.user));
        all.push(creds);
    }
}

impl CredentialLookup for StaticCredentials {
    fn credentials(&self, user: &str) -> Result<Option<Credentials>, LookupError> {
        let all = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        Ok(all
            .iter()
            .find(|c| c.user.eq_ignore_ascii_case(user))
            .cloned())
    }
}

#[cfg(test)]
pub(crate) use verifiers::{hi as verifiers_hi, hmac_sha256 as verifiers_hmac};
