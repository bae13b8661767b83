//! What the popstore store needs from a host file system.
//!
//! - [`Platform`]: the trait, each method's durability contract in its doc.
//! - [`PosixTree`]: the Linux store layout over any [`Vfs`]; over
//!   [`MemVfs`] it is the in-memory backend ([`PosixTree::memory`]).
//! - [`Vfs`]: the primitive file operations layouts are written in;
//!   [`MemVfs`] models a page cache, [`FaultVfs`] injects failures and
//!   crashes at the Nth write, sync or rename.
//! - [`testkit`] and [`contract_tests!`]: the contract test suite every
//!   backend runs.
//!
//! The native backend is chosen in the `popstore` crate (`src/host.rs`),
//! not here: the backend crates depend on this one for the trait, so this
//! crate cannot depend on them.

mod dirsync;
pub mod error;
pub mod fault;
pub mod memvfs;
pub mod platform;
pub mod posix;
pub mod spool;
pub mod stats;
pub mod support;
pub mod testkit;
pub mod types;
pub mod vfs;

pub use error::{Error, ErrorKind, Result};
pub use fault::{FaultMode, FaultVfs, OpClass};
pub use memvfs::MemVfs;
pub use platform::{Platform, Staged};
pub use posix::PosixTree;
pub use spool::{MemorySpool, Spool};
pub use types::{DirPath, Entry, FileInfo, FileLock, LockMode, Mapped, RecordFormat};
pub use vfs::{NodeKind, Vfs};
