//! A popstore user's message list, `MESSAGES.PML` in the user's subtree
//! (SPEC.md, "Message list"): one entry per reference to a message file.

use crate::codec::{Enc, PResult, list16, parse_record, str16, time, u32le, u64le};
use crate::container::{
    Container, UnknownRecord, once, read_container, required, write_container,
    write_container_version,
};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::layout::MessageId;

/// Record types of the message list.
pub mod rtype {
    /// List parameters (required, once, first).
    pub const LIST: u16 = 0x0001;
    /// One reference.
    pub const ENTRY: u16 = 0x0002;
    /// Message files whose references a deletion dropped (version 1.1).
    pub const RELEASED: u16 = 0x0003;
}

/// The minor version of a list holding RELEASED records (SPEC.md 7).
pub const MINOR_RELEASED: u16 = 1;

/// The most message files one RELEASED record names (its record stays
/// below the 32,767 bytes of a VAR record: 2 + 8 + 2 + 8 n + 4 pad).
pub const MAX_RELEASED_PER_RECORD: usize = 4000;

crate::open_flags! {
    /// Per-reference state.
    pub struct EntryFlags(u32) {
        /// Retrieved by the user (RETR, TOP of the whole message, or web).
        SEEN = 1, "seen";
        /// Marked deleted (web interface; POP3 deletions are applied at QUIT).
        DELETED = 2, "deleted";
    }
}

/// One reference to a message file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The message file.
    pub message: MessageId,
    /// The POP3 size (RFC 1939 LIST): the message file's body length.
    pub size: u64,
    /// When delivered to this user.
    pub delivered: Option<i64>,
    /// State.
    pub flags: EntryFlags,
    /// The UIDL: 1 to 70 characters 0x21 to 0x7E, unique in this list.
    pub uidl: String,
}

/// Message files whose references a deletion removed from this list, and
/// when (a RELEASED record, SPEC.md 7): evidence for a repair that a file
/// left without references was dropped on purpose, not lost.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Released {
    /// When the references were removed.
    pub time: Option<i64>,
    /// The message files (1 to [`MAX_RELEASED_PER_RECORD`]).
    pub messages: Vec<MessageId>,
}

/// A popstore user's message list.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MessageList {
    /// The next number the store uses to make a UIDL for this user.
    pub next_uidl: u64,
    /// The references, in delivery order.
    pub entries: Vec<Entry>,
    /// Recent deletions (RELEASED records, version 1.1), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub released: Vec<Released>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

/// True when `u` is a valid UIDL (RFC 1939: 1 to 70 characters 0x21-0x7E).
pub fn valid_uidl(u: &str) -> bool {
    (1..=70).contains(&u.len()) && u.bytes().all(|b| (0x21..=0x7E).contains(&b))
}

/// Parses the fields of an ENTRY record (after its type code); the
/// message-list journal's ENTRY has the same fields.
pub(crate) fn entry(i: &[u8]) -> PResult<'_, Entry> {
    let (i, message) = u64le(i)?;
    let (i, size) = u64le(i)?;
    let (i, delivered) = time(i)?;
    let (i, flags) = u32le(i)?;
    let (i, uidl) = str16(i)?;
    Ok((
        i,
        Entry {
            message: MessageId(message),
            size,
            delivered,
            flags: EntryFlags(flags),
            uidl,
        },
    ))
}

/// Writes the fields of an ENTRY record (after its type code).
pub(crate) fn entry_fields(e: &mut Enc, m: &Entry) -> Result<(), WriteError> {
    e.u64(m.message.0)
        .u64(m.size)
        .time(m.delivered)
        .u32(m.flags.0);
    e.str16("UIDL", &m.uidl)?;
    Ok(())
}

impl StoreFile for MessageList {
    const MAGIC: [u8; 4] = *b"PSML";
    const KIND: FileKind = FileKind::MESSAGE_LIST;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let mut next = None;
        let mut entries = Vec::new();
        let mut released = Vec::new();
        let mut unknown = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in &c.records {
            let at = r.body_offset();
            match r.rtype {
                rtype::LIST => once(&mut next, r, parse_record(r.rtype, at, r.body, u64le)?)?,
                rtype::ENTRY => {
                    let e = parse_record(r.rtype, at, r.body, entry)?;
                    if !valid_uidl(&e.uidl) || !seen.insert(e.uidl.clone()) {
                        return Err(Error::new(
                            at + 28,
                            ErrorKind::BadValue {
                                reason: format!("UIDL {:?} is invalid or repeated", e.uidl),
                            },
                        ));
                    }
                    entries.push(e);
                }
                rtype::RELEASED => {
                    let v = parse_record(r.rtype, at, r.body, released_fields)?;
                    if v.messages.is_empty() || v.messages.len() > MAX_RELEASED_PER_RECORD {
                        return Err(Error::new(
                            at + 8,
                            ErrorKind::BadValue {
                                reason: format!(
                                    "a RELEASED record names {} message files (1 to \
                                     {MAX_RELEASED_PER_RECORD})",
                                    v.messages.len()
                                ),
                            },
                        ));
                    }
                    released.push(v);
                }
                _ => unknown.push(UnknownRecord::from_record(r)),
            }
        }
        Ok(MessageList {
            next_uidl: required(next, rtype::LIST, &c)?,
            entries,
            released,
            unknown,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        let mut recs = Vec::with_capacity(self.entries.len() + 1);
        let mut e = Enc::record(rtype::LIST);
        e.u64(self.next_uidl);
        recs.push(e.finish("list record")?);
        let mut seen = std::collections::HashSet::new();
        for m in &self.entries {
            if !valid_uidl(&m.uidl) || !seen.insert(m.uidl.as_str()) {
                return Err(WriteError::BadValue(format!(
                    "UIDL {:?} is invalid or repeated",
                    m.uidl
                )));
            }
            let mut e = Enc::record(rtype::ENTRY);
            entry_fields(&mut e, m)?;
            recs.push(e.finish("entry record")?);
        }
        for r in &self.released {
            if r.messages.is_empty() || r.messages.len() > MAX_RELEASED_PER_RECORD {
                return Err(WriteError::BadValue(format!(
                    "a RELEASED record names {} message files (1 to {MAX_RELEASED_PER_RECORD})",
                    r.messages.len()
                )));
            }
            let mut e = Enc::record(rtype::RELEASED);
            e.time(r.time);
            e.count16("released message files", r.messages.len())?;
            for m in &r.messages {
                e.u64(m.0);
            }
            recs.push(e.finish("released record")?);
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        if self.released.is_empty() {
            // Byte for byte what a 1.0 writer writes.
            write_container(Self::MAGIC, &recs)
        } else {
            write_container_version(Self::MAGIC, (crate::FORMAT_MAJOR, MINOR_RELEASED), &recs)
        }
    }
}

/// Parses the fields of a RELEASED record.
fn released_fields(i: &[u8]) -> PResult<'_, Released> {
    let (i, t) = time(i)?;
    let (i, ids) = list16(i, 8, u64le)?;
    Ok((
        i,
        Released {
            time: t,
            messages: ids.into_iter().map(MessageId).collect(),
        },
    ))
}
