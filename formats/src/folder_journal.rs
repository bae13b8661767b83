//! The folder journal, `[.FOLDERS]Fxxxxxxxx.PFJ` beside a folder index
//! (SPEC.md 8.1, store feature `folder-journal`): the changes made to a
//! folder since its index was last written (appends, flag changes,
//! expunges), one sealed record each, so that a change costs one append
//! whatever the folder's size, and another session learns what changed by
//! reading what was appended since it last looked ([`read_since`]).
//!
//! Framed like the message-list journal (SPEC.md 7.1): a header record,
//! then records that each end in their own CRC-32, no end record; a torn
//! tail (a crash while appending, or an append still being written) is
//! dropped and measured, whole records after damage are corruption. The
//! journal is applied to its index by [`crate::fold`].
//!
//! How the pieces fit (SPEC.md 8.1 has the rules):
//! - **Open a folder**: decode the index ([`crate::folder::FolderIndex`])
//!   and the journal ([`FolderJournal::read`], which also gives the
//!   [`Cursor`] after its last whole record); when the journal is
//!   current for the index ([`JournalBase::belonging`]), apply its changes
//!   ([`crate::fold::apply`], after [`crate::fold::keep_expunges`]) to get
//!   the folder every reader sees.
//! - **Change it** (under the folder lock): number the change from the
//!   cursor ([`Cursor::next_modseq`], [`Cursor::next_uid`]), take its
//!   bytes from [`Cursor::accept`], write them at the cursor's old offset
//!   and sync; a new journal starts with [`head_bytes`], written by an
//!   exclusive create.
//! - **Learn what others changed**: read the head ([`HEAD_LEN`] bytes,
//!   [`read_base`]) and the bytes from the cursor's offset, from one open
//!   file; [`read_since`] gives the changes and the next cursor. A base
//!   other than the cursor's means the journal was folded: read the
//!   index's head ([`crate::folder_head::read_head`]) and start again.
//! - **Fold** (under the folder lock): [`crate::fold::fold`] gives the new
//!   index; replace the index file with it, then remove the journal.
//! - **Repair**: [`salvage`] reads what is whole in a corrupt journal.

use crate::codec::{Enc, PResult, i64le, list16, parse_record, str16, u32le, u64le};
use crate::container::{FIRST_RECORD, UnknownRecord, check_header};
use crate::error::{Error, ErrorKind, WriteError};
use crate::folder::{
    ExpungedSet, MAX_EXPUNGED_PER_RECORD, SystemFlags, expunged_fields, expunged_set,
};
use crate::kind::{FileKind, StoreFile};
use crate::layout::MessageId;
use crate::record::{MAX_VAR_RECORD, write_var};
use crate::sealed::{CRC_LEN, Frame, frames, scan_whole, seal, torn_or_error};
use crate::types::HexBytes;

/// Record types of the folder journal.
pub mod rtype {
    /// The index the journal was started on (required, once, first).
    pub const BASE: u16 = 0x0001;
    /// A message added to the folder.
    pub const APPEND: u16 = 0x0002;
    /// A message's new flags and keywords.
    pub const FLAGS: u16 = 0x0003;
    /// Messages removed from the folder.
    pub const EXPUNGE: u16 = 0x0004;
    /// The bytes the EXPUNGE after it frees of the index's entries (store
    /// feature `folder-freed`).
    pub const FREED: u16 = 0x0005;
}

/// Length of the journal's head: the header record (10 bytes) and the
/// BASE record (2 + 22 bytes), which every journal starts with. A session
/// reads these bytes to learn whether the journal it follows is still the
/// one at the path ([`read_base`]).
pub const HEAD_LEN: usize = FIRST_RECORD + 2 + BASE_DATA_LEN;

/// Data bytes of the BASE record: type code, three fields, CRC.
const BASE_DATA_LEN: usize = 2 + 4 + 4 + 8 + CRC_LEN;

/// The folder index a journal was started on: the three values of its
/// FOLDER record the journal belongs to (SPEC.md 8.1, "Belonging to the
/// index").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct JournalBase {
    /// The index's UIDVALIDITY (non-zero).
    pub uidvalidity: u32,
    /// The index's UIDNEXT.
    pub uidnext: u32,
    /// The index's HIGHESTMODSEQ.
    pub highestmodseq: u64,
}

