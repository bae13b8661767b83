//! IDLE without polling: one inotify instance per server process watches
//! the `[.FOLDERS]` directory of each account that has a session in IDLE,
//! and a change there wakes those sessions, which then read their folder's
//! journal as a poll would (and find nothing when another folder of the
//! account changed).
//!
//! Only where the platform says a watch sees every change (a local file
//! system on Linux, [`crate::store::Store::folder_watch_dir`]); on a shared
//! file system another node's change raises no event, so sessions poll
//! there as before. A watched session still looks every
//! `[imap] idle_watch_poll_ms` (a safety net), and when inotify is missing
//! or out of watches it polls every `idle_poll_ms`.
//!
//! Events are read by one thread blocked in `read(2)`: a wake-up is a
//! [`Notify`] permit, so a change that comes while the session is busy
//! sending is not lost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::Notify;

/// The watches of one process (none where inotify is missing).
#[derive(Debug, Default)]
pub struct Watcher {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    watches: inotify::Watches,
    by_dir: HashMap<PathBuf, Watched>,
    dirs: HashMap<inotify::WatchDescriptor, PathBuf>,
    /// The reading thread ended (an error): no new subscriptions.
    dead: bool,
}

#[derive(Debug)]
struct Watched {
    wd: inotify::WatchDescriptor,
    waiters: Vec<Weak<Notify>>,
}

/// One session's interest in a directory: its wake-ups come through
/// [`Subscription::changed`]; dropping it ends the interest (and the watch
/// with the last one).
#[derive(Debug)]
pub struct Subscription {
    notify: Arc<Notify>,
    dir: PathBuf,
    inner: Arc<Inner>,
}

impl Watcher {
    /// Starts the process's inotify instance and its reading thread; a
    /// watcher that watches nothing when that fails.
    pub fn start() -> Watcher {
        let inotify = match inotify::Inotify::init() {
            Ok(i) => i,
            Err(e) => {
                tracing::info!("imap: no inotify ({e}): IDLE polls");
                return Watcher::default();
            }
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                watches: inotify.watches(),
                by_dir: HashMap::new(),
                dirs: HashMap::new(),
                dead: false,
            }),
        });
        let reader = Arc::downgrade(&inner);
        let spawned = std::thread::Builder::new()
            .name("imap-idle-watch".into())
            .spawn(move || read_events(inotify, &reader));
        if let Err(e) = spawned {
            tracing::warn!("imap: cannot start the IDLE watch thread ({e}): IDLE polls");
            return Watcher::default();
        }
        Watcher { inner: Some(inner) }
    }

    /// Wake-ups for changes in `dir`; `None` when it cannot be watched
    /// (the caller polls).
    pub fn subscribe(&self, dir: &Path) -> Option<Subscription> {
        let inner = self.inner.as_ref()?;
        let notify = Arc::new(Notify::new());
        {
            let mut st = inner.lock();
            if st.dead {
                return None;
            }
            if !st.by_dir.contains_key(dir) {
                let mask = inotify::WatchMask::MODIFY
                    | inotify::WatchMask::CREATE
                    | inotify::WatchMask::MOVED_TO
                    | inotify::WatchMask::DELETE
                    | inotify::WatchMask::CLOSE_WRITE;
                let wd = match st.watches.add(dir, mask) {
                    Ok(wd) => wd,
                    Err(e) => {
                        tracing::debug!("imap: cannot watch {}: {e}", dir.display());
                        return None;
                    }
                };
                st.dirs.insert(wd.clone(), dir.to_path_buf());
                st.by_dir.insert(
                    dir.to_path_buf(),
                    Watched {
                        wd,
                        waiters: Vec::new(),
                    },
                );
            }
            if let Some(w) = st.by_dir.get_mut(dir) {
                w.waiters.push(Arc::downgrade(&notify));
            }
        }
        Some(Subscription {
            notify,
            dir: dir.to_path_buf(),
            inner: Arc::clone(inner),
        })
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Subscription {
    /// Resolves at the next change in the directory (at once when one came
    /// since the last call).
    pub async fn changed(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut st = self.inner.lock();
        let Some(w) = st.by_dir.get_mut(&self.dir) else {
            return;
        };
        let me = Arc::as_ptr(&self.notify);
        w.waiters
            .retain(|n| n.strong_count() > 0 && !std::ptr::eq(n.as_ptr(), me));
        if w.waiters.is_empty() {
            let wd = w.wd.clone();
            st.by_dir.remove(&self.dir);
            st.dirs.remove(&wd);
            // Gone already when the directory was removed.
            let _ = st.watches.remove(wd);
        }
    }
}

/// The reading thread: wakes the waiters of each directory an event names,
/// until the watcher is dropped or reading fails.
fn read_events(mut inotify: inotify::Inotify, inner: &Weak<Inner>) {
    let mut buf = [0u8; 4096];
    loop {
        let events = match inotify.read_events_blocking(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("imap: reading inotify events failed ({e}): IDLE polls");
                if let Some(i) = inner.upgrade() {
                    let mut st = i.lock();
                    st.dead = true;
                    // Wake everyone: they poll from now on.
                    for w in st.by_dir.values() {
                        wake(&w.waiters);
                    }
                    st.by_dir.clear();
                    st.dirs.clear();
                }
                return;
            }
        };
        let Some(i) = inner.upgrade() else {
            return;
        };
        let st = i.lock();
        for ev in events {
            if let Some(w) = st.dirs.get(&ev.wd).and_then(|d| st.by_dir.get(d)) {
                wake(&w.waiters);
            }
        }
    }
}

fn wake(waiters: &[Weak<Notify>]) {
    for n in waiters.iter().filter_map(Weak::upgrade) {
        n.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_in_the_directory_wakes_each_subscriber_once_it_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let w = Watcher::start();
        let a = w.subscribe(dir.path()).expect("inotify on a local tmp dir");
        let b = w.subscribe(dir.path()).expect("a second subscriber");
        std::fs::write(dir.path().join("F00000001.PFJ"), b"x").unwrap();
        // Both wake (a permit each): no sleep stands in for the event.
        a.changed().await;
        b.changed().await;
        // The last one gone, the watch goes with it.
        drop(a);
        drop(b);
        let inner = w.inner.as_ref().unwrap();
        assert!(inner.lock().by_dir.is_empty());
    }
}
