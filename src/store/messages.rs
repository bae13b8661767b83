//! Single-copy message files and per-user message lists (SPEC.md sections
//! 7, 13 and 15).
//!
//! One message file holds a message for all its popstore recipients; its
//! header's reference count is set at creation to the number of references
//! about to be made. Delivery: file durable, then references, then the
//! acknowledgement. Deletion: reference removed first, then the count
//! lowered or the file removed. So after a crash a count may be too high
//! (an orphan `verify --repair` removes), never too low.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};

use popstore_formats::StoreFile;
use popstore_formats::message::{
    BodyInfo, MessageFile, MessageHeader, encode_refcount, read_body_info, read_header,
};
use popstore_formats::msglist::{Entry, EntryFlags};
use popstore_platform::{DirPath, ErrorKind, LockMode, Mapped, RecordFormat};

use super::engine::Store;
use super::error::{Result, StoreError};
use super::layout::MessageId;
use super::name::AccountName;

/// Byte offset of the reference count (and its complement) in a message file.
const REFCOUNT_AT: usize = 44;

/// A message file opened for reading: the mapped file and where its body
/// lies in it.
#[derive(Debug)]
pub struct MessageView {
    /// The message file's header.
    pub header: MessageHeader,
    /// Where the body is, its length, lines and dot-line offsets.
    pub info: BodyInfo,
    map: Mapped,
}

impl MessageView {
    /// The body in stored form (CRLF lines, not dot-stuffed): write slices
    /// of it; for POP3, stuff a dot before each offset of
    /// [`BodyInfo::dot_lines`].
    pub fn body(&self) -> &[u8] {
        self.map.get(self.info.range()).unwrap_or(&[])
    }
}

/// A message file's body opened for sending (POP3): the map and where
/// the body lies, without the decoded envelope and IMAP data.
#[derive(Debug)]
pub struct MessageBody {
    /// Where the body is, its length, lines and dot-line offsets.
    pub info: BodyInfo,
    map: Mapped,
}

impl MessageBody {
    /// The body in stored form (CRLF lines, not dot-stuffed).
    pub fn body(&self) -> &[u8] {
        self.map.get(self.info.range()).unwrap_or(&[])
    }
}

/// A reference waiting to be written by a group commit.
#[derive(Debug)]
pub(crate) struct Slot {
    id: MessageId,
    size: u64,
    time: i64,
    flags: EntryFlags,
    done: OnceLock<std::result::Result<(), String>>,
}

impl Slot {
    /// The outcome of the commit that wrote this reference.
    fn result(&self) -> Result<()> {
        match self.done.get() {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(StoreError::Invalid(e.clone())),
            None => Err(StoreError::Invalid("reference not committed".into())),
        }
    }

