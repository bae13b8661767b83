//! Prometheus metrics (`[metrics] listen`, off by default): the servers
//! count with the `metrics` crate's macros (free when no recorder is
//! installed), metrics-exporter-prometheus renders the text format, and
//! hyper serves it on `GET /metrics`.
//!
//! What is counted (every name starts with `popstore_`):
//! - `sessions_total{protocol}` and `sessions_open{protocol}`: sessions
//!   admitted and holding a slot now ([`crate::slots`]), per server
//!   (`lmtp`, `pop3` for POP3 and POP3S);
//! - `lmtp_recipients_total{stage, code}`: LMTP replies per recipient by
//!   reply code, at `RCPT TO` (`stage="rcpt"`) and after the message data
//!   (`stage="data"`: 250 is a delivery, 4xx and 5xx refusals);
//! - `logins_total{protocol, mechanism, source, result}`: logins that
//!   succeeded (`result="ok"`) and failed (`result="failed"`), per
//!   protocol (`pop3`, `imap`, `managesieve`, `poppassd` for its check of
//!   the old password, `web` for the login form and the old password of a
//!   password change), mechanism (`USER` for USER/PASS and poppassd,
//!   `APOP`, `LOGIN` for IMAP LOGIN, `FORM` for the web, or the SASL
//!   mechanism) and the password source that answered
//!   ([`crate::auth::take_answered`]: `profile`, `cache`, `system`,
//!   `pam`, `ldap`, `external`, or `none` when no account was found; the
//!   web checks the profile's password only);
//! - `password_checks_total{source, result}`: which password source
//!   answered a password check (`profile`, `cache`, or the source's name:
//!   `system`, `pam`, `ldap`, `external`), `result="ok"` when it accepted
//!   the password, `"refused"` when not, `"unavailable"` when it could not
//!   say;
//! - `bytes_in_total{protocol}` and `bytes_out_total{protocol}`: bytes
//!   received and sent on the connections ([`crate::netio::Meter`]; below
//!   TLS, so what crossed the wire);
//! - `store_op_seconds{op}` (histogram): the latency of store operations
//!   at the store's API: `deliver` (one message to all its recipients),
//!   `folder_append` (a new message), `folder_append_entries` (entries
//!   for existing files: COPY, delivery into folders), `folder_store`,
//!   `folder_expunge`, `maildrop_open`,
//!   `maildrop_commit`, `message_open`, `profile_write`;
//! - `lock_wait_seconds` (histogram) and `lock_timeouts_total`: how long
//!   the store's locks took to get, and how many were given up on;
//! - `fsyncs_total`: fsyncs of files and directories the store made
//!   (counted by the platform backend, read at each scrape);
//! - `map_arena_maps`, `map_arena_bytes` and `map_arena_chunks` (gauges,
//!   read at each scrape): the message-file maps the Linux backend's map
//!   arena holds now, the bytes they map, and its 2 MiB chunks in use (of
//!   64; a chunk is freed when its last map drops).
//!
//! A new server (IMAP) counts its sessions, logins and bytes with the same
//! calls and its own `protocol` label: [`session_opened`], [`login`] and a
//! [`crate::sessionlog::SessionLog`] whose meter counts its connection.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::config::Listen;

/// How long a scraper may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Counts a session admitted to `protocol`'s slots, `open` of them now.
pub fn session_opened(protocol: &str, open: usize) {
    metrics::counter!("popstore_sessions_total", "protocol" => protocol.to_string()).increment(1);
    sessions_open(protocol, open);
}

/// Sets the sessions `protocol` has open now.
pub fn sessions_open(protocol: &str, open: usize) {
    metrics::gauge!("popstore_sessions_open", "protocol" => protocol.to_string()).set(open as f64);
}

/// Counts an LMTP reply `code` for one recipient at `stage` (`rcpt` or
/// `data`).
pub fn lmtp_recipient(stage: &'static str, code: u16) {
    metrics::counter!("popstore_lmtp_recipients_total", "stage" => stage, "code" => code.to_string())
        .increment(1);
}

