//! Connection slots: how many sessions a server serves at once, and how
//! they are shared among client addresses. LMTP and POP3 (with POP3S) each
//! keep one table; IMAP, poppassd and the web interface are to use the
//! same.
//!
//! The policy, against clients that would hold every slot by being slow
//! (a byte a second, or never reading their replies):
//!
//! - **A fair share per address.** One client address holds at most
//!   `per_client` sessions; a connection beyond it is refused. Sessions
//!   from a Unix socket have no address and no share (only the MTA
//!   connects there).
//! - **A full table makes room.** When every slot is taken, a new
//!   connection takes the slot of a session waiting on its client (for a
//!   command line, a piece of message data, or for the client to take a
//!   reply): one whose client has not completed a command yet if there is
//!   one, and of those the one that has waited longest. That session is
//!   told ([`Evict`]) and closes (with a reply saying the server is busy,
//!   when the client is still reading). Only when every session is working
//!   for its client (a store call) is the new connection refused.
//! - **Deadlines** (in each server's glue) bound every wait: a command
//!   line, a piece of message data and a reply each have their own.
//!
//! A session whose client answers at the pace of a real client waits
//! milliseconds at a time, so it is not the one that waited longest, and
//! once its client has completed a command it goes after every session
//! whose client never did: slow clients, from however many addresses and
//! however often they reconnect, can neither keep such a client out nor
//! push it out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// What a session waits for when it waits on its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Input: a command line, message data, a TLS handshake.
    Input,
    /// The client to take a reply.
    Output,
}

/// How a session is told it lost its slot: called once, with what it was
/// waiting for, while the table is locked (so it must neither block nor
/// use the table).
pub type Evict = Box<dyn Fn(Wait) + Send + Sync>;

/// Why a connection got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its address holds its share already.
    PerClient,
    /// Every slot is taken by a session working for its client.
    Full,
}

struct Entry {
    client: Option<IpAddr>,
    /// What the session waits for on its client and since when; `None`
    /// while it works.
    waiting: Option<(Wait, Instant)>,
    /// The client has completed a command.
    active: bool,
    evict: Evict,
}

#[derive(Default)]
struct Table {
    next: u64,
    sessions: HashMap<u64, Entry>,
    per_client: HashMap<IpAddr, usize>,
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.sessions.remove(&id)?;
        if let Some(ip) = entry.client
            && let Some(n) = self.per_client.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(&ip);
            }
        }
        Some(entry)
    }
}

/// The slots of one server, shared by its listeners.
pub struct Slots {
    name: &'static str,
    max: usize,
    per_client: usize,
    table: Mutex<Table>,
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots")
            .field("name", &self.name)
            .field("max", &self.max)
            .field("per_client", &self.per_client)
            .field("in_use", &self.in_use())
            .finish()
    }
}

/// A session's slot; dropping it frees the slot.
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    /// [`Slot::active`] was called (so it need not lock the table again).
    active: AtomicBool,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("id", &self.id).finish()
    }
}

