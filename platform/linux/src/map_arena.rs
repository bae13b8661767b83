//! Small file maps with batched unmapping.
//!
//! A POP3 server maps one message file per RETR and unmaps it when the
//! message is sent. In a multi-threaded process every `munmap` flushes the
//! TLBs of the other CPUs running the process's threads, by inter-processor
//! interrupt: under load (8 sessions on 2 CPUs) that was 28% of the
//! server's CPU time, more than the TCP send.
//!
//! The arena reserves one range of address space (`PROT_NONE`, no memory
//! behind it) in chunks. A small map is placed at the next free offset of
//! the chunk being filled (`mmap` with `MAP_FIXED` inside the
//! reservation). Dropping it only counts it off; once a chunk has no live
//! map left, one `mmap(PROT_NONE, MAP_FIXED)` over the whole chunk unmaps
//! all of its maps with one TLB flush, and the chunk is used again. While a
//! server is busy its sessions keep the chunk being filled alive, so
//! hundreds of maps share one flush instead of one flush each; when it goes
//! idle the last drop resets the chunk, so no map of a deleted file
//! outlives its last user (it would keep the file's disk space in use).
//!
//! If placing a map fails, the kernel may already have removed the
//! reservation's pages under it, and another mapping could take the hole.
//! That chunk is then never reset or reused: its remaining maps are unmapped
//! one by one as they drop.
//!
//! Maps too big for a chunk's share, and any map while every chunk is in
//! use (a few long-lived maps can keep chunks from being reused), are
//! ordinary maps: the arena only ever saves work, it never refuses a map.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::sync::{Mutex, OnceLock};

/// Bytes per chunk.
const CHUNK: usize = 2 << 20;
/// Chunks reserved: 128 MiB of address space, no memory. At most about
/// `CHUNKS * CHUNK / 4 KiB` = 32 K maps (one VMA each) exist at once,
/// half of Linux's default `vm.max_map_count`.
const CHUNKS: usize = 64;
/// The biggest file placed in the arena: 1/16 of a chunk, so a chunk holds
/// at least 16 maps (about 170 of 10 KiB messages).
const MAX_LEN: usize = CHUNK / 16;

/// The reservation and which chunks are in use.
struct Arena {
    /// The reservation's first address.
    base: usize,
    page: usize,
    state: Mutex<State>,
}

struct State {
    /// The chunk being filled and the next free offset in it.
    filling: Option<(usize, usize)>,
    /// Live maps per chunk.
    live: [u32; CHUNKS],
    /// Chunks with a hole from a failed placement: out of use for good.
    poisoned: [bool; CHUNKS],
    /// Chunks that are empty and unmapped (all `PROT_NONE`).
    free: Vec<usize>,
}

/// A file map inside the arena; dropping it releases its slot.
pub struct ArenaMap {
    ptr: *const u8,
    len: usize,
    chunk: usize,
}

// SAFETY: the map is read-only memory that stays mapped, unchanged, until
// the map is dropped (see `Arena::release`); reading it from any thread is
// sound, like memmap2's `Mmap`.
unsafe impl Send for ArenaMap {}
// SAFETY: as above; `&ArenaMap` only gives out `&[u8]`.
unsafe impl Sync for ArenaMap {}

