//! Helpers shared by the backends' layouts: unique temporary names and VAR
//! record handling for appends.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use std::io;
use std::path::Path;

use popstore_formats::record::{FramingError, var_records, write_var};

use crate::vfs::Vfs;

/// Creates the host directory `dir` and its missing parents, each made
/// durable (the parent synced) before the next level: for store roots.
pub fn create_host_dir_all(vfs: &dyn Vfs, dir: &Path) -> io::Result<()> {
    if vfs.kind(dir)?.is_some() {
        return Ok(());
    }
    if let Some(parent) = dir.parent()
        && !parent.as_os_str().is_empty()
    {
        create_host_dir_all(vfs, parent)?;
    }
    match vfs.create_dir(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => vfs.sync_dir(parent),
        _ => Ok(()),
    }
}

/// A name fragment no other writer uses: a per-process random token (so two
/// hosts sharing a file system with equal process ids differ) and a
/// counter. Contains only lower-case hex digits and `-`.
pub fn unique_token() -> String {
    static TOKEN: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let token = *TOKEN.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    });
    format!("{token:016x}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Whether `host_name` is a temporary file of the backends' own making:
/// `.<NAME>.<TYPE>.<token>.tmp`, with `<token>` as [`unique_token`] makes
/// it (16 hex digits, `-`, hex digits). A replace or an exclusive create
/// in progress writes one; a crash can leave it behind. Both backends
/// spell their temporary files this way (the name and type in the host's
/// case), so one rule recognises them for `verify`, repair and `serve`.
pub fn is_temp_name(host_name: &str) -> bool {
    let Some(rest) = host_name
        .strip_prefix('.')
        .and_then(|r| r.strip_suffix(".tmp"))
    else {
        return false;
    };
    let mut parts = rest.rsplitn(2, '.');
    let (Some(token), Some(file)) = (parts.next(), parts.next()) else {
        return false;
    };
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let token_ok = token
        .split_once('-')
        .is_some_and(|(a, b)| a.len() == 16 && hex(a) && hex(b));
    let file_ok = file.split_once('.').is_some_and(|(n, t)| {
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 39
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'$' | b'_' | b'-'))
        };
        ok(n) && ok(t)
    });
    token_ok && file_ok
}

/// Removes the temporary files of the backends' own making
/// ([`is_temp_name`]) in the host directory `dir` whose last change is at
/// least `older_than` ago (a file whose age the [`Vfs`] cannot tell counts
/// as old: only the in-memory file system, whose files die with the
/// process, cannot). Returns the names removed, sorted. A file that
/// vanishes meanwhile (its writer finished) is not an error.
pub fn remove_old_temporaries(
    vfs: &dyn Vfs,
    dir: &Path,
    older_than: std::time::Duration,
) -> io::Result<Vec<String>> {
    let now = std::time::SystemTime::now();
    let mut removed = Vec::new();
    for (name, kind) in vfs.list(dir)? {
        if kind != crate::vfs::NodeKind::File || !is_temp_name(&name) {
            continue;
        }
        let path = dir.join(&name);
        let old = match vfs.modified(&path) {
            Ok(Some(t)) => now.duration_since(t).is_ok_and(|age| age >= older_than),
            Ok(None) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if !old {
            continue;
        }
        match vfs.remove_file(&path) {
            Ok(()) => removed.push(name),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if !removed.is_empty() {
        vfs.sync_dir(dir)?;
    }
    removed.sort();
    Ok(removed)
}

/// How a VAR file's bytes end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarScan {
    /// Offset just past the last whole record (or the file length when
    /// nothing is torn).
    pub valid_end: usize,
    /// Number of whole records.
    pub records: usize,
}

/// Scans VAR records: where the whole records end. A torn tail (count word
/// or record cut short, a block skip past the end) ends the scan; an impossible count is an error.
pub fn scan_var(bytes: &[u8]) -> Result<VarScan, FramingError> {
    let mut records = 0;
    for r in var_records(bytes) {
        match r {
            Ok(_) => records += 1,
            Err(
                FramingError::TruncatedCount { offset }
                | FramingError::TruncatedRecord { offset, .. }
                | FramingError::SkipPastEnd { offset },
            ) => {
                return Ok(VarScan {
                    valid_end: offset,
                    records,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(VarScan {
        valid_end: bytes.len(),
        records,
    })
}

/// The whole records of a VAR file, without a torn tail.
pub fn whole_records(bytes: &[u8]) -> Result<Vec<Vec<u8>>, FramingError> {
    let mut out = Vec::new();
    for r in var_records(bytes) {
        match r {
            Ok(rec) => out.push(rec.data.to_vec()),
            Err(
                FramingError::TruncatedCount { .. }
                | FramingError::TruncatedRecord { .. }
                | FramingError::SkipPastEnd { .. },
            ) => {
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Frames `records` as VAR records, one buffer.
pub fn frame(records: &[&[u8]]) -> Result<Vec<u8>, FramingError> {
    let mut out = Vec::new();
    for r in records {
        write_var(&mut out, r)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_stops_at_a_torn_tail() {
        let mut b = frame(&[b"abc", b"de"]).unwrap();
        let whole = b.len();
        b.extend_from_slice(b"\x09\x00xy");
        assert_eq!(
            scan_var(&b).unwrap(),
            VarScan {
                valid_end: whole,
                records: 2
            }
        );
        assert_eq!(whole_records(&b).unwrap().len(), 2);
        assert!(scan_var(b"\x00\x90").is_err());
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(unique_token(), unique_token());
    }
}

#[cfg(test)]
mod temp_name_tests {
    use super::*;

    #[test]
    fn recognises_the_backends_temporary_names_only() {
        let made = format!(".messages.pmj.{}.tmp", unique_token());
        assert!(is_temp_name(&made), "{made}");
        assert!(is_temp_name(
            ".m0012345600abcdef.msg.00ab00cd00ef0012-1f.tmp"
        ));
        assert!(is_temp_name(".ACCOUNT.PRF.00ab00cd00ef0012-0.tmp"));
        for other in [
            "account.prf",
            ".account.prf.tmp",
            ".account.prf.xyz.tmp",
            ".account.prf.00ab00cd00ef0012.tmp",
            ".account.prf.00ab00cd00ef0012-.tmp",
            "..prf.00ab00cd00ef0012-1.tmp",
            ".account.prf.00ab00cd00ef0012-1.tmp~",
            ".notes.00ab00cd00ef0012-1.tmp",
            ".a b.prf.00ab00cd00ef0012-1.tmp",
        ] {
            assert!(!is_temp_name(other), "{other}");
        }
    }
}
