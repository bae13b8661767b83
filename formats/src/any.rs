//! A file of any kind, recognised by its magic: what `popstore inspect`,
//! `popstore verify` and the conformance runner read.

use crate::descriptor::StoreDescriptor;
use crate::error::{Error, ErrorKind, WriteError};
use crate::folder::FolderIndex;
use crate::folder_journal::FolderJournal;
use crate::forward::ForwardingDb;
use crate::groups::GroupTree;
use crate::journal::MessageJournal;
use crate::kind::{FileKind, StoreFile};
use crate::mailboxes::MailboxList;
use crate::message::MessageFile;
use crate::msglist::MessageList;
use crate::profile::Profile;
use crate::vacation::VacationState;

/// A decoded file of any kind. JSON: the inner value's view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)] // one value per file read
pub enum AnyFile {
    /// A store descriptor.
    Descriptor(StoreDescriptor),
    /// An account profile.
    Profile(Profile),
    /// A message list.
    MessageList(MessageList),
    /// A folder index.
    FolderIndex(FolderIndex),
    /// A mailbox list.
    MailboxList(MailboxList),
    /// The forwarding database.
    Forwarding(ForwardingDb),
    /// The group tree.
    Groups(GroupTree),
    /// A vacation state.
    VacationState(VacationState),
    /// A message file.
    Message(MessageFile),
    /// A message-list journal.
    MessageJournal(MessageJournal),
    /// A folder journal.
    FolderJournal(FolderJournal),
    /// A converted account's POP3 UIDLs.
    PopUidls(crate::pop_uidls::PopUidls),
}

impl AnyFile {
    /// Recognises the kind by magic and decodes the file. An unrecognised
    /// magic is a bad-magic error at offset 0.
    pub fn decode(bytes: &[u8]) -> Result<AnyFile, Error> {
        if bytes.is_empty() {
            return Err(Error::new(0, ErrorKind::Truncated));
        }
        let Some(kind) = FileKind::detect(bytes) else {
            return Err(Error::new(
                0,
                ErrorKind::BadMagic {
                    expected: *b"PS??",
                    found: bytes[..bytes.len().min(6)].to_vec(),
                },
            ));
        };
        Self::decode_as(kind, bytes)
    }

    /// Decodes `bytes` as a file of `kind`.
    pub fn decode_as(kind: FileKind, bytes: &[u8]) -> Result<AnyFile, Error> {
        Ok(match kind {
            FileKind::DESCRIPTOR => AnyFile::Descriptor(StoreFile::decode(bytes)?),
            FileKind::PROFILE => AnyFile::Profile(StoreFile::decode(bytes)?),
            FileKind::MESSAGE_LIST => AnyFile::MessageList(StoreFile::decode(bytes)?),
            FileKind::FOLDER_INDEX => AnyFile::FolderIndex(StoreFile::decode(bytes)?),
            FileKind::MAILBOX_LIST => AnyFile::MailboxList(StoreFile::decode(bytes)?),
            FileKind::FORWARDING => AnyFile::Forwarding(StoreFile::decode(bytes)?),
            FileKind::GROUPS => AnyFile::Groups(StoreFile::decode(bytes)?),
            FileKind::VACATION_STATE => AnyFile::VacationState(StoreFile::decode(bytes)?),
            FileKind::MESSAGE => AnyFile::Message(StoreFile::decode(bytes)?),
            FileKind::MESSAGE_JOURNAL => AnyFile::MessageJournal(StoreFile::decode(bytes)?),
            FileKind::FOLDER_JOURNAL => AnyFile::FolderJournal(StoreFile::decode(bytes)?),
            FileKind::POP_UIDLS => AnyFile::PopUidls(StoreFile::decode(bytes)?),
            other => {
                return Err(Error::new(
                    0,
                    ErrorKind::BadMagic {
                        expected: other.magic(),
                        found: bytes[..bytes.len().min(6)].to_vec(),
                    },
                ));
            }
        })
    }

    /// The file's kind.
    pub fn kind(&self) -> FileKind {
        match self {
            AnyFile::Descriptor(_) => FileKind::DESCRIPTOR,
            AnyFile::Profile(_) => FileKind::PROFILE,
            AnyFile::MessageList(_) => FileKind::MESSAGE_LIST,
            AnyFile::FolderIndex(_) => FileKind::FOLDER_INDEX,
            AnyFile::MailboxList(_) => FileKind::MAILBOX_LIST,
            AnyFile::Forwarding(_) => FileKind::FORWARDING,
            AnyFile::Groups(_) => FileKind::GROUPS,
            AnyFile::VacationState(_) => FileKind::VACATION_STATE,
            AnyFile::Message(_) => FileKind::MESSAGE,
            AnyFile::MessageJournal(_) => FileKind::MESSAGE_JOURNAL,
            AnyFile::FolderJournal(_) => FileKind::FOLDER_JOURNAL,
            AnyFile::PopUidls(_) => FileKind::POP_UIDLS,
        }
    }

    /// Bytes at the end of an appended file (a journal) that are not a
    /// whole record: a torn append, ignored. 0 for every other kind.
    pub fn torn_tail(&self) -> u64 {
        match self {
            AnyFile::MessageJournal(j) => j.torn_tail,
            AnyFile::FolderJournal(j) => j.torn_tail,
            _ => 0,
        }
    }

    /// Writes the file back.
    pub fn encode(&self) -> Result<Vec<u8>, WriteError> {
        match self {
            AnyFile::Descriptor(v) => v.encode(),
            AnyFile::Profile(v) => v.encode(),
            AnyFile::MessageList(v) => v.encode(),
            AnyFile::FolderIndex(v) => v.encode(),
            AnyFile::MailboxList(v) => v.encode(),
            AnyFile::Forwarding(v) => v.encode(),
            AnyFile::Groups(v) => v.encode(),
            AnyFile::VacationState(v) => v.encode(),
            AnyFile::Message(v) => v.encode(),
            AnyFile::MessageJournal(v) => v.encode(),
            AnyFile::FolderJournal(v) => v.encode(),
            AnyFile::PopUidls(v) => v.encode(),
        }
    }
}
