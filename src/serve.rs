//! `popstore serve`: the servers of the configuration on one tokio runtime,
//! with tracing logs and a clean shutdown on SIGTERM or SIGINT.
//!
//! The store comes in as an [`Arc<dyn Delivery>`]; the servers never open
//! it themselves. [`Server::bind`] binds every configured listener first
//! (so a port in use is reported before anything runs), then
//! [`Server::run`] serves until the shutdown future completes: listeners
//! stop accepting, idle sessions get `421` and close, sessions in the middle
//! of a transaction get [`SHUTDOWN_GRACE`] to finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::config::{Config, Listen};
use crate::delivery::Delivery;
use crate::lmtp;

/// How long sessions in the middle of a transaction may take to finish after
/// shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The bound listeners, ready to serve.
pub struct Server {
    config: Arc<Config>,
    delivery: Arc<dyn Delivery>,
    lmtp: Option<lmtp::server::Listener>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("lmtp", &self.lmtp_address())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds every listener the configuration turns on.
    pub async fn bind(config: Arc<Config>, delivery: Arc<dyn Delivery>) -> anyhow::Result<Server> {
        let lmtp = lmtp::server::Listener::bind(&config.listen.lmtp, config.lmtp.socket_mode.0)
            .await
            .with_context(|| format!("cannot listen for LMTP on {}", config.listen.lmtp))?;
        Ok(Server {
            config,
            delivery,
            lmtp,
        })
    }

    /// Where LMTP listens (with the real port when the configuration said 0).
    pub fn lmtp_address(&self) -> Listen {
        self.lmtp.as_ref().map_or(Listen::Off, |l| l.local())
    }

    /// Serves until `shutdown` completes, then stops as described above.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (drain_tx, mut drain_rx) = mpsc::channel::<()>(1);
        let mut listeners = Vec::new();
        if let Some(l) = self.lmtp {
            let settings = Arc::new(lmtp::server::Settings::from_config(&self.config.lmtp));
            listeners.push(tokio::spawn(l.serve(
                settings,
                self.delivery.clone(),
                stop_rx.clone(),
                drain_tx.clone(),
            )));
        }
        // POP3 (and later IMAP, poppassd, web) start here the same way.
        if listeners.is_empty() {
            warn!("no server is configured to listen (all listeners are off)");
        }
        shutdown.await;
        info!("shutting down: no new connections");
        let _ = stop_tx.send(true);
        for l in listeners {
            let _ = l.await;
        }
        drop(drain_tx);
        // Every session holds a drain sender; recv() is None once all are gone.
        if tokio::time::timeout(SHUTDOWN_GRACE, drain_rx.recv())
            .await
            .is_err()
        {
            warn!("sessions still running after the grace period are cut off");
        }
        info!("stopped");
        Ok(())
    }
}

/// Completes on SIGTERM or SIGINT.
pub async fn termination_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
    tokio::select! {
        _ = term.recv() => info!("SIGTERM received"),
        _ = int.recv() => info!("SIGINT received"),
    }
    Ok(())
}

/// Starts logging to stderr: `RUST_LOG` when set, else `[log] level`.
pub fn init_logging(config: &Config) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v).context("bad RUST_LOG")?,
        _ => EnvFilter::try_new(&config.log.level)
            .with_context(|| format!("bad [log] level `{}`", config.log.level))?,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

/// Runs the servers on a new multi-threaded runtime until SIGTERM or
/// SIGINT. The runtime, not the caller, owns the store's blocking calls.
pub fn run_blocking(config: Arc<Config>, delivery: Arc<dyn Delivery>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("popstore")
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        // Signals are caught before binding, so an early SIGTERM is not lost.
        let signal = tokio::spawn(termination_signal());
        let server = Server::bind(config, delivery).await?;
        server
            .run(async {
                match signal.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => warn!(error = %e, "signals"),
                    Err(e) => warn!(error = %e, "signal task"),
                }
            })
            .await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}
