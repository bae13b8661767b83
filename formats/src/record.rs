//! RMS record framing (SPEC.md, "Record framing").
//!
//! Variable-length (VAR) records: a 2-byte little-endian count of the data
//! bytes (0 to 32767), the data, and one pad byte (written 0x00, read as
//! anything) when the count is odd, so every count starts at an even offset.
//! A count of 0xFFFF means "the rest of this 512-byte block is unused;
//! continue at the next block" (RMS writes it in files with the BLK
//! attribute; readers honour it always). Blocks are counted from the first
//! byte of the file (SPEC.md 3.1), also when the records read start later
//! (after a header record, inside a message file's header): see
//! [`var_records_at`]. A skip whose next block starts past the end of the
//! bytes read is a record that is not whole. Fixed-length records of 512 bytes
//! (FIX 512) need no framing: the file is a whole number of blocks.

/// Size of an RMS block, and of a FIX 512 record.
pub const BLOCK: usize = 512;
/// Largest data length of one VAR record.
pub const MAX_VAR_RECORD: usize = 32767;
/// The count word that skips to the next block.
pub const SKIP_TO_NEXT_BLOCK: u16 = 0xFFFF;

/// A framing error, with the byte offset where the bad record starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The file ends inside a count word.
    #[error("offset {offset}: file ends inside a record length")]
    TruncatedCount {
        /// Offset of the count word.
        offset: usize,
    },
    /// The file ends inside a record's data or before its pad byte.
    #[error("offset {offset}: record of {len} bytes runs past the end of the file")]
    TruncatedRecord {
        /// Offset of the count word.
        offset: usize,
        /// The declared data length.
        len: usize,
    },
    /// A count above 32767 that is not 0xFFFF.
    #[error("offset {offset}: record length {len} exceeds {MAX_VAR_RECORD}")]
    Overlong {
        /// Offset of the count word.
        offset: usize,
        /// The declared data length.
        len: usize,
    },
    /// A block skip (count 0xFFFF) whose next block starts past the end of
    /// the bytes read: the file ends inside the skipped block.
    #[error("offset {offset}: block skip runs past the end of the file")]
    SkipPastEnd {
        /// Offset of the count word.
        offset: usize,
    },
    /// A record handed to the writer is too long.
    #[error("record of {0} bytes exceeds {MAX_VAR_RECORD}")]
    TooLongToWrite(usize),
}

impl FramingError {
    /// The same error with its offset moved by `by` (from an offset in a
    /// slice to one in the file).
    pub fn shifted(self, by: usize) -> Self {
        match self {
            FramingError::TruncatedCount { offset } => FramingError::TruncatedCount {
                offset: offset + by,
            },
            FramingError::TruncatedRecord { offset, len } => FramingError::TruncatedRecord {
                offset: offset + by,
                len,
            },
            FramingError::Overlong { offset, len } => FramingError::Overlong {
                offset: offset + by,
                len,
            },
            FramingError::SkipPastEnd { offset } => FramingError::SkipPastEnd {
                offset: offset + by,
            },
            other @ FramingError::TooLongToWrite(_) => other,
        }
    }
}

/// Appends one VAR record holding `data` to `out`.
pub fn write_var(out: &mut Vec<u8>, data: &[u8]) -> Result<(), FramingError> {
    let len = data.len();
    if len > MAX_VAR_RECORD {
        return Err(FramingError::TooLongToWrite(len));
    }
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(data);
    if len % 2 == 1 {
        out.push(0);
    }
    Ok(())
}

/// The framed size of a VAR record of `len` data bytes.
pub fn var_framed_len(len: usize) -> usize {
    2 + len + len % 2
}

/// One record read from a VAR file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarRecord<'a> {
    /// Offset of the record's count word in the file.
    pub offset: usize,
    /// The record's data bytes.
    pub data: &'a [u8],
}

/// Iterates over the VAR records of `bytes`, a whole file (or one that
/// starts at a block boundary); stops after the first error.
pub fn var_records(bytes: &[u8]) -> VarRecords<'_> {
    var_records_at(bytes, 0)
}

