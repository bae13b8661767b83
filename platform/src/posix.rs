//! `PosixTree`: the Linux layout of a store, over any [`Vfs`].
//!
//! Store root `n` is a host directory; a logical path maps to
//! `<root n>/<dir>/.../<name>.<type>`, every component in lower case. The
//! Linux backend is this layout over the real file system; the in-memory
//! backend is this layout over [`MemVfs`]. Files hold exactly their data
//! bytes; no attributes are kept (the record format argument is ignored).
//!
//! Temporary files (a replace or an exclusive create in progress) are named
//! `.<name>.<type>.<token>.tmp`: they never map back to a store name, so
//! [`Platform::list`] skips them, and a crash can leave one behind (a
//! harmless leftover that `verify` may report).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use popstore_formats::path::{Ods2Name, StorePath};
use popstore_formats::record::FramingError;

use crate::dirsync::DirSyncs;
use crate::error::{Error, ErrorKind, Result};
use crate::memvfs::MemVfs;
use crate::platform::{Platform, Staged};
use crate::spool::{Spool, VfsSpool};
use crate::support::{create_host_dir_all, frame, scan_var, unique_token, whole_records};
use crate::types::{DirPath, Entry, FileInfo, FileLock, LockMode, Mapped, RecordFormat};
use crate::vfs::{NodeKind, Vfs};

/// Files fsynced at once by [`Platform::commit_staged`].
const SYNC_THREADS: usize = 8;

/// The Linux store layout over a [`Vfs`] (module docs).
#[derive(Debug, Clone)]
pub struct PosixTree {
    vfs: Arc<dyn Vfs>,
    roots: Vec<PathBuf>,
    host: &'static str,
    dirsync: Arc<DirSyncs>,
}

/// The lower-case host spelling of a name.
fn lower(n: &Ods2Name) -> String {
    n.as_str().to_ascii_lowercase()
}

/// A host name that maps back to a logical name: valid ODS-2 and already
/// lower case (so the mapping is one to one).
fn logical(s: &str) -> Option<Ods2Name> {
    if s != s.to_ascii_lowercase() {
        return None;
    }
    Ods2Name::new(s).ok()
}

/// An error for a framing problem in `path`.
pub(crate) fn corrupt(op: &'static str, path: String, e: &FramingError) -> Error {
    let kind = match e {
        FramingError::TooLongToWrite(_) => ErrorKind::BadData,
        _ => ErrorKind::Corrupt,
    };
    Error::new(op, path, kind, e.to_string())
}

impl PosixTree {
    /// The layout over `vfs` with store roots at the host directories
    /// `roots` (root index = position). `host` names the backend
    /// (`linux`, `memory`).
    pub fn new(vfs: Arc<dyn Vfs>, roots: Vec<PathBuf>, host: &'static str) -> Self {
        Self {
            vfs,
            roots,
            host,
            dirsync: Arc::default(),
        }
    }

    /// The in-memory backend: `roots` store roots `/root0`, `/root1`, ...
    /// in a fresh [`MemVfs`].
    pub fn memory(roots: u8) -> Self {
        Self::memory_over(Arc::new(MemVfs::new()), roots).unwrap_or_else(|e| {
            unreachable!("creating directories in a fresh MemVfs cannot fail: {e}")
        })
    }

    /// The in-memory layout over an existing `vfs` (a [`MemVfs`], possibly
    /// behind a [`FaultVfs`](crate::FaultVfs)), creating the root
    /// directories `/root0`... durably when missing.
    pub fn memory_over(vfs: Arc<dyn Vfs>, roots: u8) -> Result<Self> {
        let paths: Vec<PathBuf> = (0..roots)
            .map(|i| PathBuf::from(format!("/root{i}")))
            .collect();
        for p in &paths {
            if vfs
                .kind(p)
                .map_err(|e| Error::io("create", p.display().to_string(), e))?
                .is_none()
            {
                vfs.create_dir(p)
                    .and_then(|()| vfs.sync_dir(Path::new("/")))
                    .map_err(|e| Error::io("create", p.display().to_string(), e))?;
            }
        }
        Ok(Self::new(vfs, paths, "memory"))
    }

