//! APPEND (RFC 9051 6.3.12) with MULTIAPPEND (RFC 3502), APPENDLIMIT
//! (RFC 7889, enforced by the reader) and UIDPLUS's APPENDUID. Message
//! literals are streamed to the store's spool as they arrive (never held
//! in memory); each message goes into the folder when its last byte is in. A failure part way takes back
//! what the command appended (RFC 3502: all or nothing).

use popstore_formats::folder::SystemFlags;

use super::namespace::Target;
use super::{Mode, Response, Session};
use crate::imap::parse::{AppendHead, AppendMessage};
use crate::imap::types::{Flag, MailboxArg};
use crate::imap::write::{self, Code, Status};
use crate::store::acl::Rights;
use crate::store::folder_name::FolderName;
use crate::store::folders::NewMessage;
use crate::store::name::AccountName;
use crate::store::spool::MessageSpool;

/// An APPEND being received.
#[derive(Debug)]
pub(super) struct Appending {
    /// The target, or the reply that refuses the command (the data is
    /// read and dropped).
    target: Result<FolderName, Response>,
    /// The target's name, for taking back what was appended.
    name: Option<FolderName>,
    /// The target's account.
    owner: Option<AccountName>,
    /// The flags the user may set there (RFC 4314: `s`, `t`, `w`); the
    /// others an APPEND names are left off.
    may: Option<super::rights::Changeable>,
    /// The message being received.
    head: Option<AppendHead>,
    /// The message's bytes so far, in the store's spool file.
    spool: Option<MessageSpool>,
    pub(super) remaining: u64,
    uidvalidity: u32,
    uids: Vec<u32>,
}

/// System flags and keywords of APPEND and STORE; `\Recent` is refused.
pub(super) fn flag_bits(flags: &[Flag]) -> Result<(SystemFlags, Vec<String>), &'static str> {
    let mut bits = 0u32;
    let mut keywords = Vec::new();
    for f in flags {
        match f {
            Flag::Seen => bits |= SystemFlags::SEEN.0,
            Flag::Answered => bits |= SystemFlags::ANSWERED.0,
            Flag::Flagged => bits |= SystemFlags::FLAGGED.0,
            Flag::Deleted => bits |= SystemFlags::DELETED.0,
            Flag::Draft => bits |= SystemFlags::DRAFT.0,
            Flag::Recent => return Err("\\Recent cannot be set"),
            Flag::Wildcard | Flag::Extension(_) => return Err("unknown system flag"),
            Flag::Keyword(k) => keywords.push(k.clone()),
        }
    }
    Ok((SystemFlags(bits), keywords))
}

/// A refusal written with another tag (or `*`), with `tag`.
fn retag(refusal: &Response, tag: &str) -> Response {
    let text = &refusal.text;
    let rest = text
        .iter()
        .position(|&b| b == b' ')
        .map_or(&text[..], |i| &text[i..]);
    let mut r = Response::new();
    r.text = tag.as_bytes().to_vec();
    r.text.extend_from_slice(rest);
    r
}