/// An APPEND record: a message added to the folder (by APPEND, COPY, MOVE
/// or a delivery).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Append {
    /// Its UID: above every UID the folder had (at least the base's
    /// UIDNEXT, above the previous APPEND's).
    pub uid: u32,
    /// System flags.
    pub flags: SystemFlags,
    /// INTERNALDATE.
    pub internal_date: i64,
    /// RFC822.SIZE (the message file's body length).
    pub size: u64,
    /// The change's MODSEQ, also the message's.
    pub modseq: u64,
    /// The message file it references.
    pub message: MessageId,
    /// Its keywords, by name.
    pub keywords: Vec<String>,
}

/// A FLAGS record: a message's complete new flags (STORE, and anything
/// else that changes flags or keywords).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlagChange {
    /// The message's UID (of the index or of an earlier APPEND).
    pub uid: u32,
    /// The new system flags.
    pub flags: SystemFlags,
    /// The change's MODSEQ, the message's new MODSEQ.
    pub modseq: u64,
    /// The new keyword set, by name (all of them, not a difference).
    pub keywords: Vec<String>,
}

/// A FREED record: what the EXPUNGE record right after it frees of the
/// folder index's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Freed {
    /// The MODSEQ of the EXPUNGE record it announces (the next change's).
    pub modseq: u64,
    /// The sum of the RFC822.SIZE of the messages that EXPUNGE removes
    /// whose UIDs are below the journal BASE's UIDNEXT (entries of the
    /// index file, not of this journal's APPENDs).
    pub bytes: u64,
}

/// One record of the journal after its BASE, in file order. JSON: the
/// record's fields with `"record"` naming its type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
pub enum Change {
    /// APPEND (0x0002).
    Append(Append),
    /// FLAGS (0x0003).
    Flags(FlagChange),
    /// EXPUNGE (0x0004): its MODSEQ and the (UID, message file) pairs it
    /// removed, by ascending UID, at most [`MAX_EXPUNGED_PER_RECORD`].
    Expunge(ExpungedSet),
    /// FREED (0x0005): written right before an EXPUNGE record, the total
    /// RFC822.SIZE of the index entries that EXPUNGE removes (store feature
    /// `folder-freed`: the writer did not lower the profile's usage, see
    /// [`freed`]). Not a change of its own: no MODSEQ of its own.
    Freed(Freed),
    /// A record of a type this reader does not know (checked by its CRC,
    /// kept in place; dropped when the journal is folded).
    Unknown(UnknownRecord),
}

impl Change {
    /// The change's MODSEQ (`None` for an unknown record).
    pub fn modseq(&self) -> Option<u64> {
        match self {
            Change::Append(a) => Some(a.modseq),
            Change::Flags(f) => Some(f.modseq),
            Change::Expunge(e) => Some(e.modseq),
            Change::Freed(_) | Change::Unknown(_) => None,
        }
    }

    /// The record's data: type code, fields, CRC-32 (what goes inside one
    /// VAR record).
    pub fn record(&self) -> Result<Vec<u8>, WriteError> {
        let data = match self {
            Change::Append(a) => {
                let mut e = Enc::record(rtype::APPEND);
                e.u32(a.uid)
                    .u32(a.flags.0)
                    .i64(a.internal_date)
                    .u64(a.size)
                    .u64(a.modseq)
                    .u64(a.message.0);
                keyword_fields(&mut e, &a.keywords)?;
                e.into_bytes()
            }
            Change::Flags(f) => {
                let mut e = Enc::record(rtype::FLAGS);
                e.u32(f.uid).u32(f.flags.0).u64(f.modseq);
                keyword_fields(&mut e, &f.keywords)?;
                e.into_bytes()
            }
            Change::Expunge(s) => {
                if s.messages.len() > MAX_EXPUNGED_PER_RECORD {
                    return Err(WriteError::TooLong {
                        what: "expunge record",
                        len: s.messages.len(),
                        max: MAX_EXPUNGED_PER_RECORD,
                    });
                }
                let mut e = Enc::record(rtype::EXPUNGE);
                expunged_fields(&mut e, s)?;
                e.into_bytes()
            }
            Change::Freed(f) => {
                let mut e = Enc::record(rtype::FREED);
                e.u64(f.modseq).u64(f.bytes);
                e.into_bytes()
            }
            Change::Unknown(u) => u.encode(),
        };
        let data = seal(data);
        if data.len() > MAX_VAR_RECORD {
            return Err(WriteError::TooLong {
                what: "journal record",
                len: data.len(),
                max: MAX_VAR_RECORD,
            });
        }
        Ok(data)
    }

