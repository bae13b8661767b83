//! A session's view of one folder ([`Folder`]): the index with the
//! journal's changes applied, and the cursor that lets the session learn
//! cheaply what other sessions, processes and hosts changed since
//! ([`Store::refresh_folder`]): what IMAP's untagged EXISTS, EXPUNGE and
//! FETCH responses, IDLE, CONDSTORE and QRESYNC are made from.

use popstore_formats::fold::{self, Belonging};
use popstore_formats::folder::{
    ExpungedMessage, ExpungedSet, FolderEntry, FolderIndex, SystemFlags,
};
use popstore_formats::folder_journal::{
    Append, Change, Cursor, FlagChange, HEAD_LEN, JournalBase, read_base, read_since,
};
use popstore_platform::LockMode;

use super::super::engine::Store;
use super::super::error::Result;
use super::super::folder_name::FolderName;
use super::super::layout::MessageId;
use super::super::name::AccountName;

/// One message of a folder, as a session sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FolderMessage {
    /// Its UID.
    pub uid: u32,
    /// System flags (`\Seen` 0x01, `\Answered` 0x02, `\Flagged` 0x04,
    /// `\Deleted` 0x08, `\Draft` 0x10).
    pub flags: SystemFlags,
    /// Keywords, by name.
    pub keywords: Vec<String>,
    /// INTERNALDATE, seconds since 1970.
    pub internal_date: i64,
    /// RFC822.SIZE.
    pub size: u64,
    /// The MODSEQ of its last change.
    pub modseq: u64,
    /// The message file.
    pub message: MessageId,
}

/// An open folder: the state a session works from. Made by
/// [`Store::open_folder`], kept current by [`Store::refresh_folder`] (and
/// by every change the session makes through the store).
#[derive(Debug, Clone)]
pub struct Folder {
    pub(crate) account: AccountName,
    pub(crate) id: u32,
    pub(crate) name: FolderName,
    pub(crate) index: FolderIndex,
    pub(crate) cursor: Cursor,
    /// Expunges read from the journal since the index (for QRESYNC).
    pub(crate) journal_expunges: Vec<ExpungedSet>,
}

impl Folder {
    /// The account the folder belongs to.
    pub fn account(&self) -> &AccountName {
        &self.account
    }

    /// The folder's id (names its files).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The folder's name when it was opened.
    pub fn name(&self) -> &FolderName {
        &self.name
    }

    /// UIDVALIDITY.
    pub fn uidvalidity(&self) -> u32 {
        self.index.uidvalidity
    }

    /// UIDNEXT: the UID the next message will get.
    pub fn uidnext(&self) -> u32 {
        self.index.uidnext
    }

    /// HIGHESTMODSEQ.
    pub fn highestmodseq(&self) -> u64 {
        self.index.highestmodseq
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.index.entries.len()
    }

    /// Whether the folder holds no message.
    pub fn is_empty(&self) -> bool {
        self.index.entries.is_empty()
    }

    /// The keyword table (every keyword used in the folder so far).
    pub fn keywords(&self) -> &[String] {
        &self.index.keywords
    }

    /// The raw entries, by ascending UID (keywords as table indexes).
    pub fn entries(&self) -> &[FolderEntry] {
        &self.index.entries
    }

    /// Message `i` (0-based sequence number - 1).
    pub fn message(&self, i: usize) -> Option<FolderMessage> {
        self.index.entries.get(i).map(|e| self.resolve(e))
    }

    /// The message with `uid` and its 0-based position.
    pub fn by_uid(&self, uid: u32) -> Option<(usize, FolderMessage)> {
        let i = self
            .index
            .entries
            .binary_search_by_key(&uid, |e| e.uid)
            .ok()?;
        Some((i, self.resolve(&self.index.entries[i])))
    }

    /// The raw entry with `uid` (keywords as table indexes).
    pub fn by_index(&self, uid: u32) -> Option<&FolderEntry> {
        let i = self
            .index
            .entries
            .binary_search_by_key(&uid, |e| e.uid)
            .ok()?;
        self.index.entries.get(i)
    }

