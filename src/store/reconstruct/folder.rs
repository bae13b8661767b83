//! One folder rebuilt from its two files, the index and the journal
//! (SPEC.md 8 and 8.1), in memory: what reconstruct will write.
//!
//! - An index that reads and a journal that belongs to it (or none, or a
//!   stale one) are the folder: the journal is folded into the index (as
//!   a writer's fold does), nothing else changes.
//! - Anything else is *reconciled*: the entries that survive in the index
//!   (a damaged one is salvaged record by record), then the journal's
//!   changes that still apply (a damaged journal gives its whole records).
//!   UIDs are kept: UIDNEXT and HIGHESTMODSEQ are raised past everything
//!   seen, and past what the damaged bytes could have held (an APPEND
//!   record is at least [`MIN_APPEND`] bytes, any change at least
//!   [`MIN_CHANGE`]), so no UID or MODSEQ a client may have seen is given
//!   again. Every message then gets the new HIGHESTMODSEQ, so CONDSTORE
//!   clients fetch the flags again. Messages of an older UIDVALIDITY (an
//!   index and a journal of two generations) get new UIDs after the
//!   newer generation's. Only a folder whose UIDVALIDITY is lost (its
//!   FOLDER record and its journal's BASE both gone) gets a new one.

use std::collections::{BTreeMap, HashSet};

use popstore_formats::StoreFile;
use popstore_formats::fold::{self, Belonging};
use popstore_formats::folder::{ExpungeLog, FolderEntry, FolderIndex, SystemFlags};
use popstore_formats::folder_journal::{Change, FolderJournal, HEAD_LEN, JournalBase, salvage};
use popstore_formats::folder_salvage::salvage_index;

use crate::store::layout::MessageId;

/// The smallest framed APPEND record of a folder journal (count word,
/// type, fields, CRC): a damaged stretch of n bytes held at most
/// n / this many appends, so at most that many UIDs were given in it.
pub const MIN_APPEND: u64 = 50;
/// The smallest framed change record (a FLAGS record without keywords).
pub const MIN_CHANGE: u64 = 26;

/// One message as reconstruct keeps it while it rebuilds a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Msg {
    pub flags: SystemFlags,
    pub keywords: Vec<String>,
    pub date: i64,
    pub size: u64,
    pub modseq: u64,
    pub file: MessageId,
}

/// A folder as reconstruct will leave it.
#[derive(Debug, Clone)]
pub(super) struct Rebuilt {
    /// The folder's index as it will be (journal folded in). Its
    /// UIDVALIDITY is 0 when a new one must be given.
    pub index: FolderIndex,
    /// The index must be written (then the journal goes).
    pub write: bool,
    /// A journal file is there.
    pub journal_present: bool,
    /// The journal must be removed even when the index is not written
    /// (a stale one).
    pub remove_journal: bool,
    /// What was found and changed, for the report.
    pub notes: Vec<String>,
    /// Message files this folder's expunges gave up (SPEC.md 15 rule 4).
    pub released: Vec<MessageId>,
    /// Every UIDVALIDITY seen in the files (a new one goes above them).
    pub seen_uidvalidity: u32,
    /// Bytes the profile's usage counts for this folder when the index is
    /// not rewritten: the index file's entries less what the journal
    /// expunged of them (folders::usage).
    pub file_bytes: u64,
}

/// The journal as read: whole, or salvaged.
struct Journal {
    base: Option<JournalBase>,
    changes: Vec<Change>,
    /// Bytes that are neither the head nor a whole record (0: it read).
    lost: u64,
    error: Option<String>,
}

fn read_journal(bytes: &[u8]) -> Journal {
    match FolderJournal::read(bytes) {
        Ok((j, _)) => Journal {
            base: Some(j.base),
            changes: j.changes,
            lost: 0,
            error: None,
        },
        Err(e) => {
            let (base, changes) = salvage(bytes);
            let used: usize = if base.is_some() { HEAD_LEN } else { 0 }
                + changes
                    .iter()
                    .map(|c| c.framed().map_or(0, |f| f.len()))
                    .sum::<usize>();
            Journal {
                base,
                changes,
                lost: bytes.len().saturating_sub(used) as u64,
                error: Some(e.to_string()),
            }
        }
    }
}

