//! ManageSieve (RFC 5804): mail clients upload, check, list, activate,
//! download, rename and delete their Sieve scripts, on `127.0.0.1:4190`
//! by default (`--managesieve ADDR|off`). Scripts live where `popstore
//! sieve` keeps them, so the CLI, ManageSieve and delivery see the same
//! ones; a script is compiled by the engine (`crate::sieve`) before it is
//! stored, and refused with the error's line and column.
//!
//! - [`parse`]: the client's grammar (strings, literals, numbers);
//! - [`session`]: the protocol as a state machine without I/O;
//! - [`scripts`]: what it needs from the store;
//! - [`server`]: the thin tokio glue (STARTTLS, deadlines, the throttle).

pub mod parse;
pub mod scripts;
pub mod server;
pub mod session;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::config::ByteSize;

/// `[managesieve]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManageSieveSettings {
    /// Take PLAIN without TLS from addresses other than loopback.
    pub allow_plaintext: bool,
    /// The largest script (per-account quota, with `max_scripts`).
    pub max_script_size: ByteSize,
    /// Scripts an account may keep.
    pub max_scripts: usize,
    /// Seconds without a whole command before the session is closed.
    pub idle_timeout: u64,
    /// Bad commands and failed logins before the session is closed.
    pub max_bad_commands: u32,
    /// The delay before answering the second failed login from a client
    /// address, in milliseconds; doubling with each further one.
    pub auth_failure_delay_ms: u64,
    /// The longest such delay, in milliseconds.
    pub auth_failure_max_delay_ms: u64,
}

impl ManageSieveSettings {
    /// The largest script, in bytes.
    pub fn max_size(&self) -> usize {
        usize::try_from(self.max_script_size.0).unwrap_or(usize::MAX)
    }
}
