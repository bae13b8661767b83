//! `HostVfs`: the primitive operations on the real file system.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use popstore_platform::{LockMode, Mapped, NodeKind, Vfs};

use crate::shared_fs::{append_checked, retry_stale};

/// The real file system (crate docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostVfs;

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))
}

fn c_name(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a name"))
}

/// A held OFD lock. Dropping it unlocks explicitly before the file is
/// closed: closing alone releases an OFD lock only when the last descriptor
/// of the open file description goes, and a child forked meanwhile (by any
/// thread, between its fork and exec) holds a copy of every descriptor.
struct HostLock(File);

impl Drop for HostLock {
    fn drop(&mut self) {
        // An unlock of a lock this description holds cannot conflict; if it
        // fails anyway, closing the file still releases the lock.
        let _ = ofd_fcntl(&self.0, libc::F_UNLCK as _);
    }
}

fn try_ofd_lock(file: &File, mode: LockMode) -> io::Result<bool> {
    let l_type = match mode {
        LockMode::Shared => libc::F_RDLCK,
        LockMode::Exclusive => libc::F_WRLCK,
    };
    ofd_fcntl(file, l_type as _)
}

/// Whether `syncfs(2)` on the file system of `f` makes its files durable
/// and reports their write-back errors: a local ext4, XFS or Btrfs (since
/// Linux 5.8, syncfs returns the errors of the file system's write-back;
/// network and FUSE file systems may flush less, so their files are
/// synced one by one).
fn syncfs_reports_errors(f: &File) -> io::Result<bool> {
    Ok(matches!(fs_kind(f)?, EXT4 | XFS | BTRFS) && kernel_at_least(5, 8))
}

const EXT4: i64 = 0xEF53;
const XFS: i64 = 0x5846_5342;
const BTRFS: i64 = 0x9123_683E;
const TMPFS: i64 = 0x0102_1994;
const F2FS: i64 = 0xF2F5_2010;
const ZFS: i64 = 0x2FC1_2FC1;
const OVERLAYFS: i64 = 0x794C_7630;

/// The file system type (`statfs.f_type`) of the file system holding `f`.
fn fs_kind(f: &File) -> io::Result<i64> {
    // SAFETY: `statfs` is a plain C struct for which all-zero bytes are a
    // valid value; fstatfs fills it.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: the descriptor is open for the duration of the call and `st`
    // is a valid, writable `statfs` that outlives it.
    let rc = unsafe { libc::fstatfs(f.as_raw_fd(), &mut st) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Ok(i64::from(st.f_type as i64))
}

/// Whether the running kernel is at least `major.minor`.
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let Ok(r) = fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut it = r
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// `fcntl(F_OFD_SETLK)` over the whole file with lock type `l_type`:
/// `Ok(false)` when another description holds a conflicting lock.
fn ofd_fcntl(file: &File, l_type: libc::c_short) -> io::Result<bool> {
    // SAFETY: `flock` is a plain C struct for which all-zero bytes are a
    // valid value (l_start = l_len = 0 means the whole file; l_pid must be
    // 0 for OFD locks).
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = l_type;
    fl.l_whence = libc::SEEK_SET as _;
    // SAFETY: the descriptor is open for the duration of the call (borrowed
    // from `file`) and `fl` is a valid, initialised `flock` that outlives
    // the call; F_OFD_SETLK only reads it.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EAGAIN | libc::EACCES) => Ok(false),
        _ => Err(err),
    }
}

/// Maps the first `len` bytes of an open file read-only: small files in
/// the [map arena](crate::map_arena), which unmaps them in batches, others
/// with memmap2.
///
/// Without MAP_POPULATE: measured on the project's VM it saved nothing for
/// a 10 KiB or a 5 MiB message (the fault-around faults it replaces cost
/// about what populating costs), and it would fill the page tables of a
/// whole big message for a TOP that sends a few lines of it.
fn map_file(file: &File, len: u64) -> io::Result<Mapped> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    if len == 0 {
        return Ok(Mapped::new(Vec::new()));
    }
    if let Some(placed) = crate::map_arena::map(file, len) {
        return placed.map(Mapped::new);
    }
    // SAFETY: a memory map is undefined behaviour in Rust terms if the
    // file changes underneath it. The platform contract (Platform::map)
    // restricts mapping to files the store never modifies in place:
    // message files are written once, through a temporary file, and
    // later replaced by rename or removed, which leaves the mapped inode
    // untouched. The length is at most the file's length at open time.
    let map = unsafe { memmap2::MmapOptions::new().len(len).map(file)? };
    Ok(Mapped::new(map))
}

