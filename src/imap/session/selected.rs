//! Commands of the selected state: CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE,
//! STORE (UNCHANGEDSINCE, `[MODIFIED]`), COPY and MOVE (COPYUID), IDLE;
//! FETCH is in [`super::fetch`].

use super::append::flag_bits;
use super::search::Program;
use super::updates::flags_of;
use super::{Response, Session};
use crate::imap::parse::{CommandBody, StoreMode};
use crate::imap::types::{Flag, MailboxArg, SeqSet};
use crate::imap::write::{Code, Status, fetch::Fetch};
use crate::store::acl::Rights;
use crate::store::folders::FlagOp;
use popstore_formats::folder::SystemFlags;

impl Session {
    pub(super) fn selected_command(&mut self, tag: &str, body: CommandBody) -> Response {
        use CommandBody as C;
        match body {
            C::Close | C::Unselect => {
                let close = matches!(body, C::Close);
                let Some(mut sel) = self.selected.take() else {
                    return self.bad(tag, "no mailbox selected");
                };
                // CLOSE expunges only for a user with `e` (RFC 4314 4).
                if close
                    && !sel.read_only
                    && sel.may_expunge
                    && let Err(e) = self.store.expunge(&mut sel.folder, None)
                {
                    return self.store_error(tag, &e);
                }
                Self::ok(
                    tag,
                    None,
                    if close {
                        "CLOSE completed"
                    } else {
                        "UNSELECT completed"
                    },
                )
            }
            C::Expunge => self.expunge(tag, None),
            C::UidExpunge(set) => self.expunge(tag, Some(&set)),
            C::Idle => self.idle(tag),
            C::Store {
                uid,
                set,
                unchanged_since,
                mode,
                silent,
                flags,
            } => self.store_command(tag, uid, &set, unchanged_since, mode, silent, &flags),
            C::Copy { uid, set, mailbox } => self.copy(tag, uid, &set, &mailbox, false),
            C::Move { uid, set, mailbox } => self.copy(tag, uid, &set, &mailbox, true),
            C::Fetch {
                uid,
                set,
                items,
                modifiers,
            } => self.fetch(tag, uid, &set, items, &modifiers),
            C::Search {
                uid,
                charset,
                returns,
                key,
            } => self.search_command(tag, uid, Program::Search { charset, returns }, key),
            C::Sort {
                uid,
                criteria,
                charset,
                key,
            } => self.search_command(tag, uid, Program::Sort { criteria, charset }, key),
            C::Thread {
                uid,
                algorithm,
                charset,
                key,
            } => self.search_command(tag, uid, Program::Thread { algorithm, charset }, key),
            _ => self.bad(tag, "command not valid in this state"),
        }
    }

