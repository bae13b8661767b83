//! The store descriptor, `POPSTORE.PSD` at the top of root 0 (SPEC.md,
//! "Store descriptor"): format parameters every host needs before it can
//! compute a path.

use crate::codec::{Enc, PResult, array, i64le, parse_record, str16, u16le, u32le};
use crate::container::{Container, UnknownRecord, once, read_container, required, write_container};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::layout::{Fanout, Layout};
use crate::types::HexBytes;

/// Record types of the store descriptor.
pub mod rtype {
    /// The store's parameters (required, once).
    pub const STORE: u16 = 0x0001;
    /// One store root (at least root 0).
    pub const ROOT: u16 = 0x0002;
    /// One user domain (with the `user-domains` flag).
    pub const DOMAIN: u16 = 0x0003;
}

crate::open_enum! {
    /// Which account names the store accepts.
    pub struct NameStyle(u16) {
        /// Letters, digits, `.`, `-`, `_` of the character set.
        LOGIN = 1, "login";
        /// Any printable character of the character set except space,
        /// `"`, `(`, `)`, `,`, `:`, `;`, `<`, `>`, `[`, `\`, `]`.
        EMAIL = 2, "email";
    }
}

crate::open_flags! {
    /// Store-wide options.
    pub struct StoreFlags(u32) {
        /// Each user domain has its own namespace and `default` account.
        USER_DOMAINS = 1, "user-domains";
        /// An existing account can't be forwarded (PMDF's no-override).
        NO_FORWARD_OVERRIDE = 2, "no-forward-override";
    }
}

crate::open_flags! {
    /// What a store root holds.
    pub struct RootRoles(u32) {
        /// User subtrees.
        USERS = 1, "users";
        /// Message files.
        MESSAGES = 2, "messages";
    }
}

/// One store root (disk).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreRoot {
    /// Index (root 0 holds the descriptor).
    pub index: u8,
    /// What the root holds.
    pub roles: RootRoles,
    /// A label (an ODS-2 name) for people.
    pub label: String,
    /// Where the root is on a Linux host (empty for root 0: the store
    /// directory itself). A hint: the host's configuration may override it.
    pub linux_dir: String,
    /// Where the root is on an OpenVMS host (`DEV:[DIR]`), same rules.
    pub openvms_dir: String,
}

/// The store descriptor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreDescriptor {
    /// 16 bytes naming this store (random at creation).
    pub store_id: HexBytes,
    /// When the store was created.
    pub created: i64,
    /// Directory fanout of user subtrees and message files.
    pub fanout: Fanout,
    /// Which account names are allowed.
    pub name_style: NameStyle,
    /// Longest account name in bytes (PMDF: 32).
    pub max_name_len: u16,
    /// Store-wide options.
    pub flags: StoreFlags,
    /// The character set of account names as typed by users (an
    /// encoding_rs label, for example `utf-8` or `iso-8859-1`). Names are
    /// always stored in UTF-8.
    pub charset: String,
    /// The roots, root 0 first.
    pub roots: Vec<StoreRoot>,
    /// User domains (lower case).
    pub domains: Vec<String>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

impl StoreDescriptor {
    /// The path computer for this store.
    pub fn layout(&self) -> Layout {
        let mut user_roots: Vec<u8> = self
            .roots
            .iter()
            .filter(|r| r.roles.contains(RootRoles::USERS))
            .map(|r| r.index)
            .collect();
        if user_roots.is_empty() {
            user_roots.push(0);
        }
        Layout {
            fanout: self.fanout,
            user_roots,
        }
    }

    fn check(&self) -> Result<(), String> {
        if !self.fanout.is_valid() {
            return Err(format!("fanout {:?} is out of bounds", self.fanout));
        }
        if self.store_id.0.len() != 16 {
            return Err("store id must be 16 bytes".to_owned());
        }
        if self.roots.first().map(|r| r.index) != Some(0) {
            return Err("root 0 must come first".to_owned());
        }
        for (i, r) in self.roots.iter().enumerate() {
            if self.roots[..i].iter().any(|o| o.index == r.index) {
                return Err(format!("root {} appears twice", r.index));
            }
        }
        Ok(())
    }
}

