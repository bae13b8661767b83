//! The message-list journal, `MESSAGES.PMJ` beside a user's message list
//! (SPEC.md 7.1): references delivered since the list was last replaced,
//! appended one record each, so a delivery costs one append and not a
//! rewrite of the whole list.
//!
//! Unlike the other structured files it has no end record (it grows by
//! appends); each record after the header carries its own CRC-32. A torn
//! append (a crash while appending) leaves a tail that is not a whole,
//! checked record: readers drop it and report its length, and writers fold
//! the journal into the list rather than append after it.

use crate::codec::{Enc, parse_record, u64le};
use crate::container::{FIRST_RECORD, UnknownRecord, check_header, crc32};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::msglist::{Entry, entry, entry_fields, valid_uidl};
use crate::record::{var_records, write_var};

/// Record types of the journal.
pub mod rtype {
    /// The journal's base (required, once, first).
    pub const JOURNAL: u16 = 0x0001;
    /// One reference (the message list's ENTRY fields).
    pub const ENTRY: u16 = 0x0002;
}

/// Size of the CRC-32 that ends every record after the header.
const CRC_LEN: usize = 4;

/// A message-list journal.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MessageJournal {
    /// The list's next-UIDL number when the journal was started: the
    /// journal belongs to the list only while the two are equal.
    pub base: u64,
    /// The references appended, in delivery order.
    pub entries: Vec<Entry>,
    /// Records of types this reader does not know (checked, kept in order
    /// after the entries; dropped when the journal is folded).
    pub unknown: Vec<UnknownRecord>,
    /// Bytes at the end that are not a whole, checked record: a torn
    /// append, never acknowledged. Not written back.
    pub torn_tail: u64,
}

/// The record data (type code, fields, CRC-32) of the JOURNAL record.
pub fn base_record(base: u64) -> Vec<u8> {
    let mut e = Enc::record(rtype::JOURNAL);
    e.u64(base);
    sealed(e.into_bytes())
}

/// The record data (type code, fields, CRC-32) of one ENTRY record: what a
/// delivery appends.
pub fn entry_record(m: &Entry) -> Result<Vec<u8>, WriteError> {
    if !valid_uidl(&m.uidl) {
        return Err(WriteError::BadValue(format!(
            "UIDL {:?} is invalid",
            m.uidl
        )));
    }
    let mut e = Enc::record(rtype::ENTRY);
    entry_fields(&mut e, m)?;
    let data = sealed(e.into_bytes());
    if data.len() > crate::record::MAX_VAR_RECORD {
        return Err(WriteError::BadValue("entry record too long".to_owned()));
    }
    Ok(data)
}

/// Appends the CRC-32 of `data` to it.
fn sealed(mut data: Vec<u8>) -> Vec<u8> {
    let crc = crc32(&data);
    data.extend_from_slice(&crc.to_le_bytes());
    data
}

/// A whole record read from the journal: its file offset (of the data),
/// type code and fields (CRC removed), or why it is not whole.
enum Read<'a> {
    Whole {
        at: usize,
        rtype: u16,
        body: &'a [u8],
    },
    BadCrc {
        /// The record's count word.
        start: usize,
        /// The CRC field (or the record's data when it is too short).
        at: usize,
        stored: u32,
        computed: u32,
    },
    /// Framing failed at this offset: the rest is a torn tail.
    Torn(usize),
}

fn records(bytes: &[u8]) -> Vec<Read<'_>> {
    let mut out = Vec::new();
    for r in var_records(&bytes[FIRST_RECORD..]) {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                out.push(Read::Torn(FIRST_RECORD + framing_offset(&e)));
                break;
            }
        };
        let start = FIRST_RECORD + r.offset;
        let at = start + 2;
        let Some(split) = r.data.len().checked_sub(CRC_LEN).filter(|n| *n >= 2) else {
            out.push(Read::BadCrc {
                start,
                at,
                stored: 0,
                computed: 0,
            });
            continue;
        };
        let (data, crc) = r.data.split_at(split);
        let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let computed = crc32(data);
        if stored != computed && !cfg!(fuzzing) {
            out.push(Read::BadCrc {
                start,
                at: at + split,
                stored,
                computed,
            });
            continue;
        }
        out.push(Read::Whole {
            at,
            rtype: u16::from_le_bytes([data[0], data[1]]),
            body: &data[2..],
        });
    }
    out
}