impl Vfs for HostVfs {
    // Reads, lookups and maps by path are retried after ESTALE (see
    // shared_fs): on a shared file system another node may just have
    // replaced the file.

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        retry_stale(|| fs::read(path))
    }

    fn read_head(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        use std::io::Read;
        retry_stale(|| {
            let mut v = Vec::with_capacity(max);
            File::open(path)?.take(max as u64).read_to_end(&mut v)?;
            Ok(v)
        })
    }

    fn kind(&self, path: &Path) -> io::Result<Option<NodeKind>> {
        match retry_stale(|| fs::symlink_metadata(path)) {
            Ok(m) if m.is_dir() => Ok(Some(NodeKind::Dir)),
            Ok(_) => Ok(Some(NodeKind::File)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn len(&self, path: &Path) -> io::Result<u64> {
        Ok(retry_stale(|| fs::metadata(path))?.len())
    }

    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        fs::symlink_metadata(path)?.modified().map(Some)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(String, NodeKind)>> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir)? {
            let e = e?;
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let kind = if e.file_type()?.is_dir() {
                NodeKind::Dir
            } else {
                NodeKind::File
            };
            out.push((name, kind));
        }
        Ok(out)
    }

    fn create(&self, path: &Path, data: &[u8], exclusive: bool) -> io::Result<()> {
        let mut opts = OpenOptions::new();
        opts.write(true);
        if exclusive {
            opts.create_new(true);
        } else {
            opts.create(true).truncate(true);
        }
        opts.open(path)?.write_all(data)
    }

    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> io::Result<()> {
        OpenOptions::new()
            .write(true)
            .open(path)?
            .write_all_at(data, offset)
    }

    fn set_len(&self, path: &Path, len: u64) -> io::Result<()> {
        OpenOptions::new().write(true).open(path)?.set_len(len)
    }

    fn append(
        &self,
        path: &Path,
        valid_end: &dyn Fn(&[u8]) -> io::Result<u64>,
        data: &[u8],
    ) -> io::Result<()> {
        append_checked(path, valid_end, data)
    }

    fn get_xattr(&self, path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
        let (cpath, cname) = (c_path(path)?, c_name(name)?);
        let mut buf = vec![0u8; 256];
        loop {
            // SAFETY: both strings are NUL-terminated and live across the
            // call; `buf` is valid for writes of `buf.len()` bytes.
            let n = unsafe {
                libc::getxattr(
                    cpath.as_ptr(),
                    cname.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            };
            if let Ok(len) = usize::try_from(n) {
                buf.truncate(len);
                return Ok(Some(buf));
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::ENODATA) => return Ok(None),
                Some(libc::ERANGE) if buf.len() < 1 << 16 => buf.resize(buf.len() * 4, 0),
                _ => return Err(err),
            }
        }
    }

    fn set_xattr(&self, path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
        let (cpath, cname) = (c_path(path)?, c_name(name)?);
        // SAFETY: both strings are NUL-terminated and live across the call;
        // `value` is valid for reads of `value.len()` bytes.
        let rc = unsafe {
            libc::setxattr(
                cpath.as_ptr(),
                cname.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        // fsync flushes the inode's dirty pages whichever descriptor wrote
        // them.
        popstore_platform::stats::count_fsync();
        File::open(path)?.sync_all()
    }

    fn sync_all_files(&self, dir: &Path) -> io::Result<bool> {
        let f = File::open(dir)?;
        if !syncfs_reports_errors(&f)? {
            return Ok(false);
        }
        popstore_platform::stats::count_fsync();
        // SAFETY: the descriptor is open for the duration of the call
        // (borrowed from `f`); syncfs takes nothing else.
        let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
        if rc == 0 {
            Ok(true)
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn local_changes_only(&self, dir: &Path) -> bool {
        // Local file systems only: on NFS, CephFS, GlusterFS (FUSE) and
        // the like, inotify sees this host's changes but not another
        // node's.
        File::open(dir)
            .and_then(|f| fs_kind(&f))
            .is_ok_and(|k| matches!(k, EXT4 | XFS | BTRFS | TMPFS | F2FS | ZFS | OVERLAYFS))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        popstore_platform::stats::count_fsync();
        File::open(dir)?.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn link(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::hard_link(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn map(&self, path: &Path, len: u64) -> io::Result<Mapped> {
        map_file(&retry_stale(|| File::open(path))?, len)
    }

    fn map_whole(&self, path: &Path) -> io::Result<Mapped> {
        retry_stale(|| {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            map_file(&file, len)
        })
    }

    fn lock(
        &self,
        path: &Path,
        mode: LockMode,
        timeout: Duration,
    ) -> io::Result<Box<dyn Send + Sync>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            if try_ofd_lock(&file, mode)? {
                return Ok(Box::new(HostLock(file)));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "lock held by another holder",
                ));
            }
            thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

/// A whole-file lock on a file outside the store (a Unix mail spool),
/// taken with `fcntl(F_OFD_SETLK)`: Linux makes OFD locks and the classic
/// `fcntl(F_SETLK)` locks MTAs and mail readers take exclude each other.
/// Released when dropped.
pub struct FileLock(HostLock);

impl FileLock {
    /// The locked file.
    pub fn file(&self) -> &File {
        &self.0.0
    }
}

impl std::fmt::Debug for FileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLock")
    }
}

/// Locks the whole of `file` (exclusive for `LockMode::Exclusive`),
/// retrying within `timeout`; `TimedOut` when it stays held elsewhere.
pub fn lock_file(file: File, mode: LockMode, timeout: Duration) -> io::Result<FileLock> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if try_ofd_lock(&file, mode)? {
            return Ok(FileLock(HostLock(file)));
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the file is locked by another process",
            ));
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
