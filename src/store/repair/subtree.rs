//! One user subtree as repair reads it: the profile, the message list and
//! its journal, the folder indexes. Every reference that can be read
//! counts, whether or not the rest of the subtree reads (a garbled profile
//! does not make its list's messages orphans); whatever cannot be read
//! makes the subtree *uncertain*, and then repair removes nothing anywhere
//! and lowers no count.

use std::collections::HashSet;

use popstore_formats::StoreFile;
use popstore_formats::folder::FolderIndex;
use popstore_formats::journal::{MessageJournal, salvage};
use popstore_formats::msglist::{Entry, MessageList};
use popstore_formats::path::Ods2Name;
use popstore_formats::profile::Profile as FProfile;
use popstore_platform::{DirPath, Entry as DirEntry, ErrorKind};

use crate::store::account::Profile;
use crate::store::engine::Store;
use crate::store::error::StoreError;
use crate::store::layout::MessageId;
use crate::store::list::JournalInfo;
use crate::store::name::AccountName;

pub(crate) fn n(s: &str) -> Ods2Name {
    Ods2Name::new(s).unwrap_or_else(|_| unreachable!("{s} is a valid built-in name"))
}

/// What reading one file of a subtree gave.
enum Read<T> {
    /// Read and decoded.
    Good(T),
    /// Not there.
    Absent,
    /// There, but it does not decode: its content is lost (or partly).
    Damaged(String),
    /// It cannot be read at all (permissions, I/O): nothing is known.
    Unreadable(String),
}

/// One user subtree, read.
#[derive(Debug)]
pub(crate) struct Subtree {
    /// The account, when its profile reads and sits at its hashed path:
    /// only then may repair write in the subtree.
    pub account: Option<(AccountName, Profile)>,
    /// The message list as readers will see it once repaired: the list's
    /// entries, then the journal's that the list lacks.
    pub list: MessageList,
    /// The list file was there but did not read, or is absent: it is
    /// written whole by repair.
    pub list_damaged: bool,
    /// The journal file, and the entries it adds to the list (a fold
    /// counts them as received and removes the file).
    pub journal: JournalInfo,
    /// The list or the journal lost references (damaged, deleted, or older
    /// than the other): the list is rebuilt from the message files that
    /// name the account.
    pub lost: Vec<String>,
    /// References from folder indexes and their journals (MessageStore).
    pub folder_refs: Vec<MessageId>,
    /// Message files the folders' expunges gave up (SPEC.md 15 rule 4).
    pub folder_released: Vec<MessageId>,
    /// Bytes of the entries in the folder index files (what the profile's
    /// usage counts for folders; journals are counted live).
    pub folder_index_bytes: u64,
    /// The folder indexes found: id, the name their FOLDER record holds,
    /// and whether the folder holds anything (entries, or a journal).
    pub folder_files: Vec<(u32, String, bool)>,
    /// What could not be read: repair keeps every message file while any
    /// subtree has such a place.
    pub unreadable: Vec<String>,
    /// What is damaged in a way repair leaves to a person (a garbled
    /// profile, a misplaced one).
    pub damaged: Vec<String>,
}

impl Store {
    fn read_typed<T: StoreFile>(&self, path: &popstore_formats::path::StorePath) -> Read<T> {
        match self.read_file::<T>(path) {
            Ok(Some(v)) => Read::Good(v),
            Ok(None) => Read::Absent,
            Err(StoreError::Corrupt { reason, .. }) => Read::Damaged(reason),
            Err(e) => Read::Unreadable(e.to_string()),
        }
    }

    /// Reads one user subtree (the caller holds its account lock).
    pub(crate) fn read_subtree(&self, dir: &DirPath) -> Subtree {
        let mut t = Subtree {
            account: None,
            list: MessageList {
                next_uidl: 1,
                ..MessageList::default()
            },
            list_damaged: false,
            journal: JournalInfo::default(),
            lost: Vec::new(),
            folder_refs: Vec::new(),
            folder_released: Vec::new(),
            folder_index_bytes: 0,
            folder_files: Vec::new(),
            unreadable: Vec::new(),
            damaged: Vec::new(),
        };
        let prf = dir.file(n("ACCOUNT"), n("PRF"));
        let shown = |p| self.fs.display(p);
        match self.read_typed::<FProfile>(&prf) {
            Read::Good(f) => {
                let p = crate::store::disk::profile_from(f);
                let name = AccountName::from_stored(&p.name);
                if self.paths.user_dir(&name) == *dir {
                    t.account = Some((name, p));
                } else {
                    t.damaged.push(format!(
                        "{}: the profile of {:?} is not at its hashed path: left as it is",
                        shown(&prf),
                        p.name
                    ));
                }
            }
            Read::Absent => t.damaged.push(format!(
                "{}: missing: the subtree's references are kept, nothing in it is changed",
                shown(&prf)
            )),
            Read::Damaged(r) => t.damaged.push(format!(
                "{}: {r}: the subtree's references are kept, nothing in it is changed \
                 (restore the profile, then repair again)",
                shown(&prf)
            )),
            Read::Unreadable(r) => t.unreadable.push(format!("{}: {r}", shown(&prf))),
        }
        let counted = t.account.as_ref().map_or(0, |(_, p)| p.message_count);
        let lpath = dir.file(n("MESSAGES"), n("PML"));
        let list_intact = match self.read_typed::<MessageList>(&lpath) {
            Read::Good(l) => {
                t.list = l;
                true
            }
            Read::Absent => {
                if counted > 0 {
                    t.lost.push(format!(
                        "{}: missing, but the profile counts {counted} messages in it",
                        shown(&lpath)
                    ));
                }
                true
            }
            Read::Damaged(r) => {
                t.list_damaged = true;
                t.lost.push(format!("{}: {r}", shown(&lpath)));
                false
            }
            Read::Unreadable(r) => {
                t.unreadable.push(format!("{}: {r}", shown(&lpath)));
                false
            }
        };
        if self.paths.layout.list_journal {
            self.read_subtree_journal(dir, list_intact, &mut t);
        }
        self.read_subtree_folders(dir, &mut t);
        t
    }

