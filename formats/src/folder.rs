//! A MessageStore folder index, `[.FOLDERS]Fxxxxxxxx.PFI` in the user's
//! subtree (SPEC.md 8, "Folder index"): the folder's messages, and from
//! version 1.1 on the history of its expunges that QRESYNC needs.
//!
//! Version 1.1 adds the EXPUNGED and VANISHED-FLOOR records. The minor
//! version says whether the last writer kept that history: a 1.0 file (or
//! a file a 1.0 writer rewrote) knows no expunges, and records of those
//! types in it are kept as unknown records, untrusted (SPEC.md 8).

use crate::codec::{Enc, PResult, i64le, list16, parse_record, str16, u16le, u32le, u64le};
use crate::container::{
    Container, UnknownRecord, once, read_container, required, write_container_version,
};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::layout::MessageId;

/// Record types of the folder index.
pub mod rtype {
    /// Folder parameters (required, once; writers write it first).
    pub const FOLDER: u16 = 0x0001;
    /// The keyword table (once; absent = no keywords).
    pub const KEYWORDS: u16 = 0x0002;
    /// One message.
    pub const ENTRY: u16 = 0x0003;
    /// One expunge: its MODSEQ and the messages it removed (version 1.1).
    pub const EXPUNGED: u16 = 0x0004;
    /// The MODSEQ at and below which expunges are no longer known
    /// (version 1.1: exactly once).
    pub const VANISHED_FLOOR: u16 = 0x0005;
}

/// The minor version of an index that keeps its expunges (EXPUNGED and
/// VANISHED-FLOOR records).
pub const MINOR_EXPUNGES: u16 = 1;

/// The most (UID, message file) pairs one EXPUNGED record (or one EXPUNGE
/// record of the folder journal) holds: a larger expunge is written as
/// several, each with its own MODSEQ.
pub const MAX_EXPUNGED_PER_RECORD: usize = 2729;

crate::open_flags! {
    /// IMAP system flags of a message.
    pub struct SystemFlags(u32) {
        /// `\Seen`.
        SEEN = 0x01, "seen";
        /// `\Answered`.
        ANSWERED = 0x02, "answered";
        /// `\Flagged`.
        FLAGGED = 0x04, "flagged";
        /// `\Deleted`.
        DELETED = 0x08, "deleted";
        /// `\Draft`.
        DRAFT = 0x10, "draft";
        /// `\Recent` (not yet announced to a session).
        RECENT = 0x20, "recent";
    }
}

/// One message in the folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FolderEntry {
    /// UID (1 or more; strictly increasing in the file; below UIDNEXT).
    pub uid: u32,
    /// System flags.
    pub flags: SystemFlags,
    /// INTERNALDATE.
    pub internal_date: i64,
    /// RFC822.SIZE (the message file's body length).
    pub size: u64,
    /// MODSEQ (CONDSTORE), at most HIGHESTMODSEQ.
    pub modseq: u64,
    /// The message file.
    pub message: MessageId,
    /// Keywords, as indexes into the folder's keyword table.
    pub keywords: Vec<u16>,
}

/// One message an expunge removed: its UID and the message file its
/// reference named (kept so that a repair can tell a reference given up on
/// purpose from a lost one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpungedMessage {
    /// The UID it had.
    pub uid: u32,
    /// The message file it referenced.
    pub message: MessageId,
}

/// One expunge kept in the index (an EXPUNGED record, SPEC.md 8).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpungedSet {
    /// The MODSEQ the expunge was given.
    pub modseq: u64,
    /// The messages it removed, by ascending UID (at least one).
    pub messages: Vec<ExpungedMessage>,
}

/// The expunges a version 1.1 index remembers, for QRESYNC (RFC 7162
/// `VANISHED (EARLIER)`): every expunge with a MODSEQ above `floor` is in
/// `sets`; of those at or below it nothing is known.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ExpungeLog {
    /// The VANISHED-FLOOR: expunges with a MODSEQ at or below it are no
    /// longer known (0: every expunge since the folder was made is known).
    pub floor: u64,
    /// The expunges above the floor, by ascending MODSEQ.
    pub sets: Vec<ExpungedSet>,
}

impl ExpungeLog {
    /// The UIDs expunged with a MODSEQ above `modseq`, ascending, or `None`
    /// when `modseq` is below the floor (the history no longer reaches
    /// back that far: the server then reports as vanished every UID the
    /// client may know that is not in the folder, SPEC.md 8).
    pub fn uids_since(&self, modseq: u64) -> Option<Vec<u32>> {
        if modseq < self.floor {
            return None;
        }
        let mut uids: Vec<u32> = self
            .sets
            .iter()
            .filter(|s| s.modseq > modseq)
            .flat_map(|s| s.messages.iter().map(|m| m.uid))
            .collect();
        uids.sort_unstable();
        Some(uids)
    }

