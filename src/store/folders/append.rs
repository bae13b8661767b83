//! A new message into a folder (IMAP APPEND, the CLI, migration): the
//! message file is written with one reference, then appended.

use popstore_formats::folder::SystemFlags;
use popstore_formats::message::MessageHeader;

use super::super::engine::{Store, now};
use super::super::error::{Result, StoreError};
use super::super::folder_name::FolderName;
use super::super::folder_tree::FolderError;
use super::super::name::AccountName;
use super::super::quota::QuotaCheck;
use super::ops::NewEntry;

/// A message to append, as a client gives it.
#[derive(Debug, Clone, Default)]
pub struct NewMessage<'a> {
    /// The message (any line ends; stored with CRLF).
    pub bytes: &'a [u8],
    /// System flags.
    pub flags: SystemFlags,
    /// Keywords.
    pub keywords: Vec<String>,
    /// INTERNALDATE (default: now).
    pub internal_date: Option<i64>,
}

impl Store {
    /// Appends a new message to folder `folder` of `acct` (RFC 9051
    /// APPEND): checks the quota (every folder counts), writes the message
    /// file with its precomputed IMAP answers, then the folder entry.
    /// Returns the folder's UIDVALIDITY and the new UID (RFC 4315
    /// APPENDUID).
    pub fn append_message(
        &self,
        acct: &AccountName,
        folder: &FolderName,
        m: &NewMessage<'_>,
    ) -> Result<(u32, u32)> {
        let _timer = crate::metrics::op_timer("folder_append");
        let p = self.message_store(acct)?;
        let id = self
            .folder_id(acct, folder)?
            .ok_or_else(|| FolderError::NotFound(folder.to_string()))?;
        let (stored, pre) = crate::mime::precompute(m.bytes);
        let size = stored.len() as u64;
        let usage = self.folder_usage(acct, &p)?;
        if p.quota().check(usage, size) != QuotaCheck::Fits || !self.messages_fit(acct, &p, 1)? {
            return Err(StoreError::OverQuota(acct.to_string()));
        }
        let created = now();
        let header = append_header(acct, &stored, &pre, created);
        let file = self.write_message(header, stored)?;
        self.append_file(acct, id, file, size, m, created)
    }

    /// Appends a message already in canonical form (`stored`, with its
    /// precomputed answers `pre`): `m.bytes` is not used. The message file
    /// is written from `stored` without a copy (it may be a map), trying
    /// message id `first` first.
    pub(crate) fn append_canonical(
        &self,
        acct: &AccountName,
        folder: &FolderName,
        stored: &[u8],
        pre: &crate::mime::Precomputed,
        m: &NewMessage<'_>,
        first: Option<super::super::layout::MessageId>,
    ) -> Result<(u32, u32)> {
        let _timer = crate::metrics::op_timer("folder_append");
        let p = self.message_store(acct)?;
        let id = self
            .folder_id(acct, folder)?
            .ok_or_else(|| FolderError::NotFound(folder.to_string()))?;
        let size = stored.len() as u64;
        let usage = self.folder_usage(acct, &p)?;
        if p.quota().check(usage, size) != QuotaCheck::Fits || !self.messages_fit(acct, &p, 1)? {
            return Err(StoreError::OverQuota(acct.to_string()));
        }
        let created = now();
        let header = append_header(acct, stored, pre, created);
        let file = self.write_message_from(&header, stored, first)?;
        self.append_file(acct, id, file, size, m, created)
    }

    fn append_file(
        &self,
        acct: &AccountName,
        id: u32,
        file: super::super::layout::MessageId,
        size: u64,
        m: &NewMessage<'_>,
        created: i64,
    ) -> Result<(u32, u32)> {
        let entry = NewEntry {
            message: file,
            size,
            flags: m.flags,
            keywords: m.keywords.clone(),
            internal_date: m.internal_date.unwrap_or(created),
        };
        match self.append_entries(acct, id, &[entry]) {
            Ok((uv, uids)) => Ok((uv, uids.first().copied().unwrap_or(0))),
            Err(e) => {
                // Never referenced: the file goes.
                let _ = self.release(file, 1);
                Err(e)
            }
        }
    }
}

/// The header of a message file an APPEND writes.
fn append_header(
    acct: &AccountName,
    stored: &[u8],
    pre: &crate::mime::Precomputed,
    created: i64,
) -> MessageHeader {
    MessageHeader {
        created,
        recipient_count: 1,
        ref_count: 1,
        channel: "append".into(),
        message_id: super::super::deliver::message_id(stored),
        recipients: vec![acct.to_string()],
        flags: super::super::deliver::message_flags(stored),
        imap: pre.to_imap_data(),
        ..MessageHeader::default()
    }
}
