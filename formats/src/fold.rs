//! Applying a folder journal to its folder index (SPEC.md 8.1,
//! "Belonging to the index", "Applying a change" and "Folding"): pure
//! functions over decoded values, for the writer that folds the journal
//! into a new index and for a session that keeps a folder's state in
//! memory and applies the changes other sessions append.

use crate::folder::{
    ExpungeLog, ExpungedMessage, ExpungedSet, FolderEntry, FolderIndex, rtype as index_rtype,
};
use crate::folder_head::FolderHead;
use crate::folder_journal::{Change, FolderJournal, JournalBase};
use crate::layout::MessageId;

/// How many expunged UIDs a fold keeps in the index's history by default
/// (SPEC.md 8.1, "Folding"): QRESYNC clients that last looked before the
/// oldest of them are answered from the VANISHED-FLOOR.
pub const EXPUNGE_HISTORY: usize = 10_000;

/// How a journal relates to the index beside it (SPEC.md 8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Belonging {
    /// The base equals the index's FOLDER record: the journal's changes
    /// are part of the folder.
    Current,
    /// The base is behind the index (same UIDVALIDITY, UIDNEXT and
    /// HIGHESTMODSEQ not above the index's, not both equal): a fold's
    /// leftover, already in the index. Readers ignore it; writers remove
    /// it.
    Stale,
    /// Anything else (the base ahead of the index, or another
    /// UIDVALIDITY): `verify` reports it, a repair decides.
    Inconsistent,
}

impl JournalBase {
    /// The base a journal started on `index` has.
    pub fn of_index(index: &FolderIndex) -> JournalBase {
        JournalBase {
            uidvalidity: index.uidvalidity,
            uidnext: index.uidnext,
            highestmodseq: index.highestmodseq,
        }
    }

    /// The base a journal started on the index with this head has.
    pub fn of_head(head: &FolderHead) -> JournalBase {
        JournalBase {
            uidvalidity: head.uidvalidity,
            uidnext: head.uidnext,
            highestmodseq: head.highestmodseq,
        }
    }

    /// How a journal with this base relates to the index whose base
    /// ([`JournalBase::of_index`], [`JournalBase::of_head`]) is `index`.
    pub fn belonging(&self, index: &JournalBase) -> Belonging {
        if self == index {
            Belonging::Current
        } else if self.uidvalidity == index.uidvalidity
            && self.uidnext <= index.uidnext
            && self.highestmodseq <= index.highestmodseq
        {
            Belonging::Stale
        } else {
            Belonging::Inconsistent
        }
    }
}

/// A message an expunge removed, with the expunge's MODSEQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Expunged {
    /// Its UID.
    pub uid: u32,
    /// The message file its reference named.
    pub message: MessageId,
    /// The EXPUNGE record's MODSEQ.
    pub modseq: u64,
}

/// The result of a fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    /// The new index (version 1.1: it keeps its expunges).
    pub index: FolderIndex,
    /// The messages the journal's EXPUNGE records removed from the folder,
    /// in journal order. Their reference counts were already lowered by
    /// the expunge's writer (SPEC.md 8.1): a fold does not touch them.
    pub expunged: Vec<Expunged>,
}

/// Why a change or a journal cannot be applied to an index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    /// The journal does not belong to the index.
    #[error("the journal is {0:?} for the index, not current")]
    NotCurrent(Belonging),
    /// A change's MODSEQ is not above the index's HIGHESTMODSEQ.
    #[error("MODSEQ {modseq} is not above the folder's HIGHESTMODSEQ {highest}")]
    ModseqNotAbove {
        /// The change's MODSEQ.
        modseq: u64,
        /// The index's HIGHESTMODSEQ.
        highest: u64,
    },
    /// An APPEND's UID is not above every UID the folder had.
    #[error("APPEND UID {uid} is not above the folder's UIDs (UIDNEXT {uidnext})")]
    UidNotNew {
        /// The APPEND's UID.
        uid: u32,
        /// The index's UIDNEXT.
        uidnext: u32,
    },
    /// An EXPUNGE names a UID the folder has, with another message file.
    #[error("EXPUNGE of UID {uid} names {journal:?}, the folder has {index:?}")]
    MessageMismatch {
        /// The UID.
        uid: u32,
        /// The message file the index has for it.
        index: MessageId,
        /// The message file the EXPUNGE names.
        journal: MessageId,
    },
    /// The keyword table would exceed 65536 names.
    #[error("the keyword table is full")]
    TooManyKeywords,
    /// HIGHESTMODSEQ cannot be raised above 2^64-1.
    #[error("MODSEQ exhausted")]
    ModseqExhausted,
}

