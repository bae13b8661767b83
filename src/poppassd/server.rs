//! The tokio glue around the poppassd [`Session`]: accept, TLS (implicit),
//! one line at a time with the idle deadline, password checks on the
//! blocking pool, the throttle's delay after a wrong old password.

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

use super::PoppassdSettings;
use super::session::{Reply, Session};
use crate::auth::Authenticator;
use crate::auth::throttle::AuthThrottle;
use crate::netio::{Stream, take_line};
use crate::sessionlog::SessionLog;

/// The longest line taken.
const MAX_LINE: usize = 1024;

/// What every poppassd connection is served with.
pub struct PoppassdService {
    settings: PoppassdSettings,
    auth: Authenticator,
    tls: Option<TlsAcceptor>,
    throttle: AuthThrottle,
}

impl std::fmt::Debug for PoppassdService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoppassdService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PoppassdService {
    /// A service; `tls` serves the implicit-TLS listener.
    pub fn new(
        settings: PoppassdSettings,
        auth: Authenticator,
        tls: Option<TlsAcceptor>,
    ) -> Arc<Self> {
        let throttle = AuthThrottle::new(
            Duration::from_millis(settings.auth_failure_delay_ms),
            Duration::from_millis(settings.auth_failure_max_delay_ms),
        );
        Arc::new(Self {
            settings,
            auth,
            tls,
            throttle,
        })
    }
}

/// Serves poppassd on `listener` (through TLS from the first byte when
/// `implicit_tls`) until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    implicit_tls: bool,
    service: Arc<PoppassdService>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    if implicit_tls && service.tls.is_none() {
        return Err(io::Error::other(
            "poppassd TLS listener without a TLS configuration",
        ));
    }
    if let Ok(addr) = listener.local_addr() {
        let what = if implicit_tls {
            "poppassds"
        } else {
            "poppassd"
        };
        tracing::info!(listen = %addr, "{what} listening");
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
                        let mut log = SessionLog::new("poppassd", peer);
                        let result = connection(tcp, peer, implicit_tls, service, stop, &mut log).await;
                        log.finish(&result);
                        if let Err(e) = result {
                            tracing::debug!(%peer, "poppassd connection ended: {e}");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("poppassd accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    let _ = stop_tx.send(true);
    while sessions.join_next().await.is_some() {}
    Ok(())
}

async fn send(stream: &mut Stream, reply: &Reply) -> io::Result<()> {
    let write = async {
        stream.write_all(reply.text.as_bytes()).await?;
        if reply.close {
            stream.shutdown().await
        } else {
            stream.flush().await
        }
    };
    tokio::time::timeout(Duration::from_secs(60), write)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client does not read"))?
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    service: Arc<PoppassdService>,
    mut stop: watch::Receiver<bool>,
    log: &mut SessionLog,
) -> io::Result<()> {
    let _ = tcp.set_nodelay(true);
    let mut stream = Stream::plain(tcp, log.meter());
    if implicit_tls && let Some(acceptor) = &service.tls {
        stream.start_tls(acceptor).await?;
    }
    let plaintext_ok =
        stream.is_tls() || service.settings.allow_plaintext || peer.ip().is_loopback();
    let mut session = Session::new(service.auth.clone(), plaintext_ok);
    send(&mut stream, &session.greeting()).await?;
    let idle = Duration::from_secs(service.settings.idle_timeout.max(1));
    let mut buf = Vec::new();
    loop {
        let line = match take_line(&mut buf, MAX_LINE) {
            Ok(Some(l)) => Some(l),
            Ok(None) => None,
            Err(_) => {
                let r = session.line_too_long();
                return send(&mut stream, &r).await;
            }
        };
        if let Some(line) = line {
            log.command();
            let was_checked = session.awaits_new_password();
            let reply = if session.may_block() {
                let (s, r) = tokio::task::spawn_blocking(move || {
                    let mut s = session;
                    let r = s.input(&line);
                    (s, r)
                })
                .await
                .map_err(io::Error::other)?;
                session = s;
                r
            } else {
                session.input(&line)
            };
            if let Some(user) = &reply.auth_failed {
                let hold = service.throttle.failed(peer.ip(), user);
                tracing::info!(%peer, user, delay_ms = hold.as_millis() as u64, "poppassd authentication failed");
                crate::metrics::login("poppassd", "USER", session.password_source(), false);
                tokio::time::sleep(hold).await;
            } else if !was_checked && session.awaits_new_password() {
                crate::metrics::login("poppassd", "USER", session.password_source(), true);
            }
            send(&mut stream, &reply).await?;
            if reply.close {
                return Ok(());
            }
            continue;
        }
        tokio::select! {
            read = tokio::time::timeout(idle, stream.read_buf(&mut buf)) => match read {
                Err(_) => {
                    let r = Reply { text: "500 idle for too long\r\n".into(), close: true, auth_failed: None };
                    return send(&mut stream, &r).await;
                }
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e),
            },
            _ = stop.changed() => {
                let r = Reply { text: "500 server shutting down\r\n".into(), close: true, auth_failed: None };
                return send(&mut stream, &r).await;
            }
        }
    }
}
