//! A MessageStore folder index, `[.FOLDERS]Fxxxxxxxx.PFI` in the user's
//! subtree (SPEC.md, "Folder index").

use crate::codec::{Enc, PResult, i64le, list16, parse_record, str16, u16le, u32le, u64le};
use crate::container::{Container, UnknownRecord, once, read_container, required, write_container};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::layout::MessageId;

/// Record types of the folder index.
pub mod rtype {
    /// Folder parameters (required, once).
    pub const FOLDER: u16 = 0x0001;
    /// The keyword table (once; absent = no keywords).
    pub const KEYWORDS: u16 = 0x0002;
    /// One message.
    pub const ENTRY: u16 = 0x0003;
}

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
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

type FolderHead = (u32, u32, u32, u64, String);

fn folder(i: &[u8]) -> PResult<'_, FolderHead> {
    let (i, id) = u32le(i)?;
    let (i, uidvalidity) = u32le(i)?;
    let (i, uidnext) = u32le(i)?;
    let (i, hms) = u64le(i)?;
    let (i, name) = str16(i)?;
    Ok((i, (id, uidvalidity, uidnext, hms, name)))
}

fn entry(i: &[u8]) -> PResult<'_, FolderEntry> {
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

impl FolderIndex {
    fn check(&self) -> Result<(), (usize, String)> {
        if self.uidvalidity == 0 {
            return Err((usize::MAX, "UIDVALIDITY is 0".to_owned()));
        }
        let mut last = 0;
        for (n, e) in self.entries.iter().enumerate() {
            if e.uid <= last || e.uid >= self.uidnext {
                return Err((
                    n,
                    format!("UID {} out of order or not below UIDNEXT", e.uid),
                ));
            }
            if e.modseq > self.highestmodseq {
                return Err((n, format!("MODSEQ {} above HIGHESTMODSEQ", e.modseq)));
            }
            if let Some(k) = e
                .keywords
                .iter()
                .find(|k| usize::from(**k) >= self.keywords.len())
            {
                return Err((n, format!("keyword index {k} outside the keyword table")));
            }
            last = e.uid;
        }
        Ok(())
    }
}

impl StoreFile for FolderIndex {
    const MAGIC: [u8; 4] = *b"PSFI";
    const KIND: FileKind = FileKind::FOLDER_INDEX;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let (mut head, mut kw) = (None, None);
        let mut entries = Vec::new();
        let mut entry_at = Vec::new();
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
                _ => unknown.push(UnknownRecord::from_record(r)),
            }
        }
        let (folder_id, uidvalidity, uidnext, highestmodseq, name) =
            required(head, rtype::FOLDER, &c)?;
        let f = FolderIndex {
            folder_id,
            uidvalidity,
            uidnext,
            highestmodseq,
            name,
            keywords: kw.unwrap_or_default(),
            entries,
            unknown,
        };
        f.check().map_err(|(n, reason)| {
            let at = entry_at.get(n).copied().unwrap_or(c.end_offset);
            Error::new(at, ErrorKind::BadValue { reason })
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
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}
