//! Sources named on the command line and the drive of a run: which
//! folders each source has, in which order they go to a
//! [`Migrator`](super::plan::Migrator).
//!
//! - `maildir:PATH`, `mbox:PATH` (a file; a directory of mbox files is
//!   one folder per file, by relative path), `imap://USER@HOST:PORT`
//!   (`imaps://` too), or a bare path: a directory with `cur/` or `new/`
//!   is a Maildir, a file an mbox.
//! - Several users at once (`--users`): each entry of a directory is one
//!   account of that name: a file is its mbox spool (`/var/mail`), a
//!   directory a Maildir, or a home directory with `Maildir/` in it.

use std::path::{Path, PathBuf};

use super::Problem;
use super::maildir;
use super::mbox::{self, Variant};
use super::plan::Migrator;

/// A source of one account's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A Maildir (INBOX and its Maildir++ folders).
    Maildir(PathBuf),
    /// An mbox file (INBOX), or a directory of mbox files (folders).
    Mbox(PathBuf),
    /// An IMAP server.
    Imap(super::imap::Url),
}

impl Source {
    /// Parses a SOURCE argument.
    pub fn parse(s: &str) -> Result<Source, String> {
        if s.starts_with("imap://") || s.starts_with("imaps://") {
            return super::imap::Url::parse(s).map(Source::Imap);
        }
        if let Some(p) = s.strip_prefix("maildir:") {
            return Ok(Source::Maildir(PathBuf::from(p)));
        }
        if let Some(p) = s.strip_prefix("mbox:") {
            return Ok(Source::Mbox(PathBuf::from(p)));
        }
        let p = PathBuf::from(s);
        if maildir::is_maildir(&p) {
            Ok(Source::Maildir(p))
        } else if p.is_file() || p.is_dir() {
            Ok(Source::Mbox(p))
        } else {
            Err(format!("{s}: no such file or directory"))
        }
    }

    /// For `--users`: the account name and source of each entry of `dir`.
    pub fn users(dir: &Path) -> Result<Vec<(String, Source)>, String> {
        let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut out = Vec::new();
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name.ends_with(".lock") {
                continue;
            }
            let p = e.path();
            if p.is_file() {
                out.push((name, Source::Mbox(p)));
            } else if maildir::is_maildir(&p) {
                out.push((name, Source::Maildir(p)));
            } else if maildir::is_maildir(&p.join("Maildir")) {
                out.push((name, Source::Maildir(p.join("Maildir"))));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// How to read sources.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The mbox variant.
    pub mbox: Variant,
    /// POP3 UIDLs the server did not record are derived by this
    /// (Dovecot's `pop3_uidl_format`).
    pub uidl_format: String,
    /// IMAP: plaintext (loopback tests) instead of TLS.
    pub insecure: bool,
    /// IMAP: the password.
    pub password: Option<String>,
    /// IMAP: PEM file of the certificates to trust (default: the
    /// system's).
    pub ca_file: Option<PathBuf>,
}

/// Counts a source's messages (for the progress bar), cheaply: Maildir
/// file counts; 0 when not known before reading.
pub fn count(src: &Source) -> u64 {
    match src {
        Source::Maildir(root) => {
            let mut p = Vec::new();
            maildir::folders(root, &mut p)
                .iter()
                .flat_map(|(_, d)| ["cur", "new"].map(|s| d.join(s)))
                .filter_map(|d| std::fs::read_dir(d).ok())
                .map(|rd| rd.count() as u64)
                .sum()
        }
        _ => 0,
    }
}

/// The mbox files of a directory, by relative path (`a/b` for `a/b`).
fn mbox_files(root: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let mut v: Vec<_> = rd.flatten().collect();
    v.sort_by_key(|e| e.file_name());
    for e in v {
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with('.') || n.ends_with(".lock") {
            continue;
        }
        let r = if rel.is_empty() {
            n.clone()
        } else {
            format!("{rel}/{n}")
        };
        if e.path().is_dir() {
            mbox_files(&e.path(), &r, out);
        } else {
            out.push((r, e.path()));
        }
    }
}

fn migrate_mbox_file(m: &mut Migrator, folder: &str, path: &Path, opts: &ReadOptions) {
    let shown = path.display().to_string();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            m.problems
                .push(Problem::new(shown, format!("cannot read: {e}")));
            return;
        }
    };
    let mut problems = Vec::new();
    let mut uv = None;
    mbox::read_each(&data, opts.mbox, &shown, &mut problems, |e| match e {
        mbox::Event::Start { uidvalidity, count } => {
            uv = uidvalidity;
            if let Some(p) = m.progress() {
                p.inc_length(count as u64);
            }
            m.begin_folder(folder, &shown, uidvalidity);
        }
        mbox::Event::Message(mut msg) => {
            if msg.uidl.is_none() {
                msg.uidl = super::uidl_from_format(&opts.uidl_format, msg.uid, uv, None);
            }
            m.message(msg);
        }
    });
    m.problems.extend(problems);
    m.end_folder();
}

/// Migrates everything `src` has into the migrator's account.
pub fn migrate(m: &mut Migrator, src: &Source, opts: &ReadOptions) {
    match src {
        Source::Maildir(root) => {
            let mut problems = Vec::new();
            for (name, dir) in maildir::folders(root, &mut problems) {
                let f = maildir::read_folder(&name, &dir, &opts.uidl_format, &mut problems);
                m.problems.append(&mut problems);
                m.begin_folder(&f.name, &f.path.display().to_string(), f.uidvalidity);
                for msg in f.messages {
                    m.message(msg);
                }
                m.end_folder();
            }
            m.problems.append(&mut problems);
        }
        Source::Mbox(p) if p.is_dir() => {
            let mut files = Vec::new();
            mbox_files(p, "", &mut files);
            for (rel, path) in files {
                let folder = if rel.eq_ignore_ascii_case("inbox") {
                    "INBOX".into()
                } else {
                    rel
                };
                migrate_mbox_file(m, &folder, &path, opts);
            }
        }
        Source::Mbox(p) => migrate_mbox_file(m, "INBOX", p, opts),
        Source::Imap(url) => super::imap::migrate(m, url, opts),
    }
}
