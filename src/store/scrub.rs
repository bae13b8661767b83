//! The background scrub: every message file read whole and its checksums
//! checked (frame, header, body), at a bounded rate, one pass after
//! another, as a file-system scrub does. RETR and FETCH send message
//! bodies without per-byte work, so a bit flipped on disk would be served
//! as good mail; the scrub finds it, logs it with its recipients and
//! counts it, and `popstore verify` names the accounts that reference it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use popstore_formats::StoreFile;
use popstore_formats::message::{MessageFile, read_header};
use popstore_platform::{DirPath, Entry, ErrorKind};

use super::engine::Store;
use super::layout::MessageId;

/// What the scrub has done since the server started.
#[derive(Debug, Default)]
pub struct ScrubStats {
    /// Passes over the whole store completed.
    pub passes: AtomicU64,
    /// Message files checked.
    pub files: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
    /// Damaged message files found (each time found).
    pub damaged: AtomicU64,
}

/// A stop signal a sleeping scrub wakes up for at once.
#[derive(Debug, Default)]
pub struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// Tells the scrub to stop.
    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    /// Whether [`Stop::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps for `d` or until stopped; `true` when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stopped = self
                .wake
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// One damaged message file, as the scrub reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// The file, as the host spells it.
    pub path: String,
    /// What is wrong.
    pub reason: String,
    /// Its envelope recipients, when its header still reads.
    pub recipients: Vec<String>,
}

impl Store {
    /// Checks one message file whole (frame, header and body checksums):
    /// `Ok(Some(bytes))` when good, `Ok(None)` when it is gone,
    /// `Err(Damaged)` when it is not.
    pub fn check_message_file(&self, id: MessageId) -> Result<Option<u64>, Damaged> {
        let path = self.paths.message(id);
        let shown = || self.fs.display(&path);
        let map = match self.fs.map(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Damaged {
                    path: shown(),
                    reason: format!("cannot be read: {e}"),
                    recipients: Vec::new(),
                });
            }
        };
        match MessageFile::decode(&map) {
            Ok(_) => Ok(Some(map.len() as u64)),
            Err(e) => Err(Damaged {
                path: shown(),
                reason: e.to_string(),
                recipients: read_header(&map)
                    .map(|(h, _)| h.recipients)
                    .unwrap_or_default(),
            }),
        }
    }

    /// One scrub pass over the message files of every root, reading at
    /// most `rate` bytes per second; `damaged` is called for each damaged
    /// file. Returns early (`false`) when `stop` is signalled.
    pub fn scrub_pass(
        &self,
        rate: u64,
        stats: &ScrubStats,
        stop: &Stop,
        damaged: &mut dyn FnMut(Damaged),
    ) -> bool {
        let mut pacer = Pacer {
            rate: rate.max(1),
            started: Instant::now(),
            bytes: 0,
        };
        for root in 0..self.fs.roots() {
            let top = DirPath::root(root).child(
                popstore_formats::path::Ods2Name::new(popstore_formats::layout::MESSAGES_DIR)
                    .unwrap_or_else(|_| unreachable!("MESSAGES is a valid name")),
            );
            if !self.scrub_dir(&top, &mut pacer, stats, stop, damaged) {
                return false;
            }
        }
        stats.passes.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn scrub_dir(
        &self,
        dir: &DirPath,
        pacer: &mut Pacer,
        stats: &ScrubStats,
        stop: &Stop,
        damaged: &mut dyn FnMut(Damaged),
    ) -> bool {
        let Ok(entries) = self.fs.list(dir) else {
            return true; // gone, or unreadable: verify reports it
        };
        for e in entries {
            let go_on = match e {
                Entry::Dir(d) => self.scrub_dir(&dir.child(d), pacer, stats, stop, damaged),
                Entry::File { name, ftype } if ftype.as_str() == "MSG" => {
                    match MessageId::from_file_name(name.as_str()) {
                        Some(id) => {
                            let bytes = match self.check_message_file(id) {
                                Ok(b) => b.unwrap_or(0),
                                Err(d) => {
                                    stats.damaged.fetch_add(1, Ordering::Relaxed);
                                    damaged(d);
                                    0
                                }
                            };
                            stats.files.fetch_add(1, Ordering::Relaxed);
                            stats.bytes.fetch_add(bytes, Ordering::Relaxed);
                            !pacer.pace(bytes, stop)
                        }
                        None => true,
                    }
                }
                Entry::File { .. } => true,
            };
            if !go_on || stop.is_stopped() {
                return false;
            }
        }
        true
    }
}

/// Keeps the bytes read within `rate` per second since the pass started.
struct Pacer {
    rate: u64,
    started: Instant,
    bytes: u64,
}

impl Pacer {
    /// Accounts for `bytes` and sleeps until they are due; `true` when
    /// stopped meanwhile.
    fn pace(&mut self, bytes: u64, stop: &Stop) -> bool {
        self.bytes += bytes;
        let due = Duration::from_secs_f64(self.bytes as f64 / self.rate as f64);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            return stop.sleep(due - elapsed);
        }
        false
    }
}
