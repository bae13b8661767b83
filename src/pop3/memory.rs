//! An in-memory [`MaildropStore`]: the reference implementation of the
//! maildrop contract, for tests and examples.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use super::maildrop::{Entry, Maildrop, MaildropError, MaildropStore, MessageData, SessionRecord};

/// A message held in memory.
#[derive(Debug)]
pub struct MemoryMessage {
    bytes: Vec<u8>,
    dots: Vec<u64>,
}

impl MemoryMessage {
    /// A message from its bytes (CRLF line ends, not dot-stuffed).
    pub fn new(bytes: Vec<u8>) -> Self {
        let mut dots = Vec::new();
        let mut start = 0usize;
        while start < bytes.len() {
            if bytes[start] == b'.' {
                dots.push(start as u64);
            }
            match memchr::memchr(b'\n', &bytes[start..]) {
                Some(i) => start += i + 1,
                None => break,
            }
        }
        Self { bytes, dots }
    }
}

impl MessageData for MemoryMessage {
    fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    fn dot_lines(&self) -> &[u64] {
        &self.dots
    }
}

#[derive(Debug, Default)]
struct Mailbox {
    messages: Vec<(Entry, Arc<MemoryMessage>)>,
    locked: bool,
    sessions: u32,
}

#[derive(Debug, Default)]
struct Inner {
    boxes: HashMap<String, Mailbox>,
    next_uid: u64,
}

/// Maildrops in memory, keyed by lower-cased user name.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a message to `user`'s maildrop; returns its UIDL.
    pub fn deliver(&self, user: &str, bytes: Vec<u8>) -> String {
        let mut inner = self.lock();
        inner.next_uid += 1;
        let uidl = format!("mem{:08}", inner.next_uid);
        let msg = Arc::new(MemoryMessage::new(bytes));
        let entry = Entry {
            size: msg.bytes.len() as u64,
            uidl: uidl.clone(),
        };
        inner
            .boxes
            .entry(user.to_ascii_lowercase())
            .or_default()
            .messages
            .push((entry, msg));
        uidl
    }

    /// The UIDLs currently in `user`'s maildrop.
    pub fn uidls(&self, user: &str) -> Vec<String> {
        self.lock()
            .boxes
            .get(&user.to_ascii_lowercase())
            .map(|b| b.messages.iter().map(|(e, _)| e.uidl.clone()).collect())
            .unwrap_or_default()
    }

    /// How many sessions have ended (committed or abandoned) for `user`.
    pub fn sessions_recorded(&self, user: &str) -> u32 {
        self.lock()
            .boxes
            .get(&user.to_ascii_lowercase())
            .map_or(0, |b| b.sessions)
    }
}

impl MaildropStore for MemoryStore {
    fn open(
        &self,
        user: &str,
        _client: Option<IpAddr>,
    ) -> Result<Box<dyn Maildrop>, MaildropError> {
        let key = user.to_ascii_lowercase();
        let mut inner = self.lock();
        let mbox = inner.boxes.entry(key.clone()).or_default();
        if mbox.locked {
            return Err(MaildropError::InUse);
        }
        mbox.locked = true;
        let (entries, messages) = mbox.messages.iter().cloned().unzip();
        Ok(Box::new(MemoryMaildrop {
            store: self.clone(),
            user: key,
            entries,
            messages,
            open: true,
        }))
    }
}

struct MemoryMaildrop {
    store: MemoryStore,
    user: String,
    entries: Vec<Entry>,
    messages: Vec<Arc<MemoryMessage>>,
    open: bool,
}

impl MemoryMaildrop {
    fn release(&mut self, deleted: &[usize]) {
        if !self.open {
            return;
        }
        self.open = false;
        let gone: Vec<&str> = deleted
            .iter()
            .filter_map(|&i| self.entries.get(i).map(|e| e.uidl.as_str()))
            .collect();
        let mut inner = self.store.lock();
        if let Some(mbox) = inner.boxes.get_mut(&self.user) {
            mbox.messages
                .retain(|(e, _)| !gone.contains(&e.uidl.as_str()));
            mbox.locked = false;
        }
    }
}

impl Maildrop for MemoryMaildrop {
    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn message(&mut self, index: usize) -> Result<Arc<dyn MessageData>, MaildropError> {
        self.messages
            .get(index)
            .map(|m| Arc::clone(m) as Arc<dyn MessageData>)
            .ok_or_else(|| MaildropError::Temporary("no such message".into()))
    }

    fn commit(
        mut self: Box<Self>,
        deleted: &[usize],
        _record: &SessionRecord,
    ) -> Result<(), MaildropError> {
        self.release(deleted);
        self.count_session();
        Ok(())
    }

    fn abandon(mut self: Box<Self>, _record: &SessionRecord) {
        self.release(&[]);
        self.count_session();
    }
}

impl MemoryMaildrop {
    fn count_session(&self) {
        if let Some(mbox) = self.store.lock().boxes.get_mut(&self.user) {
            mbox.sessions += 1;
        }
    }
}

impl Drop for MemoryMaildrop {
    fn drop(&mut self) {
        self.release(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dot_lines() {
        let m = MemoryMessage::new(b".a\r\nb\r\n.c\r\n\r\n.".to_vec());
        assert_eq!(m.dots, vec![0, 7, 13]);
    }

    #[test]
    fn lock_snapshot_and_commit() {
        let s = MemoryStore::new();
        let u1 = s.deliver("Ann", b"one\r\n".to_vec());
        let u2 = s.deliver("ann", b"two\r\n".to_vec());
        let md = s.open("ANN", None).unwrap();
        assert_eq!(s.open("ann", None).err(), Some(MaildropError::InUse));
        s.deliver("ann", b"three\r\n".to_vec());
        assert_eq!(md.entries().len(), 2, "snapshot taken at open");
        drop(md);
        let md = s.open("ann", None).unwrap();
        assert_eq!(md.entries().len(), 3);
        let rec = SessionRecord {
            login_at: std::time::SystemTime::now(),
            duration: std::time::Duration::ZERO,
            client: None,
        };
        md.commit(&[0], &rec).unwrap();
        let left = s.uidls("ann");
        assert!(!left.contains(&u1) && left.contains(&u2));
        assert_eq!(s.sessions_recorded("ann"), 1);
    }
}
