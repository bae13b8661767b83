//! Property tests of the folder journal (SPEC.md 8.1) and of folding it
//! into its index: random folders with random valid change sequences
//! round-trip; folding equals applying the changes one by one, and
//! equals folding in two steps; reading the file as it grows, from each
//! cursor, gives every change once; torn tails are dropped; damaged files
//! never make a reader panic.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;

use popstore_formats::fold::{apply, fold_keeping, keep_expunges};
use popstore_formats::folder::{
    ExpungeLog, ExpungedMessage, ExpungedSet, FolderEntry, FolderIndex, SystemFlags,
};
use popstore_formats::folder_journal::{
    Append, Change, Cursor, FlagChange, FolderJournal, HEAD_LEN, JournalBase, read_since,
};
use popstore_formats::layout::MessageId;
use popstore_formats::{AnyFile, StoreFile};

const KEYWORDS: [&str; 4] = ["$Junk", "Work", "Büro", "$Forwarded"];

fn keyword_set(bits: u8) -> Vec<String> {
    (0..KEYWORDS.len())
        .filter(|i| bits >> i & 1 == 1)
        .map(|i| KEYWORDS[i].to_owned())
        .collect()
}

/// One change to make, resolved against the folder's state when built.
#[derive(Debug, Clone)]
enum Op {
    Append {
        flags: u32,
        keywords: u8,
        gap: u8,
    },
    Flags {
        pick: prop::sample::Index,
        flags: u32,
        keywords: u8,
    },
    Expunge {
        picks: Vec<prop::sample::Index>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u32>(), any::<u8>(), 0u8..3).prop_map(|(flags, keywords, gap)| Op::Append {
            flags,
            keywords,
            gap
        }),
        (any::<prop::sample::Index>(), any::<u32>(), any::<u8>()).prop_map(
            |(pick, flags, keywords)| Op::Flags {
                pick,
                flags,
                keywords
            }
        ),
        vec(any::<prop::sample::Index>(), 1..4).prop_map(|picks| Op::Expunge { picks }),
    ]
}

/// A folder index of version 1.0 or 1.1 with a few messages.
fn index() -> impl Strategy<Value = FolderIndex> {
    (
        1u32..u32::MAX,
        vec((1u32..4, any::<u32>(), 0u8..16), 0..8),
        0u64..1000,
        any::<bool>(),
    )
        .prop_map(|(uidvalidity, msgs, hms_extra, v11)| {
            let keywords: Vec<String> = KEYWORDS[..2].iter().map(|k| (*k).to_owned()).collect();
            let mut uid = 0;
            let entries: Vec<FolderEntry> = msgs
                .iter()
                .map(|(gap, flags, m)| {
                    uid += gap;
                    FolderEntry {
                        uid,
                        flags: SystemFlags(*flags),
                        internal_date: 1_795_000_000 + i64::from(uid),
                        size: u64::from(uid) * 100,
                        modseq: u64::from(*m),
                        message: MessageId(0x0100_0000_0000_0000 + u64::from(uid)),
                        keywords: (0..2).filter(|k| (flags >> k) & 1 == 1).collect(),
                    }
                })
                .collect();
            let mut f = FolderIndex {
                folder_id: 7,
                uidvalidity,
                uidnext: uid + 1,
                highestmodseq: 16 + hms_extra,
                name: "Work".into(),
                keywords,
                entries,
                expunges: None,
                unknown: vec![],
            };
            if v11 {
                f.expunges = Some(ExpungeLog {
                    floor: hms_extra,
                    sets: vec![],
                });
            }
            f
        })
}

/// The journal that `ops` make of `index`: every change valid, numbered
/// from the index's state.
fn build(index: &FolderIndex, ops: &[Op]) -> FolderJournal {
    let base = JournalBase::of_index(index);
    // UID -> message file, for every UID given (live or not).
    let mut given: BTreeMap<u32, (MessageId, bool)> = index
        .entries
        .iter()
        .map(|e| (e.uid, (e.message, true)))
        .collect();
    let (mut uidnext, mut modseq) = (index.uidnext.max(1), index.highestmodseq);
    let mut changes = Vec::new();
    for op in ops {
        modseq += 1;
        match op {
            Op::Append {
                flags,
                keywords,
                gap,
            } => {
                let uid = uidnext + u32::from(*gap);
                let message = MessageId(0x0200_0000_0000_0000 + u64::from(uid));
                given.insert(uid, (message, true));
                uidnext = uid + 1;
                changes.push(Change::Append(Append {
                    uid,
                    flags: SystemFlags(*flags),
                    internal_date: 1_796_000_000,
                    size: 5000 + u64::from(uid),
                    modseq,
                    message,
                    keywords: keyword_set(*keywords),
                }));
            }
            Op::Flags {
                pick,
                flags,
                keywords,
            } => {
                if uidnext == 1 {
                    modseq -= 1;
                    continue;
                }
                // Any UID below UIDNEXT: given or not, live or expunged.
                let uid = 1 + pick.index(uidnext as usize - 1) as u32;
                changes.push(Change::Flags(FlagChange {
                    uid,
                    flags: SystemFlags(*flags),
                    modseq,
                    keywords: keyword_set(*keywords),
                }));
            }
            Op::Expunge { picks } => {
                let uids: Vec<u32> = given.keys().copied().collect();
                if uids.is_empty() {
                    modseq -= 1;
                    continue;
                }
                let mut chosen: Vec<u32> =
                    picks.iter().map(|p| uids[p.index(uids.len())]).collect();
                chosen.sort_unstable();
                chosen.dedup();
                let messages = chosen
                    .iter()
                    .map(|uid| {
                        let (message, live) = given.get_mut(uid).expect("given");
                        *live = false;
                        ExpungedMessage {
                            uid: *uid,
                            message: *message,
                        }
                    })
                    .collect();
                changes.push(Change::Expunge(ExpungedSet { modseq, messages }));
            }
        }
    }
    FolderJournal {
        base,
        changes,
        torn_tail: 0,
    }
}

