//! `popstore folder list|show|create|delete|rename|subscribe|unsubscribe`:
//! a MessageStore account's folders, through the same store API the
//! servers use. A manager (`--as NAME`) reaches only the accounts of the
//! groups it manages, as with `popstore user`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use popstore_formats::folder::SystemFlags;
use popstore_formats::mailboxes::SpecialUse;

use super::init::{Failure, Stdin, actor, finish, open_store};
use crate::store::Store;
use crate::store::folder_name::FolderName;
use crate::store::name::AccountName;

/// `popstore folder ...`
#[derive(Debug, Args)]
pub struct FolderArgs {
    /// Act as this MANAGE account (password on standard input).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: FolderCmd,
}

/// RFC 6154 special uses.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Use {
    /// None.
    None,
    /// `\All`.
    All,
    /// `\Archive`.
    Archive,
    /// `\Drafts`.
    Drafts,
    /// `\Flagged`.
    Flagged,
    /// `\Junk`.
    Junk,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
}

impl From<Use> for SpecialUse {
    fn from(u: Use) -> SpecialUse {
        match u {
            Use::None => SpecialUse::NONE,
            Use::All => SpecialUse::ALL,
            Use::Archive => SpecialUse::ARCHIVE,
            Use::Drafts => SpecialUse::DRAFTS,
            Use::Flagged => SpecialUse::FLAGGED,
            Use::Junk => SpecialUse::JUNK,
            Use::Sent => SpecialUse::SENT,
            Use::Trash => SpecialUse::TRASH,
        }
    }
}

/// The folder subcommands. Folder names are UTF-8 with `/` between levels
/// (`Work/2026`); `INBOX` in any case is the INBOX.
#[derive(Debug, Subcommand)]
pub enum FolderCmd {
    /// List the folders with their counts.
    List {
        /// The account.
        user: String,
        /// A LIST pattern (`*` anything, `%` anything but `/`).
        #[arg(default_value = "*")]
        pattern: String,
        /// Only subscribed folders.
        #[arg(long)]
        subscribed: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one folder: its state and its messages.
    Show {
        /// The account.
        user: String,
        /// The folder.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a folder (and the levels above it that are missing).
    Create {
        /// The account.
        user: String,
        /// The folder.
        name: String,
        /// Its special use (RFC 6154).
        #[arg(long = "special-use", value_enum, default_value = "none")]
        special_use: Use,
    },
    /// Delete a folder and its messages (one with subfolders becomes a
    /// name only, unless --recursive).
    Delete {
        /// The account.
        user: String,
        /// The folder.
        name: String,
        /// Delete its subfolders too.
        #[arg(long)]
        recursive: bool,
    },
    /// Rename a folder with its subfolders (renaming INBOX moves its
    /// messages into a new folder).
    Rename {
        /// The account.
        user: String,
        /// The folder.
        from: String,
        /// Its new name.
        to: String,
    },
    /// Subscribe to a name.
    Subscribe {
        /// The account.
        user: String,
        /// The folder name (need not exist).
        name: String,
    },
    /// Unsubscribe from a name.
    Unsubscribe {
        /// The account.
        user: String,
        /// The folder name.
        name: String,
    },
    /// A folder's access control list (RFC 4314): get, set, delete.
    #[command(subcommand)]
    Acl(super::acl::AclCmd),
}

/// Runs a `popstore folder` command.
pub fn run(dir: &Path, a: FolderArgs) -> ExitCode {
    finish(folder(dir, a))
}

fn name(s: &str) -> Result<FolderName, Failure> {
    FolderName::new(s).map_err(|e| Failure::usage(format!("folder {s:?}: {e}")))
}

fn folder(dir: &Path, a: FolderArgs) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, a.as_name.as_deref(), &mut input)?;
    let acct = |u: &str| store.managed_account(&act, u).map_err(Failure::from);
    match a.cmd {
        FolderCmd::List {
            user,
            pattern,
            subscribed,
            json,
        } => list(&store, &acct(&user)?, &pattern, subscribed, json)?,
        FolderCmd::Show {
            user,
            name: n,
            json,
        } => show(&store, &acct(&user)?, &name(&n)?, json)?,
        FolderCmd::Create {
            user,
            name: n,
            special_use,
        } => {
            let f = name(&n)?;
            store.create_folder(&acct(&user)?, &f, special_use.into())?;
            println!("created {f}");
        }
        FolderCmd::Delete {
            user,
            name: n,
            recursive,
        } => {
            let f = name(&n)?;
            store.delete_folder(&acct(&user)?, &f, recursive)?;
            println!("deleted {f}");
        }
        FolderCmd::Rename { user, from, to } => {
            let (f, t) = (name(&from)?, name(&to)?);
            store.rename_folder(&acct(&user)?, &f, &t)?;
            println!("renamed {f} to {t}");
        }
        FolderCmd::Subscribe { user, name: n } => {
            let f = name(&n)?;
            store.subscribe_folder(&acct(&user)?, &f, true)?;
            println!("subscribed {f}");
        }
        FolderCmd::Unsubscribe { user, name: n } => {
            let f = name(&n)?;
            if !store.subscribe_folder(&acct(&user)?, &f, false)? {
                return Err(Failure::refused(format!("{f} was not subscribed")));
            }
            println!("unsubscribed {f}");
        }
        FolderCmd::Acl(cmd) => super::acl::run(&store, &acct, cmd)?,
    }
    Ok(())
}

