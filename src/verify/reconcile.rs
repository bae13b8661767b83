//! `verify --repair` for a message-list journal the engine cannot fold as
//! it is (SPEC.md 7.1): one that is corrupt, one whose base is ahead of its
//! list's next UIDL, or one that repeats a UIDL of the list. Brings it in
//! line with the list, under the account lock, so the engine's repair can
//! then fold it like any other journal:
//!
//! - a journal whose base (when its JOURNAL record is whole) is below the
//!   list's next UIDL is stale: removed, its entries are in the list;
//! - the list's next UIDL is raised to the journal's base when it is
//!   behind (so no UIDL number is ever handed out twice);
//! - the journal is rewritten (replaced whole) with that base and the
//!   entries the list lacks; a corrupt journal keeps the entries still
//!   whole ([`salvage`]). Entries lost to the damage are gone: their
//!   message files become orphans, as their references say.

use std::collections::HashSet;
use std::time::Duration;

use popstore_formats::StoreFile;
use popstore_formats::journal::{MessageJournal, salvage};
use popstore_formats::msglist::MessageList;
use popstore_platform::{ErrorKind, LockMode, RecordFormat};

use crate::store::Store;

/// How long to wait for an account's lock (a live server may hold it).
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Reconciles the journal of `account` (as stored: `name` or
/// `name@domain`) with its list. Returns the changes made, one line each.
pub fn reconcile_journal(store: &Store, account: &str) -> Result<Vec<String>, String> {
    let name = store.name(account).map_err(|e| format!("{account}: {e}"))?;
    let fs = store.platform();
    let paths = store.paths();
    let lock_path = paths.account_lock(&name);
    let _lock = fs
        .lock(&lock_path, LockMode::Exclusive, LOCK_WAIT)
        .map_err(|e| format!("{}: {e}", fs.display(&lock_path)))?;
    let jpath = paths.user(&name).message_journal();
    let jshown = fs.display(&jpath);
    let jbytes = match fs.read(&jpath) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{jshown}: {e}")),
    };
    let lpath = paths.message_list(&name);
    let lshown = fs.display(&lpath);
    let mut list = match fs.read(&lpath) {
        Ok(b) => MessageList::decode(&b)
            .map_err(|e| format!("{lshown}: {e} (the journal is left as it is)"))?,
        Err(e) if e.kind() == ErrorKind::NotFound => MessageList {
            next_uidl: 1,
            ..MessageList::default()
        },
        Err(e) => return Err(format!("{lshown}: {e}")),
    };
    let (base, entries, damage) = match MessageJournal::decode(&jbytes) {
        Ok(j) => (Some(j.base), j.entries, None),
        Err(e) => {
            let (b, es) = salvage(&jbytes);
            (b, es, Some(e))
        }
    };
    let mut changes = Vec::new();
    if let Some(b) = base
        && b < list.next_uidl
    {
        // Stale: its entries are in the list already (a fold's leftover).
        fs.remove(&jpath).map_err(|e| format!("{jshown}: {e}"))?;
        let why = damage
            .map(|e| format!(" (and corrupt: {e})"))
            .unwrap_or_default();
        changes.push(format!(
            "{jshown}: stale journal (base {b} below the list's next UIDL {}) removed{why}",
            list.next_uidl
        ));
        return Ok(changes);
    }
    let base = base.unwrap_or(0).max(list.next_uidl).max(1);
    if base > list.next_uidl {
        changes.push(format!(
            "{lshown}: next UIDL raised from {} to the journal's base {base}",
            list.next_uidl
        ));
        list.next_uidl = base;
        let bytes = list
            .encode()
            .map_err(|e| format!("{lshown}: cannot encode: {e}"))?;
        fs.replace(&lpath, RecordFormat::Var, &bytes)
            .map_err(|e| format!("{lshown}: {e}"))?;
    }
    let mut seen: HashSet<String> = list.entries.iter().map(|e| e.uidl.clone()).collect();
    let total = entries.len();
    let kept: Vec<_> = entries
        .into_iter()
        .filter(|e| seen.insert(e.uidl.clone()))
        .collect();
    let journal = MessageJournal {
        base,
        entries: kept,
        ..MessageJournal::default()
    };
    let bytes = journal
        .encode()
        .map_err(|e| format!("{jshown}: cannot encode: {e}"))?;
    if bytes != jbytes {
        fs.replace(&jpath, RecordFormat::Var, &bytes)
            .map_err(|e| format!("{jshown}: {e}"))?;
        let why = match &damage {
            Some(e) => format!(" (it was corrupt: {e})"),
            None => String::new(),
        };
        changes.push(format!(
            "{jshown}: journal rewritten with base {base} and the {} of its {total} \
             entries the list lacks{why}",
            journal.entries.len()
        ));
    }
    Ok(changes)
}
