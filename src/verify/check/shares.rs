//! The share index (SPEC.md 9.3, feature `share-index`): `ROOT0:[SHARES]`
//! holds only empty `.SHR` files; every account whose mailbox list shares
//! a folder has one (else its shares are not listed: a problem); one whose
//! account shares nothing is stale (a note: readers pass over it).

use std::collections::BTreeSet;

use popstore_formats::layout::{self, Layout, types};
use popstore_formats::path::Ods2Name;

use super::{Problem, Walk};
use crate::verify::{DirEntry, StoreDir};

impl Walk<'_> {
    /// Reads `ROOT0:[SHARES]`: the entries' names; problems for anything
    /// else in it.
    pub(super) fn share_entries(&mut self, dir: &StoreDir) -> BTreeSet<Ods2Name> {
        let mut out = BTreeSet::new();
        for e in self.list(dir) {
            match &e {
                DirEntry::File(name, t) if t.as_str() == types::SHARE => {
                    let path = dir.file(name, t);
                    if let Some(bytes) = self.read(&path)
                        && !bytes.is_empty()
                    {
                        self.problem(
                            self.store.spell(&path),
                            "share-index entry is not empty".to_string(),
                        );
                    }
                    out.insert(name.clone());
                }
                DirEntry::File(_, t) if t.as_str() == "LCK" => {}
                _ => self.problem(
                    self.store.spell_dir(dir, None),
                    format!("{e:?} is not a share-index entry"),
                ),
            }
        }
        out
    }

    /// Checks the index against the accounts found sharing.
    pub(super) fn check_share_index(&mut self, entries: &BTreeSet<Ods2Name>) {
        let sharers = std::mem::take(&mut self.sharers);
        let named: BTreeSet<Ods2Name> = sharers
            .iter()
            .filter_map(|a| Layout::share_entry(a).map(|p| p.name))
            .collect();
        for account in sharers {
            let Some(path) = Layout::share_entry(&account) else {
                continue;
            };
            if entries.contains(&path.name) {
                continue;
            }
            // A share made while the walk ran: its entry came first.
            if matches!(self.store.read(&path), Ok(Some(_))) {
                continue;
            }
            self.problem(
                self.store.spell(&path),
                format!(
                    "missing: the account {account:?} shares folders, but the share index \
                     does not name it (its shares are not listed)"
                ),
            );
        }
        let dir = StoreDir::top(0).sub(&super::n(layout::SHARES_DIR));
        for name in entries.difference(&named) {
            self.report.notes.push(Problem {
                path: self.store.spell(&dir.file(name, &super::n(types::SHARE))),
                reason: "stale share-index entry: its account shares nothing".into(),
            });
        }
    }
}
