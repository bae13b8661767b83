//! The report of a run: per account and folder what was found, migrated
//! and left, and every problem with its file and reason; printed as text
//! or (`--json`) as one JSON object.

use super::Problem;

/// One source folder and where it went.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FolderReport {
    /// Where it came from (a file, a directory, a URL).
    pub source: String,
    /// The target folder (`INBOX` for a popstore account).
    pub folder: String,
    /// The source's UIDVALIDITY, when it had a valid one.
    pub source_uidvalidity: Option<u32>,
    /// The target folder's UIDVALIDITY (MessageStore accounts).
    pub uidvalidity: Option<u32>,
    /// Whether the target has the source's UIDVALIDITY.
    pub uidvalidity_kept: bool,
    /// Messages found.
    pub messages: u64,
    /// Messages migrated in this run.
    pub migrated: u64,
    /// Messages a previous run migrated already.
    pub already: u64,
    /// Messages that could not be migrated (see the problems).
    pub failed: u64,
    /// Migrated messages that kept their UID.
    pub uids_kept: u64,
    /// Migrated messages that kept their POP3 UIDL.
    pub uidls_kept: u64,
    /// Bytes migrated (stored form).
    pub bytes: u64,
    /// Why the folder was left out, if it was.
    pub skipped: Option<String>,
}

/// One account.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AccountReport {
    /// The account.
    pub account: String,
    /// Created by this run (`--create-accounts`).
    pub created: bool,
    /// `pop` or `imap`.
    pub store_type: String,
    /// Its folders.
    pub folders: Vec<FolderReport>,
    /// What `--forward` recorded.
    pub forward: Option<String>,
    /// A source (or part of one) could not be read at all: a file, a
    /// connection, a login, a folder given up (see the problems).
    pub incomplete: bool,
}

/// The whole run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// Nothing was changed.
    pub dry_run: bool,
    /// The accounts.
    pub accounts: Vec<AccountReport>,
    /// Every problem, with its file and reason.
    pub problems: Vec<Problem>,
    /// Messages migrated in this run.
    pub migrated: u64,
    /// Messages migrated before.
    pub already: u64,
    /// Messages not migrated.
    pub failed: u64,
    /// Bytes migrated.
    pub bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Accounts asked for (one per source, or per user of `--users`).
    pub jobs: usize,
}

impl Report {
    /// Adds up the accounts' figures.
    pub fn total(&mut self) {
        let f = || self.accounts.iter().flat_map(|a| &a.folders);
        self.migrated = f().map(|x| x.migrated).sum();
        self.already = f().map(|x| x.already).sum();
        self.failed = f().map(|x| x.failed).sum();
        self.bytes = f().map(|x| x.bytes).sum();
    }

    /// The text form.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for a in &self.accounts {
            s.push_str(&format!(
                "account {} ({}{})\n",
                a.account,
                a.store_type,
                if a.created { ", created" } else { "" }
            ));
            for f in &a.folders {
                if let Some(why) = &f.skipped {
                    s.push_str(&format!(
                        "  {} <- {}: left out: {why}\n",
                        f.folder, f.source
                    ));
                    continue;
                }
                s.push_str(&format!(
                    "  {} <- {}: {} messages, {} migrated, {} already, {} failed, {} bytes; UIDVALIDITY {}{}, {} UIDs and {} UIDLs kept\n",
                    f.folder,
                    f.source,
                    f.messages,
                    f.migrated,
                    f.already,
                    f.failed,
                    f.bytes,
                    f.uidvalidity.map_or("-".into(), |v| v.to_string()),
                    if f.uidvalidity_kept { " (kept)" } else { "" },
                    f.uids_kept,
                    f.uidls_kept,
                ));
            }
            if a.incomplete {
                s.push_str("  incomplete: a source could not be read in full (see the problems)\n");
            }
            if let Some(fw) = &a.forward {
                s.push_str(&format!("  forward: {fw}\n"));
            }
        }
        for p in &self.problems {
            s.push_str(&format!("problem: {}: {}\n", p.file, p.reason));
        }
        s.push_str(&format!(
            "{}{} migrated, {} already, {} failed, {} bytes in {:.1} s\n",
            if self.dry_run { "dry run: " } else { "" },
            self.migrated,
            self.already,
            self.failed,
            self.bytes,
            self.seconds
        ));
        s
    }
}
