//! The store's errors, by what the caller can do about them.

use super::forward::ForwardError;
use super::groups::GroupError;
use super::name::NameError;

/// An error of a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No store at the given place (not initialised).
    #[error("no store at {0} (run `popstore init` first)")]
    NoStore(String),
    /// `init` found a store already there.
    #[error("a store exists already at {0}")]
    AlreadyInitialized(String),
    /// The account does not exist.
    #[error("no such account: {0}")]
    UnknownAccount(String),
    /// The account exists already.
    #[error("account {0} exists already")]
    AccountExists(String),
    /// Not a valid account name.
    #[error(transparent)]
    BadName(#[from] NameError),
    /// A group operation failed.
    #[error(transparent)]
    Group(#[from] GroupError),
    /// A forwarding operation failed.
    #[error(transparent)]
    Forward(#[from] ForwardError),
    /// A folder operation was refused (RFC 9051's rules).
    #[error(transparent)]
    Folder(#[from] super::folder_tree::FolderError),
    /// Not a valid folder name.
    #[error(transparent)]
    FolderName(#[from] super::folder_name::FolderNameError),
    /// The account is a popstore (POP3-only) account: it has no folders.
    #[error("{0} is a popstore account and has no folders (popstore user convert NAME --to imap)")]
    NotMessageStore(String),
    /// The account has no room for the message (quota and overdraft).
    #[error("{0}: over quota")]
    OverQuota(String),
    /// The acting manager may not do this.
    #[error("permission denied: {0}")]
    Denied(String),
    /// Another session holds the maildrop.
    #[error("maildrop of {0} is in use by another session")]
    InUse(String),
    /// A value given is out of range or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// A file of the store does not parse.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The host's name of the file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The platform failed (I/O, locks).
    #[error(transparent)]
    Platform(#[from] popstore_platform::Error),
}

/// A store operation's result.
pub type Result<T> = std::result::Result<T, StoreError>;
