//! The store layouts the crash tests run over: each a backend over a
//! (possibly fault-injecting) in-memory file system, so that a "crash"
//! loses everything not synced (`MemVfs::crash`).

use std::sync::Arc;

use popstore_platform::{Platform, PosixTree, Vfs};

/// Builds a backend over an in-memory file system.
pub type Layout = fn(Arc<dyn Vfs>) -> Arc<dyn Platform>;

/// The Linux layout over `vfs`.
pub fn linux_layout(vfs: Arc<dyn Vfs>) -> Arc<dyn Platform> {
    Arc::new(PosixTree::memory_over(vfs, 1).unwrap())
}

/// The OpenVMS (Files-11) layout over `vfs`, its root at `/root0`.
pub fn openvms_layout(vfs: Arc<dyn Vfs>) -> Arc<dyn Platform> {
    let root = std::path::Path::new("/root0");
    if vfs.kind(root).unwrap().is_none() {
        vfs.create_dir(root).unwrap();
        vfs.sync_dir(std::path::Path::new("/")).unwrap();
    }
    Arc::new(popstore_platform_openvms::Files11::new(
        vfs,
        vec![root.to_path_buf()],
    ))
}
