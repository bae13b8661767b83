//! `Files11`: the OpenVMS backend, an emulation of Files-11 (ODS-2) and RMS
//! sequential files over a host directory (see README.md beside the crate
//! for the host layout).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use popstore_formats::path::{Ods2Name, StorePath};
use popstore_formats::record::{BLOCK, FramingError, var_records};
use popstore_platform::support::{
    create_host_dir_all, frame, scan_var, unique_token, whole_records,
};
use popstore_platform::{
    DirPath, Entry, Error, ErrorKind, FileInfo, FileLock, LockMode, Mapped, NodeKind, Platform,
    RecordFormat, Result, Vfs,
};

use crate::fat::{RecordAttributes, XATTR};
use crate::spec::{FileSpec, MAX_VERSION, host_dir, host_file, parse_host_dir, parse_host_file};

/// The OpenVMS backend over a [`Vfs`] (module docs).
#[derive(Debug, Clone)]
pub struct Files11 {
    vfs: Arc<dyn Vfs>,
    roots: Vec<PathBuf>,
    devices: Vec<String>,
}

/// The versions of one file, lowest first: (version, host path).
type Versions = Vec<(u16, PathBuf)>;

fn framing(op: &'static str, path: String, e: &FramingError) -> Error {
    let kind = match e {
        FramingError::TooLongToWrite(_) => ErrorKind::BadData,
        _ => ErrorKind::Corrupt,
    };
    Error::new(op, path, kind, e.to_string())
}

/// The longest whole VAR record in `bytes` (0 when none frame).
fn longest_record(bytes: &[u8]) -> u16 {
    var_records(bytes)
        .map_while(|r| r.ok())
        .map(|r| r.data.len() as u16)
        .max()
        .unwrap_or(0)
}

impl Files11 {
    /// The backend over `vfs` with the store roots (devices `ROOT0`,
    /// `ROOT1`, ...) at the host directories `roots`.
    pub fn new(vfs: Arc<dyn Vfs>, roots: Vec<PathBuf>) -> Self {
        let devices = (0..roots.len()).map(|i| format!("ROOT{i}")).collect();
        Self {
            vfs,
            roots,
            devices,
        }
    }

