//! `popstore user add|copy|rename|modify|delete|show|list|convert|passwd`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::init::{Failure, Stdin, actor, finish, new_password, open_store};
use crate::store::flags::FlagChange;
use crate::store::groups::GroupName;
use crate::store::units::{SizeLimit, Units};
use crate::store::{AccountChanges, AccountInfo, DeleteMode, StoreType};

/// `popstore user ...`
#[derive(Debug, Args)]
pub struct UserArgs {
    /// Act as this MANAGE account (its password is the first line of
    /// standard input); without it, act as the store's administrator.
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: UserCmd,
}

/// Profile settings shared by `add` and `modify`.
#[derive(Debug, Args, Default)]
pub struct Fields {
    /// The owner (full name).
    #[arg(long)]
    pub owner: Option<String>,
    /// The management group.
    #[arg(long)]
    pub group: Option<String>,
    /// Primary quota: bytes, or with k/m/g, or `none`.
    #[arg(long, value_parser = parse_size)]
    pub quota: Option<SizeLimit>,
    /// Overdraft past the quota: bytes, or with k/m/g, or `none`.
    #[arg(long, value_parser = parse_size)]
    pub overdraft: Option<SizeLimit>,
    /// The most messages the account may hold (IMAP QUOTA RES-MESSAGE),
    /// or `none`.
    #[arg(long, value_parser = parse_count)]
    pub quota_messages: Option<MessageCount>,
    /// Flags to set (or clear with NO-): DISMAIL, DISUSER, LOCKPWD, MANAGE,
    /// MIGRATED, PWD_ELSEWHERE, comma-separated.
    #[arg(long, value_parser = parse_flags, allow_hyphen_values = true)]
    pub flags: Option<FlagChange>,
    /// The store type.
    #[arg(long, value_enum)]
    pub store_type: Option<StoreType>,
    /// Site-defined private data.
    #[arg(long)]
    pub private: Option<String>,
    /// Mark the password expired.
    #[arg(long)]
    pub pwd_expired: bool,
    /// Read the password from standard input (one line).
    #[arg(long)]
    pub password_stdin: bool,
    /// Verifiers a new password gets.
    #[command(flatten)]
    pub verifiers: VerifierFlags,
}

/// Which verifiers a new password gets: always argon2id (USER/PASS, PLAIN,
/// LOGIN); SCRAM-SHA-256 unless `--no-scram`; CRAM-MD5 and APOP only on
/// request (their verifiers are password-equivalent).
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct VerifierFlags {
    /// Do not keep SCRAM-SHA-256 keys (AUTH SCRAM-SHA-256 then fails).
    #[arg(long)]
    pub no_scram: bool,
    /// Keep a CRAM-MD5 verifier (AUTH CRAM-MD5).
    #[arg(long)]
    pub cram_md5: bool,
    /// Keep an APOP secret (plaintext-equivalent).
    #[arg(long)]
    pub apop: bool,
}

impl VerifierFlags {
    fn options(self) -> crate::auth::VerifierOptions {
        crate::auth::VerifierOptions {
            scram_sha256: !self.no_scram,
            cram_md5: self.cram_md5,
            apop: self.apop,
            ..crate::auth::VerifierOptions::default()
        }
    }
}

fn parse_size(s: &str) -> Result<SizeLimit, String> {
    s.parse::<SizeLimit>().map_err(|e| e.to_string())
}

fn parse_flags(s: &str) -> Result<FlagChange, String> {
    FlagChange::parse(s).map_err(|e| e.to_string())
}

