//! Codecs for the popstore on-disk format. `SPEC.md` beside this crate is
//! normative; this crate mirrors it. No I/O, no host byte order, no unsafe.
//!
//! Every file kind has a typed value implementing [`StoreFile`]: `decode`
//! reads bytes (nom; never panics, refuses trailing garbage, errors carry
//! byte offsets) and `encode` writes them (explicit little-endian).
//! [`layout`] computes where each file lives.
#![forbid(unsafe_code)]

pub mod annotate;
pub mod any;
pub mod codec;
pub mod container;
pub mod descriptor;
pub mod error;
pub mod fold;
pub mod folder;
pub mod folder_head;
pub mod folder_journal;
pub mod folder_salvage;
pub mod forward;
pub mod groups;
pub mod imap;
pub mod journal;
pub mod kind;
pub mod layout;
pub mod mailboxes;
pub mod message;
pub mod msglist;
pub mod path;
pub mod pop_uidls;
pub mod profile;
pub mod record;
pub mod samples;
pub mod sealed;
pub mod types;
pub mod vacation;

pub use any::AnyFile;
pub use error::{Error, ErrorKind, WriteError};
pub use kind::{FileKind, StoreFile};

/// The major format version this crate writes and the newest it reads.
pub const FORMAT_MAJOR: u16 = 1;
/// The minor format version this crate writes (a folder index that keeps
/// its expunges is written as 1.1: [`folder::MINOR_EXPUNGES`]).
pub const FORMAT_MINOR: u16 = 0;
