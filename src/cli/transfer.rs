//! `popstore transfer --from linux|openvms SRC --to linux|openvms DST`:
//! copies a store between host layouts, keeping every data byte, into an
//! empty destination, then verifies the copy. Exit 0 done, 1 refused or
//! failed (nothing is removed from the source), 2 bad arguments.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use popstore_formats::layout::Layout;

use crate::host::{HostKind, open_store, store_roots};
use crate::transfer::transfer;

/// Arguments of `popstore transfer`.
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// The source: its host layout and directory.
    #[arg(long, num_args = 2, value_names = ["HOST", "SRC"], required = true)]
    pub from: Vec<String>,
    /// The destination: its host layout and directory (missing or empty).
    #[arg(long, num_args = 2, value_names = ["HOST", "DST"], required = true)]
    pub to: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn side(v: &[String], what: &str) -> Result<(HostKind, PathBuf), String> {
    match v {
        [host, dir] => {
            let kind = HostKind::from_str(host, true)
                .map_err(|_| format!("--{what}: host {host:?} is not linux or openvms"))?;
            Ok((kind, PathBuf::from(dir)))
        }
        _ => Err(format!("--{what} takes a host and a directory")),
    }
}

fn name(kind: HostKind) -> &'static str {
    match kind {
        HostKind::Linux => "linux",
        HostKind::Openvms => "openvms",
    }
}

/// Runs `popstore transfer` (the global `--store` is not used).
pub fn run(_store: &Path, args: TransferArgs) -> ExitCode {
    let (from, to) = match (side(&args.from, "from"), side(&args.to, "to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("popstore transfer: {e}");
            return ExitCode::from(2);
        }
    };
    let src = open_store(from.0, &from.1);
    if !matches!(src.stat(&Layout::descriptor()), Ok(Some(_))) {
        eprintln!(
            "popstore transfer: {}: not a popstore store in the {} layout (no {})",
            from.1.display(),
            name(from.0),
            src.display(&Layout::descriptor())
        );
        return ExitCode::from(2);
    }
    // The destination's roots mirror the source's (same relative hints).
    let roots: Vec<PathBuf> = store_roots(&from.1, &*src)
        .iter()
        .map(|r| match r.strip_prefix(&from.1) {
            Ok(rel) => to.1.join(rel),
            Err(_) => r.clone(),
        })
        .collect();
    let dst = to.0.backend(roots);
    match transfer(&*src, &*dst, &|_| {}) {
        Ok(r) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            } else {
                let formats: Vec<String> =
                    r.formats.iter().map(|(k, v)| format!("{v} {k}")).collect();
                println!(
                    "transfer: {} files ({}), {} bytes, {} directories copied from {} {} to {} {}; verified: same names, every byte identical",
                    r.files,
                    formats.join(", "),
                    r.bytes,
                    r.dirs,
                    name(from.0),
                    from.1.display(),
                    name(to.0),
                    to.1.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("popstore transfer: {e}");
            ExitCode::from(1)
        }
    }
}
