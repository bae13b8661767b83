//! The POP3 server's view of the real store engine: [`MaildropStore`] and
//! [`CredentialLookup`] over [`crate::store::Store`]. The store module
//! itself knows nothing of POP3.

use std::net::IpAddr;
use std::sync::Arc;

use super::maildrop::{
    Entry, Expire, Maildrop, MaildropError, MaildropStore, MessageData, SessionRecord,
};
use crate::auth::stored::verifiers_from_profile;
use crate::auth::{
    AccountFlags, CredentialLookup, Credentials, LookupError, Secret, VerifierOptions,
};
use crate::bounce::policy::ExpireConfig;
use crate::store::flags::Flags;
use crate::store::groups::Actor;
use crate::store::{Maildrop as StoreMaildrop, MessageBody, Store, StoreError};

/// The store, serving POP3 maildrops and account credentials.
#[derive(Debug, Clone)]
pub struct StoreBackend {
    store: Arc<Store>,
    login_delay: i64,
    expire: Arc<ExpireConfig>,
}

impl StoreBackend {
    /// Serves from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            login_delay: 0,
            expire: Arc::new(ExpireConfig::default()),
        }
    }

    /// Advertises the `[expire]` policy in CAPA (the site's before login,
    /// the user's after).
    pub fn with_expire(mut self, cfg: ExpireConfig) -> Self {
        self.expire = Arc::new(cfg);
        self
    }

    /// The policy of account `name`, as CAPA says it.
    fn expire_for(&self, name: &crate::store::name::AccountName) -> Expire {
        let days = match (self.store.profile(name), self.store.group_tree()) {
            (Ok(Some(p)), Ok(tree)) => {
                self.expire
                    .days_for(&p.name, p.group_name().as_ref(), &tree)
            }
            _ => self.expire.days,
        };
        ExpireConfig::advertised(days)
    }

    /// Refuses a login (`[LOGIN-DELAY]`) less than `secs` seconds after the
    /// account's last one (RFC 2449 LOGIN-DELAY; 0 turns it off).
    pub fn with_login_delay(mut self, secs: u32) -> Self {
        self.login_delay = i64::from(secs);
        self
    }
}

fn maildrop_error(e: StoreError) -> MaildropError {
    match e {
        StoreError::InUse(_) => MaildropError::InUse,
        e @ (StoreError::Platform(_) | StoreError::NoStore(_)) => {
            tracing::warn!("pop3: store: {e}");
            MaildropError::Temporary("the mail store is not available; try again later".into())
        }
        e => {
            tracing::error!("pop3: store: {e}");
            MaildropError::Permanent("the maildrop cannot be opened; tell the administrator".into())
        }
    }
}

impl CredentialLookup for StoreBackend {
    fn credentials(&self, user: &str) -> Result<Option<Credentials>, LookupError> {
        let Ok(name) = self.store.name(user) else {
            return Ok(None); // not a valid name: no such account
        };
        let profile = match self.store.profile(&name) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e @ StoreError::Platform(_)) => return Err(LookupError::Temporary(e.to_string())),
            Err(e) => return Err(LookupError::Permanent(e.to_string())),
        };
        let flags = profile.flags();
        Ok(Some(Credentials {
            user: profile.name.clone(),
            verifiers: verifiers_from_profile(
                profile.password.as_deref(),
                profile.raw.as_deref().map(|r| &r.verifiers),
            ),
            flags: AccountFlags {
                disuser: flags.contains(Flags::DISUSER),
                pwd_elsewhere: flags.contains(Flags::PWD_ELSEWHERE),
                lockpwd: flags.contains(Flags::LOCKPWD),
            },
        }))
    }

    /// New verifiers of the kinds the account held (argon2id and
    /// SCRAM-SHA-256 always; CRAM-MD5 and APOP when it had them).
    fn set_password(&self, user: &str, new: &Secret<String>) -> Result<(), LookupError> {
        let old = self
            .credentials(user)?
            .ok_or_else(|| LookupError::Permanent("no such account".into()))?;
        let options = VerifierOptions {
            cram_md5: old.verifiers.cram_md5.is_some(),
            apop: old.verifiers.apop.is_some(),
            ..VerifierOptions::default()
        };
        let pw = crate::store::password::Secret::new(new.expose().clone());
        match self
            .store
            .set_password_with(&Actor::Admin, &old.user, &pw, Some(options))
        {
            Ok(()) => Ok(()),
            Err(e @ StoreError::Platform(_)) => Err(LookupError::Temporary(e.to_string())),
            Err(e) => Err(LookupError::Permanent(e.to_string())),
        }
    }
}

