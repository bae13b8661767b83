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
pub mod cache;
mod cram;
pub mod sasl;
pub mod scram;
mod secret;
pub mod source;
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
    /// LOCKPWD: the user may not change the password.
    pub lockpwd: bool,
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

    /// Replaces the profile's verifiers of `user` (the canonical name)
    /// with ones for `new`, keeping the kinds it held. The default cannot.
    fn set_password(&self, user: &str, new: &Secret<String>) -> Result<(), LookupError> {
        let _ = (user, new);
        Err(LookupError::Permanent(
            "this store cannot change passwords".into(),
        ))
    }
}

/// What a password source did with a password change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// The source holds the new password.
    Changed,
    /// The source cannot or will not change it; the text says why, for
    /// the user.
    Refused(String),
}

/// A place that checks plaintext passwords for `PWD_ELSEWHERE` accounts:
/// system passwords, PAM, LDAP, an external program (see [`source`]).
/// Blocking.
pub trait PasswordSource: Send + Sync + fmt::Debug + 'static {
    /// A short name for logs (`system`, `ldap`, `external`).
    fn name(&self) -> &str;
    /// True when `password` is `user`'s password; `Err(Temporary)` when
    /// the source cannot say now.
    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError>;
    /// Changes `user`'s password from `old` (which this source accepted)
    /// to `new`. The default refuses: most sources are read-only.
    fn change_password(
        &self,
        user: &str,
        old: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<ChangeOutcome, LookupError> {
        let _ = (user, old, new);
        Ok(ChangeOutcome::Refused(format!(
            "passwords checked by {} cannot be changed here",
            self.name()
        )))
    }
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
    /// The password sources cannot check the password now (a directory
    /// down, a program timed out): try again later. Never "wrong password".
    Unavailable(String),
}

/// Why a password change failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeFailure {
    /// The old password did not check out (or the account cannot log in).
    Auth(AuthFailure),
    /// The account is LOCKPWD.
    Locked,
    /// The place holding the password refuses to change it (system
    /// passwords, PAM): the text says why.
    Refused(String),
    /// Try again later.
    Temporary(String),
}

impl From<LookupError> for AuthFailure {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Temporary(s) => AuthFailure::Temporary(s),
            LookupError::Permanent(s) => AuthFailure::Permanent(s),
        }
    }
}

thread_local! {
    /// The password source that answered this thread's last check.
    static ANSWERED: std::cell::Cell<&'static str> = const { std::cell::Cell::new("none") };
}

/// Records that `source` (`profile`, `cache`, or a source's name) gave
/// the answer of the check running on this thread.
pub(crate) fn set_answered(source: &str) {
    let name = match source {
        "profile" => "profile",
        "cache" => "cache",
        "system" => "system",
        "pam" => "pam",
        "ldap" => "ldap",
        "external" => "external",
        _ => "other",
    };
    ANSWERED.with(|a| a.set(name));
}

/// Which password source answered the last credentials check made on this
/// thread, and forgets it: `profile` (the account's own verifiers: every
/// SASL mechanism but PLAIN/LOGIN checks these), `cache`, the source that
/// accepted (`system`, `pam`, `ldap`, `external`) or the last one asked
/// when all refused, `none` when no account was found or nothing was
/// checked. A session takes it right after its check, on the same thread,
/// for the `source` label of `popstore_logins_total`.
pub fn take_answered() -> &'static str {
    ANSWERED.with(|a| a.replace("none"))
}