    fn expunge(&mut self, tag: &str, set: Option<&SeqSet>) -> Response {
        let Some(sel) = self.selected.as_mut() else {
            return self.bad(tag, "no mailbox selected");
        };
        if sel.read_only {
            return Self::no(tag, Some(Code::Cannot), "the mailbox is read-only");
        }
        if !sel.may_expunge {
            return Self::no(tag, Some(Code::NoPerm), "no right to expunge here");
        }
        let uids: Option<Vec<u32>> = match set {
            None => None,
            Some(s) => match sel.indexes(s, true) {
                Ok(ix) => Some(ix.iter().map(|&i| sel.view[i].uid).collect()),
                Err(why) => return self.bad(tag, why),
            },
        };
        if let Err(e) = self.store.expunge(&mut sel.folder, uids.as_deref()) {
            return self.store_error(tag, &e);
        }
        let mut r = Response::new();
        self.finish(&mut r, tag, "EXPUNGE completed", true);
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn store_command(
        &mut self,
        tag: &str,
        uid: bool,
        set: &SeqSet,
        unchanged_since: Option<u64>,
        mode: StoreMode,
        silent: bool,
        flags: &[Flag],
    ) -> Response {
        let (bits, keywords) = match flag_bits(flags) {
            Ok(f) => f,
            Err(why) => return self.bad(tag, why),
        };
        if unchanged_since.is_some() {
            self.enabled.condstore = true;
        }
        let modseq = self.enabled.condstore;
        let Some(sel) = self.selected.as_mut() else {
            return self.bad(tag, "no mailbox selected");
        };
        if sel.read_only {
            return Self::no(tag, Some(Code::Cannot), "the mailbox is read-only");
        }
        let ix = match sel.indexes(set, uid) {
            Ok(ix) => ix,
            Err(why) => return self.bad(tag, why),
        };
        let uids: Vec<u32> = ix
            .iter()
            .filter(|&&i| !sel.view[i].gone)
            .map(|&i| sel.view[i].uid)
            .collect();
        // Only the flags the user's rights let them change (RFC 4314).
        let may = sel.may;
        let (bits, keywords) = if may.all() {
            (bits, keywords)
        } else {
            let (b, k) = may.filter(bits, &keywords);
            if mode != StoreMode::Replace && b.0 == 0 && k.is_empty() {
                return Self::no(tag, Some(Code::NoPerm), "no right to change these flags");
            }
            (b, k)
        };
        let op = match mode {
            StoreMode::Replace => FlagOp::Replace,
            StoreMode::Add => FlagOp::Add,
            StoreMode::Remove => FlagOp::Remove,
        };
        // Which messages the client knows as they are now: after a .SILENT
        // STORE only those may count as told (RFC 7162 3.1.3: changes made
        // elsewhere must still be reported).
        if let Err(e) = self.store.refresh_folder(&mut sel.folder) {
            return self.store_error(tag, &e);
        }
        let pre_hms = sel.folder.highestmodseq();
        let current: std::collections::HashSet<u32> = ix
            .iter()
            .map(|&i| sel.view[i])
            .filter(|k| {
                !k.gone
                    && sel
                        .folder
                        .by_index(k.uid)
                        .is_some_and(|e| e.modseq <= k.modseq)
            })
            .map(|k| k.uid)
            .collect();
        let done = if op == FlagOp::Replace && !may.all() {
            replace_within(
                &self.store,
                &mut sel.folder,
                &uids,
                may,
                bits,
                &keywords,
                unchanged_since,
            )
        } else {
            self.store
                .store_flags(&mut sel.folder, &uids, op, bits, &keywords, unchanged_since)
        };
        let outcome = match done {
            Ok(o) => o,
            Err(e) => return self.store_error(tag, &e),
        };
        let changed_set: std::collections::HashSet<u32> = outcome.changed.iter().copied().collect();
        let modified_set: std::collections::HashSet<u32> =
            outcome.modified.iter().copied().collect();
        // MODSEQs are consecutive: nobody wrote between our look and our
        // change when ours are exactly the ones after it.
        let alone = sel.folder.highestmodseq() == pre_hms + outcome.changed.len() as u64;
        let mut r = Response::new();
        for &i in &ix {
            let Some(m) = sel.message(i) else { continue };
            if modified_set.contains(&m.uid) {
                continue;
            }
            let changed = changed_set.contains(&m.uid);
            // .SILENT still reports the new MODSEQ of every message it
            // changed once CONDSTORE is on (RFC 7162 3.1.3), so that the
            // client's copy of the mod-sequences stays current.
            if !silent || (changed && (unchanged_since.is_some() || modseq)) {
                let mut w = Fetch::begin(&mut r.text, i as u32 + 1);
                if uid {
                    w.uid(m.uid);
                }
                if !silent {
                    w.flags(&flags_of(&m));
                }
                if modseq {
                    w.modseq(m.modseq);
                }
                w.end();
            }
            if !silent || (alone && current.contains(&m.uid)) {
                sel.told(i, m.modseq);
            }
        }
        let code = (!outcome.modified.is_empty()).then(|| {
            let mut nums: Vec<u32> = if uid {
                outcome.modified.clone()
            } else {
                sel.view
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| modified_set.contains(&k.uid))
                    .map(|(i, _)| i as u32 + 1)
                    .collect()
            };
            nums.sort_unstable();
            Code::Modified(nums)
        });
        // No EXPUNGE during STORE; UID STORE may have them (RFC 9051 7.5.1).
        self.sync(&mut r, uid);
        r.tagged(tag, Status::Ok, code, "STORE completed");
        r
    }

