//! `popstore config show`: the effective configuration.

use std::process::ExitCode;

use clap::Subcommand;

use super::Cli;
use crate::config::Overrides;

/// `popstore config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (defaults, `--config FILE`, flags) as TOML.
    Show,
    /// Print the built-in default configuration, with its comments.
    Defaults,
}

/// Runs `popstore config ...`.
pub fn run(cli: &Cli, command: &ConfigCommand) -> ExitCode {
    match command {
        ConfigCommand::Show => match super::load_config(cli, Overrides::default()) {
            Ok(c) => {
                print!("{}", c.to_toml());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("popstore: {e}");
                ExitCode::from(2)
            }
        },
        ConfigCommand::Defaults => {
            print!("{}", crate::config::DEFAULT_CONFIG);
            ExitCode::SUCCESS
        }
    }
}
