//! `popstore user convert NAME --to imap|pop`: a popstore account (a
//! message list) becomes a MessageStore account (folders) and back, every
//! message kept, on the same message files, with its POP3 UIDL.
//!
//! - **To imap**: each list entry (journal included) becomes one INBOX
//!   entry (a reference for a reference: counts do not change), `\Seen`
//!   when it was seen; the UIDLs go into the account's UIDL map (SPEC.md
//!   9.1), which POP3 on a MessageStore account reads.
//! - **To pop**: every message of every folder (INBOX first) becomes a
//!   list entry, with the UIDL POP3 showed for it (the map's, else the
//!   derived `<file>.<UIDVALIDITY>.<UID>`); the folders, the mailbox list
//!   and the map are removed. The folder structure is gone; the messages
//!   are not.
//!
//! Crash safety (SPEC.md 15): the counts are raised, then the new
//! references written, then the profile's store type changed, then the
//! old references removed, then the counts lowered. At every moment each
//! message is referenced by the list, the folders or both, and no count
//! is below its references; a crash in between leaves a message served
//! twice by POP3 until the conversion is run again, which finishes it.

use std::collections::HashSet;

use popstore_formats::folder::SystemFlags;
use popstore_formats::folder_journal::{Append, Change};
use popstore_formats::mailboxes::{MailboxFlags, MailboxList};
use popstore_formats::msglist::{Entry, EntryFlags};
use popstore_formats::pop_uidls::{PopUidl, PopUidls};
use popstore_platform::LockMode;

use super::account::StoreType;
use super::engine::Store;
use super::error::{Result, StoreError};
use super::folder_name::FolderName;
use super::groups::Actor;
use super::layout::MessageId;
use super::name::AccountName;

/// What a conversion did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Converted {
    /// The account.
    pub account: String,
    /// The store type it has now.
    pub to: StoreType,
    /// Messages moved from the list into INBOX, or from the folders into
    /// the list.
    pub messages: usize,
    /// Folders removed (to pop).
    pub folders_removed: usize,
}

impl Store {
    /// The account's UIDL map file (SPEC.md 9.1).
    pub(crate) fn pop_uidls_path(&self, name: &AccountName) -> popstore_formats::path::StorePath {
        self.paths.user(name).file("POPUIDLS", "PPU")
    }

    /// The account's UIDL map, if it has one.
    pub(crate) fn pop_uidls(&self, name: &AccountName) -> Result<Option<PopUidls>> {
        self.read_file(&self.pop_uidls_path(name))
    }

    /// Converts account `raw` to store type `to` (module documentation).
    /// Converting to the type it has finishes a conversion a crash cut
    /// short (a MessageStore account whose message list still holds
    /// entries), else does nothing.
    pub fn convert_account(&self, actor: &Actor, raw: &str, to: StoreType) -> Result<Converted> {
        let name = self.managed_account(actor, raw)?;
        let mut out = Converted {
            account: name.to_string(),
            to,
            ..Converted::default()
        };
        let _l = self.lock(&self.paths.account_lock(&name), LockMode::Exclusive)?;
        let p = self.existing(&name)?;
        match to {
            StoreType::Imap => out.messages = self.list_into_inbox(&name)?,
            StoreType::Pop if p.store_type == StoreType::Imap => {
                (out.messages, out.folders_removed) = self.folders_into_list(&name)?;
            }
            StoreType::Pop => {}
        }
        Ok(out)
    }

    /// To imap (the caller holds the account lock).
    fn list_into_inbox(&self, name: &AccountName) -> Result<usize> {
        let l = self.load_list(name)?;
        self.ensure_dir(&self.paths.folders_dir(name))?;
        self.init_folders_locked(name)?;
        let files: Vec<MessageId>;
        {
            let _f = self.lock_folder(name, 1, LockMode::Exclusive)?;
            let (mut pos, _) = self.writer_at(name, 1)?;
            let inbox = self.load_folder_locked(name, 1, FolderName::inbox())?;
            let mut map = self
                .pop_uidls(name)?
                .filter(|m| m.uidvalidity == inbox.uidvalidity() && m.folder_id == 1)
                .unwrap_or(PopUidls {
                    folder_id: 1,
                    uidvalidity: inbox.uidvalidity(),
                    ..PopUidls::default()
                });
            // A conversion a crash cut short: what INBOX has already.
            let done: HashSet<&str> = map
                .entries
                .iter()
                .filter(|r| map.uidl(inbox.uidvalidity(), r.uid, r.message).is_some())
                .filter(|r| {
                    inbox
                        .by_uid(r.uid)
                        .is_some_and(|(_, m)| m.message == r.message)
                })
                .map(|r| r.uidl.as_str())
                .collect();
            let todo: Vec<&Entry> = l
                .list
                .entries
                .iter()
                .filter(|e| !done.contains(e.uidl.as_str()))
                .collect();
            files = todo.iter().map(|e| e.message).collect();
            self.add_all(&files)?;
            let mut c = pos.cursor;
            let mut changes = Vec::with_capacity(todo.len());
            for e in &todo {
                let (uid, modseq) = (c.next_uid(), c.next_modseq());
                c.uidnext = uid.saturating_add(1);
                c.highestmodseq = modseq;
                let mut flags = SystemFlags::default();
                if e.flags.contains(EntryFlags::SEEN) {
                    flags = flags | SystemFlags::SEEN;
                }
                if e.flags.contains(EntryFlags::DELETED) {
                    flags = flags | SystemFlags::DELETED;
                }
                changes.push(Change::Append(Append {
                    uid,
                    flags,
                    internal_date: e.delivered.unwrap_or(0),
                    size: e.size,
                    modseq,
                    message: e.message,
                    keywords: Vec::new(),
                }));
                map.entries.push(PopUidl {
                    uid,
                    message: e.message,
                    uidl: e.uidl.clone(),
                });
            }
            // The map first: rows that do not apply yet are ignored.
            map.entries.sort_by_key(|r| r.uid);
            self.write_file(&self.pop_uidls_path(name), &map)?;
            self.write_changes(name, 1, &mut pos, &changes)?;
        }
        let mut p = self.existing(name)?;
        p.store_type = StoreType::Imap;
        p.message_count = 0;
        p.quota_used = self.index_usage(name)?;
        self.write_profile(&p)?;
        self.remove_if_there(&self.paths.message_list(name))?;
        self.remove_journal(name)?;
        self.release_all(&l.list.entries.iter().map(|e| e.message).collect::<Vec<_>>())?;
        Ok(files.len())
    }

