//! The whole-store check: every file read through a [`StoreReader`].

use std::collections::BTreeMap;

use popstore_formats::StoreFile;
use popstore_formats::descriptor::{RootRoles, StoreDescriptor};
use popstore_formats::forward::ForwardingDb;
use popstore_formats::groups::GroupTree;
use popstore_formats::layout::{self, Layout, MessageId, UserDir, types};
use popstore_formats::mailboxes::{MailboxFlags, MailboxList};
use popstore_formats::message::MessageFile;
use popstore_formats::msglist::MessageList;
use popstore_formats::path::{Ods2Name, StorePath};
use popstore_formats::profile::Profile;
use popstore_formats::vacation::VacationState;

use super::{DirEntry, StoreDir, StoreReader};

mod acl;
mod folders;
mod journal;
mod shares;

/// One problem: the file (as the host spells it) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file or directory.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// What verify found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems, in the order found.
    pub problems: Vec<Problem>,
    /// Findings that are not problems (verify still passes): the normal
    /// leftovers of a crash the engine clears by itself, such as a
    /// journal's torn tail.
    pub notes: Vec<Problem>,
    /// Accounts (as stored: `name` or `name@domain`) whose message-list
    /// journal `verify --repair` must reconcile with the list before the
    /// engine can fold it (corrupt, ahead of the list, or repeating a
    /// UIDL of the list).
    pub journals_to_reconcile: Vec<String>,
    /// Files read.
    pub files: u64,
    /// Accounts (profiles) found.
    pub accounts: u64,
    /// Message files found.
    pub messages: u64,
    /// References (message-list and folder entries) found.
    pub references: u64,
}

/// One reference to a message file, for the cross-check.
struct Reference {
    from: String,
    size: u64,
    what: String,
}

struct Walk<'a> {
    store: &'a dyn StoreReader,
    report: Report,
    progress: &'a dyn Fn(u64),
    refs: BTreeMap<MessageId, Vec<Reference>>,
    groups: Option<GroupTree>,
    /// Places whose references could not be read (a directory that does
    /// not list, a file that does not read, a message list or folder index
    /// that does not decode): while there are any, a message file nobody
    /// readable references is *unknown*, not an orphan.
    uncertain: bool,
    /// Message files a list records as given up by a deletion (RELEASED).
    released: BTreeMap<MessageId, String>,
    /// ACL entries naming an account (mailbox list, identifier), checked
    /// against the accounts found once the walk is over.
    acl_users: Vec<(String, String)>,
    /// The accounts found (stored names).
    names: std::collections::BTreeSet<String>,
    /// The accounts whose mailbox lists share a folder (SPEC.md 9.3).
    sharers: std::collections::BTreeSet<String>,
}

fn n(s: &str) -> Ods2Name {
    Ods2Name::new(s).expect("fixed names are ODS-2 names")
}

