//! The web listener: plain HTTP (loopback, unless `[web]
//! allow_plaintext`) or HTTPS with the store's `[tls]` certificate; the
//! headers every answer carries (a Content-Security-Policy without inline
//! script among them) and the refusal of cross-origin browser requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::App;
use crate::config::{Config, Listen};

/// The Content-Security-Policy of every answer: no script at all, styles
/// from our own stylesheet only, no framing, forms to ourselves.
pub const CSP: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound web listener.
pub struct WebListener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    /// The certificate behind `tls`, reloaded on SIGHUP.
    cert: Option<std::sync::Arc<crate::tls::ReloadableCert>>,
}

impl std::fmt::Debug for WebListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebListener")
            .field("tcp", &self.tcp)
            .field("https", &self.tls.is_some())
            .finish()
    }
}

impl WebListener {
    /// Where it listens.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// True when it serves HTTPS.
    pub fn https(&self) -> bool {
        self.tls.is_some()
    }

    /// The HTTPS certificate, for `serve` to reload on SIGHUP.
    pub fn cert(&self) -> Option<std::sync::Arc<crate::tls::ReloadableCert>> {
        self.cert.clone()
    }
}

/// Binds `[listen] web` (`None` when off). Plain HTTP on an address other
/// than loopback is refused unless `[web] allow_plaintext`.
pub async fn bind(config: &Config) -> anyhow::Result<Option<WebListener>> {
    let Listen::Tcp(addr) = &config.listen.web else {
        return crate::netio::bind("web", &config.listen.web)
            .await
            .map(|_| None);
    };
    if !config.web.tls && !config.web.allow_plaintext && !addr.ip().is_loopback() {
        anyhow::bail!(
            "the web interface on {addr} would take passwords in clear: set [web] tls = true \
             (or allow_plaintext = true on a trusted network)"
        );
    }
    let (tls, cert) = if config.web.tls {
        let (acceptor, cert) = crate::netio::acceptor(config)?;
        (Some(acceptor), Some(cert))
    } else {
        (None, None)
    };
    let tcp = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for web on {addr}"))?;
    Ok(Some(WebListener { tcp, tls, cert }))
}

/// TLS connections, handshaken apart from the accept loop so one slow
/// client does not hold up the others.
struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task ended (shutdown): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

fn tls_listener(tcp: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
    let local = tcp.local_addr()?;
    let (tx, ready) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match tcp.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "web: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (acceptor, ready) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                if let Ok(Ok(s)) =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                {
                    let _ = ready.send((s, peer)).await;
                }
            });
            if tx.is_closed() {
                break;
            }
        }
    });
    Ok(TlsListener { local, ready })
}

/// Serves `app` on `listener` until `stop` completes.
pub async fn run(
    listener: WebListener,
    app: Arc<App>,
    stop: crate::serve::ShutdownFuture,
) -> anyhow::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        let scheme = if listener.https() { "https" } else { "http" };
        tracing::info!(listen = %addr, scheme, "web listening");
    }
    let router = app.router();
    let make = router.into_make_service_with_connect_info::<SocketAddr>();
    match listener.tls {
        None => {
            axum::serve(listener.tcp, make)
                .with_graceful_shutdown(stop)
                .await?
        }
        Some(acceptor) => {
            let l = tls_listener(listener.tcp, acceptor)?.tap_io(|_| {});
            axum::serve(l, make).with_graceful_shutdown(stop).await?
        }
    }
    Ok(())
}

/// True when the request comes from a page of another site: its
/// `Sec-Fetch-Site` says so, or its `Origin` is not this host.
fn cross_origin(req: &Request) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && matches!(site, "cross-site" | "same-site")
    {
        return true;
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    origin == "null" || origin_host != host
}

/// Adds the security headers to every answer and refuses cross-origin
/// browser requests: every API request, and every state-changing one.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD);
    let api = req.uri().path().starts_with("/api/");
    let mut res = if (api || unsafe_method) && cross_origin(&req) {
        (
            StatusCode::FORBIDDEN,
            axum::Json(super::error::ErrorBody {
                error: "cross-origin requests are refused".into(),
            }),
        )
            .into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}
