//! Password sources: where the plaintext passwords of accounts that do not
//! keep theirs in the profile are checked, configured as an ordered list
//! in `[auth]`.
//!
//! - [`system`]: `/etc/passwd` and `/etc/shadow` ([`crypt`] checks the hashes);
//! - [`pam`]: a PAM service, in a helper process;
//! - [`ldap`]: an LDAP directory (search then bind, or direct bind);
//! - [`external`]: a checkpassword program;
//! - [`template`]: account name to login name, filter value or DN;
//! - [`program`]: running a checking program with a deadline.
//!
//! Each source answers accepted (`Ok(true)`), refused (`Ok(false)`) or
//! temporarily unavailable (`Err(LookupError::Temporary)`). The
//! [`SourceChain`] asks them in order: the first that accepts wins; when
//! none does, a source that was unavailable makes the whole answer
//! "unavailable" (the password may have been right), else it is refused.

pub mod crypt;
pub mod external;
pub mod ldap;
pub mod pam;
pub mod program;
pub mod system;
pub mod template;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::cache::{CacheConfig, CachedSource};
use super::{ChangeOutcome, LookupError, PasswordSource, Secret};

/// Which accounts the sources check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Accounts {
    /// Only accounts flagged PWD_ELSEWHERE (the others use their profile).
    #[default]
    Elsewhere,
    /// Every account: the sources first, then the profile's verifier when
    /// the account holds one.
    All,
}

/// A source's name in `[auth] sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// `/etc/passwd` and `/etc/shadow`.
    System,
    /// A PAM service, in a helper process.
    Pam,
    /// An LDAP directory.
    Ldap,
    /// A checkpassword program.
    External,
}

/// `[auth]`: the password sources and the credentials cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The sources, asked in this order.
    pub sources: Vec<SourceKind>,
    /// Which accounts they check.
    pub accounts: Accounts,
    /// Seconds a verified password is remembered (0: no cache).
    pub cache_ttl: u64,
    /// Seconds a refused password is remembered (0: not remembered).
    pub cache_negative_ttl: u64,
    /// Accounts the cache remembers at most.
    pub cache_size: u32,
    /// `[auth.system]`.
    pub system: system::SystemConfig,
    /// `[auth.pam]`.
    pub pam: pam::PamConfig,
    /// `[auth.ldap]`.
    pub ldap: ldap::LdapConfig,
    /// `[auth.external]`.
    pub external: external::ExternalConfig,
}

impl AuthConfig {
    /// The configured sources in a chain behind the cache; `None` when no
    /// source is configured.
    pub fn build(&self) -> Result<Option<Arc<dyn PasswordSource>>, String> {
        if self.sources.is_empty() {
            return Ok(None);
        }
        let mut sources: Vec<Box<dyn PasswordSource>> = Vec::new();
        for (i, kind) in self.sources.iter().enumerate() {
            if self.sources[..i].contains(kind) {
                return Err(format!("[auth] sources names {kind:?} twice"));
            }
            sources.push(match kind {
                SourceKind::System => Box::new(system::System::from_config(&self.system)?),
                SourceKind::Pam => Box::new(pam::Pam::from_config(&self.pam)?),
                SourceKind::Ldap => Box::new(ldap::Ldap::from_config(&self.ldap)?),
                SourceKind::External => Box::new(external::External::from_config(&self.external)?),
            });
        }
        let chain: Arc<dyn PasswordSource> = Arc::new(SourceChain::new(sources));
        let cache = CacheConfig {
            ttl: std::time::Duration::from_secs(self.cache_ttl),
            negative_ttl: std::time::Duration::from_secs(self.cache_negative_ttl),
            size: self.cache_size as usize,
        };
        Ok(Some(if cache.enabled() {
            Arc::new(CachedSource::new(chain, cache))
        } else {
            chain
        }))
    }
}

/// The configured sources, asked in order.
#[derive(Debug)]
pub struct SourceChain {
    sources: Vec<Box<dyn PasswordSource>>,
    name: String,
}

impl SourceChain {
    /// A chain of `sources`, asked in this order.
    pub fn new(sources: Vec<Box<dyn PasswordSource>>) -> Self {
        let name = sources
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(",");
        Self { sources, name }
    }

