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
use crate::record::{var_records_at, write_var};

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

/// One record read from the journal: whole and checked, or why not.
enum Read<'a> {
    Whole {
        /// Offset of the record's data (its type code).
        at: usize,
        rtype: u16,
        /// The fields (CRC removed).
        body: &'a [u8],
    },
    /// Framed, but too short for a type code and a CRC, or its CRC does not
    /// match.
    Bad {
        /// The record's count word.
        start: usize,
        /// Its error, should the record turn out not to be a torn tail.
        error: Error,
    },
    /// Framing failed at this count word: the file ends inside it or inside
    /// the record, or the count is above 32767.
    Unframed { start: usize, error: Error },
}

impl Read<'_> {
    fn failure(&self) -> Option<(usize, &Error)> {
        match self {
            Read::Whole { .. } => None,
            Read::Bad { start, error } | Read::Unframed { start, error } => Some((*start, error)),
        }
    }
}

/// The records after the header, up to the first one that cannot be framed.
fn records(bytes: &[u8]) -> Vec<Read<'_>> {
    let mut out = Vec::new();
    for r in var_records_at(&bytes[FIRST_RECORD..], FIRST_RECORD) {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let error = Error::from_framing(e.shifted(FIRST_RECORD));
                let start = usize::try_from(error.offset).unwrap_or(FIRST_RECORD);
                out.push(Read::Unframed { start, error });
                break;
            }
        };
        let start = FIRST_RECORD + r.offset;
        let at = start + 2;
        let Some(split) = r.data.len().checked_sub(CRC_LEN).filter(|n| *n >= 2) else {
            let error = Error::new(
                at,
                ErrorKind::BadRecord {
                    rtype: 0xFFFF,
                    reason: format!(
                        "record of {} bytes is too short for a type code and a CRC",
                        r.data.len()
                    ),
                },
            );
            out.push(Read::Bad { start, error });
            continue;
        };
        let (data, crc) = r.data.split_at(split);
        let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let computed = crc32(data);
        // Fuzzing builds skip checksums so mutations reach the parsers.
        if stored != computed && !cfg!(fuzzing) {
            let error = Error::new(
                at + split,
                ErrorKind::BadChecksum {
                    what: "record",
                    stored,
                    computed,
                },
            );
            out.push(Read::Bad { start, error });
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

/// Bytes of CRC work [`whole_record_after`] may do before it gives up and
/// answers "yes" (the safe answer: an error rather than dropped records).
/// Real journals are folded at a few hundred records, far below it.
const SCAN_BUDGET: usize = 64 << 20;

/// The whole, checked record whose count word is at `q`, if there is one
/// (a count n from 6 to 32767, n data bytes in the file ending with the
/// CRC-32 of the others): its data without the CRC. `budget` is charged
/// the bytes checked.
fn whole_at<'a>(bytes: &'a [u8], q: usize, budget: &mut usize) -> Option<&'a [u8]> {
    let count = bytes.get(q..q + 2)?;
    let n = usize::from(u16::from_le_bytes([count[0], count[1]]));
    if !(2 + CRC_LEN..=crate::record::MAX_VAR_RECORD).contains(&n) {
        return None;
    }
    let data = bytes.get(q + 2..q + 2 + n)?;
    *budget = budget.saturating_sub(n);
    let (body, c) = data.split_at(n - CRC_LEN);
    let ok = cfg!(fuzzing) || crc32(body) == u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    ok.then_some(body)
}

/// True when a whole record with a matching CRC starts at some even offset
/// at or after `from` (SPEC.md 7.1). A torn append is the end of the
/// file: nothing whole follows it.
pub(crate) fn whole_record_after(bytes: &[u8], from: usize) -> bool {
    let mut budget = SCAN_BUDGET;
    let mut q = from + from % 2;
    while q + 2 <= bytes.len() {
        if whole_at(bytes, q, &mut budget).is_some() || budget == 0 {
            return true;
        }
        q += 2;
    }
    false
}

