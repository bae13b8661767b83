//! The platform contract as tests, one body per behaviour, run over every
//! backend: backends instantiate them with [`contract_tests!`] and
//! [`crash_tests!`](crate::crash_tests!) (one `#[test]` per body).
//!
//! Panics are the failure signal here (these are test bodies).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::any::Any;
use std::path::PathBuf;
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

use popstore_formats::path::{Ods2Name, StorePath};
use popstore_formats::record::BLOCK;

use crate::error::ErrorKind;
use crate::fault::{FaultMode, FaultVfs, OpClass};
use crate::platform::Platform;
use crate::types::{DirPath, Entry, LockMode, RecordFormat};
use crate::vfs::Vfs;

/// A name for tests.
pub fn n(s: &str) -> Ods2Name {
    Ods2Name::new(s).expect("valid ODS-2 name in a test")
}

/// `ROOT0:[dirs]name.ftype`.
pub fn sp(dirs: &[&str], name: &str, ftype: &str) -> StorePath {
    StorePath {
        root: 0,
        dirs: dirs.iter().map(|d| n(d)).collect(),
        name: n(name),
        ftype: n(ftype),
    }
}

/// `ROOT0:[dirs]`.
pub fn dp(dirs: &[&str]) -> DirPath {
    DirPath {
        root: 0,
        dirs: dirs.iter().map(|d| n(d)).collect(),
    }
}