/// Checks credentials for the servers: the store's verifiers, and the
/// configured password source for `PWD_ELSEWHERE` accounts.
#[derive(Clone)]
pub struct Authenticator {
    lookup: Arc<dyn CredentialLookup>,
    elsewhere: Option<Arc<dyn PasswordSource>>,
    accounts: source::Accounts,
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
        Self {
            lookup,
            elsewhere,
            accounts: source::Accounts::Elsewhere,
        }
    }

    /// Which accounts the password source checks (`[auth] accounts`).
    pub fn with_accounts(mut self, accounts: source::Accounts) -> Self {
        self.accounts = accounts;
        self
    }

    /// Looks up an account; unknown accounts are `BadCredentials`.
    pub fn lookup(&self, user: &str) -> Result<Credentials, AuthFailure> {
        set_answered("none");
        let creds = self
            .lookup
            .credentials(user)?
            .ok_or(AuthFailure::BadCredentials)?;
        set_answered("profile");
        Ok(creds)
    }

    /// Spends the time a password check against a real account takes, so
    /// an answer's timing does not tell a missing (or unreadable) account
    /// from an existing one. With password sources configured they are
    /// asked (the answer ignored), so a missing account also answers
    /// "unavailable" while they are down, as the accounts they check do.
    fn equal_time(&self, user: &str, password: &Secret<String>) -> Result<(), AuthFailure> {
        if let Some(src) = &self.elsewhere {
            return match src.verify(user, password) {
                Err(LookupError::Temporary(e)) => Err(AuthFailure::Unavailable(e)),
                _ => Ok(()),
            };
        }
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
        Ok(())
    }

    /// True when the password sources check `creds`'s password.
    fn uses_sources(&self, creds: &Credentials) -> bool {
        creds.flags.pwd_elsewhere || self.accounts == source::Accounts::All
    }

    /// Checks `password` against the account's password: the sources for
    /// PWD_ELSEWHERE accounts, the profile for the others, both (sources
    /// first) with `[auth] accounts = "all"`.
    fn password_ok(
        &self,
        creds: &Credentials,
        password: &Secret<String>,
    ) -> Result<bool, AuthFailure> {
        let profile = |creds: &Credentials| {
            let ok = !creds.flags.pwd_elsewhere
                && creds.verifiers.verify_plain(password.expose().as_bytes());
            crate::metrics::password_check("profile", Some(ok));
            if !creds.flags.pwd_elsewhere {
                set_answered("profile");
            }
            ok
        };
        if !self.uses_sources(creds) {
            return Ok(profile(creds));
        }
        let Some(src) = &self.elsewhere else {
            if creds.flags.pwd_elsewhere {
                return Err(AuthFailure::Temporary(
                    "no password source is configured for this account".into(),
                ));
            }
            return Ok(profile(creds));
        };
        set_answered(src.name());
        match src.verify(&creds.user, password) {
            Ok(true) => Ok(true),
            Ok(false) => Ok(profile(creds)),
            Err(e) if profile(creds) => {
                tracing::debug!(
                    user = creds.user,
                    "password source unavailable, profile accepted: {e}"
                );
                Ok(true)
            }
            Err(LookupError::Temporary(e)) => Err(AuthFailure::Unavailable(e)),
            Err(LookupError::Permanent(e)) => Err(AuthFailure::Permanent(e)),
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
                self.equal_time(user, password)?;
                return Err(f);
            }
        };
        if !self.password_ok(&creds, password)? {
            return Err(AuthFailure::BadCredentials);
        }
        if creds.flags.disuser {
            return Err(AuthFailure::Disabled);
        }
        Ok(creds.user)
    }

    /// Changes `user`'s password from `old` to `new` where it is kept: the
    /// profile, or the password source that accepts `old` (LDAP can
    /// change it, system passwords and PAM refuse). LOCKPWD accounts are
    /// refused. Returns the canonical user name.
    pub fn change_password(
        &self,
        user: &str,
        old: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<String, ChangeFailure> {
        let canonical = self.check_plain(user, old).map_err(ChangeFailure::Auth)?;
        let creds = self.lookup(&canonical).map_err(ChangeFailure::Auth)?;
        if creds.flags.lockpwd {
            return Err(ChangeFailure::Locked);
        }
        let in_profile =
            !creds.flags.pwd_elsewhere && creds.verifiers.verify_plain(old.expose().as_bytes());
        if in_profile {
            self.lookup
                .set_password(&creds.user, new)
                .map_err(|e| ChangeFailure::Temporary(e.to_string()))?;
            return Ok(creds.user);
        }
        let Some(src) = &self.elsewhere else {
            return Err(ChangeFailure::Temporary(
                "no password source is configured".into(),
            ));
        };
        match src.change_password(&creds.user, old, new) {
            Ok(ChangeOutcome::Changed) => Ok(creds.user),
            Ok(ChangeOutcome::Refused(why)) => Err(ChangeFailure::Refused(why)),
            Err(e) => Err(ChangeFailure::Temporary(e.to_string())),
        }
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

    fn set_password(&self, user: &str, new: &Secret<String>) -> Result<(), LookupError> {
        let mut all = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let c = all
            .iter_mut()
            .find(|c| c.user.eq_ignore_ascii_case(user))
            .ok_or_else(|| LookupError::Permanent("no such account".into()))?;
        let options = VerifierOptions {
            scram_sha256: c.verifiers.scram_sha256.is_some(),
            cram_md5: c.verifiers.cram_md5.is_some(),
            apop: c.verifiers.apop.is_some(),
            ..VerifierOptions::default()
        };
        c.verifiers = Verifiers::from_password(new, &options)
            .map_err(|e| LookupError::Permanent(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) use verifiers::{hi as verifiers_hi, hmac_sha256 as verifiers_hmac};
