//! Connection plumbing shared by the small line-protocol servers
//! (poppassd, ManageSieve): a TCP connection in the clear or through TLS
//! (started at once or by STARTTLS), binding a listener, and reading
//! lines against a length limit.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::config::Listen;

/// How long a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection in the clear or through TLS.
pub enum Stream {
    /// In the clear.
    Plain(TcpStream),
    /// Through TLS.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// Between the two (during a handshake that failed).
    Gone,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
            Stream::Gone => "Stream::Gone",
        })
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection closed")
}

impl Stream {
    /// True when TLS is active.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Runs the TLS handshake over a connection in the clear.
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        let Stream::Plain(tcp) = std::mem::replace(self, Stream::Gone) else {
            return Err(io::Error::other("TLS is already active"));
        };
        let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
        *self = Stream::Tls(Box::new(tls));
        Ok(())
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
    // POP3 writes a message as header, body slices and terminator in one
    // vectored write.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// Binds a TCP listener: `None` when it is `off`.
pub async fn bind(what: &str, listen: &Listen) -> anyhow::Result<Option<TcpListener>> {
    match listen {
        Listen::Off => Ok(None),
        Listen::Tcp(addr) => TcpListener::bind(addr)
            .await
            .map(Some)
            .with_context(|| format!("cannot listen for {what} on {addr}")),
        Listen::Unix(p) => anyhow::bail!(
            "{what} listens on TCP only, not on the Unix socket {}",
            p.display()
        ),
    }
}

/// The TLS acceptor of the configuration's `[tls]` pair.
pub fn acceptor(config: &crate::config::Config) -> anyhow::Result<TlsAcceptor> {
    let host = crate::config::system_hostname();
    // Loaded once: SIGHUP reloads the POP3 listeners' certificate only.
    let cert = crate::pop3::listen::tls_from_config(config, &host)?;
    let tls: Arc<rustls::ServerConfig> = crate::tls::server_config(cert)?;
    Ok(TlsAcceptor::from(tls))
}

/// A line longer than the limit arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong;

/// Takes one line (without CRLF) from `buf` when a whole one is there.
/// [`LineTooLong`] when more than `max` bytes arrived without a line end.
pub fn take_line(buf: &mut Vec<u8>, max: usize) -> Result<Option<Vec<u8>>, LineTooLong> {
    match memchr::memchr(b'\n', buf) {
        Some(nl) if nl < max => {
            let mut line: Vec<u8> = buf.drain(..=nl).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            Ok(Some(line))
        }
        Some(_) => Err(LineTooLong),
        None if buf.len() >= max => Err(LineTooLong),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_their_limit() {
        let mut b = b"user ann\r\npass x\nrest".to_vec();
        assert_eq!(take_line(&mut b, 100), Ok(Some(b"user ann".to_vec())));
        assert_eq!(take_line(&mut b, 100), Ok(Some(b"pass x".to_vec())));
        assert_eq!(take_line(&mut b, 100), Ok(None));
        assert_eq!(take_line(&mut b, 4), Err(LineTooLong));
        let mut long = vec![b'x'; 10];
        long.push(b'\n');
        assert_eq!(take_line(&mut long, 5), Err(LineTooLong));
    }
}
