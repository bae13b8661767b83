//! `popstore serve`: the servers of the configuration on one tokio runtime,
//! with tracing logs and a clean shutdown on SIGTERM or SIGINT.
//!
//! The store comes in as an [`Arc<dyn Delivery>`]; the servers never open
//! it themselves. [`Server::bind`] binds every configured listener first
//! (so a port in use is reported before anything runs), then
//! [`Server::run`] serves until the shutdown future completes: listeners
//! stop accepting, idle sessions get `421` and close, sessions in the middle
//! of a transaction get [`SHUTDOWN_GRACE`] to finish.
//!
//! Other servers (POP3, later IMAP, poppassd, web) join with
//! [`Server::add_service`]: a function that gets a future completing at
//! shutdown and returns the service's own future, which must stop accepting
//! and end its sessions when that future completes. The CLI builds the
//! whole server inside [`run_blocking`]'s closure, on the runtime.
//!
//! Running under systemd (`Type=notify`), the server says `READY=1` once
//! every listener is bound, keeps a `STATUS=` line of its sessions, and
//! says `STOPPING=1` when shutdown begins ([`crate::notify`]). SIGHUP runs
//! the reloads added with [`Server::on_reload`] (the TLS certificate);
//! everything else in the configuration needs a restart. A status socket
//! ([`Server::status_socket`]) tells `popstore status` what runs.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::config::{Config, Listen};
use crate::delivery::Delivery;
use crate::lmtp;
use crate::notify::Notifier;
use crate::slots::Slots;
use crate::status::{Activity, ListenerReport, StatusSocket};

/// How long sessions in the middle of a transaction may take to finish after
/// shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A future that completes when shutdown begins.
pub type ShutdownFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

type ServiceFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type Service = Box<dyn FnOnce(ShutdownFuture) -> ServiceFuture + Send>;
type Reload = Box<dyn Fn() -> anyhow::Result<()> + Send + Sync>;

/// How often the `STATUS=` line of sessions is brought up to date.
const STATUS_EVERY: Duration = Duration::from_secs(10);

