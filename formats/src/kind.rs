//! The file kinds, their magics, and the trait every typed file implements.

use crate::error::{Error, WriteError};

/// A typed store file: decodes from and encodes to its exact bytes.
pub trait StoreFile: Sized + serde::Serialize {
    /// The four magic bytes that identify the kind.
    const MAGIC: [u8; 4];
    /// The kind.
    const KIND: FileKind;
    /// Reads a whole file. Never panics; errors carry byte offsets.
    fn decode(bytes: &[u8]) -> Result<Self, Error>;
    /// Writes the whole file.
    fn encode(&self) -> Result<Vec<u8>, WriteError>;
}

crate::open_enum! {
    /// The kinds of file in a store, by magic.
    pub struct FileKind(u32) {
        /// `PSSD`: the store descriptor.
        DESCRIPTOR = u32::from_le_bytes(*b"PSSD"), "descriptor";
        /// `PSPR`: an account profile.
        PROFILE = u32::from_le_bytes(*b"PSPR"), "profile";
        /// `PSML`: a popstore user's message list.
        MESSAGE_LIST = u32::from_le_bytes(*b"PSML"), "message-list";
        /// `PSFI`: a MessageStore folder index.
        FOLDER_INDEX = u32::from_le_bytes(*b"PSFI"), "folder-index";
        /// `PSMB`: a MessageStore user's mailbox list.
        MAILBOX_LIST = u32::from_le_bytes(*b"PSMB"), "mailbox-list";
        /// `PSFW`: the forwarding database.
        FORWARDING = u32::from_le_bytes(*b"PSFW"), "forwarding";
        /// `PSGR`: the group tree.
        GROUPS = u32::from_le_bytes(*b"PSGR"), "groups";
        /// `PSVS`: a user's vacation-tracking state.
        VACATION_STATE = u32::from_le_bytes(*b"PSVS"), "vacation-state";
        /// `PSMJ`: the journal of a message list (appended; SPEC.md 7.1).
        MESSAGE_JOURNAL = u32::from_le_bytes(*b"PSMJ"), "message-journal";
        /// `PSFJ`: the journal of a folder index (appended; SPEC.md 8.1).
        FOLDER_JOURNAL = u32::from_le_bytes(*b"PSFJ"), "folder-journal";
        /// `PSPU`: a converted account's POP3 UIDLs (SPEC.md 9.1).
        POP_UIDLS = u32::from_le_bytes(*b"PSPU"), "pop-uidls";
        /// `PSMF`: a message file (FIX 512 blocks).
        MESSAGE = u32::from_le_bytes(*b"PSMF"), "message";
    }
}

impl FileKind {
    /// Every kind this crate knows.
    pub const ALL: [FileKind; 12] = [
        FileKind::DESCRIPTOR,
        FileKind::PROFILE,
        FileKind::MESSAGE_LIST,
        FileKind::FOLDER_INDEX,
        FileKind::MAILBOX_LIST,
        FileKind::FORWARDING,
        FileKind::GROUPS,
        FileKind::VACATION_STATE,
        FileKind::MESSAGE_JOURNAL,
        FileKind::FOLDER_JOURNAL,
        FileKind::POP_UIDLS,
        FileKind::MESSAGE,
    ];

    /// The four magic bytes.
    pub fn magic(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }

    /// Recognises a file by its magic: at offset 2 for structured files
    /// (after the header record's count word), at offset 0 for message files.
    pub fn detect(bytes: &[u8]) -> Option<FileKind> {
        if bytes.get(..4) == Some(&FileKind::MESSAGE.magic()[..]) {
            return Some(FileKind::MESSAGE);
        }
        if bytes.get(..2) != Some(&[crate::container::HEADER_LEN as u8, 0][..]) {
            return None;
        }
        let m = bytes.get(2..6)?;
        Self::ALL
            .into_iter()
            .find(|k| *k != FileKind::MESSAGE && k.magic()[..] == *m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic() {
        assert_eq!(
            FileKind::detect(b"\x08\x00PSPR\x01\x00"),
            Some(FileKind::PROFILE)
        );
        assert_eq!(FileKind::detect(b"PSMF...."), Some(FileKind::MESSAGE));
        assert_eq!(
            FileKind::detect(b"\x08\x00PSMJ\x01\x00"),
            Some(FileKind::MESSAGE_JOURNAL)
        );
        assert_eq!(
            FileKind::detect(b"\x08\x00PSFJ\x01\x00"),
            Some(FileKind::FOLDER_JOURNAL)
        );
        assert_eq!(FileKind::detect(b"\x08\x00XXXX"), None);
        assert_eq!(FileKind::detect(b""), None);
    }
}
