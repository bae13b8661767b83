//! `verify --repair`: bring reference counts, usage and orphans in line
//! with the references (the truth, SPEC.md section 15).
//!
//! Safe while the store serves mail: message files younger than
//! [`REPAIR_GRACE_SECONDS`] are left alone (a delivery may be between
//! writing the file and adding its references), and every change is made
//! under the lock that protects it.

use std::collections::BTreeMap;

use popstore_formats::folder::FolderIndex;
use popstore_formats::message::read_header;
use popstore_platform::{DirPath, Entry, LockMode};

use super::engine::{Store, now};
use super::error::Result;
use super::layout::{self, MessageId};
use super::name::AccountName;

/// Message files younger than this are never touched by repair.
pub const REPAIR_GRACE_SECONDS: i64 = 600;

/// What a repair changed, one line per change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// `path: what was done`, in the order done.
    pub changes: Vec<String>,
}

impl Store {
    fn message_files(&self, dir: &DirPath, out: &mut Vec<MessageId>) -> Result<()> {
        let entries = match self.fs.list(dir) {
            Ok(v) => v,
            Err(e) if e.kind() == popstore_platform::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for e in entries {
            match e {
                Entry::Dir(d) => self.message_files(&dir.child(d), out)?,
                Entry::File { name, ftype } if ftype.as_str() == "MSG" => {
                    if let Some(id) = MessageId::from_file_name(name.as_str()) {
                        out.push(id);
                    }
                }
                Entry::File { .. } => {}
            }
        }
        Ok(())
    }

    /// References from MessageStore folder indexes of an account.
    fn folder_references(
        &self,
        name: &AccountName,
        refs: &mut BTreeMap<MessageId, u32>,
    ) -> Result<()> {
        let dir = self.paths.user_dir(name).child(
            popstore_formats::path::Ods2Name::new(popstore_formats::layout::FOLDERS_DIR)
                .unwrap_or_else(|_| unreachable!()),
        );
        let Ok(files) = self.fs.list(&dir) else {
            return Ok(());
        };
        for f in files {
            if let Entry::File { name: n, ftype } = f
                && ftype.as_str() == "PFI"
            {
                let path = dir.file(n, ftype);
                if let Some(ix) = self.read_file::<FolderIndex>(&path)? {
                    for e in ix.entries {
                        *refs.entry(e.message).or_default() += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Repairs the store: drops references to message files that are gone,
    /// makes each account's message count and usage equal to its list,
    /// sets each message file's reference count to the references found,
    /// and removes message files nothing references.
    pub fn repair(&self) -> Result<RepairReport> {
        self.repair_with_grace(REPAIR_GRACE_SECONDS)
    }

    /// [`Store::repair`] with another grace period (0 when no server runs
    /// on the store).
    pub fn repair_with_grace(&self, grace_seconds: i64) -> Result<RepairReport> {
        let mut report = RepairReport::default();
        let mut refs: BTreeMap<MessageId, u32> = BTreeMap::new();
        let names: Vec<AccountName> = self
            .profiles()
            .filter_map(|p| p.ok())
            .map(|p| AccountName::from_stored(&p.name))
            .collect();
        for name in &names {
            let _l = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
            let super::list::Loaded { mut list, journal } = self.load_list(name)?;
            let before = list.entries.len();
            list.entries.retain(|e| {
                self.fs
                    .stat(&self.paths.message(e.message))
                    .ok()
                    .flatten()
                    .is_some()
            });
            let dangling = before - list.entries.len();
            let p = self.existing(name)?;
            let used: u64 = list.entries.iter().map(|e| e.size).sum();
            let count = list.entries.len() as u64;
            // A journal's entries are not in the profile's counters yet.
            let (held, bytes) = if journal.valid {
                (
                    p.message_count + journal.entries,
                    p.quota_used + journal.bytes,
                )
            } else {
                (p.message_count, p.quota_used)
            };
            if dangling > 0 || bytes != used || held != count || journal.present {
                if journal.present {
                    report.changes.push(format!(
                        "{}: journal folded into the list{}",
                        self.fs.display(&self.paths.user(name).message_journal()),
                        if journal.valid {
                            ""
                        } else {
                            " (it was stale: removed)"
                        }
                    ));
                }
                if dangling > 0 {
                    report.changes.push(format!(
                        "{}: dropped {dangling} references to missing message files",
                        self.fs.display(&self.paths.message_list(name))
                    ));
                }
                if bytes != used || held != count {
                    report.changes.push(format!(
                        "{}: usage set to {count} messages, {used} bytes (was {held}, {bytes})",
                        self.fs.display(&self.paths.profile(name)),
                    ));
                }
                self.write_list(name, &list, &journal, (0, 0))?;
            }
            for e in &list.entries {
                *refs.entry(e.message).or_default() += 1;
            }
            self.folder_references(name, &mut refs)?;
        }
        let mut files = Vec::new();
        self.message_files(&layout::messages_dir(), &mut files)?;
        let cutoff = now() - grace_seconds;
        for id in files {
            let path = self.paths.message(id);
            let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
            let found = refs.get(&id).copied().unwrap_or(0);
            let header = self.fs.map(&path).ok().and_then(|m| read_header(&m).ok());
            let Some((h, _)) = header else {
                if found == 0 {
                    self.fs.remove(&path)?;
                    report.changes.push(format!(
                        "{}: removed (unreadable, unreferenced)",
                        self.fs.display(&path)
                    ));
                }
                continue;
            };
            if h.created > cutoff {
                continue;
            }
            if h.ref_count != found {
                if found == 0 {
                    self.fs.remove(&path)?;
                    report.changes.push(format!(
                        "{}: removed orphan (reference count {})",
                        self.fs.display(&path),
                        h.ref_count
                    ));
                } else {
                    self.set_count_locked(id, found)?;
                    report.changes.push(format!(
                        "{}: reference count set to {found} (was {})",
                        self.fs.display(&path),
                        h.ref_count
                    ));
                }
            }
        }
        Ok(report)
    }
}
