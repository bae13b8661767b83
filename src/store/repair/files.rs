//! The message files of a store as repair sees them: every `.MSG` file of
//! every root, with what its header says (or why it cannot be read).

use std::collections::BTreeMap;

use popstore_formats::message::read_header;
use popstore_formats::msglist::{Entry as ListEntry, EntryFlags, MessageList};
use popstore_platform::{DirPath, Entry, ErrorKind};

use crate::store::engine::Store;
use crate::store::error::Result;
use crate::store::layout::MessageId;

/// What repair knows of one message file.
#[derive(Debug, Clone)]
pub(crate) enum FileState {
    /// The header reads: its count, creation time, body length and
    /// envelope recipients.
    Read {
        ref_count: u32,
        created: i64,
        length: u64,
        recipients: Vec<String>,
        /// Written by `popstore migrate` (channel `migrate`).
        migrated: bool,
    },
    /// The file is there but its header does not decode (damage).
    Corrupt(String),
    /// The file cannot be read (permissions, I/O): nothing is known.
    Unreadable(String),
}

/// The message files found, and the message directories that could not be
/// listed (their files are unknown to repair, so it touches none of them).
#[derive(Debug, Default)]
pub(crate) struct Files {
    pub found: BTreeMap<MessageId, FileState>,
    pub unlisted: Vec<String>,
}

impl Files {
    /// Appends a reference to the readable message file `id` to `list`,
    /// unread, with the next UIDL number (above every number in use);
    /// `false` when the file is not one repair read whole.
    /// A folder entry for giving file `id` back to a MessageStore INBOX
    /// (unseen, dated by its delivery).
    pub(crate) fn entry_for(&self, id: MessageId) -> Option<crate::store::folders::NewEntry> {
        let Some(FileState::Read {
            created, length, ..
        }) = self.found.get(&id)
        else {
            return None;
        };
        Some(crate::store::folders::NewEntry {
            message: id,
            size: *length,
            flags: popstore_formats::folder::SystemFlags::default(),
            keywords: Vec::new(),
            internal_date: *created,
        })
    }

    pub(crate) fn give_back(&self, id: MessageId, list: &mut MessageList) -> bool {
        let Some(FileState::Read {
            created, length, ..
        }) = self.found.get(&id)
        else {
            return false;
        };
        let k = list.next_uidl.max(1);
        list.next_uidl = k + 1;
        list.entries.push(ListEntry {
            message: id,
            size: *length,
            delivered: Some(*created),
            flags: EntryFlags::default(),
            uidl: format!("{}.{k}", id.file_name()),
        });
        true
    }
}

impl Store {
    /// Reads the header of every message file on every root.
    pub(crate) fn scan_message_files(&self) -> Result<Files> {
        let mut files = Files::default();
        for root in 0..self.fs.roots() {
            let top = DirPath::root(root).child(
                popstore_formats::path::Ods2Name::new(popstore_formats::layout::MESSAGES_DIR)
                    .unwrap_or_else(|_| unreachable!("MESSAGES is a valid name")),
            );
            self.scan_dir(&top, &mut files);
        }
        Ok(files)
    }

    fn scan_dir(&self, dir: &DirPath, files: &mut Files) {
        let entries = match self.fs.list(dir) {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::NotFound => return,
            Err(e) => {
                files
                    .unlisted
                    .push(format!("{}: cannot list: {e}", self.fs.display_dir(dir)));
                return;
            }
        };
        for e in entries {
            match e {
                Entry::Dir(d) => self.scan_dir(&dir.child(d), files),
                Entry::File { name, ftype } if ftype.as_str() == "MSG" => {
                    let Some(id) = MessageId::from_file_name(name.as_str()) else {
                        continue;
                    };
                    if let Some(state) = self.file_state(id) {
                        files.found.insert(id, state);
                    }
                }
                Entry::File { .. } => {}
            }
        }
    }

    /// The state of one message file, `None` when it is gone.
    pub(crate) fn file_state(&self, id: MessageId) -> Option<FileState> {
        let path = self.paths.message(id);
        let map = match self.fs.map(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return None,
            Err(e) => return Some(FileState::Unreadable(e.to_string())),
        };
        Some(match read_header(&map) {
            Ok((h, info)) => FileState::Read {
                ref_count: h.ref_count,
                created: h.created,
                length: info.length,
                recipients: h.recipients,
                migrated: h.channel == "migrate",
            },
            Err(e) => FileState::Corrupt(e.to_string()),
        })
    }
}
