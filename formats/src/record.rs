//! RMS record framing (SPEC.md, "Record framing").
//!
//! Variable-length (VAR) records: a 2-byte little-endian count of the data
//! bytes (0 to 32767), the data, and one pad byte (written 0x00, read as
//! anything) when the count is odd, so every count starts at an even offset.
//! A count of 0xFFFF means "the rest of this 512-byte block is unused;
//! continue at the next block" (RMS writes it in files with the BLK
//! attribute; readers honour it always). Fixed-length records of 512 bytes
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
    /// A record handed to the writer is too long.
    #[error("record of {0} bytes exceeds {MAX_VAR_RECORD}")]
    TooLongToWrite(usize),
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

/// Iterates over the VAR records of `bytes`; stops after the first error.
pub fn var_records(bytes: &[u8]) -> VarRecords<'_> {
    VarRecords {
        bytes,
        pos: 0,
        failed: false,
    }
}

/// Iterator returned by [`var_records`].
#[derive(Debug, Clone)]
pub struct VarRecords<'a> {
    bytes: &'a [u8],
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
                self.pos = (offset / BLOCK + 1) * BLOCK;
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
