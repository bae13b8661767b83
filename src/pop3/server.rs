//! The tokio glue around [`Session`]: accept connections, read lines, write
//! responses (messages through [`write_message`]), TLS (implicit or STLS),
//! deadlines and connection slots. The protocol itself is in `session`.
//!
//! Deadlines: a whole command line must arrive within the idle timeout of
//! the server's being ready for it (bytes trickling in do not extend it),
//! and a whole reply, a RETR included, must be taken by the client within
//! the send timeout (every write waits at most until then). A session
//! missing either ends without committing, so its maildrop is free again.
//! Sessions hold a slot of [`Slots`] (a share per client address; a full
//! table takes the slot of the session waiting longest on its client).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::netio::{Stream, Tcp};
use crate::sessionlog::SessionLog;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::guard::{Guard, lost_slot};
use super::maildrop::MaildropStore;
use super::send::write_message;
use super::session::{After, ConnectionParams, Event, Response, Session};
use super::settings::Pop3Settings;
use crate::auth::Authenticator;
use crate::auth::throttle::AuthThrottle;
use crate::slots::{Refusal, Slots, Wait};

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a parting reply (shutdown, autologout, closed to make room)
/// and the close after it may take.
const BYE_TIMEOUT: Duration = Duration::from_secs(1);

/// The kind of listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// POP3 in the clear, with STLS when TLS is configured (port 110).
    Plain,
    /// POP3 over implicit TLS (POP3S, port 995).
    Implicit,
}

/// Everything a POP3 listener serves with; shared by the POP3 and POP3S
/// listeners (so the slots and per-address limits count both).
pub struct Pop3Service {
    settings: Arc<Pop3Settings>,
    store: Arc<dyn MaildropStore>,
    auth: Authenticator,
    tls: Option<TlsAcceptor>,
    throttle: Arc<AuthThrottle>,
    slots: Arc<Slots>,
}

impl std::fmt::Debug for Pop3Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pop3Service")
            .field("settings", &self.settings)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Pop3Service {
    /// A service over a store and an authenticator; `tls` enables POP3S and
    /// STLS.
    pub fn new(
        settings: Pop3Settings,
        store: Arc<dyn MaildropStore>,
        auth: Authenticator,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Arc<Self> {
        let throttle = Arc::new(AuthThrottle::new(
            Duration::from_millis(settings.auth_failure_delay_ms),
            Duration::from_millis(settings.auth_failure_max_delay_ms),
        ));
        let slots = Slots::new(
            "POP3",
            usize::try_from(settings.max_sessions).unwrap_or(usize::MAX),
            usize::try_from(settings.max_sessions_per_client).unwrap_or(usize::MAX),
        );
        Arc::new(Self {
            settings: Arc::new(settings),
            store,
            auth,
            tls: tls.map(TlsAcceptor::from),
            throttle,
            slots,
        })
    }

    /// The session slots of the POP3 and POP3S listeners (how many
    /// sessions are open, for `popstore status`).
    pub fn slots(&self) -> &Arc<Slots> {
        &self.slots
    }
}

/// Serves POP3 on `listener` until `shutdown` completes; then tells every
/// session (`-ERR [SYS/TEMP] server shutting down`, nothing committed) and
/// waits for them to end.
pub async fn run(
    listener: TcpListener,
    kind: ListenerKind,
    service: Arc<Pop3Service>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    if kind == ListenerKind::Implicit && service.tls.is_none() {
        return Err(io::Error::other(
            "POP3S listener without a TLS configuration",
        ));
    }
    if let Ok(addr) = listener.local_addr() {
        match kind {
            ListenerKind::Plain => tracing::info!(listen = %addr, "POP3 listening"),
            ListenerKind::Implicit => tracing::info!(listen = %addr, "POP3S listening"),
        }
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut sessions = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let service = Arc::clone(&service);
                    let stop = stop_rx.clone();
                    sessions.spawn(async move {
                        let mut log = SessionLog::new("pop3", peer);
                        let result = connection(tcp, peer, kind, service, stop, &mut log).await;
                        log.finish(&result);
                        match result {
                            Ok(()) => {}
                            // A missed deadline: the session is over (and
                            // its maildrop free) when this is logged.
                            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                                tracing::info!(%peer, "pop3 connection closed: {e}");
                            }
                            Err(e) => tracing::debug!(%peer, "pop3 connection ended: {e}"),
                        }
                    });
                }
                Err(e) => {
                    // Out of descriptors and the like: back off a moment
                    // instead of spinning.
                    tracing::warn!("pop3 accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    let _ = stop_tx.send(true);
    while sessions.join_next().await.is_some() {}
    Ok(())
}

/// The `tls-exporter` channel binding (RFC 9266), for TLS 1.3 only.
fn exporter(tls: &tokio_rustls::server::TlsStream<Tcp>) -> Option<Vec<u8>> {
    let conn = tls.get_ref().1;
    if conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
        return None;
    }
    conn.export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", None)
        .ok()
}

async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: Tcp,
) -> io::Result<tokio_rustls::server::TlsStream<Tcp>> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?
}