fn blocks(n: usize, seed: u8) -> Vec<u8> {
    (0..n * BLOCK)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// `create_new` writes the bytes, and refuses an existing file.
pub fn create_new_is_exclusive(p: &dyn Platform) {
    p.create_dir_all(&dp(&["USERS", "3F"])).unwrap();
    let f = sp(&["USERS", "3F"], "JOHN", "PRF");
    p.create_new(&f, RecordFormat::Var, b"\x01\x00a\x00")
        .unwrap();
    let e = p.create_new(&f, RecordFormat::Var, b"other").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(p.read(&f).unwrap(), b"\x01\x00a\x00");
}

/// Of many threads creating one file at once, exactly one succeeds.
pub fn racing_creators_one_wins(p: &dyn Platform) {
    p.create_dir_all(&dp(&["RACE"])).unwrap();
    let f = sp(&["RACE"], "ONE", "DAT");
    let barrier = Barrier::new(6);
    let wins: Vec<bool> = thread::scope(|s| {
        let handles: Vec<_> = (0..6u8)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    match p.create_new(f, RecordFormat::Udf, &[i; 100]) {
                        Ok(()) => true,
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => false,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(wins.iter().filter(|w| **w).count(), 1);
    let winner = wins.iter().position(|w| *w).unwrap() as u8;
    assert_eq!(p.read(&f).unwrap(), vec![winner; 100]);
}

/// `replace` creates a missing file and replaces an existing one, and the
/// bytes read back are exactly those written (odd sizes, empty, blocks).
pub fn replace_keeps_exact_bytes(p: &dyn Platform) {
    p.create_dir_all(&dp(&["A"])).unwrap();
    let f = sp(&["A"], "F", "DAT");
    for data in [
        b"odd".to_vec(),
        Vec::new(),
        (0..=255u8).cycle().take(70_001).collect(),
    ] {
        p.replace(&f, RecordFormat::Udf, &data).unwrap();
        assert_eq!(p.read(&f).unwrap(), data);
        assert_eq!(p.stat(&f).unwrap().unwrap().len, data.len() as u64);
        assert_eq!(p.read_head(&f, 22).unwrap(), data[..data.len().min(22)]);
    }
    let gone = p.read_head(&sp(&["A"], "NONE", "DAT"), 22).unwrap_err();
    assert_eq!(gone.kind(), crate::ErrorKind::NotFound);
    let m = sp(&["A"], "M", "MSG");
    let body = blocks(3, 7);
    p.replace(&m, RecordFormat::Fix512, &body).unwrap();
    assert_eq!(&*p.map(&m).unwrap(), &body[..]);
    assert_eq!(p.list(&dp(&["A"])).unwrap().len(), 2, "no leftovers listed");
    assert_eq!(p.strays(&dp(&["A"])).unwrap(), Vec::<String>::new());
}

/// Appended records read back in order; the file bytes are the VAR framing.
pub fn append_and_read_records(p: &dyn Platform) {
    p.create_dir_all(&dp(&["L"])).unwrap();
    let f = sp(&["L"], "LIST", "IDX");
    p.append_records(&f, &[b"abc", b""]).unwrap();
    p.append_records(&f, &[b"de"]).unwrap();
    p.append_records(&f, &[]).unwrap();
    assert_eq!(
        p.read_records(&f).unwrap(),
        vec![b"abc".to_vec(), Vec::new(), b"de".to_vec()]
    );
    assert_eq!(p.read(&f).unwrap(), b"\x03\x00abc\x00\x00\x00\x02\x00de");
    let e = p.append_records(&f, &[&[0; 32768]]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadData, "{e}");
    assert_eq!(p.read_records(&f).unwrap().len(), 3);
}

/// A torn tail is ignored by readers and cut off by the next append.
pub fn torn_tail_is_dropped(p: &dyn Platform) {
    p.create_dir_all(&dp(&["L"])).unwrap();
    let f = sp(&["L"], "TORN", "IDX");
    p.replace(&f, RecordFormat::Var, b"\x01\x00x\x00\x08\x00abc")
        .unwrap();
    assert_eq!(p.read_records(&f).unwrap(), vec![b"x".to_vec()]);
    p.append_records(&f, &[b"yz"]).unwrap();
    assert_eq!(p.read(&f).unwrap(), b"\x01\x00x\x00\x02\x00yz");
    p.replace(&f, RecordFormat::Var, b"\x00\x90").unwrap();
    let e = p.read_records(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
}

/// A mapped file keeps its bytes after the file is replaced or removed.
pub fn map_is_stable(p: &dyn Platform) {
    p.create_dir_all(&dp(&["M"])).unwrap();
    let f = sp(&["M"], "BODY", "MSG");
    let old = blocks(2, 1);
    p.create_new(&f, RecordFormat::Fix512, &old).unwrap();
    let view = p.map(&f).unwrap();
    p.replace(&f, RecordFormat::Fix512, &blocks(1, 2)).unwrap();
    assert_eq!(&*view, &old[..]);
    p.remove(&f).unwrap();
    assert_eq!(&*view, &old[..]);
    p.create_new(&f, RecordFormat::Udf, b"").unwrap();
    assert!(p.map(&f).unwrap().is_empty());
}

/// `list` shows subdirectories and files by logical name, sorted.
pub fn list_shows_logical_names(p: &dyn Platform) {
    p.create_dir_all(&dp(&["D", "SUB"])).unwrap();
    p.create_new(&sp(&["D"], "B", "DAT"), RecordFormat::Udf, b"b")
        .unwrap();
    p.replace(&sp(&["D"], "A", "DAT"), RecordFormat::Udf, b"a")
        .unwrap();
    p.replace(&sp(&["D"], "A", "DAT"), RecordFormat::Udf, b"a2")
        .unwrap();
    assert_eq!(
        p.list(&dp(&["D"])).unwrap(),
        vec![
            Entry::Dir(n("SUB")),
            Entry::File {
                name: n("A"),
                ftype: n("DAT")
            },
            Entry::File {
                name: n("B"),
                ftype: n("DAT")
            },
        ]
    );
    assert!(p.list(&dp(&["D", "SUB"])).unwrap().is_empty());
    assert!(
        p.list(&DirPath::root(0))
            .unwrap()
            .contains(&Entry::Dir(n("D")))
    );
}

/// `remove` and `remove_dir`; missing files are `NotFound`.
pub fn remove_and_not_found(p: &dyn Platform) {
    p.create_dir_all(&dp(&["R", "S"])).unwrap();
    let f = sp(&["R", "S"], "X", "DAT");
    let e = p.read(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(p.stat(&f).unwrap().is_none());
    assert_eq!(p.remove(&f).unwrap_err().kind(), ErrorKind::NotFound);
    p.replace(&f, RecordFormat::Udf, b"x").unwrap();
    p.replace(&f, RecordFormat::Udf, b"y").unwrap();
    assert_eq!(
        p.remove_dir(&dp(&["R", "S"])).unwrap_err().kind(),
        ErrorKind::NotEmpty
    );
    p.remove(&f).unwrap();
    assert!(p.stat(&f).unwrap().is_none());
    assert_eq!(p.read(&f).unwrap_err().kind(), ErrorKind::NotFound);
    p.remove_dir(&dp(&["R", "S"])).unwrap();
    assert_eq!(p.list(&dp(&["R"])).unwrap(), vec![]);
}

/// `rename` moves a file, replacing the target.
pub fn rename_replaces_target(p: &dyn Platform) {
    p.create_dir_all(&dp(&["N", "A"])).unwrap();
    p.create_dir_all(&dp(&["N", "B"])).unwrap();
    let a = sp(&["N", "A"], "F", "DAT");
    let b = sp(&["N", "B"], "G", "DAT");
    p.create_new(&a, RecordFormat::Udf, b"first").unwrap();
    p.create_new(&b, RecordFormat::Udf, b"second").unwrap();
    p.rename(&a, &b).unwrap();
    assert_eq!(p.read(&b).unwrap(), b"first");
    assert!(p.stat(&a).unwrap().is_none());
    assert!(p.list(&dp(&["N", "A"])).unwrap().is_empty());
}

/// A store root the backend was not given is refused; names display.
pub fn bad_root_and_display(p: &dyn Platform) {
    let mut f = sp(&["X"], "F", "DAT");
    f.root = p.roots();
    let e = p.read(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRoot, "{e}");
    let shown = p.display(&sp(&["USERS", "3F"], "JOHN", "PRF"));
    assert!(shown.to_ascii_uppercase().contains("JOHN.PRF"), "{shown}");
}

/// Exclusive and shared locks exclude each other across threads (each
/// lock is its own open file description, like another process's).
pub fn locks_exclude(p: &dyn Platform) {
    p.create_dir_all(&dp(&["K"])).unwrap();
    let k = sp(&["K"], "JOHN", "LCK");
    let zero = Duration::ZERO;
    let ex = p.lock(&k, LockMode::Exclusive, zero).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            let e = p.lock(&k, LockMode::Exclusive, zero).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::LockTimeout, "{e}");
            let e = p
                .lock(&k, LockMode::Shared, Duration::from_millis(20))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::LockTimeout, "{e}");
        });
    });
    drop(ex);
    let s1 = p.lock(&k, LockMode::Shared, zero).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            let s2 = p.lock(&k, LockMode::Shared, zero).unwrap();
            assert_eq!(s2.mode(), LockMode::Shared);
            let e = p.lock(&k, LockMode::Exclusive, zero).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::LockTimeout, "{e}");
        });
    });
    drop(s1);
    let other = sp(&["K"], "MARY", "LCK");
    let _a = p.lock(&k, LockMode::Exclusive, zero).unwrap();
    let _b = p.lock(&other, LockMode::Exclusive, zero).unwrap();
}

