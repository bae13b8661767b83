//! One thread per LMTP connection: the store calls of a delivery are
//! blocking file-system work (reads, appends, fsyncs), so an LMTP session
//! runs on its own thread with blocking socket I/O, and a message costs
//! no hand-off between an async worker and a blocking pool (two thread
//! switches per command otherwise). An MTA keeps a handful of LMTP
//! connections open; `[lmtp] max_connections` bounds them.
//!
//! No thread waits on its client without a deadline: a whole command line
//! must arrive within `command_timeout` of the server's being ready for
//! it, and each [`DATA_CHUNK`] of message data within `data_timeout`,
//! however slowly the bytes trickle in (`421 4.4.2` otherwise); the
//! replies to what the client sent must be taken within `send_timeout`
//! (every write waits at most until then; the connection is dropped
//! otherwise). While it waits on its client, a session's slot may go to a
//! new connection ([`crate::slots`]): its socket is shut, it answers
//! `421 4.3.2` if it was reading, and its thread ends.
//!
//! Shutdown closes idle sessions with `421 4.3.2` at once (their blocked
//! read is woken by shutting the socket's reading side) and lets a session
//! in the middle of a transaction finish it first.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::{error, info};

use super::server::Settings;
use super::session::{Action, Session};
use crate::delivery::{Delivery, Refusal};
use crate::netio::Meter;
use crate::sessionlog::SessionLog;
use crate::slots::{Slot, Wait};

/// The pieces of message data that must each arrive within `data_timeout`.
pub const DATA_CHUNK: usize = 64 * 1024;

/// How long the `421` of a session closed to make room may take.
const BYE_TIMEOUT: Duration = Duration::from_secs(1);

/// Shuts a socket down from another thread (to wake a blocked read or
/// write).
pub(crate) type Waker = Arc<dyn Fn(Shutdown) + Send + Sync>;

/// A blocking byte stream with what a session needs of its socket.
pub(crate) trait Socket: Read + Write + Send + 'static {
    /// Switches a socket taken from tokio back to blocking I/O.
    fn blocking(&self) -> io::Result<()>;
    /// Sets how long a read may block.
    fn read_timeout(&self, t: Duration) -> io::Result<()>;
    /// Sets how long a write may block.
    fn write_timeout(&self, t: Duration) -> io::Result<()>;
    /// Shuts down reading, writing or both.
    fn shut(&self, how: Shutdown) -> io::Result<()>;
    /// A second handle on the same socket, to wake a blocked read or write.
    fn handle(&self) -> io::Result<Waker>;
}

/// TCP and Unix streams have the same methods under the same names.
macro_rules! socket {
    ($($t:ty),*) => {$(
        impl Socket for $t {
            fn blocking(&self) -> io::Result<()> {
                self.set_nonblocking(false)
            }
            fn read_timeout(&self, t: Duration) -> io::Result<()> {
                self.set_read_timeout(Some(t))
            }
            fn write_timeout(&self, t: Duration) -> io::Result<()> {
                self.set_write_timeout(Some(t))
            }
            fn shut(&self, how: Shutdown) -> io::Result<()> {
                self.shutdown(how)
            }
            fn handle(&self) -> io::Result<Waker> {
                let s = self.try_clone()?;
                Ok(Arc::new(move |how| {
                    let _ = s.shutdown(how);
                }))
            }
        }
    )*};
}

socket!(std::net::TcpStream, std::os::unix::net::UnixStream);

struct Entry {
    idle: bool,
    wake: Waker,
}

#[derive(Default)]
struct Inner {
    stopping: bool,
    next: u64,
    conns: HashMap<u64, Entry>,
}