    /// The host directory of `dir`.
    pub fn host_dir(&self, dir: &DirPath) -> Result<PathBuf> {
        let mut p = self
            .roots
            .get(usize::from(dir.root))
            .ok_or_else(|| {
                Error::new(
                    "map",
                    dir.to_string(),
                    ErrorKind::BadRoot,
                    format!("store root {} is not configured", dir.root),
                )
            })?
            .clone();
        for d in &dir.dirs {
            p.push(lower(d));
        }
        Ok(p)
    }

    /// The host path of `path`.
    pub fn host_path(&self, path: &StorePath) -> Result<PathBuf> {
        let Some(root) = self.roots.get(usize::from(path.root)) else {
            return self.host_dir(&DirPath::of(path)); // the bad-root error
        };
        // `dirs/name.type` in lower case, built in one buffer: this runs for
        // every message a POP3 or IMAP client reads.
        let names = path.dirs.iter().chain([&path.name, &path.ftype]);
        let mut rel = String::with_capacity(names.map(|n| n.as_str().len() + 1).sum());
        for d in &path.dirs {
            rel.push_str(d.as_str());
            rel.push('/');
        }
        rel.push_str(path.name.as_str());
        rel.push('.');
        rel.push_str(path.ftype.as_str());
        rel.make_ascii_lowercase();
        let mut p = PathBuf::with_capacity(root.as_os_str().len() + 1 + rel.len());
        p.push(root);
        p.push(rel);
        Ok(p)
    }

    fn temp_for(&self, host: &Path) -> PathBuf {
        let name = host.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        host.with_file_name(format!(".{name}.{}.tmp", unique_token()))
    }

    fn parent(host: &Path) -> &Path {
        host.parent().unwrap_or(Path::new("/"))
    }

    /// Writes `data` to a synced temporary file beside `host`.
    fn write_temp(&self, op: &'static str, host: &Path, data: &[u8]) -> Result<PathBuf> {
        let tmp = self.temp_for(host);
        let res = self
            .vfs
            .create(&tmp, data, true)
            .and_then(|()| self.vfs.sync(&tmp));
        if let Err(e) = res {
            let _ = self.vfs.remove_file(&tmp);
            return Err(Error::io(op, host.display().to_string(), e));
        }
        Ok(tmp)
    }

    /// Syncs the directory holding `host` after an entry was made in it,
    /// sharing the sync with concurrent callers (see [`DirSyncs`]).
    fn sync_parent(&self, host: &Path) -> io::Result<()> {
        self.dirsync
            .sync(Self::parent(host), |d| self.vfs.sync_dir(d))
    }

    fn io<T>(op: &'static str, host: &Path, r: io::Result<T>) -> Result<T> {
        r.map_err(|e| Error::io(op, host.display().to_string(), e))
    }
}