/// Sends a parting reply and closes, giving up after [`BYE_TIMEOUT`].
async fn bye(stream: &mut Stream, text: &[u8]) {
    let _ = tokio::time::timeout(BYE_TIMEOUT, async {
        stream.write_all(text).await?;
        stream.shutdown().await
    })
    .await;
}

/// Refuses a connection that got no slot: one attempt at the reply, which
/// fits an empty socket buffer (nothing waits on the client). POP3S
/// connections are closed without one: a TLS handshake would cost more than
/// the refusal saves.
fn refuse(tcp: &TcpStream, peer: SocketAddr, kind: ListenerKind, refusal: Refusal) {
    let text: &[u8] = match refusal {
        Refusal::PerClient => {
            tracing::warn!(%peer, "pop3 connection refused: too many sessions from this address");
            b"-ERR [SYS/TEMP] too many sessions from your address\r\n"
        }
        Refusal::Full => {
            tracing::warn!(%peer, "pop3 connection refused: every session is busy");
            b"-ERR [SYS/TEMP] too many sessions, try again later\r\n"
        }
    };
    if kind == ListenerKind::Plain {
        let _ = tcp.try_write(text);
    }
}

/// Lines from the client, with the length limit applied.
struct Lines {
    buf: Vec<u8>,
    /// Skipping the rest of an over-long line.
    discarding: bool,
}

enum Line {
    Complete(Vec<u8>),
    TooLong,
}