fn framing_offset(e: &crate::record::FramingError) -> usize {
    use crate::record::FramingError as F;
    match e {
        F::TruncatedCount { offset } | F::TruncatedRecord { offset, .. } => *offset,
        F::Overlong { offset, .. } => *offset,
        F::TooLongToWrite(_) => 0,
    }
}

impl StoreFile for MessageJournal {
    const MAGIC: [u8; 4] = *b"PSMJ";
    const KIND: FileKind = FileKind::MESSAGE_JOURNAL;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        check_header(bytes, Self::MAGIC)?;
        let recs = records(bytes);
        let last = recs.len().saturating_sub(1);
        let mut j = MessageJournal::default();
        let mut base = None;
        let mut seen = std::collections::HashSet::new();
        for (i, r) in recs.iter().enumerate() {
            let (at, rt, body) = match *r {
                Read::Torn(off) => {
                    j.torn_tail = (bytes.len() - off) as u64;
                    break;
                }
                // A bad last record is a torn append (the JOURNAL record is
                // made whole by an exclusive create, so it never is).
                Read::BadCrc { start, .. } if i == last && i > 0 => {
                    j.torn_tail = (bytes.len() - start) as u64;
                    break;
                }
                Read::BadCrc {
                    at,
                    stored,
                    computed,
                    ..
                } => {
                    return Err(Error::new(
                        at,
                        ErrorKind::BadChecksum {
                            what: "record",
                            stored,
                            computed,
                        },
                    ));
                }
                Read::Whole { at, rtype, body } => (at, rtype, body),
            };
            match (i, rt) {
                (0, rtype::JOURNAL) => base = Some(parse_record(rt, at + 2, body, u64le)?),
                (0, _) => {
                    return Err(Error::new(
                        at,
                        ErrorKind::MissingRecord {
                            rtype: rtype::JOURNAL,
                        },
                    ));
                }
                (_, rtype::JOURNAL) => {
                    return Err(Error::new(
                        at,
                        ErrorKind::DuplicateRecord {
                            rtype: rtype::JOURNAL,
                        },
                    ));
                }
                (_, rtype::ENTRY) => {
                    let e = parse_record(rt, at + 2, body, entry)?;
                    if !valid_uidl(&e.uidl) || !seen.insert(e.uidl.clone()) {
                        return Err(Error::new(
                            at + 30,
                            ErrorKind::BadValue {
                                reason: format!("UIDL {:?} is invalid or repeated", e.uidl),
                            },
                        ));
                    }
                    j.entries.push(e);
                }
                (_, other) => {
                    j.unknown.push(UnknownRecord {
                        rtype: other,
                        data: crate::types::HexBytes(body.to_vec()),
                    });
                }
            }
        }
        let Some(b) = base else {
            // No whole JOURNAL record: the file is shorter than its creation.
            return Err(Error::new(FIRST_RECORD, ErrorKind::Truncated));
        };
        j.base = b;
        Ok(j)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        let framing = |e: crate::record::FramingError| WriteError::BadValue(e.to_string());
        let mut out = Vec::new();
        let mut header = Self::MAGIC.to_vec();
        header.extend_from_slice(&1u16.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        write_var(&mut out, &header).map_err(framing)?;
        write_var(&mut out, &base_record(self.base)).map_err(framing)?;
        let mut seen = std::collections::HashSet::new();
        for m in &self.entries {
            if !seen.insert(m.uidl.as_str()) {
                return Err(WriteError::BadValue(format!(
                    "UIDL {:?} is repeated",
                    m.uidl
                )));
            }
            write_var(&mut out, &entry_record(m)?).map_err(framing)?;
        }
        for u in &self.unknown {
            write_var(&mut out, &sealed(u.encode())).map_err(framing)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::MessageId;
    use crate::msglist::EntryFlags;
    use crate::record::var_framed_len;

    fn entry_n(n: u64) -> Entry {
        Entry {
            message: MessageId(0x0012_3456_0000_0000 + n),
            size: 4096 + n,
            delivered: Some(1_790_000_000 + n as i64),
            flags: EntryFlags::default(),
            uidl: format!("M{n:03}.{n}"),
        }
    }

    fn journal(n: u64) -> MessageJournal {
        MessageJournal {
            base: 7,
            entries: (0..n).map(entry_n).collect(),
            ..MessageJournal::default()
        }
    }

    #[test]
    fn round_trips_and_appends_are_records() {
        let j = journal(3);
        let bytes = j.encode().unwrap();
        assert_eq!(MessageJournal::decode(&bytes).unwrap(), j);
        // Appending one record to the file is the same as encoding 4.
        let mut appended = bytes.clone();
        write_var(&mut appended, &entry_record(&entry_n(3)).unwrap()).unwrap();
        assert_eq!(appended, journal(4).encode().unwrap());
    }

    #[test]
    fn a_torn_append_is_dropped_and_measured() {
        let whole = journal(2).encode().unwrap();
        let three = journal(3).encode().unwrap();
        for cut in whole.len() + 1..three.len() {
            let j = MessageJournal::decode(&three[..cut]).unwrap();
            assert_eq!(j.entries, journal(2).entries, "cut at {cut}");
            assert_eq!(j.torn_tail, (cut - whole.len()) as u64, "cut at {cut}");
        }
        // A whole last record with a bad CRC (its data not all written).
        let mut bad = three.clone();
        let n = bad.len();
        bad[n - 8] ^= 0x40;
        let j = MessageJournal::decode(&bad).unwrap();
        assert_eq!(j.entries.len(), 2);
        assert_eq!(j.torn_tail, (three.len() - whole.len()) as u64);
    }

    #[test]
    fn a_bad_record_before_the_last_is_corruption() {
        let mut bytes = journal(3).encode().unwrap();
        let first_entry = FIRST_RECORD + var_framed_len(base_record(7).len());
        bytes[first_entry + 4] ^= 1;
        let e = MessageJournal::decode(&bytes).unwrap_err();
        assert_eq!(e.kind.code(), "bad-checksum");
    }

    #[test]
    fn needs_its_base_record_first() {
        let bytes = journal(0).encode().unwrap();
        let e = MessageJournal::decode(&bytes[..FIRST_RECORD + 3]).unwrap_err();
        assert_eq!(e.kind.code(), "truncated");
        let mut other = bytes[..FIRST_RECORD].to_vec();
        write_var(&mut other, &entry_record(&entry_n(1)).unwrap()).unwrap();
        let e = MessageJournal::decode(&other).unwrap_err();
        assert_eq!(e.kind.code(), "missing-record");
        let mut future = bytes.clone();
        future[6] = 2;
        assert_eq!(
            MessageJournal::decode(&future).unwrap_err().kind.code(),
            "future-version"
        );
    }

    #[test]
    fn repeated_uidls_are_refused() {
        let mut j = journal(2);
        j.entries[1].uidl = j.entries[0].uidl.clone();
        assert!(j.encode().is_err());
        let mut bytes = journal(1).encode().unwrap();
        write_var(&mut bytes, &entry_record(&entry_n(0)).unwrap()).unwrap();
        write_var(&mut bytes, &entry_record(&entry_n(2)).unwrap()).unwrap();
        assert_eq!(
            MessageJournal::decode(&bytes).unwrap_err().kind.code(),
            "bad-value"
        );
    }
}