/// The connections being served, and how to wake the idle ones at
/// shutdown. (Their number is bounded by the listener's slots.)
#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("connections", &self.lock().conns.len())
            .finish()
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection.
    pub(crate) fn add(&self, wake: Waker) -> u64 {
        let mut g = self.lock();
        g.next += 1;
        let id = g.next;
        g.conns.insert(id, Entry { idle: true, wake });
        id
    }

    /// Forgets a connection (ended, or its thread could not start).
    pub(crate) fn remove(&self, id: u64) {
        self.lock().conns.remove(&id);
    }

    /// Records whether the session waits between transactions; true when
    /// the server is stopping (so an idle session must close).
    fn set_idle(&self, id: u64, idle: bool) -> bool {
        let mut g = self.lock();
        if let Some(c) = g.conns.get_mut(&id) {
            c.idle = idle;
        }
        g.stopping
    }

    /// Stops: idle sessions are woken to close, busy ones close after
    /// their transaction.
    pub(crate) fn stop(&self) {
        let mut g = self.lock();
        g.stopping = true;
        for c in g.conns.values().filter(|c| c.idle) {
            (c.wake)(Shutdown::Read);
        }
    }
}

/// Serves one connection on this thread until QUIT, end of input, a
/// missed deadline, the loss of its slot, or shutdown. A missed reply
/// deadline is an error of kind `TimedOut`.
pub(crate) fn connection<S: Socket>(
    mut stream: S,
    client: &str,
    settings: &Settings,
    delivery: &dyn Delivery,
    registry: &Registry,
    id: u64,
    slot: Slot,
) -> io::Result<()> {
    let log = SessionLog::new("lmtp", client);
    let mut conn = Conn {
        stream: &mut stream,
        client,
        settings,
        slot: &slot,
        meter: log.meter(),
    };
    let r = conn.serve(delivery, registry, id);
    if r.is_err() && slot.evicted() {
        // Closed to make room: a client that was to send is told.
        let text = format!(
            "421 4.3.2 {} Server busy, closing a waiting connection: try again later\r\n",
            settings.limits.hostname
        );
        let _ = stream.write_timeout(BYE_TIMEOUT);
        let _ = stream.write_all(text.as_bytes());
        let _ = stream.shut(Shutdown::Both);
    }
    registry.remove(id);
    log.finish(&r);
    r
}

/// The session lost its slot to a new connection.
fn lost_slot() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "closed to make room for a new connection",
    )
}

/// The piece of input awaited (a command line, or a chunk of message
/// data): since when, by when it must be complete, and the data bytes of
/// the chunk so far.
struct Awaited {
    since: Instant,
    deadline: Instant,
    data: usize,
}

impl Awaited {
    fn new(limit: Duration) -> Awaited {
        let since = Instant::now();
        Awaited {
            since,
            deadline: since + limit,
            data: 0,
        }
    }
}

/// A connection being served: its socket, and what the session loop needs
/// beside the session.
struct Conn<'a, S> {
    stream: &'a mut S,
    client: &'a str,
    settings: &'a Settings,
    slot: &'a Slot,
    meter: &'a Meter,
}