    /// The record as the bytes an append writes at the end of the journal:
    /// count word, data, pad byte.
    pub fn framed(&self) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::new();
        write_var(&mut out, &self.record()?).map_err(|e| WriteError::BadValue(e.to_string()))?;
        Ok(out)
    }
}

fn keyword_fields(e: &mut Enc, keywords: &[String]) -> Result<(), WriteError> {
    e.count16("keywords", keywords.len())?;
    for k in keywords {
        e.str16("keyword", k)?;
    }
    Ok(())
}

/// A folder journal.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FolderJournal {
    /// The index the journal was started on.
    pub base: JournalBase,
    /// The records after the BASE, in file order.
    pub changes: Vec<Change>,
    /// Bytes at the end that are not a whole, checked record: a torn
    /// append (or one still being written), never acknowledged. Not
    /// written back.
    pub torn_tail: u64,
}

/// Where a reader of the journal stands: the base of the journal it reads,
/// the file offset after the last whole record it read, and what the
/// records so far make of the folder's UIDNEXT and HIGHESTMODSEQ. A
/// session keeps one to read only what was appended since
/// ([`read_since`]); a writer uses one to number its change and to know
/// where to write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    /// The journal's BASE.
    pub base: JournalBase,
    /// File offset of the next record (even; at least [`HEAD_LEN`]).
    pub offset: u64,
    /// The highest MODSEQ so far (the base's, raised by each change).
    pub highestmodseq: u64,
    /// The UIDNEXT so far (the base's, raised by each APPEND).
    pub uidnext: u32,
}

impl Cursor {
    /// The cursor right after the BASE record of a journal with `base`.
    pub fn start(base: JournalBase) -> Cursor {
        Cursor {
            base,
            offset: HEAD_LEN as u64,
            highestmodseq: base.highestmodseq,
            uidnext: base.uidnext,
        }
    }

    /// The MODSEQ the next change must have at least (SPEC.md 8.1).
    pub fn next_modseq(&self) -> u64 {
        self.highestmodseq.saturating_add(1)
    }

    /// The UID the next APPEND gets.
    pub fn next_uid(&self) -> u32 {
        self.uidnext.max(1)
    }

    /// Checks `change` against the journal's rules as the next record
    /// (SPEC.md 8.1), and returns the bytes to write for it at
    /// [`Cursor::offset`] ([`Change::framed`]); the cursor moves past
    /// them. A writer of several records calls it for each and writes the
    /// bytes together. On error the cursor is unchanged.
    pub fn accept(&mut self, change: &Change) -> Result<Vec<u8>, WriteError> {
        rule(self, change).map_err(|(_, reason)| WriteError::BadValue(reason))?;
        let bytes = change.framed()?;
        self.advance(change);
        self.offset += bytes.len() as u64;
        Ok(bytes)
    }

    fn advance(&mut self, change: &Change) {
        if let Some(m) = change.modseq() {
            self.highestmodseq = m;
        }
        if let Change::Append(a) = change {
            self.uidnext = a.uid.saturating_add(1);
        }
    }
}

/// What was appended to a journal after a [`Cursor`]: the changes in file
/// order and the cursor after them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Since {
    /// The whole records found after the old cursor.
    pub changes: Vec<Change>,
    /// The cursor after them (at the start of a torn tail, if any).
    pub cursor: Cursor,
    /// Bytes after the last whole record that are not a whole record (an
    /// append being written now, or a crash's torn tail).
    pub torn_tail: u64,
}

