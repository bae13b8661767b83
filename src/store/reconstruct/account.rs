//! Reconstructing one MessageStore account, under its account lock and
//! the locks of all its folders (the locks the servers take, in their
//! order): read every folder's files, rebuild what does not read or does
//! not fit, take in the folders the mailbox list lacks, give the messages
//! the account lost back to its INBOX, then write (counts raised first,
//! indexes, the list, the profile's usage, counts lowered last).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use popstore_formats::folder::{FolderEntry, SystemFlags};
use popstore_formats::mailboxes::{MailboxFlags, MailboxList};
use popstore_platform::{Entry, ErrorKind, LockMode};

use super::census::Census;
use super::folder::{Rebuilt, rebuild};
use super::mailboxes::settle_list;
use super::{AccountReport, ReconstructOptions};
use crate::store::account::StoreType;
use crate::store::engine::{Store, now};
use crate::store::error::{Result, StoreError};
use crate::store::layout::MessageId;
use crate::store::name::AccountName;
use crate::store::repair::files::FileState;

impl Store {
    /// Reconstructs one account (see the module documentation).
    pub(super) fn reconstruct_account(
        &self,
        name: &AccountName,
        census: &mut Census,
        opts: &ReconstructOptions,
    ) -> Result<AccountReport> {
        let mut rep = AccountReport {
            account: name.to_string(),
            ..AccountReport::default()
        };
        let p = self.existing(name)?;
        if p.store_type != StoreType::Imap {
            rep.skipped = Some("a popstore account: it has no folders".into());
            return Ok(rep);
        }
        let dir = self.paths.user_dir(name);
        let _account = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
        let lpath = self.paths.user(name).mailbox_list();
        let shown_list = self.fs.display(&lpath);
        let (list, why) = match self.read_file::<MailboxList>(&lpath) {
            Ok(Some(l)) => (Some(l), String::new()),
            Ok(None) => (None, "missing".to_string()),
            Err(StoreError::Corrupt { reason, .. }) => (None, format!("does not read ({reason})")),
            Err(e) => return Err(e),
        };
        let mut ids: BTreeSet<u32> = self.folder_files(name)?;
        ids.insert(1);
        for m in list.iter().flat_map(|l| &l.mailboxes) {
            if !m.flags.contains(MailboxFlags::NOSELECT) {
                ids.insert(m.folder_id);
            }
        }
        let mut locks = Vec::with_capacity(ids.len());
        for id in &ids {
            locks.push(self.lock_folder(name, *id, LockMode::Exclusive)?);
        }
        let mut folders: BTreeMap<u32, Rebuilt> = BTreeMap::new();
        for id in &ids {
            let ix = self.read_opt(&self.paths.user(name).folder_index(*id))?;
            let j = self.read_opt(&self.paths.user(name).folder_journal(*id))?;
            folders.insert(*id, rebuild(*id, ix.as_deref(), j.as_deref()));
        }
        self.drop_dangling(census, &mut folders);
        let (mut list, list_notes) = settle_list(list, &why, &mut folders);
        let released = self.released_files(name, &folders)?;
        let restored = self.give_back_lost(name, &dir, census, &released, &mut folders);
        self.new_uidvalidities(&mut list, &mut folders);
        for (id, f) in &folders {
            let shown = self.fs.display(&self.paths.user(name).folder_index(*id));
            for n in &f.notes {
                rep.changes.push(format!("{shown}: {n}"));
            }
        }
        rep.changes
            .extend(list_notes.into_iter().map(|n| format!("{shown_list}: {n}")));
        if restored > 0 {
            rep.changes.push(format!(
                "{}: {restored} messages that name {name} and that it no longer referenced \
                 given back to its INBOX",
                self.fs.display(&self.paths.user(name).folder_index(1))
            ));
        }
        rep.restored = restored;
        rep.folders = folders.len();
        rep.messages = folders.values().map(|f| f.index.entries.len()).sum();
        let new_refs = refs_of(&folders, &self.read_list(name)?);
        let uncertain = census.uncertain_outside(&dir);
        let plan = counts_plan(census, &dir, &new_refs);
        if opts.dry_run {
            rep.changes
                .extend(plan.iter().filter_map(|c| c.describe(uncertain.is_empty())));
            self.settle_usage(name, &folders, true, &mut rep)?;
            return Ok(rep);
        }
        // Counts first: never below the references about to be written.
        for c in &plan {
            if c.want > c.now.unwrap_or(0) && c.now.is_some() {
                self.raise_count(c.id, c.want, &mut rep)?;
            }
        }
        for (id, f) in &folders {
            let paths = self.paths.user(name);
            if f.write {
                self.write_file(&paths.folder_index(*id), &f.index)?;
            }
            if f.write && f.journal_present || f.remove_journal {
                self.remove_folder_journal(name, *id)?;
            }
        }
        if self
            .read_file::<MailboxList>(&lpath)
            .ok()
            .flatten()
            .as_ref()
            != Some(&list)
        {
            self.write_file(&lpath, &list)?;
        }
        self.settle_usage(name, &folders, false, &mut rep)?;
        drop(locks);
        if uncertain.is_empty() {
            for c in &plan {
                self.lower_count(c, census, &mut rep)?;
            }
        } else {
            rep.kept.extend(
                uncertain
                    .into_iter()
                    .map(|u| format!("{u}: cannot be read, so no reference count was lowered")),
            );
        }
        census.set(&dir, new_refs);
        Ok(rep)
    }

