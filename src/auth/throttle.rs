//! The failed-login throttle shared by every protocol that checks
//! passwords (POP3 now; IMAP, poppassd, ManageSieve and the web later).
//!
//! Failures are counted per (client address, target account) and, as a
//! second dimension, per client address over the accounts it is failing
//! at. A login's answer (success or failure) is held until that pair's
//! and that address's next free moment; each failure pushes the pair's
//! next free moment on by a delay that doubles (`base`, `2 base`, ... up
//! to `max`), so answers at one pair are spaced whatever the number of
//! sessions asking at once: 50 parallel sessions guessing one account get
//! their answers one delay apart, not 50 at a time. A success clears only
//! its own pair: logging in to one's own account does not reset the count
//! of guesses at another. The address dimension grows with the number of
//! distinct accounts an address is failing at (spraying one password over
//! many accounts), with one account free (a user's typos do not slow down
//! the neighbours behind the same NAT).
//!
//! An IPv6 client is keyed by its /64 (one host owns a whole /64). Memory
//! is bounded: entries are forgotten [`MEMORY`] after their last failure,
//! at most [`MAX_ENTRIES`] pairs are kept (the oldest go first) and
//! account names are cut at 64 bytes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Failures older than this are forgotten.
pub const MEMORY: Duration = Duration::from_secs(15 * 60);

/// The most (address, account) pairs remembered.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Slot {
    failures: u32,
    /// When the next answer may go out.
    next: Instant,
    last_failure: Instant,
}

#[derive(Debug, Default)]
struct Tables {
    pairs: HashMap<(IpAddr, String), Slot>,
    /// Per address: the slot, whose `failures` is the number of accounts
    /// in `pairs` this address is failing at.
    addresses: HashMap<IpAddr, Slot>,
}

/// The throttle; share one across a server's listeners and protocols.
#[derive(Debug)]
pub struct AuthThrottle {
    base: Duration,
    max: Duration,
    tables: Mutex<Tables>,
}

/// The client key: the address, or an IPv6 address's /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(
            v6.to_ipv4_mapped()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
        ),
        v4 => v4,
    }
}

/// The account key: the name as the client gave it, folded and cut.
fn account_key(account: &str) -> String {
    let mut a = account.trim().to_lowercase();
    if a.len() > 64 {
        let mut cut = 64;
        while !a.is_char_boundary(cut) {
            cut -= 1;
        }
        a.truncate(cut);
    }
    a
}

impl AuthThrottle {
    /// A throttle whose second failure at a pair waits `base`, doubling
    /// with each further one up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            tables: Mutex::new(Tables::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The spacing after `n` failures: none for none, then `base`,
    /// doubling, up to `max`.
    fn spacing(&self, n: u32) -> Duration {
        match n {
            0 => Duration::ZERO,
            n => self
                .base
                .saturating_mul(1u32 << (n - 1).min(20))
                .min(self.max),
        }
    }

    /// Records a failed login at `account` from `ip`; returns how long to
    /// hold the answer.
    pub fn failed(&self, ip: IpAddr, account: &str) -> Duration {
        self.failed_at(ip, account, Instant::now())
    }

    fn failed_at(&self, ip: IpAddr, account: &str, now: Instant) -> Duration {
        let (ip, account) = (client_key(ip), account_key(account));
        let mut t = self.lock();
        if t.pairs.len() >= MAX_ENTRIES {
            Self::sweep(&mut t, now);
        }
        let fresh = Slot {
            failures: 0,
            next: now,
            last_failure: now,
        };
        let pair = t.pairs.entry((ip, account)).or_insert(fresh);
        let new_account = pair.failures == 0;
        let at = pair.next.max(now);
        pair.failures = pair.failures.saturating_add(1);
        pair.next = at + self.spacing(pair.failures);
        pair.last_failure = now;
        let addr = t.addresses.entry(ip).or_insert(fresh);
        if new_account {
            addr.failures = addr.failures.saturating_add(1);
        }
        let addr_at = addr.next.max(now);
        // One account an address fails at is free.
        addr.next = addr_at + self.spacing(addr.failures.saturating_sub(1));
        addr.last_failure = now;
        at.max(addr_at) - now
    }

    /// Records a successful login at `account` from `ip`: clears that
    /// pair only; returns how long to hold the answer (until the pair's
    /// and the address's next free moment).
    pub fn succeeded(&self, ip: IpAddr, account: &str) -> Duration {
        self.succeeded_at(ip, account, Instant::now())
    }

