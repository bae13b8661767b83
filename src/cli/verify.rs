//! `popstore verify [--store DIR]`: a read-only check of a whole store.
//!
//! One line per problem (`path: reason`), then a summary line. Exit 0 when
//! clean, 1 when problems were found, 2 when the store can't be used at all
//! (no such directory, no store descriptor). A progress bar on stderr when
//! it is a terminal.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use popstore_formats::StoreFile;
use popstore_formats::descriptor::StoreDescriptor;
use popstore_formats::layout::{Layout, linux_relative};

use crate::verify::{FsStore, Report, verify};

/// Arguments of `popstore verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {}

/// Runs `popstore verify` over the store at `store`.
pub fn run(store: &Path, _args: VerifyArgs) -> ExitCode {
    if !store.is_dir() {
        eprintln!("popstore verify: {}: not a directory", store.display());
        return ExitCode::from(2);
    }
    let desc_path = store.join(linux_relative(&Layout::descriptor()));
    if !desc_path.is_file() {
        eprintln!(
            "popstore verify: {}: not a popstore store (no {})",
            store.display(),
            linux_relative(&Layout::descriptor())
        );
        return ExitCode::from(2);
    }
    let mut fs = FsStore::new(store);
    // Further roots: from the descriptor's Linux hints, when it reads.
    if let Ok(b) = std::fs::read(&desc_path)
        && let Ok(d) = StoreDescriptor::decode(&b)
    {
        for r in d
            .roots
            .iter()
            .filter(|r| r.index != 0 && !r.linux_dir.is_empty())
        {
            fs.add_root(r.index, Path::new(&r.linux_dir));
        }
    }
    let report = with_progress(|tick| verify(&fs, tick));
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
