//! `popstore public list|show|create|delete|rename|acl|quota`: the public
//! folders, a store-wide tree outside every user's subtree (SPEC.md 9.2).
//! The administrator and WORLD managers reach every public folder; a
//! group's manager (`--as NAME`) the folders its ACLs let it administer
//! (see `store::public`). Mail reaches a folder as `post+folder@domain`
//! when its ACL gives the sender, or `anyone`, the `p` right.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::acl::{change, print_acl, print_set};
use super::folder::{Status, show, status};
use super::init::{Failure, Stdin, actor, finish, open_store};
use crate::store::folder_name::FolderName;
use crate::store::public::public_account;
use crate::store::shared::AclListing;
use crate::store::units::SizeLimit;

/// `popstore public ...`
#[derive(Debug, Args)]
pub struct PublicArgs {
    /// Act as this MANAGE account (password on standard input).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: PublicCmd,
}

/// The public-folder subcommands. Names are UTF-8 with `/` between levels.
#[derive(Debug, Subcommand)]
pub enum PublicCmd {
    /// List the public folders (those you manage) with counts and ACLs.
    List {
        /// A LIST pattern (`*` anything, `%` anything but `/`).
        #[arg(default_value = "*")]
        pattern: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one public folder: its state and its messages.
    Show {
        /// The folder.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a public folder (and the levels above it that are missing);
    /// it inherits the ACL of the folder above.
    Create {
        /// The folder.
        name: String,
    },
    /// Delete a public folder and its messages.
    Delete {
        /// The folder.
        name: String,
        /// Delete its subfolders too.
        #[arg(long)]
        recursive: bool,
    },
    /// Rename a public folder with its subfolders.
    Rename {
        /// The folder.
        from: String,
        /// Its new name.
        to: String,
    },
    /// A public folder's access control list: get, set, delete.
    #[command(subcommand)]
    Acl(PublicAcl),
    /// Set the quota of the whole public tree (`none`: no quota, the
    /// default). The administrator and WORLD managers only.
    Quota {
        /// Bytes, or with k/m/g, or `none`.
        size: SizeLimit,
    },
}

/// `popstore public acl ...`
#[derive(Debug, Subcommand)]
pub enum PublicAcl {
    /// Show the ACL.
    Get {
        /// The folder.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give, add (+RIGHTS) or take away (-RIGHTS) an identifier's rights
    /// (`p` lets it post to post+folder).
    Set {
        /// The folder.
        name: String,
        /// `anyone`, an account, `$group`; `-` before it for negative rights.
        #[arg(allow_hyphen_values = true)]
        identifier: String,
        /// Letters from `lrswipkxtea`, after `+` to add or `-` to remove.
        #[arg(allow_hyphen_values = true)]
        rights: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an identifier's entry.
    Delete {
        /// The folder.
        name: String,
        /// The identifier.
        #[arg(allow_hyphen_values = true)]
        identifier: String,
    },
}

/// Runs a `popstore public` command.
pub fn run(dir: &Path, a: PublicArgs) -> ExitCode {
    finish(public(dir, a))
}

fn name(s: &str) -> Result<FolderName, Failure> {
    FolderName::new(s).map_err(|e| Failure::usage(format!("folder {s:?}: {e}")))
}

/// One line of `public list`.
#[derive(Debug, serde::Serialize)]
struct Row {
    name: String,
    id: u32,
    noselect: bool,
    has_children: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    acl: Vec<AclListing>,
}

fn public(dir: &Path, a: PublicArgs) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, a.as_name.as_deref(), &mut input)?;
    match a.cmd {
        PublicCmd::List { pattern, json } => {
            let mut rows = Vec::new();
            let mut counts = Vec::new();
            for p in store.list_public_folders(&act, &pattern)? {
                let f = p.folder;
                let st = if f.noselect {
                    counts.push(None);
                    None
                } else {
                    let open = store.open_folder(&public_account(), &f.name)?;
                    counts.push(Some((open.len(), open.unseen(), open.bytes())));
                    Some(status(&open))
                };
                rows.push(Row {
                    name: f.name.to_string(),
                    id: f.id,
                    noselect: f.noselect,
                    has_children: f.has_children,
                    status: st,
                    acl: p.acl,
                });
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
                return Ok(());
            }
            println!(
                "{:<32} {:>8} {:>8} {:>12}  acl",
                "folder", "messages", "unseen", "bytes"
            );
            for (r, c) in rows.iter().zip(counts) {
                let (m, u, b) = c.map_or((String::new(), String::new(), String::new()), |c| {
                    (c.0.to_string(), c.1.to_string(), c.2.to_string())
                });
                let acl: Vec<String> = r
                    .acl
                    .iter()
                    .map(|a| format!("{}={}", a.identifier, a.rights))
                    .collect();
                println!("{:<32} {m:>8} {u:>8} {b:>12}  {}", r.name, acl.join(" "));
            }
        }
        PublicCmd::Show { name: n, json } => {
            let f = name(&n)?;
            store.open_public_folder(&act, &f)?;
            show(&store, &public_account(), &f, json)?;
        }
        PublicCmd::Create { name: n } => {
            let f = name(&n)?;
            store.create_public_folder(&act, &f)?;
            println!("created public folder {f}");
        }
        PublicCmd::Delete { name: n, recursive } => {
            let f = name(&n)?;
            store.delete_public_folder(&act, &f, recursive)?;
            println!("deleted public folder {f}");
        }
        PublicCmd::Rename { from, to } => {
            let (f, t) = (name(&from)?, name(&to)?);
            store.rename_public_folder(&act, &f, &t)?;
            println!("renamed public folder {f} to {t}");
        }
        PublicCmd::Acl(PublicAcl::Get { name: n, json }) => {
            let f = name(&n)?;
            print_acl(&f, &store.public_acl(&act, &f)?, json);
        }
        PublicCmd::Acl(PublicAcl::Set {
            name: n,
            identifier,
            rights,
            json,
        }) => {
            let (f, c) = (name(&n)?, change(&rights)?);
            let r = store.set_public_acl(&act, &f, &identifier, c)?;
            print_set(&identifier, r, json);
        }
        PublicCmd::Acl(PublicAcl::Delete {
            name: n,
            identifier,
        }) => {
            let f = name(&n)?;
            if !store.delete_public_acl(&act, &f, &identifier)? {
                return Err(Failure::refused(format!(
                    "{f} has no ACL entry for {identifier}"
                )));
            }
            println!("deleted the entry of {identifier} on public folder {f}");
        }
        PublicCmd::Quota { size } => {
            store.set_public_quota(&act, size.bytes())?;
            println!("public folders' quota set");
        }
    }
    Ok(())
}
