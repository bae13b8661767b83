//! [`StoreReader`] over the Linux layout with `std::fs`: root 0 is the store
//! directory; `dir/.../name.type` in lower case (SPEC.md, "Path and name
//! mapping").

use std::path::{Path, PathBuf};

use popstore_formats::layout::linux_relative;
use popstore_formats::path::{Ods2Name, StorePath};

use super::{DirEntry, StoreDir, StoreReader};

/// A store in the Linux layout.
#[derive(Debug, Clone)]
pub struct FsStore {
    roots: Vec<(u8, PathBuf)>,
}

impl FsStore {
    /// The store whose root 0 is `dir`.
    pub fn new(dir: &Path) -> Self {
        FsStore {
            roots: vec![(0, dir.to_path_buf())],
        }
    }

    /// Adds the host directory of root `index` (a relative directory is
    /// taken from root 0's).
    pub fn add_root(&mut self, index: u8, dir: &Path) {
        let base = self.root_dir(0).map(Path::to_path_buf).unwrap_or_default();
        self.roots.retain(|(i, _)| *i != index);
        self.roots.push((index, base.join(dir)));
    }

    fn root_dir(&self, index: u8) -> Option<&Path> {
        self.roots
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, p)| p.as_path())
    }

    fn host_dir(&self, dir: &StoreDir) -> Option<PathBuf> {
        let mut p = self.root_dir(dir.root)?.to_path_buf();
        for d in &dir.dirs {
            p.push(d.as_str().to_ascii_lowercase());
        }
        Some(p)
    }
}

/// A host file name as a store entry: lower-case ODS-2 `name.type`.
fn entry(name: &str, is_dir: bool) -> DirEntry {
    let lower = name == name.to_ascii_lowercase();
    if is_dir {
        return match Ods2Name::new(name) {
            Ok(n) if lower => DirEntry::Dir(n),
            _ => DirEntry::Other(name.to_owned()),
        };
    }
    match name.split_once('.') {
        Some((n, t)) if lower => match (Ods2Name::new(n), Ods2Name::new(t)) {
            (Ok(n), Ok(t)) => DirEntry::File(n, t),
            _ => DirEntry::Other(name.to_owned()),
        },
        _ => DirEntry::Other(name.to_owned()),
    }
}

impl StoreReader for FsStore {
    fn list(&self, dir: &StoreDir) -> std::io::Result<Option<Vec<DirEntry>>> {
        let Some(p) = self.host_dir(dir) else {
            return Ok(None);
        };
        let rd = match std::fs::read_dir(&p) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for e in rd {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            out.push(entry(&name, e.file_type()?.is_dir()));
        }
        out.sort();
        Ok(Some(out))
    }

    fn read(&self, path: &StorePath) -> std::io::Result<Option<Vec<u8>>> {
        let Some(root) = self.root_dir(path.root) else {
            return Ok(None);
        };
        match std::fs::read(root.join(linux_relative(path))) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn spell(&self, path: &StorePath) -> String {
        let rel = linux_relative(path);
        if path.root == 0 {
            rel
        } else {
            match self.root_dir(path.root) {
                Some(d) => d.join(rel).display().to_string(),
                None => format!("{path}"),
            }
        }
    }

    fn spell_dir(&self, dir: &StoreDir, other: Option<&str>) -> String {
        let mut parts: Vec<String> = dir
            .dirs
            .iter()
            .map(|d| d.as_str().to_ascii_lowercase())
            .collect();
        if let Some(o) = other {
            parts.push(o.to_owned());
        }
        let rel = parts.join("/");
        if dir.root == 0 {
            if rel.is_empty() { ".".to_owned() } else { rel }
        } else {
            match self.root_dir(dir.root) {
                Some(d) => d.join(rel).display().to_string(),
                None => format!("ROOT{}:{rel}", dir.root),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_host_names_to_entries() {
        assert!(matches!(entry("account.prf", false), DirEntry::File(..)));
        assert!(matches!(entry("ACCOUNT.prf", false), DirEntry::Other(_)));
        assert!(matches!(entry("a.b.c", false), DirEntry::Other(_)));
        assert!(matches!(entry("1c", true), DirEntry::Dir(_)));
        assert!(matches!(entry("x y", true), DirEntry::Other(_)));
    }
}
