//! The bouncer inside `popstore serve`: a pass when the server starts,
//! then one every `[expire] interval` seconds, on a thread of its own.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::{info, warn};

use super::policy::{Days, ExpireConfig};
use crate::store::Store;
use crate::store::scrub::Stop;

/// The environment variable that sets the bouncer's clock (Unix
/// seconds) instead of the system's: for tests and for trying a policy
/// out, never needed in service.
pub const CLOCK_VAR: &str = "POPSTORE_BOUNCE_NOW";

/// The bouncer's idea of now: [`CLOCK_VAR`] when set, else the system
/// clock.
pub fn now() -> i64 {
    std::env::var(CLOCK_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(crate::store::now)
}

/// The running bouncer; dropping it stops it and waits for the thread.
#[derive(Debug)]
pub struct Bouncer {
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
}

impl Bouncer {
    /// Starts the passes, unless the policy keeps everything or the
    /// interval is 0.
    pub fn start(store: Arc<Store>, cfg: ExpireConfig, reporting_mta: String) -> Option<Bouncer> {
        let keeps_all =
            cfg.days == Days::Never && cfg.overrides.iter().all(|o| o.days == Days::Never);
        if keeps_all || cfg.interval == 0 {
            return None;
        }
        let stop = Arc::new(Stop::default());
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("bounce".into())
                .spawn(move || run(&store, &cfg, &reporting_mta, &stop))
                .map_err(|e| warn!("bounce thread not started: {e}"))
                .ok()
        };
        Some(Bouncer { stop, thread })
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: &Store, cfg: &ExpireConfig, mta: &str, stop: &Stop) {
    loop {
        let r = super::run(store, cfg, mta, now(), false);
        info!(
            accounts = r.accounts,
            returned = r.returned,
            deleted = r.deleted,
            failed = r.failed,
            skipped = r.skipped.len(),
            "bounce: pass complete"
        );
        if stop.sleep(Duration::from_secs(cfg.interval)) {
            return;
        }
    }
}
