//! The folders of a MessageStore account as the store keeps them: the
//! mailbox list (SPEC.md 9) changed under the account lock by the rules of
//! [`folder_tree`](super::super::folder_tree), and the folder indexes
//! those changes make or remove.
//!
//! Order of writes (SPEC.md 15): a new folder's index is written before
//! the list names it; a deleted folder leaves the list first, then its
//! journal and index go, then its messages' reference counts are lowered.
//! A crash in between leaves an index no list names (verify reports it,
//! reconstruct takes it in) or counts too high (repair lowers them), never
//! a list naming a folder without an index, nor a count too low.

use popstore_formats::folder::{ExpungeLog, FolderIndex};
use popstore_formats::mailboxes::{MailboxFlags, MailboxList, SpecialUse};
use popstore_platform::LockMode;

use super::super::account::{Profile, StoreType};
use super::super::engine::{Store, now};
use super::super::error::{Result, StoreError};
use super::super::folder_name::FolderName;
use super::super::folder_tree::{self, FolderError, Outcome};
use super::super::name::AccountName;
use super::changeable::Changeable;
use super::view::Folder;

/// One folder as LIST (and `popstore folder list`) shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FolderListing {
    /// The folder id (names its files).
    pub id: u32,
    /// The folder's name (stored form: UTF-8, `/` between levels).
    pub name: FolderName,
    /// RFC 6154 special use (`none`, `sent`, `trash`, ...).
    pub special_use: SpecialUse,
    /// A name in the hierarchy only, holding no messages.
    pub noselect: bool,
    /// Whether the folder has inferiors (`\HasChildren`).
    pub has_children: bool,
    /// Whether the name is subscribed.
    pub subscribed: bool,
}

impl Store {
    /// The profile of `acct`, which must be a MessageStore account.
    pub(crate) fn message_store(&self, acct: &AccountName) -> Result<Profile> {
        let p = self.existing(acct)?;
        if p.store_type != StoreType::Imap {
            return Err(StoreError::NotMessageStore(acct.to_string()));
        }
        Ok(p)
    }

    /// The mailbox list of a MessageStore account (INBOX alone when the
    /// account has none yet).
    pub fn mailbox_list(&self, acct: &AccountName) -> Result<MailboxList> {
        self.message_store(acct)?;
        if let Some(l) = self.read_file::<MailboxList>(&self.paths.user(acct).mailbox_list())? {
            return Ok(l);
        }
        // An account made before it had folders (or converted by hand):
        // its INBOX and list are made now, once.
        let _l = self.lock(&self.paths.account_lock(acct), LockMode::Exclusive)?;
        self.init_folders_locked(acct)
    }

    /// The id of the selectable folder `name`, if there is one.
    pub fn folder_id(&self, acct: &AccountName, name: &FolderName) -> Result<Option<u32>> {
        let list = self.mailbox_list(acct)?;
        Ok(folder_tree::find(&list, name)
            .filter(|m| !m.flags.contains(MailboxFlags::NOSELECT))
            .map(|m| m.folder_id))
    }

    /// Gives a MessageStore account its mailbox list and INBOX when it
    /// has none (a new account, or one made before folders existed). The
    /// caller holds the account lock.
    pub(crate) fn init_folders_locked(&self, acct: &AccountName) -> Result<MailboxList> {
        let path = self.paths.user(acct).mailbox_list();
        if let Some(l) = self.read_file::<MailboxList>(&path)? {
            return Ok(l);
        }
        let mut list = folder_tree::new_list();
        self.ensure_dir(&self.paths.folders_dir(acct))?;
        if self.folder_head(acct, 1)?.is_none() {
            let v = new_uidvalidity(&list);
            self.write_file(
                &self.paths.user(acct).folder_index(1),
                &empty_index(1, v, &FolderName::inbox()),
            )?;
            list.last_uidvalidity = v;
        }
        self.write_mailbox_list(acct, &list)?;
        Ok(list)
    }

    fn write_mailbox_list(&self, acct: &AccountName, list: &MailboxList) -> Result<()> {
        let mut l = list.clone();
        if l.last_uidvalidity == 0 {
            // Version 1.1 always (SPEC.md 9): the record is never 0.
            l.last_uidvalidity = 1;
        }
        self.write_file(&self.paths.user(acct).mailbox_list(), &l)
    }