impl<S: Socket> Conn<'_, S> {
    fn serve(&mut self, delivery: &dyn Delivery, registry: &Registry, id: u64) -> io::Result<()> {
        let settings = self.settings;
        let mut session = Session::new(settings.limits.clone(), self.client);
        let mut buf = vec![0u8; 64 * 1024];
        self.stream.write_timeout(settings.send_timeout)?;
        // The session moved on (a reply or a store call): the next input is
        // a new command line or data chunk, with a deadline of its own.
        let mut moved_on = true;
        let mut awaited = Awaited::new(settings.command_timeout);
        // The client has sent something (so a reply now answers a command).
        let mut got_input = false;
        loop {
            match session.next_action() {
                Action::NeedInput => {
                    let out = session.take_output();
                    moved_on |= !out.is_empty();
                    if moved_on && got_input {
                        self.slot.active();
                    }
                    self.send(&out)?;
                    let idle = session.is_idle();
                    if registry.set_idle(id, idle) && idle {
                        session.close_with(421, "4.3.2", "Service shutting down");
                        continue;
                    }
                    if moved_on {
                        moved_on = false;
                        awaited = Awaited::new(if session.in_data() {
                            settings.data_timeout
                        } else {
                            settings.command_timeout
                        });
                    }
                    if !self.slot.waiting(Wait::Input, awaited.since) {
                        return Err(lost_slot());
                    }
                    let left = awaited.deadline.saturating_duration_since(Instant::now());
                    let read = if left.is_zero() {
                        Err(io::ErrorKind::TimedOut.into())
                    } else {
                        self.stream.read_timeout(left)?;
                        self.stream.read(&mut buf)
                    };
                    match read {
                        Ok(0) if self.slot.evicted() => return Err(lost_slot()),
                        // Woken by shutdown, or the client left.
                        Ok(0) if idle && registry.set_idle(id, true) => {
                            session.close_with(421, "4.3.2", "Service shutting down");
                        }
                        Ok(0) => return Ok(()),
                        Ok(n) => {
                            self.meter.received(n);
                            registry.set_idle(id, false);
                            got_input = true;
                            if session.in_data() {
                                awaited.data += n;
                                if awaited.data >= DATA_CHUNK {
                                    awaited = Awaited::new(settings.data_timeout);
                                }
                            }
                            session.receive(&buf[..n]);
                        }
                        Err(e)
                            if matches!(
                                e.kind(),
                                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                            ) =>
                        {
                            let what = if session.in_data() {
                                "message data"
                            } else {
                                "a command line"
                            };
                            info!(
                                client = self.client,
                                "LMTP timeout: {what} not complete in time"
                            );
                            session.close_with(421, "4.4.2", "Timeout, closing connection");
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) if self.slot.evicted() => return Err(lost_slot()),
                        Err(e) => return Err(e),
                    }
                }
                Action::CheckRecipient {
                    envelope,
                    recipient,
                    size_hint,
                } => {
                    if !self.slot.working() {
                        return Err(lost_slot());
                    }
                    moved_on = true;
                    let r = catch_unwind(AssertUnwindSafe(|| {
                        delivery.check_recipient(&envelope, &recipient, size_hint)
                    }))
                    .unwrap_or_else(|_| {
                        error!("the store failed while checking a recipient");
                        Err(Refusal::new(
                            451,
                            (4, 3, 0),
                            "internal error, try again later",
                        ))
                    });
                    crate::metrics::lmtp_recipient("rcpt", session.recipient_checked(r));
                }
                Action::Deliver {
                    envelope,
                    recipients,
                    message,
                } => {
                    self.send(&session.take_output())?;
                    if !self.slot.working() {
                        return Err(lost_slot());
                    }
                    moved_on = true;
                    let n = recipients.len();
                    let results = catch_unwind(AssertUnwindSafe(|| {
                        delivery.deliver(&envelope, &recipients, &message)
                    }));
                    let results = match results {
                        Ok(results) => {
                            let ok = results.iter().filter(|r| r.is_ok()).count();
                            let to: Vec<&str> =
                                recipients.iter().map(|r| r.address.as_str()).collect();
                            info!(from = %envelope.mail_from, to = ?to, size = message.len(), delivered = ok, "LMTP message");
                            results
                        }
                        Err(_) => {
                            error!("the store failed while delivering");
                            let r = Refusal::new(451, (4, 3, 0), "internal error, try again later");
                            vec![Err(r); n]
                        }
                    };
                    for code in session.delivered(results) {
                        crate::metrics::lmtp_recipient("data", code);
                    }
                }
                Action::Close => {
                    self.send(&session.take_output())?;
                    let _ = self.stream.shut(Shutdown::Both);
                    return Ok(());
                }
            }
        }
    }

    /// Sends `out`: the client must take all of it within `send_timeout`
    /// (an error of kind `TimedOut` otherwise).
    fn send(&mut self, out: &[u8]) -> io::Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let since = Instant::now();
        if !self.slot.waiting(Wait::Output, since) {
            return Err(lost_slot());
        }
        let limit = self.settings.send_timeout;
        let deadline = since + limit;
        let not_taken = || {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("reply not taken within {}s", limit.as_secs()),
            )
        };
        // The socket's write timeout is `send_timeout` between replies (set
        // in `serve`), so a reply written at once costs no system call for
        // it; after a partial write it is what is left, until the end.
        let mut shortened = false;
        let mut rest = out;
        loop {
            match self.stream.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.meter.sent(n);
                    rest = &rest[n..];
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(not_taken());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if rest.is_empty() {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(not_taken());
            }
            self.stream.write_timeout(left)?;
            shortened = true;
        }
        if shortened {
            self.stream.write_timeout(limit)?;
        }
        Ok(())
    }
}
