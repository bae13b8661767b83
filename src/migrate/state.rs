//! What a migration did, per account, so a second run adds nothing twice:
//! `<store>/run/migrate/<account>.state`, one line per migrated message,
//! `FOLDER<TAB>KEY` (the folder as stored, the source's key for the
//! message: a Maildir file's base name, an IMAP UID with its UIDVALIDITY,
//! else a digest of the bytes with its repeat number). Lines are appended
//! and synced after each batch is in the store; a crash in between can
//! leave one batch unrecorded, which the target's own check catches where
//! the message kept its UID or UIDL (a popstore account's list, a
//! MessageStore folder that kept its UIDVALIDITY).
//!
//! This file is not store data (SPEC.md does not describe it): removing
//! it makes the next run migrate everything again.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The state of one account's migration.
#[derive(Debug, Default)]
pub struct State {
    path: Option<PathBuf>,
    done: HashSet<(String, String)>,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

impl State {
    /// The state file of `account` in the store at `store` (`None`: keep
    /// nothing, a dry run).
    pub fn load(store: &Path, account: &str, keep: bool) -> std::io::Result<State> {
        let safe: String = account
            .chars()
            .map(|c| if c == '/' || c == '\0' { '_' } else { c })
            .collect();
        let path = store.join("run/migrate").join(format!("{safe}.state"));
        let mut done = HashSet::new();
        match std::fs::read_to_string(&path) {
            Ok(t) => {
                for l in t.lines() {
                    if let Some((f, k)) = l.split_once('\t') {
                        done.insert((f.to_string(), k.to_string()));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(State {
            path: keep.then_some(path),
            done,
        })
    }

    /// Whether message `key` of `folder` was migrated.
    pub fn has(&self, folder: &str, key: &str) -> bool {
        self.done.contains(&(escape(folder), escape(key)))
    }

    /// Records `keys` of `folder` as migrated (synced when it returns).
    pub fn record(&mut self, folder: &str, keys: &[String]) -> std::io::Result<()> {
        let mut text = String::new();
        for k in keys {
            let e = (escape(folder), escape(k));
            text.push_str(&format!("{}\t{}\n", e.0, e.1));
            self.done.insert(e);
        }
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(text.as_bytes())?;
        f.sync_data()
    }
}