    /// Runs `change` on the account's mailbox list under its lock, makes
    /// the indexes of the folders it creates, writes the list, and gives
    /// back the outcome (whose removed folders the caller empties).
    pub(crate) fn change_folders<T>(
        &self,
        acct: &AccountName,
        change: impl FnOnce(&mut MailboxList) -> std::result::Result<(Outcome, T), FolderError>,
    ) -> Result<(Outcome, T)> {
        self.message_store(acct)?;
        let _l = self.lock(&self.paths.account_lock(acct), LockMode::Exclusive)?;
        let mut list = self.init_folders_locked(acct)?;
        let shared_before = crate::store::share_index::shares(&list, acct);
        let (out, v) = change(&mut list)?;
        let shared_after = crate::store::share_index::shares(&list, acct);
        if shared_after {
            // The index names the account before its list shares
            // (SPEC.md 9.3).
            self.add_share_entry(acct)?;
        }
        for (id, name) in &out.created {
            let uv = new_uidvalidity(&list);
            self.write_file(
                &self.paths.user(acct).folder_index(*id),
                &empty_index(*id, uv, name),
            )?;
            list.last_uidvalidity = uv;
        }
        self.write_mailbox_list(acct, &list)?;
        if shared_before && !shared_after {
            // The change is made: an entry left behind is stale, which
            // readers pass over and repair removes (SPEC.md 9.3).
            if let Err(e) = self.remove_share_entry(acct) {
                tracing::warn!(account = %acct, error = %e, "share index: a stale entry is left");
            }
        }
        Ok((out, v))
    }

    /// Creates folder `name` (and the superiors it needs, RFC 9051
    /// 6.3.4) with the special use given; returns its id.
    pub fn create_folder(
        &self,
        acct: &AccountName,
        name: &FolderName,
        special_use: SpecialUse,
    ) -> Result<u32> {
        let (out, ()) = self.change_folders(acct, |l| {
            folder_tree::create(l, name, special_use).map(|o| (o, ()))
        })?;
        Ok(out.created.last().map_or(0, |c| c.0))
    }

    /// Deletes folder `name` (RFC 9051 6.3.5; with `recursive`, its
    /// inferiors too) and every message in it: the list first, then the
    /// folders' files, then the messages' reference counts. Returns the
    /// ids of the folders emptied.
    pub fn delete_folder(
        &self,
        acct: &AccountName,
        name: &FolderName,
        recursive: bool,
    ) -> Result<Vec<u32>> {
        let (out, ()) = self.change_folders(acct, |l| {
            folder_tree::delete(l, name, recursive).map(|o| (o, ()))
        })?;
        for id in &out.removed {
            self.remove_folder_files(acct, *id)?;
        }
        Ok(out.removed)
    }

    /// Deleting a MessageStore account (`popstore user delete`): every
    /// folder's messages are released; with `everything`, the folders'
    /// files, the mailbox list and the folder locks go too (the account
    /// itself is removed by the caller), else the folders stay, empty.
    /// Returns the number of messages released.
    pub(crate) fn empty_folders(&self, acct: &AccountName, everything: bool) -> Result<usize> {
        let path = self.paths.user(acct).mailbox_list();
        let Some(list) = self.read_file::<MailboxList>(&path)? else {
            return Ok(0);
        };
        let mut released = 0;
        for m in &list.mailboxes {
            if m.flags.contains(MailboxFlags::NOSELECT) {
                continue;
            }
            if everything {
                released += self
                    .load_folder(acct, m.folder_id, FolderName::inbox())
                    .map_or(0, |f| f.len());
                self.remove_folder_files(acct, m.folder_id)?;
                let _ = self.remove_if_there(&self.paths.folder_lock(acct, m.folder_id));
            } else {
                let mut f = self.load_folder(acct, m.folder_id, FolderName::inbox())?;
                let uids: Vec<u32> = f.entries().iter().map(|e| e.uid).collect();
                released += self.expunge_uids(&mut f, &uids, false)?.len();
            }
        }
        if everything {
            self.remove_if_there(&path)?;
            let _ = self.fs.remove_dir(&self.paths.folders_dir(acct));
        }
        Ok(released)
    }

    /// Removes folder `id`'s journal and index and releases its messages.
    fn remove_folder_files(&self, acct: &AccountName, id: u32) -> Result<()> {
        let (messages, index_bytes) = {
            let _l = self.lock_folder(acct, id, LockMode::Exclusive)?;
            let f = match self.load_folder_locked(acct, id, FolderName::inbox()) {
                Ok(f) => f,
                Err(StoreError::Folder(FolderError::NotFound(_))) => return Ok(()),
                Err(e) => return Err(e),
            };
            let base_next = f.cursor.base.uidnext;
            // What the profile counts of this folder: its index entries
            // still there, and those its journal expunged with a FREED
            // record (SPEC.md 8.1).
            let freed: u64 = match self.read_folder_journal(acct, id)? {
                Some((j, _)) if j.base == f.cursor.base => {
                    popstore_formats::folder_journal::freed(&j.changes)
                        .iter()
                        .map(|(_, b)| b)
                        .sum()
                }
                _ => 0,
            };
            let index_bytes: u64 = f
                .entries()
                .iter()
                .filter(|e| e.uid < base_next)
                .map(|e| e.size)
                .sum::<u64>()
                + freed;
            self.remove_folder_journal(acct, id)?;
            match self.fs.remove(&self.paths.user(acct).folder_index(id)) {
                Err(e) if e.kind() != popstore_platform::ErrorKind::NotFound => {
                    return Err(e.into());
                }
                _ => {}
            }
            (
                f.entries().iter().map(|e| e.message).collect::<Vec<_>>(),
                index_bytes,
            )
        };
        self.release_all(&messages)?;
        self.adjust_usage(acct, -(index_bytes as i64))
    }

