//! Group commit of directory syncs. Many threads that each add a name to
//! the same directory (message files of one time window, SPEC.md 14.4)
//! each need "my entry is durable" before they go on; one fsync of the
//! directory that *starts* after an entry was made covers it. So a thread
//! that finds another's sync of the directory under way waits for it and
//! for the next one, and at most one sync per directory runs at a time:
//! under load a sync covers every entry made while the previous one ran.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Debug, Default)]
struct Dir {
    /// Entries made (callers that arrived), counted.
    made: u64,
    /// Every entry up to this count is durable.
    synced: u64,
    /// A sync is running.
    syncing: bool,
    /// Callers waiting on this directory.
    waiters: usize,
}

/// The directories being synced, and a wake-up for their waiters.
#[derive(Debug, Default)]
pub(crate) struct DirSyncs {
    dirs: Mutex<HashMap<PathBuf, Dir>>,
    done: Condvar,
}

impl DirSyncs {
    /// Makes the entries already made in `dir` durable, sharing the
    /// directory sync with concurrent callers; `sync` does one sync.
    /// Call after the entry is made. An error is returned to the caller
    /// whose sync failed; the others try again themselves.
    pub(crate) fn sync(
        &self,
        dir: &Path,
        sync: impl Fn(&Path) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        let d = dirs.entry(dir.to_path_buf()).or_default();
        d.made += 1;
        d.waiters += 1;
        let mine = d.made;
        let result = loop {
            let Some(d) = dirs.get_mut(dir) else {
                break Ok(()); // unreachable: the entry lives while waited on
            };
            if d.synced >= mine {
                break Ok(());
            }
            if d.syncing {
                dirs = self.done.wait(dirs).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            d.syncing = true;
            let upto = d.made;
            drop(dirs);
            let r = sync(dir);
            dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(d) = dirs.get_mut(dir) {
                d.syncing = false;
                if r.is_ok() {
                    d.synced = d.synced.max(upto);
                }
            }
            self.done.notify_all();
            if r.is_err() {
                break r;
            }
        };
        if let Some(d) = dirs.get_mut(dir) {
            d.waiters -= 1;
            if d.waiters == 0 && !d.syncing {
                dirs.remove(dir);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn concurrent_callers_share_syncs_and_each_is_covered() {
        let syncs = Arc::new(DirSyncs::default());
        let made = Arc::new(AtomicUsize::new(0));
        let durable = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (syncs, made, durable, calls) =
                    (syncs.clone(), made.clone(), durable.clone(), calls.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let me = made.fetch_add(1, Ordering::SeqCst) + 1;
                        syncs
                            .sync(Path::new("/d"), |_| {
                                // A sync makes durable what was made before it.
                                let upto = made.load(Ordering::SeqCst);
                                calls.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                durable.fetch_max(upto, Ordering::SeqCst);
                                Ok(())
                            })
                            .unwrap();
                        assert!(durable.load(Ordering::SeqCst) >= me);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(calls.load(Ordering::SeqCst) >= 1);
        assert!(syncs.dirs.lock().unwrap().is_empty(), "entries are dropped");
    }

    #[test]
    fn a_failed_sync_is_the_callers_error() {
        let syncs = DirSyncs::default();
        let e = syncs
            .sync(Path::new("/d"), |_| Err(io::Error::other("disk gone")))
            .unwrap_err();
        assert_eq!(e.to_string(), "disk gone");
        syncs.sync(Path::new("/d"), |_| Ok(())).unwrap();
    }
}
