//! The store-wide picture reconstruct decides reference counts from: the
//! references every user subtree holds (read as repair reads them, each
//! under its account lock), and the message files with what their
//! headers say.
//!
//! A message file's count must be the number of references to it in the
//! whole store (SPEC.md 15), and a file may be shared by several accounts,
//! so reconstructing one account needs the others' references to its
//! files: `count = others + this account's`. A count above that, for a
//! file that names the account and that the account does not reference,
//! is a reference the account lost (or a delivery a crash cut short):
//! reconstruct gives the message back.

use std::collections::BTreeMap;

use popstore_platform::{DirPath, LockMode};

use crate::store::engine::Store;
use crate::store::layout::MessageId;
use crate::store::repair::Named;
use crate::store::repair::files::Files;
use crate::store::repair::subtree::n;

/// References per user subtree, and what could not be read.
#[derive(Debug, Default)]
pub(super) struct Census {
    by_dir: BTreeMap<DirPath, BTreeMap<MessageId, u32>>,
    total: BTreeMap<MessageId, u32>,
    /// Places that could not be read, per subtree (empty key: outside
    /// any subtree): counts are then never lowered.
    uncertain: BTreeMap<Option<DirPath>, Vec<String>>,
    /// Every message file and its header.
    pub files: Files,
    /// The accounts each message file older than the grace period names.
    pub named: Named,
}

impl Census {
    /// References to `id` held outside subtree `dir`.
    pub fn others(&self, dir: &DirPath, id: MessageId) -> u32 {
        let all = self.total.get(&id).copied().unwrap_or(0);
        let own = self
            .by_dir
            .get(dir)
            .and_then(|m| m.get(&id))
            .copied()
            .unwrap_or(0);
        all.saturating_sub(own)
    }

    /// The references subtree `dir` held when the census read it.
    pub fn held(&self, dir: &DirPath) -> BTreeMap<MessageId, u32> {
        self.by_dir.get(dir).cloned().unwrap_or_default()
    }

    /// What outside subtree `dir` could not be read.
    pub fn uncertain_outside(&self, dir: &DirPath) -> Vec<String> {
        self.uncertain
            .iter()
            .filter(|(k, _)| k.as_ref() != Some(dir))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    }

    /// Records that subtree `dir` now holds `refs` (after reconstruct),
    /// all of it readable.
    pub fn set(&mut self, dir: &DirPath, refs: BTreeMap<MessageId, u32>) {
        if let Some(old) = self.by_dir.remove(dir) {
            for (id, k) in old {
                if let Some(t) = self.total.get_mut(&id) {
                    *t = t.saturating_sub(k);
                }
            }
        }
        for (id, k) in &refs {
            *self.total.entry(*id).or_default() += k;
        }
        self.by_dir.insert(dir.clone(), refs);
        self.uncertain.remove(&Some(dir.clone()));
    }
}

impl Store {
    /// Reads the census: every message file, then every user subtree
    /// under its account lock (one at a time).
    pub(super) fn census(&self, cutoff: i64) -> crate::store::Result<Census> {
        let files = self.scan_message_files()?;
        let named = self.named_accounts(&files, cutoff);
        let mut c = Census {
            files,
            named,
            ..Census::default()
        };
        if !c.files.unlisted.is_empty() {
            c.uncertain.insert(None, c.files.unlisted.clone());
        }
        let (subtrees, unlisted) = self.user_subtrees();
        if !unlisted.is_empty() {
            c.uncertain.entry(None).or_default().extend(unlisted);
        }
        for dir in subtrees {
            let lock = dir.file(n("ACCOUNT"), n("LCK"));
            let _l = match self.lock(&lock, LockMode::Exclusive) {
                Ok(l) => l,
                Err(e) => {
                    c.uncertain
                        .entry(Some(dir.clone()))
                        .or_default()
                        .push(format!("{}: {e}", self.fs.display_dir(&dir)));
                    continue;
                }
            };
            let t = self.read_subtree(&dir);
            let mut refs: BTreeMap<MessageId, u32> = BTreeMap::new();
            for id in t
                .list
                .entries
                .iter()
                .map(|e| e.message)
                .chain(t.folder_refs)
            {
                *refs.entry(id).or_default() += 1;
            }
            if !t.unreadable.is_empty() {
                c.uncertain.insert(Some(dir.clone()), t.unreadable);
            }
            for (id, k) in &refs {
                *c.total.entry(*id).or_default() += k;
            }
            c.by_dir.insert(dir, refs);
        }
        Ok(c)
    }
}