    /// Bytes of the message.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The list entry for this reference, with UIDL number `n`.
    pub(crate) fn entry(&self, n: u64) -> Entry {
        Entry {
            message: self.id,
            size: self.size,
            delivered: Some(self.time),
            flags: self.flags,
            uidl: format!("{}.{n}", self.id.file_name()),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh message id on root 0: bits 24..55 are the time in units of
/// 64 seconds (so consecutive messages share a message directory when the
/// store places files by id, SPEC.md 14.4), bits 0..23 are drawn from the
/// OS's randomness (through std's `RandomState`), the time and a counter.
/// Creation is exclusive, so a collision just draws again.
pub fn new_message_id() -> MessageId {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(t);
    h.write_u32(std::process::id());
    let period = ((t / 1_000_000_000) >> 6) as u64 & 0xFFFF_FFFF;
    MessageId((period << 24) | (h.finish() & 0x00FF_FFFF))
}

/// The encoded message file of `header` and `body`.
fn encode(header: MessageHeader, body: Vec<u8>) -> Result<Vec<u8>> {
    MessageFile::new(header, body)
        .encode()
        .map_err(|e| StoreError::Invalid(format!("cannot encode the message: {e}")))
}

/// A message file written by [`Store::stage_message`], not yet under its
/// name.
#[derive(Debug)]
pub(crate) struct StagedMessage {
    id: MessageId,
    staged: popstore_platform::Staged,
    /// Its bytes, for a new name if the drawn one is taken meanwhile.
    bytes: Vec<u8>,
}

impl Store {
    /// Writes a message file whose reference count is `refs`, durable when
    /// it returns, and gives its id.
    pub fn write_message(&self, header: MessageHeader, body: Vec<u8>) -> Result<MessageId> {
        let bytes = encode(header, body)?;
        self.create_message_file(None, &[&bytes])
    }

    /// Writes a message file of `header` and `body` (canonical) without
    /// joining them in memory (`body` may be the map of a spool), durable
    /// when it returns; tries id `first` before drawing fresh ones.
    pub fn write_message_from(
        &self,
        header: &MessageHeader,
        body: &[u8],
        first: Option<MessageId>,
    ) -> Result<MessageId> {
        let info = popstore_formats::message::BodyInfo::of(body);
        let head = popstore_formats::message::encode_head(header, &info)
            .map_err(|e| StoreError::Invalid(format!("cannot encode the message: {e}")))?;
        let pad = [0u8; 512];
        let pad = &pad[..popstore_formats::message::body_padding(body.len() as u64)];
        self.create_message_file(first, &[&head, body, pad])
    }

    /// The directory of message `id`, made when this process has not
    /// seen it yet; whether it was known.
    pub(crate) fn message_dir(&self, id: MessageId) -> Result<(DirPath, bool)> {
        let dir = DirPath::of(&self.paths.message(id));
        let known = self.lock_known_dirs().contains(&dir);
        if !known {
            self.ensure_dir(&dir)?;
            let mut dirs = self.lock_known_dirs();
            if dirs.len() >= 4096 {
                dirs.clear(); // one per 64-second window: keep it bounded
            }
            dirs.insert(dir.clone());
        }
        Ok((dir, known))
    }

    fn create_message_file(&self, first: Option<MessageId>, parts: &[&[u8]]) -> Result<MessageId> {
        for i in 0..32 {
            let id = match (i, first) {
                (0, Some(id)) => id,
                _ => new_message_id(),
            };
            let path = self.paths.message(id);
            let (dir, known) = self.message_dir(id)?;
            match self.fs.create_new_parts(&path, RecordFormat::Fix512, parts) {
                Ok(()) => return Ok(id),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                // Removed behind our back (by hand): make it again.
                Err(e) if e.kind() == ErrorKind::NotFound && known => {
                    self.lock_known_dirs().remove(&dir);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Invalid(
            "could not draw a free message id".into(),
        ))
    }

    /// The first half of writing many message files at once: each is
    /// written where no reader sees it, unsynced ([`Platform::stage_new`]);
    /// [`Store::commit_messages`] makes them durable together and only
    /// then puts them under their names.
    ///
    /// [`Platform::stage_new`]: popstore_platform::Platform::stage_new
    pub(crate) fn stage_message(
        &self,
        header: MessageHeader,
        body: Vec<u8>,
    ) -> Result<StagedMessage> {
        let bytes = encode(header, body)?;
        let id = new_message_id();
        self.message_dir(id)?;
        let staged = self
            .fs
            .stage_new(&self.paths.message(id), RecordFormat::Fix512, &bytes)?;
        Ok(StagedMessage { id, staged, bytes })
    }

    /// The second half: the staged files made durable together and put
    /// under their names; each gives its id (a name taken meanwhile gets
    /// the file under a new one, durably) or its error. An id given is of
    /// a durable file.
    pub(crate) fn commit_messages(&self, staged: Vec<StagedMessage>) -> Vec<Result<MessageId>> {
        let mut files = Vec::with_capacity(staged.len());
        let mut rest = Vec::with_capacity(staged.len());
        for s in staged {
            files.push(s.staged);
            rest.push((s.id, s.bytes));
        }
        let done = self.fs.commit_staged(files);
        done.into_iter()
            .zip(rest)
            .map(|(r, (id, bytes))| match r {
                Ok(()) => Ok(id),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    self.create_message_file(None, &[&bytes])
                }
                Err(e) => Err(e.into()),
            })
            .collect()
    }

    fn lock_known_dirs(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<DirPath>> {
        self.known_dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Maps a message file for reading (checks its header).
    pub fn open_message(&self, id: MessageId) -> Result<MessageView> {
        let _timer = crate::metrics::op_timer("message_open");
        let path = self.paths.message(id);
        let map = self.fs.map(&path)?;
        let (header, info) = read_header(&map).map_err(|e| self.corrupt(&path, e.to_string()))?;
        Ok(MessageView { header, info, map })
    }

    /// Maps a message file's body for sending: the frame and header
    /// checksum are checked as [`Store::open_message`] does, but the
    /// envelope and IMAP records are not decoded.
    pub fn open_body(&self, id: MessageId) -> Result<MessageBody> {
        let _timer = crate::metrics::op_timer("message_open");
        let path = self.paths.message(id);
        let map = self.fs.map(&path)?;
        let info = read_body_info(&map).map_err(|e| self.corrupt(&path, e.to_string()))?;
        Ok(MessageBody { info, map })
    }

    /// The reference count of a message file, or `None` when it is gone.
    pub fn reference_count(&self, id: MessageId) -> Result<Option<u32>> {
        match self.open_message(id) {
            Ok(v) => Ok(Some(v.header.ref_count)),
            Err(StoreError::Platform(e)) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets a message file's reference count (removing the file at 0).
    /// The platform has no in-place write, so the file is replaced whole
    /// with only bytes 44..52 changed (SPEC.md 15 allows either).
    pub fn set_reference_count(&self, id: MessageId, count: u32) -> Result<()> {
        let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
        self.write_count(id, count)
    }

    /// Sets the count; the caller holds the refs lock.
    pub(crate) fn set_count_locked(&self, id: MessageId, count: u32) -> Result<()> {
        self.write_count(id, count)
    }

    fn write_count(&self, id: MessageId, count: u32) -> Result<()> {
        let path = self.paths.message(id);
        if count == 0 {
            return match self.fs.remove(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.into()),
            };
        }
        let mut bytes = self.fs.read(&path)?;
        if bytes.len() < REFCOUNT_AT + 8 {
            return Err(self.corrupt(&path, "message file too short"));
        }
        bytes[REFCOUNT_AT..REFCOUNT_AT + 8].copy_from_slice(&encode_refcount(count));
        self.fs.replace(&path, RecordFormat::Fix512, &bytes)?;
        Ok(())
    }

    /// Drops `n` references to a message file; removes the file with the
    /// last one. Call only after the references are durably gone.
    pub fn release(&self, id: MessageId, n: u32) -> Result<()> {
        let _l = self.lock(&self.paths.refs_lock(id), LockMode::Exclusive)?;
        let Some(count) = self.reference_count(id)? else {
            return Ok(());
        };
        self.write_count(id, count.saturating_sub(n))
    }

    /// Adds a reference to `id` to an account's list, under its lock, with
    /// the given state flags (Sieve's `\\Seen`/`\\Deleted`). Durable when it
    /// returns.
    ///
    /// Group commit: concurrent deliveries to one account in this process
    /// queue their entries. The first becomes the committer: it takes the
    /// account lock and writes everything queued (one journal append, or
    /// one replace of the list and profile), again and again until the
    /// queue is empty; the others sleep until their entry is durable and
    /// never touch the lock, so no thread polls a lock another holds.
    pub(crate) fn add_reference(
        &self,
        name: &AccountName,
        id: MessageId,
        size: u64,
        time: i64,
        flags: EntryFlags,
    ) -> Result<()> {
        let slot = Arc::new(Slot {
            id,
            size,
            time,
            flags,
            done: OnceLock::new(),
        });
        let mut queue = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let p = queue.entry(name.clone()).or_default();
        p.slots.push(Arc::clone(&slot));
        if p.committing {
            while slot.done.get().is_none() {
                queue = self
                    .committed
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            drop(queue);
            return slot.result();
        }
        p.committing = true;
        drop(queue);
        let lock = self.lock(&self.paths.account_lock(name), LockMode::Exclusive);
        loop {
            let batch = {
                let mut queue = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                let batch = queue
                    .get_mut(name)
                    .map(|p| std::mem::take(&mut p.slots))
                    .unwrap_or_default();
                if batch.is_empty() {
                    queue.remove(name);
                    break;
                }
                batch
            };
            let r = match &lock {
                Ok(_) => self.write_batch(name, &batch).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            for s in &batch {
                let _ = s.done.set(r.clone());
            }
            let _queue = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            self.committed.notify_all();
        }
        drop(lock);
        slot.result()
    }
}

/// The references queued for one account, and whether a thread is
/// committing them.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    slots: Vec<Arc<Slot>>,
    committing: bool,
}