impl Deref for ArenaMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` is a readable shared map of the file,
        // made by `map` and not unmapped before `self` is dropped (a chunk
        // is reset only when it holds no live map). The file is one the
        // platform contract says is never modified in place (see
        // `host::map_file`).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for ArenaMap {
    fn drop(&mut self) {
        popstore_platform::stats::arena_unmapped(self.len);
        if let Some(arena) = arena()
            && arena.release(self.chunk) == Release::UnmapOwn
        {
            // SAFETY: `ptr..ptr + len` is this map's own slot, mapped by
            // `map` and referenced by nothing once `self` drops; it lies in
            // a poisoned chunk, which the arena never maps into again.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
        }
    }
}

/// What dropping a map must still do.
#[derive(Debug, PartialEq, Eq)]
enum Release {
    /// Nothing: the arena resets the chunk when its last map goes.
    Done,
    /// Unmap its own slot (its chunk is poisoned).
    UnmapOwn,
}

fn arena() -> Option<&'static Arena> {
    static ARENA: OnceLock<Option<Arena>> = OnceLock::new();
    ARENA.get_or_init(Arena::reserve).as_ref()
}

/// Maps the first `len` bytes of `file` into the arena, or `None` when it
/// does not fit (too big, no free chunk, no arena): the caller then maps
/// it the ordinary way.
pub fn map(file: &File, len: usize) -> Option<io::Result<ArenaMap>> {
    if len == 0 || len > MAX_LEN {
        return None;
    }
    let arena = arena()?;
    let (chunk, addr) = arena.take(len.div_ceil(arena.page) * arena.page)?;
    // SAFETY: `addr..addr + len` lies inside a chunk of the reservation
    // that this process owns and that nothing else maps into; the slot was
    // handed out once (`take`), so MAP_FIXED replaces only our own
    // PROT_NONE pages. `file` is open for reading.
    let got = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            len,
            libc::PROT_READ,
            libc::MAP_SHARED | libc::MAP_FIXED,
            file.as_raw_fd(),
            0,
        )
    };
    if got == libc::MAP_FAILED {
        let err = io::Error::last_os_error();
        arena.poison(chunk);
        return Some(Err(err));
    }
    popstore_platform::stats::arena_mapped(len);
    Some(Ok(ArenaMap {
        ptr: got as *const u8,
        len,
        chunk,
    }))
}

impl Arena {
    fn reserve() -> Option<Self> {
        // SAFETY: sysconf has no memory-safety preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
        if page == 0 || !CHUNK.is_multiple_of(page) || MAX_LEN < page {
            return None;
        }
        // SAFETY: a new anonymous PROT_NONE mapping at an address the
        // kernel chooses; it touches no existing memory.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                CHUNK * CHUNKS,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        Some(Self {
            base: base as usize,
            page,
            state: Mutex::new(State {
                filling: None,
                live: [0; CHUNKS],
                poisoned: [false; CHUNKS],
                free: (0..CHUNKS).rev().collect(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot of `len` bytes (a whole number of pages): its chunk and
    /// address. A chunk with no room left stops filling; its last drop
    /// resets it (the chunk being filled always holds a live map: when its
    /// last one drops, it stops filling and is reset).
    fn take(&self, len: usize) -> Option<(usize, usize)> {
        let mut state = self.lock();
        if let Some((chunk, used)) = state.filling
            && used + len <= CHUNK
        {
            state.filling = Some((chunk, used + len));
            state.live[chunk] += 1;
            return Some((chunk, self.base + chunk * CHUNK + used));
        }
        let chunk = state.free.pop()?;
        popstore_platform::stats::arena_chunk(true);
        state.filling = Some((chunk, len));
        state.live[chunk] += 1;
        Some((chunk, self.base + chunk * CHUNK))
    }

    /// Counts one map of `chunk` off; resets the chunk when this was its
    /// last map.
    fn release(&self, chunk: usize) -> Release {
        let mut state = self.lock();
        state.live[chunk] -= 1;
        if state.poisoned[chunk] {
            return Release::UnmapOwn;
        }
        if state.live[chunk] > 0 {
            return Release::Done;
        }
        if state.filling.is_some_and(|(c, _)| c == chunk) {
            state.filling = None;
        }
        drop(state);
        self.reset(chunk);
        Release::Done
    }

    /// Takes `chunk` out of use for good after a failed placement in it.
    fn poison(&self, chunk: usize) {
        let mut state = self.lock();
        state.live[chunk] -= 1;
        state.poisoned[chunk] = true;
        if state.filling.is_some_and(|(c, _)| c == chunk) {
            state.filling = None;
        }
    }

    /// Unmaps everything in `chunk` (one call, one TLB flush) and puts it
    /// back on the free list. The chunk is neither filling nor free and has
    /// no live map, so no one else touches it meanwhile.
    fn reset(&self, chunk: usize) {
        // SAFETY: the chunk lies inside our reservation and holds no live
        // `ArenaMap` (its count is zero and it is sealed), so no reference
        // into it exists; replacing it with fresh PROT_NONE pages is what
        // the reservation held before.
        let got = unsafe {
            libc::mmap(
                (self.base + chunk * CHUNK) as *mut libc::c_void,
                CHUNK,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if got == libc::MAP_FAILED {
            // The old maps stay (they are only address space and page
            // cache); the chunk is not reused, and later maps go elsewhere.
            return;
        }
        self.lock().free.push(chunk);
        popstore_platform::stats::arena_chunk(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn maps_read_the_file_and_chunks_are_reused() {
        // Enough maps to fill several chunks, some kept while the rest are
        // dropped, so sealed chunks are reset and handed out again.
        let mut kept = Vec::new();
        for round in 0..3 {
            for i in 0..(CHUNKS * 2) {
                let body = format!("message {round}/{i} ").repeat(700);
                let f = file_with(body.as_bytes());
                let m = map(&f, body.len()).unwrap().unwrap();
                assert_eq!(&m[..], body.as_bytes());
                if i % 97 == 0 {
                    kept.push((m, body));
                }
            }
        }
        for (m, body) in &kept {
            assert_eq!(&m[..], body.as_bytes(), "a kept map still reads its file");
        }
        let state = arena().unwrap().state.lock().unwrap();
        let live: u32 = state.live.iter().sum();
        assert!(live as usize >= kept.len());
    }

    #[test]
    fn big_or_empty_files_are_not_placed() {
        let f = file_with(b"x");
        assert!(map(&f, MAX_LEN + 1).is_none());
        assert!(map(&f, 0).is_none());
    }
}
