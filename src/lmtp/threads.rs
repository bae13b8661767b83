//! One thread per LMTP connection: the store calls of a delivery are
//! blocking file-system work (reads, appends, fsyncs), so an LMTP session
//! runs on its own thread with blocking socket I/O, and a message costs
//! no hand-off between an async worker and a blocking pool (two thread
//! switches per command otherwise). An MTA keeps a handful of LMTP
//! connections open; `[lmtp] max_connections` bounds them.
//!
//! Shutdown closes idle sessions with `421 4.3.2` at once (their blocked
//! read is woken by shutting the socket's reading side) and lets a session
//! in the middle of a transaction finish it first.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tracing::{error, info};

use super::server::Settings;
use super::session::{Action, Session};
use crate::delivery::{Delivery, Refusal};

/// A blocking byte stream with what a session needs of its socket.
pub(crate) trait Socket: Read + Write + Send + 'static {
    /// Switches a socket taken from tokio back to blocking I/O.
    fn blocking(&self) -> io::Result<()>;
    /// Sets how long a read may block.
    fn read_timeout(&self, t: Duration) -> io::Result<()>;
    /// Shuts down reading, writing or both.
    fn shut(&self, how: Shutdown) -> io::Result<()>;
    /// A second handle on the same socket (to wake a blocked read).
    fn handle(&self) -> io::Result<Box<dyn Fn() + Send>>;
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
            fn shut(&self, how: Shutdown) -> io::Result<()> {
                self.shutdown(how)
            }
            fn handle(&self) -> io::Result<Box<dyn Fn() + Send>> {
                let s = self.try_clone()?;
                Ok(Box::new(move || {
                    let _ = s.shutdown(Shutdown::Read);
                }))
            }
        }
    )*};
}

socket!(std::net::TcpStream, std::os::unix::net::UnixStream);

struct Conn {
    idle: bool,
    wake: Box<dyn Fn() + Send>,
}

#[derive(Default)]
struct Inner {
    stopping: bool,
    next: u64,
    conns: HashMap<u64, Conn>,
}

/// The connections being served: their number (for the limit) and how to
/// wake the idle ones at shutdown.
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

    /// Registers a connection, or `None` when `max` are already served.
    pub(crate) fn add(&self, wake: Box<dyn Fn() + Send>, max: usize) -> Option<u64> {
        let mut g = self.lock();
        if g.conns.len() >= max {
            return None;
        }
        g.next += 1;
        let id = g.next;
        g.conns.insert(id, Conn { idle: true, wake });
        Some(id)
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
            (c.wake)();
        }
    }
}

/// Serves one connection on this thread until QUIT, end of input, a
/// timeout or shutdown.
pub(crate) fn connection<S: Socket>(
    mut stream: S,
    client: &str,
    settings: &Settings,
    delivery: &dyn Delivery,
    registry: &Registry,
    id: u64,
) -> io::Result<()> {
    let r = serve_session(&mut stream, client, settings, delivery, registry, id);
    registry.remove(id);
    r
}

fn serve_session<S: Socket>(
    stream: &mut S,
    client: &str,
    settings: &Settings,
    delivery: &dyn Delivery,
    registry: &Registry,
    id: u64,
) -> io::Result<()> {
    let mut session = Session::new(settings.limits.clone(), client);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match session.next_action() {
            Action::NeedInput => {
                flush(stream, &mut session)?;
                let idle = session.is_idle();
                if registry.set_idle(id, idle) && idle {
                    session.close_with(421, "4.3.2", "Service shutting down");
                    continue;
                }
                let limit = if session.in_data() {
                    settings.data_timeout
                } else {
                    settings.command_timeout
                };
                stream.read_timeout(limit)?;
                match stream.read(&mut buf) {
                    // Woken by shutdown, or the client left.
                    Ok(0) if idle && registry.set_idle(id, true) => {
                        session.close_with(421, "4.3.2", "Service shutting down");
                    }
                    Ok(0) => return Ok(()),
                    Ok(n) => {
                        registry.set_idle(id, false);
                        session.receive(&buf[..n]);
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        session.close_with(421, "4.4.2", "Timeout, closing connection");
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Action::CheckRecipient {
                envelope,
                recipient,
                size_hint,
            } => {
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
                session.recipient_checked(r);
            }
            Action::Deliver {
                envelope,
                recipients,
                message,
            } => {
                flush(stream, &mut session)?;
                let n = recipients.len();
                let results = catch_unwind(AssertUnwindSafe(|| {
                    delivery.deliver(&envelope, &recipients, &message)
                }));
                let results = match results {
                    Ok(results) => {
                        let ok = results.iter().filter(|r| r.is_ok()).count();
                        let to: Vec<&str> = recipients.iter().map(|r| r.address.as_str()).collect();
                        info!(from = %envelope.mail_from, to = ?to, size = message.len(), delivered = ok, "LMTP message");
                        results
                    }
                    Err(_) => {
                        error!("the store failed while delivering");
                        let r = Refusal::new(451, (4, 3, 0), "internal error, try again later");
                        vec![Err(r); n]
                    }
                };
                session.delivered(results);
            }
            Action::Close => {
                flush(stream, &mut session)?;
                let _ = stream.shut(Shutdown::Both);
                return Ok(());
            }
        }
    }
}

fn flush<S: Write>(stream: &mut S, session: &mut Session) -> io::Result<()> {
    let out = session.take_output();
    if !out.is_empty() {
        stream.write_all(&out)?;
        stream.flush()?;
    }
    Ok(())
}