/// The journal's rules for `change` as the record after `c` (SPEC.md 8.1):
/// the offset of the broken field in the record's data (type code at 0)
/// and why.
fn rule(c: &Cursor, change: &Change) -> Result<(), (usize, String)> {
    let modseq = |rel: usize, m: u64| {
        if m <= c.highestmodseq {
            return Err((
                rel,
                format!(
                    "MODSEQ {m} not above the journal's highest so far, {}",
                    c.highestmodseq
                ),
            ));
        }
        Ok(())
    };
    let known = |rel: usize, uid: u32| {
        if uid == 0 || uid >= c.uidnext {
            return Err((
                rel,
                format!(
                    "UID {uid} is 0 or not below the UIDNEXT so far, {}",
                    c.uidnext
                ),
            ));
        }
        Ok(())
    };
    match change {
        Change::Append(a) => {
            if a.uid == u32::MAX {
                return Err((2, "APPEND UID 4294967295 leaves no UIDNEXT".to_owned()));
            }
            if a.uid == 0 || a.uid < c.uidnext {
                return Err((
                    2,
                    format!(
                        "APPEND UID {} is 0 or below the UIDNEXT so far, {}",
                        a.uid, c.uidnext
                    ),
                ));
            }
            modseq(26, a.modseq)
        }
        Change::Flags(f) => {
            known(2, f.uid)?;
            modseq(10, f.modseq)
        }
        Change::Expunge(s) => {
            modseq(2, s.modseq)?;
            if s.messages.is_empty() {
                return Err((10, "an EXPUNGE record without messages".to_owned()));
            }
            let mut last = 0;
            for (i, m) in s.messages.iter().enumerate() {
                known(12 + 12 * i, m.uid)?;
                if m.uid <= last {
                    return Err((12 + 12 * i, format!("expunged UID {} out of order", m.uid)));
                }
                last = m.uid;
            }
            Ok(())
        }
        // It announces the next change: its MODSEQ is that one's.
        Change::Freed(f) if f.modseq != c.next_modseq() => Err((
            2,
            format!(
                "a FREED record for MODSEQ {}, not the next change's {}",
                f.modseq,
                c.next_modseq()
            ),
        )),
        Change::Freed(_) | Change::Unknown(_) => Ok(()),
    }
}

/// The FREED records of `changes` that count (SPEC.md 8.1): each one
/// followed right away by the EXPUNGE record of its MODSEQ, as (that
/// MODSEQ, bytes). A FREED whose EXPUNGE is not there (cut off by a crash
/// with the torn tail) counts for nothing. With the store feature
/// `folder-freed`, the account's usage is the profile's counter plus the
/// journal's live APPENDs less these bytes.
pub fn freed(changes: &[Change]) -> Vec<(u64, u64)> {
    changes
        .windows(2)
        .filter_map(|w| match (&w[0], &w[1]) {
            (Change::Freed(f), Change::Expunge(e)) if f.modseq == e.modseq => {
                Some((f.modseq, f.bytes))
            }
            _ => None,
        })
        .collect()
}

fn freed_fields(i: &[u8]) -> PResult<'_, Freed> {
    let (i, modseq) = u64le(i)?;
    let (i, bytes) = u64le(i)?;
    Ok((i, Freed { modseq, bytes }))
}

fn base_fields(i: &[u8]) -> PResult<'_, JournalBase> {
    let (i, uidvalidity) = u32le(i)?;
    let (i, uidnext) = u32le(i)?;
    let (i, highestmodseq) = u64le(i)?;
    Ok((
        i,
        JournalBase {
            uidvalidity,
            uidnext,
            highestmodseq,
        },
    ))
}

fn append(i: &[u8]) -> PResult<'_, Append> {
    let (i, uid) = u32le(i)?;
    let (i, flags) = u32le(i)?;
    let (i, internal_date) = i64le(i)?;
    let (i, size) = u64le(i)?;
    let (i, modseq) = u64le(i)?;
    let (i, message) = u64le(i)?;
    let (i, keywords) = list16(i, 2, str16)?;
    Ok((
        i,
        Append {
            uid,
            flags: SystemFlags(flags),
            internal_date,
            size,
            modseq,
            message: MessageId(message),
            keywords,
        },
    ))
}

