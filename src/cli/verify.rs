//! `popstore verify [--store DIR]`: a read-only check of a whole store.
//!
//! One line per problem (`path: reason`), one per note (`path: note:
//! reason`, findings that are not problems, such as a journal's torn tail),
//! then a summary line. Exit 0 when clean (notes allowed), 1 when problems
//! were found, 2 when the store can't be used at all
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
    /// After checking, repair what the references decide: reference
    /// counts, usage, orphan message files, references to missing files,
    /// leftover temporary files, message-list journals (folded; stale ones
    /// removed; corrupt ones rebuilt from their whole entries); then check
    /// again (Linux layout).
    #[arg(long)]
    pub repair: bool,
    /// With --repair: leave message files younger than this many seconds
    /// alone (a live server may be delivering them). Use 0 when no server
    /// runs on the store.
    #[arg(long, default_value_t = crate::store::REPAIR_GRACE_SECONDS, requires = "repair")]
    pub grace: i64,
}

/// Runs `popstore verify` over the store at `store`.
pub fn run(store: &Path, args: VerifyArgs) -> ExitCode {
    if !store.is_dir() {
        eprintln!("popstore verify: {}: not a directory", store.display());
        return ExitCode::from(2);
    }
    if args.repair && args.host != HostKind::Linux {
        eprintln!("popstore verify: --repair works on the Linux layout (transfer the store first)");
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
    let code = print_report(&report);
    if !args.repair || (report.problems.is_empty() && report.notes.is_empty()) {
        return code;
    }
    match repair(store, args.grace) {
        Ok((changes, kept)) => {
            for c in &changes {
                println!("repaired {c}");
            }
            for k in &kept {
                println!("not repaired {k}");
            }
            println!(
                "repair: {} change{}",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            );
        }
        Err(e) => {
            eprintln!("popstore verify: repair failed: {e}");
            return ExitCode::from(1);
        }
    }
    let after = with_progress(|tick| verify(&reader, tick));
    print_report(&after)
}

/// Runs the engine's repair (`Store::repair_with_grace`: leftovers,
/// journals, lost lists, counts, orphans); its `kept` lines say what it
/// could not read or would not change.
fn repair(store: &Path, grace: i64) -> Result<(Vec<String>, Vec<String>), String> {
    let s = super::init::open_store(store).map_err(|f| f.message)?;
    let r = s.repair_with_grace(grace).map_err(|e| e.to_string())?;
    Ok((r.changes, r.kept))
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
    // Notes are not problems: verify still passes.
    for p in &r.notes {
        if writeln!(out, "{}: note: {}", p.path, p.reason).is_err() {
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
