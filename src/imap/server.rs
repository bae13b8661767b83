//! The tokio glue around the IMAP [`Session`]: accept, hand the bytes read
//! to the session on the blocking pool (it reads the store), write its
//! responses (message data as vectored writes of the mapped files, plain
//! or through TLS), STARTTLS (discarding what was pipelined after it),
//! IMAPS, the failed-login delay, IDLE polling and autologout. Each
//! session ends with its [`SessionLog`] line and counts its bytes in the
//! `imap` metrics.
//!
//! Deadlines and slots are the POP3 server's ([`Slots`], a share per
//! client address; the pop3 guard): every reply must be taken within the
//! send timeout; a session with no command for the idle timeout (30
//! minutes, IDLE included: RFC 9051 5.4) gets `* BYE` and is closed.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::conn::Conn;
use super::session::{After, ConnectionParams, Event, Inline, Session};
use super::settings::ImapSettings;
use crate::auth::Authenticator;
use crate::auth::throttle::AuthThrottle;
use crate::netio::Stream;
use crate::pop3::guard::{Guard, lost_slot};
use crate::sessionlog::SessionLog;
use crate::slots::{Refusal, Slots, Wait};
use crate::store::Store;

/// How long a parting reply may take.
const BYE_TIMEOUT: Duration = Duration::from_secs(1);

/// The kind of listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// IMAP in the clear, with STARTTLS (port 143).
    Plain,
    /// IMAP over implicit TLS (IMAPS, port 993).
    Implicit,
}

/// What the IMAP and IMAPS listeners serve with (they share slots).
pub struct ImapService {
    settings: Arc<ImapSettings>,
    store: Arc<Store>,
    auth: Authenticator,
    tls: Option<TlsAcceptor>,
    /// The certificate behind `tls`, reloaded on SIGHUP.
    cert: Option<Arc<crate::tls::ReloadableCert>>,
    throttle: Arc<AuthThrottle>,
    slots: Arc<Slots>,
    /// The spools of system users without an account (`[legacy]`).
    legacy: Option<Arc<crate::legacy::imap::LegacyImap>>,
    /// IDLE's watches of folder directories (inotify).
    watcher: super::watch::Watcher,
}

impl std::fmt::Debug for ImapService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapService")
            .field("settings", &self.settings)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl ImapService {
    /// A service over the store; `tls` enables IMAPS and STARTTLS.
    pub fn new(
        settings: ImapSettings,
        store: Arc<Store>,
        auth: Authenticator,
        tls: Option<(TlsAcceptor, Arc<crate::tls::ReloadableCert>)>,
    ) -> Arc<Self> {
        Self::with_legacy(settings, store, auth, tls, None)
    }

    /// [`ImapService::new`], serving the spools of system users without an
    /// account as their INBOX when `legacy` is given.
    pub fn with_legacy(
        settings: ImapSettings,
        store: Arc<Store>,
        auth: Authenticator,
        tls: Option<(TlsAcceptor, Arc<crate::tls::ReloadableCert>)>,
        legacy: Option<Arc<crate::legacy::imap::LegacyImap>>,
    ) -> Arc<Self> {
        let (tls, cert) = match tls {
            Some((a, c)) => (Some(a), Some(c)),
            None => (None, None),
        };
        let throttle = Arc::new(AuthThrottle::new(
            Duration::from_millis(settings.auth_failure_delay_ms),
            Duration::from_millis(settings.auth_failure_max_delay_ms),
        ));
        let slots = Slots::new(
            "IMAP",
            usize::try_from(settings.max_sessions).unwrap_or(usize::MAX),
            usize::try_from(settings.max_sessions_per_client).unwrap_or(usize::MAX),
        );
        Arc::new(ImapService {
            settings: Arc::new(settings),
            store,
            auth,
            tls,
            cert,
            throttle,
            slots,
            legacy,
            watcher: super::watch::Watcher::start(),
        })
    }

    /// The session slots (for `popstore status`).
    pub fn slots(&self) -> &Arc<Slots> {
        &self.slots
    }

    /// The TLS certificate, for `serve` to reload on SIGHUP.
    pub fn cert(&self) -> Option<Arc<crate::tls::ReloadableCert>> {
        self.cert.clone()
    }
}

