//! The background work `popstore serve` does on its store, on a thread of
//! its own: at start-up it removes the leftovers of interrupted writes
//! (temporary files older than `[store] leftover_grace`), then it scrubs
//! the message files at `[store] scrub_rate` bytes per second, one pass
//! after another (`scrub_pause` seconds apart), logging and counting the
//! damaged ones.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::{error, info, warn};

use crate::config::StoreConfig;
use crate::store::Store;
use crate::store::scrub::{ScrubStats, Stop};

/// The running background work; dropping it stops it (at once, even in
/// the middle of a pass or a pause) and waits for the thread.
#[derive(Debug)]
pub struct Housekeeping {
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
    /// What the scrub has done so far.
    pub stats: Arc<ScrubStats>,
}

impl Housekeeping {
    /// Starts the work on `store` with the `[store]` settings.
    pub fn start(store: Arc<Store>, cfg: &StoreConfig) -> Housekeeping {
        let stop = Arc::new(Stop::default());
        let stats = Arc::new(ScrubStats::default());
        let (grace, rate, pause) = (
            Duration::from_secs(cfg.leftover_grace),
            cfg.scrub_rate.0,
            Duration::from_secs(cfg.scrub_pause),
        );
        let thread = {
            let (stop, stats) = (Arc::clone(&stop), Arc::clone(&stats));
            std::thread::Builder::new()
                .name("housekeeping".into())
                .spawn(move || run(&store, grace, rate, pause, &stats, &stop))
                .map_err(|e| warn!("housekeeping thread not started: {e}"))
                .ok()
        };
        Housekeeping {
            stop,
            thread,
            stats,
        }
    }
}

impl Drop for Housekeeping {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    store: &Store,
    grace: Duration,
    rate: u64,
    pause: Duration,
    stats: &ScrubStats,
    stop: &Stop,
) {
    let lines = store.remove_leftovers(grace);
    for l in &lines {
        info!("start-up clean-up: {l}");
    }
    info!(
        "start-up clean-up: {} leftover temporary files older than {}s removed",
        lines
            .iter()
            .filter(|l| l.ends_with("removed leftover temporary file"))
            .count(),
        grace.as_secs()
    );
    if rate == 0 {
        return;
    }
    loop {
        info!(rate, "scrub: pass started");
        let mut report = |d: crate::store::scrub::Damaged| {
            error!(
                file = %d.path,
                reason = %d.reason,
                recipients = %d.recipients.join(", "),
                "scrub: damaged message file (popstore verify names the accounts that reference it)"
            );
        };
        if !store.scrub_pass(rate, stats, stop, &mut report) {
            return;
        }
        use std::sync::atomic::Ordering::Relaxed;
        info!(
            files = stats.files.load(Relaxed),
            bytes = stats.bytes.load(Relaxed),
            damaged = stats.damaged.load(Relaxed),
            passes = stats.passes.load(Relaxed),
            "scrub: pass complete"
        );
        if stop.sleep(pause) {
            return;
        }
    }
}