    /// Names the devices (logical names) of the roots, for display; names
    /// that are not valid device names keep the default `ROOTn`.
    pub fn with_devices(mut self, devices: &[&str]) -> Self {
        for (slot, d) in self.devices.iter_mut().zip(devices) {
            let ok = !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '$' || c == '_');
            if ok {
                *slot = d.to_ascii_uppercase();
            }
        }
        self
    }

    fn device(&self, root: u8) -> String {
        self.devices
            .get(usize::from(root))
            .cloned()
            .unwrap_or_else(|| format!("ROOT{root}"))
    }

    /// The file specification of `path` (with `version`, if given).
    pub fn spec(&self, path: &StorePath, version: Option<i32>) -> FileSpec {
        FileSpec {
            device: self.device(path.root),
            dirs: path.dirs.clone(),
            name: path.name.clone(),
            ftype: path.ftype.clone(),
            version,
        }
    }

    fn shown(&self, path: &StorePath) -> String {
        self.spec(path, None).to_string()
    }

    fn io<T>(op: &'static str, shown: &str, r: io::Result<T>) -> Result<T> {
        r.map_err(|e| Error::io(op, shown, e))
    }

    fn root_dir(&self, root: u8, shown: &str) -> Result<&PathBuf> {
        self.roots.get(usize::from(root)).ok_or_else(|| {
            Error::new(
                "map",
                shown,
                ErrorKind::BadRoot,
                format!("store root {root} is not configured"),
            )
        })
    }

    /// The host directory of subdirectory `name` of `parent`, found
    /// case-insensitively, or `None`.
    fn child_dir(&self, parent: &Path, name: &Ods2Name, shown: &str) -> Result<Option<PathBuf>> {
        let exact = parent.join(host_dir(name));
        if Self::io("lookup", shown, self.vfs.kind(&exact))? == Some(NodeKind::Dir) {
            return Ok(Some(exact));
        }
        let entries = match self.vfs.list(parent) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("lookup", shown, e)),
        };
        Ok(entries
            .into_iter()
            .filter(|(_, k)| *k == NodeKind::Dir)
            .find(|(n, _)| parse_host_dir(n).as_ref() == Some(name))
            .map(|(n, _)| parent.join(n)))
    }

    /// The host directory of `dir`, or `None` when a level is missing.
    fn find_dir(&self, dir: &DirPath, shown: &str) -> Result<Option<PathBuf>> {
        let mut cur = self.root_dir(dir.root, shown)?.clone();
        for d in &dir.dirs {
            match self.child_dir(&cur, d, shown)? {
                Some(p) => cur = p,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }

    fn need_dir(&self, op: &'static str, dir: &DirPath, shown: &str) -> Result<PathBuf> {
        self.find_dir(dir, shown)?
            .ok_or_else(|| Error::new(op, shown, ErrorKind::NotFound, "directory not found"))
    }

    /// The versions of `name.ftype` in the host directory `dir`.
    fn versions_in(&self, dir: &Path, path: &StorePath, shown: &str) -> Result<Versions> {
        let mut out: Versions = Self::io("lookup", shown, self.vfs.list(dir))?
            .into_iter()
            .filter(|(_, k)| *k == NodeKind::File)
            .filter_map(|(n, _)| {
                let (name, ftype, v) = parse_host_file(&n)?;
                (name == path.name && ftype == path.ftype).then(|| (v, dir.join(n)))
            })
            .collect();
        out.sort();
        out.dedup_by_key(|(v, _)| *v);
        Ok(out)
    }

    /// The host directory and versions of `path`; the directory must exist.
    fn lookup(&self, op: &'static str, path: &StorePath) -> Result<(PathBuf, Versions)> {
        let shown = self.shown(path);
        let dir = self.need_dir(op, &DirPath::of(path), &shown)?;
        let versions = self.versions_in(&dir, path, &shown)?;
        Ok((dir, versions))
    }

    /// The highest version's host path and attributes; `NotFound` if none.
    fn current(&self, op: &'static str, path: &StorePath) -> Result<(PathBuf, RecordAttributes)> {
        let shown = self.shown(path);
        let (_, versions) = self.lookup(op, path)?;
        let (v, file) = versions
            .last()
            .cloned()
            .ok_or_else(|| Error::new(op, &shown, ErrorKind::NotFound, "no such file"))?;
        let shown = self.spec(path, Some(i32::from(v))).to_string();
        let attrs = self.header(op, &file, &shown)?;
        Ok((file, attrs))
    }

    fn header(&self, op: &'static str, file: &Path, shown: &str) -> Result<RecordAttributes> {
        let raw = Self::io(op, shown, self.vfs.get_xattr(file, XATTR))?.ok_or_else(|| {
            Error::new(
                op,
                shown,
                ErrorKind::Corrupt,
                "file has no record attributes",
            )
        })?;
        RecordAttributes::decode(&raw).map_err(|e| Error::new(op, shown, ErrorKind::Corrupt, e.0))
    }

    /// The data of a version up to its end of file.
    fn data_of(
        &self,
        op: &'static str,
        file: &Path,
        attrs: &RecordAttributes,
        shown: &str,
    ) -> Result<Vec<u8>> {
        let mut data = Self::io(op, shown, self.vfs.read(file))?;
        let eof = usize::try_from(attrs.len).unwrap_or(usize::MAX);
        if data.len() < eof {
            return Err(Error::new(
                op,
                shown,
                ErrorKind::Corrupt,
                format!("{} bytes, end of file at {eof}", data.len()),
            ));
        }
        data.truncate(eof);
        Ok(data)
    }

    /// Writes `data` as a new version of `path` (version 1 when `exclusive`
    /// or none exists; else highest + 1) and returns its number. The data
    /// and its attributes are written to a temporary file and synced, then
    /// entered under the version's name with link(2), which refuses an
    /// existing name, then the directory is synced.
    fn new_version(
        &self,
        op: &'static str,
        path: &StorePath,
        format: RecordFormat,
        data: &[u8],
        exclusive: bool,
    ) -> Result<(PathBuf, u16, Versions)> {
        let shown = self.shown(path);
        if format == RecordFormat::Fix512 && !data.len().is_multiple_of(BLOCK) {
            return Err(Error::new(
                op,
                &shown,
                ErrorKind::BadData,
                format!("FIX 512 data of {} bytes is not whole blocks", data.len()),
            ));
        }
        let (dir, mut versions) = self.lookup(op, path)?;
        if exclusive && !versions.is_empty() {
            return Err(Error::new(
                op,
                &shown,
                ErrorKind::AlreadyExists,
                "file exists",
            ));
        }
        let longest = if format == RecordFormat::Var {
            longest_record(data)
        } else {
            0
        };
        let fat = RecordAttributes::new(format, data.len() as u64, longest)
            .encode()
            .map_err(|e| Error::new(op, &shown, ErrorKind::BadData, e.0))?;
        let tmp = dir.join(format!(
            ".{}.{}.{}.tmp",
            path.name,
            path.ftype,
            unique_token()
        ));
        let written = self
            .vfs
            .create(&tmp, data, true)
            .and_then(|()| self.vfs.set_xattr(&tmp, XATTR, &fat))
            .and_then(|()| self.vfs.sync(&tmp));
        if let Err(e) = written {
            let _ = self.vfs.remove_file(&tmp);
            return Err(Error::io(op, &shown, e));
        }
        let result = self.enter(op, path, &dir, &tmp, &mut versions, exclusive);
        let _ = self.vfs.remove_file(&tmp);
        let v = result?;
        Self::io(op, &shown, self.vfs.sync_dir(&dir))?;
        Ok((dir, v, versions))
    }

    /// Links the temporary file in as the next version, retrying when a
    /// concurrent writer took that number.
    fn enter(
        &self,
        op: &'static str,
        path: &StorePath,
        dir: &Path,
        tmp: &Path,
        versions: &mut Versions,
        exclusive: bool,
    ) -> Result<u16> {
        let shown = self.shown(path);
        for _ in 0..16 {
            if versions.last().is_some_and(|(v, _)| *v == MAX_VERSION) {
                self.renumber(op, dir, path, versions)?;
            }
            let v = if exclusive {
                1
            } else {
                versions.last().map_or(1, |(v, _)| v + 1)
            };
            let target = dir.join(host_file(&path.name, &path.ftype, v));
            match self.vfs.link(tmp, &target) {
                Ok(()) => return Ok(v),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && !exclusive => {
                    *versions = self.versions_in(dir, path, &shown)?;
                }
                Err(e) => return Err(Error::io(op, &shown, e)),
            }
        }
        Err(Error::new(
            op,
            &shown,
            ErrorKind::Io,
            "too many concurrent new versions",
        ))
    }

    /// At the version limit (32767): purges the lower versions and renames
    /// the highest to version 1, so replacing can go on.
    fn renumber(
        &self,
        op: &'static str,
        dir: &Path,
        path: &StorePath,
        versions: &mut Versions,
    ) -> Result<()> {
        let shown = self.shown(path);
        self.purge_below(op, dir, versions, MAX_VERSION, &shown)?;
        let from = dir.join(host_file(&path.name, &path.ftype, MAX_VERSION));
        let to = dir.join(host_file(&path.name, &path.ftype, 1));
        Self::io(op, &shown, self.vfs.rename(&from, &to))?;
        Self::io(op, &shown, self.vfs.sync_dir(dir))?;
        *versions = vec![(1, to)];
        Ok(())
    }

    /// Removes the versions below `keep`, lowest first, and syncs the
    /// directory.
    fn purge_below(
        &self,
        op: &'static str,
        dir: &Path,
        versions: &Versions,
        keep: u16,
        shown: &str,
    ) -> Result<()> {
        let mut removed = false;
        for (v, file) in versions {
            if *v < keep {
                match self.vfs.remove_file(file) {
                    Ok(()) => removed = true,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(op, shown, e)),
                }
            }
        }
        if removed {
            Self::io(op, shown, self.vfs.sync_dir(dir))?;
        }
        Ok(())
    }

    /// The version numbers of `path` present on the host, lowest first.
    pub fn versions(&self, path: &StorePath) -> Result<Vec<u16>> {
        Ok(self
            .lookup("versions", path)?
            .1
            .into_iter()
            .map(|(v, _)| v)
            .collect())
    }

    /// The data of the file a specification names (`;0` or no version: the
    /// highest; `;-1`: the one before; `;n`: version n).
    pub fn read_spec(&self, spec: &str) -> Result<Vec<u8>> {
        let s =
            FileSpec::parse(spec).map_err(|e| Error::new("read", spec, ErrorKind::BadData, e.0))?;
        let root = self
            .devices
            .iter()
            .position(|d| *d == s.device)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| Error::new("read", spec, ErrorKind::BadRoot, "unknown device"))?;
        let path = StorePath {
            root,
            dirs: s.dirs,
            name: s.name,
            ftype: s.ftype,
        };
        let (_, versions) = self.lookup("read", &path)?;
        let found = match s.version.unwrap_or(0) {
            n if n > 0 => versions.iter().find(|(v, _)| i32::from(*v) == n),
            n => versions
                .len()
                .checked_sub(1 + n.unsigned_abs() as usize)
                .and_then(|i| versions.get(i)),
        };
        let (_, file) = found
            .ok_or_else(|| Error::new("read", spec, ErrorKind::NotFound, "no such version"))?;
        let attrs = self.header("read", file, spec)?;
        self.data_of("read", file, &attrs, spec)
    }

    /// The host file holding the highest version of `path`.
    pub fn host_path(&self, path: &StorePath) -> Result<PathBuf> {
        let shown = self.shown(path);
        self.lookup("map", path)?
            .1
            .pop()
            .map(|(_, p)| p)
            .ok_or_else(|| Error::new("map", shown, ErrorKind::NotFound, "no such file"))
    }
}

