//! Messages brought in from another store (`popstore migrate`): the same
//! message files and precomputed IMAP answers as delivery makes, but with
//! what the old store gave each message kept: its POP3 UIDL, its folder's
//! UIDVALIDITY and its UID (when the target folder is new), its flags,
//! keywords and internal date. Nothing is added to the message (no trace
//! header: a migrated message keeps its bytes).
//!
//! Order of writes (SPEC.md 15) as for delivery: the message file is
//! durable with its count before any reference names it. A migration
//! writes a batch of files unsynced where no reader sees them
//! ([`Store::stage_import`]), makes them durable together and puts them
//! under their names ([`Store::commit_imported`]), and only then writes
//! the references; a crash before them leaves at worst orphan
//! files (channel `migrate`) that `verify --repair` removes rather than
//! gives back: the source still has those messages, and the next run
//! brings them.
//!
//! Migration is an administrator's act: quotas are not checked (nothing
//! the user had is left behind), the profile's usage is kept in line.

use std::collections::HashSet;

use popstore_formats::folder::{ExpungeLog, FolderIndex, SystemFlags};
use popstore_formats::folder_journal::{Append, Change};
use popstore_formats::mailboxes::{MailboxList, SpecialUse};
use popstore_formats::message::MessageHeader;
use popstore_formats::msglist::{Entry, EntryFlags, valid_uidl};
use popstore_formats::pop_uidls::{PopUidl, PopUidls};
use popstore_platform::LockMode;

use super::engine::{Store, now};
use super::error::{Result, StoreError};
use super::folder_name::FolderName;
use super::layout::MessageId;
use super::name::AccountName;

/// A message file made by [`Store::import_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedFile {
    /// The file.
    pub message: MessageId,
    /// Its stored size (CRLF lines): POP3's LIST and RFC822.SIZE.
    pub size: u64,
}

/// A message file written by [`Store::stage_import`], waiting for
/// [`Store::commit_imported`].
#[derive(Debug)]
pub struct StagedImport {
    staged: super::messages::StagedMessage,
    size: u64,
}

/// One message for a popstore account's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListImport {
    /// The message file (one reference counted for this entry).
    pub file: ImportedFile,
    /// When it was delivered (the old store's date).
    pub delivered: Option<i64>,
    /// Seen (RETR'd) in the old store.
    pub seen: bool,
    /// The UIDL the old store gave it; `None` (or one invalid in SPEC.md 7)
    /// gets a new one.
    pub uidl: Option<String>,
}

/// One message for a MessageStore folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderImport {
    /// The message file (one reference counted for this entry).
    pub file: ImportedFile,
    /// System flags (`\Recent` is dropped).
    pub flags: SystemFlags,
    /// Keywords.
    pub keywords: Vec<String>,
    /// INTERNALDATE.
    pub internal_date: i64,
    /// The UID it had: kept when it is above every UID the folder has.
    pub uid: Option<u32>,
}

