//! The share index (SPEC.md 9.3, feature `share-index`): one empty file
//! `ROOT0:[SHARES]<encoded name>.SHR` per MessageStore account whose
//! mailbox list has an ACL entry for someone else, so that listing the
//! folders shared with an account (IMAP's `Other Users/`) reads those
//! accounts only, not every account of the store.
//!
//! The entry is made before a mailbox list that shares is written and
//! removed after one that no longer shares, both under the account lock:
//! a crash leaves a stale entry (which readers pass over), never a
//! missing one.

use popstore_formats::layout::{Layout, SHARES_DIR, types};
use popstore_formats::mailboxes::MailboxList;
use popstore_formats::path::Ods2Name;
use popstore_platform::{DirPath, Entry, ErrorKind, RecordFormat};

use super::engine::Store;
use super::error::Result;
use super::name::AccountName;
use super::public::is_public;

/// True when `list`, owned by `owner`, has an ACL entry naming anyone
/// but the owner (the rule of SPEC.md 9.3, [`MailboxList::shares`]).
pub(crate) fn shares(list: &MailboxList, owner: &AccountName) -> bool {
    list.shares(owner.as_str())
}

/// An entry of the index and the account it leads to (`None`: no profile
/// there).
type IndexEntry = (popstore_formats::path::StorePath, Option<AccountName>);

/// `ROOT0:[SHARES]`.
fn shares_dir() -> DirPath {
    DirPath::root(0).child(Ods2Name::new(SHARES_DIR).unwrap_or_else(|_| unreachable!()))
}

impl Store {
    /// True when the store keeps the share index.
    pub(crate) fn has_share_index(&self) -> bool {
        self.paths.layout.share_index
    }

    /// Makes `acct`'s entry (durably) unless it is there. The caller holds
    /// the account lock and writes the sharing mailbox list after this.
    pub(crate) fn add_share_entry(&self, acct: &AccountName) -> Result<()> {
        if !self.has_share_index() || is_public(acct) {
            return Ok(());
        }
        let Some(path) = Layout::share_entry(acct.as_str()) else {
            return Ok(());
        };
        if self.fs.stat(&path)?.is_none() {
            self.ensure_dir(&shares_dir())?;
            self.fs.replace(&path, RecordFormat::Var, &[])?;
        }
        Ok(())
    }

    /// Removes `acct`'s entry if there is one. The caller has written a
    /// mailbox list that does not share (or removed the account).
    pub(crate) fn remove_share_entry(&self, acct: &AccountName) -> Result<()> {
        if !self.has_share_index() {
            return Ok(());
        }
        match Layout::share_entry(acct.as_str()) {
            Some(path) => self.remove_if_there(&path),
            None => Ok(()),
        }
    }

    /// The accounts the share index names (stale entries included; the
    /// caller reads each account), or `None` in a store without the index.
    pub(crate) fn indexed_sharers(&self) -> Result<Option<Vec<AccountName>>> {
        Ok(self
            .indexed_entries()?
            .map(|v| v.into_iter().filter_map(|(_, a)| a).collect()))
    }
}

impl Store {
    /// `verify --repair`, under `acct`'s lock: makes its entry when its
    /// mailbox list shares and the entry is missing. True when it shares.
    pub(crate) fn repair_share_entry(
        &self,
        acct: &AccountName,
        changes: &mut Vec<String>,
    ) -> Result<bool> {
        if !self.has_share_index() {
            return Ok(false);
        }
        let Some(list) = self.read_file::<MailboxList>(&self.paths.user(acct).mailbox_list())?
        else {
            return Ok(false);
        };
        if !shares(&list, acct) {
            return Ok(false);
        }
        if let Some(path) = Layout::share_entry(acct.as_str())
            && self.fs.stat(&path)?.is_none()
        {
            self.add_share_entry(acct)?;
            changes.push(format!(
                "{}: made (the account shares folders)",
                self.fs.display(&path)
            ));
        }
        Ok(true)
    }

    /// `verify --repair`, after every subtree: removes the entries of
    /// accounts that share nothing, each after reading its account again
    /// under its lock (it may have shared since).
    pub(crate) fn remove_stale_share_entries(
        &self,
        sharers: &std::collections::BTreeSet<AccountName>,
        changes: &mut Vec<String>,
    ) -> Result<()> {
        let Some(named) = self.indexed_entries()? else {
            return Ok(());
        };
        for (path, acct) in named {
            if acct.as_ref().is_some_and(|a| sharers.contains(a)) {
                continue;
            }
            let still = match &acct {
                Some(a) => {
                    let _l = self.lock(
                        &self.paths.account_lock(a),
                        popstore_platform::LockMode::Exclusive,
                    )?;
                    let list = self.read_file::<MailboxList>(&self.paths.user(a).mailbox_list())?;
                    let shares_now = list.is_some_and(|l| shares(&l, a));
                    if !shares_now {
                        self.remove_if_there(&path)?;
                    }
                    shares_now
                }
                None => {
                    self.remove_if_there(&path)?;
                    false
                }
            };
            if !still {
                changes.push(format!(
                    "{}: removed (a stale share-index entry)",
                    self.fs.display(&path)
                ));
            }
        }
        Ok(())
    }

    /// Every entry of the index with its account (`None`: no profile where
    /// the entry leads), or `None` without the feature.
    fn indexed_entries(&self) -> Result<Option<Vec<IndexEntry>>> {
        if !self.has_share_index() {
            return Ok(None);
        }
        let dir = shares_dir();
        let entries = match self.fs.list(&dir) {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Some(Vec::new())),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for e in entries {
            let Entry::File { name, ftype } = e else {
                continue;
            };
            if ftype.as_str() != types::SHARE {
                continue;
            }
            let account = match self.paths.layout.subtree_of(&name) {
                Some(d) => self
                    .read_file::<popstore_formats::profile::Profile>(&d.profile())?
                    .map(|p| AccountName::from_stored(&super::disk::profile_from(p).name)),
                None => None,
            };
            out.push((dir.file(name, ftype), account));
        }
        Ok(Some(out))
    }
}