/// Counts a login to `protocol` with `mechanism`, answered by the
/// password `source`, that succeeded or failed.
pub fn login(protocol: &'static str, mechanism: &'static str, source: &'static str, ok: bool) {
    let result = if ok { "ok" } else { "failed" };
    metrics::counter!(
        "popstore_logins_total",
        "protocol" => protocol,
        "mechanism" => mechanism,
        "source" => source,
        "result" => result
    )
    .increment(1);
}

/// Counts a password check answered by `source` (see the module
/// documentation): `Some(ok)` when it said, `None` when it could not.
pub fn password_check(source: &str, answer: Option<bool>) {
    let result = match answer {
        Some(true) => "ok",
        Some(false) => "refused",
        None => "unavailable",
    };
    metrics::counter!(
        "popstore_password_checks_total",
        "source" => source.to_string(),
        "result" => result
    )
    .increment(1);
}

/// Times a store operation from now until it is dropped
/// (`popstore_store_op_seconds{op}`).
#[must_use = "the operation is timed until the timer is dropped"]
#[derive(Debug)]
pub struct OpTimer {
    op: &'static str,
    start: Instant,
}

/// Starts timing the store operation `op`: `let _t = op_timer("deliver");`
/// at the top of the operation.
pub fn op_timer(op: &'static str) -> OpTimer {
    OpTimer {
        op,
        start: Instant::now(),
    }
}

impl Drop for OpTimer {
    fn drop(&mut self) {
        metrics::histogram!("popstore_store_op_seconds", "op" => self.op)
            .record(self.start.elapsed().as_secs_f64());
    }
}

/// Records a lock taken after `waited`, or given up on (`timed_out`).
pub fn lock_waited(waited: Duration, timed_out: bool) {
    metrics::histogram!("popstore_lock_wait_seconds").record(waited.as_secs_f64());
    if timed_out {
        metrics::counter!("popstore_lock_timeouts_total").increment(1);
    }
}

/// The histograms' buckets, in seconds: from 100 µs (a lock nobody held,
/// a cached read) to 30 s (the default lock timeout).
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// Installs the Prometheus recorder for the whole process (once); its
/// handle renders what was counted.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .context("metrics buckets")?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| anyhow::anyhow!("a metrics recorder is installed already"))?;
    Ok(handle)
}

/// Binds the metrics listener: `None` when it is `off`. TCP only.
pub async fn bind(listen: &Listen) -> anyhow::Result<Option<TcpListener>> {
    match listen {
        Listen::Off => Ok(None),
        Listen::Tcp(addr) => TcpListener::bind(addr)
            .await
            .map(Some)
            .with_context(|| format!("cannot listen for metrics on {addr}")),
        Listen::Unix(p) => anyhow::bail!(
            "[metrics] listen is TCP only, not the Unix socket {}",
            p.display()
        ),
    }
}

/// Serves `GET /metrics` (anything else: 404) until `shutdown`
/// completes; scrapes still running then are cut off.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()>,
) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(listen = %addr, "metrics listening");
    }
    let handle = Arc::new(handle);
    let mut scrapes = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = scrapes.join_next(), if !scrapes.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let handle = Arc::clone(&handle);
                    scrapes.spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let handle = Arc::clone(&handle);
                            async move { Ok::<_, Infallible>(answer(&req, &handle)) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(HEADER_TIMEOUT)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    scrapes.abort_all();
}

/// The response to one request.
fn answer<B>(req: &Request<B>, handle: &PrometheusHandle) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => {
            // Kept by the platform backend as a plain atomic.
            metrics::counter!("popstore_fsyncs_total").absolute(popstore_platform::stats::fsyncs());
            let (maps, bytes, chunks) = popstore_platform::stats::arena();
            metrics::gauge!("popstore_map_arena_maps").set(maps as f64);
            metrics::gauge!("popstore_map_arena_bytes").set(bytes as f64);
            metrics::gauge!("popstore_map_arena_chunks").set(chunks as f64);
            (
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                handle.render(),
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: the metrics are at /metrics\n".to_string(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}
