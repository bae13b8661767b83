//! A folder's two files (SPEC.md 8 and 8.1): reading the index (its head,
//! or whole) and the journal, and, under the folder lock, appending
//! changes to the journal and folding it into the index.
//!
//! Every write goes through [`Store::writer_at`], which leaves the folder
//! ready for an append: a stale journal removed, a journal with a torn
//! tail or [`FOLD_AT`] records folded. So the cost of one change is one
//! read of a bounded journal, one read of the index's head and one synced
//! append, whatever the folder's size; the whole index is read and
//! written once per [`FOLD_AT`] changes.

use popstore_formats::fold::{self, Belonging};
use popstore_formats::folder::FolderIndex;
use popstore_formats::folder_head::{FolderHead, HEAD_PROBE, HeadRead, read_head};
use popstore_formats::folder_journal::{
    Change, Cursor, FolderJournal, JournalBase, freed, head_bytes,
};
use popstore_platform::{ErrorKind, LockMode, RecordFormat};

use super::super::engine::Store;
use super::super::error::{Result, StoreError};
use super::super::name::AccountName;

/// A journal holding this many records is folded into its index by the
/// next writer. It bounds what every change and every session's refresh
/// reads, and the index is rewritten once per this many changes.
pub const FOLD_AT: usize = 1000;

/// Where a writer appends: the cursor after the journal's last record
/// (or after the head of the journal it will create).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriterPos {
    /// The cursor the next record is numbered and placed by.
    pub cursor: Cursor,
    /// Whether the journal file exists (else the first write creates it).
    pub exists: bool,
}

/// What a fold did, for quota accounting.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FoldDone {
    /// What the profile's usage must change by now that the journal is
    /// in the index: the bytes of its APPENDs that are in the new index,
    /// less what its FREED records said its EXPUNGEs freed of the old
    /// index (SPEC.md 8.1).
    pub usage_delta: i64,
}

