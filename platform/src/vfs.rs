//! `Vfs`: the primitive file operations the backends' layouts are written
//! in. The Linux and OpenVMS layouts run over the real file system
//! (`popstore-platform-linux`'s `HostVfs`) or over [`MemVfs`](crate::MemVfs),
//! which models a page cache; [`FaultVfs`](crate::FaultVfs) wraps either to
//! fail or "crash" at the Nth write, sync or rename. Keeping the layouts
//! above this seam is what lets the crash tests run the very code the real
//! backends run.
//!
//! Paths are host paths. Nothing here is durable until synced: file data
//! after [`Vfs::sync`], directory entries (creates, renames, removals) after
//! [`Vfs::sync_dir`] of the directory holding them.

use std::fmt;
use std::io;
use std::path::Path;
use std::time::Duration;

use crate::types::{LockMode, Mapped};

/// What a host path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// Primitive host file operations (see the module documentation).
pub trait Vfs: Send + Sync + fmt::Debug {
    /// The whole content of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The first `max` bytes of a file (all of it when shorter).
    fn read_head(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        let mut v = self.read(path)?;
        v.truncate(max);
        Ok(v)
    }
    /// What `path` is, or `None` when nothing is there.
    fn kind(&self, path: &Path) -> io::Result<Option<NodeKind>>;
    /// The length of a file.
    fn len(&self, path: &Path) -> io::Result<u64>;
    /// When a file was last changed, or `None` when this file system does
    /// not keep times (the in-memory one).
    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        let _ = path;
        Ok(None)
    }
    /// The names in a directory with their kinds (any order).
    fn list(&self, dir: &Path) -> io::Result<Vec<(String, NodeKind)>>;
    /// Creates a file holding `data` (one write). With `exclusive`, fails
    /// with `AlreadyExists` when the name exists; else truncates it.
    fn create(&self, path: &Path, data: &[u8], exclusive: bool) -> io::Result<()>;
    /// Writes `data` at `offset` of an existing file (one write).
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Sets a file's length (one write).
    fn set_len(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Appends `data` to an existing file after its valid content: reads
    /// the whole file, asks `valid_end` where the valid content ends, cuts
    /// off anything after that, writes `data` there and syncs. The caller
    /// holds a lock serialising appends to the file.
    ///
    /// The default is made of [`Vfs::read`], [`Vfs::set_len`],
    /// [`Vfs::write_at`] and [`Vfs::sync`] (each counted by a fault
    /// injector). The host backend does it through one open file and
    /// fails, rather than write over bytes it did not read, when the file
    /// is not as it read it (a stale view of a shared file system).
    fn append(
        &self,
        path: &Path,
        valid_end: &dyn Fn(&[u8]) -> io::Result<u64>,
        data: &[u8],
    ) -> io::Result<()> {
        let old = self.read(path)?;
        let end = valid_end(&old)?;
        if end < old.len() as u64 {
            self.set_len(path, end)?;
        }
        self.write_at(path, end, data)?;
        self.sync(path)
    }
    /// A named extended attribute of a file, or `None` when it has none.
    fn get_xattr(&self, path: &Path, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// Sets a named extended attribute of a file (one write). Attributes
    /// belong to the file (every link of it) and are made durable by
    /// [`Vfs::sync`] of the file.
    fn set_xattr(&self, path: &Path, name: &str, value: &[u8]) -> io::Result<()>;
    /// Makes a file's data and attributes durable (fsync).
    fn sync(&self, path: &Path) -> io::Result<()>;
    /// Makes a directory's entries durable (fsync of the directory).
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Makes the data of every file of the file system holding `dir`
    /// durable at once, when the host can do that in one flush (Linux:
    /// `syncfs(2)` on a local file system that reports write-back errors
    /// to it). `Ok(false)`: it cannot, sync each file with [`Vfs::sync`].
    /// Counted as a sync by the fault injector.
    fn sync_all_files(&self, dir: &Path) -> io::Result<bool> {
        let _ = dir;
        Ok(false)
    }
    /// True when every change to the files under `dir` is made through
    /// this host's kernel, so a change notification (Linux inotify) sees
    /// them all: a local file system. False for shared, network and FUSE
    /// file systems (another node's change raises no event) and by
    /// default.
    fn local_changes_only(&self, dir: &Path) -> bool {
        let _ = dir;
        false
    }
    /// Renames a file, replacing `to` (POSIX rename).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes `to` a second name of the file `from`, failing with
    /// `AlreadyExists` when `to` exists: the exclusive create that also
    /// holds on NFS. Counted as a rename by the fault injector.
    fn link(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Creates one directory (`AlreadyExists` when there).
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Removes an empty directory.
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    /// Maps the first `len` bytes of a file read-only.
    fn map(&self, path: &Path, len: u64) -> io::Result<Mapped>;
    /// Maps a whole file read-only, as long as it is when opened. The
    /// default asks for the length, then maps; the host backend opens the
    /// file once and takes the length from the open file (one path lookup,
    /// and no window for the name to be replaced between the two).
    fn map_whole(&self, path: &Path) -> io::Result<Mapped> {
        let len = self.len(path)?;
        self.map(path, len)
    }
    /// Locks a file (created empty when missing) in `mode`, waiting at most
    /// `timeout`; `TimedOut` after it. The returned value holds the lock.
    fn lock(
        &self,
        path: &Path,
        mode: LockMode,
        timeout: Duration,
    ) -> io::Result<Box<dyn Send + Sync>>;
}
