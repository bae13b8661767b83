//! The contract and crash tests over the Linux backend, and locks between
//! processes.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use popstore_platform::testkit::{Medium, dp, sp};
use popstore_platform::{ErrorKind, LockMode, MemVfs, Platform, PosixTree, Vfs};
use popstore_platform_linux::{HostVfs, linux};

fn on_disk() -> (Box<dyn Platform>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let p = linux(vec![dir.path().join("root0")]);
    (Box::new(p), dir)
}

fn make(vfs: Arc<dyn Vfs>, root: &Path) -> Box<dyn Platform> {
    Box::new(PosixTree::new(vfs, vec![root.to_path_buf()], "linux"))
}

popstore_platform::contract_tests!(on_disk());

/// Crashes of the process at every step, on the real disk.
mod process_crash {
    use super::*;

    fn fresh() -> Medium {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root0");
        std::fs::create_dir(&root).unwrap();
        Medium {
            vfs: Arc::new(HostVfs),
            root,
            lose: Box::new(|| {}),
            guard: Box::new(dir),
        }
    }

    popstore_platform::crash_tests!(fresh, make);
}

/// Power loss at every step: the Linux layout's sequence of writes, syncs
/// and renames over the page-cache model.
mod power_loss {
    use super::*;

    fn fresh() -> Medium {
        let mem = Arc::new(MemVfs::new());
        let vfs: Arc<dyn Vfs> = mem.clone();
        vfs.create_dir(Path::new("/root0")).unwrap();
        vfs.sync_dir(Path::new("/")).unwrap();
        Medium {
            vfs,
            root: PathBuf::from("/root0"),
            lose: Box::new(move || mem.crash()),
            guard: Box::new(()),
        }
    }

    popstore_platform::crash_tests!(fresh, make);
}

#[test]
fn spells_paths_in_lower_case() {
    let (p, dir) = on_disk();
    let f = sp(&["USERS", "3F"], "JOHN", "PRF");
    let want = dir.path().join("root0/users/3f/john.prf");
    assert_eq!(p.display(&f), want.display().to_string());
    p.create_dir_all(&dp(&["USERS", "3F"])).unwrap();
    p.create_new(&f, popstore_platform::RecordFormat::Var, b"x")
        .unwrap();
    assert_eq!(std::fs::read(&want).unwrap(), b"x");
    // Upper-case or non-ODS-2 host names are not store names.
    std::fs::write(dir.path().join("root0/users/3f/JOHN.PRF"), b"y").unwrap();
    std::fs::write(dir.path().join("root0/users/3f/a.b.c"), b"y").unwrap();
    assert_eq!(p.list(&dp(&["USERS", "3F"])).unwrap().len(), 1);
    assert_eq!(
        p.strays(&dp(&["USERS", "3F"])).unwrap(),
        vec!["JOHN.PRF".to_owned(), "a.b.c".to_owned()]
    );
}

const CHILD_ENV: &str = "POPSTORE_LOCK_CHILD";

/// Re-run this test binary as a child that holds the lock (through the
/// runner named by POPSTORE_TEST_RUNNER under qemu, where a foreign binary
/// can't be executed directly).
fn child(lock_root: &Path) -> std::process::Child {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("POPSTORE_TEST_RUNNER").unwrap_or_default();
    let mut words: Vec<String> = runner.split_whitespace().map(str::to_owned).collect();
    words.push(exe.display().to_string());
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..])
        .args(["--exact", "lock_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, lock_root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    cmd.spawn().unwrap()
}

/// The child's part: take the exclusive lock, say so, hold it until stdin
/// closes. Does nothing when run as an ordinary test.
#[test]
fn lock_child() {
    let Some(root) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let p = linux(vec![PathBuf::from(root)]);
    let _held = p
        .lock(
            &sp(&["K"], "JOHN", "LCK"),
            LockMode::Exclusive,
            Duration::ZERO,
        )
        .unwrap();
    println!("LOCKED");
    std::io::stdout().flush().unwrap();
    let mut buf = String::new();
    let _ = std::io::stdin().read_line(&mut buf);
}

#[test]
fn locks_hold_between_processes() {
    let (p, dir) = on_disk();
    p.create_dir_all(&dp(&["K"])).unwrap();
    let mut c = child(&dir.path().join("root0"));
    let mut out = BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("LOCKED") {
        line.clear();
        assert_ne!(out.read_line(&mut line).unwrap(), 0, "child exited early");
    }
    let k = sp(&["K"], "JOHN", "LCK");
    let e = p.lock(&k, LockMode::Shared, Duration::ZERO).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LockTimeout, "{e}");
    drop(c.stdin.take());
    let l = p.lock(&k, LockMode::Exclusive, Duration::from_secs(60));
    assert!(l.is_ok(), "{l:?}");
    assert!(c.wait().unwrap().success());
}

/// `remove_temporaries` removes only the backend's own temporary files,
/// and only once they are old enough: a young one may be a write in
/// progress.
#[test]
fn removes_only_old_temporaries_of_its_own() {
    let (p, dir) = on_disk();
    p.create_dir_all(&dp(&["U"])).unwrap();
    p.create_new(
        &sp(&["U"], "JOHN", "PRF"),
        popstore_platform::RecordFormat::Var,
        b"\x02\x00ab",
    )
    .unwrap();
    let host = dir.path().join("root0/u");
    let temp = ".john.prf.00ab00cd00ef0012-7.tmp";
    std::fs::write(host.join(temp), b"partial").unwrap();
    std::fs::write(host.join("notes.txt"), b"someone else's").unwrap();
    std::fs::write(host.join(".john.prf.tmp"), b"not ours").unwrap();
    let young = p
        .remove_temporaries(&dp(&["U"]), Duration::from_secs(3600))
        .unwrap();
    assert!(young.is_empty(), "{young:?}");
    assert!(host.join(temp).exists());
    let old = p.remove_temporaries(&dp(&["U"]), Duration::ZERO).unwrap();
    assert_eq!(old, vec![temp.to_string()]);
    assert!(!host.join(temp).exists());
    assert!(host.join("notes.txt").exists() && host.join(".john.prf.tmp").exists());
    assert_eq!(p.read(&sp(&["U"], "JOHN", "PRF")).unwrap(), b"\x02\x00ab");
}
