//! poppassd: the password-change server POP clients (Eudora and its
//! successors) talk to, on `127.0.0.1:1106` by default (`--poppassd
//! ADDR|off`), and over implicit TLS on `[listen] poppassds` when set.
//!
//! - [`session`]: the protocol as a state machine without I/O;
//! - [`server`]: the thin tokio glue (TLS, deadlines, the failed-login
//!   throttle).
//!
//! The change goes where the password is kept, through
//! [`crate::auth::Authenticator::change_password`].

pub mod server;
pub mod session;

use serde::{Deserialize, Serialize};

/// `[poppassd]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoppassdSettings {
    /// Take passwords without TLS from addresses other than loopback.
    pub allow_plaintext: bool,
    /// Seconds within which each whole command line must arrive.
    pub idle_timeout: u64,
    /// The delay before answering the second wrong old password from a
    /// client address, in milliseconds; doubling with each further one.
    pub auth_failure_delay_ms: u64,
    /// The longest such delay, in milliseconds.
    pub auth_failure_max_delay_ms: u64,
}
