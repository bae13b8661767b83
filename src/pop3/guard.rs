//! What a POP3 session waits on besides its client: the deadline of each
//! reply, and the loss of its connection slot ([`crate::slots`]) to a new
//! connection while it waits.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::slots::{Slot, Wait};

/// The session lost its slot to a new connection.
pub(crate) fn lost_slot() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "closed to make room for a new connection",
    )
}

/// What a session waits on besides its client: the reply deadline, and
/// losing its slot.
pub(crate) struct Guard {
    /// The session's slot.
    pub(crate) slot: Slot,
    /// Notified when the slot goes to a new connection.
    pub(crate) evict: Arc<Notify>,
    send_timeout: Duration,
}

impl Guard {
    /// A guard over `slot`, told of its loss through `evict`, with the
    /// reply deadline `send_timeout`.
    pub(crate) fn new(slot: Slot, evict: Arc<Notify>, send_timeout: Duration) -> Guard {
        Guard {
            slot,
            evict,
            send_timeout,
        }
    }

    /// Runs `io` (a TLS handshake) as a wait for the client's input.
    pub(crate) async fn input<T>(&self, io: impl Future<Output = io::Result<T>>) -> io::Result<T> {
        if !self.slot.waiting(Wait::Input, Instant::now()) {
            return Err(lost_slot());
        }
        tokio::select! {
            r = io => r,
            () = self.evict.notified() => Err(lost_slot()),
        }
    }

    /// Sends a reply: `io` must complete within the send timeout.
    pub(crate) async fn send<T>(&self, io: impl Future<Output = io::Result<T>>) -> io::Result<T> {
        if !self.slot.waiting(Wait::Output, Instant::now()) {
            return Err(lost_slot());
        }
        let limit = self.send_timeout;
        tokio::select! {
            r = tokio::time::timeout(limit, io) => r.map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("reply not taken within {}s", limit.as_secs()),
                )
            })?,
            () = self.evict.notified() => Err(lost_slot()),
        }
    }

    /// Keeps the client waiting for `delay` (after a failed login).
    pub(crate) async fn delay(&self, delay: Duration) -> io::Result<()> {
        if !self.slot.waiting(Wait::Output, Instant::now()) {
            return Err(lost_slot());
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            () = self.evict.notified() => Err(lost_slot()),
        }
    }

    /// The session works for its client (it is not to lose its slot).
    pub(crate) fn working(&self) -> io::Result<()> {
        if self.slot.working() {
            Ok(())
        } else {
            Err(lost_slot())
        }
    }
}