/// The bound listeners, ready to serve.
pub struct Server {
    config: Arc<Config>,
    delivery: Arc<dyn Delivery>,
    lmtp: Option<lmtp::server::Listener>,
    lmtp_slots: Arc<Slots>,
    services: Vec<(&'static str, Service)>,
    listeners: Vec<ListenerReport>,
    sessions: Vec<(&'static str, Arc<Slots>)>,
    reloads: Vec<(&'static str, Reload)>,
    status: Option<StatusSocket>,
    hangups: Option<tokio::signal::unix::Signal>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.services.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Server")
            .field("lmtp", &self.lmtp_address())
            .field("services", &names)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds every listener the configuration turns on.
    pub async fn bind(config: Arc<Config>, delivery: Arc<dyn Delivery>) -> anyhow::Result<Server> {
        let lmtp = lmtp::server::Listener::bind(&config.listen.lmtp, config.lmtp.socket_mode.0)
            .await
            .with_context(|| format!("cannot listen for LMTP on {}", config.listen.lmtp))?;
        let lmtp_slots = lmtp::server::Settings::from_config(&config.lmtp).slots();
        let mut server = Server {
            config,
            delivery,
            lmtp,
            lmtp_slots,
            services: Vec::new(),
            listeners: Vec::new(),
            sessions: Vec::new(),
            reloads: Vec::new(),
            status: None,
            hangups: None,
        };
        if let Some(l) = &server.lmtp {
            server.add_listener("lmtp", l.local().to_string());
            server.track_sessions("lmtp", Arc::clone(&server.lmtp_slots));
        }
        Ok(server)
    }

    /// Names a bound listener in the status report.
    pub fn add_listener(&mut self, protocol: &str, address: String) {
        self.listeners.push(ListenerReport {
            protocol: protocol.to_string(),
            address,
        });
    }

    /// Counts `slots` as the open sessions of `protocol` in the status
    /// report and the `STATUS=` line.
    pub fn track_sessions(&mut self, protocol: &'static str, slots: Arc<Slots>) {
        self.sessions.push((protocol, slots));
    }

    /// The sessions counted so far, per protocol (for the web summary).
    pub fn tracked_sessions(&self) -> Vec<(&'static str, Arc<Slots>)> {
        self.sessions.clone()
    }

    /// Runs `reload` on each SIGHUP (once [`Server::reload_on`] is given
    /// the signal); `what` names it in the log. A failed reload is logged
    /// and changes nothing.
    pub fn on_reload<F>(&mut self, what: &'static str, reload: F)
    where
        F: Fn() -> anyhow::Result<()> + Send + Sync + 'static,
    {
        self.reloads.push((what, Box::new(reload)));
    }

    /// Reloads on every signal `hangups` receives (SIGHUP).
    pub fn reload_on(&mut self, hangups: tokio::signal::unix::Signal) {
        self.hangups = Some(hangups);
    }

    /// Serves the status report on the Unix socket `path`. A socket that
    /// cannot be bound (another live server holds it) is logged and left
    /// out: the mail goes on.
    pub fn status_socket(&mut self, path: &Path) {
        match StatusSocket::bind(path) {
            Ok(s) => self.status = Some(s),
            Err(e) => warn!(
                socket = %path.display(),
                error = %e,
                "no status socket: `popstore status` cannot reach this server"
            ),
        }
    }

    /// The configuration the server was bound with.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Adds a service (a bound listener and its sessions) started by
    /// [`Server::run`]. `start` gets a future that completes when shutdown
    /// begins; the service's future must then stop accepting, end its
    /// sessions and return. Services still running [`SHUTDOWN_GRACE`] after
    /// shutdown began are cut off.
    ///
    /// POP3, for example: `server.add_service("pop3", move |stop|
    /// Box::pin(async move { Ok(pop3::server::run(listener, kind, service,
    /// stop).await?) }))`.
    pub fn add_service<F>(&mut self, name: &'static str, start: F)
    where
        F: FnOnce(ShutdownFuture) -> ServiceFuture + Send + 'static,
    {
        self.services.push((name, Box::new(start)));
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
                Arc::clone(&self.lmtp_slots),
                self.delivery.clone(),
                stop_rx.clone(),
                drain_tx.clone(),
            )));
        }
        for (name, start) in self.services {
            let mut stop = stop_rx.clone();
            let shutdown: ShutdownFuture = Box::pin(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            let service = start(shutdown);
            listeners.push(tokio::spawn(async move {
                if let Err(e) = service.await {
                    tracing::error!(service = name, error = %e, "service failed");
                }
            }));
        }
        if listeners.is_empty() {
            warn!("no server is configured to listen (all listeners are off)");
        }
        let activity = Arc::new(Activity::new(self.listeners, self.sessions));
        if let Some(socket) = self.status {
            let mut stop = stop_rx.clone();
            listeners.push(tokio::spawn(socket.serve(
                Arc::clone(&activity),
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            )));
        }
        let notifier = Notifier::from_env();
        let tell = |state: &str| {
            if let Some(n) = &notifier {
                n.tell(state);
            }
        };
        let mut said = activity.summary();
        tell(&format!("READY=1\nSTATUS={said}"));
        info!("ready");
        let mut hangups = self.hangups;
        let mut ticks = tokio::time::interval(STATUS_EVERY);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(()) = next_signal(&mut hangups) => {
                    tell("RELOADING=1\nSTATUS=reloading");
                    reload(&self.reloads);
                    said = activity.summary();
                    tell(&format!("READY=1\nSTATUS={said}"));
                }
                _ = ticks.tick(), if notifier.is_some() => {
                    let now = activity.summary();
                    if now != said {
                        tell(&format!("STATUS={now}"));
                        said = now;
                    }
                }
            }
        }
        tell("STOPPING=1\nSTATUS=stopping: finishing the open sessions");
        info!("shutting down: no new connections");
        let _ = stop_tx.send(true);
        drop(drain_tx);
        let finished = async {
            for l in &mut listeners {
                let _ = l.await;
            }
            // Every LMTP session holds a drain sender; recv() is None once
            // all are gone.
            drain_rx.recv().await;
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, finished)
            .await
            .is_err()
        {
            warn!("sessions still running after the grace period are cut off");
            for l in &listeners {
                l.abort();
            }
        }
        info!("stopped");
        Ok(())
    }
}