/// The keyword-table indexes of `names`, each once, adding new names at
/// the end of the table (existing indexes never change).
fn intern(table: &mut Vec<String>, names: &[String]) -> Result<Vec<u16>, FoldError> {
    let new = names
        .iter()
        .enumerate()
        .filter(|(i, n)| !table.contains(n) && !names[..*i].contains(n))
        .count();
    if table.len() + new > usize::from(u16::MAX) + 1 {
        return Err(FoldError::TooManyKeywords);
    }
    let mut out: Vec<u16> = Vec::with_capacity(names.len());
    for n in names {
        let i = match table.iter().position(|t| t == n) {
            Some(i) => i,
            None => {
                table.push(n.clone());
                table.len() - 1
            }
        };
        // Within the table's bound, checked above.
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}

/// Applies one change to `index` in memory (SPEC.md 8.1, "Applying a
/// change"): what a session does with each change [`read_since`] gives it,
/// and what a fold does with each record. Returns the messages an EXPUNGE
/// removed. On error the index is unchanged.
///
/// An APPEND adds its message (UIDNEXT becomes its UID + 1); a FLAGS sets
/// the message's flags, keywords and MODSEQ, and is ignored when the UID is
/// not in the folder (expunged already); an EXPUNGE removes the messages it
/// names that are in the folder (the others are ignored) and, when the
/// index keeps its expunges, adds them to its history; an unknown record
/// changes nothing. Every change of a known type raises HIGHESTMODSEQ to
/// its MODSEQ.
///
/// [`read_since`]: crate::folder_journal::read_since
pub fn apply(index: &mut FolderIndex, change: &Change) -> Result<Vec<Expunged>, FoldError> {
    apply_one(index, change, None)
}

/// Applies `changes` in order, as [`apply`] one by one would, but removes
/// the expunged entries once at the end: a fold, or a session catching up
/// on many changes, then costs one pass over the folder rather than one
/// per EXPUNGE. On error the index holds the changes before the failing
/// one.
pub fn apply_all(index: &mut FolderIndex, changes: &[Change]) -> Result<Vec<Expunged>, FoldError> {
    let expunges = changes
        .iter()
        .filter(|c| matches!(c, Change::Expunge(_)))
        .count();
    if expunges <= 1 {
        // One removal at most: in place is cheapest.
        let mut out = Vec::new();
        for c in changes {
            out.extend(apply(index, c)?);
        }
        return Ok(out);
    }
    let mut gone = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut result = Ok(());
    for c in changes {
        match apply_one(index, c, Some(&mut gone)) {
            Ok(x) => out.extend(x),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if !gone.is_empty() {
        index.entries.retain(|e| !gone.contains(&e.uid));
    }
    result.map(|()| out)
}

/// [`apply`]; with `gone`, expunged entries are only recorded there (and
/// treated as absent) for the caller to remove at once.
fn apply_one(
    index: &mut FolderIndex,
    change: &Change,
    mut gone: Option<&mut std::collections::HashSet<u32>>,
) -> Result<Vec<Expunged>, FoldError> {
    if let Some(m) = change.modseq()
        && m <= index.highestmodseq
    {
        return Err(FoldError::ModseqNotAbove {
            modseq: m,
            highest: index.highestmodseq,
        });
    }
    let present =
        |index: &FolderIndex, gone: &Option<&mut std::collections::HashSet<u32>>, uid: u32| {
            index
                .entries
                .binary_search_by_key(&uid, |e| e.uid)
                .ok()
                .filter(|_| gone.as_ref().is_none_or(|g| !g.contains(&uid)))
        };
    let mut out = Vec::new();
    match change {
        Change::Append(a) => {
            let last = index.entries.last().map_or(0, |e| e.uid);
            if a.uid < index.uidnext || a.uid <= last || a.uid == u32::MAX {
                return Err(FoldError::UidNotNew {
                    uid: a.uid,
                    uidnext: index.uidnext,
                });
            }
            let keywords = intern(&mut index.keywords, &a.keywords)?;
            index.entries.push(FolderEntry {
                uid: a.uid,
                flags: a.flags,
                internal_date: a.internal_date,
                size: a.size,
                modseq: a.modseq,
                message: a.message,
                keywords,
            });
            index.uidnext = a.uid + 1;
            index.highestmodseq = a.modseq;
        }
        Change::Flags(f) => {
            if let Some(i) = present(index, &gone, f.uid) {
                let keywords = intern(&mut index.keywords, &f.keywords)?;
                let e = &mut index.entries[i];
                e.flags = f.flags;
                e.keywords = keywords;
                e.modseq = f.modseq;
            }
            index.highestmodseq = f.modseq;
        }
        Change::Expunge(s) => {
            // Positions of the pairs in the folder, ascending (pairs are
            // by ascending UID).
            let mut found: Vec<(usize, ExpungedMessage)> = Vec::new();
            for m in &s.messages {
                if let Some(i) = present(index, &gone, m.uid) {
                    let have = index.entries[i].message;
                    if have != m.message {
                        return Err(FoldError::MessageMismatch {
                            uid: m.uid,
                            index: have,
                            journal: m.message,
                        });
                    }
                    found.push((i, *m));
                }
            }
            found.sort_unstable_by_key(|(i, _)| *i);
            found.dedup_by_key(|(i, _)| *i);
            match gone.as_mut() {
                Some(g) => g.extend(found.iter().map(|(_, m)| m.uid)),
                // A few: one move of the tail each; many: one pass.
                None if found.len() <= 8 => {
                    for (i, _) in found.iter().rev() {
                        index.entries.remove(*i);
                    }
                }
                None => {
                    let uids: Vec<u32> = found.iter().map(|(_, m)| m.uid).collect();
                    index
                        .entries
                        .retain(|e| uids.binary_search(&e.uid).is_err());
                }
            }
            let removed: Vec<ExpungedMessage> = found.into_iter().map(|(_, m)| m).collect();
            out.extend(removed.iter().map(|m| Expunged {
                uid: m.uid,
                message: m.message,
                modseq: s.modseq,
            }));
            if let Some(log) = &mut index.expunges
                && !removed.is_empty()
            {
                log.sets.push(ExpungedSet {
                    modseq: s.modseq,
                    messages: removed,
                });
            }
            index.highestmodseq = s.modseq;
        }
        // Usage bookkeeping for the store (SPEC.md 8.1): no change to the
        // folder.
        Change::Freed(_) | Change::Unknown(_) => {}
    }
    Ok(out)
}

/// Makes `index` keep its expunges (version 1.1), when it does not yet:
/// its history starts empty with the floor at its HIGHESTMODSEQ (nothing
/// is known of earlier expunges), and EXPUNGED or VANISHED-FLOOR records a
/// 1.0 writer kept as unknown records, no longer complete, are dropped.
pub fn keep_expunges(index: &mut FolderIndex) {
    if index.expunges.is_none() {
        index
            .unknown
            .retain(|u| ![index_rtype::EXPUNGED, index_rtype::VANISHED_FLOOR].contains(&u.rtype));
        index.expunges = Some(ExpungeLog {
            floor: index.highestmodseq,
            sets: Vec::new(),
        });
    }
}

/// Folds `journal` into `index` (SPEC.md 8.1, "Folding"), keeping at most
/// [`EXPUNGE_HISTORY`] expunged UIDs: see [`fold_keeping`].
pub fn fold(index: &FolderIndex, journal: &FolderJournal) -> Result<Folded, FoldError> {
    fold_keeping(index, journal, EXPUNGE_HISTORY)
}

/// Folds `journal` into `index`: the new index a fold writes, and the
/// messages expunged.
///
/// The journal must be current for the index. The new index is the index
/// made to keep its expunges ([`keep_expunges`]) with every change applied
/// in order ([`apply`]); when the journal held any record but
/// HIGHESTMODSEQ did not move (only unknown records), HIGHESTMODSEQ is
/// raised by one, so that the next journal's base differs from this one's
/// whenever this one held records; then the oldest expunges are dropped
/// from the history until at most `history` UIDs remain
/// ([`ExpungeLog::trim`]).
pub fn fold_keeping(
    index: &FolderIndex,
    journal: &FolderJournal,
    history: usize,
) -> Result<Folded, FoldError> {
    let belonging = journal.base.belonging(&JournalBase::of_index(index));
    if belonging != Belonging::Current {
        return Err(FoldError::NotCurrent(belonging));
    }
    let mut next = index.clone();
    keep_expunges(&mut next);
    let expunged = apply_all(&mut next, &journal.changes)?;
    if !journal.changes.is_empty() && next.highestmodseq == index.highestmodseq {
        next.highestmodseq = next
            .highestmodseq
            .checked_add(1)
            .ok_or(FoldError::ModseqExhausted)?;
    }
    if let Some(log) = &mut next.expunges {
        log.trim(history);
    }
    Ok(Folded {
        index: next,
        expunged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder::SystemFlags;
    use crate::folder_journal::FlagChange;
    use crate::samples;

    #[test]
    fn the_typical_journal_folds_into_the_typical_index() {
        let index = samples::folder_indexes()[1].clone();
        let journal = samples::folder_journals()[1].clone();
        let f = fold(&index, &journal).unwrap();
        let uids: Vec<u32> = f.index.entries.iter().map(|e| e.uid).collect();
        assert_eq!(uids, [1, 4, 5]);
        assert_eq!((f.index.uidnext, f.index.highestmodseq), (6, 9));
        assert_eq!(f.index.keywords, ["$Forwarded", "Important", "$Junk"]);
        assert_eq!(f.index.entries[0].keywords, [0]);
        assert_eq!(f.index.entries[0].modseq, 7);
        assert_eq!(f.index.entries[2].keywords, [2]);
        assert_eq!(
            f.expunged,
            [Expunged {
                uid: 3,
                message: index.entries[1].message,
                modseq: 9
            }]
        );
        let log = f.index.expunges.clone().unwrap();
        assert_eq!(log.floor, 5);
        assert_eq!(log.uids_since(5), Some(vec![3]));
        assert_eq!(log.uids_since(9), Some(vec![]));
        assert_eq!(log.uids_since(4), None);
        // The new index is valid, and a journal started on it is current.
        let bytes = crate::StoreFile::encode(&f.index).unwrap();
        assert_eq!(&bytes[6..10], &[1, 0, 1, 0]);
        let base = JournalBase::of_index(&f.index);
        assert_eq!(
            base.belonging(&JournalBase::of_index(&f.index)),
            Belonging::Current
        );
        // The old journal is now stale for the new index.
        assert_eq!(journal.base.belonging(&base), Belonging::Stale);
        assert_eq!(base.belonging(&journal.base), Belonging::Inconsistent);
        assert_eq!(
            fold(&f.index, &journal),
            Err(FoldError::NotCurrent(Belonging::Stale))
        );
    }

    #[test]
    fn changes_to_messages_not_there_are_ignored_but_count() {
        let mut index = samples::folder_indexes()[1].clone();
        let before = index.entries.clone();
        let flags = Change::Flags(FlagChange {
            uid: 2,
            flags: SystemFlags::SEEN,
            modseq: 6,
            keywords: vec!["New".into()],
        });
        assert_eq!(apply(&mut index, &flags), Ok(vec![]));
        assert_eq!(index.entries, before);
        assert_eq!(index.highestmodseq, 6);
        assert!(
            index.keywords.len() == 2,
            "no keyword for a missing message"
        );
        let gone = Change::Expunge(ExpungedSet {
            modseq: 7,
            messages: vec![ExpungedMessage {
                uid: 2,
                message: MessageId(2),
            }],
        });
        assert_eq!(apply(&mut index, &gone), Ok(vec![]));
        assert_eq!(index.highestmodseq, 7);
        // A MODSEQ not above the folder's is refused, the index unchanged.
        let copy = index.clone();
        assert!(matches!(
            apply(&mut index, &gone),
            Err(FoldError::ModseqNotAbove { .. })
        ));
        assert_eq!(index, copy);
    }

    #[test]
    fn an_expunge_of_another_message_file_is_refused() {
        let mut index = samples::folder_indexes()[1].clone();
        let wrong = Change::Expunge(ExpungedSet {
            modseq: 6,
            messages: vec![ExpungedMessage {
                uid: 1,
                message: MessageId(99),
            }],
        });
        let copy = index.clone();
        assert!(matches!(
            apply(&mut index, &wrong),
            Err(FoldError::MessageMismatch { uid: 1, .. })
        ));
        assert_eq!(index, copy);
    }

    #[test]
    fn a_journal_of_unknown_records_still_moves_the_base() {
        let index = samples::folder_indexes()[1].clone();
        let mut journal = FolderJournal::new(JournalBase::of_index(&index));
        assert_eq!(fold(&index, &journal).unwrap().index.highestmodseq, 5);
        journal
            .changes
            .push(Change::Unknown(crate::container::UnknownRecord {
                rtype: 0x7F01,
                data: crate::types::HexBytes(vec![1]),
            }));
        let f = fold(&index, &journal).unwrap();
        assert_eq!(f.index.highestmodseq, 6);
        assert_ne!(JournalBase::of_index(&f.index), journal.base);
    }

    #[test]
    fn the_history_is_trimmed_from_the_oldest() {
        let m = |uid| ExpungedMessage {
            uid,
            message: MessageId(uid.into()),
        };
        let mut log = ExpungeLog {
            floor: 1,
            sets: vec![
                ExpungedSet {
                    modseq: 2,
                    messages: vec![m(1), m(2)],
                },
                ExpungedSet {
                    modseq: 4,
                    messages: vec![m(3)],
                },
                ExpungedSet {
                    modseq: 6,
                    messages: vec![m(4), m(5)],
                },
            ],
        };
        log.trim(5);
        assert_eq!((log.floor, log.sets.len()), (1, 3));
        log.trim(3);
        assert_eq!((log.floor, log.sets.len()), (2, 2));
        log.trim(2);
        assert_eq!((log.floor, log.sets.len()), (4, 1));
        assert_eq!(log.uids_since(4), Some(vec![4, 5]));
        assert_eq!(log.uids_since(3), None);
        log.trim(0);
        assert_eq!((log.floor, log.sets.len()), (6, 0));
    }
}