    /// Every message, by ascending UID.
    pub fn messages(&self) -> impl Iterator<Item = FolderMessage> + '_ {
        self.index.entries.iter().map(|e| self.resolve(e))
    }

    /// Total bytes of the messages.
    pub fn bytes(&self) -> u64 {
        self.index.entries.iter().map(|e| e.size).sum()
    }

    /// Messages without `\Seen`.
    pub fn unseen(&self) -> usize {
        self.index
            .entries
            .iter()
            .filter(|e| !e.flags.contains(SystemFlags::SEEN))
            .count()
    }

    /// The messages whose MODSEQ is above `modseq` (CONDSTORE's
    /// `CHANGEDSINCE`: appended or flagged since), by ascending UID.
    pub fn changed_since(&self, modseq: u64) -> Vec<FolderMessage> {
        self.index
            .entries
            .iter()
            .filter(|e| e.modseq > modseq)
            .map(|e| self.resolve(e))
            .collect()
    }

    /// The UIDs expunged after `modseq` (QRESYNC's VANISHED), or `None`
    /// when the history does not reach back that far (SPEC.md 8,
    /// "Answering QRESYNC").
    pub fn vanished_since(&self, modseq: u64) -> Option<Vec<u32>> {
        let log = self.index.expunges.as_ref()?;
        let mut uids = log.uids_since(modseq)?;
        for s in &self.journal_expunges {
            if s.modseq > modseq {
                uids.extend(s.messages.iter().map(|m| m.uid));
            }
        }
        uids.sort_unstable();
        uids.dedup();
        Some(uids)
    }

    fn resolve(&self, e: &FolderEntry) -> FolderMessage {
        FolderMessage {
            uid: e.uid,
            flags: e.flags,
            keywords: e
                .keywords
                .iter()
                .filter_map(|k| self.index.keywords.get(usize::from(*k)).cloned())
                .collect(),
            internal_date: e.internal_date,
            size: e.size,
            modseq: e.modseq,
            message: e.message,
        }
    }

    /// Applies changes read from the journal after the cursor.
    fn apply(&mut self, changes: &[Change]) -> std::result::Result<(), fold::FoldError> {
        fold::apply_all(&mut self.index, changes)?;
        for c in changes {
            if let Change::Expunge(s) = c {
                self.journal_expunges.push(s.clone());
            }
        }
        Ok(())
    }
}

impl Store {
    /// Opens folder `id` of `acct` (named `name`): reads its index and
    /// journal under the folder's shared lock, so that no fold comes
    /// between the two reads.
    pub(crate) fn load_folder(
        &self,
        acct: &AccountName,
        id: u32,
        name: FolderName,
    ) -> Result<Folder> {
        let _l = self.lock_folder(acct, id, LockMode::Shared)?;
        self.load_folder_locked(acct, id, name)
    }

    /// [`Store::load_folder`] for a caller that holds the folder's lock.
    pub(crate) fn load_folder_locked(
        &self,
        acct: &AccountName,
        id: u32,
        name: FolderName,
    ) -> Result<Folder> {
        let path = self.paths.user(acct).folder_index(id);
        let Some(mut index) = self.read_index(acct, id)? else {
            return Err(super::super::folder_tree::FolderError::NotFound(name.to_string()).into());
        };
        fold::keep_expunges(&mut index);
        let base = JournalBase::of_index(&index);
        let mut folder = Folder {
            account: acct.clone(),
            id,
            name,
            index,
            cursor: Cursor::start(base),
            journal_expunges: Vec::new(),
        };
        if let Some((j, cursor)) = self.read_folder_journal(acct, id)? {
            match j.base.belonging(&base) {
                Belonging::Current => {
                    folder
                        .apply(&j.changes)
                        .map_err(|e| self.corrupt(&path, e.to_string()))?;
                    folder.cursor = cursor;
                }
                Belonging::Stale => {}
                Belonging::Inconsistent => {
                    return Err(self.corrupt(
                        &self.paths.user(acct).folder_journal(id),
                        "the journal does not belong to the index (run popstore verify --repair)",
                    ));
                }
            }
        }
        Ok(folder)
    }

    /// Brings `f` up to date with what every other session, process or
    /// host changed since it was opened or last refreshed, and returns
    /// those changes in MODSEQ order (already applied to `f`). Cheap: it
    /// reads the journal's head and what was appended since the last
    /// look (FREED records, quota bookkeeping, left out). After a fold (the
    /// journal was replaced), it reads the folder
    /// again and returns the difference as changes: the messages
    /// expunged, appended and whose flags changed.
    pub fn refresh_folder(&self, f: &mut Folder) -> Result<Vec<Change>> {
        self.refresh(f, false)
    }

    /// The host directory holding `f`'s index and journal, when a change
    /// notification there sees every change to them (a local file system
    /// on Linux): a session waiting for changes (IMAP IDLE) watches it and
    /// calls [`Store::refresh_folder`] when it changes, instead of polling.
    /// `None`: poll.
    pub fn folder_watch_dir(&self, f: &Folder) -> Option<std::path::PathBuf> {
        self.fs.watch_dir(&self.paths.folders_dir(&f.account))
    }

