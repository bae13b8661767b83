//! A popstore user's message list, `MESSAGES.PML` in the user's subtree
//! (SPEC.md, "Message list"): one entry per reference to a message file.

use crate::codec::{Enc, PResult, parse_record, str16, time, u32le, u64le};
use crate::container::{Container, UnknownRecord, once, read_container, required, write_container};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::layout::MessageId;

/// Record types of the message list.
pub mod rtype {
    /// List parameters (required, once, first).
    pub const LIST: u16 = 0x0001;
    /// One reference.
    pub const ENTRY: u16 = 0x0002;
}

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

/// A popstore user's message list.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MessageList {
    /// The next number the store uses to make a UIDL for this user.
    pub next_uidl: u64,
    /// The references, in delivery order.
    pub entries: Vec<Entry>,
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
                _ => unknown.push(UnknownRecord::from_record(r)),
            }
        }
        Ok(MessageList {
            next_uidl: required(next, rtype::LIST, &c)?,
            entries,
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
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}
