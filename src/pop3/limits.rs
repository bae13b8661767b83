//! Limits per client address: a delay that grows with each failed
//! authentication. (Sessions per address are counted by [`crate::slots`].)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Failures older than this are forgotten.
const FAILURE_MEMORY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
struct Client {
    failures: u32,
    last_failure: Option<Instant>,
}

/// The per-address bookkeeping shared by all listeners of a server.
#[derive(Debug)]
pub struct ClientLimits {
    base_delay: Duration,
    max_delay: Duration,
    clients: Mutex<HashMap<IpAddr, Client>>,
}

impl ClientLimits {
    /// Failed authentications delayed by `base_delay`, doubling, up to
    /// `max_delay`.
    pub fn new(base_delay: Duration, max_delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            base_delay,
            max_delay,
            clients: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Client>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a failed authentication from `ip`; returns how long to wait
    /// before answering: nothing for the first, then `base`, doubling.
    pub fn auth_failed(&self, ip: IpAddr) -> Duration {
        let mut clients = self.lock();
        let now = Instant::now();
        if clients.len() > 10_000 {
            clients.retain(|_, c| c.last_failure.is_some_and(|t| now - t < FAILURE_MEMORY));
        }
        let c = clients.entry(ip).or_default();
        if c.last_failure.is_some_and(|t| now - t > FAILURE_MEMORY) {
            c.failures = 0;
        }
        c.failures = c.failures.saturating_add(1);
        c.last_failure = Some(now);
        match c.failures {
            0 | 1 => Duration::ZERO,
            n => self
                .base_delay
                .saturating_mul(1u32 << (n - 2).min(20))
                .min(self.max_delay),
        }
    }

    /// Forgets the failures of `ip` after a successful login.
    pub fn auth_succeeded(&self, ip: IpAddr) {
        if let Some(c) = self.lock().get_mut(&ip) {
            c.failures = 0;
            c.last_failure = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_resets() {
        let l = ClientLimits::new(Duration::from_millis(10), Duration::from_millis(35));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let delays: Vec<u128> = (0..5).map(|_| l.auth_failed(ip).as_millis()).collect();
        assert_eq!(delays, vec![0, 10, 20, 35, 35]);
        l.auth_succeeded(ip);
        assert_eq!(l.auth_failed(ip), Duration::ZERO);
    }
}
