//! Platform backends for the binary: the native one of this build, chosen
//! by target, and opening a store in either host layout by name
//! (`--host linux|openvms`, `popstore transfer --from/--to`).
//!
//! The selection lives here, not in `popstore-platform`: the backend crates
//! depend on `popstore-platform` for the trait, so that crate cannot depend
//! on them (a cycle).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use popstore_formats::StoreFile;
use popstore_formats::descriptor::StoreDescriptor;
use popstore_formats::layout::Layout;
use popstore_platform::Platform;

cfg_if::cfg_if! {
    if #[cfg(target_os = "linux")] {
        /// The native backend over the store roots `roots` (root index =
        /// position): the Linux backend on Linux.
        pub fn native(roots: Vec<PathBuf>) -> Arc<dyn Platform> {
            Arc::new(popstore_platform_linux::linux(roots))
        }
    } else {
        compile_error!("popstore has no native platform backend for this target yet");
    }
}

/// A host layout a store can be read or written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HostKind {
    /// The Linux layout: `users/1c/ad/john/account.prf`.
    Linux,
    /// The OpenVMS layout, emulated on a host directory:
    /// `USERS.DIR;1/1C.DIR;1/.../ACCOUNT.PRF;1` with RMS attributes.
    Openvms,
}

impl HostKind {
    /// The backend of this kind over explicit roots.
    pub fn backend(self, roots: Vec<PathBuf>) -> Arc<dyn Platform> {
        match self {
            HostKind::Linux => Arc::new(popstore_platform_linux::linux(roots)),
            HostKind::Openvms => Arc::new(popstore_platform_openvms::openvms(roots)),
        }
    }
}

/// The host directories of a store's roots: root 0 is `store`; the others
/// come from the descriptor's Linux hints (relative to `store`), read
/// through `probe` (a backend over root 0). Both host layouts use the same
/// hints: the OpenVMS emulation's devices are host directories too.
pub fn store_roots(store: &Path, probe: &dyn Platform) -> Vec<PathBuf> {
    let mut roots = vec![store.to_path_buf()];
    let Ok(bytes) = probe.read(&Layout::descriptor()) else {
        return roots;
    };
    let Ok(desc) = StoreDescriptor::decode(&bytes) else {
        return roots;
    };
    for r in desc.roots.iter().filter(|r| r.index != 0) {
        let i = usize::from(r.index);
        while roots.len() <= i {
            // A root the descriptor skips: a directory that never exists.
            let gap = roots.len();
            roots.push(store.join(format!(".popstore-root-{gap}-not-configured")));
        }
        if !r.linux_dir.is_empty() {
            roots[i] = store.join(&r.linux_dir);
        }
    }
    roots
}

/// The store at `store` in layout `kind`, with every root the descriptor
/// names.
pub fn open_store(kind: HostKind, store: &Path) -> Arc<dyn Platform> {
    let probe = kind.backend(vec![store.to_path_buf()]);
    kind.backend(store_roots(store, &*probe))
}
