//! The tokio glue around [`Session`]: listeners (TCP or Unix socket), one
//! task per connection, timeouts, shutdown, and the store calls on
//! blocking threads.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

use super::session::{Action, Limits, Session};
use crate::config::{Listen, LmtpConfig};
use crate::delivery::{Delivery, Refusal};

/// What a connection needs besides its socket.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The session limits.
    pub limits: Limits,
    /// How long to wait for a command.
    pub command_timeout: Duration,
    /// How long to wait for the next piece of message data.
    pub data_timeout: Duration,
    /// Permissions of a Unix socket.
    pub socket_mode: u32,
}

impl Settings {
    /// The settings of an `[lmtp]` configuration section.
    pub fn from_config(c: &LmtpConfig) -> Settings {
        Settings {
            limits: Limits::from_config(c),
            command_timeout: Duration::from_secs(c.command_timeout.max(1)),
            data_timeout: Duration::from_secs(c.data_timeout.max(1)),
            socket_mode: c.socket_mode.0,
        }
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

    /// Accepts connections until `shutdown` turns true, serving each in its
    /// own task. Each task holds a clone of `drain` until it ends, so the
    /// caller can wait for the sessions to finish.
    pub async fn serve(
        self,
        settings: Arc<Settings>,
        delivery: Arc<dyn Delivery>,
        mut shutdown: watch::Receiver<bool>,
        drain: mpsc::Sender<()>,
    ) {
        let local = self.local();
        info!(listen = %local, "LMTP listening");
        loop {
            let accepted = tokio::select! {
                _ = shutdown.wait_for(|s| *s) => break,
                a = self.accept() => a,
            };
            let (stream, client) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: wait a little, go on.
                    warn!(error = %e, "LMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let settings = settings.clone();
            let delivery = delivery.clone();
            let shutdown = shutdown.clone();
            let drain = drain.clone();
            tokio::spawn(async move {
                debug!(%client, "LMTP connection");
                let r = match stream {
                    Stream::Tcp(s) => connection(s, &client, &settings, delivery, shutdown).await,
                    Stream::Unix(s) => connection(s, &client, &settings, delivery, shutdown).await,
                };
                if let Err(e) = r {
                    debug!(%client, error = %e, "LMTP connection ended");
                }
                drop(drain);
            });
        }
        if let Listener::Unix(_, path) = &self {
            let _ = std::fs::remove_file(path);
        }
        info!(listen = %local, "LMTP stopped accepting");
    }

    async fn accept(&self) -> io::Result<(Stream, String)> {
        match self {
            Listener::Tcp(l) => {
                let (s, peer) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok((Stream::Tcp(s), format!("[{}]", peer.ip())))
            }
            Listener::Unix(l, _) => {
                let (s, _) = l.accept().await?;
                Ok((Stream::Unix(s), "localhost".to_string()))
            }
        }
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// Serves one LMTP connection on any byte stream until QUIT, end of input,
/// a timeout, or shutdown (which closes the session between transactions).
pub async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    client: &str,
    settings: &Settings,
    delivery: Arc<dyn Delivery>,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let mut session = Session::new(settings.limits.clone(), client);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match session.next_action() {
            Action::NeedInput => {
                flush(&mut stream, &mut session).await?;
                let limit = if session.in_data() {
                    settings.data_timeout
                } else {
                    settings.command_timeout
                };
                let idle = session.is_idle();
                tokio::select! {
                    r = tokio::time::timeout(limit, stream.read(&mut buf)) => match r {
                        Ok(Ok(0)) => return Ok(()),
                        Ok(Ok(n)) => session.receive(&buf[..n]),
                        Ok(Err(e)) => return Err(e),
                        Err(_) => session.close_with(421, "4.4.2", "Timeout, closing connection"),
                    },
                    _ = shutdown.wait_for(|s| *s), if idle => {
                        session.close_with(421, "4.3.2", "Service shutting down");
                    }
                }
            }
            Action::CheckRecipient {
                envelope,
                recipient,
                size_hint,
            } => {
                let d = delivery.clone();
                let r = tokio::task::spawn_blocking(move || {
                    d.check_recipient(&envelope, &recipient, size_hint)
                })
                .await
                .unwrap_or_else(|e| {
                    error!(error = %e, "the store failed while checking a recipient");
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
                flush(&mut stream, &mut session).await?;
                let d = delivery.clone();
                let n = recipients.len();
                let size = message.len();
                let r = tokio::task::spawn_blocking(move || {
                    let results = d.deliver(&envelope, &recipients, &message);
                    (envelope, recipients, results)
                })
                .await;
                let results = match r {
                    Ok((envelope, recipients, results)) => {
                        let ok = results.iter().filter(|r| r.is_ok()).count();
                        let to: Vec<&str> = recipients.iter().map(|r| r.address.as_str()).collect();
                        info!(from = %envelope.mail_from, to = ?to, size, delivered = ok, "LMTP message");
                        results
                    }
                    Err(e) => {
                        error!(error = %e, "the store failed while delivering");
                        let r = Refusal::new(451, (4, 3, 0), "internal error, try again later");
                        vec![Err(r); n]
                    }
                };
                session.delivered(results);
            }
            Action::Close => {
                flush(&mut stream, &mut session).await?;
                let _ = stream.shutdown().await;
                return Ok(());
            }
        }
    }
}

async fn flush<S: AsyncWrite + Unpin>(stream: &mut S, session: &mut Session) -> io::Result<()> {
    let out = session.take_output();
    if !out.is_empty() {
        stream.write_all(&out).await?;
        stream.flush().await?;
    }
    Ok(())
}