impl Walk<'_> {
    fn problem(&mut self, path: String, reason: impl Into<String>) {
        self.report.problems.push(Problem {
            path,
            reason: reason.into(),
        });
    }

    /// Reads and decodes one file; problems are reported, `None` returned.
    fn load<T: StoreFile>(&mut self, path: &StorePath) -> Option<T> {
        let bytes = self.read(path)?;
        match T::decode(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(self.store.spell(path), e.to_string());
                None
            }
        }
    }

    fn read(&mut self, path: &StorePath) -> Option<Vec<u8>> {
        self.report.files += 1;
        (self.progress)(self.report.files);
        match self.store.read(path) {
            Ok(Some(b)) => Some(b),
            Ok(None) => {
                self.problem(self.store.spell(path), "missing");
                None
            }
            Err(e) => {
                self.uncertain = true;
                self.problem(self.store.spell(path), format!("cannot read: {e}"));
                None
            }
        }
    }

    fn list(&mut self, dir: &StoreDir) -> Vec<DirEntry> {
        match self.store.list(dir) {
            Ok(Some(v)) => v,
            Ok(None) => Vec::new(),
            Err(e) => {
                self.uncertain = true;
                self.problem(self.store.spell_dir(dir, None), format!("cannot list: {e}"));
                Vec::new()
            }
        }
    }

    fn unexpected(&mut self, dir: &StoreDir, e: &DirEntry) {
        // The engine's lock files (`*.LCK`: empty files locks are taken on,
        // beside what they protect) are part of a live store.
        if matches!(e, DirEntry::File(_, t) if t.as_str() == "LCK") {
            return;
        }
        // The TLS certificate and key (`[tls]` defaults: `tls/` in the store
        // root, made by `init` or the first `serve`) and the status socket
        // (`[status]` default: `run/` in the store root, made by `serve`)
        // are not store files.
        if dir.root == 0
            && dir.dirs.is_empty()
            && matches!(e, DirEntry::Dir(d) if d.as_str() == "TLS" || d.as_str() == "RUN")
        {
            return;
        }
        let (name, reason) = match e {
            DirEntry::Dir(d) => (d.as_str().to_ascii_lowercase(), "unexpected directory"),
            DirEntry::File(nm, t) if t.as_str().ends_with(types::TEMP_SUFFIX) => (
                format!("{}.{}", nm, t).to_ascii_lowercase(),
                "leftover temporary file (an interrupted replacement)",
            ),
            DirEntry::File(nm, t) => (
                format!("{}.{}", nm, t).to_ascii_lowercase(),
                "unexpected file (orphan)",
            ),
            DirEntry::Other(s) if popstore_platform::support::is_temp_name(s) => {
                // The normal leftover of a crash: the engine clears it.
                let at = self.store.spell_dir(dir, Some(s));
                self.report.notes.push(Problem {
                    path: at,
                    reason: "leftover temporary file of an interrupted write (serve at \
                             start-up and verify --repair remove it once older than the \
                             grace period)"
                        .into(),
                });
                return;
            }
            DirEntry::Other(s) => (s.clone(), "unexpected name (not a store file)"),
        };
        self.problem(self.store.spell_dir(dir, Some(&name)), reason);
    }

    /// Walks the fanout levels below `dir`, calling `leaf` on each
    /// directory at the bottom.
    fn fanout(
        &mut self,
        dir: &StoreDir,
        levels: u8,
        width: u16,
        leaf: &mut dyn FnMut(&mut Self, &StoreDir),
    ) {
        if levels == 0 {
            leaf(self, dir);
            return;
        }
        let digits = format!("{:X}", width.saturating_sub(1)).len();
        for e in self.list(dir) {
            match &e {
                DirEntry::Dir(d)
                    if d.as_str().len() == digits
                        && u32::from_str_radix(d.as_str(), 16)
                            .is_ok_and(|v| v < u32::from(width)) =>
                {
                    self.fanout(&dir.sub(d), levels - 1, width, leaf)
                }
                _ => self.unexpected(dir, &e),
            }
        }
    }

    fn user(&mut self, layout: &Layout, dir: &StoreDir) {
        for e in self.list(dir) {
            match &e {
                DirEntry::Dir(name) => self.user_tree(layout, &dir.sub(name)),
                _ => self.unexpected(dir, &e),
            }
        }
    }

    /// One user's subtree.
    fn user_tree(&mut self, layout: &Layout, dir: &StoreDir) {
        // The account's lock, shared, while its profile, list and journal
        // are read: the writers change them together under it. Only an
        // existing lock file is taken (verify creates no file).
        let lock = (n("ACCOUNT"), n("LCK"));
        let _locked = match self.store.list(dir) {
            Ok(Some(es))
                if es
                    .iter()
                    .any(|e| matches!(e, DirEntry::File(a, b) if (a, b) == (&lock.0, &lock.1))) =>
            {
                self.store.lock_shared(&dir.file(&lock.0, &lock.1))
            }
            _ => None,
        };
        let profile_path = dir.file(&n("ACCOUNT"), &n(types::PROFILE));
        let spelled_profile = self.store.spell(&profile_path);
        let profile: Option<Profile> = self.load(&profile_path);
        let mut used = 0u64;
        let mut count = 0u64;
        let mut expected = vec![(n("ACCOUNT"), n(types::PROFILE))];
        // The account's name (SPEC.md 6): the username, with the domain
        // field only when the username has none.
        let account = profile.as_ref().map(|p| p.identity.account_name());
        if let (Some(p), Some(name)) = (&profile, &account) {
            // The public folders' pseudo-account is no account.
            if name != layout::PUBLIC_ACCOUNT {
                self.report.accounts += 1;
                self.names.insert(name.clone());
            }
            let id = &p.identity;
            if id.domain_conflict() {
                self.problem(
                    spelled_profile.clone(),
                    format!(
                        "profile's domain {:?} is not the domain of its username {:?}",
                        id.domain, id.username
                    ),
                );
            }
            match layout.user_dir(name) {
                Some(UserDir { root, dirs }) if root == dir.root && dirs == dir.dirs => {}
                Some(u) => self.problem(
                    spelled_profile.clone(),
                    format!(
                        "profile of {name:?} is not at its hashed path (expected {})",
                        self.store.spell(&u.profile())
                    ),
                ),
                None => self.problem(spelled_profile.clone(), "profile has an empty username"),
            }
            if !id.group.is_empty()
                && !self
                    .groups
                    .as_ref()
                    .is_some_and(|g| g.groups.iter().any(|x| x.name == id.group))
            {
                self.problem(
                    spelled_profile.clone(),
                    format!("group {:?} does not exist", id.group),
                );
            }
        }
        let entries = self.list(dir);
        let has = |nm: &str, t: &str| {
            entries
                .iter()
                .any(|e| matches!(e, DirEntry::File(a, b) if a.as_str() == nm && b.as_str() == t))
        };
        // popstore message list.
        let mut list = None;
        let mut list_file = false;
        if has("MESSAGES", types::MESSAGE_LIST) {
            expected.push((n("MESSAGES"), n(types::MESSAGE_LIST)));
            list_file = true;
            let path = dir.file(&n("MESSAGES"), &n(types::MESSAGE_LIST));
            let from = self.store.spell(&path);
            list = self.load::<MessageList>(&path);
            self.uncertain |= list.is_none();
            for r in list.iter().flat_map(|l| &l.released) {
                for m in &r.messages {
                    self.released.insert(*m, from.clone());
                }
            }
            for e in list.iter().flat_map(|l| &l.entries) {
                used += e.size;
                count += 1;
                self.reference(e.message, &from, e.size, format!("UIDL {}", e.uidl));
            }
        }
        // Its journal (SPEC.md 7.1): entries not yet folded into the list
        // are references like the list's, and not yet in the profile.
        let mut journal = journal::Held::default();
        let has_journal = has("MESSAGES", types::MESSAGE_JOURNAL);
        if has_journal {
            expected.push((n("MESSAGES"), n(types::MESSAGE_JOURNAL)));
            let path = dir.file(&n("MESSAGES"), &n(types::MESSAGE_JOURNAL));
            let state = match (&list, list_file) {
                (Some(l), _) => journal::ListState::Read(l),
                (None, true) => journal::ListState::Unreadable,
                (None, false) => journal::ListState::Absent,
            };
            journal = self.journal(&path, layout.list_journal, state, account.as_deref());
            used += journal.bytes;
            count += journal.entries;
        }
        // The profile counts the list as of the last fold (SPEC.md 7.1).
        let list_count = list.as_ref().map_or(0, |l| l.entries.len() as u64);
        if let Some(p) = &profile
            && (list.is_some() || (has_journal && !list_file))
            && p.counters.message_count != list_count
        {
            self.problem(
                spelled_profile.clone(),
                format!(
                    "message count {} but the message list holds {list_count}",
                    p.counters.message_count,
                ),
            );
        }
        // MessageStore mailbox list and folder indexes.
        let mut mailboxes = None;
        if has("MAILBOXES", types::MAILBOX_LIST) {
            expected.push((n("MAILBOXES"), n(types::MAILBOX_LIST)));
            let path = dir.file(&n("MAILBOXES"), &n(types::MAILBOX_LIST));
            mailboxes = self.load::<MailboxList>(&path);
            if let Some(l) = &mailboxes {
                self.acls(&path, l);
                if let Some(a) = &account
                    && l.shares(a)
                {
                    self.sharers.insert(a.clone());
                }
            }
        }
        if has("POPUIDLS", types::POP_UIDLS) {
            expected.push((n("POPUIDLS"), n(types::POP_UIDLS)));
            let _ = self.load::<popstore_formats::pop_uidls::PopUidls>(
                &dir.file(&n("POPUIDLS"), &n(types::POP_UIDLS)),
            );
        }
        if has("VACATION", types::VACATION_STATE) {
            expected.push((n("VACATION"), n(types::VACATION_STATE)));
            let _ =
                self.load::<VacationState>(&dir.file(&n("VACATION"), &n(types::VACATION_STATE)));
        }
        let mut seen_folders = Vec::new();
        let mut folder_journaled = 0i64;
        for e in &entries {
            match e {
                DirEntry::File(a, b) if expected.iter().any(|(x, y)| x == a && y == b) => {}
                DirEntry::Dir(d) if d.as_str() == layout::FOLDERS_DIR => {
                    let (u, j) = self.folders(&dir.sub(d), mailboxes.as_ref(), &mut seen_folders);
                    used += u;
                    folder_journaled += j;
                }
                DirEntry::Dir(d) if d.as_str() == layout::SIEVE_DIR => {
                    let sd = dir.sub(d);
                    for s in self.list(&sd) {
                        if !matches!(&s, DirEntry::File(_, t) if t.as_str() == types::SIEVE) {
                            self.unexpected(&sd, &s);
                        }
                    }
                }
                _ => self.unexpected(dir, e),
            }
        }
        if let Some(l) = &mailboxes {
            for m in &l.mailboxes {
                if !m.flags.contains(MailboxFlags::NOSELECT) && !seen_folders.contains(&m.folder_id)
                {
                    let ud = UserDir {
                        root: dir.root,
                        dirs: dir.dirs.clone(),
                    };
                    self.problem(
                        self.store.spell(&ud.folder_index(m.folder_id)),
                        format!("missing: the index of folder {:?}", m.name),
                    );
                }
            }
        }
        if let Some(p) = &profile
            && i128::from(p.counters.quota_used)
                + i128::from(journal.bytes)
                + i128::from(folder_journaled)
                != i128::from(used)
        {
            let reason = if journal.entries == 0 {
                format!(
                    "usage (quota used) {} but the messages held total {used} bytes ({count} in the message list)",
                    p.counters.quota_used
                )
            } else {
                format!(
                    "usage (quota used) {} plus {} bytes in the journal, but the messages held \
                     total {used} bytes ({count} in the message list and its journal)",
                    p.counters.quota_used, journal.bytes
                )
            };
            self.problem(spelled_profile, reason);
        }
    }

    fn reference(&mut self, id: MessageId, from: &str, size: u64, what: String) {
        self.report.references += 1;
        self.refs.entry(id).or_default().push(Reference {
            from: from.to_owned(),
            size,
            what,
        });
    }

    /// The message files of one root.
    fn messages(
        &mut self,
        layout: &Layout,
        root: u8,
    ) -> BTreeMap<MessageId, (StorePath, Option<MessageFile>)> {
        let mut found = BTreeMap::new();
        let top = StoreDir::top(root).sub(&n(layout::MESSAGES_DIR));
        let f = layout.fanout;
        self.fanout(&top, f.levels, f.width, &mut |w, dir| {
            for e in w.list(dir) {
                let id = match &e {
                    DirEntry::File(nm, t) if t.as_str() == types::MESSAGE => {
                        MessageId::from_file_name(nm.as_str())
                    }
                    _ => None,
                };
                let (Some(id), DirEntry::File(nm, t)) = (id, &e) else {
                    w.unexpected(dir, &e);
                    continue;
                };
                let path = dir.file(nm, t);
                w.report.messages += 1;
                let expected = layout.message_file(id);
                if expected != path {
                    w.problem(
                        w.store.spell(&path),
                        format!(
                            "not at its hashed path (expected {})",
                            w.store.spell(&expected)
                        ),
                    );
                }
                let m = w.load::<MessageFile>(&path);
                found.insert(id, (path, m));
            }
        });
        found
    }
}

