//! The forwarding database, `FORWARD.PSF` at the top of root 0 (SPEC.md,
//! "Forwarding database"): a name maps to one or more addresses.

use crate::codec::{Enc, PResult, list16, parse_record, str16, u32le};
use crate::container::{Container, UnknownRecord, read_container, write_container};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};

/// Record types of the forwarding database.
pub mod rtype {
    /// One forwarding.
    pub const FORWARD: u16 = 0x0001;
}

crate::open_flags! {
    /// Per-forwarding options (none defined in version 1.0).
    pub struct ForwardFlags(u32) {}
}

/// One forwarding: mail to `name` goes to `addresses` instead. When `name`
/// is an account, it still gets a copy only if it is in its own list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Forwarding {
    /// Options.
    pub flags: ForwardFlags,
    /// The name forwarded, canonical (lower case); need not be an account.
    pub name: String,
    /// Where mail goes: account names or external addresses (at least one).
    pub addresses: Vec<String>,
}

/// The forwarding database.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ForwardingDb {
    /// Forwardings, by ascending name (byte order), names unique.
    pub entries: Vec<Forwarding>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

fn forwarding(i: &[u8]) -> PResult<'_, Forwarding> {
    let (i, flags) = u32le(i)?;
    let (i, name) = str16(i)?;
    let (i, addresses) = list16(i, 2, str16)?;
    Ok((
        i,
        Forwarding {
            flags: ForwardFlags(flags),
            name,
            addresses,
        },
    ))
}

fn check_order(prev: Option<&Forwarding>, f: &Forwarding) -> Result<(), String> {
    if f.name.is_empty() || f.addresses.is_empty() {
        return Err("a forwarding needs a name and at least one address".to_owned());
    }
    if prev.is_some_and(|p| p.name >= f.name) {
        return Err(format!(
            "forwarding {:?} is out of order or repeated",
            f.name
        ));
    }
    Ok(())
}

impl ForwardingDb {
    /// The addresses `name` (canonical) forwards to.
    pub fn lookup(&self, name: &str) -> Option<&Forwarding> {
        self.entries
            .binary_search_by(|f| f.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.entries[i])
    }
}

impl StoreFile for ForwardingDb {
    const MAGIC: [u8; 4] = *b"PSFW";
    const KIND: FileKind = FileKind::FORWARDING;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let mut db = ForwardingDb::default();
        for r in &c.records {
            match r.rtype {
                rtype::FORWARD => {
                    let f = parse_record(r.rtype, r.body_offset(), r.body, forwarding)?;
                    check_order(db.entries.last(), &f)
                        .map_err(|reason| Error::new(r.offset, ErrorKind::BadValue { reason }))?;
                    db.entries.push(f);
                }
                _ => db.unknown.push(UnknownRecord::from_record(r)),
            }
        }
        Ok(db)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        let mut recs = Vec::with_capacity(self.entries.len());
        let mut prev = None;
        for f in &self.entries {
            check_order(prev, f).map_err(WriteError::BadValue)?;
            prev = Some(f);
            let mut e = Enc::record(rtype::FORWARD);
            e.u32(f.flags.0);
            e.str16("forwarding name", &f.name)?;
            e.count16("forwarding addresses", f.addresses.len())?;
            for a in &f.addresses {
                e.str16("forwarding address", a)?;
            }
            recs.push(e.finish("forwarding record")?);
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}