    /// [`Store::refresh_folder`]; `locked`: the caller holds the folder's
    /// lock.
    pub(crate) fn refresh(&self, f: &mut Folder, locked: bool) -> Result<Vec<Change>> {
        self.refresh_from(f, locked, 0)
    }

    fn refresh_from(&self, f: &mut Folder, locked: bool, depth: u8) -> Result<Vec<Change>> {
        let jpath = self.paths.user(&f.account).folder_journal(f.id);
        if let Some(bytes) = self.folder_journal_bytes(&f.account, f.id)?
            && bytes.len() >= HEAD_LEN
            && read_base(&bytes).is_ok_and(|b| b == f.cursor.base)
        {
            let from = usize::try_from(f.cursor.offset).unwrap_or(usize::MAX);
            let tail = bytes.get(from..).unwrap_or(&[]);
            let since =
                read_since(&f.cursor, tail).map_err(|e| self.corrupt(&jpath, e.to_string()))?;
            f.apply(&since.changes)
                .map_err(|e| self.corrupt(&jpath, e.to_string()))?;
            f.cursor = since.cursor;
            // FREED records are the quota's bookkeeping, nothing a
            // session shows.
            let mut changes = since.changes;
            changes.retain(|c| !matches!(c, Change::Freed(_)));
            return Ok(changes);
        }
        if let Some(h) = self.folder_head(&f.account, f.id)? {
            let hb = JournalBase::of_head(&h);
            // No journal of ours: unchanged when the index is still the
            // one we read (a fold always moves HIGHESTMODSEQ).
            if hb == f.cursor.base && f.cursor.offset == HEAD_LEN as u64 {
                return Ok(Vec::new());
            }
            // A fold of exactly the changes we hold (MODSEQs name one
            // change each, so the same UIDNEXT and HIGHESTMODSEQ mean the
            // same folder): go on in its new journal without reading the
            // index again.
            if hb != f.cursor.base
                && hb.uidvalidity == f.uidvalidity()
                && hb.uidnext == f.uidnext()
                && hb.highestmodseq == f.highestmodseq()
                && depth < 2
            {
                f.cursor = Cursor::start(hb);
                return self.refresh_from(f, locked, depth + 1);
            }
        }
        let new = if locked {
            self.load_folder_locked(&f.account, f.id, f.name.clone())?
        } else {
            self.load_folder(&f.account, f.id, f.name.clone())?
        };
        let changes = difference(f, &new);
        *f = new;
        Ok(changes)
    }
}

/// The changes that turn `old` into `new` (two views of one folder, after
/// a fold replaced the journal `old` followed): expunges first (with
/// `new`'s HIGHESTMODSEQ, the exact MODSEQ being folded away), then the
/// appends and flag changes in MODSEQ order.
fn difference(old: &Folder, new: &Folder) -> Vec<Change> {
    let mut out = Vec::new();
    if old.uidvalidity() != new.uidvalidity() {
        return out;
    }
    let gone: Vec<ExpungedMessage> = old
        .index
        .entries
        .iter()
        .filter(|e| {
            new.index
                .entries
                .binary_search_by_key(&e.uid, |n| n.uid)
                .is_err()
        })
        .map(|e| ExpungedMessage {
            uid: e.uid,
            message: e.message,
        })
        .collect();
    let mut rest: Vec<Change> = Vec::new();
    for e in &new.index.entries {
        if e.uid < old.uidnext() && e.modseq <= old.highestmodseq() {
            continue;
        }
        let m = new.resolve(e);
        if e.uid >= old.uidnext() {
            rest.push(Change::Append(Append {
                uid: m.uid,
                flags: m.flags,
                internal_date: m.internal_date,
                size: m.size,
                modseq: m.modseq,
                message: m.message,
                keywords: m.keywords,
            }));
        } else if e.modseq > old.highestmodseq() {
            rest.push(Change::Flags(FlagChange {
                uid: m.uid,
                flags: m.flags,
                modseq: m.modseq,
                keywords: m.keywords,
            }));
        }
    }
    rest.sort_by_key(|c| c.modseq());
    for chunk in gone.chunks(popstore_formats::folder::MAX_EXPUNGED_PER_RECORD) {
        out.push(Change::Expunge(ExpungedSet {
            modseq: new.highestmodseq(),
            messages: chunk.to_vec(),
        }));
    }
    out.extend(rest);
    out
}
