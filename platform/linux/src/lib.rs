//! The Linux backend of the popstore platform layer.
//!
//! [`HostVfs`] is the real file system: std for files and directories,
//! `fsync` of files and of directories, `link(2)` for exclusive creation,
//! open-file-description locks (`fcntl(F_OFD_SETLK)`), memmap2 for
//! mapping (small files in a map arena that unmaps them in batches), and user extended attributes (`getxattr`/`setxattr`, used by
//! the OpenVMS emulation for file headers). [`linux`] puts the Linux store layout
//! ([`PosixTree`](popstore_platform::PosixTree): `<root n>/<dir>/.../<name>.<type>`,
//! lower case) over it.
//!
//! # Locks
//!
//! Locks are whole-file OFD locks (Linux 3.15+). Chosen over the two
//! alternatives because they are the only kind that is right on both axes
//! the store needs:
//! - **between hosts**: OFD locks are POSIX byte-range locks to the kernel,
//!   which the NFS client sends to the server's lock manager (NLM for NFSv3,
//!   the LOCK operation for NFSv4), so they hold between nodes sharing a
//!   store over NFS (and CephFS, which implements them too);
//! - **between threads**: they belong to the open file description, not
//!   the process, so two threads of one server that each open the lock file
//!   exclude each other. Classic `fcntl(F_SETLK)` locks are per process (a
//!   second thread would get the lock it already holds), and `flock(2)`
//!   (std's `File::lock`) is per description locally but is emulated with
//!   per-process POSIX locks on NFS, losing that property exactly there.
//!
//! A timeout is implemented by retrying the non-blocking `F_OFD_SETLK` with
//! a growing pause (1 to 20 ms) until the deadline.

mod host;
mod map_arena;
pub mod pam;
mod shared_fs;

pub use host::{FileLock, HostVfs, lock_file};

use std::path::PathBuf;
use std::sync::Arc;

use popstore_platform::PosixTree;

/// The Linux backend: store roots at the host directories `roots` (root
/// index = position; each must exist or be creatable by
/// `create_dir_all`).
pub fn linux(roots: Vec<PathBuf>) -> PosixTree {
    PosixTree::new(Arc::new(HostVfs), roots, "linux")
}