/// A waiting locker gets the lock once the holder releases it.
pub fn lock_waits_for_release(p: &dyn Platform) {
    p.create_dir_all(&dp(&["K"])).unwrap();
    let k = sp(&["K"], "WAIT", "LCK");
    let held = p.lock(&k, LockMode::Exclusive, Duration::ZERO).unwrap();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        s.spawn(|| {
            tx.send(()).unwrap();
            let l = p.lock(&k, LockMode::Exclusive, Duration::from_secs(30));
            assert!(l.is_ok(), "waiter never got the lock: {l:?}");
        });
        rx.recv().unwrap();
        drop(held);
    });
}

/// Instantiates every contract test for a backend. `$make` is an
/// expression giving `(Box<dyn Platform>, guard)`, evaluated afresh per
/// test; the guard (a temporary directory) lives as long as the test.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@each $make;
            create_new_is_exclusive, racing_creators_one_wins, replace_keeps_exact_bytes,
            append_and_read_records, torn_tail_is_dropped, map_is_stable,
            list_shows_logical_names, remove_and_not_found, rename_replaces_target,
            bad_root_and_display, locks_exclude, lock_waits_for_release);
    };
    (@each $make:expr; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                let (platform, _guard) = $make;
                $crate::testkit::$t(&*platform);
            }
        )*
    };
}

