//! Decode errors: what is wrong, and the byte offset where it was found.

use std::fmt;

use crate::record::FramingError;

/// A file that could not be read, with the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("offset {offset}: {kind}")]
pub struct Error {
    /// Byte offset in the file where the problem was found.
    pub offset: u64,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// The kinds of decode error. [`ErrorKind::code`] gives each a stable short
/// name (used by the conformance fixtures and by `popstore verify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file ends before its end record (or inside a record).
    Truncated,
    /// The file does not start with the magic of the expected kind.
    BadMagic {
        /// The magic this kind has.
        expected: [u8; 4],
        /// The bytes found (fewer than 4 when the file is shorter).
        found: Vec<u8>,
    },
    /// A major version newer than this reader knows.
    FutureVersion {
        /// The file's major version.
        major: u16,
        /// The file's minor version.
        minor: u16,
    },
    /// A store descriptor naming incompatible features this reader does
    /// not implement (SPEC.md section 5): the store is refused.
    UnknownFeatures {
        /// The unknown incompatible-feature flags (0 when a 2.x descriptor
        /// names none at all, so its reason to be 2.x is unknown).
        flags: u32,
    },
    /// A stored checksum does not match the bytes.
    BadChecksum {
        /// What the checksum covers.
        what: &'static str,
        /// The checksum stored in the file.
        stored: u32,
        /// The checksum of the bytes as read.
        computed: u32,
    },
    /// A VAR record count above 32767 (and not 0xFFFF).
    Overlong {
        /// The declared length.
        len: usize,
    },
    /// A FIX 512 file whose length is not a whole number of blocks.
    OddLength {
        /// The file length.
        len: u64,
    },
    /// Bytes after the end of the file's content.
    TrailingGarbage {
        /// How many bytes follow.
        extra: u64,
    },
    /// A record's data is malformed.
    BadRecord {
        /// The record type code.
        rtype: u16,
        /// What is wrong with it.
        reason: String,
    },
    /// A required record is absent.
    MissingRecord {
        /// The record type that must be present.
        rtype: u16,
    },
    /// A record that may appear once appears again.
    DuplicateRecord {
        /// The repeated record type.
        rtype: u16,
    },
    /// A field holds a value the spec forbids.
    BadValue {
        /// What is wrong.
        reason: String,
    },
}

impl ErrorKind {
    /// A stable short name of the kind, for fixtures and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Truncated => "truncated",
            ErrorKind::BadMagic { .. } => "bad-magic",
            ErrorKind::FutureVersion { .. } => "future-version",
            ErrorKind::UnknownFeatures { .. } => "future-version",
            ErrorKind::BadChecksum { .. } => "bad-checksum",
            ErrorKind::Overlong { .. } => "overlong-record",
            ErrorKind::OddLength { .. } => "odd-length",
            ErrorKind::TrailingGarbage { .. } => "trailing-garbage",
            ErrorKind::BadRecord { .. } => "bad-record",
            ErrorKind::MissingRecord { .. } => "missing-record",
            ErrorKind::DuplicateRecord { .. } => "duplicate-record",
            ErrorKind::BadValue { .. } => "bad-value",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated => f.write_str("file is truncated"),
            ErrorKind::BadMagic { expected, found } => write!(
                f,
                "bad magic: expected {:?}, found {}",
                String::from_utf8_lossy(expected),
                crate::codec::hex(found)
            ),
            ErrorKind::FutureVersion { major, minor } => write!(
                f,
                "format version {major}.{minor} is newer than this program reads \
                 (major {}); upgrade popstore",
                crate::FORMAT_MAJOR
            ),
            ErrorKind::UnknownFeatures { flags } => write!(
                f,
                "the store uses incompatible features this program does not know \
                 (store flags {flags:#x}); upgrade popstore"
            ),
            ErrorKind::BadChecksum {
                what,
                stored,
                computed,
            } => write!(
                f,
                "bad checksum of the {what}: stored {stored:08x}, computed {computed:08x}"
            ),
            ErrorKind::Overlong { len } => {
                write!(f, "record length {len} exceeds 32767")
            }
            ErrorKind::OddLength { len } => {
                write!(f, "length {len} is not a whole number of 512-byte blocks")
            }
            ErrorKind::TrailingGarbage { extra } => {
                write!(f, "{extra} bytes of trailing garbage after the end record")
            }
            ErrorKind::BadRecord { rtype, reason } => {
                write!(f, "bad record of type 0x{rtype:04x}: {reason}")
            }
            ErrorKind::MissingRecord { rtype } => {
                write!(f, "required record of type 0x{rtype:04x} is missing")
            }
            ErrorKind::DuplicateRecord { rtype } => {
                write!(f, "record of type 0x{rtype:04x} appears more than once")
            }
            ErrorKind::BadValue { reason } => write!(f, "bad value: {reason}"),
        }
    }
}

impl Error {
    /// An error of `kind` at `offset`.
    pub fn new(offset: usize, kind: ErrorKind) -> Self {
        Self {
            offset: offset as u64,
            kind,
        }
    }

    /// Maps a framing error to a decode error.
    pub fn from_framing(e: FramingError) -> Self {
        match e {
            FramingError::TruncatedCount { offset }
            | FramingError::TruncatedRecord { offset, .. }
            | FramingError::SkipPastEnd { offset } => Error::new(offset, ErrorKind::Truncated),
            FramingError::Overlong { offset, len } => {
                Error::new(offset, ErrorKind::Overlong { len })
            }
            FramingError::TooLongToWrite(len) => Error::new(0, ErrorKind::Overlong { len }),
        }
    }
}

/// Why a value could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// A field is longer than its length prefix allows.
    #[error("{what} is {len} bytes; at most {max} fit")]
    TooLong {
        /// The field.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The most that fits.
        max: usize,
    },
    /// A value the spec forbids.
    #[error("{0}")]
    BadValue(String),
}
