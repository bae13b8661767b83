//! [`StoreReader`] over any [`Platform`] backend (Linux, OpenVMS, memory).
//! Reports name root-0 files relative to the store on Linux
//! (`users/1c/ad/john/account.prf`) and by file specification on OpenVMS
//! (`ROOT0:[USERS.1C.AD.JOHN]ACCOUNT.PRF`).

use popstore_formats::layout::linux_relative;
use popstore_formats::path::StorePath;
use popstore_platform::{DirPath, Entry, ErrorKind, LockMode, Platform};

use super::{DirEntry, StoreDir, StoreReader};

/// A store seen through a platform backend.
#[derive(Debug, Clone, Copy)]
pub struct PlatformStore<'a> {
    platform: &'a dyn Platform,
}

impl<'a> PlatformStore<'a> {
    /// The store on `platform` (its root 0 is the store directory).
    pub fn new(platform: &'a dyn Platform) -> Self {
        PlatformStore { platform }
    }

    fn relative(&self, root: u8) -> bool {
        root == 0 && self.platform.host() != "openvms"
    }
}

fn dir_path(dir: &StoreDir) -> DirPath {
    DirPath {
        root: dir.root,
        dirs: dir.dirs.clone(),
    }
}

fn io(e: popstore_platform::Error) -> std::io::Error {
    std::io::Error::other(e)
}

impl StoreReader for PlatformStore<'_> {
    fn list(&self, dir: &StoreDir) -> std::io::Result<Option<Vec<DirEntry>>> {
        let d = dir_path(dir);
        let entries = match self.platform.list(&d) {
            Ok(e) => e,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::BadRoot) => {
                return Ok(None);
            }
            Err(e) => return Err(io(e)),
        };
        let mut out: Vec<DirEntry> = entries
            .into_iter()
            .map(|e| match e {
                Entry::Dir(n) => DirEntry::Dir(n),
                Entry::File { name, ftype } => DirEntry::File(name, ftype),
            })
            .collect();
        out.extend(
            self.platform
                .strays(&d)
                .map_err(io)?
                .into_iter()
                .map(DirEntry::Other),
        );
        out.sort();
        Ok(Some(out))
    }

    fn read(&self, path: &StorePath) -> std::io::Result<Option<Vec<u8>>> {
        match self.platform.read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::BadRoot) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    fn lock_shared(&self, path: &StorePath) -> Option<Box<dyn std::any::Any>> {
        // A writer holds it for one change; 30 s is the store's own lock
        // timeout.
        let timeout = std::time::Duration::from_secs(30);
        match self.platform.lock(path, LockMode::Shared, timeout) {
            Ok(l) => Some(Box::new(l)),
            Err(e) => {
                tracing::debug!("verify: reading unlocked: {e}");
                None
            }
        }
    }

    fn spell(&self, path: &StorePath) -> String {
        if self.relative(path.root) {
            linux_relative(path)
        } else {
            self.platform.display(path)
        }
    }

    fn spell_dir(&self, dir: &StoreDir, other: Option<&str>) -> String {
        if self.relative(dir.root) {
            let mut parts: Vec<String> = dir
                .dirs
                .iter()
                .map(|d| d.as_str().to_ascii_lowercase())
                .collect();
            parts.extend(other.map(str::to_owned));
            let rel = parts.join("/");
            return if rel.is_empty() { ".".to_owned() } else { rel };
        }
        let shown = self.platform.display_dir(&dir_path(dir));
        match other {
            Some(o) if self.platform.host() == "openvms" => format!("{shown}{o}"),
            Some(o) => format!("{shown}/{o}"),
            None => shown,
        }
    }
}