    /// The ids of the folder files (`.PFI`, `.PFJ`) of `name`.
    fn folder_files(&self, name: &AccountName) -> Result<BTreeSet<u32>> {
        let entries = match self.fs.list(&self.paths.folders_dir(name)) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        Ok(entries
            .iter()
            .filter_map(|e| match e {
                Entry::File { name, ftype } if ["PFI", "PFJ"].contains(&ftype.as_str()) => name
                    .as_str()
                    .strip_prefix('F')
                    .filter(|h| h.len() == 8)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .filter(|id| *id != 0),
                _ => None,
            })
            .collect())
    }

    fn read_opt(&self, path: &popstore_formats::path::StorePath) -> Result<Option<Vec<u8>>> {
        match self.fs.read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Drops entries whose message file is certainly gone.
    fn drop_dangling(&self, census: &Census, folders: &mut BTreeMap<u32, Rebuilt>) {
        for f in folders.values_mut() {
            let before = f.index.entries.len();
            f.index.entries.retain(|e| {
                census.files.found.contains_key(&e.message)
                    || !matches!(self.fs.stat(&self.paths.message(e.message)), Ok(None))
            });
            let gone = before - f.index.entries.len();
            if gone > 0 {
                f.write = true;
                f.notes.push(format!(
                    "dropped {gone} references to missing message files"
                ));
            }
        }
    }

    /// Message files the account gave up on purpose: its folders'
    /// expunges and its message list's RELEASED records.
    fn released_files(
        &self,
        name: &AccountName,
        folders: &BTreeMap<u32, Rebuilt>,
    ) -> Result<HashSet<MessageId>> {
        let list = self.read_list(name)?;
        Ok(folders
            .values()
            .flat_map(|f| f.released.iter().copied())
            .chain(
                list.released
                    .iter()
                    .flat_map(|r| r.messages.iter().copied()),
            )
            .collect())
    }

    /// Appends to INBOX every message file that names `name`, that it does
    /// not reference, did not give up, and whose count is above the
    /// references the rest of the store holds (a reference this account
    /// lost). Returns how many.
    fn give_back_lost(
        &self,
        name: &AccountName,
        dir: &popstore_platform::DirPath,
        census: &Census,
        released: &HashSet<MessageId>,
        folders: &mut BTreeMap<u32, Rebuilt>,
    ) -> usize {
        let held: HashSet<MessageId> = folders
            .values()
            .flat_map(|f| f.index.entries.iter().map(|e| e.message))
            .chain(
                self.read_list(name)
                    .ok()
                    .into_iter()
                    .flat_map(|l| l.entries)
                    .map(|e| e.message),
            )
            .collect();
        let mut lost: Vec<(i64, MessageId, u64)> = Vec::new();
        for (id, names) in &census.named.accounts {
            if !names.contains(name) || held.contains(id) || released.contains(id) {
                continue;
            }
            if let Some(FileState::Read {
                ref_count,
                created,
                length,
                ..
            }) = census.files.found.get(id)
                && *ref_count > census.others(dir, *id)
            {
                lost.push((*created, *id, *length));
            }
        }
        lost.sort_unstable();
        let Some(inbox) = folders.get_mut(&1) else {
            return 0;
        };
        for (created, id, size) in &lost {
            let ix = &mut inbox.index;
            let modseq = ix.highestmodseq + 1;
            ix.entries.push(FolderEntry {
                uid: ix.uidnext,
                flags: SystemFlags::default(),
                internal_date: *created,
                size: *size,
                modseq,
                message: *id,
                keywords: Vec::new(),
            });
            ix.uidnext += 1;
            ix.highestmodseq = modseq;
            inbox.write = true;
        }
        lost.len()
    }

    /// Gives a new UIDVALIDITY to each folder that lost its own: above the
    /// list's last one and every one seen (SPEC.md 9).
    fn new_uidvalidities(&self, list: &mut MailboxList, folders: &mut BTreeMap<u32, Rebuilt>) {
        let seen = folders
            .values()
            .map(|f| f.seen_uidvalidity.max(f.index.uidvalidity))
            .max()
            .unwrap_or(0);
        let mut next = u32::try_from(now())
            .unwrap_or(u32::MAX - 1)
            .max(list.last_uidvalidity.saturating_add(1))
            .max(seen.saturating_add(1));
        for f in folders.values_mut() {
            if f.index.uidvalidity == 0 {
                f.index.uidvalidity = next;
                next = next.saturating_add(1);
            }
        }
        list.last_uidvalidity = list.last_uidvalidity.max(next - 1).max(seen).max(1);
    }
}

/// The references the account will hold: every folder entry and every
/// entry of its message list.
fn refs_of(
    folders: &BTreeMap<u32, Rebuilt>,
    list: &popstore_formats::msglist::MessageList,
) -> BTreeMap<MessageId, u32> {
    let mut m = BTreeMap::new();
    let ids = folders
        .values()
        .flat_map(|f| f.index.entries.iter().map(|e| e.message))
        .chain(list.entries.iter().map(|e| e.message));
    for id in ids {
        *m.entry(id).or_default() += 1;
    }
    m
}

/// One message file's count: what it is, what it should be.
#[derive(Debug, Clone)]
pub(super) struct CountPlan {
    pub id: MessageId,
    /// The count read by the census (`None`: not read).
    pub seen: Option<u32>,
    /// The count now (`None`: the file is gone or unreadable).
    pub now: Option<u32>,
    /// The references in the whole store once the account is rebuilt.
    pub want: u32,
}

impl CountPlan {
    fn describe(&self, may_lower: bool) -> Option<String> {
        let now = self.now?;
        (now < self.want || (now > self.want && may_lower && self.want > 0)).then(|| {
            format!(
                "message {}: reference count {now} -> {}",
                self.id.file_name(),
                self.want
            )
        })
    }
}

/// The counts of every file the account referenced or will reference.
fn counts_plan(
    census: &Census,
    dir: &popstore_platform::DirPath,
    new_refs: &BTreeMap<MessageId, u32>,
) -> Vec<CountPlan> {
    let held = census.held(dir);
    let ids: BTreeSet<MessageId> = held.keys().chain(new_refs.keys()).copied().collect();
    ids.into_iter()
        .map(|id| {
            let seen = match census.files.found.get(&id) {
                Some(FileState::Read { ref_count, .. }) => Some(*ref_count),
                _ => None,
            };
            CountPlan {
                id,
                seen,
                now: seen,
                want: census.others(dir, id) + new_refs.get(&id).copied().unwrap_or(0),
            }
        })
        .collect()
}
