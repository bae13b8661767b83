//! Process-wide counts a backend keeps for the server's metrics: plain
//! atomics (this crate has no metrics dependency); the `popstore` crate
//! reads them when it renders its metrics.

use std::sync::atomic::{AtomicU64, Ordering};

static FSYNCS: AtomicU64 = AtomicU64::new(0);

/// Counts one fsync (of a file or a directory) a backend made.
pub fn count_fsync() {
    FSYNCS.fetch_add(1, Ordering::Relaxed);
}

/// The fsyncs counted since the process started.
pub fn fsyncs() -> u64 {
    FSYNCS.load(Ordering::Relaxed)
}
