//! `verify --repair`: bring reference counts, usage and orphans in line
//! with the references (the truth, SPEC.md section 15), without ever
//! deleting mail an account may still reach.
//!
//! The rules, in the order repair applies them:
//!
//! 1. **Leftovers.** Temporary files of the store's own making (an
//!    interrupted replace or create) older than the grace period are
//!    removed, in every directory of every root ([`Store::remove_leftovers`],
//!    which `serve` also runs at start-up).
//! 2. **Every reference that reads counts.** Each user subtree is read
//!    under its account lock: its message list, journal and folder indexes
//!    keep their message files alive even when the profile beside them is
//!    garbled or missing. A place that cannot be read at all (permissions,
//!    I/O, a folder index that does not decode) makes repair *uncertain*:
//!    then it removes no message file and lowers no count anywhere; the
//!    files no readable account references are reported as *unknown*, not
//!    orphans.
//! 3. **Lost lists are rebuilt.** When an account's list or journal lost
//!    references (a list that does not decode or was deleted while the
//!    profile counts messages, a journal that does not decode, a journal
//!    ahead of its list), the list is rebuilt: the entries that survive,
//!    then every message file that names the account as an envelope
//!    recipient (directly, by subaddress or through forwarding) and that
//!    the list lacks, with new UIDLs.
//! 4. **Orphans go back to their recipients** (but for those written by
//!    `popstore migrate`, removed: the source still has them). A message file that no
//!    account references and that is older than the grace period is given
//!    back to the existing accounts its recipients name (at least once:
//!    after a crash between a message's file and its references the
//!    delivery was never acknowledged, and giving it back may duplicate
//!    the MTA's retry), except to an account whose list records it as
//!    given up by a deletion (a RELEASED record, SPEC.md 7: the crash came
//!    between the list and the count). Only a file that names no such
//!    account is removed: that is the evidence that no account refers to
//!    it.
//! 5. **Counts follow the references**, raised before references are added
//!    and lowered only when nothing is uncertain; a file whose header
//!    changed since it was read is left for the next run.
//!
//! Safe while the store serves mail: message files younger than the grace
//! period are left alone (a delivery may be between writing the file and
//! adding its references), and every change is made under the lock that
//! protects it.

pub(crate) mod files;
mod folders;
mod leftovers;
mod settle;
pub(crate) mod subtree;

use std::collections::{BTreeMap, HashMap};

use popstore_platform::LockMode;

use super::engine::{Store, now};
use super::error::Result;
use super::forward::{self, ForwardEntry, ForwardError, ForwardLookup};
use super::layout::MessageId;
use super::name::AccountName;
use files::{FileState, Files};
use subtree::Subtree;

/// Message files younger than this are never touched by repair.
pub const REPAIR_GRACE_SECONDS: i64 = 600;

/// What a repair changed, and what it left for a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// `path: what was done`, in the order done.
    pub changes: Vec<String>,
    /// `path: why`: what repair could not read or would not change, and
    /// the message files it kept because of it. Empty when the store is
    /// fully repaired.
    pub kept: Vec<String>,
}

/// The accounts each (old enough, readable) message file names, and the
/// files whose recipients could not be resolved (the store failed to
/// read a profile or the forwarding database): those are never removed.
#[derive(Debug, Default)]
pub(crate) struct Named {
    pub(crate) accounts: BTreeMap<MessageId, Vec<AccountName>>,
    pub(crate) unknown: std::collections::BTreeSet<MessageId>,
}

/// Recipients as repair reads them: every domain counts as local, since
/// the store accepted each message for its recipients whatever its
/// configuration says now (repair runs without the server's `[store]
/// local_domains`).
struct AsDelivered<'a>(&'a Store);

impl ForwardLookup for AsDelivered<'_> {
    fn forwarding(&self, key: &str) -> std::result::Result<Option<ForwardEntry>, ForwardError> {
        self.0.forwarding(key)
    }

    fn account(&self, address: &str) -> std::result::Result<Option<AccountName>, ForwardError> {
        let Ok((cands, _)) = self.0.rules.candidates(address) else {
            return Ok(None);
        };
        for c in cands {
            match self.0.profile(&c) {
                Ok(Some(_)) => return Ok(Some(c)),
                Ok(None) => {}
                Err(e) => return Err(ForwardError::Unavailable(e.to_string())),
            }
        }
        Ok(None)
    }

    fn is_local_domain(&self, _domain: &str) -> std::result::Result<bool, ForwardError> {
        Ok(true)
    }
}

