//! Browser sessions, kept server-side: a random id (from the operating
//! system's CSPRNG) in an `HttpOnly; SameSite=Strict` cookie (`Secure`
//! under HTTPS) names the account and the session's CSRF token; a session
//! expires after `[web] session_ttl` seconds without a request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// The session cookie's name.
pub const COOKIE: &str = "popstore_session";

/// Sessions kept at most; the oldest go first.
const MAX_SESSIONS: usize = 100_000;

/// One logged-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account logged in.
    pub account: String,
    /// The token every state-changing form must carry.
    pub csrf: String,
    expires: Instant,
}

/// The table of sessions.
#[derive(Debug)]
pub struct Sessions {
    ttl: Duration,
    table: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes from the CSPRNG, as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    // The operating system's generator does not fail on the systems
    // popstore runs on; a failure here is not worth a weak id.
    getrandom::fill(&mut b).expect("the operating system's random number generator");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Sessions {
    /// An empty table whose sessions live `ttl` after their last use.
    pub fn new(ttl: Duration) -> Self {
        Sessions {
            ttl,
            table: Mutex::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for `account`: its id.
    pub fn create(&self, account: &str) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut t = self.table();
        if t.len() >= MAX_SESSIONS {
            t.retain(|_, s| s.expires > now);
            if t.len() >= MAX_SESSIONS
                && let Some(k) = t
                    .iter()
                    .min_by_key(|(_, s)| s.expires)
                    .map(|(k, _)| k.clone())
            {
                t.remove(&k);
            }
        }
        t.insert(
            id.clone(),
            Session {
                account: account.to_string(),
                csrf: random_token(),
                expires: now + self.ttl,
            },
        );
        id
    }

    /// The live session `id` names (its expiry pushed on).
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut t = self.table();
        match t.get_mut(id) {
            Some(s) if s.expires > now => {
                s.expires = now + self.ttl;
                Some(s.clone())
            }
            Some(_) => {
                t.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.table().remove(id);
    }

    /// Ends every session of `account` (after a password change), but
    /// `keep`.
    pub fn remove_account(&self, account: &str, keep: Option<&str>) {
        self.table()
            .retain(|id, s| s.account != account || Some(id.as_str()) == keep);
    }

    /// Sessions open now.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.table().values().filter(|s| s.expires > now).count()
    }

    /// True when no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The session id of the request's cookie.
pub fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then(|| v.to_string())
        })
}

/// The `Set-Cookie` value of a session (`""` id: one that ends it).
pub fn set_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let age = if id.is_empty() { "; Max-Age=0" } else { "" };
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}{age}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_end() {
        let s = Sessions::new(Duration::from_secs(60));
        let id = s.create("joe");
        assert_eq!(id.len(), 64);
        let got = s.get(&id).unwrap();
        assert_eq!(got.account, "joe");
        assert_ne!(got.csrf, id);
        s.remove(&id);
        assert!(s.get(&id).is_none());
        let gone = Sessions::new(Duration::ZERO);
        let id = gone.create("joe");
        assert!(gone.get(&id).is_none(), "expired at once");
    }

    #[test]
    fn cookie_is_read_and_written_strict() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=b; popstore_session=abc".parse().unwrap());
        assert_eq!(cookie_id(&h).as_deref(), Some("abc"));
        let c = set_cookie("abc", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
    }
}
