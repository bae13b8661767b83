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
