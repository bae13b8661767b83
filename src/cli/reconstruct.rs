//! `popstore reconstruct [USER...|--all] [--public] [--dry-run] [--json]`:
//! rebuild MessageStore accounts' mailbox lists and folder indexes from
//! what is on disk (see [`crate::store::reconstruct`]). Safe while
//! `serve` runs. Prints one line per change (`path: what`), what it left
//! alone (`kept path: why`), and a summary; `--json` prints the report;
//! a progress bar on stderr when it is a terminal.
//!
//! Exit codes: 0 done (or nothing to do), 1 the store failed or an
//! account is unknown, 2 bad arguments.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use super::init::{Failure, finish, open_store};
use crate::store::REPAIR_GRACE_SECONDS;
use crate::store::name::AccountName;
use crate::store::reconstruct::{ReconstructOptions, ReconstructReport};

/// Arguments of `popstore reconstruct`.
#[derive(Debug, clap::Args)]
pub struct ReconstructArgs {
    /// The MessageStore accounts to reconstruct.
    #[arg(value_name = "USER")]
    pub users: Vec<String>,
    /// Every MessageStore account of the store.
    #[arg(long, conflicts_with = "users")]
    pub all: bool,
    /// The public folder tree.
    #[arg(long)]
    pub public: bool,
    /// Say what would change; change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Leave message files younger than this many seconds alone (a live
    /// server may be delivering them). Use 0 when no server runs.
    #[arg(long, default_value_t = REPAIR_GRACE_SECONDS)]
    pub grace: i64,
}

/// Runs `popstore reconstruct` on the store in `dir`.
pub fn run(dir: &Path, a: ReconstructArgs) -> ExitCode {
    finish(reconstruct(dir, &a))
}

fn reconstruct(dir: &Path, a: &ReconstructArgs) -> Result<(), Failure> {
    if a.public {
        return Err(Failure::usage(
            "--public: this version has no public folders to reconstruct",
        ));
    }
    if a.users.is_empty() && !a.all {
        return Err(Failure::usage("name the accounts to reconstruct, or --all"));
    }
    let store = open_store(dir)?;
    let names: Vec<AccountName> = if a.all {
        store.message_store_accounts()?
    } else {
        let mut v = Vec::new();
        for u in &a.users {
            let n = store.name(u)?;
            store.existing(&n)?;
            v.push(n);
        }
        v
    };
    let opts = ReconstructOptions {
        dry_run: a.dry_run,
        grace_seconds: a.grace,
    };
    let report = with_progress(|tick| store.reconstruct(&names, &opts, tick))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_human(&report);
    }
    Ok(())
}

fn with_progress(
    f: impl FnOnce(&dyn Fn(usize, usize, &str)) -> crate::store::Result<ReconstructReport>,
) -> crate::store::Result<ReconstructReport> {
    if !std::io::stderr().is_terminal() {
        return f(&|_, _, _| {});
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("reconstruct {bar:30} {pos}/{len} accounts {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let r = f(&|done, total, name| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(name.to_string());
    });
    bar.finish_and_clear();
    r
}

fn print_human(r: &ReconstructReport) {
    let verb = if r.dry_run { "would change" } else { "changed" };
    for a in &r.accounts {
        if let Some(why) = &a.skipped {
            println!("{}: skipped: {why}", a.account);
            continue;
        }
        for c in &a.changes {
            if r.dry_run {
                println!("would change {c}");
            } else {
                println!("changed {c}");
            }
        }
        for k in &a.kept {
            println!("kept {k}");
        }
        println!(
            "{}: {} folders, {} messages ({} given back), {} change{}",
            a.account,
            a.folders,
            a.messages,
            a.restored,
            a.changes.len(),
            if a.changes.len() == 1 { "" } else { "s" }
        );
    }
    println!(
        "reconstruct: {} account{}, {verb} {}",
        r.accounts.len(),
        if r.accounts.len() == 1 { "" } else { "s" },
        r.changes()
    );
}
