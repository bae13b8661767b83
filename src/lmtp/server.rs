//! The listeners around [`super::Session`] (TCP or Unix socket, accepted with
//! tokio) and the hand-off of each connection to its own thread
//! ([`super::threads`]), with the connection slots ([`crate::slots`]) and
//! shutdown.

use std::io;
use std::net::{IpAddr, Shutdown};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::session::Limits;
use super::threads::{Registry, Socket};
use crate::config::{Listen, LmtpConfig};
use crate::delivery::Delivery;
use crate::slots::{Evict, Refusal, Slots, Wait};

/// What a connection needs besides its socket.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The session limits.
    pub limits: Limits,
    /// How long a whole command line may take to arrive.
    pub command_timeout: Duration,
    /// How long each [`super::threads::DATA_CHUNK`] of message data may
    /// take to arrive.
    pub data_timeout: Duration,
    /// How long the client may take to take the replies to what it sent.
    pub send_timeout: Duration,
    /// Permissions of a Unix socket.
    pub socket_mode: u32,
    /// Connections served at once (see [`crate::slots`]).
    pub max_connections: usize,
    /// Connections from one client address at once (0: no limit).
    pub max_connections_per_client: usize,
}

impl Settings {
    /// The settings of an `[lmtp]` configuration section.
    pub fn from_config(c: &LmtpConfig) -> Settings {
        Settings {
            limits: Limits::from_config(c),
            command_timeout: Duration::from_secs(c.command_timeout.max(1)),
            data_timeout: Duration::from_secs(c.data_timeout.max(1)),
            send_timeout: Duration::from_secs(c.send_timeout.max(1)),
            socket_mode: c.socket_mode.0,
            max_connections: usize::try_from(c.max_connections.max(1)).unwrap_or(usize::MAX),
            max_connections_per_client: usize::try_from(c.max_connections_per_client)
                .unwrap_or(usize::MAX),
        }
    }

    /// The connection slots these settings allow.
    pub fn slots(&self) -> Arc<Slots> {
        Slots::new(
            "LMTP",
            self.max_connections,
            self.max_connections_per_client,
        )
    }
}

