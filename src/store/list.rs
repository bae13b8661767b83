//! Message lists and their journal (SPEC.md 7 and 7.1): the list as every
//! reader sees it, references added by deliveries, and the fold that
//! writes the journal into the list.
//!
//! In a store with the `list-journal` feature a delivery appends one
//! record to `MESSAGES.PMJ` (one synced append, whatever the list's
//! length) and leaves the list and the profile alone; the journal is
//! folded into the list whenever the list is replaced anyway (a POP3
//! session that deletes, a removal, repair) and when it holds
//! [`JOURNAL_FOLD_AT`] entries. Stores without the feature replace the
//! list and the profile on every delivery, as format 1.0 describes.

use std::sync::Arc;

use popstore_formats::StoreFile;
use popstore_formats::journal::{MessageJournal, entry_record};
use popstore_formats::msglist::{Entry, MAX_RELEASED_PER_RECORD, MessageList, Released};

use super::layout::MessageId;
use popstore_platform::{ErrorKind, LockMode, RecordFormat};

use super::account::Profile;
use super::engine::Store;
use super::error::{Result, StoreError};
use super::messages::Slot;
use super::name::AccountName;

/// A delivery that finds this many entries in the journal folds it (with
/// its own entries) into the list: it bounds what each delivery reads of
/// the journal, and the list rewrite happens once per this many messages.
pub const JOURNAL_FOLD_AT: usize = 256;

/// What an account's journal holds, as far as the list is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct JournalInfo {
    /// A journal file exists (valid, stale, or with a torn tail).
    pub present: bool,
    /// Its entries belong to the list (its base is the list's next UIDL).
    pub valid: bool,
    /// Entries of a valid journal.
    pub entries: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Bytes of a torn tail.
    pub torn: u64,
}

/// A message list as readers see it (the list file's entries, then the
/// journal's), with what the journal added.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub list: MessageList,
    pub journal: JournalInfo,
}

impl Store {
    /// An account's message list as users see it: the list file, then the
    /// journal's entries (an empty list when it has none yet).
    pub fn read_list(&self, name: &AccountName) -> Result<MessageList> {
        Ok(self.load_list(name)?.list)
    }

    /// The list and what its journal added.
    pub(crate) fn load_list(&self, name: &AccountName) -> Result<Loaded> {
        let mut list = self.read_list_file(name)?;
        let Some(j) = self.read_journal(name)? else {
            return Ok(Loaded {
                list,
                journal: JournalInfo::default(),
            });
        };
        let mut info = JournalInfo {
            present: true,
            torn: j.torn_tail,
            ..JournalInfo::default()
        };
        if j.base < list.next_uidl {
            return Ok(Loaded {
                list,
                journal: info,
            }); // stale
        }
        self.check_base(name, j.base, list.next_uidl)?;
        let known: std::collections::HashSet<&str> =
            list.entries.iter().map(|e| e.uidl.as_str()).collect();
        if let Some(e) = j.entries.iter().find(|e| known.contains(e.uidl.as_str())) {
            return Err(self.corrupt(
                &self.paths.user(name).message_journal(),
                format!("UIDL {:?} is both in the list and in the journal", e.uidl),
            ));
        }
        info.valid = true;
        info.entries = j.entries.len() as u64;
        info.bytes = j.entries.iter().map(|e| e.size).sum();
        list.next_uidl = j.base + info.entries;
        list.entries.extend(j.entries);
        Ok(Loaded {
            list,
            journal: info,
        })
    }

    fn check_base(&self, name: &AccountName, base: u64, next: u64) -> Result<()> {
        if base > next {
            return Err(self.corrupt(
                &self.paths.user(name).message_journal(),
                format!(
                    "journal base {base} is ahead of the message list's next UIDL {next} \
                     (run popstore verify)"
                ),
            ));
        }
        Ok(())
    }

    /// The list file alone.
    fn read_list_file(&self, name: &AccountName) -> Result<MessageList> {
        Ok(self
            .read_file::<MessageList>(&self.paths.message_list(name))?
            .unwrap_or(MessageList {
                next_uidl: 1,
                ..MessageList::default()
            }))
    }

    /// The journal file, or `None` when there is none (or the store does
    /// not use journals).
    fn read_journal(&self, name: &AccountName) -> Result<Option<MessageJournal>> {
        if !self.paths.layout.list_journal {
            return Ok(None);
        }
        self.read_file::<MessageJournal>(&self.paths.user(name).message_journal())
    }

