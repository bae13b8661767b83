//! The platform backend of this build, chosen by target.
//!
//! The selection lives here, not in `popstore-platform`: the backend crates
//! depend on `popstore-platform` for the trait, so that crate cannot depend
//! on them (a cycle).

use std::path::PathBuf;
use std::sync::Arc;

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