impl Store {
    /// Repairs the store with the default grace period (see the module
    /// documentation for the rules).
    pub fn repair(&self) -> Result<RepairReport> {
        self.repair_with_grace(REPAIR_GRACE_SECONDS)
    }

    /// [`Store::repair`] with another grace period (0 when no server runs
    /// on the store).
    pub fn repair_with_grace(&self, grace_seconds: i64) -> Result<RepairReport> {
        let mut report = RepairReport::default();
        let grace = std::time::Duration::from_secs(grace_seconds.max(0).unsigned_abs());
        report.changes.extend(self.remove_leftovers(grace));
        let cutoff = now() - grace_seconds;
        let files = self.scan_message_files()?;
        report.kept.extend(files.unlisted.iter().cloned());
        let named = self.named_accounts(&files, cutoff);
        let (subtrees, unlisted) = self.user_subtrees();
        let mut uncertain = unlisted;
        let mut refs: BTreeMap<MessageId, u32> = BTreeMap::new();
        let mut released: BTreeMap<AccountName, std::collections::HashSet<MessageId>> =
            BTreeMap::new();
        let mut sharers = std::collections::BTreeSet::new();
        for dir in subtrees {
            let lock_path = dir.file(subtree::n("ACCOUNT"), subtree::n("LCK"));
            let _lock = match self.lock(&lock_path, LockMode::Exclusive) {
                Ok(l) => l,
                Err(e) => {
                    uncertain.push(format!("{}: {e}", self.fs.display_dir(&dir)));
                    continue;
                }
            };
            let mut t = self.read_subtree(&dir);
            report.kept.append(&mut t.damaged);
            if t.unreadable.is_empty()
                && let Some((name, _)) = t.account.clone()
            {
                self.fix_subtree(&name, &mut t, &files, &named, &mut report)?;
            }
            uncertain.append(&mut t.unreadable);
            if let Some((name, _)) = &t.account
                && self.repair_share_entry(name, &mut report.changes)?
            {
                sharers.insert(name.clone());
            }
            if let Some((name, _)) = &t.account {
                let ids = t
                    .list
                    .released
                    .iter()
                    .flat_map(|r| r.messages.iter().copied());
                released
                    .entry(name.clone())
                    .or_default()
                    .extend(ids.chain(t.folder_released.iter().copied()));
            }
            for e in &t.list.entries {
                *refs.entry(e.message).or_default() += 1;
            }
            for id in &t.folder_refs {
                *refs.entry(*id).or_default() += 1;
            }
        }
        // The share index (SPEC.md 9.3): stale entries go once every
        // subtree was read (none is removed while one was unreadable).
        if uncertain.is_empty() {
            self.remove_stale_share_entries(&sharers, &mut report.changes)?;
        }
        report
            .kept
            .extend(uncertain.iter().map(|u| format!("{u}: cannot be read")));
        // An account whose list records a file as released (a deletion
        // the crash cut short) does not get it back (SPEC.md 15, rule 4).
        let mut named = named;
        named.accounts.retain(|id, names| {
            names.retain(|a| !released.get(a).is_some_and(|r| r.contains(id)));
            !names.is_empty()
        });
        self.settle(
            &files,
            &refs,
            &named,
            cutoff,
            !uncertain.is_empty(),
            &mut report,
        )?;
        Ok(report)
    }

