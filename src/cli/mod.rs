//! The command line: one binary, subcommands by object, PMDF's verbs.
//!
//! Exit codes: 0 success, 1 the operation found problems or was refused,
//! 2 bad arguments; `deliver` uses the sysexits codes MTAs expect.
//! Each subcommand (or group of subcommands) lives in a file of its own and
//! adds one variant to [`Command`] and one arm to [`run`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod inspect;
pub mod inspect_imap;
pub mod verify;

/// popstore: a portable mail store serving POP3, IMAP4 and LMTP.
#[derive(Debug, Parser)]
#[command(name = "popstore", version, about)]
pub struct Cli {
    /// The store directory.
    #[arg(
        long,
        global = true,
        env = "POPSTORE_STORE",
        default_value = "./popstore-data"
    )]
    pub store: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a store file decoded (JSON), or its bytes annotated (--hex).
    Inspect(inspect::InspectArgs),
    /// Check a whole store, read-only: framing, checksums, paths, references, usage.
    Verify(verify::VerifyArgs),
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    run(cli)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Verify(a) => verify::run(&cli.store, a),
    }
}
