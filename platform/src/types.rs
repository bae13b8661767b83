//! Values the [`Platform`](crate::Platform) trait passes around.

use std::fmt;
use std::ops::Deref;

use popstore_formats::path::{Ods2Name, StorePath};

/// A directory of the store: a root index and the directories below it
/// (empty for the root itself).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DirPath {
    /// Index of the store root.
    pub root: u8,
    /// Directories from the root down.
    pub dirs: Vec<Ods2Name>,
}

impl DirPath {
    /// The top directory of root `root`.
    pub fn root(root: u8) -> Self {
        Self {
            root,
            dirs: Vec::new(),
        }
    }

    /// The directory holding `path`.
    pub fn of(path: &StorePath) -> Self {
        Self {
            root: path.root,
            dirs: path.dirs.clone(),
        }
    }

    /// This directory's subdirectory `name`.
    pub fn child(&self, name: Ods2Name) -> Self {
        let mut dirs = self.dirs.clone();
        dirs.push(name);
        Self {
            root: self.root,
            dirs,
        }
    }

    /// The file `name.ftype` in this directory.
    pub fn file(&self, name: Ods2Name, ftype: Ods2Name) -> StorePath {
        StorePath {
            root: self.root,
            dirs: self.dirs.clone(),
            name,
            ftype,
        }
    }
}

impl fmt::Display for DirPath {
    /// `ROOTn:[DIR.SUB]`, the spelling `StorePath` uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ROOT{}:[", self.root)?;
        if self.dirs.is_empty() {
            f.write_str("000000")?;
        }
        for (i, d) in self.dirs.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(d.as_str())?;
        }
        f.write_str("]")
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    /// A subdirectory.
    Dir(Ods2Name),
    /// A file `name.ftype`.
    File {
        /// File name.
        name: Ods2Name,
        /// File type.
        ftype: Ods2Name,
    },
}

/// The RMS record format of a file (SPEC.md, "Record framing"). The Linux
/// backend stores no attributes and ignores it; the OpenVMS backend keeps it
/// in the file's attribute block, outside the data bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordFormat {
    /// Variable-length records (2-byte LE count, data, pad to even).
    Var,
    /// Fixed-length 512-byte records: the data is a whole number of blocks.
    Fix512,
    /// Undefined: a stream of bytes with no record structure.
    Udf,
}

/// Exclusive or shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockMode {
    /// Many holders at once, no exclusive holder.
    Shared,
    /// One holder, no shared holders.
    Exclusive,
}

/// What [`Platform::stat`](crate::Platform::stat) knows about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Length of the data in bytes (the logical end of file).
    pub len: u64,
    /// The record format when the host keeps one (OpenVMS), else `None`.
    pub format: Option<RecordFormat>,
    /// The file version when the host has versions (OpenVMS), else `None`.
    pub version: Option<u16>,
}

/// A read-only view of a whole file's data: a memory map on real hosts, a
/// copy in memory on the in-memory backend. Derefs to `&[u8]`.
pub struct Mapped(Box<dyn Deref<Target = [u8]> + Send + Sync>);

impl Mapped {
    /// Wraps anything that derefs to bytes.
    pub fn new(inner: impl Deref<Target = [u8]> + Send + Sync + 'static) -> Self {
        Self(Box::new(inner))
    }
}

impl Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Mapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mapped({} bytes)", self.0.len())
    }
}

/// A held lock; dropping it releases the lock.
pub struct FileLock {
    _held: Box<dyn Send + Sync>,
    mode: LockMode,
}

impl FileLock {
    /// Wraps the backend's lock holder; the lock is released when `held`
    /// drops.
    pub fn new(held: impl Send + Sync + 'static, mode: LockMode) -> Self {
        Self {
            _held: Box::new(held),
            mode,
        }
    }

    /// The mode the lock was taken in.
    pub fn mode(&self) -> LockMode {
        self.mode
    }
}

impl fmt::Debug for FileLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileLock({:?})", self.mode)
    }
}