/// Serves IMAP on `listener` until `shutdown` completes; then every
/// session gets `* BYE` and the listener waits for them to end.
pub async fn run(
    listener: TcpListener,
    kind: ListenerKind,
    service: Arc<ImapService>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    if kind == ListenerKind::Implicit && service.tls.is_none() {
        return Err(io::Error::other(
            "IMAPS listener without a TLS configuration",
        ));
    }
    if let Ok(addr) = listener.local_addr() {
        match kind {
            ListenerKind::Plain => tracing::info!(listen = %addr, "IMAP listening"),
            ListenerKind::Implicit => tracing::info!(listen = %addr, "IMAPS listening"),
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
                        let mut log = SessionLog::new("imap", peer);
                        let result = connection(tcp, peer, kind, service, stop, &mut log).await;
                        log.finish(&result);
                        match result {
                            Ok(()) => {}
                            Err(e) => tracing::debug!(%peer, "imap connection ended: {e}"),
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("imap accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    let _ = stop_tx.send(true);
    while sessions.join_next().await.is_some() {}
    Ok(())
}

/// The `tls-exporter` channel binding (RFC 9266), TLS 1.3 only.
fn exporter(stream: &Stream) -> Option<Vec<u8>> {
    let Stream::Tls(tls) = stream else {
        return None;
    };
    let conn = tls.get_ref().1;
    if conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
        return None;
    }
    conn.export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", None)
        .ok()
}

async fn bye(conn: &mut Conn, text: &[u8]) {
    let _ = tokio::time::timeout(BYE_TIMEOUT, async {
        conn.send_text(text).await?;
        conn.stream.shutdown().await
    })
    .await;
}

fn refuse(tcp: &TcpStream, peer: SocketAddr, kind: ListenerKind, refusal: Refusal) {
    let text: &[u8] = match refusal {
        Refusal::PerClient => {
            tracing::warn!(%peer, "imap connection refused: too many sessions from this address");
            b"* BYE [UNAVAILABLE] too many sessions from your address\r\n"
        }
        Refusal::Full => {
            tracing::warn!(%peer, "imap connection refused: every session is busy");
            b"* BYE [UNAVAILABLE] too many sessions, try again later\r\n"
        }
    };
    if kind == ListenerKind::Plain {
        let _ = tcp.try_write(text);
    }
}

/// Runs the session on the blocking pool (it reads and writes the store).
async fn blocking<T: Send + 'static>(
    session: Session,
    f: impl FnOnce(&mut Session) -> T + Send + 'static,
) -> io::Result<(Session, T)> {
    tokio::task::spawn_blocking(move || {
        let mut s = session;
        let t = f(&mut s);
        (s, t)
    })
    .await
    .map_err(io::Error::other)
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    kind: ListenerKind,
    service: Arc<ImapService>,
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
    let settings = Arc::clone(&service.settings);
    let guard = Guard::new(slot, evict, settings.send_timeout());
    let mut stream = Stream::plain(tcp, log.meter());
    if kind == ListenerKind::Implicit
        && let Some(acceptor) = &service.tls
    {
        guard.input(stream.start_tls(acceptor)).await?;
    }
    let mut session = Session::new(
        Arc::clone(&settings),
        Arc::clone(&service.store),
        service.auth.clone(),
        ConnectionParams {
            peer: Some(peer.ip()),
            tls: stream.is_tls(),
            tls_available: service.tls.is_some(),
        },
    )
    .with_legacy(service.legacy.clone());
    if stream.is_tls() {
        session.tls_started(exporter(&stream));
    }
    let mut conn = Conn::new(stream);
    guard.send(conn.send(&session.greeting())).await?;
    let mut buf: Vec<u8> = Vec::new();
    let mut since = Instant::now();
    let mut polls = tokio::time::interval(settings.idle_poll());
    polls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watched_polls = tokio::time::interval(settings.idle_watch_poll());
    watched_polls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The folder directory an IDLE waits on (None: it polls), looked up
    // once per IDLE.
    let mut watch: Option<Option<super::watch::Subscription>> = None;
    loop {
        // Everything the buffered (and inflated) bytes make.
        loop {
            let ran = if buf.is_empty() {
                false
            } else {
                let (s, ran) = run_input(
                    session, &mut buf, &mut conn, &guard, &service, peer, &mut since,
                )
                .await?;
                session = s;
                if ran {
                    log.command();
                    if let Some(user) = session.user() {
                        log.logged_in(user);
                    }
                }
                ran
            };
            if !ran {
                match conn.inflate(&mut buf) {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::info!(%peer, "imap: {e}");
                        bye(&mut conn, b"* BYE [LIMIT] bad compressed stream\r\n").await;
                        log.outcome("error");
                        return Ok(());
                    }
                }
            }
            if session.closed() {
                let _ = tokio::time::timeout(BYE_TIMEOUT, conn.stream.shutdown()).await;
                log.outcome("logout");
                return Ok(());
            }
        }
        buf.shrink_to(4096);
        buf.reserve(4096);
        let deadline = tokio::time::Instant::from_std(since + settings.idle_timeout());
        let idling = session.idling();
        if !idling {
            watch = None;
        } else if watch.is_none() {
            let sub = session
                .idle_watch_dir()
                .and_then(|d| service.watcher.subscribe(&d));
            if sub.is_some() {
                // A change made before the watch was in place raised no
                // event for it: look once now.
                if let Some(r) = session.poll() {
                    guard.send(conn.send(&r)).await?;
                }
            }
            watched_polls.reset();
            watch = Some(sub);
        }
        let watched = watch.as_ref().and_then(Option::as_ref);
        if !guard.slot.waiting(Wait::Input, since) {
            return Err(lost_slot());
        }
        tokio::select! {
            read = tokio::time::timeout_at(deadline, conn.read(&mut buf)) => match read {
                Err(_) => {
                    tracing::info!(%peer, "imap autologout");
                    let r = session.autologout();
                    bye(&mut conn, &r.text).await;
                    log.outcome("autologout");
                    return Ok(());
                }
                Ok(Ok(0)) => {
                    log.outcome("disconnected");
                    return Ok(());
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
            },
            _ = polls.tick(), if idling && watched.is_none() => {
                // One read of the folder's journal: not worth a thread.
                if let Some(r) = session.poll() {
                    guard.send(conn.send(&r)).await?;
                }
            }
            _ = changed(watched), if idling => {
                if let Some(r) = session.poll() {
                    guard.send(conn.send(&r)).await?;
                }
            }
            _ = watched_polls.tick(), if idling && watched.is_some() => {
                if let Some(r) = session.poll() {
                    guard.send(conn.send(&r)).await?;
                }
            }
            _ = stop.changed() => {
                let r = session.shutdown();
                bye(&mut conn, &r.text).await;
                log.outcome("shutdown");
                return Ok(());
            }
            () = guard.evict.notified() => {
                bye(&mut conn, b"* BYE [UNAVAILABLE] server busy, closing this waiting session\r\n").await;
                log.outcome("evicted");
                return Err(lost_slot());
            }
        }
    }
}

/// Hands `buf` to the session once and sends its answer; `Ok(false)`
/// when it needs more bytes first.
#[allow(clippy::too_many_arguments)]
async fn run_input(
    session: Session,
    buf: &mut Vec<u8>,
    conn: &mut Conn,
    guard: &Guard,
    service: &ImapService,
    peer: SocketAddr,
    since: &mut Instant,
) -> io::Result<(Session, bool)> {
    guard.working()?;
    guard.slot.active();
    let mut session = session;
    // A FETCH of a message or two runs here; the rest on the blocking pool.
    let resp = match session.input_inline(buf) {
        Inline::Done(resp) => resp,
        Inline::Blocking => {
            let input = std::mem::take(buf);
            let (s, (rest, resp)) = blocking(session, move |s| {
                let mut b = input;
                let r = s.input(&mut b);
                (b, r)
            })
            .await?;
            session = s;
            *buf = rest;
            resp
        }
    };
    let Some(resp) = resp else {
        return Ok((session, false));
    };
    *since = Instant::now();
    let hold = match &resp.event {
        Some(Event::AuthFailed(user)) => {
            tracing::info!(%peer, user, "imap authentication failed");
            crate::metrics::login(
                "imap",
                session.mechanism(),
                session.password_source(),
                false,
            );
            service.throttle.failed(peer.ip(), user)
        }
        Some(Event::LoggedIn(user)) => {
            tracing::info!(%peer, user, "imap login");
            crate::metrics::login("imap", session.mechanism(), session.password_source(), true);
            service.throttle.succeeded(peer.ip(), user)
        }
        None => Duration::ZERO,
    };
    if !hold.is_zero() {
        guard.delay(hold).await?;
    }
    guard.send(conn.send(&resp)).await?;
    match resp.after {
        After::Continue | After::Close => {}
        After::StartTls => {
            // Bytes pipelined after STARTTLS came in the clear and could
            // have been injected: discarded.
            buf.clear();
            let Some(acceptor) = &service.tls else {
                return Err(io::Error::other("STARTTLS without TLS"));
            };
            guard.input(conn.stream.start_tls(acceptor)).await?;
            session.tls_started(exporter(&conn.stream));
        }
        After::Compress => conn.start_compress(std::mem::take(buf)),
    }
    Ok((session, true))
}

/// Builds the IMAP service from the configuration, unless both IMAP
/// listeners are off.
pub fn service_from_config(
    config: &crate::config::Config,
    store: &Arc<Store>,
    auth: Authenticator,
) -> anyhow::Result<Option<Arc<ImapService>>> {
    use crate::config::Listen;
    if config.listen.imap == Listen::Off && config.listen.imaps == Listen::Off {
        return Ok(None);
    }
    let mut settings = config.imap.clone();
    if settings.hostname.is_empty() {
        settings.hostname = crate::config::system_hostname();
    }
    settings.validate().map_err(anyhow::Error::msg)?;
    let legacy = config.legacy.enabled().then(|| {
        Arc::new(crate::legacy::imap::LegacyImap::new(
            config.legacy.clone(),
            config.auth.system.passwd_file.clone(),
            config.auth.system.min_uid,
            config.store.path.join("run/legacy"),
        ))
    });
    Ok(Some(ImapService::with_legacy(
        settings,
        Arc::clone(store),
        auth,
        Some(crate::netio::acceptor(config)?),
        legacy,
    )))
}

/// The next change a watched IDLE waits for; never, when it polls.
async fn changed(watched: Option<&super::watch::Subscription>) {
    match watched {
        Some(w) => w.changed().await,
        None => std::future::pending().await,
    }
}
