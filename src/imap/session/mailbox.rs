//! Commands on mailboxes: SELECT/EXAMINE (CONDSTORE, QRESYNC), CREATE
//! (USE), DELETE, RENAME, SUBSCRIBE, LIST (LIST-EXTENDED, LIST-STATUS,
//! SPECIAL-USE, CHILDREN), LSUB, NAMESPACE, STATUS.

use popstore_formats::folder::SystemFlags;
use popstore_formats::mailboxes::SpecialUse;

use super::updates::{Selected, flags_of};
use super::{Response, Session};
use crate::imap::parse::{ListReturn, ListSelect, SelectParams, StatusItem};
use crate::imap::types::{Flag, MailboxArg};
use crate::imap::write::{self, Code, Status, fetch::Fetch};
use crate::store::Folder;
use crate::store::acl::Rights;
use crate::store::folder_name::{self, FolderName};

/// RFC 6154 attribute names by special use.
const SPECIAL: [(SpecialUse, &str); 7] = [
    (SpecialUse::ALL, "\\All"),
    (SpecialUse::ARCHIVE, "\\Archive"),
    (SpecialUse::DRAFTS, "\\Drafts"),
    (SpecialUse::FLAGGED, "\\Flagged"),
    (SpecialUse::JUNK, "\\Junk"),
    (SpecialUse::SENT, "\\Sent"),
    (SpecialUse::TRASH, "\\Trash"),
];

fn special_name(su: SpecialUse) -> Option<&'static str> {
    SPECIAL.iter().find(|(s, _)| *s == su).map(|(_, n)| *n)
}

/// The system flags a folder offers.
fn system_flags() -> Vec<Flag> {
    vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
}

impl Session {
    /// The folder a mailbox argument names; `Err` is the reply.
    pub(super) fn folder_arg(&self, tag: &str, m: &MailboxArg) -> Result<FolderName, Response> {
        let mut arg = m.clone();
        // A trailing separator declares a parent (CREATE); elsewhere it
        // names the same folder.
        if arg.raw.len() > 1 && arg.raw.last() == Some(&b'/') {
            arg.raw.pop();
        }
        arg.folder_name()
            .map_err(|_| Self::no(tag, Some(Code::Cannot), "invalid mailbox name"))
    }

    pub(super) fn select(
        &mut self,
        tag: &str,
        mailbox: &MailboxArg,
        read_only: bool,
        params: &SelectParams,
    ) -> Response {
        let mut r = Response::new();
        if self.selected.take().is_some() && self.enabled.qresync {
            r.untagged(Status::Ok, Some(Code::Closed), "previous mailbox closed");
        }
        if params.qresync.is_some() && !self.enabled.qresync {
            r.tagged(tag, Status::Bad, None, "QRESYNC is not enabled");
            return self.count_bad(r);
        }
        if params.condstore {
            self.enabled.condstore = true;
        }
        let t = match self
            .target(tag, mailbox)
            .and_then(|t| Self::require(tag, &t, Rights::READ).map(|()| t))
        {
            Ok(t) => t,
            Err(e) => {
                r.text.extend_from_slice(&e.text);
                return r;
            }
        };
        let read_only = read_only || !super::rights::writable(t.rights);
        let name = t.shown.clone();
        let folder = match self.store.open_folder(&t.owner, &t.name) {
            Ok(f) => f,
            Err(e) => {
                let e = self.store_error(tag, &e);
                r.text.extend_from_slice(&e.text);
                return r;
            }
        };
        let mut flags = system_flags();
        flags.extend(folder.keywords().iter().map(|k| Flag::Keyword(k.clone())));
        write::data::flags(&mut r.text, &flags);
        // What this user may change (RFC 4314): nothing when read-only.
        let may = super::rights::Changeable::of(t.rights);
        let mut perm: Vec<Flag> = system_flags()
            .into_iter()
            .filter(|f| match f {
                Flag::Seen => may.bits.contains(SystemFlags::SEEN),
                Flag::Deleted => may.bits.contains(SystemFlags::DELETED),
                _ => may.keywords,
            })
            .collect();
        if may.keywords {
            perm.push(Flag::Wildcard);
        }
        if read_only {
            perm.clear();
        }
        r.untagged(Status::Ok, Some(Code::PermanentFlags(perm)), "limited");
        write::data::exists(&mut r.text, folder.len() as u32);
        if !self.enabled.rev2 {
            write::data::recent(&mut r.text, 0);
            if let Some(i) = folder
                .entries()
                .iter()
                .position(|e| !e.flags.contains(SystemFlags::SEEN))
            {
                r.untagged(Status::Ok, Some(Code::Unseen(i as u32 + 1)), "first unseen");
            }
        }
        r.untagged(
            Status::Ok,
            Some(Code::UidValidity(folder.uidvalidity())),
            "UIDs valid",
        );
        r.untagged(
            Status::Ok,
            Some(Code::UidNext(folder.uidnext())),
            "predicted next UID",
        );
        r.untagged(
            Status::Ok,
            Some(Code::HighestModSeq(folder.highestmodseq())),
            "highest",
        );
        if self.enabled.rev2 {
            write::data::list(
                &mut r.text,
                false,
                &[] as &[&str],
                Some('/'),
                &name,
                true,
                &[],
            );
        }
        if let Some(q) = &params.qresync
            && q.uidvalidity.get() == folder.uidvalidity()
        {
            qresync_select(&mut r.text, &folder, q);
        }
        self.selected = Some(Selected::new(folder, read_only, t.rights));
        let (code, text) = if read_only {
            (Code::ReadOnly, "EXAMINE completed")
        } else {
            (Code::ReadWrite, "SELECT completed")
        };
        r.tagged(tag, Status::Ok, Some(code), text);
        r
    }