impl MaildropStore for StoreBackend {
    fn open(
        &self,
        user: &str,
        _client: Option<IpAddr>,
    ) -> Result<Box<dyn Maildrop>, MaildropError> {
        let name = self
            .store
            .name(user)
            .map_err(|e| MaildropError::Permanent(e.to_string()))?;
        if self.login_delay > 0 {
            let last = self
                .store
                .profile(&name)
                .map_err(maildrop_error)?
                .map_or(0, |p| p.last_connect);
            let wait = last + self.login_delay - crate::store::now();
            if last > 0 && wait > 0 {
                return Err(MaildropError::LoginDelay(format!(
                    "logins are allowed every {} seconds; wait {wait} more",
                    self.login_delay
                )));
            }
        }
        let inner = self.store.open_maildrop(&name).map_err(maildrop_error)?;
        let entries = inner
            .entries()
            .iter()
            .map(|e| Entry {
                size: e.size,
                uidl: e.uidl.clone(),
            })
            .collect();
        Ok(Box::new(StoreDrop {
            inner,
            entries,
            ahead: None,
            expire: self.expire_for(&name),
        }))
    }

    fn expire_policy(&self) -> Expire {
        self.expire.advertised_before_login().0
    }

    fn expire_varies(&self) -> bool {
        self.expire.advertised_before_login().1
    }
}

struct StoreDrop {
    inner: StoreMaildrop,
    entries: Vec<Entry>,
    /// A message opened ahead of its RETR ([`Maildrop::prefetch`]).
    ahead: Option<(usize, Arc<dyn MessageData>)>,
    /// This user's `[expire]` policy.
    expire: Expire,
}

/// A mapped message file.
struct Mapped(MessageBody);

impl MessageData for Mapped {
    fn bytes(&self) -> &[u8] {
        self.0.body()
    }
    fn dot_lines(&self) -> &[u64] {
        &self.0.info.dot_lines
    }
}

impl Maildrop for StoreDrop {
    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn message(&mut self, index: usize) -> Result<Arc<dyn MessageData>, MaildropError> {
        if let Some((i, data)) = self.ahead.take()
            && i == index
            && self.inner.mark_seen(index)
        {
            return Ok(data);
        }
        match self.inner.message(index) {
            Ok(Some(view)) => Ok(Arc::new(Mapped(view))),
            Ok(None) => Err(MaildropError::Temporary("the message is gone".into())),
            Err(e) => Err(maildrop_error(e)),
        }
    }

    fn expire_policy(&self) -> Expire {
        self.expire
    }

    fn prefetch(&mut self, index: usize) {
        // A failure here is only a lost head start: the RETR reports it.
        self.ahead = match self.inner.peek(index) {
            Ok(Some(view)) => Some((index, Arc::new(Mapped(view)))),
            _ => None,
        };
    }

    fn commit(
        mut self: Box<Self>,
        deleted: &[usize],
        _record: &SessionRecord,
    ) -> Result<(), MaildropError> {
        for &i in deleted {
            self.inner.mark_deleted(i);
        }
        self.inner.commit().map_err(|e| {
            tracing::error!("pop3: commit: {e}");
            MaildropError::Temporary("the mail store could not be written; try again".into())
        })
    }