fn msg_of(ix: &FolderIndex, e: &FolderEntry) -> Msg {
    Msg {
        flags: e.flags,
        keywords: e
            .keywords
            .iter()
            .filter_map(|k| ix.keywords.get(usize::from(*k)).cloned())
            .collect(),
        date: e.internal_date,
        size: e.size,
        modseq: e.modseq,
        file: e.message,
    }
}

/// Rebuilds folder `id` from its index and journal bytes (`None`: no
/// such file).
pub(super) fn rebuild(id: u32, index: Option<&[u8]>, journal: Option<&[u8]>) -> Rebuilt {
    let good = index.and_then(|b| FolderIndex::decode(b).ok());
    let journal = journal.map(read_journal);
    if let Some(ix) = &good
        && let Some(r) = healthy(ix, journal.as_ref())
    {
        return r;
    }
    reconcile(id, index, good, journal)
}

/// The fast path: the index reads and the journal (if any) reads and
/// belongs, or is stale. `None` when the folder must be reconciled.
fn healthy(ix: &FolderIndex, j: Option<&Journal>) -> Option<Rebuilt> {
    let mut ix = ix.clone();
    let released_of = |ix: &FolderIndex| -> Vec<MessageId> {
        ix.expunges
            .iter()
            .flat_map(|l| &l.sets)
            .flat_map(|s| s.messages.iter().map(|m| m.message))
            .collect()
    };
    let mut r = Rebuilt {
        index: ix.clone(),
        write: false,
        journal_present: j.is_some(),
        remove_journal: false,
        notes: Vec::new(),
        released: released_of(&ix),
        seen_uidvalidity: ix.uidvalidity,
        file_bytes: ix.entries.iter().map(|e| e.size).sum(),
    };
    let Some(j) = j else {
        return Some(r);
    };
    if j.error.is_some() {
        return None;
    }
    let base = j.base?;
    match base.belonging(&JournalBase::of_index(&ix)) {
        Belonging::Stale => {
            r.remove_journal = true;
            r.notes
                .push("a stale journal (a fold's leftover) removed".into());
            Some(r)
        }
        Belonging::Inconsistent => None,
        Belonging::Current => {
            let whole = FolderJournal {
                base,
                changes: j.changes.clone(),
                torn_tail: 0,
            };
            let folded = fold::fold(&ix, &whole).ok()?;
            fold::keep_expunges(&mut ix);
            for c in &j.changes {
                if let Change::Expunge(s) = c {
                    for m in &s.messages {
                        r.released.push(m.message);
                        if m.uid < base.uidnext
                            && let Ok(i) = ix.entries.binary_search_by_key(&m.uid, |e| e.uid)
                        {
                            r.file_bytes = r.file_bytes.saturating_sub(ix.entries[i].size);
                            ix.entries.remove(i);
                        }
                    }
                }
            }
            r.index = folded.index;
            if !j.changes.is_empty() {
                // Reconstruct leaves every folder it reads as one index.
                r.write = true;
                r.notes.push(format!(
                    "its journal folded into it ({} changes)",
                    j.changes.len()
                ));
            }
            Some(r)
        }
    }
}