    pub(super) fn create(&mut self, tag: &str, m: &MailboxArg, uses: &[String]) -> Response {
        let name = match self.folder_arg(tag, m) {
            Ok(n) => n,
            Err(e) => return e,
        };
        if matches!(
            name.levels().next(),
            Some(super::namespace::OTHER_USERS | super::namespace::PUBLIC)
        ) {
            return Self::no(
                tag,
                Some(Code::Cannot),
                "the other users' folders are theirs",
            );
        }
        let mut su = SpecialUse::NONE;
        for u in uses {
            match SPECIAL.iter().find(|(_, n)| n.eq_ignore_ascii_case(u)) {
                Some((s, _)) if su == SpecialUse::NONE => su = *s,
                _ => return Self::no(tag, Some(Code::UseAttr), "unsupported special use"),
            }
        }
        match self.store.create_folder(&self.account(), &name, su) {
            Ok(_) => self.done(tag, "CREATE completed"),
            Err(e) => self.store_error(tag, &e),
        }
    }

    /// Tagged OK after the untagged updates.
    fn done(&mut self, tag: &str, text: &str) -> Response {
        let mut r = Response::new();
        self.finish(&mut r, tag, text, true);
        r
    }

    pub(super) fn delete(&mut self, tag: &str, m: &MailboxArg) -> Response {
        let name = match self.folder_arg(tag, m) {
            Ok(n) => n,
            Err(e) => return e,
        };
        match self.store.delete_folder(&self.account(), &name, false) {
            Ok(_) => self.done(tag, "DELETE completed"),
            Err(e) => self.store_error(tag, &e),
        }
    }

