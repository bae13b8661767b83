//! The tokio glue around the ManageSieve [`Session`]: accept, read bytes
//! until a whole command (literals included) is there, run it on the
//! blocking pool (passwords, the store), write the reply; STARTTLS; the
//! idle deadline; the failed-login throttle shared by the listener.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::ManageSieveSettings;
use super::parse::{self, Limits};
use super::scripts::ScriptStore;
use super::session::{After, ConnectionParams, Reply, Session};
use crate::auth::Authenticator;
use crate::auth::throttle::AuthThrottle;
use crate::netio::Stream;
use crate::sessionlog::SessionLog;

/// What every ManageSieve connection is served with.
pub struct ManageSieveService {
    settings: Arc<ManageSieveSettings>,
    scripts: Arc<dyn ScriptStore>,
    auth: Authenticator,
    tls: Option<TlsAcceptor>,
    throttle: AuthThrottle,
}

impl std::fmt::Debug for ManageSieveService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManageSieveService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ManageSieveService {
    /// A service; `tls` enables STARTTLS.
    pub fn new(
        settings: ManageSieveSettings,
        scripts: Arc<dyn ScriptStore>,
        auth: Authenticator,
        tls: Option<TlsAcceptor>,
    ) -> Arc<Self> {
        let throttle = AuthThrottle::new(
            Duration::from_millis(settings.auth_failure_delay_ms),
            Duration::from_millis(settings.auth_failure_max_delay_ms),
        );
        Arc::new(Self {
            settings: Arc::new(settings),
            scripts,
            auth,
            tls,
            throttle,
        })
    }
}

/// Serves ManageSieve on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    service: Arc<ManageSieveService>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(listen = %addr, "ManageSieve listening");
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
                        let mut log = SessionLog::new("managesieve", peer);
                        let result = connection(tcp, peer, service, stop, &mut log).await;
                        log.finish(&result);
                        if let Err(e) = result {
                            tracing::debug!(%peer, "managesieve connection ended: {e}");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("managesieve accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    let _ = stop_tx.send(true);
    while sessions.join_next().await.is_some() {}
    Ok(())
}

async fn send(stream: &mut Stream, bytes: &[u8], close: bool) -> io::Result<()> {
    let write = async {
        stream.write_all(bytes).await?;
        if close {
            stream.shutdown().await
        } else {
            stream.flush().await
        }
    };
    tokio::time::timeout(Duration::from_secs(300), write)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client does not read"))?
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

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    service: Arc<ManageSieveService>,
    mut stop: watch::Receiver<bool>,
    log: &mut SessionLog,
) -> io::Result<()> {
    let _ = tcp.set_nodelay(true);
    let mut stream = Stream::plain(tcp, log.meter());
    let mut session = Session::new(
        Arc::clone(&service.settings),
        Arc::clone(&service.scripts),
        service.auth.clone(),
        ConnectionParams {
            peer: Some(peer.ip()),
            tls: false,
            tls_available: service.tls.is_some(),
        },
    );
    send(&mut stream, &session.greeting().bytes, false).await?;
    let limits = Limits {
        max_line: 8192,
        max_literal: service.settings.max_size() + 1024,
    };
    let idle = Duration::from_secs(service.settings.idle_timeout.max(1));
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match parse::command(&buf, limits) {
            Ok(Some((args, used))) => {
                buf.drain(..used);
                log.command();
                let was_in = session.user().is_some();
                let (s, reply) = tokio::task::spawn_blocking(move || {
                    let mut s = session;
                    let r = s.input(args);
                    (s, r)
                })
                .await
                .map_err(io::Error::other)?;
                session = s;
                let login = |ok| {
                    let (mechanism, source) = (session.mechanism(), session.password_source());
                    crate::metrics::login("managesieve", mechanism, source, ok);
                };
                if let Some(user) = &reply.auth_failed {
                    tracing::info!(%peer, user, "managesieve authentication failed");
                    login(false);
                    let hold = service.throttle.failed(peer.ip(), user);
                    tokio::time::sleep(hold).await;
                } else if let (false, Some(user)) = (was_in, session.user()) {
                    login(true);
                    // A login clears its own pair's failures.
                    let _ = service.throttle.succeeded(peer.ip(), user);
                    log.logged_in(user);
                }
                if !handle(&mut stream, &mut session, &service, reply, &mut buf).await? {
                    return Ok(());
                }
                continue;
            }
            Ok(None) => {}
            Err(bad) => {
                buf.drain(..bad.skip.min(buf.len()));
                let reply = session.syntax_error(&bad.msg, bad.fatal);
                if !handle(&mut stream, &mut session, &service, reply, &mut buf).await? {
                    return Ok(());
                }
                continue;
            }
        }
        tokio::select! {
            read = tokio::time::timeout(idle, stream.read_buf(&mut buf)) => match read {
                Err(_) => return send(&mut stream, &session.idle_timeout().bytes, true).await,
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
            },
            _ = stop.changed() => return send(&mut stream, &session.shutdown().bytes, true).await,
        }
    }
}

/// Sends a reply and does what it asks; false when the connection is over.
async fn handle(
    stream: &mut Stream,
    session: &mut Session,
    service: &ManageSieveService,
    reply: Reply,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    match reply.after {
        After::Continue => {
            send(stream, &reply.bytes, false).await?;
            Ok(true)
        }
        After::Close => {
            send(stream, &reply.bytes, true).await?;
            Ok(false)
        }
        After::StartTls => {
            send(stream, &reply.bytes, false).await?;
            // Bytes sent in the clear after STARTTLS could have been
            // injected: dropped.
            buf.clear();
            let Some(acceptor) = &service.tls else {
                return Ok(false);
            };
            stream.start_tls(acceptor).await?;
            session.tls_started(exporter(stream));
            send(stream, &session.capabilities().bytes, false).await?;
            Ok(true)
        }
    }
}