/// A target folder made ready by [`Store::import_folder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportFolder {
    /// The folder id.
    pub id: u32,
    /// Its UIDVALIDITY now.
    pub uidvalidity: u32,
    /// Whether the wanted UIDVALIDITY was given (the folder was empty).
    pub uidvalidity_kept: bool,
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
    /// Writes the message file for `raw` with one reference per recipient
    /// counted, in the stored form and with the precomputed IMAP answers
    /// delivery gives it (`crate::mime::precompute`), where no reader sees
    /// it and unsynced: [`Store::commit_imported`] puts a batch of them
    /// under their names, durable, all at once.
    pub fn stage_import(&self, raw: &[u8], recipients: &[&AccountName]) -> Result<StagedImport> {
        let (stored, pre) = crate::mime::precompute(raw);
        let size = stored.len() as u64;
        let header = MessageHeader {
            created: now(),
            recipient_count: recipients.len() as u32,
            ref_count: recipients.len() as u32,
            channel: "migrate".into(),
            message_id: super::deliver::message_id(&stored),
            recipients: recipients.iter().map(|a| a.to_string()).collect(),
            flags: super::deliver::message_flags(&stored),
            imap: pre.to_imap_data(),
            ..MessageHeader::default()
        };
        Ok(StagedImport {
            staged: self.stage_message(header, stored)?,
            size,
        })
    }

    /// Makes the files `staged` durable together and puts them under
    /// their names (SPEC.md 15: before any reference names them); gives
    /// each one's file or error, in order.
    pub fn commit_imported(&self, staged: Vec<StagedImport>) -> Vec<Result<ImportedFile>> {
        let sizes: Vec<u64> = staged.iter().map(|s| s.size).collect();
        let files = staged.into_iter().map(|s| s.staged).collect();
        self.commit_messages(files)
            .into_iter()
            .zip(sizes)
            .map(|(r, size)| r.map(|message| ImportedFile { message, size }))
            .collect()
    }

    /// Counts one more reference to `file`, a message file
    /// [`Store::commit_imported`] made, for another account getting the
    /// same bytes (single copy within a run); before the reference is
    /// written, so a crash leaves the count too high, never too low.
    /// Fails when the file is gone meanwhile (the caller writes a new one).
    pub fn import_share(&self, file: ImportedFile) -> Result<()> {
        self.add_all(&[file.message])
    }

    /// The UIDLs a popstore account's list holds now.
    pub fn list_uidls(&self, name: &AccountName) -> Result<HashSet<String>> {
        Ok(self
            .load_list(name)?
            .list
            .entries
            .into_iter()
            .map(|e| e.uidl)
            .collect())
    }

    /// Adds `items` to popstore account `name`'s list in one replace of
    /// the list, each with the UIDL it had when that one is valid and not
    /// in the list yet, else a new one. An item whose UIDL the list holds
    /// already was migrated before: its file is released and it is not
    /// added. Returns, per item, whether it was added.
    pub fn import_into_list(&self, name: &AccountName, items: &[ListImport]) -> Result<Vec<bool>> {
        let mut added = Vec::with_capacity(items.len());
        let mut dropped = Vec::new();
        {
            let _l = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
            self.existing(name)?;
            let mut l = self.load_list(name)?;
            let mut seen: HashSet<String> = l.list.entries.iter().map(|e| e.uidl.clone()).collect();
            let mut bytes = 0u64;
            for it in items {
                let kept = it.uidl.clone().filter(|u| valid_uidl(u));
                if let Some(u) = &kept
                    && seen.contains(u)
                {
                    added.push(false);
                    dropped.push(it.file.message);
                    continue;
                }
                let uidl = kept.unwrap_or_else(|| {
                    loop {
                        let n = l.list.next_uidl.max(1);
                        l.list.next_uidl = n + 1;
                        let u = format!("{}.{n}", it.file.message.file_name());
                        if !seen.contains(&u) {
                            break u;
                        }
                    }
                });
                seen.insert(uidl.clone());
                let mut flags = EntryFlags::default();
                flags.set(EntryFlags::SEEN, it.seen);
                l.list.entries.push(Entry {
                    message: it.file.message,
                    size: it.file.size,
                    delivered: Some(it.delivered.unwrap_or_else(now)),
                    flags,
                    uidl,
                });
                bytes += it.file.size;
                added.push(true);
            }
            let n = added.iter().filter(|a| **a).count() as u64;
            if n > 0 {
                self.write_list(name, &l.list, &l.journal, (n, bytes))?;
            }
        }
        for m in dropped {
            self.release(m, 1)?;
        }
        Ok(added)
    }

    /// Finds or creates folder `name` of MessageStore account `acct` for
    /// an import, and gives it UIDVALIDITY `uidvalidity` when it is new:
    /// it has never held a message (UIDNEXT 1). The account's record of
    /// the highest UIDVALIDITY given is raised to it, so folders made
    /// later get a greater one (SPEC.md 9).
    pub fn import_folder(
        &self,
        acct: &AccountName,
        name: &FolderName,
        uidvalidity: Option<u32>,
    ) -> Result<ImportFolder> {
        let id = match self.folder_id(acct, name)? {
            Some(id) => id,
            None => self.create_folder(acct, name, SpecialUse::default())?,
        };
        let (out, kept) = self.set_new_uidvalidity(acct, id, name, uidvalidity)?;
        // A fold by the writer moved journal bytes into the index: the
        // usage counts them (after the locks, as append_entries does).
        self.adjust_usage(acct, kept)?;
        Ok(out)
    }

    /// [`Store::import_folder`] under the account's and the folder's locks;
    /// also gives the bytes a fold of the journal kept.
    fn set_new_uidvalidity(
        &self,
        acct: &AccountName,
        id: u32,
        name: &FolderName,
        uidvalidity: Option<u32>,
    ) -> Result<(ImportFolder, i64)> {
        let _a = self.lock(&self.paths.account_lock(acct), LockMode::Exclusive)?;
        let _f = self.lock_folder(acct, id, LockMode::Exclusive)?;
        let (pos, done) = self.writer_at(acct, id)?;
        let now_uv = pos.cursor.base.uidvalidity;
        let want = uidvalidity.filter(|v| *v != 0);
        let Some(want) = want.filter(|_| pos.cursor.uidnext <= 1) else {
            let out = ImportFolder {
                id,
                uidvalidity: now_uv,
                uidvalidity_kept: want == Some(now_uv),
            };
            return Ok((out, done.usage_delta));
        };
        if want != now_uv {
            // Never held a message: nothing in its journal to keep.
            self.remove_folder_journal(acct, id)?;
            self.write_file(
                &self.paths.user(acct).folder_index(id),
                &empty_index(id, want, name),
            )?;
            let path = self.paths.user(acct).mailbox_list();
            if let Some(mut l) = self.read_file::<MailboxList>(&path)?
                && l.last_uidvalidity < want
            {
                l.last_uidvalidity = want;
                self.write_file(&path, &l)?;
            }
        }
        let out = ImportFolder {
            id,
            uidvalidity: want,
            uidvalidity_kept: true,
        };
        Ok((out, done.usage_delta))
    }

    /// Appends `items` to folder `id` of `acct` (their references counted)
    /// in one synced journal append, each with the UID it had when that
    /// is above the folder's UIDs so far (so given in ascending order,
    /// they are all kept in a new folder), else the next. Returns the
    /// folder's UIDVALIDITY and the UIDs given.
    pub fn import_into_folder(
        &self,
        acct: &AccountName,
        id: u32,
        items: &[FolderImport],
    ) -> Result<(u32, Vec<u32>)> {
        let (uv, uids, kept) = {
            let _l = self.lock_folder(acct, id, LockMode::Exclusive)?;
            let (mut pos, done) = self.writer_at(acct, id)?;
            let mut c = pos.cursor;
            let mut changes = Vec::with_capacity(items.len());
            let mut uids = Vec::with_capacity(items.len());
            for it in items {
                let next = c.next_uid();
                let uid = it
                    .uid
                    .filter(|u| *u >= next && *u < u32::MAX)
                    .unwrap_or(next);
                let modseq = c.next_modseq();
                c.uidnext = uid.saturating_add(1);
                c.highestmodseq = modseq;
                uids.push(uid);
                changes.push(Change::Append(Append {
                    uid,
                    flags: SystemFlags(it.flags.0 & 0x1F),
                    internal_date: it.internal_date,
                    size: it.file.size,
                    modseq,
                    message: it.file.message,
                    keywords: clean_keywords(&it.keywords),
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

    /// Records the POP3 UIDLs `rows` (UID, message file, UIDL) of the
    /// INBOX of MessageStore account `acct`, whose UIDVALIDITY is
    /// `uidvalidity`, in its UIDL map (SPEC.md 9.1), so POP3 lists the
    /// UIDLs the old store gave. Rows whose UIDL the map has already are
    /// left out; a map of another UIDVALIDITY is replaced.
    pub fn import_pop_uidls(
        &self,
        acct: &AccountName,
        uidvalidity: u32,
        rows: &[(u32, MessageId, String)],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let _a = self.lock(&self.paths.account_lock(acct), LockMode::Exclusive)?;
        let mut map = self
            .pop_uidls(acct)?
            .filter(|m| m.uidvalidity == uidvalidity && m.folder_id == 1)
            .unwrap_or(PopUidls {
                folder_id: 1,
                uidvalidity,
                ..PopUidls::default()
            });
        let mut have: HashSet<String> = map.entries.iter().map(|r| r.uidl.clone()).collect();
        let uids: HashSet<u32> = map.entries.iter().map(|r| r.uid).collect();
        for (uid, message, uidl) in rows {
            if !valid_uidl(uidl) || uids.contains(uid) || !have.insert(uidl.clone()) {
                continue;
            }
            map.entries.push(PopUidl {
                uid: *uid,
                message: *message,
                uidl: uidl.clone(),
            });
        }
        map.entries.sort_by_key(|r| r.uid);
        self.write_file(&self.pop_uidls_path(acct), &map)
            .map_err(|e| match e {
                StoreError::Invalid(m) => StoreError::Invalid(format!("UIDL map: {m}")),
                e => e,
            })
    }
}

/// A new folder's index with UIDVALIDITY `uidvalidity` (as
/// `folders::tree` makes one: no messages, UIDNEXT 1, HIGHESTMODSEQ 1,
/// keeping its expunges from the start).
fn empty_index(id: u32, uidvalidity: u32, name: &FolderName) -> FolderIndex {
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
