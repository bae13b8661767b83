//! A MessageStore user's mailbox list, `MAILBOXES.PMB` in the user's
//! subtree (SPEC.md, "Mailbox list"): folders, subscriptions, ACLs.
//!
//! Version 1.1 adds the UIDVALIDITY record: the highest UIDVALIDITY given
//! to a folder of the account, so that a folder made again under a deleted
//! one's name never gets its UIDVALIDITY back.

use crate::FORMAT_MAJOR;
use crate::codec::{Enc, PResult, parse_record, str16, u16le, u32le};
use crate::container::{
    Container, UnknownRecord, once, read_container, required, write_container_version,
};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};

/// Record types of the mailbox list.
pub mod rtype {
    /// List parameters (required, once).
    pub const LIST: u16 = 0x0001;
    /// One folder.
    pub const MAILBOX: u16 = 0x0002;
    /// One subscription.
    pub const SUBSCRIPTION: u16 = 0x0003;
    /// One ACL entry.
    pub const ACL: u16 = 0x0004;
    /// The highest UIDVALIDITY given (version 1.1).
    pub const UIDVALIDITY: u16 = 0x0005;
}

/// The minor version of a list that records the highest UIDVALIDITY given.
pub const MINOR_UIDVALIDITY: u16 = 1;

crate::open_enum! {
    /// RFC 6154 special-use attribute of a folder.
    pub struct SpecialUse(u16) {
        /// None.
        NONE = 0, "none";
        /// `\All`.
        ALL = 1, "all";
        /// `\Archive`.
        ARCHIVE = 2, "archive";
        /// `\Drafts`.
        DRAFTS = 3, "drafts";
        /// `\Flagged`.
        FLAGGED = 4, "flagged";
        /// `\Junk`.
        JUNK = 5, "junk";
        /// `\Sent`.
        SENT = 6, "sent";
        /// `\Trash`.
        TRASH = 7, "trash";
    }
}

crate::open_flags! {
    /// Folder attributes.
    pub struct MailboxFlags(u32) {
        /// `\Noselect`: a name in the hierarchy only, no index.
        NOSELECT = 1, "noselect";
        /// `\Noinferiors`.
        NOINFERIORS = 2, "noinferiors";
    }
}

/// One folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mailbox {
    /// Folder id: names the index file `Fxxxxxxxx.PFI`. INBOX is 1.
    pub folder_id: u32,
    /// Special use.
    pub special_use: SpecialUse,
    /// Attributes.
    pub flags: MailboxFlags,
    /// Full name, UTF-8, `/` between hierarchy levels (`INBOX`, `Work/2026`).
    pub name: String,
}

/// One ACL entry (RFC 4314).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AclEntry {
    /// The folder.
    pub folder_id: u32,
    /// Identifier (`anyone`, a user name, `-user` for negative rights).
    pub identifier: String,
    /// Rights letters (`lrswipkxtea`).
    pub rights: String,
}

/// A mailbox list.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MailboxList {
    /// The next folder id to assign.
    pub next_folder_id: u32,
    /// Folders.
    pub mailboxes: Vec<Mailbox>,
    /// Subscribed names (need not exist, RFC 3501 6.3.6).
    pub subscriptions: Vec<String>,
    /// ACL entries.
    pub acls: Vec<AclEntry>,
    /// The highest UIDVALIDITY given to a folder of this account, deleted
    /// folders included (0: none recorded, a version 1.0 list). A new
    /// folder's UIDVALIDITY is above it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_uidvalidity: u32,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn mailbox(i: &[u8]) -> PResult<'_, Mailbox> {
    let (i, folder_id) = u32le(i)?;
    let (i, special_use) = u16le(i)?;
    let (i, flags) = u32le(i)?;
    let (i, name) = str16(i)?;
    Ok((
        i,
        Mailbox {
            folder_id,
            special_use: SpecialUse(special_use),
            flags: MailboxFlags(flags),
            name,
        },
    ))
}

fn acl(i: &[u8]) -> PResult<'_, AclEntry> {
    let (i, folder_id) = u32le(i)?;
    let (i, identifier) = str16(i)?;
    let (i, rights) = str16(i)?;
    Ok((
        i,
        AclEntry {
            folder_id,
            identifier,
            rights,
        },
    ))
}