fn store(i: &[u8]) -> PResult<'_, (HexBytes, i64, Fanout, NameStyle, u16, StoreFlags, String)> {
    let (i, id) = array::<16>(i)?;
    let (i, created) = i64le(i)?;
    let (i, levels) = nom::number::complete::u8(i)?;
    let (i, _pad) = nom::number::complete::u8(i)?;
    let (i, width) = u16le(i)?;
    let (i, style) = u16le(i)?;
    let (i, max) = u16le(i)?;
    let (i, flags) = u32le(i)?;
    let (i, charset) = str16(i)?;
    Ok((
        i,
        (
            HexBytes(id.to_vec()),
            created,
            Fanout { levels, width },
            NameStyle(style),
            max,
            StoreFlags(flags),
            charset,
        ),
    ))
}

fn root(i: &[u8]) -> PResult<'_, StoreRoot> {
    let (i, index) = nom::number::complete::u8(i)?;
    let (i, _pad) = nom::number::complete::u8(i)?;
    let (i, roles) = u32le(i)?;
    let (i, label) = str16(i)?;
    let (i, linux_dir) = str16(i)?;
    let (i, openvms_dir) = str16(i)?;
    Ok((
        i,
        StoreRoot {
            index,
            roles: RootRoles(roles),
            label,
            linux_dir,
            openvms_dir,
        },
    ))
}

impl StoreFile for StoreDescriptor {
    const MAGIC: [u8; 4] = *b"PSSD";
    const KIND: FileKind = FileKind::DESCRIPTOR;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let mut st = None;
        let mut roots = Vec::new();
        let mut domains = Vec::new();
        let mut unknown = Vec::new();
        for r in &c.records {
            let at = r.body_offset();
            match r.rtype {
                rtype::STORE => once(&mut st, r, parse_record(r.rtype, at, r.body, store)?)?,
                rtype::ROOT => roots.push(parse_record(r.rtype, at, r.body, root)?),
                rtype::DOMAIN => domains.push(parse_record(r.rtype, at, r.body, str16)?),
                _ => unknown.push(UnknownRecord::from_record(r)),
            }
        }
        let (store_id, created, fanout, name_style, max_name_len, flags, charset) =
            required(st, rtype::STORE, &c)?;
        let d = StoreDescriptor {
            store_id,
            created,
            fanout,
            name_style,
            max_name_len,
            flags,
            charset,
            roots,
            domains,
            unknown,
        };
        let at = c.records.first().map_or(c.end_offset, |r| r.offset);
        d.check()
            .map_err(|reason| Error::new(at, ErrorKind::BadValue { reason }))?;
        Ok(d)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        self.check().map_err(WriteError::BadValue)?;
        let mut recs = Vec::new();
        let mut e = Enc::record(rtype::STORE);
        e.fixed(&self.store_id.0)
            .i64(self.created)
            .u8(self.fanout.levels)
            .u8(0)
            .u16(self.fanout.width)
            .u16(self.name_style.0)
            .u16(self.max_name_len)
            .u32(self.flags.0);
        e.str16("charset", &self.charset)?;
        recs.push(e.finish("store record")?);
        for r in &self.roots {
            let mut e = Enc::record(rtype::ROOT);
            e.u8(r.index).u8(0).u32(r.roles.0);
            e.str16("root label", &r.label)?;
            e.str16("linux dir", &r.linux_dir)?;
            e.str16("openvms dir", &r.openvms_dir)?;
            recs.push(e.finish("root record")?);
        }
        for d in &self.domains {
            let mut e = Enc::record(rtype::DOMAIN);
            e.str16("domain", d)?;
            recs.push(e.finish("domain record")?);
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}