    /// Drops the oldest sets until at most `keep` UIDs remain, raising the
    /// floor to the MODSEQ of the newest set dropped.
    pub fn trim(&mut self, keep: usize) {
        let mut total: usize = self.sets.iter().map(|s| s.messages.len()).sum();
        let mut drop = 0;
        while total > keep && drop < self.sets.len() {
            total -= self.sets[drop].messages.len();
            drop += 1;
        }
        if drop > 0 {
            self.floor = self.floor.max(self.sets[drop - 1].modseq);
            self.sets.drain(..drop);
        }
    }
}

/// A folder index.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FolderIndex {
    /// The folder's id in the mailbox list.
    pub folder_id: u32,
    /// UIDVALIDITY (non-zero).
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// HIGHESTMODSEQ.
    pub highestmodseq: u64,
    /// The folder's full name (for reconstruct; the mailbox list is the
    /// authority).
    pub name: String,
    /// Keyword table: the names `keywords` indexes refer to.
    pub keywords: Vec<String>,
    /// Messages by ascending UID.
    pub entries: Vec<FolderEntry>,
    /// The expunge history (version 1.1): `None` for an index that does
    /// not keep one (written as version 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expunges: Option<ExpungeLog>,
    /// Records of types this reader does not know (in a 1.0 file, also
    /// EXPUNGED and VANISHED-FLOOR records a newer writer left there).
    pub unknown: Vec<UnknownRecord>,
}

type FolderHead = (u32, u32, u32, u64, String);

pub(crate) fn folder(i: &[u8]) -> PResult<'_, FolderHead> {
    let (i, id) = u32le(i)?;
    let (i, uidvalidity) = u32le(i)?;
    let (i, uidnext) = u32le(i)?;
    let (i, hms) = u64le(i)?;
    let (i, name) = str16(i)?;
    Ok((i, (id, uidvalidity, uidnext, hms, name)))
}

pub(crate) fn entry(i: &[u8]) -> PResult<'_, FolderEntry> {
    let (i, uid) = u32le(i)?;
    let (i, flags) = u32le(i)?;
    let (i, date) = i64le(i)?;
    let (i, size) = u64le(i)?;
    let (i, modseq) = u64le(i)?;
    let (i, message) = u64le(i)?;
    let (i, keywords) = list16(i, 2, u16le)?;
    Ok((
        i,
        FolderEntry {
            uid,
            flags: SystemFlags(flags),
            internal_date: date,
            size,
            modseq,
            message: MessageId(message),
            keywords,
        },
    ))
}

/// `(u32 UID, msgid)`: one expunged message.
pub(crate) fn expunged_message(i: &[u8]) -> PResult<'_, ExpungedMessage> {
    let (i, uid) = u32le(i)?;
    let (i, message) = u64le(i)?;
    Ok((
        i,
        ExpungedMessage {
            uid,
            message: MessageId(message),
        },
    ))
}

/// The fields of an EXPUNGED record (and of the folder journal's EXPUNGE):
/// `u64` MODSEQ, `list16` of `(u32 UID, msgid)`.
pub(crate) fn expunged_set(i: &[u8]) -> PResult<'_, ExpungedSet> {
    let (i, modseq) = u64le(i)?;
    let (i, messages) = list16(i, 12, expunged_message)?;
    Ok((i, ExpungedSet { modseq, messages }))
}

/// Writes the fields of an EXPUNGED record (after its type code).
pub(crate) fn expunged_fields(e: &mut Enc, s: &ExpungedSet) -> Result<(), WriteError> {
    e.u64(s.modseq);
    e.count16("expunged messages", s.messages.len())?;
    for m in &s.messages {
        e.u32(m.uid).u64(m.message.0);
    }
    Ok(())
}

/// Where a rule of the index is broken: the record an error points at.
enum At {
    Entry(usize),
    Expunged(usize),
    Floor,
    End,
}

impl FolderIndex {
    fn check(&self) -> Result<(), (At, String)> {
        if self.uidvalidity == 0 {
            return Err((At::End, "UIDVALIDITY is 0".to_owned()));
        }
        let mut last = 0;
        for (n, e) in self.entries.iter().enumerate() {
            if e.uid <= last || e.uid >= self.uidnext {
                return Err((
                    At::Entry(n),
                    format!("UID {} out of order or not below UIDNEXT", e.uid),
                ));
            }
            if e.modseq > self.highestmodseq {
                return Err((
                    At::Entry(n),
                    format!("MODSEQ {} above HIGHESTMODSEQ", e.modseq),
                ));
            }
            if let Some(k) = e
                .keywords
                .iter()
                .find(|k| usize::from(**k) >= self.keywords.len())
            {
                return Err((
                    At::Entry(n),
                    format!("keyword index {k} outside the keyword table"),
                ));
            }
            last = e.uid;
        }
        if let Some(log) = &self.expunges {
            self.check_expunges(log)?;
        }
        Ok(())
    }

