//! `popstore bounce [--dry-run] [--json] [--now TIME]`: one pass of the
//! message bouncer (what `serve` does every `[expire] interval` seconds).

use std::process::ExitCode;

use clap::Args;

use super::Cli;
use crate::config::Overrides;

/// `popstore bounce` arguments.
#[derive(Debug, Args)]
pub struct BounceArgs {
    /// Say what would be returned and deleted; send and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run as if it were this moment (Unix seconds), to try a policy out
    /// (else $POPSTORE_BOUNCE_NOW, else the clock).
    #[arg(long, value_name = "UNIX_TIME")]
    pub now: Option<i64>,
}

/// Runs `popstore bounce`: exit 0 when every expired message was dealt
/// with, 1 when a notice could not be sent or an account was skipped.
pub fn run(cli: &Cli, args: &BounceArgs) -> ExitCode {
    let config = match super::load_config(cli, Overrides::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("popstore: {e}");
            return ExitCode::from(2);
        }
    };
    let store = match super::serve::open_store(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("popstore: {e:#}");
            return ExitCode::from(1);
        }
    };
    let now = args.now.unwrap_or_else(crate::bounce::service::now);
    let mta = crate::lmtp::Limits::from_config(&config.lmtp).hostname;
    let report = crate::bounce::run(&store, &config.expire, &mta, now, args.dry_run);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        let would = if args.dry_run { "would be " } else { "" };
        for m in &report.messages {
            let what = match (&m.error, m.action) {
                (Some(e), _) => format!("kept: returning it failed: {e}"),
                (None, crate::store::expire::Action::Return) => {
                    format!("{would}returned to <{}>", m.sender)
                }
                (None, crate::store::expire::Action::Delete) => format!("{would}deleted"),
            };
            println!("{} {}: {what}", m.account, m.message);
        }
        for (a, why) in &report.skipped {
            println!("{a}: skipped: {why}");
        }
        println!(
            "{} accounts, {} {would}returned, {} {would}deleted, {} failed",
            report.accounts, report.returned, report.deleted, report.failed
        );
    }
    if report.failed > 0 || !report.skipped.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
