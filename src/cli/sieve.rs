//! `popstore sieve check|test`: compile a script, or run it over a message
//! and print the actions.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::sieve::{self, Action, Env, Limits, Message};

/// `popstore sieve`: the subcommand and `--as`.
#[derive(Debug, clap::Args)]
pub struct SieveArgs {
    /// Act as this MANAGE account (its password is the first line of
    /// standard input); without it, act as the store's administrator.
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: SieveCmd,
}

/// The `sieve` subcommands.
#[derive(Debug, Subcommand)]
pub enum SieveCmd {
    /// Per-user scripts in the store (put, get, list, activate, delete).
    #[command(flatten)]
    Scripts(super::sieve_scripts::ScriptCmd),
    /// Compile a script and report errors as LINE:COLUMN: message.
    Check {
        /// The script file.
        file: PathBuf,
    },
    /// Run a script over a message and print the actions it takes.
    Test {
        /// The script file.
        file: PathBuf,
        /// The message file (RFC 5322).
        message: PathBuf,
        /// The envelope sender (empty for the null sender).
        #[arg(long, default_value = "sender@example.org")]
        from: String,
        /// The envelope recipient.
        #[arg(long, default_value = "user@example.org")]
        to: String,
        /// Mailboxes that exist, for `mailboxexists` (INBOX always does).
        #[arg(long = "mailbox")]
        mailboxes: Vec<String>,
        /// Print a JSON list of actions.
        #[arg(long)]
        json: bool,
    },
}

fn read(p: &PathBuf) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(p).map_err(|e| {
        eprintln!("popstore: {}: {e}", p.display());
        ExitCode::from(2)
    })
}

fn compile(file: &PathBuf) -> Result<sieve::Script, ExitCode> {
    let bytes = read(file)?;
    sieve::compile_bytes(&bytes, &Limits::default()).map_err(|e| {
        eprintln!("{}:{e}", file.display());
        ExitCode::from(1)
    })
}

/// One line describing an action, for people.
pub fn describe(a: &Action) -> String {
    let flags = |f: &Vec<String>| {
        if f.is_empty() {
            String::new()
        } else {
            format!(" flags: {}", f.join(" "))
        }
    };
    match a {
        Action::Keep { flags: f, implicit } => {
            format!(
                "{}keep{}",
                if *implicit { "implicit " } else { "" },
                flags(f)
            )
        }
        Action::Discard => "discard".into(),
        Action::Fileinto {
            mailbox,
            flags: f,
            copy,
            create,
        } => format!(
            "fileinto \"{mailbox}\"{}{}{}",
            if *copy { " :copy" } else { "" },
            if *create { " :create" } else { "" },
            flags(f)
        ),
        Action::Redirect { address, copy } => {
            format!("redirect <{address}>{}", if *copy { " :copy" } else { "" })
        }
        Action::Reject { reason } => format!("reject: {reason}"),
        Action::Ereject { reason } => format!("ereject: {reason}"),
        Action::Vacation(v) => format!(
            "vacation every {}s{}{}: {}",
            v.seconds,
            v.subject
                .as_ref()
                .map(|s| format!(" subject \"{s}\""))
                .unwrap_or_default(),
            v.from
                .as_ref()
                .map(|s| format!(" from <{s}>"))
                .unwrap_or_default(),
            v.reason
        ),
    }
}

/// Runs a `sieve` subcommand on the store in `dir`.
pub fn run(dir: &std::path::Path, args: SieveArgs) -> ExitCode {
    match args.cmd {
        SieveCmd::Scripts(c) => super::sieve_scripts::run(dir, args.as_name.as_deref(), c),
        SieveCmd::Check { file } => match compile(&file) {
            Ok(_) => {
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(c) => c,
        },
        SieveCmd::Test {
            file,
            message,
            from,
            to,
            mailboxes,
            json,
        } => {
            let script = match compile(&file) {
                Ok(s) => s,
                Err(c) => return c,
            };
            let raw = match read(&message) {
                Ok(r) => r,
                Err(c) => return c,
            };
            let msg = Message::parse(&raw, &from, &to);
            let limits = Limits::default();
            let exists =
                |m: &str| m.eq_ignore_ascii_case("INBOX") || mailboxes.iter().any(|x| x == m);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let env = Env {
                now,
                local_offset: 0,
                limits: &limits,
                mailbox_exists: &exists,
                separator: '+',
            };
            match sieve::run(&script, &msg, &env) {
                Ok(out) => {
                    let all = out.all();
                    if json {
                        match serde_json::to_string_pretty(&all) {
                            Ok(s) => println!("{s}"),
                            Err(e) => {
                                eprintln!("popstore: {e}");
                                return ExitCode::from(1);
                            }
                        }
                    } else {
                        for a in &all {
                            println!("{}", describe(a));
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    if json {
                        println!(
                            "[{{\"action\":\"error\",\"reason\":{}}},{{\"action\":\"keep\",\"flags\":[],\"implicit\":true}}]",
                            serde_json::Value::String(e.message.clone())
                        );
                    } else {
                        println!("error: {e}\nimplicit keep");
                    }
                    eprintln!(
                        "{}: runtime error: {e}; the message would be kept",
                        file.display()
                    );
                    ExitCode::from(1)
                }
            }
        }
    }
}
