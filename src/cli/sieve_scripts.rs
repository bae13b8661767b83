//! `popstore sieve put|get|list|activate|delete USER`: per-user scripts
//! kept in the user's subtree of the store.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::init::{Failure, Stdin, actor, finish, open_store};
use crate::store::StoreError;

/// A refused script or name is a problem found (exit 1), like `check`.
fn refused(e: StoreError) -> Failure {
    match e {
        StoreError::Invalid(m) => Failure::refused(m),
        e => e.into(),
    }
}

/// The script-management subcommands.
#[derive(Debug, Subcommand)]
pub enum ScriptCmd {
    /// Store a script for a user (it must compile; errors name line:column).
    Put {
        /// The account.
        user: String,
        /// The script name.
        name: String,
        /// The script file (`-`: standard input).
        file: PathBuf,
        /// Make it the active script too.
        #[arg(long)]
        activate: bool,
    },
    /// Print a user's script.
    Get {
        /// The account.
        user: String,
        /// The script name.
        name: String,
    },
    /// List a user's scripts (the active one marked).
    List {
        /// The account.
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a script the one run at delivery (no NAME: none runs).
    Activate {
        /// The account.
        user: String,
        /// The script name.
        name: Option<String>,
    },
    /// Delete a script (not the active one).
    Delete {
        /// The account.
        user: String,
        /// The script name.
        name: String,
    },
}

/// Runs a script-management subcommand on the store in `dir`, acting as
/// `as_name` (a MANAGE account) or as the administrator.
pub fn run(dir: &Path, as_name: Option<&str>, cmd: ScriptCmd) -> ExitCode {
    finish(scripts(dir, as_name, cmd))
}

fn scripts(dir: &Path, as_name: Option<&str>, cmd: ScriptCmd) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, as_name, &mut input)?;
    match cmd {
        ScriptCmd::Put {
            user,
            name,
            file,
            activate,
        } => {
            let text = if file.as_os_str() == "-" {
                let mut b = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut b)
                    .map_err(|e| Failure::usage(format!("standard input: {e}")))?;
                b
            } else {
                std::fs::read(&file)
                    .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?
            };
            store
                .sieve_put(&act, &user, &name, &text)
                .map_err(refused)?;
            if activate {
                store
                    .sieve_activate(&act, &user, Some(&name))
                    .map_err(refused)?;
            }
            println!(
                "stored script {name} for {user}{}",
                if activate { " (active)" } else { "" }
            );
        }
        ScriptCmd::Get { user, name } => {
            let text = store.sieve_get(&act, &user, &name).map_err(refused)?;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&text);
        }
        ScriptCmd::List { user, json } => {
            let list = store.sieve_list(&act, &user).map_err(refused)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list)
                        .map_err(|e| Failure::refused(e.to_string()))?
                );
            } else {
                for e in list {
                    println!("{}{}", e.name, if e.active { " (active)" } else { "" });
                }
            }
        }
        ScriptCmd::Activate { user, name } => {
            store
                .sieve_activate(&act, &user, name.as_deref())
                .map_err(refused)?;
            match name {
                Some(n) => println!("script {n} is active for {user}"),
                None => println!("no script is active for {user}"),
            }
        }
        ScriptCmd::Delete { user, name } => {
            store.sieve_delete(&act, &user, &name).map_err(refused)?;
            println!("deleted script {name} of {user}");
        }
    }
    Ok(())
}