    /// The rules of the expunge history (SPEC.md 8, version 1.1).
    fn check_expunges(&self, log: &ExpungeLog) -> Result<(), (At, String)> {
        if log.floor > self.highestmodseq {
            return Err((
                At::Floor,
                format!(
                    "VANISHED-FLOOR {} above HIGHESTMODSEQ {}",
                    log.floor, self.highestmodseq
                ),
            ));
        }
        let mut last_modseq = log.floor;
        let mut seen = std::collections::HashSet::new();
        for (n, s) in log.sets.iter().enumerate() {
            let bad = |reason: String| Err((At::Expunged(n), reason));
            if s.modseq <= last_modseq {
                return bad(format!(
                    "EXPUNGED MODSEQ {} not above the VANISHED-FLOOR and the previous \
                     EXPUNGED record's, {last_modseq}",
                    s.modseq
                ));
            }
            if s.modseq > self.highestmodseq {
                return bad(format!(
                    "EXPUNGED MODSEQ {} above HIGHESTMODSEQ {}",
                    s.modseq, self.highestmodseq
                ));
            }
            if s.messages.is_empty() {
                return bad("an EXPUNGED record without messages".to_owned());
            }
            let mut last_uid = 0;
            for m in &s.messages {
                if m.uid <= last_uid {
                    return bad(format!("expunged UID {} out of order (or 0)", m.uid));
                }
                if m.uid >= self.uidnext {
                    return bad(format!(
                        "expunged UID {} not below UIDNEXT {}",
                        m.uid, self.uidnext
                    ));
                }
                if self.entries.binary_search_by_key(&m.uid, |e| e.uid).is_ok() {
                    return bad(format!("expunged UID {} is still in the folder", m.uid));
                }
                if !seen.insert(m.uid) {
                    return bad(format!("UID {} expunged twice", m.uid));
                }
                last_uid = m.uid;
            }
            last_modseq = s.modseq;
        }
        Ok(())
    }
}