impl Store {
    /// The FOLDER record of folder `id`'s index read from its head (the
    /// whole file is read only when the head does not look as writers make
    /// it); `None` when there is no index.
    pub(crate) fn folder_head(&self, acct: &AccountName, id: u32) -> Result<Option<FolderHead>> {
        let path = self.paths.user(acct).folder_index(id);
        let mut want = HEAD_PROBE;
        loop {
            let bytes = match self.fs.read_head(&path, want) {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            match read_head(&bytes).map_err(|e| self.corrupt(&path, e.to_string()))? {
                HeadRead::Head(h) => return Ok(Some(h)),
                HeadRead::Need(n) if n > bytes.len() && bytes.len() == want => want = n,
                _ => {
                    return Ok(self
                        .read_file::<FolderIndex>(&path)?
                        .map(|ix| FolderHead::of(&ix)));
                }
            }
        }
    }

    /// Folder `id`'s whole index; `None` when there is none.
    pub(crate) fn read_index(&self, acct: &AccountName, id: u32) -> Result<Option<FolderIndex>> {
        self.read_file(&self.paths.user(acct).folder_index(id))
    }

    /// Folder `id`'s journal and the cursor after its last whole record;
    /// `None` when there is none.
    pub(crate) fn read_folder_journal(
        &self,
        acct: &AccountName,
        id: u32,
    ) -> Result<Option<(FolderJournal, Cursor)>> {
        let path = self.paths.user(acct).folder_journal(id);
        match self.fs.read(&path) {
            Ok(b) => FolderJournal::read(&b)
                .map(Some)
                .map_err(|e| self.corrupt(&path, e.to_string())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The raw bytes of folder `id`'s journal (`None`: no journal).
    pub(crate) fn folder_journal_bytes(
        &self,
        acct: &AccountName,
        id: u32,
    ) -> Result<Option<Vec<u8>>> {
        match self.fs.read(&self.paths.user(acct).folder_journal(id)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Locks folder `id` of `acct` (exclusive for writers, shared for a
    /// consistent read of index and journal).
    pub(crate) fn lock_folder(
        &self,
        acct: &AccountName,
        id: u32,
        mode: LockMode,
    ) -> Result<popstore_platform::FileLock> {
        self.lock(&self.paths.folder_lock(acct, id), mode)
    }

    /// Under the folder's exclusive lock: makes the folder ready for an
    /// append and says where it goes. A stale journal is removed; a
    /// journal with a torn tail, or holding [`FOLD_AT`] records, is folded
    /// first; an inconsistent or corrupt one stops changes (a temporary
    /// failure until `verify --repair` or reconstruct settles it).
    pub(crate) fn writer_at(&self, acct: &AccountName, id: u32) -> Result<(WriterPos, FoldDone)> {
        let index_path = self.paths.user(acct).folder_index(id);
        let Some(head) = self.folder_head(acct, id)? else {
            return Err(StoreError::Folder(
                super::super::folder_tree::FolderError::NotFound(format!("folder id {id}")),
            ));
        };
        let base = JournalBase::of_head(&head);
        let mut done = FoldDone::default();
        if let Some((j, cursor)) = self.read_folder_journal(acct, id)? {
            match j.base.belonging(&base) {
                Belonging::Current if j.torn_tail == 0 && j.changes.len() < FOLD_AT => {
                    return Ok((
                        WriterPos {
                            cursor,
                            exists: true,
                        },
                        done,
                    ));
                }
                Belonging::Current => {
                    let (ix, d) = self.fold_now(acct, id, j)?;
                    done = d;
                    let pos = WriterPos {
                        cursor: Cursor::start(JournalBase::of_index(&ix)),
                        exists: false,
                    };
                    return Ok((pos, done));
                }
                Belonging::Stale => self.remove_folder_journal(acct, id)?,
                Belonging::Inconsistent => {
                    return Err(self.corrupt(
                        &self.paths.user(acct).folder_journal(id),
                        format!(
                            "the journal's base {:?} does not belong to the index {} \
                             (run popstore verify --repair)",
                            j.base,
                            self.fs.display(&index_path)
                        ),
                    ));
                }
            }
        }
        Ok((
            WriterPos {
                cursor: Cursor::start(base),
                exists: false,
            },
            done,
        ))
    }

    /// Appends `changes` at `pos` (the caller holds the folder's exclusive
    /// lock and got `pos` from [`Store::writer_at`]), synced when it
    /// returns; `pos` moves past them. A journal that does not exist yet
    /// is created whole with its head by an exclusive create. Returns the
    /// bytes of appends written into the index itself (a store without
    /// the `folder-journal` feature), for the quota; 0 with a journal.
    pub(crate) fn write_changes(
        &self,
        acct: &AccountName,
        id: u32,
        pos: &mut WriterPos,
        changes: &[Change],
    ) -> Result<u64> {
        if changes.is_empty() {
            return Ok(0);
        }
        if !self.paths.layout.folder_journal {
            return self.rewrite_index(acct, id, pos, changes);
        }
        let path = self.paths.user(acct).folder_journal(id);
        let mut cursor = pos.cursor;
        let mut framed = Vec::new();
        let mut records = Vec::with_capacity(changes.len());
        for c in changes {
            let bad = |e: popstore_formats::WriteError| {
                StoreError::Invalid(format!("cannot write a folder change: {e}"))
            };
            framed.extend(cursor.accept(c).map_err(bad)?);
            records.push(c.record().map_err(bad)?);
        }
        if pos.exists {
            let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
            self.fs.append_records(&path, &refs)?;
        } else {
            let mut bytes = head_bytes(&pos.cursor.base);
            bytes.extend(framed);
            self.fs.create_new(&path, RecordFormat::Var, &bytes)?;
        }
        pos.cursor = cursor;
        pos.exists = true;
        Ok(0)
    }

    /// A store without the `folder-journal` feature (format 1.0): the
    /// changes are applied to the index, which is replaced whole.
    fn rewrite_index(
        &self,
        acct: &AccountName,
        id: u32,
        pos: &mut WriterPos,
        changes: &[Change],
    ) -> Result<u64> {
        let path = self.paths.user(acct).folder_index(id);
        let Some(mut index) = self.read_index(acct, id)? else {
            return Err(self.corrupt(&path, "the folder index is missing"));
        };
        fold::keep_expunges(&mut index);
        let mut cursor = pos.cursor;
        for c in changes {
            cursor
                .accept(c)
                .map_err(|e| StoreError::Invalid(format!("cannot write a folder change: {e}")))?;
            fold::apply(&mut index, c).map_err(|e| self.corrupt(&path, e.to_string()))?;
        }
        self.write_file(&path, &index)?;
        pos.cursor = Cursor::start(JournalBase::of_index(&index));
        Ok(changes
            .iter()
            .map(|c| match c {
                Change::Append(a) => a.size,
                _ => 0,
            })
            .sum())
    }

    /// Folds `j` into the index on disk: the new index replaces the old
    /// one, then the journal goes (a crash in between leaves a stale
    /// journal). A stale journal is only removed.
    fn fold_now(
        &self,
        acct: &AccountName,
        id: u32,
        j: FolderJournal,
    ) -> Result<(FolderIndex, FoldDone)> {
        let path = self.paths.user(acct).folder_index(id);
        let Some(index) = self.read_index(acct, id)? else {
            return Err(self.corrupt(&path, "a folder journal without its index"));
        };
        let done = FoldDone::default();
        match j.base.belonging(&JournalBase::of_index(&index)) {
            Belonging::Current => {}
            Belonging::Stale => {
                self.remove_folder_journal(acct, id)?;
                return Ok((index, done));
            }
            Belonging::Inconsistent => {
                return Err(self.corrupt(
                    &self.paths.user(acct).folder_journal(id),
                    "the journal does not belong to the index (run popstore verify --repair)",
                ));
            }
        }
        let folded = fold::fold(&index, &j).map_err(|e| self.corrupt(&path, e.to_string()))?;
        let new = folded.index;
        let appended_kept = j
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Append(a) => Some(a),
                _ => None,
            })
            .filter(|a| new.entries.binary_search_by_key(&a.uid, |e| e.uid).is_ok())
            .map(|a| a.size)
            .sum::<u64>();
        let freed: u64 = freed(&j.changes).iter().map(|(_, b)| b).sum();
        self.write_file(&path, &new)?;
        self.remove_folder_journal(acct, id)?;
        let usage_delta = appended_kept as i64 - freed as i64;
        Ok((new, FoldDone { usage_delta }))
    }

    /// Removes folder `id`'s journal (gone already is fine).
    pub(crate) fn remove_folder_journal(&self, acct: &AccountName, id: u32) -> Result<()> {
        match self.fs.remove(&self.paths.user(acct).folder_journal(id)) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