fn folder_and_journal() -> impl Strategy<Value = (FolderIndex, FolderJournal)> {
    (index(), vec(op(), 0..12)).prop_map(|(i, ops)| {
        let j = build(&i, &ops);
        (i, j)
    })
}

proptest! {
    #[test]
    fn journals_round_trip((index, journal) in folder_and_journal()) {
        let bytes = journal.encode().unwrap();
        let (back, cursor) = FolderJournal::read(&bytes).unwrap();
        prop_assert_eq!(&back, &journal);
        prop_assert_eq!(cursor.offset, bytes.len() as u64);
        prop_assert_eq!(back.encode().unwrap(), bytes);
        // The folded index is valid and round-trips too.
        let folded = fold_keeping(&index, &journal, usize::MAX).unwrap().index;
        let ib = folded.encode().unwrap();
        prop_assert_eq!(FolderIndex::decode(&ib).unwrap(), folded);
    }

    /// Folding is applying every change in order to the index made to keep
    /// its expunges; and folding in two steps (the second journal started
    /// on the first fold's index) gives the same folder.
    #[test]
    fn fold_equals_applying_one_by_one(
        (index, journal) in folder_and_journal(),
        split in any::<prop::sample::Index>(),
    ) {
        let folded = fold_keeping(&index, &journal, usize::MAX).unwrap();
        let mut view = index.clone();
        keep_expunges(&mut view);
        let mut expunged = Vec::new();
        for c in &journal.changes {
            expunged.extend(apply(&mut view, c).unwrap());
        }
        prop_assert_eq!(&view, &folded.index);
        prop_assert_eq!(&expunged, &folded.expunged);

        let k = split.index(journal.changes.len() + 1);
        let first = FolderJournal {
            changes: journal.changes[..k].to_vec(),
            ..journal.clone()
        };
        let mid = fold_keeping(&index, &first, usize::MAX).unwrap().index;
        let second = FolderJournal {
            base: JournalBase::of_index(&mid),
            changes: journal.changes[k..].to_vec(),
            torn_tail: 0,
        };
        let two = fold_keeping(&mid, &second, usize::MAX).unwrap().index;
        prop_assert_eq!(two, folded.index);
    }

    /// A session reading the file as it grows, from the cursor it kept,
    /// sees every change once and in order, whatever the sizes of the
    /// reads; what it has not seen whole yet is a torn tail.
    #[test]
    fn reading_as_the_file_grows_gives_every_change_once(
        (_, journal) in folder_and_journal(),
        steps in vec(1usize..80, 1..40),
    ) {
        let bytes = journal.encode().unwrap();
        let mut cursor = Cursor::start(journal.base);
        let mut seen = Vec::new();
        let mut len = HEAD_LEN;
        for s in steps.iter().chain(std::iter::once(&usize::MAX)) {
            len = len.saturating_add(*s).min(bytes.len());
            let since = read_since(&cursor, &bytes[cursor.offset as usize..len]).unwrap();
            prop_assert_eq!(since.cursor.offset + since.torn_tail, len as u64);
            seen.extend(since.changes);
            cursor = since.cursor;
        }
        prop_assert_eq!(&seen, &journal.changes);
        prop_assert_eq!(cursor, FolderJournal::read(&bytes).unwrap().1);
    }

    /// Any cut after the head reads as the whole records before it, the
    /// rest a torn tail; bytes that hold no whole record after the last
    /// one are a torn tail too.
    #[test]
    fn torn_tails_are_dropped(
        (_, journal) in folder_and_journal(),
        cut in any::<prop::sample::Index>(),
        junk in vec(any::<u8>(), 1..40),
    ) {
        let bytes = journal.encode().unwrap();
        let n = HEAD_LEN + cut.index(bytes.len() - HEAD_LEN + 1);
        let (j, cursor) = FolderJournal::read(&bytes[..n]).unwrap();
        let kept = j.encode().unwrap();
        prop_assert_eq!(&bytes[..kept.len()], &kept[..]);
        prop_assert_eq!(kept.len() as u64 + j.torn_tail, n as u64);
        prop_assert_eq!(cursor.offset, kept.len() as u64);
        prop_assert_eq!(&j.changes[..], &journal.changes[..j.changes.len()]);
        // Junk after the last record: torn, unless it holds a whole record
        // (a CRC match by chance is not worth a test failure).
        let mut more = bytes.clone();
        more.extend_from_slice(&junk);
        if let Ok(j) = FolderJournal::decode(&more) {
            prop_assert!(j.changes.len() >= journal.changes.len());
        }
    }

    /// Damaged journals: an error or a value, never a panic; a value read
    /// writes, and inspect can annotate it.
    #[test]
    fn damaged_journals_never_panic(
        (_, journal) in folder_and_journal(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut f = journal.encode().unwrap();
        for (i, b) in &edits {
            let i = i.index(f.len());
            f[i] = *b;
        }
        if let Ok(v) = AnyFile::decode(&f) {
            prop_assert!(v.encode().is_ok());
            prop_assert!(popstore_formats::annotate::annotate(&f).is_ok());
        }
        let _ = popstore_formats::folder_journal::salvage(&f);
    }
}
