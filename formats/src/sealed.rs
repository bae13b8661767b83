//! Framing of an appended file whose records each end in their own CRC-32
//! (SPEC.md 8.1, "Reading"; the rules of 7.1): the folder journal reads
//! its records through this module, from the start of the file or from
//! any record boundary a session stopped at.
//!
//! Block skips (a count of 0xFFFF, SPEC.md 3.1) go to the next multiple of
//! 512 of the *file* offset; a skip whose next block starts past the end
//! of the file is a record that is not whole (a framing failure at its
//! count word), so whole records after it prove corruption.

use crate::container::crc32;
use crate::error::{Error, ErrorKind};
use crate::record::{BLOCK, MAX_VAR_RECORD, SKIP_TO_NEXT_BLOCK, var_framed_len};

/// Size of the CRC-32 that ends every record after the header.
pub const CRC_LEN: usize = 4;

/// Bytes of CRC work [`whole_record_after`] may do before it gives up and
/// answers "yes" (the safe answer: an error rather than dropped records).
/// Real journals are folded long before it matters.
const SCAN_BUDGET: usize = 64 << 20;

/// Appends the CRC-32 of `data` (type code and fields) to it: the data of
/// one sealed record.
pub fn seal(mut data: Vec<u8>) -> Vec<u8> {
    let crc = crc32(&data);
    data.extend_from_slice(&crc.to_le_bytes());
    data
}

/// One record of an appended file: whole and checked, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A whole record whose CRC matches.
    Whole {
        /// File offset of the record's count word.
        start: usize,
        /// File offset of the record's data (its type code).
        at: usize,
        /// The type code.
        rtype: u16,
        /// The fields (after the type code, CRC removed).
        body: &'a [u8],
        /// File offset right after the record (and its pad byte).
        end: usize,
    },
    /// Not whole: framing failed at `start` (the file ends inside the count
    /// word or the data, an overlong count, a skip past the end), or the
    /// record is too short for a type code and a CRC, or its CRC does not
    /// match. `error` is what it is, should it not be a torn tail.
    Failed {
        /// File offset of the record's count word.
        start: usize,
        /// Its error.
        error: Error,
    },
}

/// The records of `bytes`, which start at file offset `origin` (even), up
/// to and including the first one that is not whole and checked.
pub(crate) fn frames(bytes: &[u8], origin: usize) -> Vec<Frame<'_>> {
    let mut out = Vec::new();
    let end = origin + bytes.len();
    let mut p = origin;
    let local = |abs: usize| abs - origin;
    while p < end {
        let failed = |error| Frame::Failed { start: p, error };
        let Some(c) = bytes.get(local(p)..local(p) + 2) else {
            out.push(failed(Error::new(p, ErrorKind::Truncated)));
            break;
        };
        let n = u16::from_le_bytes([c[0], c[1]]);
        if n == SKIP_TO_NEXT_BLOCK {
            let next = (p / BLOCK + 1) * BLOCK;
            if next > end {
                out.push(failed(Error::new(p, ErrorKind::Truncated)));
                break;
            }
            p = next;
            continue;
        }
        let n = usize::from(n);
        if n > MAX_VAR_RECORD {
            out.push(failed(Error::new(p, ErrorKind::Overlong { len: n })));
            break;
        }
        let fend = p + var_framed_len(n);
        if fend > end {
            out.push(failed(Error::new(p, ErrorKind::Truncated)));
            break;
        }
        let data = &bytes[local(p) + 2..local(p) + 2 + n];
        let at = p + 2;
        match check(data, at) {
            Ok((rtype, body)) => out.push(Frame::Whole {
                start: p,
                at,
                rtype,
                body,
                end: fend,
            }),
            Err(error) => {
                out.push(failed(error));
                break;
            }
        }
        p = fend;
    }
    out
}

/// Splits a record's data into type code and fields after checking its
/// length and CRC; `at` is the file offset of `data[0]`.
fn check(data: &[u8], at: usize) -> Result<(u16, &[u8]), Error> {
    let Some(split) = data.len().checked_sub(CRC_LEN).filter(|n| *n >= 2) else {
        return Err(Error::new(
            at,
            ErrorKind::BadRecord {
                rtype: 0xFFFF,
                reason: format!(
                    "record of {} bytes is too short for a type code and a CRC",
                    data.len()
                ),
            },
        ));
    };
    let (fields, crc) = data.split_at(split);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32(fields);
    // Fuzzing builds skip checksums so mutations reach the parsers.
    if stored != computed && !cfg!(fuzzing) {
        return Err(Error::new(
            at + split,
            ErrorKind::BadChecksum {
                what: "record",
                stored,
                computed,
            },
        ));
    }
    Ok((u16::from_le_bytes([fields[0], fields[1]]), &fields[2..]))
}

