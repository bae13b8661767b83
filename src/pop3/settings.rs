//! The `[pop3]` section of the configuration. (The listen addresses live in
//! `[listen]`: `pop3 = "127.0.0.1:1110"`, `pop3s = "127.0.0.1:1995"`.)

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::sasl::Mechanism;

/// POP3 server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pop3Settings {
    /// The host name in the greeting, APOP and CRAM-MD5 challenges.
    pub hostname: String,
    /// Allow USER/PASS, PLAIN and LOGIN on non-TLS connections from
    /// non-loopback addresses (they are always allowed over TLS and from
    /// loopback).
    pub allow_plaintext_auth: bool,
    /// Offer APOP (a timestamp in the greeting).
    pub apop: bool,
    /// The SASL mechanisms offered, by name.
    pub mechanisms: Vec<String>,
    /// The longest command line accepted, in octets including CRLF
    /// (RFC 2449 lets clients send 255; SASL responses may be longer).
    pub max_line_length: usize,
    /// Idle time before an autologout, in seconds (RFC 1939: at least 600):
    /// a whole command line must arrive within it.
    pub idle_timeout_secs: u64,
    /// Seconds within which the client must take a reply (a whole RETR
    /// included); every write waits at most that long.
    pub send_timeout_secs: u64,
    /// Bad commands (and failed logins) tolerated in a session before it is
    /// closed.
    pub max_bad_commands: u32,
    /// Sessions served at once by the POP3 and POP3S listeners together;
    /// when all are taken, the one waiting longest on its client makes room
    /// (`crate::slots`).
    pub max_sessions: u32,
    /// Concurrent sessions allowed from one client address (0: no limit).
    pub max_sessions_per_client: u32,
    /// The delay before answering the second failed authentication from a
    /// client address, in milliseconds; it doubles with each further failure.
    pub auth_failure_delay_ms: u64,
    /// The longest such delay, in milliseconds.
    pub auth_failure_max_delay_ms: u64,
    /// The minimum time between logins advertised by CAPA LOGIN-DELAY, in
    /// seconds (the store enforces it); 0 advertises nothing.
    pub login_delay_secs: u32,
}

impl Default for Pop3Settings {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            allow_plaintext_auth: false,
            apop: true,
            // CRAM-MD5 is opt-in: clients pick the strongest mechanism offered
            // and do not fall back, and few accounts hold its verifier.
            mechanisms: [
                Mechanism::ScramSha256Plus,
                Mechanism::ScramSha256,
                Mechanism::Plain,
                Mechanism::Login,
            ]
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
            max_line_length: 1024,
            idle_timeout_secs: 600,
            send_timeout_secs: 600,
            max_bad_commands: 10,
            max_sessions: 500,
            max_sessions_per_client: 50,
            auth_failure_delay_ms: 250,
            auth_failure_max_delay_ms: 15_000,
            login_delay_secs: 0,
        }
    }
}

impl Pop3Settings {
    /// The idle timeout: the deadline of a command line.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// The deadline of a reply.
    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs)
    }

    /// The configured mechanisms that popstore knows, in the configured
    /// order; unknown names are reported by [`Self::validate`].
    pub fn mechanisms(&self) -> Vec<Mechanism> {
        self.mechanisms
            .iter()
            .filter_map(|m| Mechanism::from_name(m))
            .collect()
    }

    /// Checks the settings, naming the first problem.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(bad) = self
            .mechanisms
            .iter()
            .find(|m| Mechanism::from_name(m).is_none())
        {
            return Err(format!("[pop3] mechanisms: unknown SASL mechanism {bad:?}"));
        }
        if self.idle_timeout_secs == 0 || self.send_timeout_secs == 0 {
            return Err("[pop3] idle_timeout_secs and send_timeout_secs must be at least 1".into());
        }
        if self.max_sessions == 0 {
            return Err("[pop3] max_sessions must be at least 1".into());
        }
        if self.max_line_length < 255 {
            return Err("[pop3] max_line_length must be at least 255".into());
        }
        if self.hostname.is_empty()
            || self
                .hostname
                .contains(|c: char| c.is_whitespace() || c == '>')
        {
            return Err("[pop3] hostname must be a non-empty host name".into());
        }
        Ok(())
    }
}