/// A medium for crash tests: a fresh, empty file system with the store's
/// root directory made (durably), and what a crash loses.
pub struct Medium {
    /// The file system.
    pub vfs: Arc<dyn Vfs>,
    /// Host path of store root 0 on it.
    pub root: PathBuf,
    /// Called after the injected crash: a power loss on [`crate::MemVfs`]
    /// (drops what was not synced), nothing on a real disk (the process
    /// died; the kernel keeps its cache).
    pub lose: Box<dyn Fn()>,
    /// Whatever keeps the medium alive (a temporary directory).
    pub guard: Box<dyn Any>,
}

impl std::fmt::Debug for Medium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Medium({:?} at {})", self.vfs, self.root.display())
    }
}

/// Builds a backend over a file system, with store root 0 at the path.
pub type Make<'a> = &'a dyn Fn(Arc<dyn Vfs>, &std::path::Path) -> Box<dyn Platform>;

/// Runs `step` against a backend whose Nth write, sync or rename crashes,
/// for N = 1, 2, ... until `step` runs without reaching N. Before each run
/// `setup` prepares the store through a healthy backend; after the crash
/// `check` looks at the store through a fresh backend and is told whether
/// `step` had returned `Ok`.
pub fn every_crash_point(
    fresh: &dyn Fn() -> Medium,
    make: Make<'_>,
    setup: &dyn Fn(&dyn Platform),
    step: &dyn Fn(&dyn Platform) -> crate::Result<()>,
    check: &dyn Fn(&dyn Platform, bool, u64),
) {
    for nth in 1.. {
        let m = fresh();
        setup(&*make(Arc::clone(&m.vfs), &m.root));
        let fault = Arc::new(FaultVfs::new(Arc::clone(&m.vfs)));
        fault.plan(OpClass::Any, nth, FaultMode::Crash);
        let result = step(&*make(fault.clone(), &m.root));
        if !fault.fired() {
            let ok = result.is_ok();
            assert!(ok, "step failed without a fault: {result:?}");
            check(&*make(Arc::clone(&m.vfs), &m.root), true, nth);
            assert!(nth > 1, "the step did no write, sync or rename");
            return;
        }
        (m.lose)();
        check(&*make(Arc::clone(&m.vfs), &m.root), result.is_ok(), nth);
    }
}

fn crash_file() -> StorePath {
    sp(&["U"], "JOHN", "PRF")
}

/// A replace crashed at any step leaves the old file or the new, whole;
/// after a replace that returned `Ok`, the new.
pub fn crash_replace_is_old_or_new(fresh: &dyn Fn() -> Medium, make: Make<'_>) {
    let old = blocks(2, 0xAA);
    let new = blocks(3, 0x55);
    every_crash_point(
        fresh,
        make,
        &|p| {
            p.create_dir_all(&dp(&["U"])).unwrap();
            p.create_new(&crash_file(), RecordFormat::Fix512, &old)
                .unwrap();
        },
        &|p| p.replace(&crash_file(), RecordFormat::Fix512, &new),
        &|p, ok, nth| {
            let got = p.read(&crash_file()).unwrap();
            assert!(got == old || got == new, "crash at op {nth}: a mix");
            if ok {
                assert!(got == new, "crash at op {nth}: replace returned Ok but old");
            }
            assert_eq!(p.list(&dp(&["U"])).unwrap().len(), 1, "crash at op {nth}");
            leftovers_are_removable(p, nth);
            assert!(p.read(&crash_file()).unwrap() == got, "crash at op {nth}");
        },
    );
}

