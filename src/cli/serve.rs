//! `popstore serve`: runs the configured servers until SIGTERM or SIGINT.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::Cli;
use crate::config::{Config, Listen, Overrides};
use crate::delivery::Delivery;

/// `popstore serve` flags: each listener flag overrides `[listen]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// LMTP listener: IP:PORT, unix:/path, or off.
    #[arg(long, value_name = "ADDR|off")]
    pub lmtp: Option<Listen>,
    /// POP3 listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub pop3: Option<Listen>,
    /// POP3 over implicit TLS listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub pop3s: Option<Listen>,
}

/// Opens the store for delivery. The one place that names the store
/// engine: every channel (LMTP, `deliver`, `validate`) gets it from here.
pub fn open_delivery(config: &Config) -> anyhow::Result<Arc<dyn Delivery>> {
    anyhow::bail!(
        "cannot open the store {}: this build has no store engine yet",
        config.store.path.display()
    )
}

/// Runs `popstore serve`.
pub fn run(cli: &Cli, args: &ServeArgs) -> ExitCode {
    let overrides = Overrides {
        store: None,
        lmtp: args.lmtp.clone(),
        pop3: args.pop3.clone(),
        pop3s: args.pop3s.clone(),
    };
    let config = match super::load_config(cli, overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("popstore: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = crate::serve::init_logging(&config) {
        eprintln!("popstore: {e:#}");
        return ExitCode::from(2);
    }
    let delivery = match open_delivery(&config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("popstore: {e:#}");
            return ExitCode::from(1);
        }
    };
    match crate::serve::run_blocking(Arc::new(config), delivery) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("popstore: {e:#}");
            ExitCode::from(1)
        }
    }
}