/// One line of `folder list`.
#[derive(Debug, serde::Serialize)]
struct Row {
    name: String,
    id: u32,
    special_use: SpecialUse,
    noselect: bool,
    has_children: bool,
    subscribed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
}

/// A selectable folder's counts.
#[derive(Debug, serde::Serialize)]
pub(super) struct Status {
    messages: usize,
    unseen: usize,
    bytes: u64,
    uidvalidity: u32,
    uidnext: u32,
    highestmodseq: u64,
}

pub(super) fn status(f: &crate::store::Folder) -> Status {
    Status {
        messages: f.len(),
        unseen: f.unseen(),
        bytes: f.bytes(),
        uidvalidity: f.uidvalidity(),
        uidnext: f.uidnext(),
        highestmodseq: f.highestmodseq(),
    }
}

fn list(
    store: &Store,
    acct: &AccountName,
    pattern: &str,
    subscribed: bool,
    json: bool,
) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for l in store.list_folders(acct, pattern, subscribed)? {
        let status = if l.noselect {
            None
        } else {
            Some(status(&store.open_folder(acct, &l.name)?))
        };
        rows.push(Row {
            name: l.name.to_string(),
            id: l.id,
            special_use: l.special_use,
            noselect: l.noselect,
            has_children: l.has_children,
            subscribed: l.subscribed,
            status,
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
        "{:<32} {:>8} {:>8} {:>12}  attributes",
        "folder", "messages", "unseen", "bytes"
    );
    for r in rows {
        let mut attrs = Vec::new();
        if r.noselect {
            attrs.push("\\Noselect".to_string());
        }
        if r.special_use != SpecialUse::NONE {
            attrs.push(format!("\\{:?}", r.special_use).to_lowercase());
        }
        if r.subscribed {
            attrs.push("subscribed".into());
        }
        let (m, u, b) =
            r.status
                .as_ref()
                .map_or((String::new(), String::new(), String::new()), |s| {
                    (
                        s.messages.to_string(),
                        s.unseen.to_string(),
                        s.bytes.to_string(),
                    )
                });
        println!("{:<32} {m:>8} {u:>8} {b:>12}  {}", r.name, attrs.join(" "));
    }
    Ok(())
}

/// The flags of a message as IMAP spells them.
fn flag_names(f: SystemFlags, keywords: &[String]) -> Vec<String> {
    let mut out: Vec<String> = [
        (SystemFlags::SEEN, "\\Seen"),
        (SystemFlags::ANSWERED, "\\Answered"),
        (SystemFlags::FLAGGED, "\\Flagged"),
        (SystemFlags::DELETED, "\\Deleted"),
        (SystemFlags::DRAFT, "\\Draft"),
    ]
    .into_iter()
    .filter(|(b, _)| f.contains(*b))
    .map(|(_, n)| n.to_string())
    .collect();
    out.extend(keywords.iter().cloned());
    out
}

/// Prints one folder's state and messages (`folder show`, `public show`).
pub(super) fn show(
    store: &Store,
    acct: &AccountName,
    name: &FolderName,
    json: bool,
) -> Result<(), Failure> {
    let f = store.open_folder(acct, name)?;
    #[derive(serde::Serialize)]
    struct Msg {
        uid: u32,
        flags: Vec<String>,
        internal_date: String,
        size: u64,
        modseq: u64,
        message: String,
    }
    let msgs: Vec<Msg> = f
        .messages()
        .map(|m| Msg {
            uid: m.uid,
            flags: flag_names(m.flags, &m.keywords),
            internal_date: super::user::when(m.internal_date),
            size: m.size,
            modseq: m.modseq,
            message: m.message.file_name().to_string(),
        })
        .collect();
    if json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            name: &'a str,
            #[serde(flatten)]
            status: Status,
            messages: Vec<Msg>,
        }
        let out = Out {
            name: name.as_str(),
            status: status(&f),
            messages: msgs,
        };
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    let s = status(&f);
    println!("Folder:         {name}");
    println!("UIDVALIDITY:    {}", s.uidvalidity);
    println!("UIDNEXT:        {}", s.uidnext);
    println!("HIGHESTMODSEQ:  {}", s.highestmodseq);
    println!(
        "Messages:       {} ({} unseen, {} bytes)",
        s.messages, s.unseen, s.bytes
    );
    for m in msgs {
        println!(
            "{:>8}  {:<20}  {:>10}  {}",
            m.uid,
            m.internal_date,
            m.size,
            m.flags.join(" ")
        );
    }
    Ok(())
}
