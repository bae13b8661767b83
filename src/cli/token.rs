//! `popstore token create|list|revoke`: the API tokens of the HTTP API
//! (`Authorization: Bearer`), stored hashed; a new token is shown once.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::init::{Failure, Stdin, actor, finish, open_store};

/// `popstore token ...`
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Act as this MANAGE account (password on standard input).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: TokenCmd,
}

/// The token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token acting as an account; prints it (only this once).
    Create {
        /// The account the token acts as.
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the tokens (of one account, when named); never their secrets.
    List {
        /// Only this account's tokens.
        name: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token's id (from `token list`).
        id: String,
    },
}

/// Runs a `popstore token` command.
pub fn run(dir: &Path, a: TokenArgs) -> ExitCode {
    finish(token(dir, a))
}

fn token(dir: &Path, a: TokenArgs) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, a.as_name.as_deref(), &mut input)?;
    match a.cmd {
        TokenCmd::Create { name, label } => {
            println!("{}", store.create_token(&act, &name, &label)?);
        }
        TokenCmd::List { name, json } => {
            let list = store.list_tokens(&act, name.as_deref())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else {
                for t in list {
                    println!("{} {} {} {}", t.id, t.account, t.created, t.label);
                }
            }
        }
        TokenCmd::Revoke { id } => {
            let t = store.revoke_token(&act, &id)?;
            println!("revoked token {} of {}", t.id, t.account);
        }
    }
    Ok(())
}
