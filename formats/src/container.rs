//! The frame every structured (VAR) file shares (SPEC.md, "Structured
//! files"): a header record (magic, major, minor), typed records, and an
//! end record holding the record count and a CRC-32 of every byte before it.

use crate::FORMAT_MAJOR;
use crate::FORMAT_MINOR;
use crate::error::{Error, ErrorKind, WriteError};
use crate::record::{FramingError, var_records_at, write_var};
use crate::types::HexBytes;

/// Type code of the end record, the last record of every structured file.
pub const END: u16 = 0x0000;
/// Length of the header record's data: magic (4), major (2), minor (2).
pub const HEADER_LEN: usize = 8;
/// Offset of the first record after the header record.
pub const FIRST_RECORD: usize = 2 + HEADER_LEN;

/// CRC-32 (ISO-HDLC: polynomial 0x04C11DB7 reflected, initial value and
/// final xor 0xFFFFFFFF), the checksum of every popstore file.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// One record of a structured file, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Offset of the record's type code in the file.
    pub offset: usize,
    /// The type code.
    pub rtype: u16,
    /// The data after the type code.
    pub body: &'a [u8],
}

impl Record<'_> {
    /// Offset of the first byte of [`Record::body`].
    pub fn body_offset(&self) -> usize {
        self.offset + 2
    }
}

/// A record of a type this reader does not know, kept as it is so that a
/// rewrite preserves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnknownRecord {
    /// The type code.
    pub rtype: u16,
    /// The data after the type code.
    pub data: HexBytes,
}

impl UnknownRecord {
    /// Captures a record read from a file.
    pub fn from_record(r: &Record<'_>) -> Self {
        Self {
            rtype: r.rtype,
            data: HexBytes(r.body.to_vec()),
        }
    }

    /// The record's data (type code first), for the writer.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.rtype.to_le_bytes().to_vec();
        v.extend_from_slice(&self.data.0);
        v
    }
}

/// A structured file taken apart: its version and its records (without the
/// header and end records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container<'a> {
    /// Major format version.
    pub major: u16,
    /// Minor format version.
    pub minor: u16,
    /// The records between the header and the end record.
    pub records: Vec<Record<'a>>,
    /// Offset of the end record's type code.
    pub end_offset: usize,
}

/// Checks the first 10 bytes: the count word 8, the magic, a known major.
pub fn check_header(bytes: &[u8], magic: [u8; 4]) -> Result<(u16, u16), Error> {
    check_header_upto(bytes, magic, FORMAT_MAJOR)
}

/// [`check_header`] for a kind whose newest major version is `max_major`
/// (the store descriptor: 2, SPEC.md section 5).
pub fn check_header_upto(
    bytes: &[u8],
    magic: [u8; 4],
    max_major: u16,
) -> Result<(u16, u16), Error> {
    let mut expect = vec![HEADER_LEN as u8, 0];
    expect.extend_from_slice(&magic);
    let have = &bytes[..bytes.len().min(6)];
    if have != &expect[..have.len()] {
        let (offset, found) = if have.len() >= 2 && have[..2] == expect[..2] {
            (2, have[2..].to_vec())
        } else {
            (0, have.to_vec())
        };
        return Err(Error::new(
            offset,
            ErrorKind::BadMagic {
                expected: magic,
                found,
            },
        ));
    }
    if bytes.len() < FIRST_RECORD {
        return Err(Error::new(bytes.len(), ErrorKind::Truncated));
    }
    let major = u16::from_le_bytes([bytes[6], bytes[7]]);
    let minor = u16::from_le_bytes([bytes[8], bytes[9]]);
    if major > max_major {
        return Err(Error::new(6, ErrorKind::FutureVersion { major, minor }));
    }
    if major == 0 {
        return Err(Error::new(
            6,
            ErrorKind::BadValue {
                reason: "major version 0 does not exist".to_owned(),
            },
        ));
    }
    Ok((major, minor))
}

/// Reads the frame of a structured file of the kind with `magic`.
///
/// Checks, in this order: magic, version, record framing, the end record,
/// its checksum and record count, and that nothing follows it.
pub fn read_container(bytes: &[u8], magic: [u8; 4]) -> Result<Container<'_>, Error> {
    read_container_upto(bytes, magic, FORMAT_MAJOR)
}