impl Slots {
    /// A table of `max` slots (at least 1) for the server called `name`
    /// (in logs), at most `per_client` of them per client address (0: no
    /// share, only the total).
    pub fn new(name: &'static str, max: usize, per_client: usize) -> Arc<Slots> {
        Arc::new(Slots {
            name,
            max: max.max(1),
            per_client,
            table: Mutex::new(Table::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sessions holding a slot.
    pub fn in_use(&self) -> usize {
        self.lock().sessions.len()
    }

    /// A slot for a new connection from `client` (`None`: a Unix socket),
    /// taken from the session that has waited longest on its client when
    /// every slot is in use. `evict` tells this session when it loses the
    /// slot in turn. The new session counts as waiting for input from now.
    pub fn admit(self: &Arc<Self>, client: Option<IpAddr>, evict: Evict) -> Result<Slot, Refusal> {
        let mut t = self.lock();
        if let Some(ip) = client
            && self.per_client > 0
            && t.per_client.get(&ip).copied().unwrap_or(0) >= self.per_client
        {
            return Err(Refusal::PerClient);
        }
        if t.sessions.len() >= self.max {
            let victim = t
                .sessions
                .iter()
                .filter_map(|(&id, e)| e.waiting.map(|(wait, since)| (e.active, since, id, wait)))
                .min_by_key(|&(active, since, id, _)| (active, since, id));
            let Some((_, since, id, wait)) = victim else {
                return Err(Refusal::Full);
            };
            if let Some(e) = t.remove(id) {
                let waited_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
                let what = match wait {
                    Wait::Input => "input",
                    Wait::Output => "its client to take a reply",
                };
                let name = |c: Option<IpAddr>| c.map_or("local".to_string(), |ip| ip.to_string());
                tracing::warn!(
                    server = self.name,
                    client = %name(e.client),
                    newcomer = %name(client),
                    active = e.active,
                    waited_ms,
                    "all {} slots in use: closing the session that waited longest (for {what})",
                    self.max
                );
                (e.evict)(wait);
            }
        }
        t.next += 1;
        let id = t.next;
        if let Some(ip) = client {
            *t.per_client.entry(ip).or_default() += 1;
        }
        t.sessions.insert(
            id,
            Entry {
                client,
                waiting: Some((Wait::Input, Instant::now())),
                active: false,
                evict,
            },
        );
        crate::metrics::session_opened(&self.name.to_ascii_lowercase(), t.sessions.len());
        Ok(Slot {
            slots: Arc::clone(self),
            id,
            active: AtomicBool::new(false),
        })
    }
}

impl Slot {
    fn set(&self, waiting: Option<(Wait, Instant)>) -> bool {
        match self.slots.lock().sessions.get_mut(&self.id) {
            Some(e) => {
                e.waiting = waiting;
                true
            }
            None => false,
        }
    }

    /// The session now waits on its client for `what`, since `since` (when
    /// the command line, the piece of data or the reply began). False when
    /// it has lost its slot.
    pub fn waiting(&self, what: Wait, since: Instant) -> bool {
        self.set(Some((what, since)))
    }

    /// The session now works for its client (it keeps its slot meanwhile).
    /// False when it has lost its slot.
    pub fn working(&self) -> bool {
        self.set(None)
    }

    /// The client has completed a command: the session now goes after
    /// those whose clients never did.
    pub fn active(&self) {
        if self.active.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(e) = self.slots.lock().sessions.get_mut(&self.id) {
            e.active = true;
        }
    }

    /// True once the session has lost its slot to a new connection.
    pub fn evicted(&self) -> bool {
        !self.slots.lock().sessions.contains_key(&self.id)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.slots.lock();
        t.remove(self.id);
        let open = t.sessions.len();
        drop(t);
        crate::metrics::sessions_open(&self.slots.name.to_ascii_lowercase(), open);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// An `Evict` that records what the session waited for (1 input, 2
    /// output).
    fn recorder() -> (Evict, Arc<AtomicUsize>) {
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let evict: Evict = Box::new(move |w| {
            s.store(
                match w {
                    Wait::Input => 1,
                    Wait::Output => 2,
                },
                Ordering::SeqCst,
            );
        });
        (evict, seen)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_address_holds_its_share_and_no_more() {
        let slots = Slots::new("test", 10, 2);
        let a = slots.admit(ip("192.0.2.1"), recorder().0).unwrap();
        let _b = slots.admit(ip("192.0.2.1"), recorder().0).unwrap();
        assert_eq!(
            slots.admit(ip("192.0.2.1"), recorder().0).unwrap_err(),
            Refusal::PerClient
        );
        let _c = slots.admit(ip("192.0.2.2"), recorder().0).unwrap();
        // A Unix socket has no address and no share.
        let unix: Vec<Slot> = (0..5)
            .map(|_| slots.admit(None, recorder().0).unwrap())
            .collect();
        drop(a);
        let _d = slots.admit(ip("192.0.2.1"), recorder().0).unwrap();
        assert_eq!(slots.in_use(), 8);
        drop(unix);
        assert_eq!(slots.in_use(), 3, "dropped slots are free");
    }

    #[test]
    fn a_full_table_closes_the_session_that_waited_longest() {
        let slots = Slots::new("test", 3, 0);
        let t0 = Instant::now() - Duration::from_secs(10);
        let (e1, seen1) = recorder();
        let (e2, seen2) = recorder();
        let (e3, seen3) = recorder();
        let s1 = slots.admit(ip("192.0.2.1"), e1).unwrap();
        let s2 = slots.admit(ip("192.0.2.2"), e2).unwrap();
        let s3 = slots.admit(ip("192.0.2.3"), e3).unwrap();
        // s1 works; s2 has waited on a reply since t0; s3 for input since
        // a second later.
        assert!(s1.working());
        assert!(s2.waiting(Wait::Output, t0));
        assert!(s3.waiting(Wait::Input, t0 + Duration::from_secs(1)));

        let s4 = slots.admit(ip("192.0.2.4"), recorder().0).unwrap();
        assert_eq!(seen2.load(Ordering::SeqCst), 2, "told while writing");
        assert!(s2.evicted() && !s2.waiting(Wait::Input, t0) && !s2.working());
        assert_eq!(
            seen1.load(Ordering::SeqCst) + seen3.load(Ordering::SeqCst),
            0
        );

        // The newcomer waits for input since it came: younger than s3.
        let s5 = slots.admit(ip("192.0.2.5"), recorder().0).unwrap();
        assert_eq!(seen3.load(Ordering::SeqCst), 1, "told while reading");
        assert!(!s4.evicted());
        drop(s2);
        assert_eq!(slots.in_use(), 3);

        // Every session works: a newcomer is refused.
        assert!(s1.working() && s4.working() && s5.working());
        assert_eq!(
            slots.admit(ip("192.0.2.6"), recorder().0).unwrap_err(),
            Refusal::Full
        );
        assert!(!s1.evicted());
    }

    #[test]
    fn a_client_that_completed_a_command_goes_last() {
        let slots = Slots::new("test", 2, 0);
        let t0 = Instant::now() - Duration::from_secs(10);
        let (e1, seen1) = recorder();
        let old = slots.admit(ip("192.0.2.1"), e1).unwrap();
        let (e2, seen2) = recorder();
        let silent = slots.admit(ip("192.0.2.2"), e2).unwrap();
        // The active client has waited longer, but the silent one never
        // completed a command.
        old.active();
        assert!(old.waiting(Wait::Input, t0));
        assert!(silent.waiting(Wait::Input, t0 + Duration::from_secs(1)));
        let _new = slots.admit(ip("192.0.2.3"), recorder().0).unwrap();
        assert_eq!(seen2.load(Ordering::SeqCst), 1);
        assert_eq!(seen1.load(Ordering::SeqCst), 0);
        assert!(silent.evicted() && !old.evicted());
    }

    #[test]
    fn an_evicted_session_frees_its_address_share() {
        let slots = Slots::new("test", 2, 2);
        let a = slots.admit(ip("192.0.2.1"), recorder().0).unwrap();
        let b = slots.admit(ip("192.0.2.1"), recorder().0).unwrap();
        assert!(b.working());
        let _c = slots.admit(ip("192.0.2.2"), recorder().0).unwrap();
        assert!(a.evicted());
        // 192.0.2.1 now holds one session: it may open another (which
        // takes the slot of the one waiting, from 192.0.2.2).
        let _d = slots.admit(ip("192.0.2.1"), recorder().0).unwrap();
        drop(a);
        assert_eq!(slots.in_use(), 2);
    }
}
