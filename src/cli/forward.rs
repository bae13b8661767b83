//! `popstore forward add|delete|list`: the forwarding database.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::init::{Failure, Stdin, actor, finish, open_store};

/// `popstore forward ...`
#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// Act as this MANAGE account (password on standard input).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: ForwardCmd,
}

/// The forward subcommands.
#[derive(Debug, Subcommand)]
pub enum ForwardCmd {
    /// Forward a name (which need not be an account) to addresses, local
    /// or external. Replaces an existing forwarding of that name. To keep
    /// delivering to a forwarded account, list it among its own targets.
    /// A store made with `init --no-forward-override` refuses to forward
    /// existing accounts.
    Add {
        /// The name (or address) to forward.
        name: String,
        /// Where its mail goes.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Remove a forwarding.
    Delete {
        /// The forwarded name.
        name: String,
    },
    /// Show the forwardings.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `popstore forward` command.
pub fn run(dir: &Path, a: ForwardArgs) -> ExitCode {
    finish(forward(dir, a))
}

fn forward(dir: &Path, a: ForwardArgs) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, a.as_name.as_deref(), &mut input)?;
    match a.cmd {
        ForwardCmd::Add { name, targets } => {
            let e = store.add_forwarding(&act, &name, &targets)?;
            println!("{} -> {}", e.name, e.targets.join(", "));
        }
        ForwardCmd::Delete { name } => {
            store.delete_forwarding(&act, &name)?;
            println!("removed the forwarding of {}", name.to_lowercase());
        }
        ForwardCmd::List { json } => {
            let all = store.forwardings()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            } else {
                for e in all {
                    println!("{} -> {}", e.name, e.targets.join(", "));
                }
            }
        }
    }
    Ok(())
}
