//! The store descriptor, `POPSTORE.PSD` at the top of root 0 (SPEC.md,
//! "Store descriptor"): format parameters every host needs before it can
//! compute a path.

use crate::codec::{Enc, PResult, array, i64le, parse_record, str16, u16le, u32le};
use crate::container::{
    Container, UnknownRecord, check_header_upto, once, read_container_upto, required,
    write_container_version,
};
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
        /// Incompatible feature (descriptor 2.0): message files are placed
        /// by bits 24..55 of their id, not by the hash of their name
        /// (SPEC.md 14.4).
        ID_MESSAGE_DIRS = 0x1_0000, "id-message-dirs";
        /// Incompatible feature (descriptor 2.0): deliveries append to a
        /// journal beside each message list (`MESSAGES.PMJ`, SPEC.md 7.1)
        /// that readers must merge. 0x2_0000 is never assigned: the
        /// conformance fixtures use it as the unknown feature.
        LIST_JOURNAL = 0x4_0000, "list-journal";
        /// Incompatible feature (descriptor 2.x): changes to a folder are
        /// appended to a journal beside its index (`Fxxxxxxxx.PFJ`,
        /// SPEC.md 8.1) that readers must apply.
        FOLDER_JOURNAL = 0x8_0000, "folder-journal";
        /// Incompatible feature (descriptor 2.x, with `folder-journal`):
        /// an EXPUNGE of a folder's index entries does not lower the
        /// profile's usage; a FREED record before it says how much it
        /// frees (SPEC.md 8.1), which a fold moves into the profile.
        FOLDER_FREED = 0x10_0000, "folder-freed";
        /// Incompatible feature (descriptor 2.x): the share index
        /// `ROOT0:[SHARES]` names every MessageStore account whose mailbox
        /// list has an ACL entry for someone else (SPEC.md 9.3), so a
        /// reader finds the folders shared with an account without
        /// reading every account; a writer that ignored it would leave
        /// new shares out of the index.
        SHARE_INDEX = 0x20_0000, "share-index";
    }
}

/// Store flags 0x10000 and up are incompatible features: a reader that
/// does not know one of them must refuse the store (SPEC.md section 5).
pub const INCOMPAT_FLAGS: u32 = 0xFFFF_0000;

/// The incompatible features this crate implements.
pub const KNOWN_INCOMPAT: u32 = StoreFlags::ID_MESSAGE_DIRS.0
    | StoreFlags::LIST_JOURNAL.0
    | StoreFlags::FOLDER_JOURNAL.0
    | StoreFlags::FOLDER_FREED.0
    | StoreFlags::SHARE_INDEX.0;

/// The descriptor's newest major version: 2 when an incompatible feature
/// is in use, so that 1.x readers refuse such a store.
pub const DESCRIPTOR_MAJOR: u16 = 2;

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

/// File offset of the store flags in a 2.x descriptor, whose first record
/// must be STORE (SPEC.md section 5).
const FLAGS_AT: usize = 46;

