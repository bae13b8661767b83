//! The folders of a MessageStore user as verify sees them (SPEC.md 8,
//! 8.1): each index, with its journal applied when the journal belongs
//! to it; every entry a reference. A journal that does not read or does
//! not belong, or has no index beside it, is a problem, and its whole
//! APPEND records still count as references (so the files it names are
//! never taken for orphans); a torn tail or a stale journal is a note.
//! The message files that expunges name (EXPUNGED, EXPUNGE) are recorded
//! as given up on purpose.

use popstore_formats::folder::FolderIndex;
use popstore_formats::layout::types;
use popstore_formats::mailboxes::MailboxList;

use super::super::{DirEntry, StoreDir};
use super::{Walk, n};

impl Walk<'_> {
    /// The folder indexes of a user and their journals; returns the bytes
    /// the folders hold (journals applied) and the part of them that the
    /// journals appended since their fold (not yet in the profile's usage),
    /// less what their FREED records freed (still in it).
    pub(super) fn folders(
        &mut self,
        dir: &StoreDir,
        list: Option<&MailboxList>,
        seen: &mut Vec<u32>,
    ) -> (u64, i64) {
        let (mut used, mut journaled) = (0, 0);
        let entries = self.list(dir);
        let folder_id = |e: &DirEntry, ty: &str| match e {
            DirEntry::File(nm, t) if t.as_str() == ty => nm
                .as_str()
                .strip_prefix('F')
                .filter(|h| h.len() == 8)
                .and_then(|h| u32::from_str_radix(h, 16).ok()),
            _ => None,
        };
        let journals: Vec<u32> = entries
            .iter()
            .filter_map(|e| folder_id(e, types::FOLDER_JOURNAL))
            .collect();
        for e in &entries {
            if folder_id(e, types::FOLDER_JOURNAL).is_some() {
                continue;
            }
            let id = folder_id(e, types::FOLDER_INDEX);
            let (Some(id), DirEntry::File(nm, t)) = (id, e) else {
                if !matches!(e, DirEntry::File(_, t) if t.as_str() == "LCK") {
                    self.unexpected(dir, e);
                }
                continue;
            };
            // The folder's lock, shared, while its index and journal are
            // read: a writer changes them together under it (a fold
            // replaces the index, then empties the journal), so a server
            // working beside verify shows no pair that never existed.
            // Only an existing lock file is taken (verify makes none).
            let lock = n("LCK");
            let _locked = entries
                .iter()
                .any(|e| matches!(e, DirEntry::File(a, b) if a == nm && *b == lock))
                .then(|| self.store.lock_shared(&dir.file(nm, &lock)))
                .flatten();
            let path = dir.file(nm, t);
            let from = self.store.spell(&path);
            let Some(mut f) = self.load::<FolderIndex>(&path) else {
                self.uncertain = true;
                // Its journal's references still count.
                if journals.contains(&id) {
                    self.orphan_journal(dir, id);
                }
                continue;
            };
            seen.push(id);
            if f.folder_id != id {
                self.problem(
                    from.clone(),
                    format!("holds folder id {} but is named for {id}", f.folder_id),
                );
            }
            match list {
                None => self.problem(from.clone(), "folder index without a mailbox list"),
                Some(l) if !l.mailboxes.iter().any(|m| m.folder_id == id) => self.problem(
                    from.clone(),
                    format!("folder {id} is not in the mailbox list"),
                ),
                _ => {}
            }
            for m in f
                .expunges
                .iter()
                .flat_map(|l| &l.sets)
                .flat_map(|s| &s.messages)
            {
                self.released.insert(m.message, from.clone());
            }
            if journals.contains(&id) {
                journaled += self.apply_journal(dir, id, &mut f);
            }
            for m in &f.entries {
                used += m.size;
                self.reference(m.message, &from, m.size, format!("UID {}", m.uid));
            }
        }
        for id in journals {
            if !seen.contains(&id) && !dir_has_index(&entries, id) {
                self.orphan_journal(dir, id);
            }
        }
        (used, journaled)
    }

    /// Reads folder `id`'s journal and applies it to `f` when it belongs
    /// to it (SPEC.md 8.1); returns the bytes its appends added that no
    /// later record expunged. A journal that does not read, or does not
    /// belong, is a problem; its whole APPEND records still count as
    /// references (salvaged).
    fn apply_journal(&mut self, dir: &StoreDir, id: u32, f: &mut FolderIndex) -> i64 {
        use popstore_formats::fold::{self, Belonging};
        use popstore_formats::folder_journal::{Change, FolderJournal, JournalBase};
        let path = dir.file(&n(&format!("F{id:08X}")), &n(types::FOLDER_JOURNAL));
        let from = self.store.spell(&path);
        let Some(bytes) = self.read(&path) else {
            return 0;
        };
        let j = match FolderJournal::read(&bytes) {
            Ok((j, _)) => j,
            Err(e) => {
                self.problem(from.clone(), e.to_string());
                self.salvaged_references(&bytes, &from);
                return 0;
            }
        };
        if j.torn_tail > 0 {
            self.note(
                from.clone(),
                format!(
                    "torn tail of {} bytes (an append a crash cut short)",
                    j.torn_tail
                ),
            );
        }
        match j.base.belonging(&JournalBase::of_index(f)) {
            Belonging::Current => {}
            Belonging::Stale => {
                self.note(
                    from,
                    "stale (a fold's leftover, already in the index)".into(),
                );
                return 0;
            }
            Belonging::Inconsistent => {
                self.problem(
                    from.clone(),
                    "its base does not belong to the index beside it (an index restored from \
                     an older copy?): popstore reconstruct decides",
                );
                self.salvaged_references(&bytes, &from);
                return 0;
            }
        }
        fold::keep_expunges(f);
        let mut live: Vec<(u32, u64)> = Vec::new();
        for c in &j.changes {
            if let Err(e) = fold::apply(f, c) {
                self.problem(from.clone(), e.to_string());
                self.salvaged_references(&bytes, &from);
                return 0;
            }
            match c {
                Change::Append(a) => live.push((a.uid, a.size)),
                Change::Expunge(s) => {
                    live.retain(|(u, _)| !s.messages.iter().any(|m| m.uid == *u));
                    for m in &s.messages {
                        self.released.insert(m.message, from.clone());
                    }
                }
                _ => {}
            }
        }
        // Less what its FREED records say its expunges freed of the index
        // (the profile still counts those bytes; SPEC.md 8.1).
        let freed: u64 = popstore_formats::folder_journal::freed(&j.changes)
            .iter()
            .map(|(_, b)| b)
            .sum();
        live.iter().map(|(_, s)| s).sum::<u64>() as i64 - freed as i64
    }

    /// A journal without a readable index beside it: reported, and its
    /// whole APPEND records count as references.
    fn orphan_journal(&mut self, dir: &StoreDir, id: u32) {
        let path = dir.file(&n(&format!("F{id:08X}")), &n(types::FOLDER_JOURNAL));
        let from = self.store.spell(&path);
        if let Some(bytes) = self.read(&path) {
            self.problem(
                from.clone(),
                "a folder journal without a readable index beside it",
            );
            self.salvaged_references(&bytes, &from);
        }
    }

    /// Counts the APPEND records still whole in a journal as references,
    /// so the files they name are not taken for orphans.
    fn salvaged_references(&mut self, bytes: &[u8], from: &str) {
        use popstore_formats::folder_journal::{Change, salvage};
        self.uncertain = true;
        for c in salvage(bytes).1 {
            if let Change::Append(a) = c {
                self.reference(a.message, from, a.size, format!("UID {} (journal)", a.uid));
            }
        }
    }
}

/// Whether `entries` holds folder `id`'s index.
fn dir_has_index(entries: &[DirEntry], id: u32) -> bool {
    let want = format!("F{id:08X}");
    entries
        .iter()
        .any(|e| matches!(e, DirEntry::File(nm, t) if t.as_str() == types::FOLDER_INDEX && nm.as_str() == want))
}
