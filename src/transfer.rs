//! Copying a store between host layouts (`popstore transfer`): every
//! directory and file of the source, by logical name, into an empty
//! destination, the data bytes unchanged, then a check that the
//! destination holds exactly the same names and bytes.
//!
//! The record format of each file at the destination (kept by the OpenVMS
//! layout in the file's attributes) is the source's when it has one, else
//! it follows from the file's magic (SPEC.md): message files FIX 512, the
//! structured files VAR, anything else UDF. Run it on a quiescent store
//! (servers stopped): it takes no locks.

use std::collections::BTreeMap;

use popstore_formats::FileKind;
use popstore_formats::path::StorePath;
use popstore_formats::record::BLOCK;
use popstore_platform::{DirPath, Entry, ErrorKind, Platform, RecordFormat};

/// What a transfer copied.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransferReport {
    /// Directories created (store roots not counted).
    pub dirs: u64,
    /// Files copied.
    pub files: u64,
    /// Data bytes copied.
    pub bytes: u64,
    /// Files per record format given at the destination (`VAR`, `FIX512`,
    /// `UDF`).
    pub formats: BTreeMap<String, u64>,
}

/// Why a transfer stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The destination already holds something.
    #[error("destination {0} is not empty")]
    NotEmpty(String),
    /// The two sides have different numbers of store roots.
    #[error("the source has {src} store roots, the destination {dst}")]
    Roots {
        /// Source roots.
        src: u8,
        /// Destination roots.
        dst: u8,
    },
    /// A file operation failed.
    #[error(transparent)]
    Platform(#[from] popstore_platform::Error),
    /// The copy does not match the source.
    #[error("verification failed: {0}")]
    Mismatch(String),
}

/// The record format a file gets at the destination.
pub fn record_format(known: Option<RecordFormat>, data: &[u8]) -> RecordFormat {
    if let Some(f) = known {
        return f;
    }
    match FileKind::detect(data) {
        Some(FileKind::MESSAGE) if data.len().is_multiple_of(BLOCK) => RecordFormat::Fix512,
        Some(FileKind::MESSAGE) | None => RecordFormat::Udf,
        Some(_) => RecordFormat::Var,
    }
}

/// Every directory and file under `dir`, depth first, sorted.
fn walk(
    p: &dyn Platform,
    dir: &DirPath,
    dirs: &mut Vec<DirPath>,
    files: &mut Vec<StorePath>,
) -> Result<(), TransferError> {
    for e in p.list(dir)? {
        match e {
            Entry::Dir(n) => {
                let sub = dir.child(n);
                dirs.push(sub.clone());
                walk(p, &sub, dirs, files)?;
            }
            Entry::File { name, ftype } => files.push(dir.file(name, ftype)),
        }
    }
    Ok(())
}

/// The whole tree of every root of `p`: (directories, files).
fn tree(p: &dyn Platform) -> Result<(Vec<DirPath>, Vec<StorePath>), TransferError> {
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    for root in 0..p.roots() {
        match walk(p, &DirPath::root(root), &mut dirs, &mut files) {
            Err(TransferError::Platform(e)) if e.kind() == ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok((dirs, files))
}

fn format_name(f: RecordFormat) -> &'static str {
    match f {
        RecordFormat::Var => "VAR",
        RecordFormat::Fix512 => "FIX512",
        RecordFormat::Udf => "UDF",
    }
}

/// Copies the store on `src` to the empty store location `dst`, then
/// verifies it. `progress` is told each file before it is copied.
pub fn transfer(
    src: &dyn Platform,
    dst: &dyn Platform,
    progress: &dyn Fn(&StorePath),
) -> Result<TransferReport, TransferError> {
    if src.roots() != dst.roots() {
        return Err(TransferError::Roots {
            src: src.roots(),
            dst: dst.roots(),
        });
    }
    for root in 0..dst.roots() {
        let top = DirPath::root(root);
        match dst.list(&top) {
            Ok(entries) if entries.is_empty() && dst.strays(&top)?.is_empty() => {}
            Ok(_) => return Err(TransferError::NotEmpty(dst.display_dir(&top))),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (dirs, files) = tree(src)?;
    let mut report = TransferReport::default();
    for root in 0..dst.roots() {
        dst.create_dir_all(&DirPath::root(root))?;
    }
    for d in &dirs {
        dst.create_dir_all(d)?;
        report.dirs += 1;
    }
    for f in &files {
        progress(f);
        let data = src.read(f)?;
        let known = src.stat(f)?.and_then(|i| i.format);
        let format = record_format(known, &data);
        dst.create_new(f, format, &data)?;
        report.files += 1;
        report.bytes += data.len() as u64;
        *report
            .formats
            .entry(format_name(format).to_owned())
            .or_default() += 1;
    }
    check(src, dst, &dirs, &files)?;
    Ok(report)
}

/// The destination holds the same directories and files, byte for byte.
fn check(
    src: &dyn Platform,
    dst: &dyn Platform,
    dirs: &[DirPath],
    files: &[StorePath],
) -> Result<(), TransferError> {
    let (dst_dirs, dst_files) = tree(dst)?;
    if dst_dirs != dirs {
        return Err(TransferError::Mismatch(
            "the directories differ from the source's".to_owned(),
        ));
    }
    if dst_files != files {
        return Err(TransferError::Mismatch(
            "the file names differ from the source's".to_owned(),
        ));
    }
    for f in files {
        if src.read(f)? != dst.read(f)? {
            return Err(TransferError::Mismatch(format!(
                "{} differs from {}",
                dst.display(f),
                src.display(f)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use popstore_platform::PosixTree;
    use popstore_platform::testkit::{dp, sp};

    #[test]
    fn copies_verifies_and_refuses_a_used_destination() {
        let src = PosixTree::memory(2);
        src.create_dir_all(&dp(&["USERS", "1C"])).unwrap();
        src.append_records(&sp(&["USERS", "1C"], "A", "PRF"), &[b"x"])
            .unwrap();
        src.create_new(&sp(&[], "NOTE", "TXT"), RecordFormat::Udf, b"odd")
            .unwrap();
        let mut on_root1 = sp(&["MESSAGES"], "M1", "MSG");
        on_root1.root = 1;
        src.create_dir_all(&DirPath::of(&on_root1)).unwrap();
        src.create_new(&on_root1, RecordFormat::Fix512, &[0; 512])
            .unwrap();
        let dst = PosixTree::memory(2);
        let r = transfer(&src, &dst, &|_| {}).unwrap();
        assert_eq!((r.dirs, r.files, r.bytes), (3, 3, 4 + 3 + 512));
        assert_eq!(dst.read(&on_root1).unwrap(), vec![0; 512]);
        let again = transfer(&src, &dst, &|_| {}).unwrap_err();
        assert!(matches!(again, TransferError::NotEmpty(_)), "{again}");
        let one = PosixTree::memory(1);
        assert!(matches!(
            transfer(&src, &one, &|_| {}),
            Err(TransferError::Roots { src: 2, dst: 1 })
        ));
    }

    #[test]
    fn picks_record_formats_by_magic() {
        assert_eq!(record_format(None, b"plain"), RecordFormat::Udf);
        assert_eq!(
            record_format(Some(RecordFormat::Var), b"plain"),
            RecordFormat::Var
        );
        let mut msg = FileKind::MESSAGE.magic().to_vec();
        msg.resize(1024, 0);
        assert_eq!(record_format(None, &msg), RecordFormat::Fix512);
    }
}
