//! A Unix mail spool as an IMAP INBOX: a system user without a popstore
//! account logs in over IMAP (the same `[legacy]` configuration and
//! password source as POP3) and gets INBOX = their spool, and nothing
//! else.
//!
//! The spool is read under its locks at login ([`SpoolDrop`], which also
//! gives a second session on it `[IN-USE]`), and its messages are put in
//! an in-memory store of the session's own as the INBOX of an account of
//! the user's name, with the precomputed IMAP answers delivery gives a
//! message (ENVELOPE, BODYSTRUCTURE...): the IMAP session serves it like
//! any INBOX. Expunged messages are deleted from the spool after the
//! command that expunged them, by the rewrite POP3 does at QUIT (mail
//! delivered meanwhile kept). Mail the MTA appends during the session
//! joins the INBOX at the session's next look (any command, and IDLE's
//! polls), when the spool is not locked at that moment. Flags other than
//! `\Deleted` last for the session only (writing them into the spool
//! would change the messages, and with them their UIDLs); APPEND, COPY,
//! MOVE and other folders are refused.
//!
//! **UIDs.** UIDVALIDITY and UIDs must stay the same across sessions
//! while the spool changes (deletions by POP3 or IMAP, new mail appended),
//! so they are recorded, not computed: `<store>/run/legacy/USER.uids`
//! holds the spool's UIDVALIDITY (the time the record was made), the next
//! UID, and the UID of each message by its UIDL (the POP3 UIDL: an
//! `X-UIDL` header, else a digest of the message). At login each message
//! of the spool, in order, keeps the UID recorded for its UIDL, and one
//! new to the record gets the next UID. When that would not give
//! ascending UIDs (the spool was reordered by another program), or the
//! record is missing or unreadable, the spool gets a new UIDVALIDITY and
//! UIDs from 1, as RFC 9051 2.3.1.1 requires. The record is rewritten
//! (atomically) with the spool's messages at login and after each
//! deletion.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use popstore_formats::folder::SystemFlags;

use super::maildrop::SpoolDrop;
use super::{LegacyConfig, system_user};
use crate::pop3::MaildropError;
use crate::store::folder_name::FolderName;
use crate::store::groups::Actor;
use crate::store::import::FolderImport;
use crate::store::layout::MessageId;
use crate::store::name::AccountName;
use crate::store::{AccountChanges, Settings, Store, StoreType};

/// What the IMAP server needs to serve spools (`[legacy]` on).
#[derive(Debug, Clone)]
pub struct LegacyImap {
    cfg: LegacyConfig,
    passwd: PathBuf,
    min_uid: u32,
    records: PathBuf,
}

/// Why a spool cannot be served now.
#[derive(Debug)]
pub enum SpoolError {
    /// Another session has it.
    InUse,
    /// It cannot be read or set up now (logged).
    Temporary,
}

impl LegacyImap {
    /// Serves the spools `cfg` names for the users of `passwd` with a uid
    /// of `min_uid` or more; UID records under `records`
    /// (`<store>/run/legacy`).
    pub fn new(cfg: LegacyConfig, passwd: PathBuf, min_uid: u32, records: PathBuf) -> Self {
        LegacyImap {
            cfg,
            passwd,
            min_uid,
            records,
        }
    }

    /// The spool of `user` when it is one to serve: a system user (the
    /// caller knows the store has no account of that name).
    pub fn spool_of(&self, user: &str) -> Result<Option<PathBuf>, SpoolError> {
        let Some(spool) = self.cfg.spool_for(user) else {
            return Ok(None);
        };
        match system_user(&self.passwd, self.min_uid, user) {
            Ok(true) => Ok(Some(spool)),
            Ok(false) => Ok(None),
            Err(e) => {
                tracing::warn!(user, "imap: legacy spool: {e}");
                Err(SpoolError::Temporary)
            }
        }
    }

    /// Opens `user`'s spool `spool` as an INBOX.
    pub fn open(&self, user: &str, spool: &Path) -> Result<SpoolInbox, SpoolError> {
        let drop = SpoolDrop::open(spool).map_err(|e| match e {
            MaildropError::InUse => SpoolError::InUse,
            _ => SpoolError::Temporary,
        })?;
        let record = self.records.join(format!("{user}.uids"));
        let uidls: Vec<String> = drop
            .spool_messages()
            .iter()
            .map(|m| m.uidl.clone())
            .collect();
        let uids = UidRecord::load(&record).assign(&uidls);
        if let Err(e) = uids.save(&record, &uidls) {
            tracing::warn!(user, "imap: legacy spool: the UID record: {e}");
            return Err(SpoolError::Temporary);
        }
        build(user, drop, uids, record).map_err(|e| {
            tracing::warn!(user, "imap: legacy spool: {e}");
            SpoolError::Temporary
        })
    }
}

