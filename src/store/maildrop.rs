//! Maildrop sessions (POP3): a snapshot of a user's messages taken at
//! open, deletions marked during the session and committed at close, and
//! a lock so a second session gets "in use".

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use popstore_platform::{FileLock, LockMode};

use super::account::Profile;
use super::engine::{Store, now};
use super::error::{Result, StoreError};
use super::layout::MessageId;
use super::messages::MessageBody;
use super::name::AccountName;
use popstore_formats::msglist::{Entry as ListEntry, EntryFlags};

/// An open maildrop. Dropping it without [`Maildrop::commit`] changes
/// nothing (a dropped connection commits nothing).
#[derive(Debug)]
pub struct Maildrop {
    store: Arc<Store>,
    name: AccountName,
    profile: Profile,
    entries: Vec<ListEntry>,
    /// For a MessageStore account, the INBOX UID of each entry that comes
    /// from its INBOX (`None`: from the message list). Empty otherwise.
    uids: Vec<Option<u32>>,
    inbox: Option<super::folders::Folder>,
    deleted: Vec<bool>,
    seen: Vec<bool>,
    opened: i64,
    _session: FileLock,
}

impl Maildrop {
    /// Opens `name`'s maildrop: takes the session lock (at once, or
    /// [`StoreError::InUse`]) and snapshots the message list.
    pub fn open(store: Arc<Store>, name: &AccountName) -> Result<Maildrop> {
        let _timer = crate::metrics::op_timer("maildrop_open");
        let session = store
            .fs
            .lock(
                &store.paths.session_lock(name),
                LockMode::Exclusive,
                Duration::ZERO,
            )
            .map_err(|e| match e.kind() {
                popstore_platform::ErrorKind::LockTimeout => StoreError::InUse(name.to_string()),
                _ => StoreError::Platform(e),
            })?;
        let profile = store.existing(name)?;
        let mut entries = store.read_list(name)?.entries;
        let mut uids = Vec::new();
        let mut inbox = None;
        if profile.store_type == super::StoreType::Imap {
            // POP3 serves a MessageStore account's INBOX (after anything
            // its message list still holds from before it had folders).
            let f = store.open_folder(name, &super::folder_name::FolderName::inbox())?;
            // A converted account keeps the UIDLs it had (SPEC.md 9.1).
            let kept = store.pop_uidls(name)?;
            uids = vec![None; entries.len()];
            for m in f.messages() {
                uids.push(Some(m.uid));
                let mut flags = EntryFlags::default();
                flags.set(
                    EntryFlags::SEEN,
                    m.flags
                        .contains(popstore_formats::folder::SystemFlags::SEEN),
                );
                entries.push(ListEntry {
                    message: m.message,
                    size: m.size,
                    delivered: Some(m.internal_date),
                    flags,
                    uidl: kept
                        .as_ref()
                        .and_then(|k| k.uidl(f.uidvalidity(), m.uid, m.message))
                        .map_or_else(
                            || format!("{}.{}.{}", m.message.file_name(), f.uidvalidity(), m.uid),
                            str::to_string,
                        ),
                });
            }
            inbox = Some(f);
        }
        let n = entries.len();
        Ok(Maildrop {
            store,
            name: name.clone(),
            profile,
            uids,
            inbox,
            deleted: vec![false; n],
            seen: entries
                .iter()
                .map(|e| e.flags.contains(EntryFlags::SEEN))
                .collect(),
            entries,
            opened: now(),
            _session: session,
        })
    }

    /// The account's profile as it was at open.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The messages of the snapshot, in delivery order (index 0 is POP3's
    /// message 1), deleted ones included.
    pub fn entries(&self) -> &[ListEntry] {
        &self.entries
    }

    /// Number of messages not marked deleted, and their total size.
    pub fn stat(&self) -> (usize, u64) {
        self.entries
            .iter()
            .zip(&self.deleted)
            .filter(|(_, d)| !**d)
            .fold((0, 0), |(n, s), (e, _)| (n + 1, s + e.size))
    }

    /// True when message `i` exists and is marked deleted.
    pub fn is_deleted(&self, i: usize) -> bool {
        self.deleted.get(i).copied().unwrap_or(false)
    }

    /// Maps message `i` for reading (None when out of range or deleted),
    /// and marks it seen.
    pub fn message(&mut self, i: usize) -> Result<Option<MessageBody>> {
        let v = self.peek(i)?;
        if v.is_some() {
            self.seen[i] = true;
        }
        Ok(v)
    }

