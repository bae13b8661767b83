//! The Sieve vacation response tracking of one user, kept in
//! `[USERS...NAME]VACATION.PVS` (SPEC.md section 12): when each sender was
//! last sent a reply.
//!
//! The file has one `SENT` record per sender and no handle, so every
//! vacation action of a user shares one "already replied" state per
//! sender (RFC 5230 4.2 allows coarser tracking than per handle).

use popstore_formats::vacation::{Sent, VacationState};
use popstore_platform::LockMode;

use super::name::AccountName;
use super::{Result, Store};
use crate::sieve::vacation::ResponseTracker;

/// Entries older than this are dropped when the file is written (the
/// longest vacation period the engine allows by default).
pub const KEEP_SECONDS: i64 = 90 * 86_400;

/// A user's vacation tracking, read once, written back with [`save`].
///
/// [`save`]: VacationTracker::save
#[derive(Debug)]
pub struct VacationTracker<'a> {
    store: &'a Store,
    name: AccountName,
    state: VacationState,
    added: Vec<Sent>,
}

impl Store {
    /// Reads the vacation tracking of `name` (empty when there is none).
    pub fn vacation_tracker(&self, name: &AccountName) -> Result<VacationTracker<'_>> {
        let path = self.paths().user(name).vacation_state();
        Ok(VacationTracker {
            store: self,
            name: name.clone(),
            state: self.read_file::<VacationState>(&path)?.unwrap_or_default(),
            added: Vec::new(),
        })
    }
}

impl VacationTracker<'_> {
    /// Writes the replies recorded since reading, under the account lock,
    /// merged with what other deliveries wrote meanwhile; old entries
    /// (before `now - KEEP_SECONDS`) are dropped.
    pub fn save(self, now: i64) -> Result<()> {
        if self.added.is_empty() {
            return Ok(());
        }
        let s = self.store;
        let path = s.paths().user(&self.name).vacation_state();
        let _l = s.lock(&s.paths().account_lock(&self.name), LockMode::Exclusive)?;
        let mut cur = s.read_file::<VacationState>(&path)?.unwrap_or_default();
        for a in self.added {
            match cur.sent.iter_mut().find(|e| e.address == a.address) {
                Some(e) => e.last_sent = e.last_sent.max(a.last_sent),
                None => cur.sent.push(a),
            }
        }
        cur.sent.retain(|e| e.last_sent >= now - KEEP_SECONDS);
        s.write_file(&path, &cur)
    }
}

impl ResponseTracker for VacationTracker<'_> {
    fn last_response(&self, sender: &str, _handle: &str) -> Option<i64> {
        let sender = sender.to_ascii_lowercase();
        self.added
            .iter()
            .chain(self.state.sent.iter())
            .filter(|e| e.address == sender)
            .map(|e| e.last_sent)
            .max()
    }

    fn record_response(&mut self, sender: &str, _handle: &str, at: i64, _expires: i64) {
        self.added.push(Sent {
            last_sent: at,
            address: sender.to_ascii_lowercase(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::Settings;
    use crate::store::groups::Actor;

    #[test]
    fn replies_are_remembered_across_deliveries() {
        let mem = Arc::new(popstore_platform::MemVfs::new());
        let fs: Arc<dyn popstore_platform::Platform> =
            Arc::new(popstore_platform::PosixTree::memory_over(mem, 1).expect("memory tree"));
        let store = Store::init(fs, Settings::default()).expect("init");
        store
            .create_account(&Actor::Admin, "bob", &Default::default())
            .expect("account");
        let bob = store.name("bob").expect("name");
        let now = 1_780_000_000;
        let mut t = store.vacation_tracker(&bob).expect("tracker");
        assert_eq!(t.last_response("alice@example.com", "h"), None);
        t.record_response("Alice@Example.com", "h", now, now + 86_400);
        assert_eq!(t.last_response("alice@example.com", "h"), Some(now));
        t.save(now).expect("save");

        let t = store.vacation_tracker(&bob).expect("tracker");
        assert_eq!(t.last_response("alice@example.com", "other"), Some(now));
        let mut t2 = store.vacation_tracker(&bob).expect("tracker");
        t2.record_response("carol@example.com", "h", now + 10, now + 20);
        t2.save(now + KEEP_SECONDS + 5).expect("save");
        let t = store.vacation_tracker(&bob).expect("tracker");
        assert_eq!(
            t.last_response("alice@example.com", "h"),
            None,
            "expired entries are dropped"
        );
        assert_eq!(t.last_response("carol@example.com", "h"), Some(now + 10));
    }
}
