//! The command line: one binary, subcommands by object, PMDF's verbs.
//!
//! Exit codes: 0 success, 1 the operation found problems or was refused,
//! 2 bad arguments; `deliver` uses the sysexits codes MTAs expect.
//! Each subcommand (or group of subcommands) lives in a file of its own and
//! adds one variant to [`Command`] and one arm to [`run`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{Config, Overrides};

pub mod config;
pub mod serve;
pub mod sieve;

/// popstore: a portable mail store serving POP3, IMAP4 and LMTP.
#[derive(Debug, Parser)]
#[command(name = "popstore", version, about)]
pub struct Cli {
    /// The store directory (default: the configuration's `[store] path`,
    /// `./popstore-data`).
    #[arg(
        long,
        global = true,
        env = "POPSTORE_STORE",
        default_value = "./popstore-data"
    )]
    pub store: PathBuf,

    /// A TOML configuration file merged over the built-in defaults.
    #[arg(long, global = true, env = "POPSTORE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Run the servers (LMTP; POP3 and the others as they join) until SIGTERM.
    Serve(serve::ServeArgs),
    /// Sieve scripts: check, test.
    #[command(subcommand)]
    Sieve(sieve::SieveCmd),
}

/// Parses the command line and runs it.
///
/// When neither `--store` nor `$POPSTORE_STORE` is given and a
/// configuration file is, the file's `[store] path` becomes the store.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if matches.value_source("store") == Some(ValueSource::DefaultValue)
        && let Some(file) = &cli.config
    {
        match Config::load(Some(file), &Overrides::default()) {
            Ok(c) => cli.store = c.store.path,
            Err(e) => {
                eprintln!("popstore: {e}");
                return ExitCode::from(2);
            }
        }
    }
    run(cli)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Config(ref c) => config::run(&cli, c),
        Command::Serve(ref a) => serve::run(&cli, a),
        Command::Sieve(c) => sieve::run(c),
    }
}

/// The effective configuration for a parsed command line: the defaults,
/// `--config FILE`, then `--store` and the given listener flags.
pub fn load_config(
    cli: &Cli,
    mut overrides: Overrides,
) -> Result<Config, crate::config::ConfigError> {
    overrides.store = Some(cli.store.clone());
    Config::load(cli.config.as_deref(), &overrides)
}
