//! Legacy mailboxes served beside the store: a system user without a
//! popstore account logs in over POP3, or IMAP for an INBOX ([`imap`]),
//! (password checked by the `system` password source) to their Unix mail
//! spool (`[legacy] spool`, mbox),
//! so that a site can move users into the store one at a time.
//!
//! [`LegacyBackend`] sits in front of the store's POP3 backend: accounts
//! the store has go to the store, always; only names it does not know, and
//! that are users in the passwd file (uid at least `[auth.system]
//! min_uid`), go to their spool.

pub mod imap;
pub mod lock;
pub mod maildrop;
pub mod mbox;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::auth::{AccountFlags, CredentialLookup, Credentials, LookupError, Secret};
use crate::pop3::{Expire, Maildrop, MaildropError, MaildropStore};

/// `[legacy]`: the spools of system users without an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyConfig {
    /// The spool of user `%u` (`/var/mail/%u`), or `off`.
    pub spool: String,
}

impl LegacyConfig {
    /// True when legacy spools are served.
    pub fn enabled(&self) -> bool {
        !self.spool.is_empty() && self.spool != "off"
    }

    /// The spool of `user`; `None` when off or the name could leave the
    /// spool directory.
    pub fn spool_for(&self, user: &str) -> Option<PathBuf> {
        let safe = !user.is_empty()
            && !user.starts_with('.')
            && !user.contains(['/', '\0'])
            && !user.chars().any(char::is_whitespace);
        (self.enabled() && safe).then(|| PathBuf::from(self.spool.replace("%u", user)))
    }
}

/// The store's POP3 backend, with the spools of system users beside it.
#[derive(Debug)]
pub struct LegacyBackend<B> {
    store: Arc<B>,
    cfg: LegacyConfig,
    passwd: PathBuf,
    min_uid: u32,
}

impl<B> LegacyBackend<B> {
    /// Serves `store`'s accounts, and the spools `cfg` names for the users
    /// of `passwd` with a uid of `min_uid` or more.
    pub fn new(store: Arc<B>, cfg: LegacyConfig, passwd: PathBuf, min_uid: u32) -> Self {
        Self {
            store,
            cfg,
            passwd,
            min_uid,
        }
    }

    /// True when `user` is in the passwd file with a uid of `min_uid` or
    /// more.
    fn system_user(&self, user: &str) -> Result<bool, LookupError> {
        system_user(&self.passwd, self.min_uid, user)
    }
}

/// True when `user` is in the passwd file `passwd` with a uid of
/// `min_uid` or more.
pub(crate) fn system_user(
    passwd: &std::path::Path,
    min_uid: u32,
    user: &str,
) -> Result<bool, LookupError> {
    let text = std::fs::read_to_string(passwd)
        .map_err(|e| LookupError::Temporary(format!("the passwd file: {e}")))?;
    Ok(text.lines().any(|l| {
        let f: Vec<&str> = l.split(':').collect();
        f.len() >= 3 && f[0] == user && f[2].parse::<u32>().is_ok_and(|uid| uid >= min_uid)
    }))
}

impl<B: CredentialLookup> CredentialLookup for LegacyBackend<B> {
    fn credentials(&self, user: &str) -> Result<Option<Credentials>, LookupError> {
        if let Some(c) = self.store.credentials(user)? {
            return Ok(Some(c));
        }
        if self.cfg.spool_for(user).is_none() || !self.system_user(user)? {
            return Ok(None);
        }
        // No profile: the password sources (the system's) check it.
        Ok(Some(Credentials {
            user: user.to_string(),
            flags: AccountFlags {
                pwd_elsewhere: true,
                ..AccountFlags::default()
            },
            ..Credentials::default()
        }))
    }

    fn set_password(&self, user: &str, new: &Secret<String>) -> Result<(), LookupError> {
        self.store.set_password(user, new)
    }
}

impl<B: CredentialLookup + MaildropStore> MaildropStore for LegacyBackend<B> {
    fn open(&self, user: &str, client: Option<IpAddr>) -> Result<Box<dyn Maildrop>, MaildropError> {
        let known = self
            .store
            .credentials(user)
            .map_err(|e| MaildropError::Temporary(e.to_string()))?
            .is_some();
        if !known && let Some(spool) = self.cfg.spool_for(user) {
            let system = self
                .system_user(user)
                .map_err(|e| MaildropError::Temporary(e.to_string()))?;
            if system {
                return Ok(Box::new(maildrop::SpoolDrop::open(&spool)?));
            }
        }
        self.store.open(user, client)
    }

    fn expire_policy(&self) -> Expire {
        self.store.expire_policy()
    }

    fn expire_varies(&self) -> bool {
        self.store.expire_varies()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_names_stay_in_their_directory() {
        let c = LegacyConfig {
            spool: "/var/mail/%u".into(),
        };
        assert_eq!(c.spool_for("ann"), Some(PathBuf::from("/var/mail/ann")));
        for bad in ["", "../etc", "a/b", ".hidden", "a b"] {
            assert_eq!(c.spool_for(bad), None, "{bad}");
        }
        let off = LegacyConfig {
            spool: "off".into(),
        };
        assert_eq!(off.spool_for("ann"), None);
    }
}