impl Platform for Files11 {
    fn host(&self) -> &'static str {
        "openvms"
    }

    fn roots(&self) -> u8 {
        u8::try_from(self.roots.len()).unwrap_or(u8::MAX)
    }

    fn display(&self, path: &StorePath) -> String {
        self.shown(path)
    }

    fn display_dir(&self, dir: &DirPath) -> String {
        let mut s = format!("{}:[", self.device(dir.root));
        if dir.dirs.is_empty() {
            s.push_str("000000");
        }
        let names: Vec<&str> = dir.dirs.iter().map(Ods2Name::as_str).collect();
        s.push_str(&names.join("."));
        s.push(']');
        s
    }

    fn create_dir_all(&self, dir: &DirPath) -> Result<()> {
        let shown = self.display_dir(dir);
        let mut cur = self.root_dir(dir.root, &shown)?.clone();
        Self::io("create_dir", &shown, create_host_dir_all(&*self.vfs, &cur))?;
        for d in &dir.dirs {
            if let Some(next) = self.child_dir(&cur, d, &shown)? {
                cur = next;
                continue;
            }
            let next = cur.join(host_dir(d));
            match self.vfs.create_dir(&next) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(Error::io("create_dir", &shown, e));
                }
                _ => {}
            }
            Self::io("create_dir", &shown, self.vfs.sync_dir(&cur))?;
            cur = next;
        }
        Ok(())
    }

    fn create_new(&self, path: &StorePath, format: RecordFormat, data: &[u8]) -> Result<()> {
        self.new_version("create", path, format, data, true)
            .map(|_| ())
    }

    fn replace(&self, path: &StorePath, format: RecordFormat, data: &[u8]) -> Result<()> {
        let (dir, v, versions) = self.new_version("replace", path, format, data, false)?;
        let shown = self.spec(path, Some(i32::from(v))).to_string();
        self.purge_below("replace", &dir, &versions, v, &shown)
    }

    fn append_records(&self, path: &StorePath, records: &[&[u8]]) -> Result<()> {
        let shown = self.shown(path);
        let bytes = frame(records).map_err(|e| framing("append", shown.clone(), &e))?;
        if self.lookup("append", path)?.1.is_empty() {
            match self.create_new(path, RecordFormat::Var, &bytes) {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                other => return other,
            }
        }
        let (file, attrs) = self.current("append", path)?;
        if attrs.format != RecordFormat::Var {
            return Err(Error::new(
                "append",
                &shown,
                ErrorKind::WrongFormat,
                format!("record format {:?}, not VAR", attrs.format),
            ));
        }
        let raw = Self::io("append", &shown, self.vfs.read(&file))?;
        let data = self.data_of("append", &file, &attrs, &shown)?;
        let scan = scan_var(&data).map_err(|e| framing("append", shown.clone(), &e))?;
        let end = scan.valid_end + bytes.len();
        Self::io(
            "append",
            &shown,
            self.vfs.write_at(&file, scan.valid_end as u64, &bytes),
        )?;
        if raw.len() > end {
            Self::io("append", &shown, self.vfs.set_len(&file, end as u64))?;
        }
        Self::io("append", &shown, self.vfs.sync(&file))?;
        // The end of file moves only now: a crash before this leaves the
        // new records past the end of file, that is, absent.
        let longest = attrs.record_size.max(longest_record(&bytes));
        let fat = RecordAttributes::new(RecordFormat::Var, end as u64, longest)
            .encode()
            .map_err(|e| Error::new("append", &shown, ErrorKind::BadData, e.0))?;
        Self::io("append", &shown, self.vfs.set_xattr(&file, XATTR, &fat))?;
        Self::io("append", &shown, self.vfs.sync(&file))
    }

    fn read(&self, path: &StorePath) -> Result<Vec<u8>> {
        let (file, attrs) = self.current("read", path)?;
        self.data_of("read", &file, &attrs, &self.shown(path))
    }

    fn read_records(&self, path: &StorePath) -> Result<Vec<Vec<u8>>> {
        let shown = self.shown(path);
        let (file, attrs) = self.current("read", path)?;
        if attrs.format != RecordFormat::Var {
            return Err(Error::new(
                "read",
                &shown,
                ErrorKind::WrongFormat,
                format!("record format {:?}, not VAR", attrs.format),
            ));
        }
        let data = self.data_of("read", &file, &attrs, &shown)?;
        whole_records(&data).map_err(|e| framing("read", shown, &e))
    }

    fn map(&self, path: &StorePath) -> Result<Mapped> {
        let shown = self.shown(path);
        let (file, attrs) = self.current("map", path)?;
        let len = Self::io("map", &shown, self.vfs.len(&file))?;
        if len < attrs.len {
            return Err(Error::new(
                "map",
                &shown,
                ErrorKind::Corrupt,
                format!("{len} bytes, end of file at {}", attrs.len),
            ));
        }
        Self::io("map", &shown, self.vfs.map(&file, attrs.len))
    }

    fn stat(&self, path: &StorePath) -> Result<Option<FileInfo>> {
        let shown = self.shown(path);
        let Some(dir) = self.find_dir(&DirPath::of(path), &shown)? else {
            return Ok(None);
        };
        let Some((v, file)) = self.versions_in(&dir, path, &shown)?.pop() else {
            return Ok(None);
        };
        let attrs = self.header("stat", &file, &shown)?;
        Ok(Some(FileInfo {
            len: attrs.len,
            format: Some(attrs.format),
            version: Some(v),
        }))
    }

    fn list(&self, dir: &DirPath) -> Result<Vec<Entry>> {
        let shown = self.display_dir(dir);
        let host = self.need_dir("list", dir, &shown)?;
        let set: BTreeSet<Entry> = Self::io("list", &shown, self.vfs.list(&host))?
            .into_iter()
            .filter_map(|(n, kind)| match kind {
                NodeKind::Dir => parse_host_dir(&n).map(Entry::Dir),
                NodeKind::File => {
                    parse_host_file(&n).map(|(name, ftype, _)| Entry::File { name, ftype })
                }
            })
            .collect();
        Ok(set.into_iter().collect())
    }

    fn strays(&self, dir: &DirPath) -> Result<Vec<String>> {
        let shown = self.display_dir(dir);
        let host = self.need_dir("list", dir, &shown)?;
        let mut out: Vec<String> = Self::io("list", &shown, self.vfs.list(&host))?
            .into_iter()
            .filter(|(n, kind)| match kind {
                NodeKind::Dir => parse_host_dir(n).is_none(),
                NodeKind::File => parse_host_file(n).is_none(),
            })
            .map(|(n, _)| n)
            .collect();
        out.sort();
        Ok(out)
    }

    fn remove_temporaries(&self, dir: &DirPath, older_than: Duration) -> Result<Vec<String>> {
        let shown = self.display_dir(dir);
        let host = self.need_dir("remove_temporaries", dir, &shown)?;
        Self::io(
            "remove_temporaries",
            &shown,
            popstore_platform::support::remove_old_temporaries(&*self.vfs, &host, older_than),
        )
    }

    fn remove(&self, path: &StorePath) -> Result<()> {
        let shown = self.shown(path);
        let (dir, versions) = self.lookup("remove", path)?;
        if versions.is_empty() {
            return Err(Error::new(
                "remove",
                &shown,
                ErrorKind::NotFound,
                "no such file",
            ));
        }
        self.purge_below("remove", &dir, &versions, u16::MAX, &shown)
    }

    fn remove_dir(&self, dir: &DirPath) -> Result<()> {
        let shown = self.display_dir(dir);
        if dir.dirs.is_empty() {
            return Err(Error::new(
                "remove_dir",
                &shown,
                ErrorKind::Io,
                "a store root is not removed",
            ));
        }
        let host = self.need_dir("remove_dir", dir, &shown)?;
        Self::io("remove_dir", &shown, self.vfs.remove_dir(&host))?;
        let parent = host.parent().unwrap_or(Path::new("/"));
        Self::io("remove_dir", &shown, self.vfs.sync_dir(parent))
    }

    fn rename(&self, from: &StorePath, to: &StorePath) -> Result<()> {
        let shown = self.shown(from);
        if from.root != to.root {
            return Err(Error::new(
                "rename",
                &shown,
                ErrorKind::Io,
                format!("cannot rename across devices (to {})", self.shown(to)),
            ));
        }
        let (from_dir, from_versions) = self.lookup("rename", from)?;
        let Some((_, src)) = from_versions.last().cloned() else {
            return Err(Error::new(
                "rename",
                &shown,
                ErrorKind::NotFound,
                "no such file",
            ));
        };
        let (to_dir, mut to_versions) = self.lookup("rename", to)?;
        if to_versions.last().is_some_and(|(v, _)| *v == MAX_VERSION) {
            self.renumber("rename", &to_dir, to, &mut to_versions)?;
        }
        let v = to_versions.last().map_or(1, |(v, _)| v + 1);
        let dst = to_dir.join(host_file(&to.name, &to.ftype, v));
        Self::io("rename", &shown, self.vfs.rename(&src, &dst))?;
        Self::io("rename", &shown, self.vfs.sync_dir(&to_dir))?;
        if from_dir != to_dir {
            Self::io("rename", &shown, self.vfs.sync_dir(&from_dir))?;
        }
        let leftovers: Versions = from_versions
            .into_iter()
            .filter(|(_, p)| *p != src)
            .collect();
        self.purge_below("rename", &from_dir, &leftovers, u16::MAX, &shown)?;
        self.purge_below("rename", &to_dir, &to_versions, v, &shown)
    }

    fn lock(&self, path: &StorePath, mode: LockMode, timeout: Duration) -> Result<FileLock> {
        let shown = self.shown(path);
        if self.lookup("lock", path)?.1.is_empty() {
            match self.create_new(path, RecordFormat::Udf, b"") {
                Err(e) if e.kind() != ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        let file = self.host_path(path)?;
        let held = Self::io("lock", &shown, self.vfs.lock(&file, mode, timeout))?;
        Ok(FileLock::new(held, mode))
    }
}
