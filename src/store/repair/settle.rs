//! The last step of repair: each message file's count brought to its
//! references, orphans given back to the accounts they name, and only the
//! files that name no account removed (module rules 4 and 5).

use std::collections::BTreeMap;

use popstore_platform::LockMode;

use super::files::{FileState, Files};
use super::{Named, RepairReport};
use crate::store::engine::Store;
use crate::store::error::Result;
use crate::store::layout::MessageId;
use crate::store::name::AccountName;

impl Store {
    pub(super) fn settle(
        &self,
        files: &Files,
        refs: &BTreeMap<MessageId, u32>,
        named: &Named,
        cutoff: i64,
        uncertain: bool,
        report: &mut RepairReport,
    ) -> Result<()> {
        let mut give_back: BTreeMap<AccountName, Vec<MessageId>> = BTreeMap::new();
        let mut lower_after: Vec<(MessageId, u32, u32)> = Vec::new();
        for (id, state) in &files.found {
            let path = self.fs.display(&self.paths.message(*id));
            let found = refs.get(id).copied().unwrap_or(0);
            let (ref_count, created, migrated) = match state {
                FileState::Read {
                    ref_count,
                    created,
                    migrated,
                    ..
                } => (*ref_count, *created, *migrated),
                FileState::Corrupt(why) => {
                    report.kept.push(format!(
                        "{path}: damaged ({why}), {found} references: kept for inspection"
                    ));
                    continue;
                }
                FileState::Unreadable(why) => {
                    report
                        .kept
                        .push(format!("{path}: cannot be read ({why}): kept"));
                    continue;
                }
            };
            if created > cutoff {
                continue;
            }
            if found == 0 {
                if uncertain {
                    report.kept.push(format!(
                        "{path}: unknown: no readable account references it, but some \
                         cannot be read: kept"
                    ));
                } else if migrated {
                    // A migration's orphan (its batch never got its
                    // references): not given back, since the source still
                    // has the message and the next run brings it (giving
                    // it back would bring it twice).
                    let why = "a migration's, never referenced: the next run brings it";
                    self.remove_unreferenced(*id, ref_count, why, report)?;
                } else if named.unknown.contains(id) {
                    report.kept.push(format!(
                        "{path}: unknown: no reference, and its recipients could not be \
                         resolved (the store failed to read an account or the forwarding \
                         database): kept"
                    ));
                } else if let Some(names) = named.accounts.get(id) {
                    // The count first: never below the references about to
                    // be made.
                    let k = names.len() as u32;
                    let Some(now) = self.raise_to(*id, ref_count, k)? else {
                        continue; // changed meanwhile: the next run decides
                    };
                    for a in names {
                        give_back.entry(a.clone()).or_default().push(*id);
                    }
                    if now > k {
                        lower_after.push((*id, now, k));
                    }
                } else {
                    self.remove_unreferenced(*id, ref_count, "names no account", report)?;
                }
            } else if found > ref_count || (found < ref_count && !uncertain) {
                self.recount(*id, ref_count, found, report)?;
            }
        }
        for (name, ids) in give_back {
            self.give_back(&name, &ids, files, report)?;
        }
        for (id, seen, found) in lower_after {
            self.recount(id, seen, found, report)?;
        }
        Ok(())
    }

    /// Removes a file nothing references and no account is named by,
    /// unless its header changed since repair read it.
    fn remove_unreferenced(
        &self,
        id: MessageId,
        seen: u32,
        why: &str,
        report: &mut RepairReport,
    ) -> Result<()> {
        let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
        let path = self.paths.message(id);
        if !matches!(self.file_state(id), Some(FileState::Read { ref_count, .. }) if ref_count == seen)
        {
            return Ok(()); // changed meanwhile: the next run decides
        }
        self.fs.remove(&path)?;
        report.changes.push(format!(
            "{}: removed orphan (reference count {seen}, no references, {why})",
            self.fs.display(&path)
        ));
        Ok(())
    }

    /// Sets a file's count to the references found, unless its header
    /// changed since repair read it.
    fn recount(
        &self,
        id: MessageId,
        seen: u32,
        found: u32,
        report: &mut RepairReport,
    ) -> Result<()> {
        let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
        if !matches!(self.file_state(id), Some(FileState::Read { ref_count, .. }) if ref_count == seen)
        {
            return Ok(());
        }
        self.set_count_locked(id, found)?;
        report.changes.push(format!(
            "{}: reference count set to {found} (was {seen})",
            self.fs.display(&self.paths.message(id))
        ));
        Ok(())
    }

    /// Raises a file's count to at least `want` unless its header changed
    /// since repair read it (`seen`); the count it has then, or `None`.
    fn raise_to(&self, id: MessageId, seen: u32, want: u32) -> Result<Option<u32>> {
        let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
        if !matches!(self.file_state(id), Some(FileState::Read { ref_count, .. }) if ref_count == seen)
        {
            return Ok(None);
        }
        if seen < want {
            self.set_count_locked(id, want)?;
            return Ok(Some(want));
        }
        Ok(Some(seen))
    }

    /// Gives unreferenced message files back to an account that their
    /// recipients name (their counts are raised already), under the
    /// account lock.
    fn give_back(
        &self,
        name: &AccountName,
        ids: &[MessageId],
        files: &Files,
        report: &mut RepairReport,
    ) -> Result<()> {
        if self
            .profile(name)?
            .is_some_and(|p| p.store_type == crate::store::StoreType::Imap)
        {
            return self.give_back_to_inbox(name, ids, files, report);
        }
        let _l = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
        let mut l = self.load_list(name)?;
        let mut added = 0usize;
        for id in ids {
            if files.give_back(*id, &mut l.list) {
                added += 1;
            }
        }
        self.write_list(name, &l.list, &l.journal, (0, 0))?;
        report.changes.push(format!(
            "{}: {added} unreferenced message files that name {name} given back to it",
            self.fs.display(&self.paths.message_list(name)),
        ));
        Ok(())
    }

    /// [`Store::give_back`] for a MessageStore account: into its INBOX.
    fn give_back_to_inbox(
        &self,
        name: &AccountName,
        ids: &[MessageId],
        files: &Files,
        report: &mut RepairReport,
    ) -> Result<()> {
        let entries: Vec<crate::store::folders::NewEntry> =
            ids.iter().filter_map(|id| files.entry_for(*id)).collect();
        if entries.is_empty() {
            return Ok(());
        }
        let inbox = crate::store::folder_name::FolderName::inbox();
        let folder = self
            .folder_id(name, &inbox)?
            .ok_or_else(|| crate::store::StoreError::Invalid(format!("{name} has no INBOX")))?;
        self.append_entries(name, folder, &entries)?;
        report.changes.push(format!(
            "{}: {} unreferenced message files that name {name} given back to its INBOX",
            self.fs.display(&self.paths.user(name).folder_index(folder)),
            entries.len()
        ));
        Ok(())
    }
}
