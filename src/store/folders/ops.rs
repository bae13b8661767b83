//! Changes to the messages of a folder: append (delivery, IMAP APPEND),
//! copy and move, flag changes with UNCHANGEDSINCE, and expunge. Each is
//! one synced append to the folder's journal under the folder's lock
//! (SPEC.md 8.1), whatever the folder's size.
//!
//! References (SPEC.md 15): a copy raises the message file's count before
//! the new entry is written; an expunge writes its EXPUNGE record before
//! the counts are lowered. So a crash leaves counts too high, which repair
//! lowers, and never too low.

use std::collections::BTreeMap;

use popstore_formats::folder::{
    ExpungedMessage, ExpungedSet, MAX_EXPUNGED_PER_RECORD, SystemFlags,
};
use popstore_formats::folder_journal::{Append, Change, FlagChange, Freed};
use popstore_platform::LockMode;

use super::super::engine::Store;
use super::super::error::{Result, StoreError};
use super::super::folder_tree::FolderError;
use super::super::layout::MessageId;
use super::super::name::AccountName;
use super::changeable::Changeable;
use super::view::Folder;

/// The system flags a client may set: `\Recent` is the server's.
const SETTABLE: u32 = 0x1F;

/// A message to put into a folder: its file exists and the caller has
/// counted this new reference in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The message file.
    pub message: MessageId,
    /// RFC822.SIZE.
    pub size: u64,
    /// System flags.
    pub flags: SystemFlags,
    /// Keywords, by name.
    pub keywords: Vec<String>,
    /// INTERNALDATE, seconds since 1970.
    pub internal_date: i64,
}

/// How STORE changes flags (RFC 9051 6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// What a flag change did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagsOutcome {
    /// UIDs whose flags changed (each now has a new MODSEQ).
    pub changed: Vec<u32>,
    /// UIDs left alone because their MODSEQ was above UNCHANGEDSINCE
    /// (RFC 7162's MODIFIED response code).
    pub modified: Vec<u32>,
}

/// The UIDs a copy or move gave (RFC 4315 COPYUID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// The target folder's UIDVALIDITY.
    pub uidvalidity: u32,
    /// (source UID, new UID) pairs, in source UID order.
    pub uids: Vec<(u32, u32)>,
}

/// Keywords without empties and repeats, in first-seen order.
fn clean_keywords(k: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in k {
        if !w.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(w)) {
            out.push(w.clone());
        }
    }
    out
}

impl Store {
    /// Appends `entries` to folder `id` of `acct` (their references
    /// already counted): one synced journal append. Returns the folder's
    /// UIDVALIDITY and the UIDs given, in order.
    pub fn append_entries(
        &self,
        acct: &AccountName,
        id: u32,
        entries: &[NewEntry],
    ) -> Result<(u32, Vec<u32>)> {
        let _timer = crate::metrics::op_timer("folder_append_entries");
        let (uv, uids, kept) = {
            let _l = self.lock_folder(acct, id, LockMode::Exclusive)?;
            let (mut pos, done) = self.writer_at(acct, id)?;
            let mut c = pos.cursor;
            let mut changes = Vec::with_capacity(entries.len());
            let mut uids = Vec::with_capacity(entries.len());
            for e in entries {
                let uid = c.next_uid();
                let modseq = c.next_modseq();
                c.uidnext = uid.saturating_add(1);
                c.highestmodseq = modseq;
                uids.push(uid);
                changes.push(Change::Append(Append {
                    uid,
                    flags: SystemFlags(e.flags.0 & SETTABLE),
                    internal_date: e.internal_date,
                    size: e.size,
                    modseq,
                    message: e.message,
                    keywords: clean_keywords(&e.keywords),
                }));
            }
            let direct = self.write_changes(acct, id, &mut pos, &changes)?;
            (
                pos.cursor.base.uidvalidity,
                uids,
                done.usage_delta + direct as i64,
            )
        };
        self.adjust_usage(acct, kept)?;
        Ok((uv, uids))
    }

