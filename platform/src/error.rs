//! The one error type of the platform layer: what was being done, to which
//! file (the host's name for it), and why (the OS reason).

use std::fmt;
use std::io;

/// A platform operation's result.
pub type Result<T> = std::result::Result<T, Error>;

/// What kind of failure an [`Error`] is, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file or directory does not exist.
    NotFound,
    /// `create_new` found a file (or a directory) already there.
    AlreadyExists,
    /// A directory to remove still holds entries.
    NotEmpty,
    /// A lock could not be taken before the timeout.
    LockTimeout,
    /// The path names a store root the backend was not given.
    BadRoot,
    /// The file's bytes break the framing the operation needs (a VAR
    /// record count above 32767, an RMS attribute block that does not parse).
    Corrupt,
    /// The file has another record format than the operation needs (OpenVMS
    /// backend: appending VAR records to a FIX 512 file).
    WrongFormat,
    /// The data does not fit the record format (FIX 512 data whose length
    /// is not a multiple of 512).
    BadData,
    /// The fault injector failed this operation (tests only).
    Injected,
    /// Any other OS error.
    Io,
}

/// A platform error: operation, host file name, kind and reason.
#[derive(Debug)]
pub struct Error {
    op: &'static str,
    path: String,
    kind: ErrorKind,
    reason: String,
    source: Option<io::Error>,
}

impl Error {
    /// An error of `kind` with a reason in words.
    pub fn new(
        op: &'static str,
        path: impl Into<String>,
        kind: ErrorKind,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            op,
            path: path.into(),
            kind,
            reason: reason.into(),
            source: None,
        }
    }

    /// Wraps an OS error, classifying it.
    pub fn io(op: &'static str, path: impl Into<String>, err: io::Error) -> Self {
        let kind = if crate::fault::is_injected(&err) {
            ErrorKind::Injected
        } else {
            match err.kind() {
                io::ErrorKind::NotFound => ErrorKind::NotFound,
                io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
                io::ErrorKind::DirectoryNotEmpty => ErrorKind::NotEmpty,
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::LockTimeout,
                _ => ErrorKind::Io,
            }
        };
        Self {
            op,
            path: path.into(),
            kind,
            reason: err.to_string(),
            source: Some(err),
        }
    }

    /// The operation that failed (`replace`, `read`, `lock`, ...).
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The host's name for the file or directory concerned.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The reason in words (the OS message for an OS error).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.op, self.path, self.reason)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
