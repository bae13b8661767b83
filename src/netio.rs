//! Connection plumbing shared by the POP3, poppassd and ManageSieve
//! servers: a TCP connection in the clear or through TLS (started at once
//! or by STARTTLS) whose bytes are counted ([`Meter`]), binding a
//! listener, and reading lines against a length limit.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::config::Listen;

/// How long a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The bytes one connection carried, counted below TLS (what crossed
/// the wire) as each read or write returns: one relaxed add to the
/// session's total and one to the process-wide counters
/// `popstore_bytes_in_total{protocol}` and `popstore_bytes_out_total`.
#[derive(Debug)]
pub struct Meter {
    read: AtomicU64,
    written: AtomicU64,
    bytes_in: metrics::Counter,
    bytes_out: metrics::Counter,
}

impl Meter {
    /// A meter for one connection of `protocol` (the label of the
    /// counters: `pop3`, `poppassd`, `managesieve`, `lmtp`, `imap`...).
    pub fn new(protocol: &'static str) -> Arc<Self> {
        Arc::new(Self {
            read: AtomicU64::new(0),
            written: AtomicU64::new(0),
            bytes_in: metrics::counter!("popstore_bytes_in_total", "protocol" => protocol),
            bytes_out: metrics::counter!("popstore_bytes_out_total", "protocol" => protocol),
        })
    }

    /// Counts `n` bytes received.
    pub fn received(&self, n: usize) {
        if n > 0 {
            self.read.fetch_add(n as u64, Ordering::Relaxed);
            self.bytes_in.increment(n as u64);
        }
    }

    /// Counts `n` bytes sent.
    pub fn sent(&self, n: usize) {
        if n > 0 {
            self.written.fetch_add(n as u64, Ordering::Relaxed);
            self.bytes_out.increment(n as u64);
        }
    }

    /// Bytes received so far.
    pub fn bytes_in(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// Bytes sent so far.
    pub fn bytes_out(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

/// A byte stream whose reads and writes are counted by a [`Meter`].
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    meter: Arc<Meter>,
}

impl<S> Counted<S> {
    /// Counts `inner`'s bytes in `meter`.
    pub fn new(inner: S, meter: Arc<Meter>) -> Self {
        Self { inner, meter }
    }

    /// The stream itself.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            this.meter.received(buf.filled().len() - before);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            this.meter.sent(n);
        }
        r
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            this.meter.sent(n);
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A TCP connection whose bytes are counted.
pub type Tcp = Counted<TcpStream>;

/// A connection in the clear or through TLS.
pub enum Stream {
    /// In the clear.
    Plain(Tcp),
    /// Through TLS.
    Tls(Box<tokio_rustls::server::TlsStream<Tcp>>),
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
    /// A connection in the clear, its bytes counted by `meter`.
    pub fn plain(tcp: TcpStream, meter: &Arc<Meter>) -> Self {
        Stream::Plain(Counted::new(tcp, Arc::clone(meter)))
    }

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

/// The TLS acceptor of the configuration's `[tls]` pair, and its
/// certificate, which `serve` reloads on SIGHUP (new handshakes get the
/// new one).
pub fn acceptor(
    config: &crate::config::Config,
) -> anyhow::Result<(TlsAcceptor, Arc<crate::tls::ReloadableCert>)> {
    let host = crate::config::system_hostname();
    let cert = crate::pop3::listen::tls_from_config(config, &host)?;
    let tls: Arc<rustls::ServerConfig> = crate::tls::server_config(Arc::clone(&cert))?;
    Ok((TlsAcceptor::from(tls), cert))
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
