//! The writing side of a run: a [`Migrator`] takes one account's source
//! folders and messages in order, skips what the state (or the target)
//! says was migrated, and writes the rest through the store API in
//! batches (one list replace or one folder-journal append per batch).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use sha2::Digest;

use super::report::{AccountReport, FolderReport};
use super::state::State;
use super::{Body, Problem, SourceMessage};
use crate::store::folder_name::FolderName;
use crate::store::import::ImportedFile;
use crate::store::name::AccountName;
use crate::store::{AccountChanges, Store, StoreType};

mod write;

/// Messages per write.
const BATCH: usize = 256;
/// Bytes per write.
const BATCH_BYTES: u64 = 64 << 20;

/// A message read and written, waiting for its reference.
struct Pending {
    key: String,
    file: ImportedFile,
    m: SourceMessage,
}

/// A message read, waiting for its file to be written.
struct Raw {
    key: String,
    bytes: Vec<u8>,
    m: SourceMessage,
}

/// Message files staged at once (the stored form, the precomputed IMAP
/// answers and an unsynced write each).
const WRITERS: usize = 8;

/// The message files a run wrote, by digest of their bytes: accounts of
/// one run that get the same bytes share one file (single copy).
pub type Shared = Arc<std::sync::Mutex<HashMap<String, ImportedFile>>>;

/// The folder being migrated.
struct Current {
    /// Target name.
    name: FolderName,
    /// Folder id (MessageStore), 0 for a popstore account's list.
    id: u32,
    /// Left out (why).
    skip: Option<String>,
    /// UIDs the target folder has (when it kept the source's UIDVALIDITY).
    uids: HashSet<u32>,
    /// The folder has the source's UIDVALIDITY: UIDs are worth keeping.
    keep_uids: bool,
    /// Repeats of each digest in this folder so far.
    digests: HashMap<String, u32>,
    /// Its report row.
    row: usize,
}

/// One account's migration.
pub struct Migrator {
    store: Arc<Store>,
    account: AccountName,
    store_type: StoreType,
    dry_run: bool,
    state: State,
    /// The report so far.
    pub report: AccountReport,
    /// Problems so far.
    pub problems: Vec<Problem>,
    current: Option<Current>,
    raw: Vec<Raw>,
    batch_bytes: u64,
    /// Bytes stored so far (for the progress bar).
    stored: u64,
    progress: Option<indicatif::ProgressBar>,
    shared: Option<Shared>,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("account", &self.account)
            .finish()
    }
}

/// Finds account `raw`, or with `create` makes it from the `default`
/// template (not in a dry run). Gives the name, its store type and
/// whether it was created.
pub fn prepare_account(
    store: &Store,
    raw: &str,
    create: bool,
    dry_run: bool,
) -> Result<(AccountName, StoreType, bool), String> {
    let name = store.name(raw).map_err(|e| e.to_string())?;
    if let Some(p) = store.profile(&name).map_err(|e| e.to_string())? {
        return Ok((name, p.store_type, false));
    }
    if !create {
        return Err(format!("no account {raw} (use --create-accounts)"));
    }
    if dry_run {
        let t = store
            .profile(&AccountName::from_stored(
                crate::store::name::DEFAULT_ACCOUNT,
            ))
            .ok()
            .flatten()
            .map_or(StoreType::Pop, |p| p.store_type);
        return Ok((name, t, true));
    }
    let p = store
        .create_account(
            &crate::store::groups::Actor::Admin,
            raw,
            &AccountChanges::default(),
        )
        .map_err(|e| e.to_string())?;
    Ok((name, p.store_type, true))
}

fn digest(b: &[u8]) -> String {
    let d = sha2::Sha256::digest(b);
    d.iter().take(16).map(|x| format!("{x:02x}")).collect()
}

impl Migrator {
    /// Starts migrating into `account` (of `store_type`) of the store at
    /// `dir`.
    pub fn new(
        store: Arc<Store>,
        dir: &Path,
        account: AccountName,
        store_type: StoreType,
        dry_run: bool,
        progress: Option<indicatif::ProgressBar>,
    ) -> std::io::Result<Migrator> {
        let state = State::load(dir, account.as_str(), !dry_run)?;
        Ok(Migrator {
            report: AccountReport {
                account: account.to_string(),
                store_type: match store_type {
                    StoreType::Pop => "pop".into(),
                    StoreType::Imap => "imap".into(),
                },
                ..AccountReport::default()
            },
            store,
            account,
            store_type,
            dry_run,
            state,
            problems: Vec::new(),
            current: None,
            raw: Vec::new(),
            batch_bytes: 0,
            stored: 0,
            progress,
            shared: None,
        })
    }

    /// Shares message files with the other accounts of the run that use
    /// `shared` (one file for the same bytes).
    pub fn share_copies(&mut self, shared: Shared) {
        self.shared = Some(shared);
    }