fn flag_change(i: &[u8]) -> PResult<'_, FlagChange> {
    let (i, uid) = u32le(i)?;
    let (i, flags) = u32le(i)?;
    let (i, modseq) = u64le(i)?;
    let (i, keywords) = list16(i, 2, str16)?;
    Ok((
        i,
        FlagChange {
            uid,
            flags: SystemFlags(flags),
            modseq,
            keywords,
        },
    ))
}

/// Parses the fields of a record after the BASE (`at`: file offset of its
/// type code). A BASE here is a duplicate.
fn parse_change(rt: u16, at: usize, body: &[u8]) -> Result<Change, Error> {
    Ok(match rt {
        rtype::BASE => {
            return Err(Error::new(
                at,
                ErrorKind::DuplicateRecord { rtype: rtype::BASE },
            ));
        }
        rtype::APPEND => Change::Append(parse_record(rt, at + 2, body, append)?),
        rtype::FLAGS => Change::Flags(parse_record(rt, at + 2, body, flag_change)?),
        rtype::EXPUNGE => Change::Expunge(parse_record(rt, at + 2, body, expunged_set)?),
        rtype::FREED => Change::Freed(parse_record(rt, at + 2, body, freed_fields)?),
        other => Change::Unknown(UnknownRecord {
            rtype: other,
            data: HexBytes(body.to_vec()),
        }),
    })
}

/// The BASE record from the first frame of a journal.
fn first_record(f: Option<&Frame<'_>>) -> Result<(JournalBase, usize), Error> {
    match f {
        None => Err(Error::new(FIRST_RECORD, ErrorKind::Truncated)),
        // Made whole by an exclusive create: never a torn tail.
        Some(Frame::Failed { error, .. }) => Err(error.clone()),
        Some(Frame::Whole {
            start,
            at,
            rtype: rt,
            body,
            end,
        }) => {
            if *start != FIRST_RECORD || *rt != rtype::BASE {
                return Err(Error::new(
                    if *start == FIRST_RECORD {
                        *at
                    } else {
                        FIRST_RECORD
                    },
                    ErrorKind::MissingRecord { rtype: rtype::BASE },
                ));
            }
            let base = parse_record(*rt, at + 2, body, base_fields)?;
            if base.uidvalidity == 0 {
                return Err(Error::new(
                    at + 2,
                    ErrorKind::BadValue {
                        reason: "UIDVALIDITY is 0".to_owned(),
                    },
                ));
            }
            Ok((base, *end))
        }
    }
}

