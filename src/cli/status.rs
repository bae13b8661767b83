//! `popstore status`: what the running server is doing, asked through its
//! status socket (`[status] socket`, see [`crate::status`]).

use std::process::ExitCode;

use clap::Args;

use super::Cli;
use crate::config::Overrides;

/// `popstore status` flags.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `popstore status`: exit 0 with the report, 1 when no server
/// answers, 2 for a bad configuration.
pub fn run(cli: &Cli, args: &StatusArgs) -> ExitCode {
    let config = match super::load_config(cli, Overrides::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("popstore: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(path) = config.status_socket_path() else {
        eprintln!("popstore: the status socket is off ([status] socket = \"off\")");
        return ExitCode::from(2);
    };
    match crate::status::query(&path) {
        Ok(report) if args.json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("a report serializes")
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print!("{}", report.human());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "popstore: no server answers on {}: {e} (is `popstore serve` running on this store?)",
                path.display()
            );
            ExitCode::from(1)
        }
    }
}