/// The next signal `signals` receives; never, without one.
async fn next_signal(signals: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match signals {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs every reload, logging each outcome.
fn reload(reloads: &[(&'static str, Reload)]) {
    info!("SIGHUP received: reloading");
    for (what, reload) in reloads {
        match reload() {
            Ok(()) => info!(what, "reloaded"),
            Err(e) => warn!(what, error = %format!("{e:#}"), "reload failed, the old one stays"),
        }
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

/// Raises the soft limit on open files (`ulimit -n`) to the hard limit,
/// and warns when even that may be too few for the configured sessions:
/// each LMTP session holds two descriptors (its socket and a handle to
/// wake it), each POP3 session one, and the store and the process need
/// some more.
pub fn raise_open_file_limit(config: &Config) {
    let want = 2 * u64::from(config.lmtp.max_connections)
        + u64::from(config.pop3.max_sessions)
        + u64::from(config.imap.max_sessions)
        + 256;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < want => warn!(
            limit,
            want, "the open-file limit (ulimit -n) is lower than the configured sessions may need"
        ),
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(e) => warn!(error = %e, "cannot raise the open-file limit"),
    }
}

/// Starts logging to stderr: `RUST_LOG` when set, else `[log] level`;
/// text or JSON lines as `[log] format` says.
pub fn init_logging(config: &Config) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v).context("bad RUST_LOG")?,
        _ => EnvFilter::try_new(&config.log.level)
            .with_context(|| format!("bad [log] level `{}`", config.log.level))?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        crate::config::LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        // One object per line, the event's fields at the top level.
        crate::config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    }
    .map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

/// Runs a server on a new multi-threaded runtime until SIGTERM or SIGINT.
/// `build` binds it (and adds its services) on the runtime; the runtime,
/// not the caller, owns the store's blocking calls.
pub fn run_blocking<F, Fut>(build: F) -> anyhow::Result<()>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = anyhow::Result<Server>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("popstore")
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        // Signals are caught before binding, so an early SIGTERM is not
        // lost and an early SIGHUP does not kill.
        let signal = tokio::spawn(termination_signal());
        let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("cannot catch SIGHUP")?;
        let mut server = build().await?;
        server.reload_on(hangups);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{AcceptedRecipient, Envelope, Refusal};

    struct Nobody;

    impl Delivery for Nobody {
        fn check_recipient(
            &self,
            _: &Envelope,
            _: &str,
            _: u64,
        ) -> Result<AcceptedRecipient, Refusal> {
            Err(Refusal::new(550, (5, 1, 1), "no such user"))
        }
        fn deliver(
            &self,
            _: &Envelope,
            r: &[AcceptedRecipient],
            _: &[u8],
        ) -> Vec<Result<(), Refusal>> {
            vec![Err(Refusal::new(451, (4, 3, 0), "no")); r.len()]
        }
    }

    /// A service added to the server starts with it, is told of the
    /// shutdown, and `run` returns once it has stopped.
    #[tokio::test]
    async fn services_start_and_are_told_to_stop() {
        let mut config = Config::defaults();
        config.listen.lmtp = Listen::Off;
        let mut server = Server::bind(Arc::new(config), Arc::new(Nobody))
            .await
            .unwrap();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (stopped_tx, mut stopped_rx) = tokio::sync::oneshot::channel();
        server.add_service("test", move |stop| {
            Box::pin(async move {
                let _ = started_tx.send(());
                stop.await;
                let _ = stopped_tx.send(());
                Ok(())
            })
        });
        assert!(format!("{server:?}").contains("test"));
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(server.run(async {
            let _ = go_rx.await;
        }));
        started_rx.await.unwrap();
        assert!(
            stopped_rx.try_recv().is_err(),
            "not stopped before shutdown"
        );
        go_tx.send(()).unwrap();
        run.await.unwrap().unwrap();
        stopped_rx
            .try_recv()
            .expect("the service saw the shutdown and ended");
    }
}