/// Reads the records of `bytes` (which start at file offset `origin`)
/// after `cursor`, checking each against the rules, up to the end or a
/// torn tail.
fn read_after(
    bytes: &[u8],
    origin: usize,
    list: &[Frame<'_>],
    cursor: &mut Cursor,
) -> Result<(Vec<Change>, u64), Error> {
    let mut changes = Vec::new();
    for f in list {
        match f {
            Frame::Failed { start, error } => {
                let torn = torn_or_error(bytes, origin, *start, error)?;
                cursor.offset = *start as u64;
                return Ok((changes, torn));
            }
            Frame::Whole {
                at,
                rtype: rt,
                body,
                end,
                ..
            } => {
                let change = parse_change(*rt, *at, body)?;
                rule(cursor, &change).map_err(|(rel, reason)| {
                    Error::new(at + rel, ErrorKind::BadValue { reason })
                })?;
                cursor.advance(&change);
                cursor.offset = *end as u64;
                changes.push(change);
            }
        }
    }
    cursor.offset = (origin + bytes.len()) as u64;
    Ok((changes, 0))
}

impl FolderJournal {
    /// An empty journal started on `base`.
    pub fn new(base: JournalBase) -> FolderJournal {
        FolderJournal {
            base,
            ..FolderJournal::default()
        }
    }

    /// Reads a whole journal file and the cursor after its last whole
    /// record (where a session continues with [`read_since`], and where a
    /// writer appends once there is no torn tail).
    pub fn read(bytes: &[u8]) -> Result<(FolderJournal, Cursor), Error> {
        check_header(bytes, Self::MAGIC)?;
        let list = frames(&bytes[FIRST_RECORD..], FIRST_RECORD);
        let (base, end) = first_record(list.first())?;
        let mut cursor = Cursor::start(base);
        cursor.offset = end as u64;
        let (changes, torn_tail) = read_after(
            &bytes[FIRST_RECORD..],
            FIRST_RECORD,
            &list[1..],
            &mut cursor,
        )?;
        Ok((
            FolderJournal {
                base,
                changes,
                torn_tail,
            },
            cursor,
        ))
    }
}

/// The BASE of the journal whose first bytes are `head` (at least
/// [`HEAD_LEN`] of them; more are ignored): what a session compares with
/// its [`Cursor::base`] before reading from its offset. A different base
/// means the journal was folded and a new one started: the session reads
/// the index again. Errors are those the whole journal's reader gives for
/// its first record when the file is cut after [`HEAD_LEN`] bytes.
pub fn read_base(head: &[u8]) -> Result<JournalBase, Error> {
    let head = &head[..head.len().min(HEAD_LEN)];
    check_header(head, FolderJournal::MAGIC)?;
    let list = frames(&head[FIRST_RECORD..], FIRST_RECORD);
    first_record(list.first()).map(|(b, _)| b)
}

/// Reads what was appended to a journal after `cursor`: `tail` is the
/// file's bytes from `cursor.offset` to its end, read from the same open
/// file as the head checked with [`read_base`] (a fold replaces the file,
/// so both reads must be of one file). The rules of SPEC.md 8.1 apply to
/// the records read as they do to the whole file, with the same error
/// kinds and file offsets; a record not yet whole at the end (an append
/// being written) is a torn tail, and the cursor stays before it.
pub fn read_since(cursor: &Cursor, tail: &[u8]) -> Result<Since, Error> {
    let origin = usize::try_from(cursor.offset).unwrap_or(usize::MAX);
    if origin < HEAD_LEN || origin % 2 == 1 || origin.checked_add(tail.len()).is_none() {
        return Err(Error::new(
            origin.min(HEAD_LEN),
            ErrorKind::BadValue {
                reason: format!("a journal cursor at offset {origin} is not a record boundary"),
            },
        ));
    }
    let mut next = *cursor;
    let list = frames(tail, origin);
    let (changes, torn_tail) = read_after(tail, origin, &list, &mut next)?;
    Ok(Since {
        changes,
        cursor: next,
        torn_tail,
    })
}

/// The header and BASE record of a new journal started on `base`: what
/// the exclusive create of a journal writes ([`HEAD_LEN`] bytes).
pub fn head_bytes(base: &JournalBase) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD_LEN);
    let mut header = FolderJournal::MAGIC.to_vec();
    header.extend_from_slice(&1u16.to_le_bytes());
    header.extend_from_slice(&0u16.to_le_bytes());
    let mut e = Enc::record(rtype::BASE);
    e.u32(base.uidvalidity)
        .u32(base.uidnext)
        .u64(base.highestmodseq);
    // Both records are a few bytes long: framing cannot fail.
    let _ = write_var(&mut out, &header);
    let _ = write_var(&mut out, &seal(e.into_bytes()));
    out
}

/// What can still be read from a journal that does not decode (a corrupt
/// one, SPEC.md 8.1): its base, when a whole BASE record is at offset 10,
/// and every whole, checked record of a known change type (parsed, not
/// checked against the rules) found at an even offset after it, in file
/// order, whatever lies between them. For `verify`, which must count the
/// references of these APPENDs, and for a repair, which decides what to
/// keep.
pub fn salvage(bytes: &[u8]) -> (Option<JournalBase>, Vec<Change>) {
    let mut base = None;
    let mut changes = Vec::new();
    for (q, rt, body) in scan_whole(bytes, FIRST_RECORD) {
        let at = q + 2;
        match rt {
            rtype::BASE if q == FIRST_RECORD => {
                base = parse_record(rt, at + 2, body, base_fields).ok();
            }
            rtype::APPEND | rtype::FLAGS | rtype::EXPUNGE | rtype::FREED => {
                if let Ok(c) = parse_change(rt, at, body) {
                    changes.push(c);
                }
            }
            _ => {}
        }
    }
    (base, changes)
}

