//! systemd's service notification protocol (`sd_notify(3)`), for
//! `Type=notify` units: `popstore serve` says `READY=1` once every
//! listener is bound, `STATUS=...` lines on the way, `RELOADING=1` around
//! a reload and `STOPPING=1` when shutdown begins.
//!
//! The protocol is one datagram per message, `KEY=VALUE` lines, sent to
//! the Unix socket named by `$NOTIFY_SOCKET`: a path, or an abstract
//! socket name when it starts with `@`. Without the variable (not run by
//! systemd) nothing is sent. A message that cannot be sent is logged at
//! debug level and otherwise ignored: the service manager's view is never
//! worth stopping mail for.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Where notifications go: the service manager's socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    target: SocketAddr,
    /// `$NOTIFY_SOCKET` as given, for messages.
    name: String,
}

impl Notifier {
    /// The notifier of `$NOTIFY_SOCKET`, or `None` when it is unset or
    /// empty (or unusable, which is logged).
    pub fn from_env() -> Option<Notifier> {
        let name = std::env::var("NOTIFY_SOCKET").ok()?;
        if name.is_empty() {
            return None;
        }
        match Notifier::new(&name) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(socket = %name, error = %e, "NOTIFY_SOCKET is unusable");
                None
            }
        }
    }

    /// A notifier sending to `name`: a socket path, or `@NAME` for an
    /// abstract socket (Linux).
    pub fn new(name: &str) -> io::Result<Notifier> {
        let target = target_address(name)?;
        let socket = UnixDatagram::unbound()?;
        Ok(Notifier {
            socket,
            target,
            name: name.to_string(),
        })
    }

    /// Sends `state`, one or more `KEY=VALUE` lines, as one datagram.
    pub fn send(&self, state: &str) -> io::Result<()> {
        let sent = self.socket.send_to_addr(state.as_bytes(), &self.target)?;
        if sent != state.len() {
            return Err(io::Error::other("notification truncated"));
        }
        Ok(())
    }

    /// [`Notifier::send`], logging a failure instead of returning it.
    pub fn tell(&self, state: &str) {
        if let Err(e) = self.send(state) {
            tracing::debug!(socket = %self.name, error = %e, "cannot notify the service manager");
        }
    }
}

/// The socket address `$NOTIFY_SOCKET` names.
fn target_address(name: &str) -> io::Result<SocketAddr> {
    match name.strip_prefix('@') {
        Some(abstract_name) => abstract_address(abstract_name.as_bytes()),
        None if name.starts_with('/') => SocketAddr::from_pathname(name),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "neither an absolute path nor an @abstract name",
        )),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_address(_: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract sockets exist on Linux only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_to_a_socket_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::new(path.to_str().unwrap()).unwrap();
        n.send("READY=1\nSTATUS=up").unwrap();
        let mut buf = [0u8; 64];
        let len = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=up");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("popstore-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        Notifier::new(&format!("@{name}"))
            .unwrap()
            .send("STOPPING=1")
            .unwrap();
        let mut buf = [0u8; 64];
        let len = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"STOPPING=1");
    }

    #[test]
    fn refuses_a_relative_name() {
        assert!(Notifier::new("notify.sock").is_err());
    }
}