    pub(super) fn rename(&mut self, tag: &str, from: &MailboxArg, to: &MailboxArg) -> Response {
        let (from, to) = match (self.folder_arg(tag, from), self.folder_arg(tag, to)) {
            (Ok(f), Ok(t)) => (f, t),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match self.store.rename_folder(&self.account(), &from, &to) {
            Ok(()) => self.done(tag, "RENAME completed"),
            Err(e) => self.store_error(tag, &e),
        }
    }

    pub(super) fn subscribe(&mut self, tag: &str, m: &MailboxArg, on: bool) -> Response {
        let name = match self.folder_arg(tag, m) {
            Ok(n) => n,
            Err(e) => return e,
        };
        match self.store.subscribe_folder(&self.account(), &name, on) {
            Ok(_) if on => self.done(tag, "SUBSCRIBE completed"),
            Ok(_) => self.done(tag, "UNSUBSCRIBE completed"),
            Err(e) => self.store_error(tag, &e),
        }
    }

    /// A LIST pattern in the stored (UTF-8) form.
    fn pattern(&self, reference: &MailboxArg, p: &MailboxArg) -> Option<String> {
        let mut raw = reference.raw.clone();
        raw.extend_from_slice(&p.raw);
        let s = String::from_utf8(raw).ok()?;
        if p.utf8 {
            Some(s)
        } else {
            folder_name::decode_utf7(&s).ok()
        }
    }

    pub(super) fn list(
        &mut self,
        tag: &str,
        selection: &[ListSelect],
        reference: &MailboxArg,
        patterns: &[MailboxArg],
        returns: &[ListReturn],
    ) -> Response {
        let mut r = Response::new();
        let utf8 = self.utf8_names();
        if patterns.len() == 1 && patterns[0].raw.is_empty() {
            r.text
                .extend_from_slice(b"* LIST (\\Noselect) \"/\" \"\"\r\n");
            self.finish(&mut r, tag, "LIST completed", true);
            return r;
        }
        let subscribed_only = selection.contains(&ListSelect::Subscribed);
        let special_only = selection.contains(&ListSelect::SpecialUse);
        let show_subscribed = subscribed_only || returns.contains(&ListReturn::Subscribed);
        let status_items = returns.iter().find_map(|x| match x {
            ListReturn::Status(items) => Some(items.clone()),
            _ => None,
        });
        let acct = self.account();
        // RFC 5258 3.5: with RECURSIVEMATCH, a folder the pattern matches
        // that has a subscribed descendant the pattern does not match is
        // listed with CHILDINFO ("SUBSCRIBED"), subscribed or not.
        let recursive = subscribed_only && selection.contains(&ListSelect::RecursiveMatch);
        let all_subscribed = if recursive {
            match self.store.list_folders(&acct, "*", true) {
                Ok(l) => l.into_iter().map(|f| f.name).collect(),
                Err(e) => return self.store_error(tag, &e),
            }
        } else {
            Vec::new()
        };
        let mut seen = std::collections::HashSet::new();
        let mut seen_others = std::collections::HashSet::new();
        for p in patterns {
            let Some(pattern) = self.pattern(reference, p) else {
                continue;
            };
            let listing =
                match self
                    .store
                    .list_folders(&acct, &pattern, subscribed_only && !recursive)
                {
                    Ok(l) => l,
                    Err(e) => return self.store_error(tag, &e),
                };
            let matched: Vec<FolderName> = listing
                .iter()
                .filter(|f| f.subscribed)
                .map(|f| f.name.clone())
                .collect();
            for f in listing {
                let childinfo = recursive
                    && all_subscribed.iter().any(|n: &FolderName| {
                        n.as_str()
                            .strip_prefix(f.name.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                            && !matched.contains(n)
                    });
                if recursive && !f.subscribed && !childinfo {
                    continue;
                }
                if !seen.insert(f.id) || (special_only && f.special_use == SpecialUse::NONE) {
                    continue;
                }
                let mut attrs: Vec<&str> = Vec::new();
                if f.noselect {
                    attrs.push("\\Noselect");
                }
                attrs.push(if f.has_children {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                });
                if show_subscribed && f.subscribed {
                    attrs.push("\\Subscribed");
                }
                if let Some(n) = special_name(f.special_use) {
                    attrs.push(n);
                }
                let extended = if childinfo {
                    vec![write::data::ListExtended::ChildInfo(vec![
                        "SUBSCRIBED".into(),
                    ])]
                } else {
                    Vec::new()
                };
                write::data::list(
                    &mut r.text,
                    false,
                    &attrs,
                    Some('/'),
                    &f.name,
                    utf8,
                    &extended,
                );
                if let Some(items) = &status_items
                    && !f.noselect
                    && let Ok(folder) = self.store.open_folder(&acct, &f.name)
                {
                    let values = self.status_values(&folder, items);
                    write::data::mailbox_status(&mut r.text, &f.name, utf8, &values);
                }
            }
            if !subscribed_only && !special_only {
                self.list_others(&mut r.text, &pattern, &mut seen_others);
            }
        }
        self.finish(&mut r, tag, "LIST completed", true);
        r
    }

    pub(super) fn lsub(&mut self, tag: &str, reference: &MailboxArg, p: &MailboxArg) -> Response {
        let mut r = Response::new();
        let utf8 = self.utf8_names();
        if let Some(pattern) = self.pattern(reference, p) {
            let listing = match self.store.list_folders(&self.account(), &pattern, true) {
                Ok(l) => l,
                Err(e) => return self.store_error(tag, &e),
            };
            for f in listing {
                let attrs: Vec<&str> = if f.noselect {
                    vec!["\\Noselect"]
                } else {
                    vec![]
                };
                write::data::list(&mut r.text, true, &attrs, Some('/'), &f.name, utf8, &[]);
            }
        }
        self.finish(&mut r, tag, "LSUB completed", true);
        r
    }

    pub(super) fn namespace(&mut self, tag: &str) -> Response {
        let mut r = Response::new();
        let others = format!("{}/", super::namespace::OTHER_USERS);
        let public: Vec<(String, Option<char>)> =
            if self.store.public_tree_exists().unwrap_or(false) {
                vec![(format!("{}/", super::namespace::PUBLIC), Some('/'))]
            } else {
                Vec::new()
            };
        write::data::namespace(
            &mut r.text,
            &[(String::new(), Some('/'))],
            &[(others, Some('/'))],
            &public,
        );
        self.finish(&mut r, tag, "NAMESPACE completed", true);
        r
    }

    fn status_values(&self, f: &Folder, items: &[StatusItem]) -> Vec<(StatusItem, u64)> {
        items
            .iter()
            .map(|&i| {
                let v = match i {
                    StatusItem::Messages => f.len() as u64,
                    StatusItem::Recent => 0,
                    StatusItem::UidNext => u64::from(f.uidnext()),
                    StatusItem::UidValidity => u64::from(f.uidvalidity()),
                    StatusItem::Unseen => f.unseen() as u64,
                    StatusItem::Deleted => f
                        .entries()
                        .iter()
                        .filter(|e| e.flags.contains(SystemFlags::DELETED))
                        .count() as u64,
                    StatusItem::Size => f.bytes(),
                    StatusItem::HighestModSeq => f.highestmodseq(),
                    StatusItem::AppendLimit => self.settings.append_limit,
                };
                (i, v)
            })
            .collect()
    }

    pub(super) fn status(&mut self, tag: &str, m: &MailboxArg, items: &[StatusItem]) -> Response {
        let t = match self
            .target(tag, m)
            .and_then(|t| Self::require(tag, &t, Rights::READ).map(|()| t))
        {
            Ok(t) => t,
            Err(e) => return e,
        };
        let name = t.shown.clone();
        if items.contains(&StatusItem::HighestModSeq) {
            self.enabled.condstore = true;
        }
        let folder = match self.store.open_folder(&t.owner, &t.name) {
            Ok(f) => f,
            Err(e) => return self.store_error(tag, &e),
        };
        let mut r = Response::new();
        let values = self.status_values(&folder, items);
        write::data::mailbox_status(&mut r.text, &name, self.utf8_names(), &values);
        self.finish(&mut r, tag, "STATUS completed", true);
        r
    }
}

/// QRESYNC's part of SELECT (RFC 7162 3.2.5.2): VANISHED (EARLIER) for
/// what went since the client's MODSEQ, then FETCH of what changed.
fn qresync_select(out: &mut Vec<u8>, f: &Folder, q: &crate::imap::parse::QResync) {
    let largest = f.uidnext().saturating_sub(1);
    let known = |uid: u32| {
        q.known_uids
            .as_ref()
            .is_none_or(|s| s.contains(uid, largest))
    };
    let vanished: Vec<u32> = match f.vanished_since(q.modseq) {
        Some(v) => v.into_iter().filter(|u| known(*u)).collect(),
        // History too short: every known UID that is not there now.
        None => match &q.known_uids {
            Some(_) => (1..f.uidnext())
                .take(10_000_000)
                .filter(|u| known(*u) && f.by_index(*u).is_none())
                .collect(),
            None => Vec::new(),
        },
    };
    if !vanished.is_empty() {
        write::data::vanished(out, true, &vanished);
    }
    for (i, e) in f.entries().iter().enumerate() {
        if e.modseq > q.modseq
            && let Some((_, m)) = f.by_uid(e.uid)
        {
            let mut w = Fetch::begin(out, i as u32 + 1);
            w.uid(m.uid).flags(&flags_of(&m)).modseq(m.modseq);
            w.end();
        }
    }
}
