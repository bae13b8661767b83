//! Fuzz target: the folder journal reader (SPEC.md 8.1). Any input: an
//! error or a value, never a panic; a value read writes (without its torn
//! tail) and reads back to itself; reading from the cursor after the BASE
//! gives the same changes; folding it into an empty index of its base
//! never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore_formats::StoreFile;
use popstore_formats::fold::fold;
use popstore_formats::folder::FolderIndex;
use popstore_formats::folder_journal::{Cursor, FolderJournal, HEAD_LEN, read_base, read_since};

fuzz_target!(|data: &[u8]| {
    let _ = popstore_formats::folder_journal::salvage(data);
    let Ok((mut v, cursor)) = FolderJournal::read(data) else {
        return;
    };
    let base = read_base(data).expect("a journal that reads has a head");
    assert_eq!(base, v.base);
    let since = read_since(&Cursor::start(base), &data[HEAD_LEN..]).expect("the same rules");
    assert_eq!(since.changes, v.changes);
    assert_eq!(since.cursor, cursor);
    let bytes = v.encode().expect("a value read can be written");
    let back = FolderJournal::decode(&bytes).expect("what was written reads");
    v.torn_tail = 0;
    assert_eq!(back, v);
    let index = FolderIndex {
        folder_id: 1,
        uidvalidity: v.base.uidvalidity,
        uidnext: v.base.uidnext,
        highestmodseq: v.base.highestmodseq,
        ..FolderIndex::default()
    };
    if let Ok(f) = fold(&index, &v) {
        f.index.encode().expect("a folded index can be written");
    }
});
