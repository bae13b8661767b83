//! Locking a Unix mail spool the way Debian's MTAs and mail readers do,
//! so that Postfix or Exim delivering at the same time loses nothing:
//! a dotlock (`SPOOL.lock`, made as liblockfile makes it: a unique file
//! hard-linked to the lock name, which is atomic on NFS too; a lock older
//! than five minutes is stale) and an `fcntl` lock on the spool itself.
//!
//! Besides, a session holds a [`SessionLock`] for as long as it reads a
//! spool, so that a second session gets `[IN-USE]` whichever process or
//! node serves it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use popstore_platform::LockMode;
use popstore_platform_linux::{FileLock, lock_file};

/// How old a dotlock must be to count as left by a crashed process
/// (liblockfile's and Postfix's five minutes).
const STALE: Duration = Duration::from_secs(300);

/// Both locks on a spool; released (dotlock removed) when dropped.
#[derive(Debug)]
pub struct SpoolLock {
    fcntl: FileLock,
    dotlock: PathBuf,
}

impl SpoolLock {
    /// Locks `spool` (which must exist) within `timeout`: the dotlock
    /// first, then `fcntl`; when the second cannot be had, the first is
    /// given back before trying again (no deadlock with a process that
    /// takes them in the other order).
    pub fn acquire(spool: &Path, timeout: Duration) -> io::Result<SpoolLock> {
        let deadline = Instant::now() + timeout;
        let dotlock = dotlock_path(spool);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            take_dotlock(&dotlock, left)?;
            let file = OpenOptions::new().read(true).write(true).open(spool);
            let file = match file {
                Ok(f) => f,
                Err(e) => {
                    let _ = std::fs::remove_file(&dotlock);
                    return Err(e);
                }
            };
            let slice =
                Duration::from_millis(500).min(deadline.saturating_duration_since(Instant::now()));
            match lock_file(file, LockMode::Exclusive, slice) {
                Ok(fcntl) => return Ok(SpoolLock { fcntl, dotlock }),
                Err(e) => {
                    let _ = std::fs::remove_file(&dotlock);
                    if e.kind() != io::ErrorKind::TimedOut || Instant::now() >= deadline {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// The locked spool, open for reading and writing.
    pub fn file(&self) -> &File {
        self.fcntl.file()
    }
}

impl Drop for SpoolLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.dotlock);
    }
}

/// A session's hold on a spool, seen by other processes and by other
/// nodes sharing the spool directory: an open-file-description `fcntl`
/// lock on `.USER.popstore-session` beside the spool (not on the spool,
/// which the MTA locks to deliver while the user reads). The file is
/// removed when the session ends; a lock found on a file removed
/// meanwhile is taken again on the new one.
#[derive(Debug)]
pub struct SessionLock {
    _lock: FileLock,
    path: PathBuf,
}

impl SessionLock {
    /// Takes the session lock of `spool`; `None` when another session
    /// holds it.
    pub fn try_acquire(spool: &Path) -> io::Result<Option<SessionLock>> {
        use std::os::unix::fs::OpenOptionsExt;
        let name = spool
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = spool.with_file_name(format!(".{name}.popstore-session"));
        for _ in 0..16 {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)?;
            let lock = match lock_file(file, LockMode::Exclusive, Duration::ZERO) {
                Ok(l) => l,
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(None),
                Err(e) => return Err(e),
            };
            // Still the file under the name (not one a leaving session
            // removed after we opened it)?
            let held = lock.file().metadata()?;
            match std::fs::metadata(&path) {
                Ok(m) if m.ino() == held.ino() && m.dev() == held.dev() => {
                    return Ok(Some(SessionLock { _lock: lock, path }));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("the session lock file keeps changing"))
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with the descriptor.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn dotlock_path(spool: &Path) -> PathBuf {
    let mut p = spool.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// liblockfile's `lockfile_create`: a unique file beside the lock, hard
/// linked to the lock's name; success when the link is made (or the unique
/// file's link count says it was, over NFS).
fn take_dotlock(lock: &Path, timeout: Duration) -> io::Result<()> {
    let dir = lock.parent().unwrap_or(Path::new("."));
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".lk{}.{nanos}.popstore", std::process::id()));
    std::fs::write(&tmp, format!("{}\n", std::process::id()))?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    let result = loop {
        let linked = std::fs::hard_link(&tmp, lock);
        if linked.is_ok() || std::fs::metadata(&tmp).is_ok_and(|m| m.nlink() == 2) {
            break Ok(());
        }
        if let Err(e) = linked
            && e.kind() != io::ErrorKind::AlreadyExists
        {
            break Err(e);
        }
        // Held: by a live process, or left by a crashed one.
        if std::fs::metadata(lock)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE))
        {
            tracing::warn!(lock = %lock.display(), "removing a stale mail spool lock");
            let _ = std::fs::remove_file(lock);
            continue;
        }
        let now = Instant::now();
        if now >= deadline {
            break Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the mail spool is locked by another process",
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    };
    let _ = std::fs::remove_file(&tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_dotlock_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("ann");
        std::fs::write(&spool, b"").unwrap();
        let held = SpoolLock::acquire(&spool, Duration::from_secs(5)).unwrap();
        assert!(dir.path().join("ann.lock").exists());
        let e = SpoolLock::acquire(&spool, Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        drop(held);
        assert!(!dir.path().join("ann.lock").exists());
        let again = SpoolLock::acquire(&spool, Duration::from_secs(5)).unwrap();
        drop(again);
        // Only the spool and nothing else is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_stale_dotlock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("ann");
        std::fs::write(&spool, b"").unwrap();
        let lock = dir.path().join("ann.lock");
        std::fs::write(&lock, b"99999\n").unwrap();
        // A fresh one is respected...
        assert!(SpoolLock::acquire(&spool, Duration::from_millis(50)).is_err());
        // ...one older than five minutes is a crashed holder's.
        let old = SystemTime::now() - Duration::from_secs(600);
        std::fs::File::options()
            .write(true)
            .open(&lock)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let held = SpoolLock::acquire(&spool, Duration::from_secs(5)).unwrap();
        drop(held);
        assert!(!lock.exists());
    }
}