    fn succeeded_at(&self, ip: IpAddr, account: &str, now: Instant) -> Duration {
        let (ip, account) = (client_key(ip), account_key(account));
        let mut t = self.lock();
        let at = match t.pairs.remove(&(ip, account)) {
            Some(p) => {
                if let Some(a) = t.addresses.get_mut(&ip) {
                    a.failures = a.failures.saturating_sub(1);
                }
                p.next
            }
            None => now,
        };
        let addr_at = t.addresses.get(&ip).map_or(now, |a| a.next);
        at.max(addr_at).saturating_duration_since(now)
    }

    /// Forgets what is older than [`MEMORY`]; when still full, the pairs
    /// whose last failure is oldest.
    fn sweep(t: &mut Tables, now: Instant) {
        let old =
            |s: &Slot| now.saturating_duration_since(s.last_failure) > MEMORY && s.next <= now;
        t.pairs.retain(|_, s| !old(s));
        if t.pairs.len() >= MAX_ENTRIES {
            let mut ages: Vec<Instant> = t.pairs.values().map(|s| s.last_failure).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 4];
            t.pairs.retain(|_, s| s.last_failure > cut);
        }
        let mut counts: HashMap<IpAddr, u32> = HashMap::new();
        for (ip, _) in t.pairs.keys() {
            *counts.entry(*ip).or_default() += 1;
        }
        t.addresses.retain(|ip, s| {
            s.failures = counts.get(ip).copied().unwrap_or(0);
            s.failures > 0 || !old(s)
        });
    }

    /// The number of (address, account) pairs remembered.
    pub fn len(&self) -> usize {
        self.lock().pairs.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn answers_at_one_pair_are_spaced_by_a_doubling_delay() {
        let t = AuthThrottle::new(10 * MS, 35 * MS);
        let a = ip("192.0.2.1");
        // Asked all at once (parallel sessions): the holds grow by the
        // spacing, so the last answer comes after their sum.
        let now = Instant::now();
        let ms: Vec<u128> = (0..5)
            .map(|_| t.failed_at(a, "ann", now).as_millis())
            .collect();
        assert_eq!(ms, [0, 10, 30, 65, 100]);
        // A success waits its turn too, then clears the pair.
        assert_eq!(t.succeeded_at(a, "ann", now).as_millis(), 135);
        assert_eq!(t.failed_at(a, "ann", now), Duration::ZERO);
    }

    #[test]
    fn a_success_elsewhere_does_not_reset_the_count() {
        let t = AuthThrottle::new(10 * MS, 1000 * MS);
        let a = ip("192.0.2.1");
        let now = Instant::now();
        for _ in 0..4 {
            t.failed_at(a, "victim", now);
            assert_eq!(t.succeeded_at(a, "me", now), Duration::ZERO);
        }
        // 4 failures: the fifth answer waits 10 + 20 + 40 + 80.
        assert_eq!(t.failed_at(a, "victim", now), 150 * MS);
        // Its own success clears the pair, not the address's other pairs.
        t.succeeded(a, "victim");
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn spraying_many_accounts_from_one_address_is_slowed() {
        let t = AuthThrottle::new(10 * MS, 1000 * MS);
        let a = ip("192.0.2.1");
        let now = Instant::now();
        let holds: Vec<u128> = (0..5)
            .map(|i| t.failed_at(a, &format!("u{i}"), now).as_millis())
            .collect();
        // One account is free: the first two answers at once, then 10,
        // 20, 40 apart.
        assert_eq!(holds, [0, 0, 10, 30, 70]);
        // Another address is not affected; names fold case.
        assert_eq!(t.failed_at(ip("192.0.2.2"), "u0", now), Duration::ZERO);
        assert!(t.failed_at(a, " U0 ", now) > Duration::ZERO);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let t = AuthThrottle::new(10 * MS, 1000 * MS);
        let now = Instant::now();
        t.failed_at(ip("2001:db8::1"), "ann", now);
        assert!(t.failed_at(ip("2001:db8::2:3"), "ann", now) > Duration::ZERO);
        assert_eq!(
            t.failed_at(ip("2001:db8:0:1::1"), "ann", now),
            Duration::ZERO
        );
    }

    #[test]
    fn memory_is_bounded() {
        let t = AuthThrottle::new(MS, MS);
        for i in 0..(MAX_ENTRIES + 10) {
            t.failed(
                IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]),
                "x",
            );
        }
        assert!(t.len() <= MAX_ENTRIES, "{}", t.len());
        let long = "x".repeat(10_000);
        t.failed(ip("192.0.2.9"), &long);
        assert!(t.lock().pairs.keys().all(|(_, a)| a.len() <= 64));
    }
}
