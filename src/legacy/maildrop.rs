//! A Unix mail spool as a POP3 maildrop: read under the spool's locks at
//! login (then the locks go, so the MTA delivers while the user reads),
//! and DELE applied at QUIT by rewriting the spool under the locks again,
//! keeping whatever was delivered in the meantime.
//!
//! The rewrite is in place (the spool keeps its inode, owner and mode, and
//! an MTA that opened it before waits on the locks and then appends to
//! the right file). Before it, the spool's whole content is written to a
//! backup beside it (`.USER.popstore-backup`, synced), removed once the
//! rewrite is synced: a crash in between leaves the old content there.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock::{SessionLock, SpoolLock};
use super::mbox;
use crate::pop3::{Entry, Maildrop, MaildropError, MessageData, SessionRecord};

/// How long a login or a QUIT waits for an MTA to release the spool.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The spools in a session in this process (a second login to one gets
/// `[IN-USE]` without touching the file system; other processes and nodes
/// see the [`SessionLock`]).
static IN_USE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// A spool read for one POP3 session.
#[derive(Debug)]
pub struct SpoolDrop {
    spool: PathBuf,
    /// Held for the session: others, in any process, get `[IN-USE]`.
    _session: SessionLock,
    /// The spool's bytes at login.
    snapshot: Vec<u8>,
    messages: Vec<mbox::Message>,
    entries: Vec<Entry>,
}

fn temporary(what: &str, e: &dyn std::fmt::Display) -> MaildropError {
    tracing::warn!("pop3: mail spool: {what}: {e}");
    MaildropError::Temporary(format!(
        "the mail spool cannot be {what} now; try again later"
    ))
}

fn read_all(lock: &SpoolLock) -> std::io::Result<Vec<u8>> {
    let mut f = lock.file();
    f.seek(SeekFrom::Start(0))?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

impl SpoolDrop {
    /// Reads `spool` (a missing one is an empty maildrop).
    pub fn open(spool: &Path) -> Result<SpoolDrop, MaildropError> {
        {
            let mut set = IN_USE.lock().unwrap_or_else(|e| e.into_inner());
            if !set
                .get_or_insert_with(HashSet::new)
                .insert(spool.to_path_buf())
            {
                return Err(MaildropError::InUse);
            }
        }
        let session = match SessionLock::try_acquire(spool) {
            Ok(Some(l)) => l,
            Ok(None) => {
                release(spool);
                return Err(MaildropError::InUse);
            }
            Err(e) => {
                release(spool);
                return Err(temporary("locked", &e));
            }
        };
        let snapshot = match std::fs::metadata(spool) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            _ => SpoolLock::acquire(spool, LOCK_WAIT)
                .and_then(|l| read_all(&l))
                .map_err(|e| {
                    release(spool);
                    temporary("read", &e)
                })?,
        };
        let messages = mbox::split(&snapshot);
        let entries = messages
            .iter()
            .map(|m| Entry {
                size: m.size,
                uidl: m.uidl.clone(),
            })
            .collect();
        Ok(SpoolDrop {
            spool: spool.to_path_buf(),
            _session: session,
            snapshot,
            messages,
            entries,
        })
    }

    /// Applies the deletions: the kept messages of the snapshot, then what
    /// arrived since, written in place under the locks.
    fn rewrite(&self, deleted: &[usize]) -> Result<(), MaildropError> {
        let lock =
            SpoolLock::acquire(&self.spool, LOCK_WAIT).map_err(|e| temporary("locked", &e))?;
        let now = read_all(&lock).map_err(|e| temporary("read", &e))?;
        if !now.starts_with(&self.snapshot) {
            // Changed other than by appending (another reader deleted):
            // nothing is deleted rather than the wrong thing.
            tracing::warn!(spool = %self.spool.display(), "pop3: the mail spool changed during the session; DELE not applied");
            return Err(MaildropError::Temporary(
                "the mail spool was changed by another program; nothing was deleted".into(),
            ));
        }
        let mut new = Vec::with_capacity(now.len());
        for (i, m) in self.messages.iter().enumerate() {
            if deleted.binary_search(&i).is_err() {
                new.extend_from_slice(&self.snapshot[m.start..m.end]);
            }
        }
        let first = self
            .messages
            .first()
            .map_or(self.snapshot.len(), |m| m.start);
        new.splice(0..0, self.snapshot[..first].iter().copied());
        new.extend_from_slice(&now[self.snapshot.len()..]);
        let backup = backup_path(&self.spool);
        let write = || -> std::io::Result<()> {
            // Readable by no one else: it is the user's mail.
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut b = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&backup)?;
            b.write_all(&now)?;
            b.sync_all()?;
            let f = lock.file();
            f.write_all_at(&new, 0)?;
            f.set_len(new.len() as u64)?;
            f.sync_all()?;
            std::fs::remove_file(&backup)
        };
        write().map_err(|e| temporary("written", &e))
    }
}