/// A bound LMTP listener.
#[derive(Debug)]
pub enum Listener {
    /// A TCP socket.
    Tcp(TcpListener),
    /// A Unix socket and its path (removed when the listener stops).
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds the configured address; `None` for `off`. A stale Unix socket
    /// file left by an earlier run is replaced; any other file is not. The
    /// socket gets `socket_mode` permissions.
    pub async fn bind(listen: &Listen, socket_mode: u32) -> io::Result<Option<Listener>> {
        match listen {
            Listen::Off => Ok(None),
            Listen::Tcp(addr) => Ok(Some(Listener::Tcp(TcpListener::bind(addr).await?))),
            Listen::Unix(path) => {
                use std::os::unix::fs::FileTypeExt;
                if let Ok(meta) = std::fs::symlink_metadata(path)
                    && meta.file_type().is_socket()
                    && std::os::unix::net::UnixStream::connect(path).is_err()
                {
                    std::fs::remove_file(path)?;
                }
                let listener = UnixListener::bind(path)?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(socket_mode))?;
                Ok(Some(Listener::Unix(listener, path.clone())))
            }
        }
    }

    /// Where it listens, as configured (`127.0.0.1:2424`, `unix:/path`).
    pub fn local(&self) -> Listen {
        match self {
            Listener::Tcp(l) => match l.local_addr() {
                Ok(a) => Listen::Tcp(a),
                Err(_) => Listen::Off,
            },
            Listener::Unix(_, p) => Listen::Unix(p.clone()),
        }
    }

    /// Accepts connections until `shutdown` turns true, serving each on
    /// its own thread ([`super::threads`]) while it holds one of `slots`
    /// (see [`Settings::slots`]). Each thread holds a clone of `drain`
    /// until it ends, so the caller can wait for the sessions to finish.
    pub async fn serve(
        self,
        settings: Arc<Settings>,
        slots: Arc<Slots>,
        delivery: Arc<dyn Delivery>,
        mut shutdown: watch::Receiver<bool>,
        drain: mpsc::Sender<()>,
    ) {
        let local = self.local();
        info!(listen = %local, "LMTP listening");
        let registry = Arc::new(Registry::default());
        loop {
            let accepted = tokio::select! {
                _ = shutdown.wait_for(|s| *s) => break,
                a = self.accept() => a,
            };
            let (stream, client, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: wait a little, go on.
                    warn!(error = %e, "LMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let session = (
                client, peer, &settings, &delivery, &registry, &slots, &drain,
            );
            let r = match stream {
                Stream::Tcp(s) => s.into_std().and_then(|s| spawn_session(s, session)),
                Stream::Unix(s) => s.into_std().and_then(|s| spawn_session(s, session)),
            };
            if let Err(e) = r {
                warn!(error = %e, "LMTP connection could not be served");
            }
        }
        registry.stop();
        if let Listener::Unix(_, path) = &self {
            let _ = std::fs::remove_file(path);
        }
        info!(listen = %local, "LMTP stopped accepting");
    }

    /// A new connection, the client's name, and its address (none on a
    /// Unix socket).
    async fn accept(&self) -> io::Result<(Stream, String, Option<IpAddr>)> {
        match self {
            Listener::Tcp(l) => {
                let (s, peer) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok((Stream::Tcp(s), format!("[{}]", peer.ip()), Some(peer.ip())))
            }
            Listener::Unix(l, _) => {
                let (s, _) = l.accept().await?;
                Ok((Stream::Unix(s), "localhost".to_string(), None))
            }
        }
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// What a session thread gets besides its socket: the client's name and
/// address, and the listener's shared parts.
type SessionParts<'a> = (
    String,
    Option<IpAddr>,
    &'a Arc<Settings>,
    &'a Arc<dyn Delivery>,
    &'a Arc<Registry>,
    &'a Arc<Slots>,
    &'a mpsc::Sender<()>,
);

/// Serves an accepted connection (still non-blocking) on a new thread, or
/// refuses it: `421 4.7.0` when its address holds its share of the slots,
/// `421 4.3.2` when every slot is held by a session busy in the store.
fn spawn_session<S: Socket>(
    mut stream: S,
    (client, peer, settings, delivery, registry, slots, drain): SessionParts<'_>,
) -> io::Result<()> {
    let handle = stream.handle()?;
    let wake = Arc::clone(&handle);
    let evict: Evict = Box::new(move |wait| {
        // A reader is woken to say goodbye; a writer's client reads nothing.
        wake(match wait {
            Wait::Input => Shutdown::Read,
            Wait::Output => Shutdown::Both,
        });
    });
    let slot = match slots.admit(peer, evict) {
        Ok(slot) => slot,
        Err(refusal) => {
            let host = &settings.limits.hostname;
            let text = match refusal {
                Refusal::PerClient => {
                    warn!(%client, max = settings.max_connections_per_client, "LMTP connection refused: too many from this address");
                    format!(
                        "421 4.7.0 {host} Too many connections from your address, try again later\r\n"
                    )
                }
                Refusal::Full => {
                    warn!(%client, max = settings.max_connections, "LMTP connection refused: too many");
                    format!("421 4.3.2 {host} Too many connections, try again later\r\n")
                }
            };
            // One attempt while the socket is non-blocking: the reply fits
            // its empty buffer, and nothing waits on the client.
            let _ = stream.write(text.as_bytes());
            let _ = stream.shut(Shutdown::Both);
            return Ok(());
        }
    };
    stream.blocking()?;
    let id = registry.add(handle);
    let (settings, delivery, reg, drain) = (
        settings.clone(),
        delivery.clone(),
        registry.clone(),
        drain.clone(),
    );
    let spawned = std::thread::Builder::new()
        .name("lmtp".into())
        .spawn(move || {
            debug!(%client, "LMTP connection");
            let r =
                super::threads::connection(stream, &client, &settings, &*delivery, &reg, id, slot);
            match r {
                Ok(()) => {}
                // A missed deadline: logged once the session is over.
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    info!(%client, "LMTP connection closed: {e}");
                }
                Err(e) => debug!(%client, error = %e, "LMTP connection ended"),
            }
            drop(drain);
        });
    if let Err(e) = spawned {
        registry.remove(id);
        return Err(e);
    }
    Ok(())
}