impl Lines {
    fn take(&mut self, max: usize) -> Option<Line> {
        loop {
            match memchr::memchr(b'\n', &self.buf) {
                Some(nl) => {
                    let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
                    if self.discarding {
                        self.discarding = false;
                        return Some(Line::TooLong);
                    }
                    if line.len() > max {
                        return Some(Line::TooLong);
                    }
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Some(Line::Complete(line));
                }
                None if self.buf.len() > max => {
                    self.discarding = true;
                    self.buf.clear();
                    continue;
                }
                None => return None,
            }
        }
    }
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    kind: ListenerKind,
    service: Arc<Pop3Service>,
    mut stop: watch::Receiver<bool>,
    log: &mut SessionLog,
) -> io::Result<()> {
    let _ = tcp.set_nodelay(true);
    let evict = Arc::new(Notify::new());
    let told = Arc::clone(&evict);
    let slot = match service
        .slots
        .admit(Some(peer.ip()), Box::new(move |_| told.notify_one()))
    {
        Ok(slot) => slot,
        Err(refusal) => {
            refuse(&tcp, peer, kind, refusal);
            log.outcome("refused");
            return Ok(());
        }
    };
    let settings = &service.settings;
    let guard = Guard::new(slot, evict, settings.send_timeout());
    let mut stream = match (kind, &service.tls) {
        (ListenerKind::Implicit, Some(acceptor)) => {
            let tcp = Tcp::new(tcp, Arc::clone(log.meter()));
            Stream::Tls(Box::new(guard.input(handshake(acceptor, tcp)).await?))
        }
        _ => Stream::plain(tcp, log.meter()),
    };
    let mut session = Session::new(
        Arc::clone(settings),
        Arc::clone(&service.store),
        service.auth.clone(),
        ConnectionParams {
            peer: Some(peer.ip()),
            tls: matches!(stream, Stream::Tls(_)),
            tls_available: service.tls.is_some(),
            apop_timestamp: settings
                .apop
                .then(|| Session::new_timestamp(&settings.hostname)),
        },
    );
    if let Stream::Tls(t) = &stream {
        session.tls_started(exporter(t));
    }
    let mut out: Vec<u8> = session.greeting().text;
    let mut lines = Lines {
        buf: Vec::new(),
        discarding: false,
    };
    let max = settings.max_line_length;
    // Since when the command line awaited is awaited: a new one begins
    // once a reply has gone out. It must be complete within the idle
    // timeout.
    let mut line_since = Instant::now();
    loop {
        let mut answered = false;
        while let Some(line) = lines.take(max) {
            answered = true;
            log.command();
            guard.working()?;
            guard.slot.active();
            let resp: Response = match line {
                Line::TooLong => session.line_too_long(),
                Line::Complete(l) if session.may_block(&l) => {
                    let (s, r) = tokio::task::spawn_blocking(move || {
                        let mut s = session;
                        let r = s.input(&l);
                        (s, r)
                    })
                    .await
                    .map_err(io::Error::other)?;
                    session = s;
                    r
                }
                Line::Complete(l) => session.input(&l),
            };
            // The answer to a login waits as the shared throttle says (the
            // session may still be closed meanwhile to make room).
            let hold = match &resp.event {
                Some(Event::AuthFailed(user)) => {
                    tracing::info!(%peer, user, "pop3 authentication failed");
                    crate::metrics::login(
                        "pop3",
                        session.mechanism(),
                        session.password_source(),
                        false,
                    );
                    service.throttle.failed(peer.ip(), user)
                }
                Some(Event::LoggedIn) => {
                    let user = session.user().unwrap_or("");
                    tracing::info!(%peer, user, "pop3 login");
                    log.logged_in(user);
                    crate::metrics::login(
                        "pop3",
                        session.mechanism(),
                        session.password_source(),
                        true,
                    );
                    service.throttle.succeeded(peer.ip(), user)
                }
                None => Duration::ZERO,
            };
            if !hold.is_zero() {
                guard.delay(hold).await?;
            }
            out.extend_from_slice(&resp.text);
            if let Some(body) = resp.body {
                let message = write_message(&mut stream, &out, body.data.as_ref(), body.end);
                guard.send(message).await?;
                out.clear();
            }
            match resp.after {
                After::Continue => {}
                After::Close => {
                    return guard
                        .send(async {
                            stream.write_all(&out).await?;
                            stream.shutdown().await
                        })
                        .await;
                }
                After::StartTls => {
                    guard
                        .send(async {
                            stream.write_all(&out).await?;
                            stream.flush().await
                        })
                        .await?;
                    out.clear();
                    // Bytes pipelined after STLS were sent in the clear and
                    // could have been injected: discard them.
                    lines.buf.clear();
                    lines.discarding = false;
                    let (Stream::Plain(tcp), Some(acceptor)) =
                        (std::mem::replace(&mut stream, Stream::Gone), &service.tls)
                    else {
                        return Err(io::Error::other(
                            "STLS on a connection that cannot start TLS",
                        ));
                    };
                    let tls = guard.input(handshake(acceptor, tcp)).await?;
                    session.tls_started(exporter(&tls));
                    stream = Stream::Tls(Box::new(tls));
                }
            }
        }
        if !out.is_empty() {
            guard
                .send(async {
                    stream.write_all(&out).await?;
                    stream.flush().await
                })
                .await?;
            out.clear();
        }
        if answered {
            line_since = Instant::now();
        }
        session.read_ahead();
        out.shrink_to(1024);
        lines.buf.shrink_to(1024);
        lines.buf.reserve(512);
        let deadline = tokio::time::Instant::from_std(line_since + settings.idle_timeout());
        let read = if guard.slot.waiting(Wait::Input, line_since) {
            tokio::select! {
                read = tokio::time::timeout_at(deadline, stream.read_buf(&mut lines.buf)) => read,
                _ = stop.changed() => {
                    let r = session.shutdown();
                    bye(&mut stream, &r.text).await;
                    log.outcome("shutdown");
                    return Ok(());
                }
                () = guard.evict.notified() => Ok(Err(lost_slot())),
            }
        } else {
            Ok(Err(lost_slot()))
        };
        match read {
            Err(_) => {
                let r = session.idle_timeout();
                tracing::info!(%peer, "pop3 autologout: no complete command within the idle timeout");
                bye(&mut stream, &r.text).await;
                log.outcome("timeout");
                return Ok(());
            }
            Ok(Ok(0)) => {
                log.outcome("disconnected");
                return Ok(());
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) if guard.slot.evicted() => {
                // Closed to make room while the client was to send a
                // command: it is told.
                session.close_without_commit();
                log.outcome("evicted");
                bye(
                    &mut stream,
                    b"-ERR [SYS/TEMP] server busy, closing this waiting session\r\n",
                )
                .await;
                return Err(e);
            }
            Ok(Err(e)) => return Err(e),
        }
    }
}
