//! The `Platform` trait: what the store needs from a host's file system.
//!
//! Every method names files by their logical [`StorePath`]; the backend maps
//! it to the host's spelling. "Durable" below means: once the call returns
//! `Ok`, the effect survives a crash of the process, of the kernel, or a
//! power loss (data and directory entries have been synced). "A crash"
//! means any of those at any instant during the call.

use std::fmt;
use std::time::Duration;

use popstore_formats::path::StorePath;

use crate::error::Result;
use crate::spool::{MemorySpool, Spool};
use crate::types::{DirPath, Entry, FileInfo, FileLock, LockMode, Mapped, RecordFormat};

/// A file written by [`Platform::stage_new`], waiting for
/// [`Platform::commit_staged`] to put it under its name.
#[derive(Debug)]
pub struct Staged {
    /// The name it gets.
    pub path: StorePath,
    /// Its record format.
    pub format: RecordFormat,
    /// Its data, when the backend keeps it in memory.
    pub(crate) data: Vec<u8>,
    /// The host's temporary file holding it, when the backend wrote one.
    pub(crate) temp: Option<std::path::PathBuf>,
}

/// The file-system operations of one store host (object safe; share it as
/// `Arc<dyn Platform>`). All methods block; async callers wrap them in
/// `spawn_blocking`. Methods may be called from many threads at once; they
/// do not serialise writers of the same file: use [`Platform::lock`].
pub trait Platform: Send + Sync + fmt::Debug {
    /// The backend's name: `linux`, `openvms` or `memory`.
    fn host(&self) -> &'static str;

    /// How many store roots (disks) the backend was given; valid root
    /// indexes are `0..roots()`.
    fn roots(&self) -> u8;

    /// The host's name for a file, for messages and logs (no I/O): on Linux
    /// `/srv/popstore/users/3f/john.prf`, on OpenVMS
    /// `ROOT0:[USERS.3F]JOHN.PRF`.
    fn display(&self, path: &StorePath) -> String;

    /// The host directory to watch for changes to the files of `dir`, when
    /// a change notification on this host sees every change made to them
    /// (a local file system on Linux); `None` otherwise (shared file
    /// systems, where another node's change raises no event; other hosts).
    /// Readers that wait for changes watch it instead of polling.
    fn watch_dir(&self, dir: &DirPath) -> Option<std::path::PathBuf> {
        let _ = dir;
        None
    }

    /// The host's name for a directory (no I/O).
    fn display_dir(&self, dir: &DirPath) -> String;

    /// Creates `dir` and every missing parent. Durable: the new directory
    /// entries are synced before it returns. Existing directories are fine.
    fn create_dir_all(&self, dir: &DirPath) -> Result<()>;

    /// Creates the file `path` holding `data`, failing with
    /// [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists) when
    /// it exists (exclusive: of two racing creators, on one host or on
    /// several sharing the file system, exactly one succeeds). The directory
    /// must exist. Durable. A crash leaves either no file or the whole file;
    /// never a partial one under the name.
    fn create_new(&self, path: &StorePath, format: RecordFormat, data: &[u8]) -> Result<()>;

    /// The first half of a batched [`Platform::create_new`]: writes `data`
    /// for the file `path` where no reader sees it, not synced. Nothing is
    /// under the name until [`Platform::commit_staged`]; a crash leaves at
    /// most a temporary file that [`Platform::remove_temporaries`] removes.
    /// The default keeps the data in memory.
    fn stage_new(&self, path: &StorePath, format: RecordFormat, data: &[u8]) -> Result<Staged> {
        Ok(Staged {
            path: path.clone(),
            format,
            data: data.to_vec(),
            temp: None,
        })
    }

    /// The second half: makes every staged file's data durable (all at
    /// once), then creates each under its name as [`Platform::create_new`]
    /// does (exclusive: [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists)
    /// for a name taken meanwhile), and makes the new names durable, each
    /// directory synced once. Gives each file's outcome, in order; a file
    /// whose outcome is `Ok` is durable under its name, so a crash never
    /// leaves a partial file under a name. The default creates each with
    /// [`Platform::create_new`].
    fn commit_staged(&self, staged: Vec<Staged>) -> Vec<Result<()>> {
        staged
            .into_iter()
            .map(|s| self.create_new(&s.path, s.format, &s.data))
            .collect()
    }

    /// Like [`Platform::create_new`] with the concatenation of `parts`;
    /// backends that can write the parts one after another (Linux, memory)
    /// never join them in memory, so a part may be a map of a large file.
    /// The default joins them.
    fn create_new_parts(
        &self,
        path: &StorePath,
        format: RecordFormat,
        parts: &[&[u8]],
    ) -> Result<()> {
        if let [one] = parts {
            return self.create_new(path, format, one);
        }
        self.create_new(path, format, &parts.concat())
    }

    /// Starts a [`Spool`]: a temporary file beside `near` (in its
    /// directory, which must exist), named as the backend's temporary
    /// files, removed when dropped; a crash's leftover is removed by
    /// [`Platform::remove_temporaries`]. The default holds the data in
    /// memory (backends without their own spool files).
    fn spool(&self, near: &StorePath) -> Result<Box<dyn Spool>> {
        let _ = near;
        Ok(Box::new(MemorySpool::default()))
    }