    /// To pop (the caller holds the account lock): returns the messages
    /// moved and the folders removed.
    fn folders_into_list(&self, name: &AccountName) -> Result<(usize, usize)> {
        let list_path = self.paths.user(name).mailbox_list();
        let mboxes = self
            .read_file::<MailboxList>(&list_path)?
            .unwrap_or_default();
        let mut ids: Vec<(u32, FolderName)> = mboxes
            .mailboxes
            .iter()
            .filter(|m| !m.flags.contains(MailboxFlags::NOSELECT))
            .filter_map(|m| Some((m.folder_id, FolderName::new(&m.name).ok()?)))
            .collect();
        ids.sort_by_key(|(id, _)| (*id != 1, *id));
        let mut locks = Vec::new();
        let mut sorted: Vec<u32> = ids.iter().map(|(i, _)| *i).collect();
        sorted.sort_unstable();
        for id in &sorted {
            locks.push(self.lock_folder(name, *id, LockMode::Exclusive)?);
        }
        let map = self.pop_uidls(name)?;
        let mut l = self.load_list(name)?;
        let mut seen: HashSet<String> = l.list.entries.iter().map(|e| e.uidl.clone()).collect();
        let mut files = Vec::new();
        for (id, fname) in &ids {
            let f = match self.load_folder_locked(name, *id, fname.clone()) {
                Ok(f) => f,
                Err(StoreError::Folder(_)) => continue,
                Err(e) => return Err(e),
            };
            for m in f.messages() {
                let kept = (*id == 1)
                    .then(|| map.as_ref()?.uidl(f.uidvalidity(), m.uid, m.message))
                    .flatten();
                let uidl = kept.map_or_else(
                    || format!("{}.{}.{}", m.message.file_name(), f.uidvalidity(), m.uid),
                    str::to_string,
                );
                if !seen.insert(uidl.clone()) {
                    return Err(StoreError::Invalid(format!(
                        "UIDL {uidl} would be given twice: nothing converted"
                    )));
                }
                let mut flags = EntryFlags::default();
                flags.set(EntryFlags::SEEN, m.flags.contains(SystemFlags::SEEN));
                flags.set(EntryFlags::DELETED, m.flags.contains(SystemFlags::DELETED));
                files.push(m.message);
                l.list.entries.push(Entry {
                    message: m.message,
                    size: m.size,
                    delivered: Some(m.internal_date),
                    flags,
                    uidl,
                });
            }
        }
        self.add_all(&files)?;
        self.write_list(name, &l.list, &l.journal, (0, 0))?;
        let mut p = self.existing(name)?;
        p.store_type = StoreType::Pop;
        self.write_profile(&p)?;
        for (id, _) in &ids {
            self.remove_folder_journal(name, *id)?;
            self.remove_if_there(&self.paths.user(name).folder_index(*id))?;
        }
        self.remove_if_there(&list_path)?;
        self.remove_if_there(&self.pop_uidls_path(name))?;
        drop(locks);
        self.release_all(&files)?;
        Ok((files.len(), ids.len()))
    }

    /// The bytes of the folder index files of `name` less what their
    /// journals expunged of them: what the profile's usage counts for
    /// folders (folders::usage).
    fn index_usage(&self, name: &AccountName) -> Result<u64> {
        let Some(list) = self.read_file::<MailboxList>(&self.paths.user(name).mailbox_list())?
        else {
            return Ok(0);
        };
        let mut total = 0u64;
        for m in &list.mailboxes {
            let Some(ix) = self.read_index(name, m.folder_id)? else {
                continue;
            };
            let mut bytes: u64 = ix.entries.iter().map(|e| e.size).sum();
            if let Some((j, _)) = self.read_folder_journal(name, m.folder_id)?
                && j.base == popstore_formats::folder_journal::JournalBase::of_index(&ix)
            {
                for c in &j.changes {
                    if let Change::Expunge(s) = c {
                        for x in &s.messages {
                            if let Ok(i) = ix.entries.binary_search_by_key(&x.uid, |e| e.uid) {
                                bytes = bytes.saturating_sub(ix.entries[i].size);
                            }
                        }
                    }
                }
            }
            total += bytes;
        }
        Ok(total)
    }
}
