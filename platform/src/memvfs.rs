//! `MemVfs`: an in-memory file system that models a page cache, for the
//! in-memory backend and for crash tests.
//!
//! Each file keeps its current data and the data last synced; each directory
//! keeps its current entries and the entries last synced. [`MemVfs::crash`]
//! throws away everything not synced, as a power loss does: file data
//! written since the last [`Vfs::sync`] is lost, and directory entries
//! (creates, renames, removals) made since the last [`Vfs::sync_dir`] of
//! their directory are undone. A file whose directory entry was never
//! synced vanishes with its data.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::types::{LockMode, Mapped};
use crate::vfs::{NodeKind, Vfs};

type Ino = u64;
const ROOT: Ino = 0;

#[derive(Debug, Clone)]
enum Node {
    File {
        data: Vec<u8>,
        synced: Vec<u8>,
        attrs: BTreeMap<String, Vec<u8>>,
        synced_attrs: BTreeMap<String, Vec<u8>>,
    },
    Dir {
        entries: BTreeMap<String, Ino>,
        synced: BTreeMap<String, Ino>,
    },
}

#[derive(Debug)]
struct State {
    nodes: HashMap<Ino, Node>,
    next: Ino,
}

#[derive(Debug, Default)]
struct LockTable {
    held: Mutex<HashMap<PathBuf, (usize, bool)>>,
    released: Condvar,
}

/// An in-memory file system with a page-cache model (module docs).
#[derive(Debug)]
pub struct MemVfs {
    state: Mutex<State>,
    locks: Arc<LockTable>,
    /// `sync_all_files` refused (a host without syncfs).
    no_syncfs: std::sync::atomic::AtomicBool,
}

impl Default for MemVfs {
    fn default() -> Self {
        Self::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

fn names(path: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(s) => out.push(
                s.to_str()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "non-UTF-8 name"))?
                    .to_owned(),
            ),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "unsupported path component",
                ));
            }
        }
    }
    Ok(out)
}

impl State {
    fn lookup(&self, path: &Path) -> io::Result<Option<Ino>> {
        let mut ino = ROOT;
        for name in names(path)? {
            match self.nodes.get(&ino) {
                Some(Node::Dir { entries, .. }) => match entries.get(&name) {
                    Some(&next) => ino = next,
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
        }
        Ok(Some(ino))
    }

    /// The directory inode holding `path` and the last name.
    fn parent(&self, path: &Path) -> io::Result<(Ino, String)> {
        let mut all = names(path)?;
        let last = all
            .pop()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty path"))?;
        let dir: PathBuf = all.iter().collect();
        let ino = self.lookup(&dir)?.ok_or_else(|| not_found(path))?;
        match self.nodes.get(&ino) {
            Some(Node::Dir { .. }) => Ok((ino, last)),
            _ => Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{}: parent is not a directory", path.display()),
            )),
        }
    }

    fn entries(&mut self, dir: Ino) -> &mut BTreeMap<String, Ino> {
        match self.nodes.get_mut(&dir) {
            Some(Node::Dir { entries, .. }) => entries,
            _ => unreachable!("parent() checked this is a directory"),
        }
    }

    fn file(&mut self, path: &Path) -> io::Result<&mut Vec<u8>> {
        let ino = self.lookup(path)?.ok_or_else(|| not_found(path))?;
        match self.nodes.get_mut(&ino) {
            Some(Node::File { data, .. }) => Ok(data),
            _ => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{}: is a directory", path.display()),
            )),
        }
    }

    fn attrs(&mut self, path: &Path) -> io::Result<&mut BTreeMap<String, Vec<u8>>> {
        let ino = self.lookup(path)?.ok_or_else(|| not_found(path))?;
        match self.nodes.get_mut(&ino) {
            Some(Node::File { attrs, .. }) => Ok(attrs),
            _ => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{}: is a directory", path.display()),
            )),
        }
    }

    fn add(&mut self, node: Node) -> Ino {
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(ino, node);
        ino
    }
}

