//! `popstore group add|delete|modify|list`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::init::{Failure, Stdin, actor, finish, open_store};

/// `popstore group ...`
#[derive(Debug, Args)]
pub struct GroupArgs {
    /// Act as this MANAGE account (password on standard input).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: GroupCmd,
}

/// The group subcommands (WORLD managers only, except `list`).
#[derive(Debug, Subcommand)]
pub enum GroupCmd {
    /// Add a group, at the top or below a parent.
    Add {
        /// The group name.
        name: String,
        /// The parent group.
        #[arg(long)]
        parent: Option<String>,
    },
    /// Delete a group without subgroups or accounts.
    Delete {
        /// The group name.
        name: String,
    },
    /// Move a group below another parent, or to the top.
    Modify {
        /// The group name.
        name: String,
        /// The new parent.
        #[arg(long, required_unless_present = "top")]
        parent: Option<String>,
        /// Move it to the top.
        #[arg(long, conflicts_with = "parent")]
        top: bool,
    },
    /// List the groups as a tree.
    List {
        /// Print JSON (`[{"group": .., "parent": ..}]`).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `popstore group` command.
pub fn run(dir: &Path, a: GroupArgs) -> ExitCode {
    finish(group(dir, a))
}

fn group(dir: &Path, a: GroupArgs) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, a.as_name.as_deref(), &mut input)?;
    match a.cmd {
        GroupCmd::Add { name, parent } => {
            store.add_group(&act, &name, parent.as_deref())?;
            println!("added group {}", name.to_ascii_lowercase());
        }
        GroupCmd::Delete { name } => {
            store.delete_group(&act, &name)?;
            println!("deleted group {}", name.to_ascii_lowercase());
        }
        GroupCmd::Modify { name, parent, top } => {
            let p = if top { None } else { parent.as_deref() };
            store.move_group(&act, &name, p)?;
            println!("moved group {}", name.to_ascii_lowercase());
        }
        GroupCmd::List { json } => {
            let t = store.group_tree()?;
            if json {
                let v: Vec<serde_json::Value> = t
                    .pairs()
                    .map(|(g, p)| serde_json::json!({"group": g, "parent": p}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                fn show(
                    t: &crate::store::groups::GroupTree,
                    parent: Option<&crate::store::groups::GroupName>,
                    depth: usize,
                ) {
                    for (g, p) in t.pairs() {
                        if p == parent {
                            println!("{}{}", "  ".repeat(depth), g);
                            if depth < 64 {
                                show(t, Some(g), depth + 1);
                            }
                        }
                    }
                }
                show(&t, None, 0);
            }
        }
    }
    Ok(())
}