    /// The first source that accepts `password` (`None`: none did, and
    /// none was unavailable).
    fn holder(
        &self,
        user: &str,
        password: &Secret<String>,
    ) -> Result<Option<&dyn PasswordSource>, LookupError> {
        let mut unavailable = Vec::new();
        for s in &self.sources {
            let answer = s.verify(user, password);
            crate::metrics::password_check(s.name(), answer.as_ref().ok().copied());
            super::set_answered(s.name());
            match answer {
                Ok(true) => return Ok(Some(s.as_ref())),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(source = s.name(), user, "password source: {e}");
                    unavailable.push(format!("{}: {e}", s.name()));
                }
            }
        }
        if unavailable.is_empty() {
            Ok(None)
        } else {
            Err(LookupError::Temporary(unavailable.join("; ")))
        }
    }
}

impl PasswordSource for SourceChain {
    fn name(&self) -> &str {
        &self.name
    }

    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError> {
        Ok(self.holder(user, password)?.is_some())
    }

    /// The change goes to the source that holds the password: the first
    /// that accepts the old one.
    fn change_password(
        &self,
        user: &str,
        old: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<ChangeOutcome, LookupError> {
        match self.holder(user, old)? {
            Some(s) => s.change_password(user, old, new),
            None => Ok(ChangeOutcome::Refused(
                "the old password is not right".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source with a fixed answer.
    #[derive(Debug)]
    struct Fixed(&'static str, Result<bool, LookupError>);

    impl PasswordSource for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn verify(&self, _: &str, _: &Secret<String>) -> Result<bool, LookupError> {
            self.1.clone()
        }
    }

    fn chain(answers: Vec<Result<bool, LookupError>>) -> SourceChain {
        SourceChain::new(
            answers
                .into_iter()
                .map(|a| Box::new(Fixed("f", a)) as Box<dyn PasswordSource>)
                .collect(),
        )
    }

    #[test]
    fn first_acceptance_wins_and_an_outage_is_not_a_refusal() {
        let pw = Secret::new(String::from("x"));
        let down = || Err(LookupError::Temporary("down".into()));
        assert_eq!(chain(vec![Ok(false), Ok(true)]).verify("a", &pw), Ok(true));
        assert_eq!(chain(vec![down(), Ok(true)]).verify("a", &pw), Ok(true));
        assert_eq!(
            chain(vec![Ok(false), Ok(false)]).verify("a", &pw),
            Ok(false)
        );
        assert!(matches!(
            chain(vec![Ok(false), down()]).verify("a", &pw),
            Err(LookupError::Temporary(_))
        ));
        // The default change of a source is a clear refusal.
        let r = chain(vec![Ok(true)])
            .change_password("a", &pw, &pw)
            .unwrap();
        assert!(matches!(r, ChangeOutcome::Refused(m) if m.contains("cannot be changed")));
    }

    #[test]
    fn the_source_that_accepted_or_was_asked_last_answered() {
        let pw = Secret::new(String::from("x"));
        let c = SourceChain::new(vec![
            Box::new(Fixed("system", Ok(false))),
            Box::new(Fixed("ldap", Ok(true))),
            Box::new(Fixed("external", Ok(true))),
        ]);
        assert_eq!(c.verify("a", &pw), Ok(true));
        assert_eq!(crate::auth::take_answered(), "ldap");
        assert_eq!(crate::auth::take_answered(), "none", "taken once");
        let c = SourceChain::new(vec![
            Box::new(Fixed("pam", Ok(false))),
            Box::new(Fixed("external", Ok(false))),
        ]);
        assert_eq!(c.verify("a", &pw), Ok(false));
        assert_eq!(crate::auth::take_answered(), "external");
    }

    #[test]
    fn the_default_configuration_has_no_source() {
        let c = crate::config::Config::defaults();
        assert!(c.auth.build().unwrap().is_none());
        let mut twice = c.auth.clone();
        twice.sources = vec![SourceKind::External, SourceKind::External];
        twice.external.program = "/bin/true".into();
        assert!(twice.build().unwrap_err().contains("twice"));
    }
}
