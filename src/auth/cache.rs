//! The credentials cache (like Dovecot's `auth_cache`): remembers for a
//! while that a password was accepted (or refused) by the password
//! sources, so a client polling every minute does not cost an LDAP bind or
//! a program run each time.
//!
//! Nothing in it is a password: entries are keyed by an HMAC of the
//! account name, and hold an HMAC of name and password, under a key made
//! at random when the process starts. A temporary failure is never
//! remembered. A password change through popstore forgets the account at
//! once; a change made elsewhere (in the directory itself) is seen when
//! the entry expires.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{ChangeOutcome, LookupError, PasswordSource, Secret};

/// How long answers are remembered, and for how many accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Lifetime of an accepted password (zero: not remembered).
    pub ttl: Duration,
    /// Lifetime of a refused password (zero: not remembered).
    pub negative_ttl: Duration,
    /// Accounts remembered at most (the oldest entries go first).
    pub size: usize,
}

impl CacheConfig {
    /// True when anything is remembered.
    pub fn enabled(&self) -> bool {
        self.size > 0 && !(self.ttl.is_zero() && self.negative_ttl.is_zero())
    }
}

/// Refused passwords remembered per account: a client retrying a stale
/// password, and a few typos.
const NEGATIVE_PER_ACCOUNT: usize = 4;

type Digest = [u8; 32];

#[derive(Debug, Default)]
struct Entry {
    positive: Option<(Digest, Instant)>,
    negative: Vec<(Digest, Instant)>,
    touched: Option<Instant>,
}

/// A [`PasswordSource`] that remembers another's answers.
#[derive(Debug)]
pub struct CachedSource {
    inner: Arc<dyn PasswordSource>,
    config: CacheConfig,
    key: [u8; 32],
    entries: Mutex<HashMap<Digest, Entry>>,
}

