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

pub mod acl;
pub mod bounce;
pub mod config;
pub mod deliver;
pub mod folder;
pub mod forward;
pub mod group;
pub mod init;
pub mod inspect;
pub mod inspect_imap;
pub mod migrate;
pub mod pam_check;
pub mod public;
pub mod reconstruct;
pub mod serve;
pub mod sieve;
pub mod sieve_scripts;
pub mod status;
pub mod token;
pub mod transfer;
pub mod user;
pub mod verify;

/// popstore: a portable mail store serving POP3, IMAP4 and LMTP.
#[derive(Debug, Parser)]
#[command(name = "popstore", version, about)]
pub struct Cli {
    /// The store directory (else $POPSTORE_STORE, else the configuration's
    /// `[store] path`, `./popstore-data`).
    #[arg(long, global = true, default_value = "./popstore-data")]
    pub store: PathBuf,

    /// A TOML configuration file merged over the built-in defaults (else
    /// $POPSTORE_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
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
    /// Show what the running server is doing: listeners, sessions, uptime.
    Status(status::StatusArgs),
    /// Deliver a message from stdin (for MTAs and scripts; sysexits codes).
    Deliver(deliver::DeliverArgs),
    /// Check whether addresses can receive mail (sysexits codes).
    Validate(deliver::ValidateArgs),
    /// Expire messages ([expire]): return unread ones to their senders, delete read ones.
    Bounce(bounce::BounceArgs),
    /// Sieve scripts: check, test; per-user put, get, list, activate, delete.
    Sieve(sieve::SieveArgs),
    /// Print a store file decoded (JSON), or its bytes annotated (--hex).
    Inspect(inspect::InspectArgs),
    /// Check a whole store, read-only: framing, checksums, paths, references, usage.
    Verify(verify::VerifyArgs),
    /// Rebuild MessageStore mailbox lists and folder indexes from what is on disk.
    Reconstruct(reconstruct::ReconstructArgs),
    /// Create a store (in --store DIR).
    Init(init::InitArgs),
    /// Manage accounts.
    User(user::UserArgs),
    /// Manage groups.
    Group(group::GroupArgs),
    /// A MessageStore account's folders: list, show, create, delete, rename, subscribe, acl.
    Folder(folder::FolderArgs),
    /// The public folders: list, show, create, delete, rename, acl, quota.
    Public(public::PublicArgs),
    /// Manage the forwarding database.
    Forward(forward::ForwardArgs),
    /// Bring mail in from mbox files, Maildirs or an IMAP server, keeping UIDLs, UIDs and flags.
    Migrate(migrate::MigrateArgs),
    /// API tokens of the HTTP API: create (shown once), list, revoke.
    Token(token::TokenArgs),
    /// Copy a store between the Linux and OpenVMS layouts, every data byte kept, and verify the copy.
    Transfer(transfer::TransferArgs),
    /// The PAM helper process of `serve` (reads login and password on stdin).
    #[command(hide = true)]
    PamCheck(pam_check::PamCheckArgs),
}

/// Parses the command line and runs it.
///
/// When neither `--store` nor `$POPSTORE_STORE` is given and a
/// configuration file is (`--config` or `$POPSTORE_CONFIG`), the file's
/// `[store] path` becomes the store. Empty variables count as unset.
pub fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "deliver") => {
            // MTAs read sysexits from `deliver`: bad arguments are EX_USAGE.
            let _ = e.print();
            return ExitCode::from(64);
        }
        Err(e) => e.exit(),
    };
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The environment's say comes after the flags'. An empty variable is
    // an unset one (scripts often export `POPSTORE_STORE=`): clap's own
    // `env` would refuse it even beside a `--store DIR`.
    if cli.config.is_none() {
        cli.config = env_path("POPSTORE_CONFIG");
    }
    let store_given = matches.value_source("store") != Some(ValueSource::DefaultValue);
    if !store_given && let Some(dir) = env_path("POPSTORE_STORE") {
        cli.store = dir;
    } else if !store_given && let Some(file) = &cli.config {
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

/// A path from the environment variable `name`, unless it is unset or
/// empty.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Config(ref c) => config::run(&cli, c),
        Command::Serve(ref a) => serve::run(&cli, a),
        Command::Status(ref a) => status::run(&cli, a),
        Command::Deliver(ref a) => deliver::run_deliver(&cli, a),
        Command::Validate(ref a) => deliver::run_validate(&cli, a),
        Command::Bounce(ref a) => bounce::run(&cli, a),
        Command::Sieve(a) => sieve::run(&cli.store, a),
        Command::Init(a) => init::run(&cli.store, a),
        Command::User(a) => user::run(&cli.store, cli.config.as_deref(), a),
        Command::Group(a) => group::run(&cli.store, a),
        Command::Folder(a) => folder::run(&cli.store, a),
        Command::Public(a) => public::run(&cli.store, a),
        Command::Forward(a) => forward::run(&cli.store, a),
        Command::Token(a) => token::run(&cli.store, a),
        Command::Inspect(a) => inspect::run(&cli.store, a),
        Command::Verify(a) => verify::run(&cli.store, a),
        Command::Reconstruct(a) => reconstruct::run(&cli.store, a),
        Command::Transfer(a) => transfer::run(&cli.store, a),
        Command::Migrate(ref a) => migrate::run(&cli.store, a),
        Command::PamCheck(a) => pam_check::run(&a),
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
