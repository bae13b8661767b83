//! A converted account's POP3 UIDLs, `POPUIDLS.PPU` in the user's subtree
//! (SPEC.md 9.1, format 2.2): when `popstore user convert --to imap`
//! turns a popstore account into a MessageStore account, each message of
//! its list becomes an INBOX entry, and this map keeps the UIDL it had,
//! so POP3 clients see the same UIDLs after the conversion.
//!
//! A row applies only while INBOX's UIDVALIDITY is the map's and INBOX
//! holds that UID with that message file: a row of an expunged message,
//! or of an INBOX given a new UIDVALIDITY, is ignored (the message then
//! gets the UIDL POP3 derives from its UID).

use crate::codec::{Enc, PResult, parse_record, str16, u32le, u64le};
use crate::container::{Container, UnknownRecord, once, read_container, required, write_container};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::layout::MessageId;
use crate::msglist::valid_uidl;

/// Record types of the UIDL map.
pub mod rtype {
    /// Which folder and UIDVALIDITY the UIDs belong to (required, once).
    pub const MAP: u16 = 0x0001;
    /// One message's UIDL.
    pub const UIDL: u16 = 0x0002;
}

/// One message's kept UIDL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PopUidl {
    /// Its UID in the folder.
    pub uid: u32,
    /// The message file the UID must name for the row to apply.
    pub message: MessageId,
    /// The UIDL (1 to 70 characters 0x21 to 0x7E, unique in the map).
    pub uidl: String,
}

/// The UIDL map of one account.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PopUidls {
    /// The folder the UIDs are in (1: INBOX).
    pub folder_id: u32,
    /// The folder's UIDVALIDITY when the map was written (non-zero).
    pub uidvalidity: u32,
    /// The rows, by strictly ascending UID.
    pub entries: Vec<PopUidl>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

impl PopUidls {
    /// The UIDL of the message `uid` naming `message`, when the map has
    /// one and belongs to `uidvalidity`.
    pub fn uidl(&self, uidvalidity: u32, uid: u32, message: MessageId) -> Option<&str> {
        if uidvalidity != self.uidvalidity {
            return None;
        }
        let i = self.entries.binary_search_by_key(&uid, |e| e.uid).ok()?;
        let e = &self.entries[i];
        (e.message == message).then_some(e.uidl.as_str())
    }

    /// The first rule the map breaks (SPEC.md 9.1), with the index of the
    /// row (`None`: the MAP record).
    fn check(&self) -> Result<(), (Option<usize>, String)> {
        if self.folder_id == 0 || self.uidvalidity == 0 {
            return Err((None, "folder id or UIDVALIDITY is 0".into()));
        }
        let mut seen = std::collections::HashSet::new();
        let mut last = 0u32;
        for (n, e) in self.entries.iter().enumerate() {
            if e.uid <= last {
                return Err((Some(n), format!("UID {} out of order (or 0)", e.uid)));
            }
            if !valid_uidl(&e.uidl) || !seen.insert(e.uidl.as_str()) {
                return Err((Some(n), format!("UIDL {:?} is invalid or repeated", e.uidl)));
            }
            last = e.uid;
        }
        Ok(())
    }
}

fn map(i: &[u8]) -> PResult<'_, (u32, u32)> {
    let (i, folder) = u32le(i)?;
    let (i, uv) = u32le(i)?;
    Ok((i, (folder, uv)))
}

fn row(i: &[u8]) -> PResult<'_, PopUidl> {
    let (i, uid) = u32le(i)?;
    let (i, message) = u64le(i)?;
    let (i, uidl) = str16(i)?;
    Ok((
        i,
        PopUidl {
            uid,
            message: MessageId(message),
            uidl,
        },
    ))
}

impl StoreFile for PopUidls {
    const MAGIC: [u8; 4] = *b"PSPU";
    const KIND: FileKind = FileKind::POP_UIDLS;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let mut head = None;
        let mut head_at = c.end_offset;
        let mut out = PopUidls::default();
        let mut at_of = Vec::new();
        for r in &c.records {
            let at = r.body_offset();
            match r.rtype {
                rtype::MAP => {
                    once(&mut head, r, parse_record(r.rtype, at, r.body, map)?)?;
                    head_at = r.offset;
                }
                rtype::UIDL => {
                    out.entries.push(parse_record(r.rtype, at, r.body, row)?);
                    at_of.push(r.offset);
                }
                _ => out.unknown.push(UnknownRecord::from_record(r)),
            }
        }
        (out.folder_id, out.uidvalidity) = required(head, rtype::MAP, &c)?;
        out.check().map_err(|(n, reason)| {
            let at = n.and_then(|n| at_of.get(n).copied()).unwrap_or(head_at);
            Error::new(at, ErrorKind::BadValue { reason })
        })?;
        Ok(out)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        self.check().map_err(|(_, r)| WriteError::BadValue(r))?;
        let mut recs = Vec::with_capacity(self.entries.len() + 1);
        let mut e = Enc::record(rtype::MAP);
        e.u32(self.folder_id).u32(self.uidvalidity);
        recs.push(e.finish("map record")?);
        for m in &self.entries {
            let mut e = Enc::record(rtype::UIDL);
            e.u32(m.uid).u64(m.message.0);
            e.str16("UIDL", &m.uidl)?;
            recs.push(e.finish("UIDL record")?);
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    #[test]
    fn samples_round_trip_and_rows_apply_only_to_their_message() {
        for m in samples::pop_uidls() {
            let b = m.encode().unwrap();
            assert_eq!(PopUidls::decode(&b).unwrap(), m);
        }
        let t = &samples::pop_uidls()[1];
        let e = &t.entries[0];
        assert_eq!(t.uidl(t.uidvalidity, e.uid, e.message), Some(&e.uidl[..]));
        assert_eq!(t.uidl(t.uidvalidity + 1, e.uid, e.message), None);
        assert_eq!(t.uidl(t.uidvalidity, e.uid, MessageId(1)), None);
    }

    #[test]
    fn rules_are_checked() {
        let mut t = samples::pop_uidls()[1].clone();
        t.entries.swap(0, 1);
        assert!(t.encode().is_err());
        let mut t = samples::pop_uidls()[1].clone();
        t.entries[1].uidl = t.entries[0].uidl.clone();
        assert!(t.encode().is_err());
        let mut t = samples::pop_uidls()[1].clone();
        t.uidvalidity = 0;
        assert!(t.encode().is_err());
    }
}