    /// Replaces the file `path` (or creates it) with `data`, atomically and
    /// durably. Readers see the old contents or the new, never a mix; a
    /// crash leaves the old file or the new one, whole. Linux: write a
    /// temporary file, fsync it, rename it over the old name, fsync the
    /// directory. OpenVMS: write version n+1, then purge lower versions.
    fn replace(&self, path: &StorePath, format: RecordFormat, data: &[u8]) -> Result<()>;

    /// Appends VAR records (SPEC.md record framing) to `path`, creating the
    /// file (VAR) when missing. Durable when it returns. A crash leaves each
    /// record either whole or absent: a torn tail (a count word or record
    /// cut short) is ignored by [`Platform::read_records`] and cut off by
    /// the next append. Appends to one file must be serialised by the caller
    /// (a lock). A record longer than 32767 bytes is refused.
    fn append_records(&self, path: &StorePath, records: &[&[u8]]) -> Result<()>;

    /// The whole data of `path` (up to the logical end of file).
    fn read(&self, path: &StorePath) -> Result<Vec<u8>>;

    /// The first `max` bytes of `path`'s data (all of it when shorter):
    /// what a reader of a file's first records needs, whatever its length.
    fn read_head(&self, path: &StorePath, max: usize) -> Result<Vec<u8>> {
        let mut v = self.read(path)?;
        v.truncate(max);
        Ok(v)
    }

    /// The VAR records of `path`, in order, without a torn tail (see
    /// [`Platform::append_records`]). A count word above 32767 (other than
    /// the 0xFFFF skip) is [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt).
    fn read_records(&self, path: &StorePath) -> Result<Vec<Vec<u8>>>;

    /// Maps `path` read-only (a memory map on real hosts). The store only
    /// maps files it never changes in place (message files are created once
    /// and replaced or removed, never rewritten), so the view stays valid
    /// and unchanging while held, even after a replace or remove.
    fn map(&self, path: &StorePath) -> Result<Mapped>;

    /// The file's length and attributes, or `None` when it does not exist.
    fn stat(&self, path: &StorePath) -> Result<Option<FileInfo>>;

    /// The entries of `dir` (subdirectories and files whose host names map
    /// back to logical names), sorted. Host entries that are not store
    /// names (temporary files of an interrupted replace, lock files of
    /// other tools, attribute sidecars) are left out.
    fn list(&self, dir: &DirPath) -> Result<Vec<Entry>>;

    /// The host entries of `dir` that map to no store name (what
    /// [`Platform::list`] leaves out), spelled as the host spells them,
    /// sorted: leftovers of interrupted writes, files other tools put
    /// there. The backend's own metadata is not listed. For `verify`.
    fn strays(&self, dir: &DirPath) -> Result<Vec<String>>;

    /// Removes the temporary files of the backend's own making in `dir`
    /// (leftovers of a replace or create that a crash interrupted, spelled
    /// as [`is_temp_name`](crate::support::is_temp_name) says) that are at
    /// least `older_than` old; younger ones may belong to a write in
    /// progress. Returns their host names, sorted. Durable. Nothing else
    /// in the directory is touched.
    fn remove_temporaries(&self, dir: &DirPath, older_than: Duration) -> Result<Vec<String>>;

    /// Removes the file `path` (on OpenVMS every version). Durable. A crash
    /// leaves the file or nothing.
    fn remove(&self, path: &StorePath) -> Result<()>;

    /// Removes the empty directory `dir`; fails with
    /// [`ErrorKind::NotEmpty`](crate::ErrorKind::NotEmpty) otherwise. Durable.
    fn remove_dir(&self, dir: &DirPath) -> Result<()>;

    /// Renames `from` to `to` (both directories must exist; same root),
    /// replacing `to` if it exists, atomically: readers of `to` see the old
    /// file or the moved one. Durable. A crash leaves the file under `from`
    /// or under `to` (on Linux, when both directories differ, possibly
    /// briefly under both names: the caller treats `from` as a leftover).
    fn rename(&self, from: &StorePath, to: &StorePath) -> Result<()>;

    /// Locks the resource `path` (a user, a message file) in `mode`,
    /// waiting at most `timeout` ([`ErrorKind::LockTimeout`] after it; a
    /// zero timeout tries once). The lock holds against other threads, other
    /// processes and other hosts sharing the file system (Linux: an
    /// open-file-description lock, which NFS carries to the server's lock
    /// manager). The lock lives on a separate, empty lock file at `path`
    /// (created when missing, never replaced or removed while in use), so
    /// pass a lock name (for example type `LCK`) rather than the data
    /// file's name. Dropping the [`FileLock`] releases it; a crash of the
    /// holder releases it.
    ///
    /// [`ErrorKind::LockTimeout`]: crate::ErrorKind::LockTimeout
    fn lock(&self, path: &StorePath, mode: LockMode, timeout: Duration) -> Result<FileLock>;
}
