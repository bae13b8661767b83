//! `popstore verify`: a read-only check of a whole store (SPEC.md). The
//! repair is the engine's (`Store::repair`).
//!
//! All file access goes through [`StoreReader`], a small read-only view of
//! a store by logical path, so the same walk runs over any host layout.
//! [`PlatformStore`] reads it through any platform backend.

mod check;
mod host;

pub use check::{Problem, Report, verify};
pub use host::PlatformStore;

use popstore_formats::path::{Ods2Name, StorePath};

/// A directory of the store, by logical name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreDir {
    /// Store root.
    pub root: u8,
    /// Directories from the root down.
    pub dirs: Vec<Ods2Name>,
}

impl StoreDir {
    /// The top of root `root`.
    pub fn top(root: u8) -> Self {
        StoreDir {
            root,
            dirs: Vec::new(),
        }
    }

    /// A subdirectory.
    pub fn sub(&self, name: &Ods2Name) -> Self {
        let mut dirs = self.dirs.clone();
        dirs.push(name.clone());
        StoreDir {
            root: self.root,
            dirs,
        }
    }

    /// A file in this directory.
    pub fn file(&self, name: &Ods2Name, ftype: &Ods2Name) -> StorePath {
        StorePath {
            root: self.root,
            dirs: self.dirs.clone(),
            name: name.clone(),
            ftype: ftype.clone(),
        }
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DirEntry {
    /// A subdirectory.
    Dir(Ods2Name),
    /// A file with a valid `NAME.TYPE`.
    File(Ods2Name, Ods2Name),
    /// Anything else (a name no store file has), spelled as the host spells it.
    Other(String),
}

/// What verify needs from a host: list a directory, read a file, spell a
/// path for the report. Read-only by construction.
pub trait StoreReader {
    /// The entries of `dir`, sorted; `Ok(None)` when it does not exist.
    fn list(&self, dir: &StoreDir) -> std::io::Result<Option<Vec<DirEntry>>>;
    /// The whole content of `path`; `Ok(None)` when it does not exist.
    fn read(&self, path: &StorePath) -> std::io::Result<Option<Vec<u8>>>;
    /// How the report names `path`.
    fn spell(&self, path: &StorePath) -> String;
    /// How the report names `dir` (and an entry `other` in it).
    fn spell_dir(&self, dir: &StoreDir, other: Option<&str>) -> String;
    /// Holds the lock file `path` shared (the lock writers take
    /// exclusively) until the returned guard drops; `None` when it cannot
    /// (the walk then reads unlocked). Verify takes an account's lock
    /// this way while it reads the account's profile, message list and
    /// journal, so a server changing them meanwhile is not a problem.
    /// The default takes no lock.
    fn lock_shared(&self, path: &StorePath) -> Option<Box<dyn std::any::Any>> {
        let _ = path;
        None
    }
}
