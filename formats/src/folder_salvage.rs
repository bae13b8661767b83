//! What can still be read from a folder index that does not decode
//! (SPEC.md 8, "Reconstruct"): for `popstore reconstruct`, which rebuilds
//! the folder from what survives, keeping UIDs and flags where it can.
//!
//! The index has no checksum per record, only one over the whole file, so
//! a salvage trusts a record only as far as its framing and its fields
//! parse, and the rules of section 8 hold for it against what came
//! before: it walks the VAR records from the first typed record and stops
//! at the first framing failure (or the end record); after that point
//! nothing is read, since without a checksum per record a resynchronised
//! read could take garbage for an entry.

use crate::codec::{list16, parse_record, str16, u64le};
use crate::folder::{
    ExpungedSet, FolderEntry, entry, expunged_set, folder as folder_fields, rtype,
};
use crate::folder_head::FolderHead;
use crate::record::{FramingError, var_records_at};

/// Offset of the first typed record (after the 10-byte header).
const FIRST_RECORD: usize = 10;

/// What a salvage of a damaged folder index found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalvagedIndex {
    /// The FOLDER record, when it parsed (its minor is the header's when
    /// the header is whole, else 0).
    pub head: Option<FolderHead>,
    /// The keyword table (empty when the KEYWORDS record was lost).
    pub keywords: Vec<String>,
    /// The entries that parsed, by strictly ascending UID, each below the
    /// head's UIDNEXT (when the head survived); keyword indexes outside the
    /// table are dropped from their entry.
    pub entries: Vec<FolderEntry>,
    /// EXPUNGED records that parsed (in a file of any minor version: a
    /// salvage only uses them to know which message files were given up).
    pub expunges: Vec<ExpungedSet>,
    /// Bytes from the first record that could not be read to the end of
    /// the file (0 when every record up to the end record read).
    pub lost_bytes: u64,
}

/// Reads what survives of the folder index `bytes` (never fails, never
/// panics).
pub fn salvage_index(bytes: &[u8]) -> SalvagedIndex {
    let mut out = SalvagedIndex::default();
    let minor = match bytes.get(..FIRST_RECORD) {
        Some(h) if h[..6] == *b"\x08\x00PSFI" => u16::from_le_bytes([h[8], h[9]]),
        _ => 0,
    };
    let Some(rest) = bytes.get(FIRST_RECORD..) else {
        out.lost_bytes = (bytes.len() as u64).max(1);
        return out;
    };
    let mut last_uid = 0u32;
    let mut end = false;
    for r in var_records_at(rest, FIRST_RECORD) {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let at = match e {
                    FramingError::TruncatedCount { offset }
                    | FramingError::TruncatedRecord { offset, .. }
                    | FramingError::Overlong { offset, .. }
                    | FramingError::SkipPastEnd { offset } => offset,
                    FramingError::TooLongToWrite(_) => 0,
                };
                out.lost_bytes = (rest.len() - at.min(rest.len())) as u64;
                return out;
            }
        };
        let at = FIRST_RECORD + r.offset + 2;
        let Some((code, body)) = r.data.split_first_chunk::<2>() else {
            continue;
        };
        let code = u16::from_le_bytes(*code);
        match code {
            0 => {
                end = true;
                break;
            }
            rtype::FOLDER if out.head.is_none() => {
                if let Ok((folder_id, uidvalidity, uidnext, highestmodseq, name)) =
                    parse_record(code, at + 2, body, folder_fields)
                {
                    out.head = Some(FolderHead {
                        minor,
                        folder_id,
                        uidvalidity,
                        uidnext,
                        highestmodseq,
                        name,
                    });
                }
            }
            rtype::KEYWORDS if out.keywords.is_empty() => {
                if let Ok(k) = parse_record(code, at + 2, body, |i| list16(i, 2, str16)) {
                    out.keywords = k;
                }
            }
            rtype::ENTRY => {
                let Ok(mut e) = parse_record(code, at + 2, body, entry) else {
                    continue;
                };
                let below_next = out.head.as_ref().is_none_or(|h| e.uid < h.uidnext);
                if e.uid <= last_uid || !below_next {
                    continue;
                }
                let n = out.keywords.len();
                e.keywords.retain(|k| usize::from(*k) < n);
                last_uid = e.uid;
                out.entries.push(e);
            }
            rtype::EXPUNGED => {
                if let Ok(s) = parse_record(code, at + 2, body, expunged_set) {
                    out.expunges.push(s);
                }
            }
            rtype::VANISHED_FLOOR => {
                let _ = parse_record(code, at + 2, body, u64le);
            }
            _ => {}
        }
    }
    if !end {
        // No end record: the file was cut short after whole records.
        out.lost_bytes = out.lost_bytes.max(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreFile;
    use crate::samples;

    #[test]
    fn a_whole_index_salvages_to_itself() {
        for ix in samples::folder_indexes() {
            let bytes = ix.encode().unwrap();
            let s = salvage_index(&bytes);
            assert_eq!(s.head, Some(FolderHead::of(&ix)));
            assert_eq!(s.entries, ix.entries);
            assert_eq!(s.keywords, ix.keywords);
            assert_eq!(s.lost_bytes, 0);
        }
    }

    #[test]
    fn a_cut_index_keeps_the_whole_records_before_the_cut() {
        let ix = samples::folder_indexes()
            .into_iter()
            .max_by_key(|i| i.entries.len())
            .unwrap();
        let bytes = ix.encode().unwrap();
        for cut in 0..bytes.len() {
            let s = salvage_index(&bytes[..cut]);
            assert!(s.entries.len() <= ix.entries.len());
            assert_eq!(s.entries[..], ix.entries[..s.entries.len()]);
            assert!(s.lost_bytes > 0, "cut at {cut}");
        }
        // Garbage never panics.
        let mut b = bytes.clone();
        for i in (10..b.len()).step_by(7) {
            b[i] ^= 0x5A;
            let _ = salvage_index(&b);
        }
    }
}