impl StoreFile for FolderIndex {
    const MAGIC: [u8; 4] = *b"PSFI";
    const KIND: FileKind = FileKind::FOLDER_INDEX;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let keeps_expunges = c.minor >= MINOR_EXPUNGES;
        let (mut head, mut kw, mut floor) = (None, None, None);
        let mut entries = Vec::new();
        let mut entry_at = Vec::new();
        let mut sets = Vec::new();
        let mut set_at = Vec::new();
        let mut floor_at = c.end_offset;
        let mut unknown = Vec::new();
        for r in &c.records {
            let at = r.body_offset();
            match r.rtype {
                rtype::FOLDER => once(&mut head, r, parse_record(r.rtype, at, r.body, folder)?)?,
                rtype::KEYWORDS => once(&mut kw, r, {
                    parse_record(r.rtype, at, r.body, |i| list16(i, 2, str16))?
                })?,
                rtype::ENTRY => {
                    entries.push(parse_record(r.rtype, at, r.body, entry)?);
                    entry_at.push(r.offset);
                }
                rtype::EXPUNGED if keeps_expunges => {
                    sets.push(parse_record(r.rtype, at, r.body, expunged_set)?);
                    set_at.push(r.offset);
                }
                rtype::VANISHED_FLOOR if keeps_expunges => {
                    once(&mut floor, r, parse_record(r.rtype, at, r.body, u64le)?)?;
                    floor_at = r.offset;
                }
                _ => unknown.push(UnknownRecord::from_record(r)),
            }
        }
        let (folder_id, uidvalidity, uidnext, highestmodseq, name) =
            required(head, rtype::FOLDER, &c)?;
        let expunges = if keeps_expunges {
            let floor = required(floor, rtype::VANISHED_FLOOR, &c)?;
            Some(ExpungeLog { floor, sets })
        } else {
            None
        };
        let f = FolderIndex {
            folder_id,
            uidvalidity,
            uidnext,
            highestmodseq,
            name,
            keywords: kw.unwrap_or_default(),
            entries,
            expunges,
            unknown,
        };
        f.check().map_err(|(w, reason)| {
            let at = match w {
                At::Entry(n) => entry_at.get(n).copied(),
                At::Expunged(n) => set_at.get(n).copied(),
                At::Floor => Some(floor_at),
                At::End => None,
            };
            Error::new(at.unwrap_or(c.end_offset), ErrorKind::BadValue { reason })
        })?;
        Ok(f)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        self.check().map_err(|(_, r)| WriteError::BadValue(r))?;
        let mut recs = Vec::with_capacity(self.entries.len() + 2);
        let mut e = Enc::record(rtype::FOLDER);
        e.u32(self.folder_id)
            .u32(self.uidvalidity)
            .u32(self.uidnext)
            .u64(self.highestmodseq);
        e.str16("folder name", &self.name)?;
        recs.push(e.finish("folder record")?);
        if !self.keywords.is_empty() {
            let mut e = Enc::record(rtype::KEYWORDS);
            e.count16("keywords", self.keywords.len())?;
            for k in &self.keywords {
                e.str16("keyword", k)?;
            }
            recs.push(e.finish("keywords record")?);
        }
        for m in &self.entries {
            let mut e = Enc::record(rtype::ENTRY);
            e.u32(m.uid)
                .u32(m.flags.0)
                .i64(m.internal_date)
                .u64(m.size)
                .u64(m.modseq)
                .u64(m.message.0);
            e.count16("message keywords", m.keywords.len())?;
            for k in &m.keywords {
                e.u16(*k);
            }
            recs.push(e.finish("entry record")?);
        }
        let mut version = (crate::FORMAT_MAJOR, crate::FORMAT_MINOR);
        if let Some(log) = &self.expunges {
            if let Some(u) = self
                .unknown
                .iter()
                .find(|u| [rtype::EXPUNGED, rtype::VANISHED_FLOOR].contains(&u.rtype))
            {
                return Err(WriteError::BadValue(format!(
                    "an unknown record of type 0x{:04x} in an index that keeps its expunges",
                    u.rtype
                )));
            }
            for s in &log.sets {
                let mut e = Enc::record(rtype::EXPUNGED);
                expunged_fields(&mut e, s)?;
                recs.push(e.finish("expunged record")?);
            }
            let mut e = Enc::record(rtype::VANISHED_FLOOR);
            e.u64(log.floor);
            recs.push(e.finish("vanished-floor record")?);
            version.1 = MINOR_EXPUNGES;
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container_version(Self::MAGIC, version, &recs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{FIRST_RECORD, write_container_version};
    use crate::record::var_records;
    use crate::samples;

    /// The typed records of an index (type code first), end record dropped.
    fn records(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut r: Vec<Vec<u8>> = var_records(&bytes[FIRST_RECORD..])
            .flatten()
            .map(|r| r.data.to_vec())
            .collect();
        r.pop();
        r
    }

    #[test]
    fn version_1_1_keeps_expunges_and_1_0_does_not() {
        for f in samples::folder_indexes_v1_1() {
            let bytes = f.encode().unwrap();
            assert_eq!(&bytes[6..10], &[1, 0, 1, 0]);
            assert_eq!(FolderIndex::decode(&bytes).unwrap(), f);
        }
        // The same records under version 1.0 (a 1.0 writer rewrote the
        // file): the history is kept as unknown records, not trusted.
        let v11 = samples::folder_indexes_v1_1()[1].encode().unwrap();
        let v10 = write_container_version(*b"PSFI", (1, 0), &records(&v11)).unwrap();
        let f = FolderIndex::decode(&v10).unwrap();
        assert_eq!(f.expunges, None);
        assert_eq!(f.unknown.len(), 2);
        assert_eq!(f.encode().unwrap(), v10);
        let mut upgraded = f.clone();
        upgraded.expunges = Some(ExpungeLog::default());
        assert!(
            upgraded.encode().is_err(),
            "stale history must be dropped first"
        );
    }

    #[test]
    fn version_1_1_needs_its_floor_and_checks_the_history() {
        let f = samples::folder_indexes_v1_1()[1].clone();
        let bytes = f.encode().unwrap();
        let mut recs = records(&bytes);
        let floor = recs.pop().unwrap();
        let no_floor = write_container_version(*b"PSFI", (1, 1), &recs).unwrap();
        let e = FolderIndex::decode(&no_floor).unwrap_err();
        assert_eq!(e.kind.code(), "missing-record");
        recs.push(floor.clone());
        recs.push(floor);
        let twice = write_container_version(*b"PSFI", (1, 1), &recs).unwrap();
        assert_eq!(
            FolderIndex::decode(&twice).unwrap_err().kind.code(),
            "duplicate-record"
        );
        // An expunged UID still in the folder.
        let mut bad = f.clone();
        let log = bad.expunges.as_mut().unwrap();
        log.sets[0].messages[0].uid = 1;
        assert!(bad.encode().is_err());
        // A history above HIGHESTMODSEQ, a floor above it.
        let mut bad = f.clone();
        bad.expunges.as_mut().unwrap().floor = 10;
        assert!(bad.encode().is_err());
        let mut bad = f;
        bad.expunges.as_mut().unwrap().sets[0].modseq = 5;
        assert!(bad.encode().is_err());
    }
}