/// Checks the whole store: framing and checksums of every file, every
/// profile at its hashed path, every referenced message file present,
/// every reference count equal to the references found, every account's
/// usage equal to the sizes it holds, no orphan files. Read-only.
/// `progress` is called with the number of files read so far.
pub fn verify(store: &dyn StoreReader, progress: &dyn Fn(u64)) -> Report {
    let mut w = Walk {
        store,
        report: Report::default(),
        progress,
        refs: BTreeMap::new(),
        groups: None,
        uncertain: false,
        released: BTreeMap::new(),
        acl_users: Vec::new(),
        names: Default::default(),
        sharers: Default::default(),
    };
    let Some(desc) = w.load::<StoreDescriptor>(&Layout::descriptor()) else {
        return w.report;
    };
    let layout = desc.layout();
    let top = StoreDir::top(0);
    let mut known = vec![(n("POPSTORE"), n(types::DESCRIPTOR))];
    let top_entries = w.list(&top);
    let has = |nm: &str, t: &str| {
        top_entries
            .iter()
            .any(|e| matches!(e, DirEntry::File(a, b) if a.as_str() == nm && b.as_str() == t))
    };
    if has("GROUPS", types::GROUPS) {
        known.push((n("GROUPS"), n(types::GROUPS)));
        w.groups = w.load::<GroupTree>(&Layout::groups());
    }
    if has("FORWARD", types::FORWARDING) {
        known.push((n("FORWARD"), n(types::FORWARDING)));
        let _ = w.load::<ForwardingDb>(&Layout::forwarding());
    }
    // The API tokens (SPEC.md section 12): text, no framing to check.
    if has("APITOKEN", "DAT") {
        known.push((n("APITOKEN"), n("DAT")));
    }
    // Every root: only USERS and MESSAGES (and root 0's top files and,
    // with the feature, its share index).
    let mut found = BTreeMap::new();
    let mut share_entries = None;
    for r in &desc.roots {
        let top = StoreDir::top(r.index);
        let entries = if r.index == 0 {
            top_entries.clone()
        } else {
            w.list(&top)
        };
        for e in &entries {
            match e {
                DirEntry::File(a, b)
                    if r.index == 0 && known.iter().any(|(x, y)| x == a && y == b) => {}
                DirEntry::Dir(d)
                    if d.as_str() == layout::USERS_DIR && r.roles.contains(RootRoles::USERS) =>
                {
                    let f = layout.fanout;
                    let l = layout.clone();
                    w.fanout(&top.sub(d), f.levels, f.width, &mut |w, dir| {
                        w.user(&l, dir)
                    });
                }
                // The public folders (SPEC.md 9.2): a MessageStore
                // subtree like a user's, counted the same way.
                DirEntry::Dir(d)
                    if d.as_str() == layout::PUBLIC_DIR && r.index == layout.public_dir().root =>
                {
                    let l = layout.clone();
                    w.user_tree(&l, &top.sub(d));
                }
                DirEntry::Dir(d)
                    if d.as_str() == layout::MESSAGES_DIR
                        && r.roles.contains(RootRoles::MESSAGES) =>
                {
                    found.extend(w.messages(&layout, r.index));
                }
                DirEntry::Dir(d)
                    if d.as_str() == layout::SHARES_DIR && r.index == 0 && layout.share_index =>
                {
                    share_entries = Some(w.share_entries(&top.sub(d)));
                }
                _ => w.unexpected(&top, e),
            }
        }
    }
    w.stale_acl_users();
    if layout.share_index {
        w.check_share_index(&share_entries.unwrap_or_default());
    }
    // A server may deliver while the walk runs: the message directories
    // were listed before the users' (entries come sorted), so a message
    // written since is referenced but was not listed. Look again at its
    // hashed path before calling it missing.
    let late: Vec<MessageId> = w
        .refs
        .keys()
        .filter(|id| !found.contains_key(*id))
        .copied()
        .collect();
    for id in late {
        let path = layout.message_file(id);
        if let Ok(Some(bytes)) = store.read(&path) {
            w.report.files += 1;
            w.report.messages += 1;
            let m = match MessageFile::decode(&bytes) {
                Ok(m) => Some(m),
                Err(e) => {
                    w.problem(store.spell(&path), e.to_string());
                    None
                }
            };
            found.insert(id, (path, m));
        }
    }
    // Cross-check references and message files.
    let refs = std::mem::take(&mut w.refs);
    for (id, rs) in &refs {
        match found.get(id) {
            None => {
                let froms: Vec<&str> = rs.iter().map(|r| r.from.as_str()).collect();
                w.problem(
                    store.spell(&layout.message_file(*id)),
                    format!("missing: referenced by {}", froms.join(", ")),
                );
            }
            Some((path, Some(m))) => {
                if u64::from(m.header.ref_count) != rs.len() as u64 {
                    w.problem(
                        store.spell(path),
                        format!(
                            "reference count {} but {} references found",
                            m.header.ref_count,
                            rs.len()
                        ),
                    );
                }
                for r in rs.iter().filter(|r| r.size != m.info.length) {
                    w.problem(
                        r.from.clone(),
                        format!(
                            "{}: size {} but message file {} holds {} bytes",
                            r.what,
                            r.size,
                            store.spell(path),
                            m.info.length
                        ),
                    );
                }
            }
            // Reported as damaged when read; say whose mail it is.
            Some((path, None)) => {
                let froms: Vec<String> = rs
                    .iter()
                    .map(|r| format!("{} ({})", r.from, r.what))
                    .collect();
                w.problem(
                    store.spell(path),
                    format!("damaged message file referenced by {}", froms.join(", ")),
                );
            }
        }
    }
    for (id, (path, m)) in &found {
        // Gone since it was listed: a deletion ran during the walk.
        if refs.contains_key(id) || matches!(store.read(path), Ok(None)) {
            continue;
        }
        let count = m.as_ref().map_or(0, |m| m.header.ref_count);
        let named = m
            .as_ref()
            .map(|m| m.header.recipients.join(", "))
            .filter(|r| !r.is_empty())
            .map(|r| format!("; its recipients: {r}"))
            .unwrap_or_default();
        let reason = if w.uncertain {
            format!(
                "unknown: no readable reference (reference count {count}{named}), but some                  places above cannot be read; verify --repair keeps it"
            )
        } else if let Some(list) = w.released.get(id) {
            format!(
                "orphan: no references (reference count {count}{named}); {list} records its \
                 deletion, whose count was not lowered: verify --repair removes it"
            )
        } else {
            format!("orphan: no references (reference count {count}{named})")
        };
        w.problem(store.spell(path), reason);
    }
    w.report
}