    fn abandon(self: Box<Self>, _record: &SessionRecord) {
        if let Err(e) = self.inner.abandon() {
            tracing::warn!("pop3: recording the session: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::VerifierOptions;
    use crate::delivery::{AcceptedRecipient, Delivery, Envelope};
    use crate::store::groups::Actor;
    use crate::store::{AccountChanges, Settings};

    fn store() -> Arc<Store> {
        let fs = Arc::new(popstore_platform::PosixTree::memory(1));
        let s = Arc::new(Store::init(fs, Settings::default()).unwrap());
        let ch = AccountChanges {
            password: Some(crate::store::password::Secret::new("pw")),
            verifiers: Some(VerifierOptions {
                cram_md5: true,
                apop: true,
                ..VerifierOptions::default()
            }),
            ..AccountChanges::default()
        };
        s.create_account(&Actor::Admin, "ann", &ch).unwrap();
        s
    }

    fn record() -> SessionRecord {
        SessionRecord {
            login_at: std::time::SystemTime::now(),
            duration: std::time::Duration::ZERO,
            client: None,
        }
    }

    #[test]
    fn serves_the_store() {
        let s = store();
        let env = Envelope {
            channel: "test".into(),
            ..Envelope::default()
        };
        let rcpt = AcceptedRecipient {
            address: "ann".into(),
        };
        let r = s.deliver(&env, &[rcpt], b"Subject: x\r\n\r\n.dot\r\n");
        assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
        let b = StoreBackend::new(s.clone());
        let creds = b.credentials("ANN").unwrap().unwrap();
        assert_eq!(creds.user, "ann");
        assert!(creds.verifiers.verify_plain(b"pw"));
        assert!(creds.verifiers.scram_sha256.is_some());
        assert!(creds.verifiers.cram_md5.is_some());
        assert_eq!(
            creds.verifiers.apop.as_ref().map(|a| a.expose().as_str()),
            Some("pw")
        );
        assert!(b.credentials("nobody").unwrap().is_none());
        assert!(b.credentials("bad name!").unwrap().is_none());

        let mut md = b.open("ann", None).unwrap();
        assert_eq!(md.entries().len(), 1);
        assert_eq!(b.open("ann", None).err(), Some(MaildropError::InUse));
        let m = md.message(0).unwrap();
        assert_eq!(m.bytes(), b"Subject: x\r\n\r\n.dot\r\n");
        assert_eq!(m.dot_lines(), &[14]);
        md.commit(&[0], &record()).unwrap();
        let md = b.open("ann", None).unwrap();
        assert!(md.entries().is_empty());
        md.abandon(&record());

        // a new password drops the old verifiers
        s.set_password(
            &Actor::Admin,
            "ann",
            &crate::store::password::Secret::new("new"),
        )
        .unwrap();
        let creds = b.credentials("ann").unwrap().unwrap();
        assert!(creds.verifiers.verify_plain(b"new") && !creds.verifiers.verify_plain(b"pw"));
        assert!(creds.verifiers.cram_md5.is_none() && creds.verifiers.apop.is_none());
    }

    #[test]
    fn a_message_read_ahead_is_served_and_only_a_retr_marks_it_seen() {
        let s = store();
        let env = Envelope {
            channel: "test".into(),
            ..Envelope::default()
        };
        for k in 0..3 {
            let rcpt = AcceptedRecipient {
                address: "ann".into(),
            };
            let m = format!("Subject: {k}\r\n\r\nbody {k}\r\n");
            assert!(s.deliver(&env, &[rcpt], m.as_bytes())[0].is_ok());
        }
        let b = StoreBackend::new(s.clone());
        let mut md = b.open("ann", None).unwrap();
        assert_eq!(
            md.message(0).unwrap().bytes(),
            b"Subject: 0\r\n\r\nbody 0\r\n"
        );
        md.prefetch(1);
        assert_eq!(
            md.message(1).unwrap().bytes(),
            b"Subject: 1\r\n\r\nbody 1\r\n"
        );
        md.prefetch(2); // read ahead, never asked for
        md.commit(&[], &record()).unwrap();
        let ann = s.name("ann").unwrap();
        let seen: Vec<bool> = s
            .read_list(&ann)
            .unwrap()
            .entries
            .iter()
            .map(|e| {
                e.flags
                    .contains(popstore_formats::msglist::EntryFlags::SEEN)
            })
            .collect();
        assert_eq!(seen, [true, true, false]);
    }

    #[test]
    fn login_delay_is_enforced() {
        let s = store();
        let b = StoreBackend::new(s).with_login_delay(3600);
        let md = b.open("ann", None).unwrap();
        md.commit(&[], &record()).unwrap();
        match b.open("ann", None) {
            Err(MaildropError::LoginDelay(m)) => assert!(m.contains("3600"), "{m}"),
            other => panic!("{:?}", other.err()),
        }
    }
}
