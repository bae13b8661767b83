//! What the host backend does so a store shared by several nodes over a
//! network or cluster file system (NFS, GlusterFS, CephFS) stays right:
//! a path operation that meets a file another node replaced is run again
//! ([`retry_stale`]), and an append is made through one open file and
//! never writes over bytes it did not read ([`append_checked`]).
//!
//! Neither costs anything measurable on a local file system: the retry
//! only runs after `ESTALE`, which a local file system never returns, and
//! the append opens the file once where it used to open it three times,
//! adding two `fstat` calls. What the file system itself must provide is in
//! docs/ARCHITECTURE.md, "What a shared file system must provide".

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;

/// Attempts of a path operation that keeps failing with `ESTALE`.
const STALE_ATTEMPTS: u32 = 8;

/// Runs `op` (an operation that looks a path up afresh each time) again
/// while it fails with `ESTALE`, pausing 1, 2, 4... ms (at most 50)
/// between attempts.
///
/// On a shared file system a name that another node just replaced (a
/// rename over it) or removed can still lead, for a moment, to the file
/// that is gone: the open, or the read or `fstat` after it, fails with
/// `ESTALE` ("stale file handle"). A new lookup finds the file that is
/// there now; the kernel retries only the lookup of an `open`, never a read
/// through an open descriptor.
pub(crate) fn retry_stale<T>(mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut pause = Duration::from_millis(1);
    for _ in 1..STALE_ATTEMPTS {
        match op() {
            Err(e) if e.raw_os_error() == Some(libc::ESTALE) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            r => return r,
        }
    }
    op()
}

/// The error of an append that found the file not as it had read it (the
/// caller names the file).
fn changed(what: &str) -> io::Error {
    io::Error::other(format!(
        "the file changed under an append ({what}): another writer without the lock, \
         or a shared file system whose client caches gave a stale view (see \
         \"What a shared file system must provide\" in docs/ARCHITECTURE.md)"
    ))
}

/// Appends `data` after the valid content of the file at `path`, all
/// through one open file description (opened with `O_APPEND`): reads the
/// whole file, asks `valid_end` where its valid content ends and cuts off
/// anything after that, writes `data`, syncs (`fsync`). The caller holds
/// the lock that serialises appends to the file.
///
/// An append never writes over bytes it did not read. The file's length
/// must be what was read; `O_APPEND` puts the data at the file's real end
/// whatever the reader believed; and after the sync the length must be
/// exactly the valid end plus `data`. When the data landed after bytes
/// this append never saw (another node's append that a stale client cache
/// hid), it is taken back (cut off and synced again) and the append fails,
/// so the caller refuses temporarily instead of losing those bytes or
/// numbering its records from a stale count.
pub(crate) fn append_checked(
    path: &Path,
    valid_end: &dyn Fn(&[u8]) -> io::Result<u64>,
    data: &[u8],
) -> io::Result<()> {
    let (mut file, old) = retry_stale(|| {
        let mut file = OpenOptions::new().read(true).append(true).open(path)?;
        let mut old = Vec::new();
        file.read_to_end(&mut old)?;
        Ok((file, old))
    })?;
    let read = old.len() as u64;
    if file.metadata()?.len() != read {
        return Err(changed("its length is not what was read"));
    }
    let end = valid_end(&old)?;
    if end < read {
        file.set_len(end)?;
    }
    file.write_all(data)?;
    popstore_platform::stats::count_fsync();
    file.sync_all()?;
    let want = end + data.len() as u64;
    let after = file.metadata()?.len();
    if after == want {
        return Ok(());
    }
    if after > want {
        take_back(&file, after - data.len() as u64);
    }
    Err(changed(&format!(
        "{after} bytes after it where {want} were expected"
    )))
}

/// Cuts `file` back to `len` after an append that went to the wrong place
/// (best effort: the append reports its failure either way, and a record
/// left behind is found by `verify`).
fn take_back(file: &File, len: u64) {
    popstore_platform::stats::count_fsync();
    let _ = file.set_len(len).and_then(|()| file.sync_all());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn estale_is_retried_and_other_errors_are_not() {
        let n = Cell::new(0);
        let r = retry_stale(|| {
            n.set(n.get() + 1);
            if n.get() < 3 {
                Err(io::Error::from_raw_os_error(libc::ESTALE))
            } else {
                Ok(n.get())
            }
        });
        assert_eq!(r.unwrap(), 3);

        n.set(0);
        let r: io::Result<()> = retry_stale(|| {
            n.set(n.get() + 1);
            Err(io::Error::from_raw_os_error(libc::ENOENT))
        });
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ENOENT));
        assert_eq!(n.get(), 1);

        n.set(0);
        let r: io::Result<()> = retry_stale(|| {
            n.set(n.get() + 1);
            Err(io::Error::from_raw_os_error(libc::ESTALE))
        });
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ESTALE));
        assert_eq!(n.get(), STALE_ATTEMPTS);
    }

    fn end_of(b: &[u8]) -> io::Result<u64> {
        Ok(b.len() as u64)
    }

    #[test]
    fn appends_and_cuts_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("j");
        std::fs::write(&f, b"abcTORN").unwrap();
        append_checked(&f, &|_| Ok(3), b"de").unwrap();
        append_checked(&f, &end_of, b"f").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"abcdef");
    }

    /// What a stale client cache of a shared file system does, made on a
    /// local one: another writer appends after this append read the file.
    /// Its bytes survive, this append's data is taken back, and it fails.
    #[test]
    fn never_writes_over_bytes_it_did_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("j");
        std::fs::write(&f, b"abc").unwrap();
        let other = |b: &[u8]| {
            let mut w = OpenOptions::new().append(true).open(&f)?;
            w.write_all(b"OTHER")?;
            Ok(b.len() as u64)
        };
        let e = append_checked(&f, &other, b"mine").unwrap_err();
        assert!(e.to_string().contains("changed under an append"), "{e}");
        assert_eq!(std::fs::read(&f).unwrap(), b"abcOTHER");
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let e = append_checked(&dir.path().join("no"), &end_of, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