    /// The existing accounts named by the recipients of each message file
    /// older than `cutoff` (resolved as delivery resolves them: subaddress
    /// and forwarding), each address resolved once.
    pub(crate) fn named_accounts(&self, files: &Files, cutoff: i64) -> Named {
        let mut cache: HashMap<&str, Option<Vec<AccountName>>> = HashMap::new();
        let mut out = Named::default();
        for (id, state) in &files.found {
            let FileState::Read {
                created,
                recipients,
                ..
            } = state
            else {
                continue;
            };
            if *created > cutoff {
                continue;
            }
            let mut names: Vec<AccountName> = Vec::new();
            for r in recipients {
                let local = cache.entry(r.as_str()).or_insert_with(|| {
                    match forward::resolve(&AsDelivered(self), r) {
                        Ok(res) => Some(res.local),
                        Err(ForwardError::Unavailable(_)) => None,
                        Err(_) => Some(Vec::new()),
                    }
                });
                match local {
                    Some(local) => {
                        for a in local.iter() {
                            if !names.contains(a) {
                                names.push(a.clone());
                            }
                        }
                    }
                    None => {
                        out.unknown.insert(*id);
                    }
                }
            }
            if !names.is_empty() {
                out.accounts.insert(*id, names);
            }
        }
        out
    }

    /// Repairs one readable account's list (the caller holds its lock):
    /// drops references to message files that are gone, rebuilds what was
    /// lost, folds the journal, and sets the profile's totals.
    fn fix_subtree(
        &self,
        name: &AccountName,
        t: &mut Subtree,
        files: &Files,
        named: &Named,
        report: &mut RepairReport,
    ) -> Result<()> {
        let list_path = self.fs.display(&self.paths.message_list(name));
        let before = t.list.entries.len();
        let mut gone = Vec::new();
        for e in &t.list.entries {
            // Only a file that is certainly not there: an unreadable
            // directory keeps its references.
            if let Ok(None) = self.fs.stat(&self.paths.message(e.message)) {
                gone.push(e.message);
            }
        }
        t.list.entries.retain(|e| !gone.contains(&e.message));
        let dangling = before - t.list.entries.len();
        let mut rebuilt = 0usize;
        if !t.lost.is_empty() {
            // Neither the files it holds nor those it gave up (RELEASED).
            let have: std::collections::HashSet<MessageId> = t
                .list
                .entries
                .iter()
                .map(|e| e.message)
                .chain(
                    t.list
                        .released
                        .iter()
                        .flat_map(|r| r.messages.iter().copied()),
                )
                .collect();
            for (id, names) in &named.accounts {
                if !names.contains(name) || have.contains(id) {
                    continue;
                }
                if files.give_back(*id, &mut t.list) {
                    rebuilt += 1;
                }
            }
            report.changes.push(format!(
                "{list_path}: rebuilt: {} entries kept, {rebuilt} message files that name {name} \
                 given back (the references were lost: {})",
                t.list.entries.len() - rebuilt,
                t.lost.join("; ")
            ));
        }
        let Some((_, p)) = &t.account else {
            return Ok(());
        };
        if p.store_type == crate::store::StoreType::Imap {
            self.fix_folder_list(name, t, report)?;
        }
        // A MessageStore account's usage also counts its folder indexes.
        let folders = if p.store_type == crate::store::StoreType::Imap {
            t.folder_index_bytes
        } else {
            0
        };
        let used: u64 = t.list.entries.iter().map(|e| e.size).sum::<u64>() + folders;
        let count = t.list.entries.len() as u64;
        let (held, bytes) = (
            p.message_count + t.journal.entries,
            p.quota_used + t.journal.bytes,
        );
        let write = dangling > 0
            || !t.lost.is_empty()
            || t.journal.present
            || t.list_damaged
            || held != count
            || bytes != used;
        if !write {
            return Ok(());
        }
        if t.journal.present && t.lost.is_empty() {
            report.changes.push(format!(
                "{}: journal folded into the list",
                self.fs.display(&self.paths.user(name).message_journal())
            ));
        }
        if dangling > 0 {
            report.changes.push(format!(
                "{list_path}: dropped {dangling} references to missing message files"
            ));
        }
        if bytes != used || held != count {
            report.changes.push(format!(
                "{}: usage set to {count} messages, {used} bytes (was {held}, {bytes})",
                self.fs.display(&self.paths.profile(name)),
            ));
        }
        self.write_list(name, &t.list, &t.journal, (0, 0))?;
        if folders > 0 {
            let mut p = self.existing(name)?;
            p.quota_used += folders;
            self.write_profile(&p)?;
        }
        Ok(())
    }
}