/// What a crash left in `U` beside the store's files is only temporary
/// files of the backend's own making, and `remove_temporaries` removes
/// them all (age 0), touching nothing else.
fn leftovers_are_removable(p: &dyn Platform, nth: u64) {
    let strays = p.strays(&dp(&["U"])).unwrap();
    for s in &strays {
        assert!(
            crate::support::is_temp_name(s),
            "crash at op {nth}: a stray that is no temporary file: {s}"
        );
    }
    let files = p.list(&dp(&["U"])).unwrap();
    let removed = p.remove_temporaries(&dp(&["U"]), Duration::ZERO).unwrap();
    assert_eq!(removed, strays, "crash at op {nth}");
    assert!(
        p.strays(&dp(&["U"])).unwrap().is_empty(),
        "crash at op {nth}"
    );
    assert_eq!(p.list(&dp(&["U"])).unwrap(), files, "crash at op {nth}");
}

/// An append crashed at any step leaves each record whole or absent; after
/// an append that returned `Ok`, all of them.
pub fn crash_append_is_whole_or_absent(fresh: &dyn Fn() -> Medium, make: Make<'_>) {
    let first: Vec<&[u8]> = vec![b"one", b"two!"];
    let more: Vec<&[u8]> = vec![b"three", b"", b"four and more"];
    let all: Vec<Vec<u8>> = first.iter().chain(&more).map(|r| r.to_vec()).collect();
    every_crash_point(
        fresh,
        make,
        &|p| {
            p.create_dir_all(&dp(&["U"])).unwrap();
            p.append_records(&crash_file(), &first).unwrap();
        },
        &|p| p.append_records(&crash_file(), &more),
        &|p, ok, nth| {
            let got = p.read_records(&crash_file()).unwrap();
            assert!(
                got.len() >= 2 && all.starts_with(&got),
                "crash at op {nth}: {got:?}"
            );
            if ok {
                assert_eq!(got, all, "crash at op {nth}: append returned Ok");
            }
            // The store goes on: the next append lands after whole records.
            p.append_records(&crash_file(), &[b"next"]).unwrap();
            let after = p.read_records(&crash_file()).unwrap();
            assert_eq!(after.last().map(Vec::as_slice), Some(&b"next"[..]));
            assert_eq!(after.len(), got.len() + 1, "crash at op {nth}");
        },
    );
}

/// An exclusive create crashed at any step leaves no file or the whole
/// file; after a create that returned `Ok`, the file.
pub fn crash_create_is_none_or_whole(fresh: &dyn Fn() -> Medium, make: Make<'_>) {
    let data = blocks(2, 3);
    every_crash_point(
        fresh,
        make,
        &|p| p.create_dir_all(&dp(&["U"])).unwrap(),
        &|p| p.create_new(&crash_file(), RecordFormat::Fix512, &data),
        &|p, ok, nth| {
            match p.read(&crash_file()) {
                Ok(got) => assert!(got == data, "crash at op {nth}: partial file"),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::NotFound, "crash at op {nth}: {e}");
                    assert!(!ok, "crash at op {nth}: create returned Ok but no file");
                }
            }
            leftovers_are_removable(p, nth);
        },
    );
}