/// Iterates over the VAR records of `bytes`, which start at file offset
/// `origin`: a block skip goes to the next multiple of 512 of the *file*
/// offset. Offsets in the items and errors are indexes into `bytes`.
pub fn var_records_at(bytes: &[u8], origin: usize) -> VarRecords<'_> {
    VarRecords {
        bytes,
        origin,
        pos: 0,
        failed: false,
    }
}

/// Iterator returned by [`var_records`].
#[derive(Debug, Clone)]
pub struct VarRecords<'a> {
    bytes: &'a [u8],
    origin: usize,
    pos: usize,
    failed: bool,
}

impl<'a> Iterator for VarRecords<'a> {
    type Item = Result<VarRecord<'a>, FramingError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed || self.pos >= self.bytes.len() {
                return None;
            }
            let offset = self.pos;
            let Some(count) = self.bytes.get(offset..offset + 2) else {
                self.failed = true;
                return Some(Err(FramingError::TruncatedCount { offset }));
            };
            let len = u16::from_le_bytes([count[0], count[1]]);
            if len == SKIP_TO_NEXT_BLOCK {
                let file_offset = self.origin + offset;
                let next = (file_offset / BLOCK + 1) * BLOCK - self.origin;
                if next > self.bytes.len() {
                    self.failed = true;
                    return Some(Err(FramingError::SkipPastEnd { offset }));
                }
                self.pos = next;
                continue;
            }
            let len = usize::from(len);
            if len > MAX_VAR_RECORD {
                self.failed = true;
                return Some(Err(FramingError::Overlong { offset, len }));
            }
            let end = offset + var_framed_len(len);
            if end > self.bytes.len() {
                self.failed = true;
                return Some(Err(FramingError::TruncatedRecord { offset, len }));
            }
            self.pos = end;
            return Some(Ok(VarRecord {
                offset,
                data: &self.bytes[offset + 2..offset + 2 + len],
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_odd_records_to_even() {
        let mut out = Vec::new();
        write_var(&mut out, b"abc").unwrap();
        write_var(&mut out, b"").unwrap();
        write_var(&mut out, b"de").unwrap();
        assert_eq!(out, b"\x03\x00abc\x00\x00\x00\x02\x00de");
        let recs: Vec<_> = var_records(&out).map(|r| r.unwrap().data).collect();
        assert_eq!(recs, vec![&b"abc"[..], b"", b"de"]);
    }

    #[test]
    fn honours_skip_to_next_block() {
        let mut out = Vec::new();
        write_var(&mut out, b"x").unwrap();
        out.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
        out.resize(BLOCK, 0xAA);
        write_var(&mut out, b"y").unwrap();
        let recs: Vec<_> = var_records(&out).map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].offset, BLOCK);
        assert_eq!(recs[1].data, b"y");
    }

    #[test]
    fn skips_count_blocks_from_the_start_of_the_file() {
        // Records read from file offset 10: a skip at 12 goes to 512.
        let mut out = Vec::new();
        write_var(&mut out, b"x").unwrap();
        out.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
        out.resize(BLOCK - 10, 0xAA);
        write_var(&mut out, b"y").unwrap();
        let recs: Vec<_> = var_records_at(&out, 10).map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].offset + 10, BLOCK);
        // A skip whose next block starts past the end is not whole.
        let cut = &out[..BLOCK - 12];
        let last = var_records_at(cut, 10).last();
        assert_eq!(last, Some(Err(FramingError::SkipPastEnd { offset: 4 })));
        // One that ends exactly at the end of the file ends it cleanly.
        let exact = &out[..BLOCK - 10];
        assert_eq!(var_records_at(exact, 10).count(), 1);
    }

    #[test]
    fn reports_truncation_and_overlong_counts() {
        assert_eq!(
            var_records(b"\x05").next(),
            Some(Err(FramingError::TruncatedCount { offset: 0 }))
        );
        assert_eq!(
            var_records(b"\x03\x00abc").next(),
            Some(Err(FramingError::TruncatedRecord { offset: 0, len: 3 }))
        );
        assert_eq!(
            var_records(b"\x00\x80").next(),
            Some(Err(FramingError::Overlong {
                offset: 0,
                len: 32768
            }))
        );
        assert_eq!(
            write_var(&mut Vec::new(), &[0; 32768]),
            Err(FramingError::TooLongToWrite(32768))
        );
    }
}