    fn read_subtree_journal(&self, dir: &DirPath, list_intact: bool, t: &mut Subtree) {
        let jpath = dir.file(n("MESSAGES"), n("PMJ"));
        let shown = self.fs.display(&jpath);
        let bytes = match self.fs.read(&jpath) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return,
            Err(e) => {
                t.unreadable.push(format!("{shown}: {e}"));
                return;
            }
        };
        t.journal.present = true;
        t.journal.valid = true;
        let (base, entries) = match MessageJournal::decode(&bytes) {
            Ok(j) => (Some(j.base), j.entries),
            Err(e) => {
                let (b, es) = salvage(&bytes);
                t.lost.push(format!(
                    "{shown}: {e} ({} whole entries still readable)",
                    es.len()
                ));
                (b, es)
            }
        };
        let next = t.list.next_uidl;
        if let Some(b) = base {
            if b < next && list_intact {
                // Stale: a fold's leftover; its entries are in the list.
                return;
            }
            if b > next {
                t.lost.push(format!(
                    "{shown}: base {b} is ahead of the list's next UIDL {next} (a list older \
                     than its journal)"
                ));
                t.list.next_uidl = b;
            }
        }
        let mut seen: HashSet<String> = t.list.entries.iter().map(|e| e.uidl.clone()).collect();
        let appended = entries.len() as u64;
        for e in entries {
            // A UIDL number is never handed out twice: the next one is past
            // every number in use.
            t.list.next_uidl = t.list.next_uidl.max(uidl_number(&e).saturating_add(1));
            if seen.insert(e.uidl.clone()) {
                t.journal.entries += 1;
                t.journal.bytes += e.size;
                t.list.entries.push(e);
            }
        }
        if let Some(b) = base {
            t.list.next_uidl = t.list.next_uidl.max(b.saturating_add(appended));
        }
    }

    fn read_subtree_folders(&self, dir: &DirPath, t: &mut Subtree) {
        let fdir = dir.child(n(popstore_formats::layout::FOLDERS_DIR));
        let files = match self.fs.list(&fdir) {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::NotFound => return,
            Err(e) => {
                t.unreadable
                    .push(format!("{}: {e}", self.fs.display_dir(&fdir)));
                return;
            }
        };
        let has = |name: &str, ty: &str| {
            files.iter().any(|f| {
                matches!(f, DirEntry::File { name: a, ftype: b } if a.as_str() == name && b.as_str() == ty)
            })
        };
        for f in &files {
            let DirEntry::File { name, ftype } = f else {
                continue;
            };
            let path = fdir.file(name.clone(), ftype.clone());
            match ftype.as_str() {
                "PFI" => {}
                // A journal without its index: its appends still count.
                "PFJ" if !has(name.as_str(), "PFI") => {
                    self.folder_journal_refs(&path, None, t);
                    continue;
                }
                _ => continue,
            }
            match self.read_typed::<FolderIndex>(&path) {
                Read::Good(mut ix) => {
                    t.folder_index_bytes += ix.entries.iter().map(|e| e.size).sum::<u64>();
                    let journal = has(name.as_str(), "PFJ");
                    t.folder_files.push((
                        ix.folder_id,
                        ix.name.clone(),
                        journal || !ix.entries.is_empty(),
                    ));
                    if journal {
                        let jpath = fdir.file(name.clone(), n("PFJ"));
                        self.folder_journal_refs(&jpath, Some(&mut ix), t);
                    }
                    t.folder_refs.extend(ix.entries.iter().map(|e| e.message));
                    t.folder_released.extend(
                        ix.expunges
                            .iter()
                            .flat_map(|l| &l.sets)
                            .flat_map(|s| s.messages.iter().map(|m| m.message)),
                    );
                }
                Read::Absent => {}
                // Folder indexes are rebuilt by reconstruct; until then the
                // files they may reference are kept.
                Read::Damaged(r) | Read::Unreadable(r) => t
                    .unreadable
                    .push(format!("{}: {r}", self.fs.display(&path))),
            }
        }
    }

    /// Folder journal `jpath`: applied to `index` when it belongs to it
    /// (the folder's references are then the index's entries); expunged
    /// files recorded as given up. A journal that does not read or does
    /// not belong (or has no index) counts its whole APPEND records as
    /// references and makes repair uncertain: reconstruct settles it.
    fn folder_journal_refs(
        &self,
        jpath: &popstore_formats::path::StorePath,
        index: Option<&mut FolderIndex>,
        t: &mut Subtree,
    ) {
        use popstore_formats::fold::{self, Belonging};
        use popstore_formats::folder_journal::{Change, FolderJournal, JournalBase, salvage};
        let shown = self.fs.display(jpath);
        let bytes = match self.fs.read(jpath) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return,
            Err(e) => {
                t.unreadable.push(format!("{shown}: {e}"));
                return;
            }
        };
        let salvaged = |t: &mut Subtree, why: String| {
            for c in salvage(&bytes).1 {
                if let Change::Append(a) = c {
                    t.folder_refs.push(a.message);
                }
            }
            t.unreadable.push(format!("{shown}: {why}"));
        };
        let j = match FolderJournal::read(&bytes) {
            Ok((j, _)) => j,
            Err(e) => return salvaged(t, e.to_string()),
        };
        let Some(ix) = index else {
            return salvaged(t, "a folder journal without its index".into());
        };
        match j.base.belonging(&JournalBase::of_index(ix)) {
            Belonging::Current => {}
            Belonging::Stale => return,
            Belonging::Inconsistent => {
                return salvaged(t, "the journal does not belong to its index".into());
            }
        }
        fold::keep_expunges(ix);
        // The expunges whose FREED record says the profile still counts
        // what they freed (SPEC.md 8.1).
        let freed: Vec<u64> = popstore_formats::folder_journal::freed(&j.changes)
            .iter()
            .map(|(m, _)| *m)
            .collect();
        for c in &j.changes {
            if let Change::Expunge(s) = c
                && !freed.contains(&s.modseq)
            {
                // Usage counts the index file's entries less what the
                // journal expunged of them without a FREED record (see
                // folders::usage).
                let resident: u64 = s
                    .messages
                    .iter()
                    .filter(|m| m.uid < j.base.uidnext)
                    .filter_map(|m| ix.entries.binary_search_by_key(&m.uid, |e| e.uid).ok())
                    .map(|i| ix.entries[i].size)
                    .sum();
                t.folder_index_bytes = t.folder_index_bytes.saturating_sub(resident);
            }
            if let Err(e) = fold::apply(ix, c) {
                return salvaged(t, e.to_string());
            }
            if let Change::Expunge(s) = c {
                t.folder_released
                    .extend(s.messages.iter().map(|m| m.message));
            }
        }
    }

    /// The user subtrees of every user root and the public folders'
    /// subtree, and the directories that could not be listed.
    pub(crate) fn user_subtrees(&self) -> (Vec<DirPath>, Vec<String>) {
        let mut subtrees = Vec::new();
        let mut unlisted = Vec::new();
        let levels = usize::from(self.paths.layout.fanout.levels);
        for &root in &self.paths.layout.user_roots {
            let top = DirPath::root(root).child(n(popstore_formats::layout::USERS_DIR));
            let mut stack = vec![(top, 0usize)];
            while let Some((dir, depth)) = stack.pop() {
                let entries = match self.fs.list(&dir) {
                    Ok(v) => v,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => {
                        unlisted.push(format!("{}: cannot list: {e}", self.fs.display_dir(&dir)));
                        continue;
                    }
                };
                for e in entries {
                    if let DirEntry::Dir(d) = e {
                        if depth < levels {
                            stack.push((dir.child(d), depth + 1));
                        } else {
                            subtrees.push(dir.child(d));
                        }
                    }
                }
            }
        }
        // The public folders' subtree (SPEC.md 9.2): its folders'
        // references count as a user's do.
        let public = self.paths.layout.public_dir();
        let public = DirPath {
            root: public.root,
            dirs: public.dirs,
        };
        match self.fs.list(&public) {
            Ok(_) => subtrees.push(public),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => unlisted.push(format!(
                "{}: cannot list: {e}",
                self.fs.display_dir(&public)
            )),
        }
        subtrees.sort();
        (subtrees, unlisted)
    }
}

/// The number of a UIDL `<file>.<n>` (0 when it has none).
fn uidl_number(e: &Entry) -> u64 {
    e.uidl
        .rsplit_once('.')
        .and_then(|(_, k)| k.parse().ok())
        .unwrap_or(0)
}