/// The slow path (module documentation).
fn reconcile(
    id: u32,
    index: Option<&[u8]>,
    good: Option<FolderIndex>,
    journal: Option<Journal>,
) -> Rebuilt {
    let mut notes = Vec::new();
    let mut released: Vec<MessageId> = Vec::new();
    let mut msgs: BTreeMap<u32, Msg> = BTreeMap::new();
    let mut head: Option<JournalBase> = None;
    let mut name = String::new();
    let mut seen_uv = 0u32;
    if let Some(ix) = &good {
        head = Some(JournalBase::of_index(ix));
        name = ix.name.clone();
        for e in &ix.entries {
            msgs.insert(e.uid, msg_of(ix, e));
        }
        released.extend(
            ix.expunges
                .iter()
                .flat_map(|l| &l.sets)
                .flat_map(|s| s.messages.iter().map(|m| m.message)),
        );
    } else if let Some(bytes) = index {
        let s = salvage_index(bytes);
        let why = FolderIndex::decode(bytes).err().map(|e| e.to_string());
        if let Some(h) = &s.head {
            head = Some(JournalBase::of_head(h));
            name = h.name.clone();
        }
        let as_index = FolderIndex {
            keywords: s.keywords.clone(),
            ..FolderIndex::default()
        };
        for e in &s.entries {
            msgs.insert(e.uid, msg_of(&as_index, e));
        }
        released.extend(
            s.expunges
                .iter()
                .flat_map(|s| s.messages.iter().map(|m| m.message)),
        );
        notes.push(format!(
            "the index does not read ({}): {} entries salvaged{}{}",
            why.unwrap_or_default(),
            s.entries.len(),
            if s.head.is_some() {
                ""
            } else {
                ", its FOLDER record lost"
            },
            if s.lost_bytes > 0 {
                format!(", {} bytes after them lost", s.lost_bytes)
            } else {
                String::new()
            },
        ));
    } else {
        notes.push("the index is missing".into());
    }
    let (mut uidnext, mut hms) = head.map_or((1, 1), |h| (h.uidnext, h.highestmodseq));
    let mut uidvalidity = head.map(|h| h.uidvalidity);
    seen_uv = seen_uv.max(uidvalidity.unwrap_or(0));
    // Messages that keep no UID of theirs (another generation's).
    let mut foreign: Vec<Msg> = Vec::new();
    let journal_present = journal.is_some();
    if let Some(j) = journal {
        if let Some(e) = &j.error {
            notes.push(format!(
                "the journal does not read ({e}): {} whole changes salvaged, {} bytes lost",
                j.changes.len(),
                j.lost
            ));
        }
        let jv = j.base.map(|b| b.uidvalidity);
        seen_uv = seen_uv.max(jv.unwrap_or(0));
        let stale = match (j.base, head) {
            (Some(b), Some(h)) => b.belonging(&h) == Belonging::Stale,
            _ => false,
        };
        if stale {
            notes.push("a stale journal (a fold's leftover) removed".into());
        } else {
            let other_generation = matches!((uidvalidity, jv), (Some(a), Some(b)) if a != b);
            if other_generation && jv > uidvalidity {
                // The journal is the newer generation: its UIDs stay, the
                // index's messages get new ones.
                notes.push(format!(
                    "index (UIDVALIDITY {}) and journal ({}) of two generations: the \
                     journal's UIDs kept, the index's {} messages get new UIDs",
                    uidvalidity.unwrap_or(0),
                    jv.unwrap_or(0),
                    msgs.len()
                ));
                foreign.extend(std::mem::take(&mut msgs).into_values());
                uidvalidity = jv;
                let b = j.base.unwrap_or_default();
                (uidnext, hms) = (b.uidnext, b.highestmodseq);
            } else if other_generation {
                notes.push(format!(
                    "index (UIDVALIDITY {}) and an older journal ({}): its appends the \
                     index lacks get new UIDs",
                    uidvalidity.unwrap_or(0),
                    jv.unwrap_or(0)
                ));
                let have: HashSet<MessageId> = msgs.values().map(|m| m.file).collect();
                for c in &j.changes {
                    if let Change::Append(a) = c
                        && !have.contains(&a.message)
                        && !released.contains(&a.message)
                    {
                        foreign.push(msg_of_append(a));
                    }
                }
            }
            if !other_generation || jv > uidvalidity {
                if uidvalidity.is_none() {
                    uidvalidity = jv;
                }
                if let Some(b) = j.base {
                    if head.is_some_and(|h| b != h) && !other_generation {
                        notes.push(format!(
                            "the journal does not belong to the index (its base: UIDNEXT {}, \
                             HIGHESTMODSEQ {}; the index's: {}, {}): UIDNEXT and \
                             HIGHESTMODSEQ raised past its changes, which are applied",
                            b.uidnext, b.highestmodseq, uidnext, hms
                        ));
                    }
                    uidnext = uidnext.max(b.uidnext);
                    hms = hms.max(b.highestmodseq);
                }
                let (n, h) = apply_leniently(&mut msgs, &mut foreign, &mut released, &j.changes);
                uidnext = uidnext.max(n);
                hms = hms.max(h);
                if j.lost > 0 {
                    uidnext = uidnext.saturating_add(j.lost.div_ceil(MIN_APPEND) as u32);
                    hms = hms.saturating_add(j.lost.div_ceil(MIN_CHANGE));
                }
            }
        }
    }
    let uidnext = uidnext.max(msgs.keys().next_back().map_or(1, |u| u + 1));
    finish(
        id,
        name,
        uidvalidity,
        uidnext,
        hms,
        msgs,
        foreign,
        notes,
        released,
        seen_uv,
        journal_present,
    )
}

