//! A user's vacation-tracking state, `VACATION.PVS` in the user's subtree
//! (SPEC.md, "Vacation state"): when each sender was last answered.

use crate::codec::{Enc, PResult, i64le, parse_record, str16};
use crate::container::{Container, UnknownRecord, read_container, write_container};
use crate::error::{Error, WriteError};
use crate::kind::{FileKind, StoreFile};

/// Record types of the vacation state.
pub mod rtype {
    /// One sender answered.
    pub const SENT: u16 = 0x0001;
}

/// One sender answered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    /// When the last notice went to this sender.
    pub last_sent: i64,
    /// The sender's address, canonical (lower case).
    pub address: String,
}

/// The vacation state.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct VacationState {
    /// Senders answered.
    pub sent: Vec<Sent>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

fn sent(i: &[u8]) -> PResult<'_, Sent> {
    let (i, last_sent) = i64le(i)?;
    let (i, address) = str16(i)?;
    Ok((i, Sent { last_sent, address }))
}

impl StoreFile for VacationState {
    const MAGIC: [u8; 4] = *b"PSVS";
    const KIND: FileKind = FileKind::VACATION_STATE;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let mut v = VacationState::default();
        for r in &c.records {
            match r.rtype {
                rtype::SENT => v
                    .sent
                    .push(parse_record(r.rtype, r.body_offset(), r.body, sent)?),
                _ => v.unknown.push(UnknownRecord::from_record(r)),
            }
        }
        Ok(v)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        let mut recs = Vec::with_capacity(self.sent.len());
        for s in &self.sent {
            let mut e = Enc::record(rtype::SENT);
            e.i64(s.last_sent);
            e.str16("address", &s.address)?;
            recs.push(e.finish("sent record")?);
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}