impl MemVfs {
    /// An empty file system holding only the root directory `/`.
    pub fn new() -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node::Dir {
                entries: BTreeMap::new(),
                synced: BTreeMap::new(),
            },
        );
        Self {
            state: Mutex::new(State { nodes, next: 1 }),
            locks: Arc::default(),
            no_syncfs: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Behaves as a host without `syncfs` ([`Vfs::sync_all_files`] gives
    /// `Ok(false)`), so callers sync file by file.
    pub fn without_syncfs(self) -> Self {
        self.no_syncfs
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Simulates a power loss: everything not synced is lost (module
    /// docs), and every lock is released.
    pub fn crash(&self) {
        let mut st = lock(&self.state);
        for node in st.nodes.values_mut() {
            match node {
                Node::File {
                    data,
                    synced,
                    attrs,
                    synced_attrs,
                } => {
                    *data = synced.clone();
                    *attrs = synced_attrs.clone();
                }
                Node::Dir { entries, synced } => *entries = synced.clone(),
            }
        }
        lock(&self.locks.held).clear();
        self.locks.released.notify_all();
    }
}

struct MemLock {
    table: Arc<LockTable>,
    key: PathBuf,
    mode: LockMode,
}

impl Drop for MemLock {
    fn drop(&mut self) {
        let mut held = lock(&self.table.held);
        if let Some(e) = held.get_mut(&self.key) {
            match self.mode {
                LockMode::Shared => e.0 = e.0.saturating_sub(1),
                LockMode::Exclusive => e.1 = false,
            }
            if *e == (0, false) {
                held.remove(&self.key);
            }
        }
        self.table.released.notify_all();
    }
}

impl Vfs for MemVfs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut st = lock(&self.state);
        Ok(st.file(path)?.clone())
    }

    fn kind(&self, path: &Path) -> io::Result<Option<NodeKind>> {
        let st = lock(&self.state);
        Ok(st.lookup(path)?.map(|ino| match st.nodes.get(&ino) {
            Some(Node::Dir { .. }) => NodeKind::Dir,
            _ => NodeKind::File,
        }))
    }

    fn len(&self, path: &Path) -> io::Result<u64> {
        let mut st = lock(&self.state);
        Ok(st.file(path)?.len() as u64)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(String, NodeKind)>> {
        let st = lock(&self.state);
        let ino = st.lookup(dir)?.ok_or_else(|| not_found(dir))?;
        let Some(Node::Dir { entries, .. }) = st.nodes.get(&ino) else {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        };
        Ok(entries
            .iter()
            .map(|(name, ino)| {
                let kind = match st.nodes.get(ino) {
                    Some(Node::Dir { .. }) => NodeKind::Dir,
                    _ => NodeKind::File,
                };
                (name.clone(), kind)
            })
            .collect())
    }

    fn create(&self, path: &Path, data: &[u8], exclusive: bool) -> io::Result<()> {
        let mut st = lock(&self.state);
        let (dir, name) = st.parent(path)?;
        if let Some(&ino) = st.entries(dir).get(&name) {
            if exclusive {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: file exists", path.display()),
                ));
            }
            match st.nodes.get_mut(&ino) {
                Some(Node::File { data: d, .. }) => {
                    *d = data.to_vec();
                    return Ok(());
                }
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::IsADirectory,
                        "is a directory",
                    ));
                }
            }
        }
        let ino = st.add(Node::File {
            data: data.to_vec(),
            synced: Vec::new(),
            attrs: BTreeMap::new(),
            synced_attrs: BTreeMap::new(),
        });
        st.entries(dir).insert(name, ino);
        Ok(())
    }

    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut st = lock(&self.state);
        let file = st.file(path)?;
        let start = usize::try_from(offset).map_err(io::Error::other)?;
        let end = start + data.len();
        if file.len() < end {
            file.resize(end, 0);
        }
        file[start..end].copy_from_slice(data);
        Ok(())
    }

    fn set_len(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut st = lock(&self.state);
        let len = usize::try_from(len).map_err(io::Error::other)?;
        st.file(path)?.resize(len, 0);
        Ok(())
    }

    fn get_xattr(&self, path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
        let mut st = lock(&self.state);
        Ok(st.attrs(path)?.get(name).cloned())
    }

    fn set_xattr(&self, path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
        let mut st = lock(&self.state);
        st.attrs(path)?.insert(name.to_owned(), value.to_vec());
        Ok(())
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let ino = st.lookup(path)?.ok_or_else(|| not_found(path))?;
        if let Some(Node::File {
            data,
            synced,
            attrs,
            synced_attrs,
        }) = st.nodes.get_mut(&ino)
        {
            *synced = data.clone();
            *synced_attrs = attrs.clone();
        }
        Ok(())
    }

    fn sync_all_files(&self, _dir: &Path) -> io::Result<bool> {
        if self.no_syncfs.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(false);
        }
        // syncfs: every file's data and attributes (directory entries are
        // left to `sync_dir`, the weaker promise callers rely on).
        let mut st = lock(&self.state);
        for node in st.nodes.values_mut() {
            if let Node::File {
                data,
                synced,
                attrs,
                synced_attrs,
            } = node
            {
                *synced = data.clone();
                *synced_attrs = attrs.clone();
            }
        }
        Ok(true)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let ino = st.lookup(dir)?.ok_or_else(|| not_found(dir))?;
        match st.nodes.get_mut(&ino) {
            Some(Node::Dir { entries, synced }) => {
                *synced = entries.clone();
                Ok(())
            }
            _ => Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            )),
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let (fdir, fname) = st.parent(from)?;
        let (tdir, tname) = st.parent(to)?;
        let ino = *st
            .entries(fdir)
            .get(&fname)
            .ok_or_else(|| not_found(from))?;
        if let Some(&old) = st.entries(tdir).get(&tname)
            && matches!(st.nodes.get(&old), Some(Node::Dir { .. }))
        {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "target is a directory",
            ));
        }
        st.entries(fdir).remove(&fname);
        st.entries(tdir).insert(tname, ino);
        Ok(())
    }

    fn link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let ino = st.lookup(from)?.ok_or_else(|| not_found(from))?;
        if matches!(st.nodes.get(&ino), Some(Node::Dir { .. })) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let (tdir, tname) = st.parent(to)?;
        if st.entries(tdir).contains_key(&tname) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{}: file exists", to.display()),
            ));
        }
        st.entries(tdir).insert(tname, ino);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let (dir, name) = st.parent(path)?;
        let ino = *st.entries(dir).get(&name).ok_or_else(|| not_found(path))?;
        if matches!(st.nodes.get(&ino), Some(Node::Dir { .. })) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        st.entries(dir).remove(&name);
        Ok(())
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let (dir, name) = st.parent(path)?;
        if st.entries(dir).contains_key(&name) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{}: exists", path.display()),
            ));
        }
        let ino = st.add(Node::Dir {
            entries: BTreeMap::new(),
            synced: BTreeMap::new(),
        });
        st.entries(dir).insert(name, ino);
        Ok(())
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = lock(&self.state);
        let (dir, name) = st.parent(path)?;
        let ino = *st.entries(dir).get(&name).ok_or_else(|| not_found(path))?;
        match st.nodes.get(&ino) {
            Some(Node::Dir { entries, .. }) if entries.is_empty() => {}
            Some(Node::Dir { .. }) => {
                return Err(io::Error::new(
                    io::ErrorKind::DirectoryNotEmpty,
                    "directory not empty",
                ));
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
        }
        st.entries(dir).remove(&name);
        Ok(())
    }

    fn map(&self, path: &Path, len: u64) -> io::Result<Mapped> {
        let mut st = lock(&self.state);
        let data = st.file(path)?;
        let len = usize::try_from(len)
            .map_err(io::Error::other)?
            .min(data.len());
        Ok(Mapped::new(data[..len].to_vec()))
    }

    fn lock(
        &self,
        path: &Path,
        mode: LockMode,
        timeout: Duration,
    ) -> io::Result<Box<dyn Send + Sync>> {
        if self.kind(path)?.is_none() {
            match self.create(path, &[], true) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        let key = path.to_path_buf();
        let deadline = Instant::now() + timeout;
        let mut held = lock(&self.locks.held);
        loop {
            let e = held.entry(key.clone()).or_insert((0, false));
            let free = match mode {
                LockMode::Shared => !e.1,
                LockMode::Exclusive => !e.1 && e.0 == 0,
            };
            if free {
                match mode {
                    LockMode::Shared => e.0 += 1,
                    LockMode::Exclusive => e.1 = true,
                }
                return Ok(Box::new(MemLock {
                    table: Arc::clone(&self.locks),
                    key,
                    mode,
                }));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "lock held by another holder",
                ));
            }
            held = self
                .locks
                .released
                .wait_timeout(held, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}
