//! The contract and crash tests over the in-memory backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use popstore_platform::testkit::Medium;
use popstore_platform::{MemVfs, Platform, PosixTree, Vfs};

fn memory() -> (Box<dyn Platform>, ()) {
    (Box::new(PosixTree::memory(1)), ())
}

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

fn make(vfs: Arc<dyn Vfs>, root: &Path) -> Box<dyn Platform> {
    Box::new(PosixTree::new(vfs, vec![root.to_path_buf()], "memory"))
}

popstore_platform::contract_tests!(memory());

mod crash {
    use super::*;
    popstore_platform::crash_tests!(fresh, make);
}

/// Staged files on a host without syncfs: each synced by itself.
#[test]
fn crash_staged_files_without_syncfs() {
    let fresh = || {
        let mem = Arc::new(MemVfs::new().without_syncfs());
        let vfs: Arc<dyn Vfs> = mem.clone();
        vfs.create_dir(Path::new("/root0")).unwrap();
        vfs.sync_dir(Path::new("/")).unwrap();
        Medium {
            vfs,
            root: PathBuf::from("/root0"),
            lose: Box::new(move || mem.crash()),
            guard: Box::new(()),
        }
    };
    popstore_platform::testkit::crash_staged_files_are_none_or_whole(&fresh, &make);
}

/// A file's host path is its directory's host path joined with
/// `name.type`, all in lower case; a root that is not configured is an
/// error naming the path.
#[test]
fn host_paths_are_lower_case_under_the_root() {
    use popstore_platform::testkit::{dp, sp};
    let t = PosixTree::new(
        Arc::new(MemVfs::new()),
        vec![PathBuf::from("/r0"), PathBuf::from("/R1/")],
        "memory",
    );
    let f = sp(&["MESSAGES", "A1", "B2"], "M000DC1", "MSG");
    assert_eq!(
        t.host_path(&f).unwrap(),
        PathBuf::from("/r0/messages/a1/b2/m000dc1.msg")
    );
    assert_eq!(
        t.host_path(&f).unwrap(),
        t.host_dir(&dp(&["MESSAGES", "A1", "B2"]))
            .unwrap()
            .join("m000dc1.msg")
    );
    let mut top = sp(&[], "STORE", "CFG");
    top.root = 1;
    assert_eq!(t.host_path(&top).unwrap(), PathBuf::from("/R1/store.cfg"));
    top.root = 2;
    assert!(t.host_path(&top).is_err(), "root 2 is not configured");
}
