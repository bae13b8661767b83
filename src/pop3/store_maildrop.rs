//! The POP3 server's view of the real store engine: [`MaildropStore`] and
//! [`CredentialLookup`] over [`crate::store::Store`]. The store module
//! itself knows nothing of POP3.

use std::net::IpAddr;
use std::sync::Arc;

use super::maildrop::{Entry, Maildrop, MaildropError, MaildropStore, MessageData, SessionRecord};
use crate::auth::stored::verifiers_from_profile;
use crate::auth::{AccountFlags, CredentialLookup, Credentials, LookupError};
use crate::store::flags::Flags;
use crate::store::{Maildrop as StoreMaildrop, MessageView, Store, StoreError};

/// The store, serving POP3 maildrops and account credentials.
#[derive(Debug, Clone)]
pub struct StoreBackend {
    store: Arc<Store>,
}

impl StoreBackend {
    /// Serves from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
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
            },
        }))
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
        let inner = self.store.open_maildrop(&name).map_err(maildrop_error)?;
        let entries = inner
            .entries()
            .iter()
            .map(|e| Entry {
                size: e.size,
                uidl: e.uidl.clone(),
            })
            .collect();
        Ok(Box::new(StoreDrop { inner, entries }))
    }
}

struct StoreDrop {
    inner: StoreMaildrop,
    entries: Vec<Entry>,
}

/// A mapped message file.
struct Mapped(MessageView);

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
        match self.inner.message(index) {
            Ok(Some(view)) => Ok(Arc::new(Mapped(view))),
            Ok(None) => Err(MaildropError::Temporary("the message is gone".into())),
            Err(e) => Err(maildrop_error(e)),
        }
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
            MaildropError::Temporary(e.to_string())
        })
    }

    fn abandon(self: Box<Self>, _record: &SessionRecord) {
        if let Err(e) = self.inner.abandon() {
            tracing::warn!("pop3: recording the session: {e}");
        }
    }
}