/// [`read_container`] for a kind whose newest major version is `max_major`.
pub fn read_container_upto(
    bytes: &[u8],
    magic: [u8; 4],
    max_major: u16,
) -> Result<Container<'_>, Error> {
    let (major, minor) = check_header_upto(bytes, magic, max_major)?;
    let mut records = Vec::new();
    let tail = &bytes[FIRST_RECORD..];
    for r in var_records_at(tail, FIRST_RECORD) {
        let r = r.map_err(|e| Error::from_framing(e.shifted(FIRST_RECORD)))?;
        let offset = FIRST_RECORD + r.offset + 2;
        let Some((code, body)) = r.data.split_first_chunk::<2>() else {
            return Err(Error::new(
                offset,
                ErrorKind::BadRecord {
                    rtype: 0xFFFF,
                    reason: format!("record of {} bytes has no type code", r.data.len()),
                },
            ));
        };
        let rtype = u16::from_le_bytes(*code);
        if rtype != END {
            records.push(Record {
                offset,
                rtype,
                body,
            });
            continue;
        }
        // The end record: record count, CRC-32 of every byte before it.
        let bad = |reason: &str| {
            Error::new(
                offset,
                ErrorKind::BadRecord {
                    rtype: END,
                    reason: reason.to_owned(),
                },
            )
        };
        let Ok(fields) = <[u8; 8]>::try_from(body) else {
            return Err(bad("end record must hold 8 bytes"));
        };
        let count = u32::from_le_bytes([fields[0], fields[1], fields[2], fields[3]]);
        let stored = u32::from_le_bytes([fields[4], fields[5], fields[6], fields[7]]);
        let computed = crc32(&bytes[..offset - 2]);
        // Fuzzing builds skip checksums so mutations reach the record parsers.
        if stored != computed && !cfg!(fuzzing) {
            return Err(Error::new(
                offset + 6,
                ErrorKind::BadChecksum {
                    what: "file",
                    stored,
                    computed,
                },
            ));
        }
        if usize::try_from(count).ok() != Some(records.len()) {
            return Err(Error::new(
                offset + 2,
                ErrorKind::BadValue {
                    reason: format!(
                        "end record counts {count} records, the file holds {}",
                        records.len()
                    ),
                },
            ));
        }
        let end = FIRST_RECORD + r.offset + 2 + r.data.len();
        let end = end + end % 2;
        if end < bytes.len() {
            return Err(Error::new(
                end,
                ErrorKind::TrailingGarbage {
                    extra: (bytes.len() - end) as u64,
                },
            ));
        }
        return Ok(Container {
            major,
            minor,
            records,
            end_offset: offset,
        });
    }
    Err(Error::new(bytes.len(), ErrorKind::Truncated))
}

/// Writes a structured file: header record, `records` (each its data with
/// the type code first), end record.
pub fn write_container(magic: [u8; 4], records: &[Vec<u8>]) -> Result<Vec<u8>, WriteError> {
    write_container_version(magic, (FORMAT_MAJOR, FORMAT_MINOR), records)
}

/// [`write_container`] with the header's version `(major, minor)` given.
pub fn write_container_version(
    magic: [u8; 4],
    (major, minor): (u16, u16),
    records: &[Vec<u8>],
) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::with_capacity(64 + records.iter().map(|r| r.len() + 3).sum::<usize>());
    let mut header = magic.to_vec();
    header.extend_from_slice(&major.to_le_bytes());
    header.extend_from_slice(&minor.to_le_bytes());
    let framing = |e: FramingError| WriteError::BadValue(e.to_string());
    write_var(&mut out, &header).map_err(framing)?;
    for r in records {
        if r.len() < 2 {
            return Err(WriteError::BadValue(
                "record without a type code".to_owned(),
            ));
        }
        write_var(&mut out, r).map_err(framing)?;
    }
    let count = u32::try_from(records.len())
        .map_err(|_| WriteError::BadValue("too many records".to_owned()))?;
    let crc = crc32(&out);
    let mut end = END.to_le_bytes().to_vec();
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&crc.to_le_bytes());
    write_var(&mut out, &end).map_err(framing)?;
    Ok(out)
}

/// Puts `v` in `slot`, refusing a second record of the same type.
pub fn once<T>(slot: &mut Option<T>, r: &Record<'_>, v: T) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::new(
            r.offset,
            ErrorKind::DuplicateRecord { rtype: r.rtype },
        ));
    }
    *slot = Some(v);
    Ok(())
}

/// Takes a required record's value, or reports it missing at the end record.
pub fn required<T>(slot: Option<T>, rtype: u16, c: &Container<'_>) -> Result<T, Error> {
    slot.ok_or_else(|| Error::new(c.end_offset, ErrorKind::MissingRecord { rtype }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: [u8; 4] = *b"PSXX";

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trips_and_checks() {
        let recs = vec![vec![1, 0, 9], vec![2, 0]];
        let b = write_container(M, &recs).unwrap();
        assert_eq!(&b[..10], b"\x08\x00PSXX\x01\x00\x00\x00");
        let c = read_container(&b, M).unwrap();
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.records[0].rtype, 1);
        assert_eq!(c.records[0].body, &[9]);
        assert_eq!(c.records[0].offset, 12);
    }

    #[test]
    fn refuses_damage() {
        let b = write_container(M, &[vec![1, 0, 9]]).unwrap();
        let code = |b: &[u8]| read_container(b, M).unwrap_err().kind.code();
        assert_eq!(code(&b[..b.len() - 12]), "truncated");
        assert_eq!(code(b"\x08\x00PSYY\x01\x00\x00\x00"), "bad-magic");
        let mut f = b.clone();
        f[6] = 2;
        assert_eq!(code(&f), "future-version");
        let mut f = b.clone();
        f[14] ^= 1;
        assert_eq!(code(&f), "bad-checksum");
        let mut f = b.clone();
        f.push(0);
        assert_eq!(code(&f), "trailing-garbage");
        let mut f = b[..10].to_vec();
        f.extend_from_slice(&[0x00, 0x90]);
        assert_eq!(code(&f), "overlong-record");
        assert_eq!(code(b""), "truncated");
    }
}