    /// Renames folder `from` to `to` (RFC 9051 6.3.6): inferiors move
    /// with it; renaming INBOX moves its messages into a new folder `to`
    /// and leaves INBOX empty.
    pub fn rename_folder(
        &self,
        acct: &AccountName,
        from: &FolderName,
        to: &FolderName,
    ) -> Result<()> {
        let (out, ()) =
            self.change_folders(acct, |l| folder_tree::rename(l, from, to).map(|o| (o, ())))?;
        if let Some((inbox, new)) = out.inbox_moved_to {
            let mut f = self.load_folder(acct, inbox, FolderName::inbox())?;
            let uids: Vec<u32> = f.entries().iter().map(|e| e.uid).collect();
            self.move_to(&mut f, &uids, acct, new, Changeable::ALL)?;
        }
        Ok(())
    }

    /// Subscribes (`on`) or unsubscribes `name`; false when nothing
    /// changed.
    pub fn subscribe_folder(
        &self,
        acct: &AccountName,
        name: &FolderName,
        on: bool,
    ) -> Result<bool> {
        let (_, changed) = self.change_folders(acct, |l| {
            let changed = if on {
                let had = l.subscriptions.iter().any(|s| s == name.as_str());
                folder_tree::subscribe(l, name);
                !had
            } else {
                folder_tree::unsubscribe(l, name)
            };
            Ok((Outcome::default(), changed))
        })?;
        Ok(changed)
    }

    /// Sets the special use of folder `name`.
    pub fn set_special_use(
        &self,
        acct: &AccountName,
        name: &FolderName,
        su: SpecialUse,
    ) -> Result<()> {
        self.change_folders(acct, |l| {
            let m = l
                .mailboxes
                .iter_mut()
                .find(|m| m.name == name.as_str())
                .ok_or_else(|| FolderError::NotFound(name.to_string()))?;
            m.special_use = su;
            Ok((Outcome::default(), ()))
        })?;
        Ok(())
    }

    /// The folders whose names match the LIST `pattern` (`*` and `%`,
    /// RFC 9051 6.3.9), in the list's order; with `subscribed_only`, only
    /// subscribed ones (LSUB, LIST (SUBSCRIBED)).
    pub fn list_folders(
        &self,
        acct: &AccountName,
        pattern: &str,
        subscribed_only: bool,
    ) -> Result<Vec<FolderListing>> {
        let list = self.mailbox_list(acct)?;
        // Names with inferiors, in one pass (an account may have many
        // thousands of folders).
        let mut parents = std::collections::HashSet::new();
        for m in &list.mailboxes {
            if let Ok(n) = FolderName::new(&m.name) {
                parents.extend(n.ancestors().into_iter().map(|a| a.to_string()));
            }
        }
        let mut out = Vec::new();
        for m in &list.mailboxes {
            let Ok(name) = FolderName::new(&m.name) else {
                continue;
            };
            if !folder_tree::pattern_matches(pattern, name.as_str()) {
                continue;
            }
            let subscribed = list.subscriptions.iter().any(|s| s == name.as_str());
            if subscribed_only && !subscribed {
                continue;
            }
            out.push(FolderListing {
                id: m.folder_id,
                special_use: m.special_use,
                noselect: m.flags.contains(MailboxFlags::NOSELECT),
                has_children: parents.contains(name.as_str()),
                subscribed,
                name,
            });
        }
        Ok(out)
    }

    /// Opens the selectable folder `name` of `acct` for a session.
    pub fn open_folder(&self, acct: &AccountName, name: &FolderName) -> Result<Folder> {
        let id = self
            .folder_id(acct, name)?
            .ok_or_else(|| FolderError::NotFound(name.to_string()))?;
        self.load_folder(acct, id, name.clone())
    }
}

/// The UIDVALIDITY of a new folder: the time, or one more than the
/// highest given (SPEC.md 9, version 1.1).
fn new_uidvalidity(list: &MailboxList) -> u32 {
    let t = u32::try_from(now()).unwrap_or(u32::MAX - 1).max(1);
    t.max(list.last_uidvalidity.saturating_add(1))
}

/// A new folder's index: no messages, UIDNEXT 1, HIGHESTMODSEQ 1, keeping
/// its expunges from the start (floor 0: every expunge is known).
pub(crate) fn empty_index(id: u32, uidvalidity: u32, name: &FolderName) -> FolderIndex {
    FolderIndex {
        folder_id: id,
        uidvalidity,
        uidnext: 1,
        highestmodseq: 1,
        name: name.to_string(),
        keywords: Vec::new(),
        entries: Vec::new(),
        expunges: Some(ExpungeLog {
            floor: 0,
            sets: Vec::new(),
        }),
        unknown: Vec::new(),
    }
}