impl StoreFile for FolderJournal {
    const MAGIC: [u8; 4] = *b"PSFJ";
    const KIND: FileKind = FileKind::FOLDER_JOURNAL;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        FolderJournal::read(bytes).map(|(j, _)| j)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        if self.base.uidvalidity == 0 {
            return Err(WriteError::BadValue("UIDVALIDITY is 0".to_owned()));
        }
        let mut out = head_bytes(&self.base);
        let mut cursor = Cursor::start(self.base);
        for c in &self.changes {
            rule(&cursor, c).map_err(|(_, reason)| WriteError::BadValue(reason))?;
            cursor.advance(c);
            out.extend_from_slice(&c.framed()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder::ExpungedMessage;
    use crate::samples;

    fn typical() -> FolderJournal {
        samples::folder_journals()[1].clone()
    }

    fn code_at(bytes: &[u8]) -> (&'static str, u64) {
        let e = FolderJournal::decode(bytes).unwrap_err();
        (e.kind.code(), e.offset)
    }

    /// Count-word offsets of the records after the header.
    fn starts(bytes: &[u8]) -> Vec<usize> {
        frames(&bytes[FIRST_RECORD..], FIRST_RECORD)
            .iter()
            .map(|f| match f {
                Frame::Whole { start, .. } | Frame::Failed { start, .. } => *start,
            })
            .collect()
    }

    #[test]
    fn round_trips_and_appends_are_records() {
        for j in samples::folder_journals() {
            let bytes = j.encode().unwrap();
            assert_eq!(bytes[..HEAD_LEN], head_bytes(&j.base)[..]);
            let (back, cursor) = FolderJournal::read(&bytes).unwrap();
            assert_eq!(back, j);
            assert_eq!(cursor.offset, bytes.len() as u64);
            assert_eq!(read_base(&bytes).unwrap(), j.base);
        }
        // Appending framed records one by one makes the same file.
        let j = typical();
        let mut file = head_bytes(&j.base);
        let mut cursor = Cursor::start(j.base);
        for c in &j.changes {
            assert_eq!(cursor.offset, file.len() as u64);
            file.extend_from_slice(&cursor.accept(c).unwrap());
        }
        assert_eq!(file, j.encode().unwrap());
        assert_eq!(FolderJournal::read(&file).unwrap().1, cursor);
        // A change that breaks the rules is refused before it is written.
        assert!(cursor.accept(&j.changes[0]).is_err());
    }

    #[test]
    fn a_torn_append_is_dropped_and_the_cursor_stays_before_it() {
        let j = typical();
        let bytes = j.encode().unwrap();
        let last = *starts(&bytes).last().unwrap();
        for cut in last + 1..bytes.len() {
            let (back, cursor) = FolderJournal::read(&bytes[..cut]).unwrap();
            assert_eq!(back.changes, j.changes[..3], "cut at {cut}");
            assert_eq!(back.torn_tail, (cut - last) as u64);
            assert_eq!(cursor.offset, last as u64);
        }
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 6] ^= 0x40;
        assert_eq!(FolderJournal::decode(&bad).unwrap().changes.len(), 3);
    }

    #[test]
    fn damage_before_a_whole_record_is_corruption() {
        let bytes = typical().encode().unwrap();
        let s = starts(&bytes);
        let mut m = bytes.clone();
        m[s[1] + 4] ^= 1;
        assert_eq!(code_at(&m).0, "bad-checksum");
        let mut m = bytes.clone();
        m[s[1] + 1] |= 0x80;
        assert_eq!(code_at(&m), ("overlong-record", s[1] as u64));
        // The BASE record is never torn.
        let mut m = bytes[..HEAD_LEN].to_vec();
        m[HEAD_LEN - 1] ^= 1;
        assert_eq!(code_at(&m), ("bad-checksum", (HEAD_LEN - 4) as u64));
        assert_eq!(code_at(&bytes[..HEAD_LEN - 1]), ("truncated", 10));
        assert_eq!(code_at(&bytes[..FIRST_RECORD]), ("truncated", 10));
    }

    #[test]
    fn reading_since_a_cursor_gives_what_was_appended() {
        let j = typical();
        let bytes = j.encode().unwrap();
        let mut cursor = Cursor::start(j.base);
        let mut seen = Vec::new();
        // From every record boundary, with the file growing one byte at a
        // time: never an error, never a change twice or lost.
        for len in HEAD_LEN..=bytes.len() {
            let tail = &bytes[cursor.offset as usize..len];
            let since = read_since(&cursor, tail).unwrap();
            seen.extend(since.changes);
            assert_eq!(
                since.cursor.offset + since.torn_tail,
                len as u64,
                "at {len}"
            );
            cursor = since.cursor;
        }
        assert_eq!(seen, j.changes);
        assert_eq!(cursor, FolderJournal::read(&bytes).unwrap().1);
        // The rules hold across reads: the first change again is refused
        // at its offset in the file.
        let again = j.changes[0].framed().unwrap();
        let e = read_since(&cursor, &again).unwrap_err();
        assert_eq!(e.kind.code(), "bad-value");
        assert_eq!(e.offset, cursor.offset + 4);
        let odd = Cursor {
            offset: 35,
            ..cursor
        };
        assert!(read_since(&odd, &[]).is_err());
    }

    #[test]
    fn the_rules_give_their_offsets() {
        let j = typical();
        let s = starts(&j.encode().unwrap());
        let with = |i: usize, c: Change| {
            let mut j = j.clone();
            j.changes[i] = c;
            let mut out = head_bytes(&j.base);
            for c in &j.changes {
                out.extend_from_slice(&c.framed().unwrap());
            }
            out
        };
        let Change::Append(a) = &j.changes[2] else {
            panic!()
        };
        // MODSEQ not above the previous record's (7).
        let low = with(
            2,
            Change::Append(Append {
                modseq: 7,
                ..a.clone()
            }),
        );
        assert_eq!(code_at(&low), ("bad-value", (s[3] + 2 + 26) as u64));
        // UID not above the previous APPEND's (4).
        let uid = with(
            2,
            Change::Append(Append {
                uid: 4,
                ..a.clone()
            }),
        );
        assert_eq!(code_at(&uid), ("bad-value", (s[3] + 4) as u64));
        // A FLAGS for a UID never given.
        let Change::Flags(f) = &j.changes[1] else {
            panic!()
        };
        let future = with(
            1,
            Change::Flags(FlagChange {
                uid: 5,
                ..f.clone()
            }),
        );
        assert_eq!(code_at(&future), ("bad-value", (s[2] + 4) as u64));
        // An EXPUNGE without messages, and one out of order.
        let none = with(
            3,
            Change::Expunge(ExpungedSet {
                modseq: 9,
                messages: vec![],
            }),
        );
        assert_eq!(code_at(&none), ("bad-value", (s[4] + 2 + 10) as u64));
        let m = |uid| ExpungedMessage {
            uid,
            message: MessageId(uid.into()),
        };
        let order = with(
            3,
            Change::Expunge(ExpungedSet {
                modseq: 9,
                messages: vec![m(3), m(1)],
            }),
        );
        assert_eq!(code_at(&order), ("bad-value", (s[4] + 2 + 24) as u64));
        // A second BASE, and a first record that is not the BASE.
        let mut twice = j.encode().unwrap();
        let end = twice.len();
        twice.extend_from_slice(&j.encode().unwrap()[FIRST_RECORD..HEAD_LEN]);
        assert_eq!(code_at(&twice), ("duplicate-record", (end + 2) as u64));
        let mut first = j.encode().unwrap()[..FIRST_RECORD].to_vec();
        first.extend_from_slice(&j.changes[1].framed().unwrap());
        assert_eq!(code_at(&first), ("missing-record", 12));
    }

    #[test]
    fn salvage_reads_the_whole_records_of_a_corrupt_journal() {
        let j = typical();
        let bytes = j.encode().unwrap();
        let s = starts(&bytes);
        let mut m = bytes.clone();
        m[s[1] + 1] |= 0x80;
        assert!(FolderJournal::decode(&m).is_err());
        let (base, changes) = salvage(&m);
        assert_eq!(base, Some(j.base));
        assert_eq!(changes, j.changes[1..]);
        assert_eq!(salvage(&bytes), (Some(j.base), j.changes));
    }
}