    /// Starts source folder `name` (stored form) from `source`, with the
    /// UIDVALIDITY the old store gave it; ends the folder before.
    pub fn begin_folder(&mut self, name: &str, source: &str, uidvalidity: Option<u32>) {
        self.end_folder();
        let mut row = FolderReport {
            source: source.to_string(),
            folder: name.to_string(),
            source_uidvalidity: uidvalidity,
            ..FolderReport::default()
        };
        let mut cur = Current {
            name: FolderName::inbox(),
            id: 0,
            skip: None,
            uids: HashSet::new(),
            keep_uids: false,
            digests: HashMap::new(),
            row: self.report.folders.len(),
        };
        match FolderName::new(name) {
            Err(e) => cur.skip = Some(format!("not a usable folder name: {e}")),
            Ok(f) if self.store_type == StoreType::Pop && !f.is_inbox() => {
                cur.skip = Some(
                    "a popstore account has INBOX only (convert it with `user convert --to imap` to keep folders)"
                        .into(),
                );
            }
            Ok(f) if self.store_type == StoreType::Pop || self.dry_run => cur.name = f,
            Ok(f) => {
                cur.name = f;
                match self
                    .store
                    .import_folder(&self.account, &cur.name, uidvalidity)
                {
                    Ok(t) => {
                        cur.id = t.id;
                        row.uidvalidity = Some(t.uidvalidity);
                        row.uidvalidity_kept = t.uidvalidity_kept;
                        if t.uidvalidity_kept
                            && let Ok(f) = self.store.open_folder(&self.account, &cur.name)
                        {
                            cur.uids = f.messages().map(|m| m.uid).collect();
                            cur.keep_uids = true;
                        }
                    }
                    Err(e) => cur.skip = Some(format!("cannot make the folder: {e}")),
                }
            }
        }
        row.skipped = cur.skip.clone();
        self.report.folders.push(row);
        self.current = Some(cur);
    }

    fn row(&mut self) -> Option<&mut FolderReport> {
        let i = self.current.as_ref()?.row;
        self.report.folders.get_mut(i)
    }

    /// Takes one message of the current folder.
    pub fn message(&mut self, mut m: SourceMessage) {
        if let Some(p) = &self.progress {
            p.inc(1);
        }
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let skip = cur.skip.is_some();
        if let Some(r) = self.report.folders.get_mut(cur.row) {
            r.messages += 1;
        }
        if skip {
            return;
        }
        // The bytes move out of the message (the report keeps its origin).
        let bytes = match std::mem::replace(&mut m.body, Body::Bytes(Vec::new())) {
            Body::Bytes(b) => b,
            Body::File(p) => match std::fs::read(&p).or_else(|e| {
                // Renamed by the old server meanwhile: read it where it is.
                super::maildir::renamed(&p).map_or(Err(e), std::fs::read)
            }) {
                Ok(b) => b,
                Err(e) => {
                    let why = if e.kind() == std::io::ErrorKind::NotFound {
                        "vanished during the run (moved or removed by the old server): not migrated; run again to pick it up under its new name".to_string()
                    } else {
                        format!("cannot read: {e}")
                    };
                    self.problems.push(Problem::new(m.origin.clone(), why));
                    if let Some(r) = self.row() {
                        r.failed += 1;
                    }
                    return;
                }
            },
        };
        let cur = self.current.as_mut().expect("current folder");
        let key = match &m.key {
            Some(k) => k.clone(),
            None => {
                let d = digest(&bytes);
                let n = cur.digests.entry(d.clone()).or_insert(0);
                *n += 1;
                format!("sha256:{d}#{n}")
            }
        };
        let folder = cur.name.as_str().to_string();
        let in_target = m.uid.is_some_and(|u| cur.uids.contains(&u));
        if self.state.has(&folder, &key) || in_target || self.raw.iter().any(|p| p.key == key) {
            if let Some(r) = self.row() {
                r.already += 1;
            }
            return;
        }
        if self.dry_run {
            let size = crate::mime::canonicalize(&bytes).len() as u64;
            if let Some(r) = self.row() {
                r.migrated += 1;
                r.bytes += size;
            }
            return;
        }
        self.batch_bytes += bytes.len() as u64;
        self.raw.push(Raw { key, bytes, m });
        if self.raw.len() >= BATCH || self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    /// Counts a message of the current folder that was migrated before
    /// (the state has `key`, or the target folder has `uid` under the
    /// kept UIDVALIDITY) without reading it: says whether it was.
    pub fn skip_known(&mut self, key: &str, uid: Option<u32>) -> bool {
        let Some(cur) = self.current.as_ref() else {
            return false;
        };
        let known = cur.skip.is_some()
            || self.state.has(cur.name.as_str(), key)
            || uid.is_some_and(|u| cur.uids.contains(&u));
        let skipped = cur.skip.is_some();
        if known {
            if let Some(p) = &self.progress {
                p.inc(1);
            }
            if let Some(r) = self.row() {
                r.messages += 1;
                if !skipped {
                    r.already += 1;
                }
            }
        }
        known
    }

    /// The progress bar, when there is one.
    pub fn progress(&self) -> Option<&indicatif::ProgressBar> {
        self.progress.as_ref()
    }

    /// Ends the current folder (writes what is pending).
    pub fn end_folder(&mut self) {
        self.flush();
        self.current = None;
    }

    /// Ends the run for this account.
    pub fn finish(mut self) -> (AccountReport, Vec<Problem>) {
        self.end_folder();
        (self.report, self.problems)
    }
}
