//! The OpenVMS backend of the popstore platform layer: an emulation of
//! Files-11 ODS-2 and RMS sequential files that runs over any host
//! directory, so it runs and is tested everywhere. README.md beside this
//! crate documents the host layout.
//!
//! - file specifications `DEV:[DIR.SUB]NAME.TYPE;VERSION` ([`FileSpec`]);
//! - ODS-2 names (upper case, `A-Z 0-9 $ _ -`, 39.39), looked up
//!   case-insensitively; directories are `NAME.DIR;1`;
//! - file versions: a replace writes version n+1, readers see the highest,
//!   lower versions are purged once the new one is durable;
//! - record formats VAR, FIX 512 and UDF, with the record attributes area
//!   of the file header (format, record size, end of file) kept outside the
//!   data bytes, in an extended attribute ([`fat`]);
//! - the data bytes of every file are exactly those the Linux backend
//!   writes.

pub mod fat;
mod files11;
pub mod spec;

pub use files11::Files11;
pub use spec::FileSpec;

use std::path::PathBuf;
use std::sync::Arc;

use popstore_platform_linux::HostVfs;

/// The OpenVMS backend over the host directories `roots` (devices `ROOT0`,
/// `ROOT1`, ... in that order).
pub fn openvms(roots: Vec<PathBuf>) -> Files11 {
    Files11::new(Arc::new(HostVfs), roots)
}

/// The data of one emulated file named by its host path (a version file
/// such as `.../ACCOUNT.PRF;1`), up to the end of file its record
/// attributes give.
pub fn read_host_file(path: &std::path::Path) -> popstore_platform::Result<Vec<u8>> {
    use popstore_platform::{Error, ErrorKind, Vfs};
    let shown = path.display().to_string();
    let raw = HostVfs
        .get_xattr(path, fat::XATTR)
        .map_err(|e| Error::io("read", &shown, e))?
        .ok_or_else(|| {
            Error::new(
                "read",
                &shown,
                ErrorKind::Corrupt,
                "file has no record attributes",
            )
        })?;
    let attrs = fat::RecordAttributes::decode(&raw)
        .map_err(|e| Error::new("read", &shown, ErrorKind::Corrupt, e.0))?;
    let mut data = HostVfs
        .read(path)
        .map_err(|e| Error::io("read", &shown, e))?;
    let eof = usize::try_from(attrs.len).unwrap_or(usize::MAX);
    if data.len() < eof {
        return Err(Error::new(
            "read",
            &shown,
            ErrorKind::Corrupt,
            format!("{} bytes, end of file at {eof}", data.len()),
        ));
    }
    data.truncate(eof);
    Ok(data)
}
