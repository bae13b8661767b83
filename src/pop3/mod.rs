//! The POP3 server (RFC 1939) with CAPA (RFC 2449), response codes
//! (RFC 2449, RFC 3206), STLS (RFC 2595) and SASL (RFC 5034).
//!
//! - [`session`]: the protocol as a state machine without I/O;
//! - [`maildrop`]: what it needs from the store (the store implements it;
//!   [`memory`] is an in-memory implementation);
//! - [`send`]: RETR/TOP as vectored writes of slices of the mapped message;
//! - [`server`]: the thin tokio glue (listeners, TLS, limits, timeouts).

pub mod command;
pub(crate) mod guard;
pub mod listen;
pub mod maildrop;
pub mod memory;
pub mod send;
pub mod server;
pub mod session;
pub mod settings;
pub mod store_maildrop;
#[cfg(test)]
mod tests;

pub use maildrop::{
    Entry, Expire, Maildrop, MaildropError, MaildropStore, MessageData, SessionRecord,
};
pub use server::{ListenerKind, Pop3Service, run};
pub use settings::Pop3Settings;
