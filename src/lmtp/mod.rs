//! The LMTP delivery channel (RFC 2033): MTAs hand mail to the store.
//!
//! [`session`] is the protocol as a state machine without sockets (tested
//! and fuzzable on its own); [`server`] is the tokio glue around it: TCP and
//! Unix-socket listeners, timeouts, and the calls into the store
//! ([`crate::delivery::Delivery`]) on blocking threads.
//!
//! Offered: PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE. Each `RCPT TO`
//! is checked with the store at once; after the data, one reply per
//! accepted recipient, `250` only once that copy is durable.

pub mod command;
pub mod server;
pub mod session;
mod threads;

#[cfg(test)]
mod tests;

pub use session::{Action, Limits, Session};

impl Limits {
    /// The session limits of an `[lmtp]` configuration section.
    pub fn from_config(c: &crate::config::LmtpConfig) -> Limits {
        Limits {
            hostname: if c.hostname.is_empty() {
                crate::config::system_hostname()
            } else {
                c.hostname.clone()
            },
            max_message_size: c.max_message_size.0,
            max_recipients: usize::try_from(c.max_recipients).unwrap_or(usize::MAX),
            quota_failure: c.quota_failure,
            max_errors: c.max_errors.max(1),
        }
    }
}