impl MailboxList {
    /// True when the list, owned by the account `owner` (canonical name),
    /// has an ACL entry for anyone but the owner: the rule of the share
    /// index (SPEC.md 9.3). The public folders' list never needs an entry.
    pub fn shares(&self, owner: &str) -> bool {
        owner != crate::layout::PUBLIC_ACCOUNT && self.acls.iter().any(|a| a.identifier != owner)
    }

    fn check(&self) -> Result<(), String> {
        // Linear: an account may have many thousands of folders.
        let mut ids = std::collections::HashSet::with_capacity(self.mailboxes.len());
        let mut names = std::collections::HashSet::with_capacity(self.mailboxes.len());
        for m in &self.mailboxes {
            if m.folder_id == 0 || m.folder_id >= self.next_folder_id {
                return Err(format!(
                    "folder id {} is 0 or not below the next id",
                    m.folder_id
                ));
            }
            if !ids.insert(m.folder_id) | !names.insert(m.name.as_str()) {
                return Err(format!(
                    "folder {:?} (id {}) appears twice",
                    m.name, m.folder_id
                ));
            }
        }
        Ok(())
    }
}

impl StoreFile for MailboxList {
    const MAGIC: [u8; 4] = *b"PSMB";
    const KIND: FileKind = FileKind::MAILBOX_LIST;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let knows_uidvalidity = c.minor >= MINOR_UIDVALIDITY;
        let mut next = None;
        let mut given = None;
        let mut given_at = c.end_offset;
        let mut l = MailboxList::default();
        for r in &c.records {
            let at = r.body_offset();
            match r.rtype {
                rtype::LIST => once(&mut next, r, parse_record(r.rtype, at, r.body, u32le)?)?,
                rtype::MAILBOX => l
                    .mailboxes
                    .push(parse_record(r.rtype, at, r.body, mailbox)?),
                rtype::SUBSCRIPTION => l
                    .subscriptions
                    .push(parse_record(r.rtype, at, r.body, str16)?),
                rtype::ACL => l.acls.push(parse_record(r.rtype, at, r.body, acl)?),
                rtype::UIDVALIDITY if knows_uidvalidity => {
                    once(&mut given, r, parse_record(r.rtype, at, r.body, u32le)?)?;
                    given_at = r.offset;
                }
                _ => l.unknown.push(UnknownRecord::from_record(r)),
            }
        }
        l.next_folder_id = required(next, rtype::LIST, &c)?;
        if knows_uidvalidity {
            l.last_uidvalidity = required(given, rtype::UIDVALIDITY, &c)?;
            if l.last_uidvalidity == 0 {
                return Err(Error::new(
                    given_at,
                    ErrorKind::BadValue {
                        reason: "the highest UIDVALIDITY given is 0".to_owned(),
                    },
                ));
            }
        }
        l.check()
            .map_err(|reason| Error::new(c.end_offset, ErrorKind::BadValue { reason }))?;
        Ok(l)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        self.check().map_err(WriteError::BadValue)?;
        let mut recs = Vec::new();
        let mut e = Enc::record(rtype::LIST);
        e.u32(self.next_folder_id);
        recs.push(e.finish("list record")?);
        for m in &self.mailboxes {
            let mut e = Enc::record(rtype::MAILBOX);
            e.u32(m.folder_id).u16(m.special_use.0).u32(m.flags.0);
            e.str16("folder name", &m.name)?;
            recs.push(e.finish("mailbox record")?);
        }
        for s in &self.subscriptions {
            let mut e = Enc::record(rtype::SUBSCRIPTION);
            e.str16("subscription", s)?;
            recs.push(e.finish("subscription record")?);
        }
        for a in &self.acls {
            let mut e = Enc::record(rtype::ACL);
            e.u32(a.folder_id);
            e.str16("ACL identifier", &a.identifier)?;
            e.str16("ACL rights", &a.rights)?;
            recs.push(e.finish("ACL record")?);
        }
        let minor = if self.last_uidvalidity != 0 {
            let mut e = Enc::record(rtype::UIDVALIDITY);
            e.u32(self.last_uidvalidity);
            recs.push(e.finish("UIDVALIDITY record")?);
            MINOR_UIDVALIDITY
        } else {
            0
        };
        recs.extend(
            self.unknown
                .iter()
                .filter(|u| minor == 0 || u.rtype != rtype::UIDVALIDITY)
                .map(UnknownRecord::encode),
        );
        write_container_version(Self::MAGIC, (FORMAT_MAJOR, minor), &recs)
    }
}
