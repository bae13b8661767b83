//! One log line per session, at its end: protocol, client address, the
//! user once logged in, outcome, duration, bytes in and out (from the
//! connection's [`Meter`]) and commands. Never a password or message
//! content: only what is set through these methods goes in.
//!
//! A server makes one [`SessionLog`] per accepted connection, counts its
//! bytes through [`SessionLog::meter`], calls [`SessionLog::command`] and
//! [`SessionLog::logged_in`] as the session goes, and
//! [`SessionLog::finish`] when it ends. POP3 and IMAP (with POP3S and
//! IMAPS, under the protocols `pop3` and `imap`) log this way. IMAP's
//! outcomes are `logout`, `autologout`, `disconnected` (the client went
//! away), `shutdown`, `evicted`, `refused`, `timeout` and `error`.
//!
//! The line is an `info` event of target `popstore::session` with the
//! message `session`; with `[log] format = "json"` each field is a JSON
//! field of the line.

use std::fmt::Display;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use crate::netio::Meter;

/// What is known of a session so far (see the module documentation).
#[derive(Debug)]
pub struct SessionLog {
    protocol: &'static str,
    client: String,
    started: Instant,
    meter: Arc<Meter>,
    user: Option<String>,
    commands: u64,
    outcome: Option<&'static str>,
}

impl SessionLog {
    /// A session of `protocol` with `client` (its address) beginning now.
    pub fn new(protocol: &'static str, client: impl Display) -> Self {
        Self {
            protocol,
            client: client.to_string(),
            started: Instant::now(),
            meter: Meter::new(protocol),
            user: None,
            commands: 0,
            outcome: None,
        }
    }

    /// The meter the session's connection counts its bytes in.
    pub fn meter(&self) -> &Arc<Meter> {
        &self.meter
    }

    /// Counts one command from the client.
    pub fn command(&mut self) {
        self.commands += 1;
    }

    /// Records the user the session logged in as.
    pub fn logged_in(&mut self, user: &str) {
        self.user = Some(user.to_string());
    }

    /// Sets the outcome, overriding the one [`SessionLog::finish`] would
    /// take from the connection's result (`refused`, `shutdown`...).
    pub fn outcome(&mut self, outcome: &'static str) {
        self.outcome = Some(outcome);
    }

    /// Logs the session's line. Without an outcome set, it is `closed`
    /// when the connection ended normally, `timeout` on a missed deadline
    /// and `error` on any other I/O error.
    pub fn finish(self, result: &io::Result<()>) {
        let outcome = self.outcome.unwrap_or(match result {
            Ok(()) => "closed",
            Err(e) if e.kind() == io::ErrorKind::TimedOut => "timeout",
            Err(_) => "error",
        });
        tracing::info!(
            target: "popstore::session",
            protocol = self.protocol,
            client = %self.client,
            user = self.user.as_deref().unwrap_or(""),
            outcome,
            duration_ms = self.started.elapsed().as_millis() as u64,
            bytes_in = self.meter.bytes_in(),
            bytes_out = self.meter.bytes_out(),
            commands = self.commands,
            "session"
        );
    }
}