    /// Maps message `i` for reading without marking it seen (None when out
    /// of range or deleted): for a server that reads ahead.
    pub fn peek(&self, i: usize) -> Result<Option<MessageBody>> {
        if i >= self.entries.len() || self.deleted[i] {
            return Ok(None);
        }
        self.store.open_body(self.entries[i].message).map(Some)
    }

    /// Marks message `i` seen (as [`Maildrop::message`] does); false when
    /// out of range or deleted.
    pub fn mark_seen(&mut self, i: usize) -> bool {
        if i >= self.entries.len() || self.deleted[i] {
            return false;
        }
        self.seen[i] = true;
        true
    }

    /// Marks message `i` deleted; false when out of range or already deleted.
    pub fn mark_deleted(&mut self, i: usize) -> bool {
        match self.deleted.get_mut(i) {
            Some(d) if !*d => {
                *d = true;
                true
            }
            _ => false,
        }
    }

    /// Unmarks every deletion (POP3 RSET).
    pub fn reset(&mut self) {
        self.deleted.iter_mut().for_each(|d| *d = false);
    }

    /// Commits the session: removes the deleted messages' references (then
    /// their counts), records seen marks and accounting. Durable when it
    /// returns. Messages delivered during the session are kept.
    pub fn commit(mut self) -> Result<()> {
        let _timer = crate::metrics::op_timer("maildrop_commit");
        if let Some(mut inbox) = self.inbox.take() {
            self.commit_inbox(&mut inbox)?;
        }
        let from_list = |i: usize| self.uids.get(i).is_none_or(|u| u.is_none());
        let gone: HashSet<MessageId> = self
            .entries
            .iter()
            .enumerate()
            .zip(&self.deleted)
            .filter(|((i, _), d)| **d && from_list(*i))
            .map(|((_, e), _)| e.message)
            .collect();
        let seen: HashSet<MessageId> = self
            .entries
            .iter()
            .enumerate()
            .zip(&self.seen)
            .filter(|((i, e), s)| **s && !e.flags.contains(EntryFlags::SEEN) && from_list(*i))
            .map(|((_, e), _)| e.message)
            .collect();
        if !gone.is_empty() || !seen.is_empty() {
            let _l = self.store.lock(
                &self.store.paths.account_lock(&self.name),
                LockMode::Exclusive,
            )?;
            let mut l = self.store.load_list(&self.name)?;
            let released: Vec<MessageId> = l
                .list
                .entries
                .iter()
                .map(|e| e.message)
                .filter(|m| gone.contains(m))
                .collect();
            l.list.entries.retain(|e| !gone.contains(&e.message));
            super::list::note_released(&mut l.list, &released);
            for e in &mut l.list.entries {
                if seen.contains(&e.message) {
                    e.flags.set(EntryFlags::SEEN, true);
                }
            }
            self.store
                .write_list(&self.name, &l.list, &l.journal, (0, 0))?;
        }
        for id in gone {
            self.store.release(id, 1)?;
        }
        self.store.record_session(&self.name, self.opened, now())
    }

    /// Commits what the session did to a MessageStore INBOX: messages
    /// read get `\Seen`, messages deleted are expunged (other sessions'
    /// changes meanwhile are kept).
    fn commit_inbox(&self, inbox: &mut super::folders::Folder) -> Result<()> {
        use popstore_formats::folder::SystemFlags;
        let pick = |marks: &[bool], skip_seen: bool| -> Vec<u32> {
            self.uids
                .iter()
                .enumerate()
                .filter(|(i, _)| marks.get(*i).copied().unwrap_or(false))
                .filter(|(i, _)| !skip_seen || !self.entries[*i].flags.contains(EntryFlags::SEEN))
                .filter_map(|(_, u)| *u)
                .collect()
        };
        let seen = pick(&self.seen, true);
        let gone = pick(&self.deleted, false);
        if !seen.is_empty() {
            self.store.store_flags(
                inbox,
                &seen,
                super::folders::FlagOp::Add,
                SystemFlags::SEEN,
                &[],
                None,
            )?;
        }
        if !gone.is_empty() {
            self.store.expunge_uids(inbox, &gone, false)?;
        }
        Ok(())
    }

    /// Ends the session without committing deletions, recording only the
    /// accounting.
    pub fn abandon(self) -> Result<()> {
        self.store.record_session(&self.name, self.opened, now())
    }
}

impl Store {
    /// Opens a maildrop (see [`Maildrop::open`]).
    pub fn open_maildrop(self: &Arc<Self>, name: &AccountName) -> Result<Maildrop> {
        Maildrop::open(Arc::clone(self), name)
    }
}