/// The user subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add an account; settings not given come from the `default` account.
    Add {
        /// The account name.
        name: String,
        /// Settings.
        #[command(flatten)]
        fields: Fields,
    },
    /// Copy an account's settings to a new account.
    Copy {
        /// The account to copy.
        from: String,
        /// The new account.
        to: String,
    },
    /// Rename an account, keeping its messages.
    Rename {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Change accounts (wildcards `*` and `%` allowed).
    Modify {
        /// Account name or wildcard.
        pattern: String,
        /// Settings to change.
        #[command(flatten)]
        fields: Fields,
        /// Take the accounts out of any group.
        #[arg(long, conflicts_with = "group")]
        no_group: bool,
    },
    /// Delete accounts (wildcards allowed), or only their messages.
    Delete {
        /// Account name or wildcard.
        pattern: String,
        /// Remove the messages only; keep the accounts.
        #[arg(long)]
        messages_only: bool,
        /// Return unread messages to their senders (needs the SMTP relay).
        #[arg(long = "return")]
        return_unread: bool,
    },
    /// Show one account.
    Show {
        /// The account name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Units for sizes.
        #[arg(long, value_enum, default_value = "k")]
        units: Units,
    },
    /// List accounts (optionally matching a wildcard).
    List {
        /// Wildcard (default `*`).
        #[arg(default_value = "*")]
        pattern: String,
        /// Print JSON (an array).
        #[arg(long)]
        json: bool,
        /// Units for sizes.
        #[arg(long, value_enum, default_value = "k")]
        units: Units,
    },
    /// Convert an account: a popstore account (message list) becomes a
    /// MessageStore account (INBOX holds every message) or back; every
    /// message and its POP3 UIDL are kept.
    Convert {
        /// The account name.
        name: String,
        /// The store type it becomes.
        #[arg(long, value_enum)]
        to: StoreType,
    },
    /// Set an account's password: an argon2id verifier, SCRAM-SHA-256 keys
    /// (unless --no-scram), and on request the CRAM-MD5 context and the
    /// APOP secret (both password-equivalent: enable them only for
    /// accounts whose clients need them).
    Passwd {
        /// The account name.
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// Verifiers the password gets.
        #[command(flatten)]
        verifiers: VerifierFlags,
    },
}

fn changes(
    f: &Fields,
    input: &mut Stdin,
    no_group: bool,
    pw_required: bool,
) -> Result<AccountChanges, Failure> {
    let group = if no_group {
        Some(None)
    } else {
        f.group
            .as_deref()
            .map(|g| GroupName::new(g).map(Some))
            .transpose()
            .map_err(|e| Failure::usage(e.to_string()))?
    };
    Ok(AccountChanges {
        owner: f.owner.clone(),
        group,
        quota: f.quota,
        overdraft: f.overdraft,
        message_limit: f.quota_messages.map(|m| m.0),
        flags: f.flags,
        store_type: f.store_type,
        private: f.private.clone(),
        password: if f.password_stdin || pw_required {
            new_password(f.password_stdin, input, false)?
        } else {
            None
        },
        pwd_expired: f.pwd_expired.then_some(true),
        verifiers: Some(f.verifiers.options()),
    })
}

/// A time for people: the UTC date and time (`never` for 0).
pub(crate) fn when(t: i64) -> String {
    if t == 0 {
        return "never".into();
    }
    let at = crate::sieve::date::DateTime { unix: t, offset: 0 };
    match (
        crate::sieve::date::part(at, "date"),
        crate::sieve::date::part(at, "time"),
    ) {
        (Some(d), Some(h)) => format!("{d} {h} UTC"),
        _ => format!("{t} (unix time)"),
    }
}

fn print_human(i: &AccountInfo, u: Units) {
    println!("Account:          {}", i.name);
    println!("Owner:            {}", i.owner);
    println!(
        "Group:            {}",
        i.group.as_deref().unwrap_or("(none)")
    );
    println!("Store type:       {:?}", i.store_type);
    println!(
        "Flags:            {}",
        if i.flags.is_empty() {
            "none".into()
        } else {
            i.flags.join(",")
        }
    );
    println!(
        "Password:         {}{}",
        if i.has_password { "set" } else { "not set" },
        if i.pwd_expired { " (expired)" } else { "" }
    );
    println!("Quota:            {}", u.show_limit(i.quota));
    println!("Overdraft:        {}", u.show_limit(i.overdraft));
    if let Some(n) = i.message_limit {
        println!("Message limit:    {n}");
    }
    println!("Messages:         {}", i.messages);
    println!("Usage:            {}", u.show(i.usage));
    println!(
        "Received:         {} messages, {}",
        i.received_messages,
        u.show(i.received_bytes)
    );
    println!(
        "Connections:      {} ({} s total)",
        i.connections, i.connect_time
    );
    println!("Last connect:     {}", when(i.last_connect));
    println!("Last disconnect:  {}", when(i.last_disconnect));
    println!("Password changed: {}", when(i.last_pwd_change));
    if !i.private.is_empty() {
        println!("Private:          {}", i.private);
    }
}

/// Runs a `popstore user` command on the store in `dir` (`config`: the
/// `--config` file, for the `[relay]` that `delete --return` sends through).
pub fn run(dir: &Path, config: Option<&Path>, a: UserArgs) -> ExitCode {
    finish(user(dir, config, a))
}

/// Sets the store's relay from the configuration's `[relay]`, when it has one.
fn use_relay(
    store: &crate::store::Store,
    dir: &Path,
    config: Option<&Path>,
) -> Result<(), Failure> {
    let overrides = crate::config::Overrides {
        store: Some(dir.to_path_buf()),
        ..Default::default()
    };
    let c = crate::config::Config::load(config, &overrides)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if let Some(relay) = crate::relay::Relay::from_config(&c.relay).map_err(Failure::usage)? {
        store.set_relay(std::sync::Arc::new(relay));
    }
    Ok(())
}