    /// The list file's next UIDL number, read from its first record only
    /// (the LIST record is always first, SPEC.md 4 and 7), so a delivery
    /// costs the same whatever the list's length. Falls back to a whole
    /// read when the file does not look as the engine writes it.
    fn list_next_uidl(&self, name: &AccountName) -> Result<u64> {
        let path = self.paths.message_list(name);
        let head = match self.fs.read_head(&path, 22) {
            Ok(h) => h,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(1),
            Err(e) => return Err(e.into()),
        };
        // count word 8, PSML, version 1; count word 10, type LIST, u64.
        if head.len() == 22
            && head[..6] == *b"\x08\x00PSML"
            && head[6..8] == *b"\x01\x00"
            && head[10..14] == *b"\x0a\x00\x01\x00"
        {
            let mut v = [0u8; 8];
            v.copy_from_slice(&head[14..22]);
            return Ok(u64::from_le_bytes(v));
        }
        Ok(self.read_list_file(name)?.next_uidl)
    }

    /// Bytes held by an account: the profile's usage as of the last fold
    /// plus a valid journal's entries. No O(list) work.
    pub(crate) fn usage(&self, name: &AccountName, p: &Profile) -> Result<u64> {
        let Some(j) = self.read_journal(name)? else {
            return Ok(p.quota_used);
        };
        let next = self.list_next_uidl(name)?;
        if j.base < next {
            return Ok(p.quota_used);
        }
        self.check_base(name, j.base, next)?;
        Ok(p.quota_used + j.entries.iter().map(|e| e.size).sum::<u64>())
    }

    /// Replaces an account's list with `list` (the caller holds the account
    /// lock and read it with [`Store::load_list`], so it holds the
    /// journal's entries), brings the profile's counters in line (adding
    /// `received` and the folded journal's deliveries), then removes the
    /// journal: the fold of SPEC.md 7.1.
    pub(crate) fn write_list(
        &self,
        name: &AccountName,
        list: &MessageList,
        journal: &JournalInfo,
        received: (u64, u64),
    ) -> Result<()> {
        let path = self.paths.message_list(name);
        let pruned;
        let list = if released_to_prune(list, super::engine::now()) {
            let mut l = list.clone();
            prune_released(&mut l, super::engine::now());
            pruned = l;
            &pruned
        } else {
            list
        };
        let bytes = list
            .encode()
            .map_err(|e| StoreError::Invalid(format!("cannot encode the message list: {e}")))?;
        self.fs.replace(&path, RecordFormat::Var, &bytes)?;
        let mut p = self.existing(name)?;
        p.message_count = list.entries.len() as u64;
        p.quota_used = list.entries.iter().map(|e| e.size).sum();
        let (m, b) = if journal.valid {
            (journal.entries, journal.bytes)
        } else {
            (0, 0)
        };
        p.received_messages += received.0 + m;
        p.received_bytes += received.1 + b;
        self.write_profile(&p)?;
        if journal.present {
            self.remove_journal(name)?;
        }
        Ok(())
    }