impl Session {
    /// A message literal of APPEND is announced: `None` to read on at once
    /// (non-synchronizing), or the continuation request or refusal.
    pub(super) fn append_begin(&mut self, tag: String, head: AppendHead) -> Option<Response> {
        let mut owner = None;
        let mut may = None;
        let mut ctx = match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Append(a) if head.mailbox.is_none() => a,
            _ => {
                let target = match (&self.user, &head.mailbox) {
                    (None, _) => {
                        let mut r = Response::new();
                        r.tagged(&tag, Status::Bad, None, "log in first");
                        Err(r)
                    }
                    (Some(_), Some(m)) => self.append_target(&tag, m).map(|t| {
                        owner = Some(t.owner);
                        may = Some(super::rights::Changeable::of(t.rights));
                        t.name
                    }),
                    (Some(_), None) => {
                        let mut r = Response::new();
                        r.tagged(&tag, Status::Bad, None, "APPEND without a mailbox");
                        Err(r)
                    }
                };
                Box::new(Appending {
                    name: target.as_ref().ok().cloned(),
                    owner: owner.clone(),
                    may,
                    target,
                    head: None,
                    spool: None,
                    remaining: 0,
                    uidvalidity: 0,
                    uids: Vec::new(),
                })
            }
        };
        if let Err(refusal) = &ctx.target
            && head.sync
        {
            // The client waits for our word: it never sends the data.
            let r = retag(refusal, &tag);
            self.undo_append(&mut ctx);
            self.reset_reader();
            return Some(r);
        }
        ctx.remaining = head.size;
        if ctx.target.is_ok() {
            match self.store.spool_message() {
                Ok(s) => ctx.spool = Some(s),
                Err(e) => ctx.target = Err(self.store_error("*", &e)),
            }
        }
        let sync = head.sync;
        ctx.head = Some(head);
        self.mode = Mode::Append(ctx);
        if sync {
            let mut r = Response::new();
            write::continuation(&mut r.text, "Ready for literal data");
            return Some(r);
        }
        None
    }

    fn append_target(&self, tag: &str, m: &MailboxArg) -> Result<Target, Response> {
        if self.spool.is_some() {
            return Err(Self::no(
                tag,
                Some(Code::Cannot),
                "a mail spool takes mail from the MTA only: APPEND not offered",
            ));
        }
        let t = self.target(tag, m)?;
        Self::require(tag, &t, Rights::INSERT)?;
        match self.store.folder_id(&t.owner, &t.name) {
            Ok(Some(_)) => Ok(t),
            Ok(None) => Err(Self::no(tag, Some(Code::TryCreate), "no such mailbox")),
            Err(e) => Err(self.store_error(tag, &e)),
        }
    }

    /// Message bytes: takes what belongs to the literal from `buf`; when
    /// it is complete, stores the message.
    pub(super) fn append_data(&mut self, buf: &mut Vec<u8>) -> Option<Response> {
        let Mode::Append(ctx) = &mut self.mode else {
            return None;
        };
        if ctx.remaining == 0 {
            return None;
        }
        let n = usize::try_from(ctx.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let failed = match (&ctx.target, &mut ctx.spool) {
            (Ok(_), Some(spool)) => spool.write(&buf[..n]).err(),
            _ => None,
        };
        buf.drain(..n);
        ctx.remaining -= n as u64;
        let remaining = ctx.remaining;
        if let Some(e) = failed {
            let refusal = self.store_error("*", &e);
            if let Mode::Append(ctx) = &mut self.mode {
                ctx.spool = None; // removes the spool file
                ctx.target = Err(refusal);
            }
        }
        if remaining > 0 {
            return None;
        }
        let Mode::Append(mut ctx) = std::mem::replace(&mut self.mode, Mode::Command) else {
            return None;
        };
        let spool = ctx.spool.take();
        if let (Ok(name), Some(head), Some(spool)) = (&ctx.target, ctx.head.take(), spool) {
            let tag = "*";
            match flag_bits(&head.flags) {
                Err(why) => {
                    let mut r = Response::new();
                    r.tagged(tag, Status::Bad, None, why);
                    ctx.target = Err(r);
                }
                Ok((flags, keywords)) => {
                    let (flags, keywords) = match ctx.may {
                        Some(may) if !may.all() => may.filter(flags, &keywords),
                        _ => (flags, keywords),
                    };
                    let m = NewMessage {
                        bytes: &[],
                        flags,
                        keywords,
                        internal_date: head.date.map(|d| d.unix),
                    };
                    let owner = ctx.owner.clone().unwrap_or_else(|| self.account());
                    match self.store.append_spooled(&owner, name, spool, &m) {
                        Ok((uv, uid)) => {
                            ctx.uidvalidity = uv;
                            ctx.uids.push(uid);
                        }
                        Err(e) => ctx.target = Err(self.store_error(tag, &e)),
                    }
                }
            }
        }
        // Between messages: the reader reads on (next message or CRLF).
        self.mode = Mode::Append(ctx);
        None
    }

    /// The APPEND command ended.
    pub(super) fn append_done(&mut self, tag: &str) -> Response {
        let Mode::Append(mut ctx) = std::mem::replace(&mut self.mode, Mode::Command) else {
            return self.bad(tag, "no APPEND in progress");
        };
        match std::mem::replace(&mut ctx.target, Ok(FolderName::inbox())) {
            Err(refusal) => {
                self.undo_append(&mut ctx);
                retag(&refusal, tag)
            }
            Ok(_) => {
                let mut r = Response::new();
                self.sync(&mut r, true);
                r.tagged(
                    tag,
                    Status::Ok,
                    Some(Code::AppendUid {
                        uidvalidity: ctx.uidvalidity,
                        uids: ctx.uids.clone(),
                    }),
                    "APPEND completed",
                );
                r
            }
        }
    }

    /// Takes back the messages a refused APPEND stored.
    fn undo_append(&mut self, ctx: &mut Appending) {
        if ctx.uids.is_empty() {
            return;
        }
        let Some(name) = ctx.name.clone() else {
            return;
        };
        let acct = ctx.owner.clone().unwrap_or_else(|| self.account());
        match self.store.open_folder(&acct, &name) {
            Ok(mut f) => {
                if let Err(e) = self.store.expunge_uids(&mut f, &ctx.uids, false) {
                    tracing::warn!("imap: cannot take back a failed APPEND: {e}");
                }
            }
            Err(e) => tracing::warn!("imap: cannot take back a failed APPEND: {e}"),
        }
        ctx.uids.clear();
    }

    /// APPEND held whole in memory (when streaming is off).
    pub(super) fn append_whole(
        &mut self,
        tag: &str,
        mailbox: &MailboxArg,
        messages: Vec<AppendMessage>,
    ) -> Response {
        let (owner, name) = match self.append_target(tag, mailbox) {
            Ok(t) => (t.owner, t.name),
            Err(r) => return r,
        };
        let mut uids = Vec::new();
        let mut uv = 0;
        for m in &messages {
            let (flags, keywords) = match flag_bits(&m.flags) {
                Ok(f) => f,
                Err(why) => return self.bad(tag, why),
            };
            let nm = NewMessage {
                bytes: &m.data,
                flags,
                keywords,
                internal_date: m.date.map(|d| d.unix),
            };
            match self.store.append_message(&owner, &name, &nm) {
                Ok((v, uid)) => {
                    uv = v;
                    uids.push(uid);
                }
                Err(e) => return self.store_error(tag, &e),
            }
        }
        let mut r = Response::new();
        self.sync(&mut r, true);
        r.tagged(
            tag,
            Status::Ok,
            Some(Code::AppendUid {
                uidvalidity: uv,
                uids,
            }),
            "APPEND completed",
        );
        r
    }
}