impl Platform for PosixTree {
    fn host(&self) -> &'static str {
        self.host
    }

    fn roots(&self) -> u8 {
        u8::try_from(self.roots.len()).unwrap_or(u8::MAX)
    }

    fn display(&self, path: &StorePath) -> String {
        match self.host_path(path) {
            Ok(p) => p.display().to_string(),
            Err(_) => format!("{path} (store root {} not configured)", path.root),
        }
    }

    fn watch_dir(&self, dir: &DirPath) -> Option<PathBuf> {
        let p = self.host_dir(dir).ok()?;
        self.vfs.local_changes_only(&p).then_some(p)
    }

    fn display_dir(&self, dir: &DirPath) -> String {
        match self.host_dir(dir) {
            Ok(p) => p.display().to_string(),
            Err(_) => format!("{dir} (store root {} not configured)", dir.root),
        }
    }

    fn create_dir_all(&self, dir: &DirPath) -> Result<()> {
        let mut cur = DirPath::root(dir.root);
        let root = self.host_dir(&cur)?;
        Self::io("create_dir", &root, create_host_dir_all(&*self.vfs, &root))?;
        for d in &dir.dirs {
            let parent = self.host_dir(&cur)?;
            cur = cur.child(d.clone());
            let host = self.host_dir(&cur)?;
            match Self::io("create_dir", &host, self.vfs.kind(&host))? {
                Some(NodeKind::Dir) => continue,
                Some(NodeKind::File) => {
                    return Err(Error::new(
                        "create_dir",
                        host.display().to_string(),
                        ErrorKind::AlreadyExists,
                        "a file has this name",
                    ));
                }
                None => {}
            }
            let r = self.vfs.create_dir(&host);
            if !matches!(&r, Err(e) if e.kind() == io::ErrorKind::AlreadyExists) {
                Self::io("create_dir", &host, r)?;
            }
            Self::io("create_dir", &host, self.vfs.sync_dir(&parent))?;
        }
        Ok(())
    }

    fn create_new(&self, path: &StorePath, _format: RecordFormat, data: &[u8]) -> Result<()> {
        let host = self.host_path(path)?;
        let tmp = self.write_temp("create", &host, data)?;
        // link() refuses an existing name, atomically, also on NFS.
        let linked = self.vfs.link(&tmp, &host);
        let _ = self.vfs.remove_file(&tmp);
        Self::io("create", &host, linked)?;
        Self::io("create", &host, self.sync_parent(&host))
    }

    fn stage_new(&self, path: &StorePath, format: RecordFormat, data: &[u8]) -> Result<Staged> {
        let host = self.host_path(path)?;
        let tmp = self.temp_for(&host);
        if let Err(e) = self.vfs.create(&tmp, data, true) {
            let _ = self.vfs.remove_file(&tmp);
            return Err(Error::io("create", host.display().to_string(), e));
        }
        Ok(Staged {
            path: path.clone(),
            format,
            data: Vec::new(),
            temp: Some(tmp),
        })
    }

    fn commit_staged(&self, staged: Vec<Staged>) -> Vec<Result<()>> {
        let mut out: Vec<Result<()>> = staged.iter().map(|_| Ok(())).collect();
        let mut hosts = Vec::with_capacity(staged.len());
        for (i, s) in staged.iter().enumerate() {
            match (self.host_path(&s.path), &s.temp) {
                (Ok(h), Some(t)) => hosts.push((i, h, t.clone())),
                (Err(e), _) => out[i] = Err(e),
                (Ok(_), None) => out[i] = self.create_new(&s.path, s.format, &s.data),
            }
        }
        // Each temporary file's data: several fsyncs at once (the file
        // system commits concurrent ones together)...
        let next = std::sync::atomic::AtomicUsize::new(0);
        let synced: Vec<std::sync::Mutex<io::Result<()>>> = hosts
            .iter()
            .map(|_| std::sync::Mutex::new(Ok(())))
            .collect();
        let work = || {
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((_, _, tmp)) = hosts.get(k) else {
                    return;
                };
                let r = self.vfs.sync(tmp);
                if let Ok(mut slot) = synced[k].lock() {
                    *slot = r;
                }
            }
        };
        // One flush of the file system for all of them where the host can
        // (syncfs; once per directory, as directories may be on several
        // disks), else an fsync each.
        let mut parents: Vec<&Path> = hosts.iter().map(|(_, h, _)| Self::parent(h)).collect();
        parents.sort_unstable();
        parents.dedup();
        let together = hosts.len() > 1
            && parents
                .iter()
                .all(|d| matches!(self.vfs.sync_all_files(d), Ok(true)));
        let threads = hosts.len().min(SYNC_THREADS);
        if together {
            // Every file's data is durable: nothing more to do here.
        } else if threads <= 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(work);
                }
            });
        }
        // ...then each under its name (link() refuses an existing one)...
        let mut dirs: Vec<(PathBuf, Vec<usize>)> = Vec::new();
        for ((i, host, tmp), r) in hosts.iter().zip(synced) {
            let r = r
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .and_then(|()| self.vfs.link(tmp, host));
            let _ = self.vfs.remove_file(tmp);
            match r {
                Ok(()) => {
                    let d = Self::parent(host).to_path_buf();
                    match dirs.iter_mut().find(|(p, _)| *p == d) {
                        Some((_, v)) => v.push(*i),
                        None => dirs.push((d, vec![*i])),
                    }
                }
                Err(e) => out[*i] = Err(Error::io("create", host.display().to_string(), e)),
            }
        }
        // ...and each directory's new names durable, once.
        for (d, items) in dirs {
            if let Err(e) = self.dirsync.sync(&d, |d| self.vfs.sync_dir(d)) {
                for i in items {
                    out[i] = Err(Error::io(
                        "create",
                        d.display().to_string(),
                        io::Error::new(e.kind(), e.to_string()),
                    ));
                }
            }
        }
        out
    }

    fn create_new_parts(
        &self,
        path: &StorePath,
        format: RecordFormat,
        parts: &[&[u8]],
    ) -> Result<()> {
        if let [one] = parts {
            return self.create_new(path, format, one);
        }
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total <= 1 << 20 {
            return self.create_new(path, format, &parts.concat());
        }
        let host = self.host_path(path)?;
        let tmp = self.temp_for(&host);
        let mut res = self.vfs.create(&tmp, &[], true);
        let mut at = 0u64;
        for part in parts {
            // Pieces of at most 8 MiB: one write each.
            for piece in part.chunks(8 << 20) {
                if res.is_ok() {
                    res = self.vfs.write_at(&tmp, at, piece);
                    at += piece.len() as u64;
                }
            }
        }
        let res = res.and_then(|()| self.vfs.sync(&tmp));
        if let Err(e) = res {
            let _ = self.vfs.remove_file(&tmp);
            return Err(Error::io("create", host.display().to_string(), e));
        }
        let linked = self.vfs.link(&tmp, &host);
        let _ = self.vfs.remove_file(&tmp);
        Self::io("create", &host, linked)?;
        Self::io("create", &host, self.sync_parent(&host))
    }

    fn spool(&self, near: &StorePath) -> Result<Box<dyn Spool>> {
        let host = self.host_path(near)?;
        let tmp = self.temp_for(&host);
        Self::io("spool", &host, self.vfs.create(&tmp, &[], true))?;
        Ok(Box::new(VfsSpool {
            vfs: Arc::clone(&self.vfs),
            host: tmp,
            len: 0,
        }))
    }

    fn replace(&self, path: &StorePath, _format: RecordFormat, data: &[u8]) -> Result<()> {
        let host = self.host_path(path)?;
        let tmp = self.write_temp("replace", &host, data)?;
        if let Err(e) = self.vfs.rename(&tmp, &host) {
            let _ = self.vfs.remove_file(&tmp);
            return Err(Error::io("replace", host.display().to_string(), e));
        }
        Self::io("replace", &host, self.sync_parent(&host))
    }

    fn append_records(&self, path: &StorePath, records: &[&[u8]]) -> Result<()> {
        let host = self.host_path(path)?;
        let bytes =
            frame(records).map_err(|e| corrupt("append", host.display().to_string(), &e))?;
        if Self::io("append", &host, self.vfs.kind(&host))?.is_none() {
            match self.create_new(path, RecordFormat::Var, &bytes) {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                other => return other,
            }
        }
        // The scan's framing error, kept to report it as corruption.
        let bad = std::cell::RefCell::new(None);
        let valid_end = |old: &[u8]| match scan_var(old) {
            Ok(scan) => Ok(scan.valid_end as u64),
            Err(e) => {
                let msg = e.to_string();
                *bad.borrow_mut() = Some(e);
                Err(io::Error::new(io::ErrorKind::InvalidData, msg))
            }
        };
        let r = self.vfs.append(&host, &valid_end, &bytes);
        if let Some(e) = bad.into_inner() {
            return Err(corrupt("append", host.display().to_string(), &e));
        }
        Self::io("append", &host, r)
    }

    fn read(&self, path: &StorePath) -> Result<Vec<u8>> {
        let host = self.host_path(path)?;
        Self::io("read", &host, self.vfs.read(&host))
    }

    fn read_head(&self, path: &StorePath, max: usize) -> Result<Vec<u8>> {
        let host = self.host_path(path)?;
        Self::io("read", &host, self.vfs.read_head(&host, max))
    }

    fn read_records(&self, path: &StorePath) -> Result<Vec<Vec<u8>>> {
        let host = self.host_path(path)?;
        let bytes = Self::io("read", &host, self.vfs.read(&host))?;
        whole_records(&bytes).map_err(|e| corrupt("read", host.display().to_string(), &e))
    }

    fn map(&self, path: &StorePath) -> Result<Mapped> {
        let host = self.host_path(path)?;
        Self::io("map", &host, self.vfs.map_whole(&host))
    }

    fn stat(&self, path: &StorePath) -> Result<Option<FileInfo>> {
        let host = self.host_path(path)?;
        match Self::io("stat", &host, self.vfs.kind(&host))? {
            Some(NodeKind::File) => Ok(Some(FileInfo {
                len: Self::io("stat", &host, self.vfs.len(&host))?,
                format: None,
                version: None,
            })),
            _ => Ok(None),
        }
    }

    fn list(&self, dir: &DirPath) -> Result<Vec<Entry>> {
        let host = self.host_dir(dir)?;
        let mut out: Vec<Entry> = Self::io("list", &host, self.vfs.list(&host))?
            .into_iter()
            .filter_map(|(name, kind)| match kind {
                NodeKind::Dir => logical(&name).map(Entry::Dir),
                NodeKind::File => {
                    let (n, t) = name.split_once('.')?;
                    Some(Entry::File {
                        name: logical(n)?,
                        ftype: logical(t)?,
                    })
                }
            })
            .collect();
        out.sort();
        Ok(out)
    }

    fn strays(&self, dir: &DirPath) -> Result<Vec<String>> {
        let host = self.host_dir(dir)?;
        let mut out: Vec<String> = Self::io("list", &host, self.vfs.list(&host))?
            .into_iter()
            .filter(|(name, kind)| match kind {
                NodeKind::Dir => logical(name).is_none(),
                NodeKind::File => name
                    .split_once('.')
                    .is_none_or(|(n, t)| logical(n).is_none() || logical(t).is_none()),
            })
            .map(|(name, _)| name)
            .collect();
        out.sort();
        Ok(out)
    }

    fn remove_temporaries(&self, dir: &DirPath, older_than: Duration) -> Result<Vec<String>> {
        let host = self.host_dir(dir)?;
        Self::io(
            "remove_temporaries",
            &host,
            crate::support::remove_old_temporaries(&*self.vfs, &host, older_than),
        )
    }

    fn remove(&self, path: &StorePath) -> Result<()> {
        let host = self.host_path(path)?;
        Self::io("remove", &host, self.vfs.remove_file(&host))?;
        Self::io("remove", &host, self.sync_parent(&host))
    }

    fn remove_dir(&self, dir: &DirPath) -> Result<()> {
        let host = self.host_dir(dir)?;
        if dir.dirs.is_empty() {
            return Err(Error::new(
                "remove_dir",
                host.display().to_string(),
                ErrorKind::Io,
                "a store root is not removed",
            ));
        }
        Self::io("remove_dir", &host, self.vfs.remove_dir(&host))?;
        Self::io("remove_dir", &host, self.vfs.sync_dir(Self::parent(&host)))
    }

    fn rename(&self, from: &StorePath, to: &StorePath) -> Result<()> {
        let src = self.host_path(from)?;
        let dst = self.host_path(to)?;
        if from.root != to.root {
            return Err(Error::new(
                "rename",
                src.display().to_string(),
                ErrorKind::Io,
                format!("cannot rename across store roots (to {})", dst.display()),
            ));
        }
        Self::io("rename", &src, self.vfs.rename(&src, &dst))?;
        Self::io("rename", &dst, self.vfs.sync_dir(Self::parent(&dst)))?;
        if Self::parent(&src) != Self::parent(&dst) {
            Self::io("rename", &src, self.vfs.sync_dir(Self::parent(&src)))?;
        }
        Ok(())
    }

    fn lock(&self, path: &StorePath, mode: LockMode, timeout: Duration) -> Result<FileLock> {
        let host = self.host_path(path)?;
        let held = Self::io("lock", &host, self.vfs.lock(&host, mode, timeout))?;
        Ok(FileLock::new(held, mode))
    }
}
