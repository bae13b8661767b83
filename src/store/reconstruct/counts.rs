//! Reference counts and usage after a reconstruct (SPEC.md 15): counts
//! are raised before the references are written and lowered after, only
//! when the whole store could be read and the count is still the one the
//! census read (so a change made meanwhile by a server is never undone);
//! the profile's usage is set to what the folders hold by the model of
//! `folders::usage` (index files, less what their journals expunged).

use std::collections::BTreeMap;

use popstore_platform::LockMode;

use super::AccountReport;
use super::account::CountPlan;
use super::census::Census;
use super::folder::Rebuilt;
use crate::store::engine::Store;
use crate::store::error::Result;
use crate::store::layout::MessageId;
use crate::store::name::AccountName;

impl Store {
    /// Raises `id`'s count to `want` when it is below (under the lock of
    /// its directory's counts).
    pub(super) fn raise_count(
        &self,
        id: MessageId,
        want: u32,
        rep: &mut AccountReport,
    ) -> Result<()> {
        let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
        let Some(now) = self.reference_count(id)? else {
            return Ok(());
        };
        if now < want {
            self.set_count_locked(id, want)?;
            rep.changes.push(format!(
                "{}: reference count raised to {want} (was {now})",
                self.fs.display(&self.paths.message(id))
            ));
        }
        Ok(())
    }

    /// Lowers a count above the references to them, unless it changed
    /// since the census read it; a file no reference is left to is kept
    /// (for `verify --repair` to judge).
    pub(super) fn lower_count(
        &self,
        c: &CountPlan,
        _census: &Census,
        rep: &mut AccountReport,
    ) -> Result<()> {
        let Some(seen) = c.seen else {
            return Ok(());
        };
        if seen <= c.want {
            return Ok(());
        }
        let shown = self.fs.display(&self.paths.message(c.id));
        if c.want == 0 {
            rep.kept.push(format!(
                "{shown}: no reference left, count {seen}: kept (verify --repair decides)"
            ));
            return Ok(());
        }
        let _l = self.lock(&self.paths.refs_lock(c.id), LockMode::Exclusive)?;
        if self.reference_count(c.id)? != Some(seen) {
            return Ok(()); // changed meanwhile
        }
        self.set_count_locked(c.id, c.want)?;
        rep.changes.push(format!(
            "{shown}: reference count lowered to {} (was {seen})",
            c.want
        ));
        Ok(())
    }

    /// Sets the profile's usage (the caller holds the account lock): the
    /// message list's bytes (its journal is counted live) and what each
    /// folder's index file holds less its journal's expunges (with
    /// `dry_run`, only says so).
    pub(super) fn settle_usage(
        &self,
        name: &AccountName,
        folders: &BTreeMap<u32, Rebuilt>,
        dry_run: bool,
        rep: &mut AccountReport,
    ) -> Result<()> {
        let l = self.load_list(name)?;
        let list_bytes: u64 = l.list.entries.iter().map(|e| e.size).sum::<u64>()
            - if l.journal.valid { l.journal.bytes } else { 0 };
        let folder_bytes: u64 = folders
            .values()
            .map(|f| {
                if f.write {
                    f.index.entries.iter().map(|e| e.size).sum()
                } else {
                    f.file_bytes
                }
            })
            .sum();
        let mut p = self.existing(name)?;
        let used = list_bytes + folder_bytes;
        if p.quota_used != used {
            rep.changes.push(format!(
                "{}: usage set to {used} bytes (was {})",
                self.fs.display(&self.paths.profile(name)),
                p.quota_used
            ));
            p.quota_used = used;
            if !dry_run {
                self.write_profile(&p)?;
            }
        }
        Ok(())
    }
}
