//! The cheap reader of a folder index's head (SPEC.md 8, "Reading the
//! head"): the header and the FOLDER record, which writers put first, read
//! from the first bytes of the file without reading the rest. What a
//! session checks on every command to learn whether the folder changed
//! (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) and whether the folder journal
//! belongs to the index (SPEC.md 8.1), at a cost independent of the
//! folder's size.
//!
//! The head is not covered by a checksum until the whole file is read
//! (the end record's CRC covers it): a value read here is a hint for
//! deciding what to read next, and a reader that finds it inconsistent
//! reads the whole file.

use crate::codec::parse_record;
use crate::container::{FIRST_RECORD, check_header};
use crate::error::Error;
use crate::folder::{FolderIndex, folder, rtype};
use crate::kind::StoreFile;
use crate::record::MAX_VAR_RECORD;

/// How many bytes to read first: enough for the header and a FOLDER
/// record with a folder name of up to 478 bytes.
pub const HEAD_PROBE: usize = 512;

/// The FOLDER record of an index, as read from its head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FolderHead {
    /// The file's minor version (1: it keeps its expunges).
    pub minor: u16,
    /// The folder's id.
    pub folder_id: u32,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// HIGHESTMODSEQ.
    pub highestmodseq: u64,
    /// The folder's name as the index holds it.
    pub name: String,
}

impl FolderHead {
    /// The head of a whole, decoded index.
    pub fn of(index: &FolderIndex) -> FolderHead {
        FolderHead {
            minor: if index.expunges.is_some() {
                crate::folder::MINOR_EXPUNGES
            } else {
                0
            },
            folder_id: index.folder_id,
            uidvalidity: index.uidvalidity,
            uidnext: index.uidnext,
            highestmodseq: index.highestmodseq,
            name: index.name.clone(),
        }
    }
}

/// What the first bytes of an index file tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadRead {
    /// The FOLDER record, read from the head.
    Head(FolderHead),
    /// The FOLDER record is longer than the bytes given: read this many
    /// bytes from the start of the file and ask again. When the file is
    /// shorter than that, read it whole ([`StoreFile::decode`]), which
    /// reports what is wrong with it.
    Need(usize),
    /// The head does not look as writers make it (the first record is not
    /// a well-formed FOLDER record): read the whole file, whose reader
    /// reports any error in the order of SPEC.md 4.
    ReadWhole,
}

/// Reads the FOLDER record from `prefix`, the first bytes of a folder
/// index (at least 12; [`HEAD_PROBE`] is a good first read).
///
/// Errors are those of the header checks (steps 1 to 3 of SPEC.md 4: bad
/// magic, truncated, future version), exactly as the whole file's reader
/// reports them. Nothing after the FOLDER record is looked at.
pub fn read_head(prefix: &[u8]) -> Result<HeadRead, Error> {
    if prefix.len() < FIRST_RECORD + 2 {
        // A bad magic shows in what is there (check_header reports it);
        // a short but good prefix needs more bytes.
        let shown = &prefix[..prefix.len().min(6)];
        let mut expect = vec![8u8, 0];
        expect.extend_from_slice(&FolderIndex::MAGIC);
        if shown != &expect[..shown.len()] {
            check_header(prefix, FolderIndex::MAGIC)?;
        }
        return Ok(HeadRead::Need(FIRST_RECORD + 2));
    }
    let (_, minor) = check_header(prefix, FolderIndex::MAGIC)?;
    let count = usize::from(u16::from_le_bytes([
        prefix[FIRST_RECORD],
        prefix[FIRST_RECORD + 1],
    ]));
    if !(2..=MAX_VAR_RECORD).contains(&count) {
        return Ok(HeadRead::ReadWhole);
    }
    let end = FIRST_RECORD + 2 + count;
    let Some(data) = prefix.get(FIRST_RECORD + 2..end) else {
        return Ok(HeadRead::Need(end + count % 2));
    };
    if data[..2] != rtype::FOLDER.to_le_bytes() {
        return Ok(HeadRead::ReadWhole);
    }
    let at = FIRST_RECORD + 4;
    let Ok((folder_id, uidvalidity, uidnext, highestmodseq, name)) =
        parse_record(rtype::FOLDER, at, &data[2..], folder)
    else {
        return Ok(HeadRead::ReadWhole);
    };
    Ok(HeadRead::Head(FolderHead {
        minor,
        folder_id,
        uidvalidity,
        uidnext,
        highestmodseq,
        name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    #[test]
    fn reads_the_folder_record_from_the_head_only() {
        for f in samples::folder_indexes() {
            let bytes = f.encode().unwrap();
            let want = FolderHead::of(&f);
            // Any prefix that holds the FOLDER record is enough; a shorter
            // one asks for what it needs.
            let mut n = 0;
            let got = loop {
                match read_head(&bytes[..n.min(bytes.len())]).unwrap() {
                    HeadRead::Head(h) => break h,
                    HeadRead::Need(m) => {
                        assert!(m > n, "needs {m} after {n}");
                        n = m;
                    }
                    HeadRead::ReadWhole => panic!("sample read whole"),
                }
            };
            assert_eq!(got, want);
            // The rest of the file is not looked at.
            let mut damaged = bytes.clone();
            let last = damaged.len() - 1;
            damaged[last] ^= 0xFF;
            assert_eq!(read_head(&damaged).unwrap(), HeadRead::Head(want));
        }
    }

    #[test]
    fn header_errors_are_the_whole_readers() {
        let bytes = samples::folder_indexes()[1].encode().unwrap();
        for cut in [0, 1, 3, 6, 9] {
            let r = read_head(&bytes[..cut]);
            assert_eq!(r, Ok(HeadRead::Need(12)), "cut {cut}");
        }
        let mut bad = bytes.clone();
        bad[3] = b'X';
        let whole = FolderIndex::decode(&bad).unwrap_err();
        assert_eq!(read_head(&bad).unwrap_err(), whole);
        assert_eq!(read_head(&bad[..4]).unwrap_err().kind.code(), "bad-magic");
        let mut future = bytes.clone();
        future[6] = 9;
        assert_eq!(
            read_head(&future).unwrap_err().kind.code(),
            "future-version"
        );
        // A first record that is not FOLDER: read the whole file.
        let mut other = bytes.clone();
        other[12] = 3;
        assert_eq!(read_head(&other), Ok(HeadRead::ReadWhole));
    }
}
