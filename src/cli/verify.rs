//! `popstore verify [--store DIR]`: a read-only check of a whole store.
//!
//! One line per problem (`path: reason`), then a summary line. Exit 0 when
//! clean, 1 when problems were found, 2 when the store can't be used at all
//! (no such directory, no store descriptor). A progress bar on stderr when
//! it is a terminal.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use popstore_formats::layout::Layout;

use crate::host::{HostKind, open_store};
use crate::verify::{PlatformStore, Report, verify};

/// Arguments of `popstore verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The host layout the store is in.
    #[arg(long, value_enum, default_value = "linux")]
    pub host: HostKind,
}

/// Runs `popstore verify` over the store at `store`.
pub fn run(store: &Path, args: VerifyArgs) -> ExitCode {
    if !store.is_dir() {
        eprintln!("popstore verify: {}: not a directory", store.display());
        return ExitCode::from(2);
    }
    let platform = open_store(args.host, store);
    let descriptor = Layout::descriptor();
    if !matches!(platform.stat(&descriptor), Ok(Some(_))) {
        eprintln!(
            "popstore verify: {}: not a popstore store (no {})",
            store.display(),
            platform.display(&descriptor)
        );
        return ExitCode::from(2);
    }
    let reader = PlatformStore::new(&*platform);
    let report = with_progress(|tick| verify(&reader, tick));
    print_report(&report)
}

fn with_progress(f: impl FnOnce(&dyn Fn(u64)) -> Report) -> Report {
    if !std::io::stderr().is_terminal() {
        return f(&|_| {});
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} verify: {pos} files read ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let report = f(&|n| {
        if n % 64 == 0 {
            bar.set_position(n);
        }
    });
    bar.finish_and_clear();
    report
}

fn print_report(r: &Report) -> ExitCode {
    let mut out = std::io::stdout().lock();
    for p in &r.problems {
        if writeln!(out, "{}: {}", p.path, p.reason).is_err() {
            return ExitCode::from(1);
        }
    }
    let _ = writeln!(
        out,
        "verify: {} files read, {} accounts, {} message files, {} references: {} problem{}",
        r.files,
        r.accounts,
        r.messages,
        r.references,
        r.problems.len(),
        if r.problems.len() == 1 { "" } else { "s" }
    );
    if r.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
