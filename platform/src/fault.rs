//! `FaultVfs`: wraps any [`Vfs`] and fails, or "crashes", at the Nth write,
//! sync or rename.
//!
//! A *failure* makes that one operation return an error without doing it;
//! later operations run. A *crash* makes that operation and every later one
//! (reads too) fail, as if the process had died there. Over
//! [`MemVfs`](crate::MemVfs), call [`MemVfs::crash`](crate::MemVfs::crash)
//! afterwards to also lose what was not synced (a power loss), then build a
//! fresh backend over the same `MemVfs` to see what a restart finds. Over
//! the real file system a crash models the process dying (the kernel keeps
//! its page cache).

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::types::{LockMode, Mapped};
use crate::vfs::{NodeKind, Vfs};

/// Which operations a fault plan counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpClass {
    /// Writes: create, write_at, set_len, set_xattr, remove_file, create_dir,
    /// remove_dir.
    Write,
    /// Syncs: sync, sync_dir.
    Sync,
    /// Renames and links.
    Rename,
    /// Every write, sync and rename.
    Any,
}

/// What happens at the planned operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// That operation fails; later ones run.
    Fail,
    /// That operation and every later one fail.
    Crash,
}

/// The payload of an injected error (see [`is_injected`]).
#[derive(Debug)]
pub struct FaultInjected;

impl fmt::Display for FaultInjected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fault injected")
    }
}

impl std::error::Error for FaultInjected {}

/// True when `err` was made by a [`FaultVfs`].
pub fn is_injected(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<FaultInjected>())
}

fn injected() -> io::Error {
    io::Error::other(FaultInjected)
}

#[derive(Debug, Default)]
struct Plan {
    class: Option<OpClass>,
    nth: u64,
    mode: Option<FaultMode>,
    seen: u64,
    total: u64,
    crashed: bool,
    fired: bool,
}

/// A fault-injecting wrapper around a [`Vfs`] (module docs).
#[derive(Debug)]
pub struct FaultVfs {
    inner: Arc<dyn Vfs>,
    plan: Mutex<Plan>,
}

impl FaultVfs {
    /// Wraps `inner`; no fault is planned.
    pub fn new(inner: Arc<dyn Vfs>) -> Self {
        Self {
            inner,
            plan: Mutex::default(),
        }
    }

    /// Plans a fault at the `nth` (1-based, counted from now) operation of
    /// `class`.
    pub fn plan(&self, class: OpClass, nth: u64, mode: FaultMode) {
        let mut p = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        *p = Plan {
            class: Some(class),
            nth,
            mode: Some(mode),
            total: p.total,
            ..Plan::default()
        };
    }

    /// True once a planned fault has fired.
    pub fn fired(&self) -> bool {
        self.plan
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .fired
    }

    /// How many writes, syncs and renames went through so far.
    pub fn ops(&self) -> u64 {
        self.plan
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    fn check(&self, class: Option<OpClass>) -> io::Result<()> {
        let mut p = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        if p.crashed {
            return Err(injected());
        }
        let Some(class) = class else {
            return Ok(());
        };
        p.total += 1;
        let counts = match p.class {
            Some(OpClass::Any) => true,
            Some(c) => c == class,
            None => false,
        };
        if counts && let Some(mode) = p.mode {
            p.seen += 1;
            if p.seen == p.nth {
                p.fired = true;
                if mode == FaultMode::Crash {
                    p.crashed = true;
                }
                return Err(injected());
            }
        }
        Ok(())
    }
}

impl Vfs for FaultVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.check(None)?;
        self.inner.read(path)
    }
    fn kind(&self, path: &Path) -> io::Result<Option<NodeKind>> {
        self.check(None)?;
        self.inner.kind(path)
    }
    fn len(&self, path: &Path) -> io::Result<u64> {
        self.check(None)?;
        self.inner.len(path)
    }
    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        self.check(None)?;
        self.inner.modified(path)
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<(String, NodeKind)>> {
        self.check(None)?;
        self.inner.list(dir)
    }
    fn create(&self, path: &Path, data: &[u8], exclusive: bool) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.create(path, data, exclusive)
    }
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.write_at(path, offset, data)
    }
    fn set_len(&self, path: &Path, len: u64) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.set_len(path, len)
    }
    fn get_xattr(&self, path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
        self.check(None)?;
        self.inner.get_xattr(path, name)
    }
    fn set_xattr(&self, path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.set_xattr(path, name, value)
    }
    fn sync(&self, path: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Sync))?;
        self.inner.sync(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Sync))?;
        self.inner.sync_dir(dir)
    }
    fn sync_all_files(&self, dir: &Path) -> io::Result<bool> {
        self.check(Some(OpClass::Sync))?;
        self.inner.sync_all_files(dir)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Rename))?;
        self.inner.rename(from, to)
    }
    fn link(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Rename))?;
        self.inner.link(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.remove_file(path)
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.create_dir(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.check(Some(OpClass::Write))?;
        self.inner.remove_dir(path)
    }
    fn map(&self, path: &Path, len: u64) -> io::Result<Mapped> {
        self.check(None)?;
        self.inner.map(path, len)
    }
    fn map_whole(&self, path: &Path) -> io::Result<Mapped> {
        self.check(None)?;
        self.inner.map_whole(path)
    }
    fn lock(
        &self,
        path: &Path,
        mode: LockMode,
        timeout: Duration,
    ) -> io::Result<Box<dyn Send + Sync>> {
        self.check(None)?;
        self.inner.lock(path, mode, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memvfs::MemVfs;

    #[test]
    fn counts_only_the_planned_class() {
        let mem = Arc::new(MemVfs::new());
        let f = FaultVfs::new(mem.clone());
        let p = Path::new("/a");
        f.create(p, b"", true).unwrap();
        f.sync_dir(Path::new("/")).unwrap();
        f.plan(OpClass::Sync, 2, FaultMode::Fail);
        f.write_at(p, 0, b"x").unwrap();
        f.sync(p).unwrap();
        f.write_at(p, 1, b"y").unwrap();
        assert!(is_injected(&f.sync(p).unwrap_err()));
        assert!(f.fired());
        f.sync(p).unwrap();
        assert_eq!(f.read(p).unwrap(), b"xy");

        f.plan(OpClass::Rename, 1, FaultMode::Crash);
        f.write_at(p, 0, b"z").unwrap();
        assert!(is_injected(&f.rename(p, Path::new("/b")).unwrap_err()));
        assert!(
            is_injected(&f.read(p).unwrap_err()),
            "reads fail after a crash"
        );
        mem.crash();
        assert_eq!(mem.read(p).unwrap(), b"xy", "the unsynced write is lost");
    }
}