/// A replace whose Nth write, sync or rename fails (without a crash)
/// returns an error and leaves the old file or the new; a retry succeeds.
pub fn failed_replace_is_old_or_new(fresh: &dyn Fn() -> Medium, make: Make<'_>) {
    let old = blocks(1, 1);
    let new = blocks(2, 2);
    for nth in 1.. {
        let m = fresh();
        let p = make(Arc::clone(&m.vfs), &m.root);
        p.create_dir_all(&dp(&["U"])).unwrap();
        p.create_new(&crash_file(), RecordFormat::Fix512, &old)
            .unwrap();
        let fault = Arc::new(FaultVfs::new(Arc::clone(&m.vfs)));
        fault.plan(OpClass::Any, nth, FaultMode::Fail);
        let p = make(fault.clone(), &m.root);
        let r = p.replace(&crash_file(), RecordFormat::Fix512, &new);
        if !fault.fired() {
            r.unwrap();
            return;
        }
        let got = p.read(&crash_file()).unwrap();
        assert!(got == old || got == new, "failure at op {nth}: a mix");
        if let Err(e) = &r {
            assert_eq!(e.kind(), ErrorKind::Injected, "{e}");
        }
        p.replace(&crash_file(), RecordFormat::Fix512, &new)
            .unwrap();
        assert_eq!(p.read(&crash_file()).unwrap(), new);
        assert_eq!(p.list(&dp(&["U"])).unwrap().len(), 1, "failure at op {nth}");
    }
}

/// Staged files committed together, while another writer's create syncs
/// the same directory in between: a crash at any step leaves each file
/// absent or whole under its name (never empty or partial), and after a
/// commit that gave `Ok` for every file, all of them; what else is left
/// is temporary files that `remove_temporaries` removes. A name taken
/// before the commit gets `AlreadyExists` and keeps its file.
pub fn crash_staged_files_are_none_or_whole(fresh: &dyn Fn() -> Medium, make: Make<'_>) {
    let names = ["A", "B", "C"];
    let data = |k: usize| blocks(k + 1, 0x30 + k as u8);
    let taken = blocks(1, 0xEE);
    every_crash_point(
        fresh,
        make,
        &|p| p.create_dir_all(&dp(&["U"])).unwrap(),
        &|p| {
            let mut staged = Vec::new();
            for (k, n) in names.iter().enumerate() {
                staged.push(p.stage_new(&sp(&["U"], n, "MSG"), RecordFormat::Fix512, &data(k))?);
            }
            // Another writer: its create syncs the directory, and takes C.
            p.create_new(&sp(&["U"], "C", "MSG"), RecordFormat::Fix512, &taken)?;
            let out = p.commit_staged(staged);
            assert!(
                matches!(&out[2], Err(e) if e.kind() == ErrorKind::AlreadyExists)
                    || out[2]
                        .as_ref()
                        .is_err_and(|e| e.kind() == ErrorKind::Injected),
                "{out:?}"
            );
            out.into_iter()
                .take(2)
                .collect::<crate::Result<Vec<()>>>()?;
            // More work after the commit (crash points after it).
            p.create_new(&sp(&["U"], "D", "MSG"), RecordFormat::Fix512, &taken)
        },
        &|p, ok, nth| {
            for (k, n) in names.iter().enumerate().take(2) {
                match p.stat(&sp(&["U"], n, "MSG")).unwrap() {
                    None => assert!(!ok, "crash at op {nth}: {n} lost after Ok"),
                    Some(_) => assert_eq!(
                        p.read(&sp(&["U"], n, "MSG")).unwrap(),
                        data(k),
                        "crash at op {nth}: {n} partial"
                    ),
                }
            }
            if p.stat(&sp(&["U"], "C", "MSG")).unwrap().is_some() {
                assert_eq!(
                    p.read(&sp(&["U"], "C", "MSG")).unwrap(),
                    taken,
                    "crash at op {nth}"
                );
            }
            leftovers_are_removable(p, nth);
        },
    );
}

/// Instantiates every crash test for a backend over a medium. `$fresh`
/// gives a [`Medium`]; `$make` builds the backend over `(vfs, root)`.
#[macro_export]
macro_rules! crash_tests {
    ($fresh:expr, $make:expr) => {
        $crate::crash_tests!(@each $fresh, $make;
            crash_replace_is_old_or_new, crash_append_is_whole_or_absent,
            crash_create_is_none_or_whole, failed_replace_is_old_or_new,
            crash_staged_files_are_none_or_whole);
    };
    (@each $fresh:expr, $make:expr; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                $crate::testkit::$t(&$fresh, &$make);
            }
        )*
    };
}