/// The in-memory store with the spool as the INBOX of `user`.
fn build(
    user: &str,
    drop: SpoolDrop,
    uids: UidRecord,
    record: PathBuf,
) -> crate::store::Result<SpoolInbox> {
    let fs = Arc::new(popstore_platform::PosixTree::memory(1));
    let store = Arc::new(Store::init(fs, Settings::default())?);
    let imap = AccountChanges {
        store_type: Some(StoreType::Imap),
        ..AccountChanges::default()
    };
    store.create_account(&Actor::Admin, user, &imap)?;
    let account = store.name(user)?;
    let inbox = FolderName::inbox();
    let folder = store.import_folder(&account, &inbox, Some(uids.uidvalidity))?;
    let mut staged = Vec::new();
    let mut dates = Vec::new();
    for i in 0..drop.spool_messages().len() {
        let Some((bytes, from)) = drop.message_bytes(i) else {
            continue;
        };
        let rest = String::from_utf8_lossy(from.strip_prefix(b"From ").unwrap_or(from));
        dates.push(crate::migrate::date::from_line_date(&rest));
        staged.push(store.stage_import(&bytes, &[&account])?);
    }
    let files = store
        .commit_imported(staged)
        .into_iter()
        .collect::<crate::store::Result<Vec<_>>>()?;
    let items: Vec<FolderImport> = files
        .iter()
        .zip(&dates)
        .zip(&uids.given)
        .map(|((file, date), uid)| FolderImport {
            file: *file,
            flags: SystemFlags::default(),
            keywords: Vec::new(),
            internal_date: date.unwrap_or_else(crate::store::now),
            uid: Some(*uid),
        })
        .collect();
    store.import_into_folder(&account, folder.id, &items)?;
    Ok(SpoolInbox {
        order: files.iter().map(|f| f.message).collect(),
        store,
        account,
        drop,
        uids,
        record,
    })
}

/// A spool served as an INBOX for one IMAP session.
#[derive(Debug)]
pub struct SpoolInbox {
    /// The session's in-memory store: the spool is the INBOX of
    /// [`SpoolInbox::account`].
    pub store: Arc<Store>,
    /// The account (the user's name).
    pub account: AccountName,
    drop: SpoolDrop,
    /// The message file of each spool message, in spool order.
    order: Vec<MessageId>,
    uids: UidRecord,
    record: PathBuf,
}

impl SpoolInbox {
    /// Adds to the INBOX what the MTA appended to the spool since it was
    /// read ([`SpoolDrop::take_arrivals`]: never waits for the locks).
    pub fn refresh(&mut self) {
        let known = self.drop.spool_messages().len();
        match self.drop.take_arrivals() {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!("imap: legacy spool: new mail: {e}");
                return;
            }
        }
        if let Err(e) = self.add_arrivals(known) {
            tracing::warn!("imap: legacy spool: new mail: {e}");
        }
    }

    /// Files the spool's messages from index `first` on into the INBOX,
    /// each with the next UID of the record.
    fn add_arrivals(&mut self, first: usize) -> crate::store::Result<()> {
        let inbox = FolderName::inbox();
        let Some(folder) = self.store.folder_id(&self.account, &inbox)? else {
            return Ok(());
        };
        let mut staged = Vec::new();
        let mut dates = Vec::new();
        for i in first..self.drop.spool_messages().len() {
            let Some((bytes, from)) = self.drop.message_bytes(i) else {
                continue;
            };
            let rest = String::from_utf8_lossy(from.strip_prefix(b"From ").unwrap_or(from));
            dates.push(crate::migrate::date::from_line_date(&rest));
            staged.push(self.store.stage_import(&bytes, &[&self.account])?);
        }
        let files = self
            .store
            .commit_imported(staged)
            .into_iter()
            .collect::<crate::store::Result<Vec<_>>>()?;
        let uidls: Vec<String> = self
            .drop
            .spool_messages()
            .iter()
            .map(|m| m.uidl.clone())
            .collect();
        let mut items = Vec::with_capacity(files.len());
        for (file, date) in files.iter().zip(&dates) {
            let uid = self.uids.next;
            self.uids.next += 1;
            self.uids.given.push(uid);
            items.push(FolderImport {
                file: *file,
                flags: SystemFlags::default(),
                keywords: Vec::new(),
                internal_date: date.unwrap_or_else(crate::store::now),
                uid: Some(uid),
            });
        }
        for (uidl, uid) in uidls[first..].iter().zip(&self.uids.given[first..]) {
            self.uids.by_uidl.insert(uidl.clone(), *uid);
        }
        self.store
            .import_into_folder(&self.account, folder, &items)?;
        self.order.extend(files.iter().map(|f| f.message));
        if let Err(e) = self.uids.save(&self.record, &uidls) {
            tracing::warn!("imap: legacy spool: the UID record: {e}");
        }
        Ok(())
    }

    /// Deletes from the spool the messages expunged from the INBOX since
    /// the last call. An error says why nothing was deleted (logged).
    pub fn sync(&mut self) -> Result<(), String> {
        let present: std::collections::HashSet<MessageId> =
            match self.store.open_folder(&self.account, &FolderName::inbox()) {
                Ok(f) => f.messages().map(|m| m.message).collect(),
                Err(e) => return Err(e.to_string()),
            };
        let deleted: Vec<usize> = (0..self.order.len())
            .filter(|i| !present.contains(&self.order[*i]))
            .collect();
        if deleted.is_empty() {
            return Ok(());
        }
        self.drop.apply(&deleted).map_err(|e| e.to_string())?;
        let mut k = 0;
        self.order.retain(|_| {
            k += 1;
            deleted.binary_search(&(k - 1)).is_err()
        });
        let mut k = 0;
        self.uids.given.retain(|_| {
            k += 1;
            deleted.binary_search(&(k - 1)).is_err()
        });
        let uidls: Vec<String> = self
            .drop
            .spool_messages()
            .iter()
            .map(|m| m.uidl.clone())
            .collect();
        if let Err(e) = self.uids.save(&self.record, &uidls) {
            tracing::warn!("imap: legacy spool: the UID record: {e}");
        }
        Ok(())
    }
}