    fn copy(
        &mut self,
        tag: &str,
        uid: bool,
        set: &SeqSet,
        mailbox: &MailboxArg,
        is_move: bool,
    ) -> Response {
        let t = match self
            .target(tag, mailbox)
            .and_then(|t| Self::require(tag, &t, Rights::INSERT).map(|()| t))
        {
            Ok(t) => t,
            Err(e) => return e,
        };
        let acct = t.owner.clone();
        let to = match self.store.folder_id(&acct, &t.name) {
            Ok(Some(id)) => id,
            Ok(None) => return Self::no(tag, Some(Code::TryCreate), "no such mailbox"),
            Err(e) => return self.store_error(tag, &e),
        };
        let Some(sel) = self.selected.as_mut() else {
            return self.bad(tag, "no mailbox selected");
        };
        if is_move && sel.read_only {
            return Self::no(tag, Some(Code::Cannot), "the mailbox is read-only");
        }
        // MOVE deletes and expunges at the source: `t` and `e` (RFC 6851).
        if is_move && !(sel.may_expunge && sel.may.bits.contains(SystemFlags::DELETED)) {
            return Self::no(
                tag,
                Some(Code::NoPerm),
                "no right to move messages out of here",
            );
        }
        let ix = match sel.indexes(set, uid) {
            Ok(ix) => ix,
            Err(why) => return self.bad(tag, why),
        };
        let uids: Vec<u32> = ix
            .iter()
            .filter(|&&i| !sel.view[i].gone)
            .map(|&i| sel.view[i].uid)
            .collect();
        // RFC 4314 4: the copies carry only the flags the user may set
        // in the target.
        let keep = super::rights::Changeable::of(t.rights);
        let done = if is_move {
            self.store.move_to(&mut sel.folder, &uids, &acct, to, keep)
        } else {
            self.store.copy_to(&mut sel.folder, &uids, &acct, to, keep)
        };
        let copied = match done {
            Ok(c) => c,
            Err(e) => return self.store_error(tag, &e),
        };
        let code = (!copied.uids.is_empty()).then(|| Code::CopyUid {
            uidvalidity: copied.uidvalidity,
            source: copied.uids.iter().map(|p| p.0).collect(),
            dest: copied.uids.iter().map(|p| p.1).collect(),
        });
        let mut r = Response::new();
        if is_move {
            // RFC 6851: COPYUID in an untagged OK before the expunges.
            r.untagged(Status::Ok, code, "moved");
            self.sync(&mut r, true);
            r.tagged(tag, Status::Ok, None, "MOVE completed");
        } else {
            self.sync(&mut r, true);
            r.tagged(tag, Status::Ok, code, "COPY completed");
        }
        r
    }
}

/// `STORE FLAGS` for a user who may change only some flags: each message
/// keeps the flags the user may not change and takes the asked value of
/// the others, one replace per resulting set of flags.
fn replace_within(
    store: &crate::store::Store,
    folder: &mut crate::store::Folder,
    uids: &[u32],
    may: super::rights::Changeable,
    bits: SystemFlags,
    keywords: &[String],
    unchanged_since: Option<u64>,
) -> crate::store::Result<crate::store::folders::FlagsOutcome> {
    // (the flags after, and the messages that get them)
    type Group = ((u32, Vec<String>), Vec<u32>);
    let mut groups: Vec<Group> = Vec::new();
    for &u in uids {
        let Some((_, m)) = folder.by_uid(u) else {
            continue;
        };
        let kept = m.flags.0 & !may.bits.0 & !SystemFlags::RECENT.0;
        let new_bits = kept | (bits.0 & may.bits.0);
        let new_kw = if may.keywords {
            keywords.to_vec()
        } else {
            m.keywords.clone()
        };
        let key = (new_bits, new_kw);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(u),
            None => groups.push((key, vec![u])),
        }
    }
    let mut out = crate::store::folders::FlagsOutcome::default();
    for ((b, kw), group) in groups {
        let o = store.store_flags(
            folder,
            &group,
            FlagOp::Replace,
            SystemFlags(b),
            &kw,
            unchanged_since,
        )?;
        out.changed.extend(o.changed);
        out.modified.extend(o.modified);
    }
    out.changed.sort_unstable();
    out.modified.sort_unstable();
    Ok(out)
}