impl SpoolDrop {
    /// The messages read at login (those kept by the last
    /// [`SpoolDrop::apply`] after one), in spool order.
    pub fn spool_messages(&self) -> &[mbox::Message] {
        &self.messages
    }

    /// The bytes of message `index` as clients get them (CRLF lines,
    /// `>From` unquoted, without its `From ` line), and its `From ` line.
    pub fn message_bytes(&self, index: usize) -> Option<(Vec<u8>, &[u8])> {
        let m = self.messages.get(index)?;
        let raw = &self.snapshot[m.start..m.end];
        let from = raw.split(|b| *b == b'\n').next().unwrap_or_default();
        Some((mbox::pop3_bytes(raw), from))
    }

    /// Takes in what was delivered since the spool was read: `Ok(true)`
    /// when messages were added after the known ones. Never waits: when
    /// the spool is locked by its MTA, or was changed other than by
    /// appending, nothing changes and a later look tries again.
    pub fn take_arrivals(&mut self) -> Result<bool, MaildropError> {
        let grown =
            std::fs::metadata(&self.spool).is_ok_and(|m| m.len() > self.snapshot.len() as u64);
        if !grown {
            return Ok(false);
        }
        let Ok(lock) = SpoolLock::acquire(&self.spool, Duration::ZERO) else {
            return Ok(false);
        };
        let now = read_all(&lock).map_err(|e| temporary("read", &e))?;
        drop(lock);
        if !now.starts_with(&self.snapshot) {
            return Ok(false);
        }
        let messages = mbox::split(&now);
        // The known messages must stay exactly as they were.
        let same = messages.len() > self.messages.len()
            && self
                .messages
                .iter()
                .zip(&messages)
                .all(|(a, b)| a.start == b.start && a.end == b.end && a.uidl == b.uidl);
        if !same {
            return Ok(false);
        }
        self.snapshot = now;
        self.messages = messages;
        self.entries = self
            .messages
            .iter()
            .map(|m| Entry {
                size: m.size,
                uidl: m.uidl.clone(),
            })
            .collect();
        Ok(true)
    }

    /// Deletes messages `deleted` (ascending indexes) now, as a QUIT
    /// would, keeping mail delivered meanwhile; afterwards the session
    /// goes on with the kept messages (in order, indexes renumbered).
    pub fn apply(&mut self, deleted: &[usize]) -> Result<(), MaildropError> {
        if deleted.is_empty() {
            return Ok(());
        }
        self.rewrite(deleted)?;
        let first = self
            .messages
            .first()
            .map_or(self.snapshot.len(), |m| m.start);
        let mut kept = self.snapshot[..first].to_vec();
        for (i, m) in self.messages.iter().enumerate() {
            if deleted.binary_search(&i).is_err() {
                kept.extend_from_slice(&self.snapshot[m.start..m.end]);
            }
        }
        self.snapshot = kept;
        self.messages = mbox::split(&self.snapshot);
        self.entries = self
            .messages
            .iter()
            .map(|m| Entry {
                size: m.size,
                uidl: m.uidl.clone(),
            })
            .collect();
        Ok(())
    }
}

fn backup_path(spool: &Path) -> PathBuf {
    let name = spool
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    spool.with_file_name(format!(".{name}.popstore-backup"))
}

fn release(spool: &Path) {
    let mut set = IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = set.as_mut() {
        s.remove(spool);
    }
}

impl Drop for SpoolDrop {
    fn drop(&mut self) {
        release(&self.spool);
    }
}

/// One message's POP3 bytes.
struct Owned {
    bytes: Vec<u8>,
    dots: Vec<u64>,
}

impl MessageData for Owned {
    fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    fn dot_lines(&self) -> &[u64] {
        &self.dots
    }
}

impl Maildrop for SpoolDrop {
    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn message(&mut self, index: usize) -> Result<Arc<dyn MessageData>, MaildropError> {
        let m = self
            .messages
            .get(index)
            .ok_or_else(|| MaildropError::Temporary("no such message".into()))?;
        let bytes = mbox::pop3_bytes(&self.snapshot[m.start..m.end]);
        let dots = crate::mime::canonical::dot_lines(&bytes);
        Ok(Arc::new(Owned { bytes, dots }))
    }

    fn commit(
        self: Box<Self>,
        deleted: &[usize],
        _record: &SessionRecord,
    ) -> Result<(), MaildropError> {
        if deleted.is_empty() {
            return Ok(());
        }
        let mut d = deleted.to_vec();
        d.sort_unstable();
        self.rewrite(&d)
    }

    fn abandon(self: Box<Self>, _record: &SessionRecord) {}
}