/// The UIDs of a spool (module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct UidRecord {
    uidvalidity: u32,
    next: u32,
    /// UID by UIDL (as loaded).
    by_uidl: HashMap<String, u32>,
    /// The UIDs given, in spool order (after [`UidRecord::assign`]).
    given: Vec<u32>,
}

impl UidRecord {
    /// The record at `path`; an empty one when missing or unreadable.
    fn load(path: &Path) -> UidRecord {
        let Ok(text) = std::fs::read_to_string(path) else {
            return UidRecord::default();
        };
        let mut lines = text.lines();
        let mut r = UidRecord::default();
        let head: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
        match head[..] {
            ["popstore-uids", "1", v, n] => {
                let (Ok(v), Ok(n)) = (v.parse(), n.parse()) else {
                    return UidRecord::default();
                };
                r.uidvalidity = v;
                r.next = n;
            }
            _ => return UidRecord::default(),
        }
        for l in lines {
            let Some((uid, uidl)) = l.split_once(' ') else {
                return UidRecord::default();
            };
            let Ok(uid) = uid.parse::<u32>() else {
                return UidRecord::default();
            };
            r.by_uidl.insert(uidl.to_string(), uid);
        }
        r
    }

    /// Gives the messages `uidls` (in spool order) their UIDs.
    fn assign(mut self, uidls: &[String]) -> UidRecord {
        if self.uidvalidity != 0 {
            let mut given = Vec::with_capacity(uidls.len());
            let mut next = self.next.max(1);
            let mut last = 0;
            let mut ok = true;
            for u in uidls {
                let uid = match self.by_uidl.get(u) {
                    Some(uid) if *uid < self.next => *uid,
                    _ => {
                        next += 1;
                        next - 1
                    }
                };
                if uid <= last || uid == u32::MAX {
                    ok = false;
                    break;
                }
                last = uid;
                given.push(uid);
            }
            if ok {
                self.next = next;
                self.given = given;
                return self;
            }
        }
        // New: a UIDVALIDITY above the last one, UIDs from 1.
        let now = u32::try_from(crate::store::now()).unwrap_or(u32::MAX - 1);
        UidRecord {
            uidvalidity: now.max(self.uidvalidity.saturating_add(1)).max(1),
            next: uidls.len() as u32 + 1,
            by_uidl: HashMap::new(),
            given: (1..=uidls.len() as u32).collect(),
        }
    }

    /// Writes the record for the messages `uidls` (in spool order, with
    /// the UIDs given), atomically.
    fn save(&self, path: &Path, uidls: &[String]) -> std::io::Result<()> {
        let mut text = format!("popstore-uids 1 {} {}\n", self.uidvalidity, self.next);
        for (uid, uidl) in self.given.iter().zip(uidls) {
            text.push_str(&format!("{uid} {uidl}\n"));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("uids.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::UidRecord;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn uids_stay_across_deletions_and_arrivals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ann.uids");
        let first = UidRecord::load(&path).assign(&s(&["a", "b", "c"]));
        assert_eq!(first.given, [1, 2, 3]);
        assert!(first.uidvalidity > 0);
        first.save(&path, &s(&["a", "b", "c"])).unwrap();
        // b deleted, d and e arrived.
        let second = UidRecord::load(&path).assign(&s(&["a", "c", "d", "e"]));
        assert_eq!(second.uidvalidity, first.uidvalidity);
        assert_eq!(second.given, [1, 3, 4, 5]);
        second.save(&path, &s(&["a", "c", "d", "e"])).unwrap();
        // a deleted and b back (a copy of it): b is new.
        let third = UidRecord::load(&path).assign(&s(&["c", "d", "e", "b"]));
        assert_eq!(third.given, [3, 4, 5, 6]);
        // Reordered by another program: a new UIDVALIDITY.
        let moved = UidRecord::load(&path).assign(&s(&["d", "c"]));
        assert!(moved.uidvalidity > second.uidvalidity);
        assert_eq!(moved.given, [1, 2]);
        // Garbage: a new one.
        std::fs::write(&path, "nonsense").unwrap();
        assert_eq!(UidRecord::load(&path), UidRecord::default());
    }
}
