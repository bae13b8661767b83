//! What the POP3 server needs from the store: open a user's maildrop (taking
//! its lock), a snapshot of its messages taken at login, each message's
//! bytes, and the commit of deletions at QUIT.
//!
//! The store engine implements [`MaildropStore`] and [`Maildrop`];
//! [`super::memory::MemoryStore`] is an in-memory implementation for tests.
//! All calls may block (file I/O): the server calls them where blocking is
//! allowed.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// One message of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The size in octets as RETR sends it (CRLF line ends, without
    /// dot-stuffing and without the final `.` line).
    pub size: u64,
    /// The unique-id (1 to 70 characters in 0x21..=0x7E, RFC 1939),
    /// stable for the life of the message; may be a legacy UIDL imported
    /// from another system.
    pub uidl: String,
}

/// A message's bytes, ready to send. The store maps the message file and
/// hands out its body; the server writes slices of it.
pub trait MessageData: Send + Sync {
    /// The message (header and body): CRLF line ends, NOT dot-stuffed.
    fn bytes(&self) -> &[u8];
    /// Byte offsets (ascending) of the lines of [`Self::bytes`] that begin
    /// with `.`; the server sends an extra `.` before each.
    fn dot_lines(&self) -> &[u64];
    /// The length of the header including the blank line that ends it, when
    /// the store knows it (saves TOP a scan); `None` makes TOP find it.
    fn header_len(&self) -> Option<usize> {
        None
    }
}

/// The expiry policy advertised by CAPA EXPIRE (RFC 2449).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expire {
    /// Messages are kept until the client deletes them.
    #[default]
    Never,
    /// Messages are removed this many days after they were first retrieved.
    Days(u32),
}

/// How a session went, for the account's accounting (connections, connect
/// time, last connect and disconnect).
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// When the user logged in.
    pub login_at: SystemTime,
    /// How long the session lasted from login.
    pub duration: Duration,
    /// The client's address.
    pub client: Option<IpAddr>,
}

/// Why a maildrop could not be opened or changed. Each maps to one POP3
/// response code (RFC 2449, RFC 3206).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaildropError {
    /// Another session holds the maildrop lock: `[IN-USE]`.
    #[error("maildrop is in use by another session")]
    InUse,
    /// The user logged in too recently: `[LOGIN-DELAY]`.
    #[error("{0}")]
    LoginDelay(String),
    /// Retrying later may work: `[SYS/TEMP]`.
    #[error("{0}")]
    Temporary(String),
    /// An administrator must act: `[SYS/PERM]`.
    #[error("{0}")]
    Permanent(String),
}

/// The store, as the POP3 server sees it.
pub trait MaildropStore: Send + Sync + 'static {
    /// Opens `user`'s maildrop (the canonical name the authenticator
    /// returned): takes the maildrop lock (held until the [`Maildrop`] is
    /// committed, abandoned or dropped; it must exclude sessions on other
    /// nodes too) and takes the snapshot of its messages.
    fn open(&self, user: &str, client: Option<IpAddr>) -> Result<Box<dyn Maildrop>, MaildropError>;

    /// The site-wide expiry policy, advertised before login.
    fn expire_policy(&self) -> Expire {
        Expire::Never
    }

    /// True when some users' policies differ from the site's: CAPA before
    /// login then says `EXPIRE n USER`, `n` the shortest.
    fn expire_varies(&self) -> bool {
        false
    }
}

/// An open maildrop: the snapshot taken at login and the lock.
///
/// Dropping it without [`Maildrop::commit`] changes nothing (a dropped
/// connection or an autologout), apart from releasing the lock.
pub trait Maildrop: Send {
    /// The snapshot: message `n` of the POP3 session is `entries()[n - 1]`.
    fn entries(&self) -> &[Entry];

    /// The bytes of the message at `index` (0-based into [`Self::entries`]).
    /// A message removed since the snapshot (by an admin) is `Temporary`.
    /// The store may note that the message was read.
    fn message(&mut self, index: usize) -> Result<Arc<dyn MessageData>, MaildropError>;

    /// A hint that the message at `index` will probably be asked for next
    /// (clients RETR in order): the store may open it now, while the server
    /// waits for the client, so the next [`Self::message`] is quicker. It
    /// must not count as reading the message.
    fn prefetch(&mut self, _index: usize) {}

    /// This user's expiry policy (CAPA EXPIRE after login).
    fn expire_policy(&self) -> Expire {
        Expire::Never
    }

    /// The UPDATE state: removes this user's references to the messages at
    /// `deleted` (0-based indexes, ascending; a shared message file goes when
    /// its last reference goes), records the session's accounting, releases
    /// the lock. Durable before it returns.
    fn commit(
        self: Box<Self>,
        deleted: &[usize],
        record: &SessionRecord,
    ) -> Result<(), MaildropError>;

    /// Ends the session without deleting anything (autologout, dropped
    /// connection, shutdown): records the accounting, releases the lock.
    fn abandon(self: Box<Self>, record: &SessionRecord);
}
