//! What the running server is doing, for `popstore status`: its
//! listeners, the sessions open per protocol, its uptime and version.
//!
//! `serve` listens on a local Unix socket (`[status] socket`, mode 0600);
//! each connection gets one [`Report`] as a line of JSON, then the server
//! closes it. Nothing is read from the client, so the socket cannot be
//! used to change anything.

use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;
use tokio::net::UnixListener;

use crate::slots::Slots;

/// One listener of the running server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerReport {
    /// `lmtp`, `pop3`, `pop3s`, ...
    pub protocol: String,
    /// Where it listens (`127.0.0.1:2424`, `unix:/path`).
    pub address: String,
}

/// The open sessions of one server (its listeners share them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReport {
    /// `lmtp`, `pop3` (POP3 and POP3S together), ...
    pub protocol: String,
    /// Sessions open now.
    pub open: u64,
}

/// What `popstore status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The server's version.
    pub version: String,
    /// Its process id.
    pub pid: u32,
    /// When it started, in seconds since 1970-01-01 UTC.
    pub started: u64,
    /// Seconds since it started.
    pub uptime_secs: u64,
    /// Its listeners.
    pub listeners: Vec<ListenerReport>,
    /// Its sessions per protocol.
    pub sessions: Vec<SessionReport>,
}

impl Report {
    /// The report for people: one fact a line, times as dates.
    pub fn human(&self) -> String {
        let started = crate::sieve::date::DateTime {
            unix: i64::try_from(self.started).unwrap_or(i64::MAX),
            offset: 0,
        };
        let when = |part| crate::sieve::date::part(started, part).unwrap_or_default();
        let mut out = format!(
            "popstore {} (pid {}), up {} since {} {} UTC\n",
            self.version,
            self.pid,
            duration(self.uptime_secs),
            when("date"),
            when("time"),
        );
        if self.listeners.is_empty() {
            out.push_str("no listeners\n");
        }
        for l in &self.listeners {
            out.push_str(&format!("listening  {:<6} {}\n", l.protocol, l.address));
        }
        for s in &self.sessions {
            out.push_str(&format!("sessions   {:<6} {} open\n", s.protocol, s.open));
        }
        out
    }
}

/// `1d 2h 3m 4s`, leaving out the leading zero units.
fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m {s}s"),
    }
}

/// What the running server knows about itself, turned into a [`Report`]
/// on each request.
#[derive(Debug)]
pub struct Activity {
    started: SystemTime,
    since: Instant,
    listeners: Vec<ListenerReport>,
    sessions: Vec<(&'static str, Arc<Slots>)>,
}

impl Activity {
    /// The activity of a server starting now.
    pub fn new(
        listeners: Vec<ListenerReport>,
        sessions: Vec<(&'static str, Arc<Slots>)>,
    ) -> Activity {
        Activity {
            started: SystemTime::now(),
            since: Instant::now(),
            listeners,
            sessions,
        }
    }

    /// The report as of now.
    pub fn report(&self) -> Report {
        Report {
            version: env!("CARGO_PKG_VERSION").to_string(),
            pid: std::process::id(),
            started: self
                .started
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            uptime_secs: self.since.elapsed().as_secs(),
            listeners: self.listeners.clone(),
            sessions: self
                .sessions
                .iter()
                .map(|(p, s)| SessionReport {
                    protocol: (*p).to_string(),
                    open: s.in_use() as u64,
                })
                .collect(),
        }
    }

    /// One line for systemd's `STATUS=`: the sessions open per protocol.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .sessions
            .iter()
            .map(|(p, s)| format!("{p} {} sessions", s.in_use()))
            .collect();
        if parts.is_empty() {
            "serving".to_string()
        } else {
            format!("serving: {}", parts.join(", "))
        }
    }
}

/// The bound status socket.
#[derive(Debug)]
pub struct StatusSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl StatusSocket {
    /// Binds `path` (mode 0600), creating its directory. A socket file no
    /// server answers on (left by a crash) is replaced; a live one is not
    /// (another server uses it).
    pub fn bind(path: &Path) -> io::Result<StatusSocket> {
        use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        if let Ok(meta) = std::fs::symlink_metadata(path)
            && meta.file_type().is_socket()
        {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "another server answers on it",
                ));
            }
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        Ok(StatusSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    /// Answers every connection with `activity`'s report until `shutdown`
    /// completes, then removes the socket file.
    pub async fn serve(self, activity: Arc<Activity>, shutdown: impl Future<Output = ()>) {
        tracing::info!(socket = %self.path.display(), "status socket listening");
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((mut stream, _)) => {
                        let mut line = serde_json::to_vec(&activity.report())
                            .expect("a report serializes");
                        line.push(b'\n');
                        tokio::spawn(async move {
                            let _ = tokio::time::timeout(
                                std::time::Duration::from_secs(5),
                                async { stream.write_all(&line).await?; stream.shutdown().await },
                            )
                            .await;
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "status socket accept");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                },
            }
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Asks the server listening on `path` for its report.
pub fn query(path: &Path) -> io::Result<Report> {
    let mut stream = std::os::unix::net::UnixStream::connect(path)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(65), "1m 5s");
        assert_eq!(duration(3 * 3600 + 5), "3h 0m 5s");
        assert_eq!(duration(86_400 + 61), "1d 0h 1m 1s");
    }

    #[tokio::test]
    async fn a_client_reads_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/status.sock");
        let slots = Slots::new("POP3", 10, 0);
        let activity = Arc::new(Activity::new(
            vec![ListenerReport {
                protocol: "pop3".into(),
                address: "127.0.0.1:1110".into(),
            }],
            vec![("pop3", Arc::clone(&slots))],
        ));
        let socket = StatusSocket::bind(&path).unwrap();
        assert_eq!(
            StatusSocket::bind(&path).unwrap_err().kind(),
            io::ErrorKind::AddrInUse,
            "a live socket is not taken over"
        );
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(socket.serve(activity, async {
            let _ = stop_rx.await;
        }));
        let p = path.clone();
        let report = tokio::task::spawn_blocking(move || query(&p))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.pid, std::process::id());
        assert_eq!(report.sessions[0].open, 0);
        assert!(report.human().contains("listening  pop3   127.0.0.1:1110"));
        stop_tx.send(()).unwrap();
        served.await.unwrap();
        assert!(!path.exists(), "the socket is removed at shutdown");
    }
}