/// What can still be read from a journal that does not decode (a corrupt
/// one, SPEC.md 7.1): its base, when its JOURNAL record is whole, and
/// every whole, checked ENTRY record found at an even offset after the
/// header, in file order, whatever lies between them. For `verify`,
/// which must not call the message files of these entries orphans, and
/// for `verify --repair`, which rebuilds the journal from them.
pub fn salvage(bytes: &[u8]) -> (Option<u64>, Vec<Entry>) {
    let mut budget = SCAN_BUDGET;
    let mut base = None;
    let mut entries = Vec::new();
    let mut q = FIRST_RECORD;
    while q + 2 <= bytes.len() && budget > 0 {
        let Some(data) = whole_at(bytes, q, &mut budget) else {
            q += 2;
            continue;
        };
        let rt = u16::from_le_bytes([data[0], data[1]]);
        match rt {
            rtype::JOURNAL if q == FIRST_RECORD => {
                base = parse_record(rt, q + 4, &data[2..], u64le).ok();
            }
            rtype::ENTRY => {
                if let Ok(e) = parse_record(rt, q + 4, &data[2..], entry)
                    && valid_uidl(&e.uidl)
                {
                    entries.push(e);
                }
            }
            _ => {}
        }
        q += crate::record::var_framed_len(data.len() + CRC_LEN);
    }
    (base, entries)
}

impl StoreFile for MessageJournal {
    const MAGIC: [u8; 4] = *b"PSMJ";
    const KIND: FileKind = FileKind::MESSAGE_JOURNAL;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        check_header(bytes, Self::MAGIC)?;
        let mut j = MessageJournal::default();
        let mut base = None;
        let mut seen = std::collections::HashSet::new();
        for (i, r) in records(bytes).into_iter().enumerate() {
            if let Some((start, error)) = r.failure() {
                // The JOURNAL record is made whole by an exclusive create,
                // so it is never torn; nor is a record followed by a whole
                // one (an append is the end of the file): corruption.
                if i == 0 || whole_record_after(bytes, start + 2) {
                    return Err(error.clone());
                }
                j.torn_tail = (bytes.len() - start) as u64;
                break;
            }
            let Read::Whole {
                at,
                rtype: rt,
                body,
            } = r
            else {
                continue;
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
            // No record at all after the header: the file is shorter than
            // its creation made it.
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
    fn salvage_reads_the_whole_entries_of_a_corrupt_journal() {
        let bytes = journal(3).encode().unwrap();
        let first_entry = FIRST_RECORD + var_framed_len(base_record(7).len());
        let mut m = bytes.clone();
        m[first_entry + 1] |= 0x80; // overlong count: entry 0 lost
        assert!(MessageJournal::decode(&m).is_err());
        let (base, entries) = salvage(&m);
        assert_eq!(base, Some(7));
        assert_eq!(entries, journal(3).entries[1..]);
        // A whole journal salvages to itself.
        assert_eq!(salvage(&bytes), (Some(7), journal(3).entries));
    }

    #[test]
    fn a_tail_of_zeros_is_torn() {
        // A crash after the file grew but before the data reached the disk
        // leaves zeros: empty records, none of them whole.
        let whole = journal(2).encode().unwrap();
        for n in [2, 4, 60, 512] {
            let mut bytes = whole.clone();
            bytes.resize(whole.len() + n, 0);
            let j = MessageJournal::decode(&bytes).unwrap();
            assert_eq!(j.entries.len(), 2, "{n} zeros");
            assert_eq!(j.torn_tail, n as u64, "{n} zeros");
        }
    }

    #[test]
    fn damage_followed_by_a_whole_record_is_corruption() {
        let bytes = journal(3).encode().unwrap();
        let first_entry = FIRST_RECORD + var_framed_len(base_record(7).len());
        // An overlong count: framing stops there, but whole records follow.
        let mut m = bytes.clone();
        m[first_entry + 1] |= 0x80;
        let e = MessageJournal::decode(&m).unwrap_err();
        assert_eq!(
            (e.kind.code(), e.offset),
            ("overlong-record", first_entry as u64)
        );
        // A count that runs past the end, swallowing the records after it.
        let mut m = bytes.clone();
        m[first_entry] = 0xF0;
        m[first_entry + 1] = 0x7F;
        let e = MessageJournal::decode(&m).unwrap_err();
        assert_eq!((e.kind.code(), e.offset), ("truncated", first_entry as u64));
        // The same damage on the last record is a torn tail.
        let two = journal(2).encode().unwrap();
        let mut m = bytes.clone();
        m[two.len() + 1] |= 0x80;
        let j = MessageJournal::decode(&m).unwrap();
        assert_eq!(j.torn_tail, (bytes.len() - two.len()) as u64);
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