    pub(crate) fn remove_journal(&self, name: &AccountName) -> Result<()> {
        match self.fs.remove(&self.paths.user(name).message_journal()) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Folds an account's journal into its list now (under its lock);
    /// nothing to do when it has none.
    pub fn fold_journal(&self, name: &AccountName) -> Result<()> {
        let _l = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
        let l = self.load_list(name)?;
        if l.journal.present {
            self.write_list(name, &l.list, &l.journal, (0, 0))?;
        }
        Ok(())
    }

    /// Writes a batch of queued references (the caller holds the account
    /// lock): one append to the journal, or one replace of the list.
    pub(crate) fn write_batch(&self, name: &AccountName, batch: &[Arc<Slot>]) -> Result<()> {
        if self.paths.layout.list_journal {
            let next = self.list_next_uidl(name)?;
            match self.read_journal(name)? {
                None => return self.start_journal(name, next, batch),
                Some(j)
                    if j.base == next
                        && j.torn_tail == 0
                        && j.entries.len() + batch.len() <= JOURNAL_FOLD_AT =>
                {
                    return self.append_journal(name, &j, batch);
                }
                Some(j) => self.check_base(name, j.base, next)?,
            }
            // Stale, torn or full: fold, with this batch.
        }
        let mut l = self.load_list(name)?;
        let bytes = push_entries(&mut l.list, batch);
        self.write_list(name, &l.list, &l.journal, (batch.len() as u64, bytes))
    }

    fn start_journal(&self, name: &AccountName, base: u64, batch: &[Arc<Slot>]) -> Result<()> {
        let mut j = MessageJournal {
            base,
            ..MessageJournal::default()
        };
        for (k, s) in batch.iter().enumerate() {
            j.entries.push(s.entry(base + k as u64));
        }
        let bytes = j
            .encode()
            .map_err(|e| StoreError::Invalid(format!("cannot encode the journal: {e}")))?;
        let path = self.paths.user(name).message_journal();
        self.fs.create_new(&path, RecordFormat::Var, &bytes)?;
        Ok(())
    }

    fn append_journal(
        &self,
        name: &AccountName,
        j: &MessageJournal,
        batch: &[Arc<Slot>],
    ) -> Result<()> {
        let first = j.base + j.entries.len() as u64;
        let records = batch
            .iter()
            .enumerate()
            .map(|(k, s)| entry_record(&s.entry(first + k as u64)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Invalid(format!("cannot encode a journal entry: {e}")))?;
        let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        let path = self.paths.user(name).message_journal();
        self.fs.append_records(&path, &refs)?;
        Ok(())
    }

    /// Removes the given messages from an account's list, then releases
    /// their files (reference first, count after). Returns the entries
    /// removed.
    pub fn remove_messages(
        &self,
        name: &AccountName,
        which: impl Fn(&Entry) -> bool,
    ) -> Result<Vec<Entry>> {
        let removed = {
            let _l = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
            let mut l = self.load_list(name)?;
            let (gone, keep): (Vec<Entry>, Vec<Entry>) =
                l.list.entries.drain(..).partition(|e| which(e));
            if gone.is_empty() {
                return Ok(gone);
            }
            l.list.entries = keep;
            let ids: Vec<MessageId> = gone.iter().map(|e| e.message).collect();
            note_released(&mut l.list, &ids);
            self.write_list(name, &l.list, &l.journal, (0, 0))?;
            gone
        };
        for e in &removed {
            self.release(e.message, 1)?;
        }
        Ok(removed)
    }
}

/// How long a list keeps the RELEASED records of its deletions (SPEC.md
/// 7): long enough for any repair after a crash to see them.
pub const RELEASED_KEEP_SECONDS: i64 = 7 * 24 * 3600;

/// The most message files a list's RELEASED records name together.
pub const RELEASED_MAX_FILES: usize = 10_000;

/// Records in `list` that the deletion of `ids` (now) gives up on
/// purpose, so that a repair after a crash between the list's replace and
/// the counts' decrement does not give them back (SPEC.md 7 and 15).
pub(crate) fn note_released(list: &mut MessageList, ids: &[MessageId]) {
    let now = super::engine::now();
    for chunk in ids.chunks(MAX_RELEASED_PER_RECORD) {
        list.released.push(Released {
            time: Some(now),
            messages: chunk.to_vec(),
        });
    }
    prune_released(list, now);
}

fn released_to_prune(list: &MessageList, now: i64) -> bool {
    let files: usize = list.released.iter().map(|r| r.messages.len()).sum();
    files > RELEASED_MAX_FILES
        || list
            .released
            .iter()
            .any(|r| r.time.is_none_or(|t| t < now - RELEASED_KEEP_SECONDS))
}

/// Drops RELEASED records older than [`RELEASED_KEEP_SECONDS`], then the
/// oldest beyond [`RELEASED_MAX_FILES`] files.
fn prune_released(list: &mut MessageList, now: i64) {
    list.released
        .retain(|r| r.time.is_some_and(|t| t >= now - RELEASED_KEEP_SECONDS));
    let mut files: usize = list.released.iter().map(|r| r.messages.len()).sum();
    while files > RELEASED_MAX_FILES && !list.released.is_empty() {
        files -= list.released.remove(0).messages.len();
    }
}

/// Appends the batch's entries to `list` (UIDLs from its next number);
/// returns their bytes.
fn push_entries(list: &mut MessageList, batch: &[Arc<Slot>]) -> u64 {
    let mut bytes = 0;
    for s in batch {
        let n = list.next_uidl.max(1);
        list.next_uidl = n + 1;
        list.entries.push(s.entry(n));
        bytes += s.size();
    }
    bytes
}