    /// Changes the flags of the messages `uids` of `f` (RFC 9051 STORE;
    /// RFC 7162 UNCHANGEDSINCE): one synced append of a FLAGS record per
    /// message whose flags change. `f` is brought up to date first, and
    /// holds the new flags after.
    pub fn store_flags(
        &self,
        f: &mut Folder,
        uids: &[u32],
        op: FlagOp,
        flags: SystemFlags,
        keywords: &[String],
        unchangedsince: Option<u64>,
    ) -> Result<FlagsOutcome> {
        let _timer = crate::metrics::op_timer("folder_store");
        let acct = f.account.clone();
        let _l = self.lock_folder(&acct, f.id, LockMode::Exclusive)?;
        let (mut pos, done) = self.writer_at(&acct, f.id)?;
        self.refresh(f, true)?;
        // Keywords are matched without regard to case and written with the
        // spelling the folder already has (SPEC.md 8.1).
        let keywords: Vec<String> = clean_keywords(keywords)
            .into_iter()
            .map(|k| {
                f.keywords()
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&k))
                    .cloned()
                    .unwrap_or(k)
            })
            .collect();
        let flags = flags.0 & SETTABLE;
        let mut out = FlagsOutcome::default();
        let mut changes = Vec::new();
        let mut modseq = pos.cursor.highestmodseq;
        for &uid in uids {
            let Some((_, m)) = f.by_uid(uid) else {
                continue;
            };
            if unchangedsince.is_some_and(|u| m.modseq > u) {
                out.modified.push(uid);
                continue;
            }
            let (nf, nk) = match op {
                FlagOp::Replace => (flags | (m.flags.0 & !SETTABLE), keywords.clone()),
                FlagOp::Add => {
                    let mut k = m.keywords.clone();
                    for w in &keywords {
                        if !k.iter().any(|x| x.eq_ignore_ascii_case(w)) {
                            k.push(w.clone());
                        }
                    }
                    (m.flags.0 | flags, k)
                }
                FlagOp::Remove => (
                    m.flags.0 & !flags,
                    m.keywords
                        .iter()
                        .filter(|x| !keywords.iter().any(|w| w.eq_ignore_ascii_case(x)))
                        .cloned()
                        .collect(),
                ),
            };
            let same_keywords = nk.len() == m.keywords.len()
                && nk.iter().all(|k| m.keywords.iter().any(|x| x == k));
            if nf == m.flags.0 && same_keywords {
                continue;
            }
            modseq += 1;
            out.changed.push(uid);
            changes.push(Change::Flags(FlagChange {
                uid,
                flags: SystemFlags(nf),
                modseq,
                keywords: nk,
            }));
        }
        self.write_changes(&acct, f.id, &mut pos, &changes)?;
        self.refresh(f, true)?;
        drop(_l);
        self.adjust_usage(&acct, done.usage_delta)?;
        Ok(out)
    }

    /// Expunges from `f` the messages marked `\Deleted` (RFC 9051
    /// EXPUNGE), or only those of them in `uids` (UID EXPUNGE, RFC 4315).
    /// Returns the UIDs expunged, ascending.
    pub fn expunge(&self, f: &mut Folder, uids: Option<&[u32]>) -> Result<Vec<u32>> {
        let _timer = crate::metrics::op_timer("folder_expunge");
        self.refresh(f, false)?;
        let deleted =
            |e: &popstore_formats::folder::FolderEntry| e.flags.contains(SystemFlags::DELETED);
        let victims: Vec<u32> = match uids {
            // UID EXPUNGE: only the UIDs named, looked up one by one.
            Some(u) => u
                .iter()
                .filter_map(|uid| f.by_index(*uid))
                .filter(|e| deleted(e))
                .map(|e| e.uid)
                .collect(),
            None => f
                .entries()
                .iter()
                .filter(|e| deleted(e))
                .map(|e| e.uid)
                .collect(),
        };
        self.expunge_uids(f, &victims, true)
    }

    /// Removes the messages `uids` from `f` (with `deleted_only`, only
    /// those still marked `\Deleted` once `f` is current): the EXPUNGE
    /// records first, synced, then the reference counts.
    pub(crate) fn expunge_uids(
        &self,
        f: &mut Folder,
        uids: &[u32],
        deleted_only: bool,
    ) -> Result<Vec<u32>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let acct = f.account.clone();
        let (gone, resident, kept) = {
            let _l = self.lock_folder(&acct, f.id, LockMode::Exclusive)?;
            let (mut pos, done) = self.writer_at(&acct, f.id)?;
            self.refresh(f, true)?;
            // Each message, and the bytes it frees of the index's
            // entries (0 for one a journal APPEND added).
            let mut gone: Vec<(ExpungedMessage, u64)> = Vec::new();
            let mut sorted = uids.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            for uid in sorted {
                let Some((_, m)) = f.by_uid(uid) else {
                    continue;
                };
                if deleted_only && !m.flags.contains(SystemFlags::DELETED) {
                    continue;
                }
                let resident = if uid < pos.cursor.base.uidnext {
                    m.size
                } else {
                    0
                };
                let message = ExpungedMessage {
                    uid,
                    message: m.message,
                };
                gone.push((message, resident));
            }
            // With `folder-freed`, a FREED record before each EXPUNGE says
            // what it frees of the index, so the profile is not rewritten
            // (SPEC.md 8.1); without it, the profile's usage is lowered.
            let freed_records = self.paths.layout.folder_journal && self.paths.layout.folder_freed;
            let mut changes: Vec<Change> = Vec::new();
            let mut lowered = 0u64;
            let first = pos.cursor.highestmodseq + 1;
            for (modseq, c) in (first..).zip(gone.chunks(MAX_EXPUNGED_PER_RECORD)) {
                let bytes: u64 = c.iter().map(|(_, r)| r).sum();
                if freed_records && bytes > 0 {
                    changes.push(Change::Freed(Freed { modseq, bytes }));
                } else {
                    lowered += bytes;
                }
                changes.push(Change::Expunge(ExpungedSet {
                    modseq,
                    messages: c.iter().map(|(m, _)| *m).collect(),
                }));
            }
            self.write_changes(&acct, f.id, &mut pos, &changes)?;
            self.refresh(f, true)?;
            (gone, lowered, done.usage_delta)
        };
        let files: Vec<MessageId> = gone.iter().map(|(m, _)| m.message).collect();
        self.release_all(&files)?;
        self.adjust_usage(&acct, kept - resident as i64)?;
        Ok(gone.into_iter().map(|(m, _)| m.uid).collect())
    }

    /// Copies the messages `uids` of `f` into folder `to` of `to_acct`
    /// (RFC 9051 COPY): the counts are raised first, then the entries
    /// appended. The flags and keywords of `keep` go along (RFC 4314 4:
    /// those the user may set in the target; [`Changeable::ALL`] in the
    /// user's own folders), the others are left off; the copies'
    /// INTERNALDATE is the originals'.
    pub fn copy_to(
        &self,
        f: &mut Folder,
        uids: &[u32],
        to_acct: &AccountName,
        to: u32,
        keep: Changeable,
    ) -> Result<Copied> {
        self.copy_checked(f, uids, to_acct, to, keep, true)
    }

    /// [`Store::copy_to`]; with `count`, the copies must fit under the
    /// target account's message limit (a MOVE within an account adds
    /// none).
    fn copy_checked(
        &self,
        f: &mut Folder,
        uids: &[u32],
        to_acct: &AccountName,
        to: u32,
        keep: Changeable,
        count: bool,
    ) -> Result<Copied> {
        self.refresh(f, false)?;
        let mut src: Vec<(u32, NewEntry)> = Vec::new();
        let mut sorted = uids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for uid in sorted {
            if let Some((_, m)) = f.by_uid(uid) {
                let (flags, keywords) = keep.filter(SystemFlags(m.flags.0 & SETTABLE), &m.keywords);
                src.push((
                    uid,
                    NewEntry {
                        message: m.message,
                        size: m.size,
                        flags,
                        keywords,
                        internal_date: m.internal_date,
                    },
                ));
            }
        }
        if src.is_empty() {
            return Ok(Copied::default());
        }
        if count {
            let p = self.existing(to_acct)?;
            if !self.messages_fit(to_acct, &p, src.len() as u64)? {
                return Err(StoreError::OverQuota(to_acct.to_string()));
            }
        }
        let files: Vec<MessageId> = src.iter().map(|(_, e)| e.message).collect();
        self.add_all(&files)?;
        let entries: Vec<NewEntry> = src.iter().map(|(_, e)| e.clone()).collect();
        let (uidvalidity, new) = self.append_entries(to_acct, to, &entries)?;
        Ok(Copied {
            uidvalidity,
            uids: src.iter().map(|(u, _)| *u).zip(new).collect(),
        })
    }

    /// Moves the messages `uids` of `f` into folder `to` of `to_acct`
    /// (RFC 6851 MOVE): a copy carrying the flags of `keep` (as
    /// [`Store::copy_to`]), then an expunge of the originals.
    pub fn move_to(
        &self,
        f: &mut Folder,
        uids: &[u32],
        to_acct: &AccountName,
        to: u32,
        keep: Changeable,
    ) -> Result<Copied> {
        if f.account == *to_acct && f.id == to {
            return Err(StoreError::Folder(FolderError::IntoItself(
                f.name.to_string(),
            )));
        }
        let same = f.account == *to_acct;
        let copied = self.copy_checked(f, uids, to_acct, to, keep, !same)?;
        let moved: Vec<u32> = copied.uids.iter().map(|(u, _)| *u).collect();
        self.expunge_uids(f, &moved, false)?;
        Ok(copied)
    }

    /// Raises the reference count of each file once per time it is named.
    pub(crate) fn add_all(&self, files: &[MessageId]) -> Result<()> {
        for (id, n) in counted(files) {
            let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
            let Some(count) = self.reference_count(id)? else {
                return Err(self.corrupt(&self.paths.message(id), "the message file is missing"));
            };
            self.set_count_locked(id, count.saturating_add(n))?;
        }
        Ok(())
    }

    /// Lowers the reference count of each file once per time it is named
    /// (the file goes with its last reference).
    pub(crate) fn release_all(&self, files: &[MessageId]) -> Result<()> {
        for (id, n) in counted(files) {
            self.release(id, n)?;
        }
        Ok(())
    }
}

fn counted(files: &[MessageId]) -> BTreeMap<MessageId, u32> {
    let mut m = BTreeMap::new();
    for f in files {
        *m.entry(*f).or_insert(0u32) += 1;
    }
    m
}