fn msg_of_append(a: &popstore_formats::folder_journal::Append) -> Msg {
    Msg {
        flags: a.flags,
        keywords: a.keywords.clone(),
        date: a.internal_date,
        size: a.size,
        modseq: a.modseq,
        file: a.message,
    }
}

/// Applies journal changes to `msgs` as far as they still apply: an
/// APPEND whose UID holds another message goes to `foreign`; a FLAGS
/// record only when newer than the entry; an EXPUNGE only of the message
/// file it names. Returns the UIDNEXT and HIGHESTMODSEQ past every change.
fn apply_leniently(
    msgs: &mut BTreeMap<u32, Msg>,
    foreign: &mut Vec<Msg>,
    released: &mut Vec<MessageId>,
    changes: &[Change],
) -> (u32, u64) {
    let (mut uidnext, mut hms) = (1u32, 0u64);
    for c in changes {
        hms = hms.max(c.modseq().unwrap_or(0));
        match c {
            Change::Append(a) => {
                uidnext = uidnext.max(a.uid.saturating_add(1));
                match msgs.get(&a.uid) {
                    Some(m) if m.file == a.message => {}
                    Some(_) => foreign.push(msg_of_append(a)),
                    None if released.contains(&a.message) => {}
                    None => {
                        msgs.insert(a.uid, msg_of_append(a));
                    }
                }
            }
            Change::Flags(f) => {
                if let Some(m) = msgs.get_mut(&f.uid)
                    && f.modseq > m.modseq
                {
                    m.flags = f.flags;
                    m.keywords = f.keywords.clone();
                    m.modseq = f.modseq;
                }
            }
            Change::Expunge(s) => {
                for e in &s.messages {
                    if msgs.get(&e.uid).is_some_and(|m| m.file == e.message) {
                        msgs.remove(&e.uid);
                    }
                    released.push(e.message);
                }
            }
            Change::Freed(_) | Change::Unknown(_) => {}
        }
    }
    (uidnext, hms)
}

/// The reconciled folder as an index: every message at the new
/// HIGHESTMODSEQ, foreign messages after the others with new UIDs.
#[allow(clippy::too_many_arguments)]
fn finish(
    id: u32,
    name: String,
    uidvalidity: Option<u32>,
    mut uidnext: u32,
    hms: u64,
    mut msgs: BTreeMap<u32, Msg>,
    foreign: Vec<Msg>,
    mut notes: Vec<String>,
    released: Vec<MessageId>,
    seen_uidvalidity: u32,
    journal_present: bool,
) -> Rebuilt {
    let have: HashSet<MessageId> = msgs.values().map(|m| m.file).collect();
    let mut given = 0usize;
    for m in foreign {
        if have.contains(&m.file) {
            continue;
        }
        msgs.insert(uidnext, m);
        uidnext = uidnext.saturating_add(1);
        given += 1;
    }
    if given > 0 {
        notes.push(format!("{given} messages given new UIDs"));
    }
    if uidvalidity.is_none() {
        notes.push("its UIDVALIDITY is lost: it gets a new one".into());
    }
    let modseq = hms.saturating_add(1);
    let mut index = FolderIndex {
        folder_id: id,
        uidvalidity: uidvalidity.unwrap_or(0),
        uidnext,
        highestmodseq: modseq,
        name,
        expunges: Some(ExpungeLog {
            floor: modseq,
            sets: Vec::new(),
        }),
        ..FolderIndex::default()
    };
    for (uid, m) in msgs {
        let keywords = intern(&mut index.keywords, &m.keywords);
        index.entries.push(FolderEntry {
            uid,
            flags: m.flags,
            internal_date: m.date,
            size: m.size,
            modseq,
            message: m.file,
            keywords,
        });
    }
    Rebuilt {
        file_bytes: index.entries.iter().map(|e| e.size).sum(),
        index,
        write: true,
        journal_present,
        remove_journal: journal_present,
        notes,
        released,
        seen_uidvalidity,
    }
}

/// Keyword-table indexes of `names` (each once), adding new names.
pub(super) fn intern(table: &mut Vec<String>, names: &[String]) -> Vec<u16> {
    let mut out = Vec::new();
    for n in names {
        let i = match table.iter().position(|t| t == n) {
            Some(i) => i,
            None if table.len() <= usize::from(u16::MAX) => {
                table.push(n.clone());
                table.len() - 1
            }
            None => continue,
        };
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
