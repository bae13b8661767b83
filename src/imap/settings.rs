//! `[imap]` of the configuration: limits and timeouts of the IMAP server.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::sasl::Mechanism;

/// Settings of the IMAP and IMAPS listeners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapSettings {
    /// Host name in the greeting; empty for the system's.
    pub hostname: String,
    /// Take LOGIN, PLAIN and LOGIN (SASL) without TLS from addresses other
    /// than loopback (otherwise LOGINDISABLED).
    pub allow_plaintext_auth: bool,
    /// SASL mechanisms offered, in order.
    pub mechanisms: Vec<String>,
    /// Seconds without a command (IDLE included) before autologout
    /// (RFC 9051: at least 30 minutes).
    pub idle_timeout_secs: u64,
    /// Seconds within which the client must take a reply.
    pub send_timeout_secs: u64,
    /// Bad commands in one session before it is closed.
    pub max_bad_commands: u32,
    /// Sessions in all.
    pub max_sessions: u32,
    /// Sessions from one client address.
    pub max_sessions_per_client: u32,
    /// Delay of the second failed login from an address (doubling).
    pub auth_failure_delay_ms: u64,
    /// The longest such delay.
    pub auth_failure_max_delay_ms: u64,
    /// Largest APPEND message (APPENDLIMIT), bytes.
    pub append_limit: u64,
    /// Longest command line, bytes.
    pub max_line_length: usize,
    /// How often an IDLE session looks for changes, milliseconds, when
    /// its folder cannot be watched (a shared file system, a legacy spool).
    pub idle_poll_ms: u64,
    /// How often an IDLE session whose folder is watched (inotify, on a
    /// local file system) looks anyway, milliseconds: a safety net.
    pub idle_watch_poll_ms: u64,
    /// The time one SEARCH, SORT or THREAD may take before it is answered
    /// `NO [LIMIT]`, milliseconds.
    pub search_budget_ms: u64,
}

impl Default for ImapSettings {
    fn default() -> Self {
        Self {
            hostname: String::new(),
            allow_plaintext_auth: false,
            mechanisms: Mechanism::ALL
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
            idle_timeout_secs: 1800,
            send_timeout_secs: 600,
            max_bad_commands: 20,
            max_sessions: 1000,
            max_sessions_per_client: 50,
            auth_failure_delay_ms: 250,
            auth_failure_max_delay_ms: 15_000,
            append_limit: 64 * 1024 * 1024,
            max_line_length: 64 * 1024,
            idle_poll_ms: 250,
            idle_watch_poll_ms: 30_000,
            search_budget_ms: 10_000,
        }
    }
}

impl ImapSettings {
    /// The autologout time.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// How long a reply may take to go out.
    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs)
    }

    /// The IDLE poll interval.
    pub fn idle_poll(&self) -> Duration {
        Duration::from_millis(self.idle_poll_ms.max(10))
    }

    /// The IDLE poll interval of a watched folder.
    pub fn idle_watch_poll(&self) -> Duration {
        Duration::from_millis(self.idle_watch_poll_ms.max(10))
    }

    /// The configured mechanisms that exist.
    pub fn mechanisms(&self) -> Vec<Mechanism> {
        self.mechanisms
            .iter()
            .filter_map(|m| Mechanism::from_name(m))
            .collect()
    }

    /// The parser limits these settings give.
    pub fn limits(&self) -> crate::imap::parse::Limits {
        let d = crate::imap::parse::Limits::default();
        crate::imap::parse::Limits {
            max_line: self.max_line_length,
            max_append: self.append_limit,
            max_command: self.append_limit.saturating_add(1024 * 1024),
            ..d
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(bad) = self
            .mechanisms
            .iter()
            .find(|m| Mechanism::from_name(m).is_none())
        {
            return Err(format!("[imap] mechanisms: unknown SASL mechanism {bad:?}"));
        }
        if self.idle_timeout_secs == 0 || self.send_timeout_secs == 0 {
            return Err("[imap] idle_timeout_secs and send_timeout_secs must be at least 1".into());
        }
        if self.max_sessions == 0 {
            return Err("[imap] max_sessions must be at least 1".into());
        }
        if self.max_line_length < 1024 {
            return Err("[imap] max_line_length must be at least 1024".into());
        }
        Ok(())
    }
}
