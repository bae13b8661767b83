//! `popstore migrate SOURCE --account NAME` (or `--users`): mail from an
//! mbox, a Maildir or an IMAP server into the store (see
//! [`crate::migrate`]). Exit 0 when every message was migrated (or had
//! been), 1 when some were not (the report says which and why) or the run
//! was refused, or an account or a source could not be done at all, 2
//! bad arguments.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::migrate::Problem;
use crate::migrate::forward::{self, Style};
use crate::migrate::mbox::Variant;
use crate::migrate::plan::{Migrator, prepare_account};
use crate::migrate::report::Report;
use crate::migrate::source::{self, ReadOptions, Source};

/// Arguments of `popstore migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// What to migrate: `maildir:PATH`, `mbox:PATH` (a file, or a
    /// directory of mbox folders), `imap://USER@HOST:PORT` or
    /// `imaps://...` (password on standard input), or a path (a directory
    /// with cur/ is a Maildir, a file an mbox). With --users: a directory
    /// of spools or Maildirs named by user (/var/mail, /home).
    pub source: String,
    /// The account to migrate into.
    #[arg(long, required_unless_present = "users", conflicts_with = "users")]
    pub account: Option<String>,
    /// SOURCE is a directory with one spool, Maildir or home directory
    /// per user: each goes into the account of its name.
    #[arg(long)]
    pub users: bool,
    /// Make each missing account from the `default` template.
    #[arg(long)]
    pub create_accounts: bool,
    /// Record where the old mailbox now forwards, after a migration
    /// without failures (see --forward-style, --forward-to).
    #[arg(long)]
    pub forward: bool,
    /// How --forward records it: a .forward file in the system user's
    /// home, or a line for the MTA's aliases file.
    #[arg(long, value_enum, default_value = "dotforward")]
    pub forward_style: Style,
    /// The address mail now goes to; `{user}` is the account name.
    #[arg(long, default_value = "{user}@localhost")]
    pub forward_to: String,
    /// With --forward-style aliases: the file lines are appended to
    /// (without it, the report shows them).
    #[arg(long, value_name = "FILE")]
    pub aliases_file: Option<PathBuf>,
    /// The system users (for --forward dotforward).
    #[arg(long, default_value = "/etc/passwd", hide = true)]
    pub passwd_file: PathBuf,
    /// The mbox variant.
    #[arg(long, value_enum, default_value = "auto")]
    pub mbox_format: Variant,
    /// How the old POP3 server made UIDLs it did not record (Dovecot's
    /// pop3_uidl_format: %u UID, %v UIDVALIDITY, %f Maildir file name).
    #[arg(long, default_value = "%08Xu%08Xv")]
    pub pop3_uidl_format: String,
    /// IMAP without TLS (loopback tests only: the password goes in clear).
    #[arg(long)]
    pub insecure: bool,
    /// IMAP: PEM file of the certificates to trust.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Change nothing: read the sources, report what would be migrated.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `popstore migrate`.
pub fn run(store_dir: &Path, a: &MigrateArgs) -> ExitCode {
    match migrate(store_dir, a) {
        Ok(r) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            } else {
                print!("{}", r.text());
            }
            let incomplete = r.accounts.iter().any(|a| a.incomplete);
            if r.failed > 0 || incomplete || r.accounts.len() < r.jobs {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("popstore: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

fn bar(show: bool, total: u64) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let b = indicatif::ProgressBar::new(total);
    if let Ok(s) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} messages, {msg}, {elapsed} spent, {eta} left",
    ) {
        b.set_style(s);
    }
    Some(b)
}

fn migrate(store_dir: &Path, a: &MigrateArgs) -> Result<Report, super::init::Failure> {
    use super::init::Failure;
    let started = Instant::now();
    let store = super::init::open_store(store_dir)?;
    let jobs: Vec<(String, Source)> = if a.users {
        Source::users(Path::new(&a.source)).map_err(Failure::usage)?
    } else {
        let src = Source::parse(&a.source).map_err(Failure::usage)?;
        vec![(a.account.clone().unwrap_or_default(), src)]
    };
    let password = if jobs.iter().any(|(_, s)| matches!(s, Source::Imap(_))) {
        let mut input = super::init::Stdin::default();
        Some(input.line("the IMAP password")?.expose().to_string())
    } else {
        None
    };
    let opts = ReadOptions {
        mbox: a.mbox_format,
        uidl_format: a.pop3_uidl_format.clone(),
        insecure: a.insecure,
        password,
        ca_file: a.ca_file.clone(),
    };
    let mut report = Report {
        dry_run: a.dry_run,
        jobs: jobs.len(),
        ..Report::default()
    };
    let show = std::io::stderr().is_terminal() && !a.json;
    let total: u64 = if show {
        jobs.iter().map(|(_, s)| source::count(s)).sum()
    } else {
        0
    };
    let progress = bar(show, total);
    let shared = crate::migrate::plan::Shared::default();
    for (user, src) in &jobs {
        let (name, store_type, created) =
            match prepare_account(&store, user, a.create_accounts, a.dry_run) {
                Ok(x) => x,
                Err(e) => {
                    report.problems.push(Problem::new(user.clone(), e));
                    continue;
                }
            };
        let mut m = Migrator::new(
            store.clone(),
            store_dir,
            name,
            store_type,
            a.dry_run,
            progress.clone(),
        )
        .map_err(|e| Failure::refused(format!("state file: {e}")))?;
        if jobs.len() > 1 {
            m.share_copies(shared.clone());
        }
        source::migrate(&mut m, src, &opts);
        let (mut acct, problems) = m.finish();
        acct.created = created;
        let failed: u64 = acct.folders.iter().map(|f| f.failed).sum();
        if a.forward && !a.dry_run {
            if failed > 0 || acct.incomplete {
                acct.forward = Some("not recorded: some messages were not migrated".into());
            } else {
                let to = a.forward_to.replace("{user}", user);
                acct.forward = Some(
                    match forward::record(
                        a.forward_style,
                        user,
                        &to,
                        a.aliases_file.as_deref(),
                        &a.passwd_file,
                    ) {
                        Ok(s) => s,
                        Err(e) => {
                            report
                                .problems
                                .push(Problem::new(user.clone(), format!("--forward: {e}")));
                            format!("not recorded: {e}")
                        }
                    },
                );
            }
        }
        report.accounts.push(acct);
        report.problems.extend(problems);
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    report.total();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
