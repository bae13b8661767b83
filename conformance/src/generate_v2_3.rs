//! Makes the fixtures added with format 2.3's `folder-freed` feature: folder
//! journals with FREED records (SPEC.md 8.1; valid, cut off by a torn
//! tail, and breaking the rule), and the descriptor with the feature. Used
//! by the `generate-fixtures` binary, which never overwrites a file.

use popstore_formats::descriptor::StoreFlags;
use popstore_formats::folder::{ExpungedMessage, ExpungedSet, SystemFlags};
use popstore_formats::folder_journal::{Append, Change, Freed, JournalBase, head_bytes};
use popstore_formats::layout::MessageId;
use popstore_formats::{FileKind, StoreFile, samples};

use crate::generate::Fixture;

/// The version folder of these fixtures.
const V: &str = "v2.3";

fn journal_file(base: &JournalBase, changes: &[Change]) -> Vec<u8> {
    let mut out = head_bytes(base);
    for c in changes {
        out.extend_from_slice(&c.framed().expect("record"));
    }
    out
}

/// A journal on an index of UIDs 1 to 3 (UIDNEXT 4, HIGHESTMODSEQ 5): an
/// APPEND of UID 4, then an EXPUNGE of index entries 1 and 3 announced by
/// a FREED record of their sizes, then an EXPUNGE of UID 4 (a journal
/// APPEND: nothing freed of the index, so no FREED record).
fn changes() -> (JournalBase, Vec<Change>) {
    let base = JournalBase {
        uidvalidity: 1_764_900_000,
        uidnext: 4,
        highestmodseq: 5,
    };
    let msg = |uid: u32| MessageId(0x0000_0193_0000_0000 + u64::from(uid));
    let gone = |uid: u32| ExpungedMessage {
        uid,
        message: msg(uid),
    };
    let changes = vec![
        Change::Append(Append {
            uid: 4,
            flags: SystemFlags::SEEN,
            internal_date: 1_764_900_004,
            size: 1004,
            modseq: 6,
            message: msg(4),
            keywords: vec![],
        }),
        Change::Freed(Freed {
            modseq: 7,
            bytes: 1001 + 1003,
        }),
        Change::Expunge(ExpungedSet {
            modseq: 7,
            messages: vec![gone(1), gone(3)],
        }),
        Change::Expunge(ExpungedSet {
            modseq: 8,
            messages: vec![gone(4)],
        }),
    ];
    (base, changes)
}

/// Every fixture first made for format version 2.3.
pub fn v2_3() -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut push = |rel: String, bytes: Vec<u8>, invalid: bool| {
        out.push(Fixture {
            rel,
            bytes,
            invalid,
        })
    };
    let d = FileKind::FOLDER_JOURNAL.name().unwrap_or("unknown");
    let (base, all) = changes();
    push(format!("{V}/{d}/freed"), journal_file(&base, &all), false);
    // A crash cut the EXPUNGE after its FREED record short: the FREED
    // record is whole, its EXPUNGE a torn tail, so it counts for nothing.
    let whole = journal_file(&base, &all[..2]);
    let expunge = all[2].framed().expect("record");
    let mut torn = whole;
    torn.extend_from_slice(&expunge[..expunge.len() / 2]);
    push(
        format!("{V}/{d}/torn/freed-without-its-expunge"),
        torn,
        false,
    );
    // A FREED record must carry the next change's MODSEQ.
    let mut wrong = all.clone();
    wrong[1] = Change::Freed(Freed {
        modseq: 6,
        bytes: 2004,
    });
    push(
        format!("{V}/{d}/invalid/freed-modseq-not-the-next"),
        journal_file(&base, &wrong),
        true,
    );
    let d = FileKind::DESCRIPTOR.name().unwrap_or("unknown");
    let mut desc = samples::descriptors()[1].clone();
    desc.flags = desc.flags
        | StoreFlags::ID_MESSAGE_DIRS
        | StoreFlags::LIST_JOURNAL
        | StoreFlags::FOLDER_JOURNAL
        | StoreFlags::FOLDER_FREED;
    push(
        format!("{V}/{d}/id-message-dirs-list-journal-folder-journal-folder-freed"),
        desc.encode().expect("descriptor encodes"),
        false,
    );
    out
}