fn user(dir: &Path, config: Option<&Path>, a: UserArgs) -> Result<(), Failure> {
    let store = open_store(dir)?;
    let mut input = Stdin::default();
    let act = actor(&store, a.as_name.as_deref(), &mut input)?;
    match a.cmd {
        UserCmd::Add { name, fields } => {
            let ch = changes(&fields, &mut input, false, true)?;
            let p = store.create_account(&act, &name, &ch)?;
            println!("added {}", p.name);
        }
        UserCmd::Copy { from, to } => {
            let p = store.copy_account(&act, &from, &to)?;
            println!("copied {from} to {}", p.name);
        }
        UserCmd::Rename { from, to } => {
            let p = store.rename_account(&act, &from, &to)?;
            println!("renamed {from} to {}", p.name);
        }
        UserCmd::Modify {
            pattern,
            fields,
            no_group,
        } => {
            let ch = changes(&fields, &mut input, no_group, false)?;
            let names = store.expand(&act, &pattern)?;
            if names.is_empty() {
                return Err(Failure::refused(format!(
                    "no account you manage matches {pattern}"
                )));
            }
            for n in names {
                store.modify_account(&act, &n, &ch)?;
                println!("modified {n}");
            }
        }
        UserCmd::Delete {
            pattern,
            messages_only,
            return_unread,
        } => {
            let names = store.expand(&act, &pattern)?;
            if names.is_empty() {
                return Err(Failure::refused(format!(
                    "no account you manage matches {pattern}"
                )));
            }
            if return_unread {
                use_relay(&store, dir, config)?;
            }
            let mode = DeleteMode {
                messages_only,
                return_unread,
            };
            for n in names {
                let k = store.delete_account(&act, &n, mode)?;
                if messages_only {
                    println!("deleted {k} messages of {n}");
                } else {
                    println!("deleted {n} ({k} messages)");
                }
            }
        }
        UserCmd::Show { name, json, units } => {
            let i = store.show_account(&act, &name)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&i).unwrap_or_default());
            } else {
                print_human(&i, units);
            }
        }
        UserCmd::List {
            pattern,
            json,
            units,
        } => {
            let mut first = true;
            if json {
                print!("[");
            } else {
                println!(
                    "{:<32} {:<16} {:>8} {:>12} {:>12}  flags",
                    "account", "group", "messages", "usage", "quota"
                );
            }
            for i in store.list_accounts(&act, &pattern)? {
                let i = i?;
                if json {
                    let sep = if first { "" } else { "," };
                    print!("{sep}\n{}", serde_json::to_string(&i).unwrap_or_default());
                } else {
                    println!(
                        "{:<32} {:<16} {:>8} {:>12} {:>12}  {}",
                        i.name,
                        i.group.as_deref().unwrap_or("-"),
                        i.messages,
                        units.show(i.usage),
                        units.show_limit(i.quota),
                        i.flags.join(",")
                    );
                }
                first = false;
            }
            if json {
                println!("\n]");
            }
        }
        UserCmd::Convert { name, to } => {
            let c = store.convert_account(&act, &name, to)?;
            println!(
                "converted {} to {}: {} messages{}",
                c.account,
                match c.to {
                    StoreType::Imap => "a MessageStore account (imap)",
                    StoreType::Pop => "a popstore account (pop)",
                },
                c.messages,
                if c.folders_removed > 0 {
                    format!(", {} folders removed", c.folders_removed)
                } else {
                    String::new()
                }
            );
        }
        UserCmd::Passwd {
            name,
            password_stdin,
            verifiers,
        } => {
            let pw = new_password(password_stdin, &mut input, true)?
                .ok_or_else(|| Failure::usage("no password given"))?;
            store.set_password_with(&act, &name, &pw, Some(verifiers.options()))?;
            println!("password of {} changed", store.name(&name)?);
        }
    }
    Ok(())
}

/// A message limit of `--quota-messages`: `None` is `none` (no limit).
#[derive(Debug, Clone, Copy)]
pub struct MessageCount(pub Option<u64>);

/// A message count for `--quota-messages`: a number, or `none`.
fn parse_count(s: &str) -> Result<MessageCount, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(MessageCount(None));
    }
    s.parse()
        .map(|n| MessageCount(Some(n)))
        .map_err(|_| format!("{s}: a number of messages or `none`"))
}