impl CachedSource {
    /// A cache in front of `inner`.
    pub fn new(inner: Arc<dyn PasswordSource>, config: CacheConfig) -> Self {
        let mut key = [0u8; 32];
        // Without randomness the key is still secret to clients (never
        // shown); fall back to the clock rather than refuse to start.
        if getrandom::fill(&mut key).is_err() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            key = super::verifiers::hmac_sha256(&t.to_le_bytes(), b"popstore auth cache");
        }
        Self {
            inner,
            config,
            key,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn account_key(&self, user: &str) -> Digest {
        super::verifiers::hmac_sha256(&self.key, user.to_lowercase().as_bytes())
    }

    fn password_key(&self, user: &str, password: &Secret<String>) -> Digest {
        let mut data = user.to_lowercase().into_bytes();
        data.push(0);
        data.extend_from_slice(password.expose().as_bytes());
        super::verifiers::hmac_sha256(&self.key, &data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The remembered answer, if one is still valid.
    fn lookup(&self, account: &Digest, pw: &Digest, now: Instant) -> Option<bool> {
        let map = self.lock();
        let e = map.get(account)?;
        if let Some((d, until)) = &e.positive
            && super::constant_time_eq(d, pw)
            && *until > now
        {
            return Some(true);
        }
        e.negative
            .iter()
            .any(|(d, until)| super::constant_time_eq(d, pw) && *until > now)
            .then_some(false)
    }

    fn remember(&self, account: Digest, pw: Digest, accepted: bool, now: Instant) {
        let ttl = if accepted {
            self.config.ttl
        } else {
            self.config.negative_ttl
        };
        if ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= self.config.size && !map.contains_key(&account) {
            // Make room: drop what expired, else the least recently used.
            map.retain(|_, e| {
                e.positive.is_some_and(|(_, t)| t > now) || e.negative.iter().any(|(_, t)| *t > now)
            });
            if map.len() >= self.config.size
                && let Some(oldest) = map.iter().min_by_key(|(_, e)| e.touched).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        let e = map.entry(account).or_default();
        e.touched = Some(now);
        e.negative.retain(|(d, t)| *t > now && *d != pw);
        if accepted {
            e.positive = Some((pw, now + ttl));
        } else {
            if e.positive.is_some_and(|(d, _)| d == pw) {
                e.positive = None;
            }
            if e.negative.len() >= NEGATIVE_PER_ACCOUNT {
                e.negative.remove(0);
            }
            e.negative.push((pw, now + ttl));
        }
    }

    /// Forgets everything about `user`.
    pub fn forget(&self, user: &str) {
        let account = self.account_key(user);
        self.lock().remove(&account);
    }

    /// The number of accounts remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PasswordSource for CachedSource {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError> {
        let (account, pw) = (self.account_key(user), self.password_key(user, password));
        if let Some(answer) = self.lookup(&account, &pw, Instant::now()) {
            crate::metrics::password_check("cache", Some(answer));
            super::set_answered("cache");
            return Ok(answer);
        }
        let answer = self.inner.verify(user, password)?;
        self.remember(account, pw, answer, Instant::now());
        Ok(answer)
    }

    fn change_password(
        &self,
        user: &str,
        old: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<ChangeOutcome, LookupError> {
        self.forget(user);
        let r = self.inner.change_password(user, old, new);
        self.forget(user);
        r
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// Accepts "right", refuses others, is down for "down"; counts calls.
    #[derive(Debug, Default)]
    struct Counting(AtomicU32);

    impl PasswordSource for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        fn verify(&self, _: &str, pw: &Secret<String>) -> Result<bool, LookupError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            match pw.expose().as_str() {
                "down" => Err(LookupError::Temporary("down".into())),
                p => Ok(p == "right"),
            }
        }
    }

    fn pw(s: &str) -> Secret<String> {
        Secret::new(s.to_string())
    }

    #[test]
    fn remembers_answers_but_not_outages_nor_passwords() {
        let inner = Arc::new(Counting::default());
        let config = CacheConfig {
            ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(60),
            size: 2,
        };
        let c = CachedSource::new(inner.clone(), config);
        let calls = || inner.0.load(Ordering::SeqCst);
        assert_eq!(c.verify("Ann", &pw("right")), Ok(true));
        assert_eq!(c.verify("ann", &pw("right")), Ok(true));
        assert_eq!(calls(), 1, "the second check came from the cache");
        assert_eq!(c.verify("ann", &pw("wrong")), Ok(false));
        assert_eq!(c.verify("ann", &pw("wrong")), Ok(false));
        assert_eq!(calls(), 2);
        assert!(c.verify("ann", &pw("down")).is_err());
        assert!(c.verify("ann", &pw("down")).is_err());
        assert_eq!(calls(), 4, "outages are asked again each time");
        assert!(!format!("{:?}", c.entries).contains("right"));
        c.forget("ANN");
        assert_eq!(c.verify("ann", &pw("right")), Ok(true));
        assert_eq!(calls(), 5);
        // Two accounts at most: a third pushes one out.
        c.verify("bob", &pw("right")).unwrap();
        c.verify("cy", &pw("right")).unwrap();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn entries_expire() {
        let inner = Arc::new(Counting::default());
        let config = CacheConfig {
            ttl: Duration::from_secs(60),
            negative_ttl: Duration::ZERO,
            size: 10,
        };
        let c = CachedSource::new(inner, config);
        let (a, p) = (c.account_key("ann"), c.password_key("ann", &pw("right")));
        let now = Instant::now();
        c.remember(a, p, true, now);
        assert_eq!(c.lookup(&a, &p, now), Some(true));
        assert_eq!(c.lookup(&a, &p, now + Duration::from_secs(61)), None);
        let wrong = c.password_key("ann", &pw("wrong"));
        c.remember(a, wrong, false, now);
        assert_eq!(c.lookup(&a, &wrong, now), None, "negative lifetime 0");
    }
}
