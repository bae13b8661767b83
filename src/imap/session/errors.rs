//! Store errors as IMAP replies: the response code a client acts on, and
//! never a host path (temporary failures are logged, answered
//! `[UNAVAILABLE]`).

use super::{Response, Session};
use crate::imap::write::Code;
use crate::store::StoreError;
use crate::store::folder_tree::FolderError;

impl Session {
    /// `NO` with the code that fits a store error.
    pub(super) fn store_error(&self, tag: &str, e: &StoreError) -> Response {
        let (code, text) = match e {
            StoreError::Folder(f) => match f {
                FolderError::Exists(_) => (Code::AlreadyExists, "the mailbox exists already"),
                FolderError::NotFound(_) => (Code::NonExistent, "no such mailbox"),
                FolderError::DeleteInbox => (Code::Cannot, "INBOX cannot be deleted"),
                FolderError::HasChildren(_) => (
                    Code::HasChildren,
                    "the mailbox has inferior hierarchical names",
                ),
                FolderError::IntoItself(_) => (Code::Cannot, "a mailbox cannot go into itself"),
                FolderError::TooMany => (Code::Limit, "too many mailboxes"),
                _ => (Code::Cannot, "the mailbox cannot be changed so"),
            },
            StoreError::FolderName(_) | StoreError::BadName(_) => {
                (Code::Cannot, "invalid mailbox name")
            }
            StoreError::OverQuota(_) => (Code::OverQuota, "over quota"),
            StoreError::Denied(_) => (Code::NoPerm, "permission denied"),
            StoreError::InUse(_) => (Code::InUse, "in use, try again"),
            other => {
                let user = self.user().unwrap_or("");
                tracing::error!(user, "imap: store error: {other}");
                (Code::Unavailable, "temporary failure, try again later")
            }
        };
        Self::no(tag, Some(code), text)
    }
}