/// Step 3 of the reader's checks for a 2.x descriptor: its incompatible
/// features, read at their fixed place before anything else, must all be
/// known (and there must be one: 2.x exists only to carry them).
/// Otherwise the store is refused as a future version. A file that ends
/// before the flags is truncated (at its length); one whose first record
/// is not STORE breaks the rule that puts the flags there (bad value at
/// the first record's type code, 12).
fn check_features(bytes: &[u8]) -> Result<(), Error> {
    let Some(flags) = bytes.get(FLAGS_AT..FLAGS_AT + 4) else {
        return Err(Error::new(bytes.len(), ErrorKind::Truncated));
    };
    if bytes.get(12..14) != Some(&rtype::STORE.to_le_bytes()[..]) {
        return Err(Error::new(
            12,
            ErrorKind::BadValue {
                reason: "the first record of a 2.x descriptor is not STORE".to_owned(),
            },
        ));
    }
    let flags = u32::from_le_bytes([flags[0], flags[1], flags[2], flags[3]]);
    let incompat = flags & INCOMPAT_FLAGS;
    if incompat == 0 || incompat & !KNOWN_INCOMPAT != 0 {
        return Err(Error::new(
            6,
            ErrorKind::UnknownFeatures {
                flags: incompat & !KNOWN_INCOMPAT,
            },
        ));
    }
    Ok(())
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
            id_message_dirs: self.flags.contains(StoreFlags::ID_MESSAGE_DIRS),
            list_journal: self.flags.contains(StoreFlags::LIST_JOURNAL),
            folder_journal: self.flags.contains(StoreFlags::FOLDER_JOURNAL),
            folder_freed: self.flags.contains(StoreFlags::FOLDER_FREED),
            share_index: self.flags.contains(StoreFlags::SHARE_INDEX),
        }
    }

    /// The rules of SPEC.md section 5 as a reader checks them, after all
    /// records: the fanout (bad value at the STORE record), at least one
    /// ROOT (missing record at the end record), root 0 first and indexes
    /// unique (bad value at the ROOT record that breaks the rule).
    fn check_read(&self, store_at: usize, root_at: &[usize], end_at: usize) -> Result<(), Error> {
        let bad = |at: usize, reason: String| Error::new(at, ErrorKind::BadValue { reason });
        if !self.fanout.is_valid() {
            return Err(bad(
                store_at,
                format!("fanout {:?} is out of bounds", self.fanout),
            ));
        }
        let Some(first) = self.roots.first() else {
            return Err(Error::new(
                end_at,
                ErrorKind::MissingRecord { rtype: rtype::ROOT },
            ));
        };
        if first.index != 0 {
            return Err(bad(root_at[0], "root 0 must come first".to_owned()));
        }
        for (i, r) in self.roots.iter().enumerate() {
            if self.roots[..i].iter().any(|o| o.index == r.index) {
                return Err(bad(root_at[i], format!("root {} appears twice", r.index)));
            }
        }
        Ok(())
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
        let (major, _) = check_header_upto(bytes, Self::MAGIC, DESCRIPTOR_MAJOR)?;
        if major >= 2 {
            check_features(bytes)?;
        }
        let c: Container<'_> = read_container_upto(bytes, Self::MAGIC, DESCRIPTOR_MAJOR)?;
        let features = c.major >= 2;
        let mut st = None;
        let mut store_at = c.end_offset;
        let mut roots = Vec::new();
        let mut root_at = Vec::new();
        let mut domains = Vec::new();
        let mut unknown = Vec::new();
        for r in &c.records {
            let at = r.body_offset();
            match r.rtype {
                rtype::STORE => {
                    once(&mut st, r, parse_record(r.rtype, at, r.body, store)?)?;
                    store_at = r.offset;
                }
                rtype::ROOT => {
                    roots.push(parse_record(r.rtype, at, r.body, root)?);
                    root_at.push(r.offset);
                }
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
        // 2.x exists only to carry incompatible features: refuse (as a
        // future version, at the version field) a 2.x descriptor whose
        // features are not all known, or that names none we know.
        let incompat = d.flags.0 & INCOMPAT_FLAGS;
        if features && (incompat & !KNOWN_INCOMPAT != 0 || incompat == 0) {
            return Err(Error::new(
                6,
                ErrorKind::UnknownFeatures {
                    flags: incompat & !KNOWN_INCOMPAT,
                },
            ));
        }
        if !features && incompat != 0 {
            return Err(Error::new(
                store_at,
                ErrorKind::BadValue {
                    reason: format!(
                        "incompatible feature flags {incompat:#x} in a version 1 descriptor"
                    ),
                },
            ));
        }
        d.check_read(store_at, &root_at, c.end_offset)?;
        Ok(d)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        self.check().map_err(WriteError::BadValue)?;
        let unknown = self.flags.0 & INCOMPAT_FLAGS & !KNOWN_INCOMPAT;
        if unknown != 0 {
            return Err(WriteError::BadValue(format!(
                "unknown incompatible feature flags {unknown:#x}"
            )));
        }
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
        let version = if self.flags.0 & INCOMPAT_FLAGS != 0 {
            (DESCRIPTOR_MAJOR, 0)
        } else {
            (crate::FORMAT_MAJOR, crate::FORMAT_MINOR)
        };
        write_container_version(Self::MAGIC, version, &recs)
    }
}

#[cfg(test)]
mod feature_tests {
    use super::*;
    use crate::StoreFile;
    use crate::layout::MessageId;

    fn with_flags(flags: u32) -> StoreDescriptor {
        let mut d = crate::samples::descriptors()[1].clone();
        d.flags = StoreFlags(flags);
        d
    }

    #[test]
    fn an_incompatible_feature_makes_a_version_2_descriptor() {
        let d = with_flags(StoreFlags::ID_MESSAGE_DIRS.0 | 1);
        let bytes = d.encode().unwrap();
        assert_eq!(&bytes[6..10], &[2, 0, 0, 0]);
        assert_eq!(StoreDescriptor::decode(&bytes).unwrap(), d);
        assert!(d.layout().id_message_dirs);
        let plain = with_flags(1).encode().unwrap();
        assert_eq!(&plain[6..10], &[1, 0, 0, 0]);
    }

    #[test]
    fn unknown_features_and_featureless_2_0_are_refused_as_future() {
        let d = with_flags(0);
        let v1 = d.encode().unwrap();
        let with_major = |major: u8| {
            let mut b = v1.clone();
            b[6] = major;
            let n = b.len();
            let crc = crate::container::crc32(&b[..n - 12]);
            b[n - 4..].copy_from_slice(&crc.to_le_bytes());
            b
        };
        let v2 = with_major(2);
        let e = StoreDescriptor::decode(&v2).unwrap_err();
        assert_eq!((e.kind.code(), e.offset), ("future-version", 6));
        let unknown = StoreFlags(0x2_0000);
        assert!(with_flags(unknown.0).encode().is_err());
        let v3 = with_major(3);
        let e = StoreDescriptor::decode(&v3).unwrap_err();
        assert_eq!(e.kind.code(), "future-version");
    }

    #[test]
    fn id_message_dirs_follow_bits_24_to_55() {
        let mut l = with_flags(StoreFlags::ID_MESSAGE_DIRS.0).layout();
        let a = l.message_file(MessageId((0x12_3456 << 24) | 0x00AB_CDEF));
        let b = l.message_file(MessageId((0x12_3456 << 24) | 0x0000_0001));
        assert_eq!(a.dirs, b.dirs);
        let names: Vec<&str> = a.dirs.iter().map(|d| d.as_str()).collect();
        assert_eq!(names, ["MESSAGES", "56", "34"]);
        l.id_message_dirs = false;
        assert_ne!(l.message_file(MessageId(0x2A)).dirs.len(), 0);
    }
}