/// The whole, checked record whose count word is at `q` (an index into
/// `bytes`), if there is one (a count n from 6 to 32767, n data bytes
/// ending with the CRC-32 of the others): its type code and fields.
/// `budget` is charged the bytes checked.
pub(crate) fn whole_at<'a>(
    bytes: &'a [u8],
    q: usize,
    budget: &mut usize,
) -> Option<(u16, &'a [u8])> {
    let count = bytes.get(q..q + 2)?;
    let n = usize::from(u16::from_le_bytes([count[0], count[1]]));
    if !(2 + CRC_LEN..=MAX_VAR_RECORD).contains(&n) {
        return None;
    }
    let data = bytes.get(q + 2..q + 2 + n)?;
    *budget = budget.saturating_sub(n);
    check(data, 0).ok()
}

/// True when a whole record with a matching CRC starts at some even file
/// offset at or after `from` in `bytes` (which starts at file offset
/// `origin`, even). A torn append is the end of the file: nothing whole
/// follows it.
pub(crate) fn whole_record_after(bytes: &[u8], origin: usize, from: usize) -> bool {
    let mut budget = SCAN_BUDGET;
    let from = from.max(origin);
    let mut q = from + from % 2 - origin;
    while q + 2 <= bytes.len() {
        if whole_at(bytes, q, &mut budget).is_some() || budget == 0 {
            return true;
        }
        q += 2;
    }
    false
}

/// Every whole, checked record found at an even offset of `bytes` from
/// index `from` on, whatever lies between them, in file order: the index
/// of its count word, its type code and its fields. For salvaging a
/// corrupt journal.
pub(crate) fn scan_whole(bytes: &[u8], from: usize) -> Vec<(usize, u16, &[u8])> {
    let mut budget = SCAN_BUDGET;
    let mut out = Vec::new();
    let mut q = from + from % 2;
    while q + 2 <= bytes.len() && budget > 0 {
        match whole_at(bytes, q, &mut budget) {
            Some((rtype, body)) => {
                out.push((q, rtype, body));
                q += var_framed_len(2 + body.len() + CRC_LEN);
            }
            None => q += 2,
        }
    }
    out
}

/// Decides what a record that is not whole is (SPEC.md 7.1 and 8.1): a
/// torn tail (its length returned) when no whole, checked record starts
/// at an even offset after its count word, else its own error.
pub(crate) fn torn_or_error(
    bytes: &[u8],
    origin: usize,
    start: usize,
    error: &Error,
) -> Result<u64, Error> {
    if whole_record_after(bytes, origin, start + 2) {
        return Err(error.clone());
    }
    Ok((origin + bytes.len() - start) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::write_var;

    fn file(records: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        write_var(&mut out, b"PSXJ\x01\x00\x00\x00").unwrap();
        for r in records {
            write_var(&mut out, &seal(r.to_vec())).unwrap();
        }
        out
    }

    #[test]
    fn frames_read_from_any_boundary() {
        let b = file(&[b"\x01\x00abc", b"\x02\x00de"]);
        let all = frames(&b[10..], 10);
        assert_eq!(all.len(), 2);
        let Frame::Whole { end, .. } = all[0] else {
            panic!("{all:?}")
        };
        let rest = frames(&b[end..], end);
        assert_eq!(rest.len(), 1);
        assert!(matches!(
            rest[0],
            Frame::Whole {
                rtype: 2,
                body: b"de",
                ..
            }
        ));
    }

    #[test]
    fn a_skip_goes_to_the_next_block_of_the_file() {
        let mut b = file(&[b"\x01\x00abc"]);
        b.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
        b.resize(BLOCK, 0xAA);
        write_var(&mut b, &seal(b"\x02\x00z".to_vec())).unwrap();
        let f = frames(&b[10..], 10);
        assert!(matches!(f[1], Frame::Whole { start: BLOCK, .. }), "{f:?}");
        // A skip whose block the file ends in is not whole.
        let cut = &b[..BLOCK - 10];
        let f = frames(&cut[10..], 10);
        assert!(matches!(f.last(), Some(Frame::Failed { .. })), "{f:?}");
    }

    #[test]
    fn torn_only_when_nothing_whole_follows() {
        let b = file(&[b"\x01\x00abc", b"\x02\x00de", b"\x03\x00f"]);
        let f = frames(&b[10..], 10);
        let Frame::Whole { end, .. } = f[0] else {
            panic!()
        };
        let e = Error::new(end, ErrorKind::Truncated);
        assert!(torn_or_error(&b[10..], 10, end, &e).is_err());
        let Frame::Whole { start, .. } = f[2] else {
            panic!()
        };
        assert_eq!(
            torn_or_error(&b[10..], 10, start, &e),
            Ok((b.len() - start) as u64)
        );
        assert_eq!(scan_whole(&b, 10).len(), 3);
    }
}
