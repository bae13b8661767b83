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

static ARENA_MAPS: AtomicU64 = AtomicU64::new(0);
static ARENA_BYTES: AtomicU64 = AtomicU64::new(0);
static ARENA_CHUNKS: AtomicU64 = AtomicU64::new(0);

/// Counts a file map of `len` bytes placed in a backend's map arena.
pub fn arena_mapped(len: usize) {
    ARENA_MAPS.fetch_add(1, Ordering::Relaxed);
    ARENA_BYTES.fetch_add(len as u64, Ordering::Relaxed);
}

/// Counts off a map of `len` bytes of the map arena, dropped.
pub fn arena_unmapped(len: usize) {
    ARENA_MAPS.fetch_sub(1, Ordering::Relaxed);
    ARENA_BYTES.fetch_sub(len as u64, Ordering::Relaxed);
}

/// Counts a chunk of the map arena taken into use (`true`) or reset and
/// free again (`false`).
pub fn arena_chunk(in_use: bool) {
    if in_use {
        ARENA_CHUNKS.fetch_add(1, Ordering::Relaxed);
    } else {
        ARENA_CHUNKS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The map arena's use now: live maps in it, the bytes they map, and the
/// chunks in use (filling, or holding maps, or poisoned and never freed).
pub fn arena() -> (u64, u64, u64) {
    (
        ARENA_MAPS.load(Ordering::Relaxed),
        ARENA_BYTES.load(Ordering::Relaxed),
        ARENA_CHUNKS.load(Ordering::Relaxed),
    )
}
