//! The command grammar: the parsed [`Command`] and the top-level rule
//! (`command` of RFC 9051 section 9) dispatching on the verb.

use super::cursor::{Cursor, PResult, is_astring_char};
use super::fetch::{FetchItems, FetchModifiers, parse_fetch};
use super::mailbox::{
    AppendMessage, ListReturn, ListSelect, SelectParams, StatusItem, parse_append, parse_list,
    parse_select_params, parse_status_items,
};
use super::search::{SearchKey, SearchReturn, SortCriterion, parse_search, parse_sort};
use super::{Limits, ParseError};
use crate::auth::Secret;
use crate::imap::types::{Flag, MailboxArg, SeqSet};

/// One `ID` field and its value (RFC 2971).
pub type IdField = (Vec<u8>, Option<Vec<u8>>);

/// One tagged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The tag, echoed in the tagged reply.
    pub tag: String,
    /// What the command asks.
    pub body: CommandBody,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// Every command the server understands (RFC 9051, RFC 3501 and the
/// extensions of issue 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `STARTTLS` (the session discards bytes pipelined after it).
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR, RFC 4959):
    /// the initial response as sent (base64, or `=` for empty).
    Authenticate {
        /// SASL mechanism name, upper-cased.
        mechanism: String,
        /// Base64 text of the initial response (`Some("")` for `=`).
        initial: Option<String>,
    },
    /// `LOGIN userid password`
    Login {
        /// The user name.
        user: String,
        /// The password.
        password: Secret<Vec<u8>>,
    },
    /// `ENABLE capability...` (RFC 5161), upper-cased.
    Enable(Vec<String>),
    /// `SELECT` or (read-only) `EXAMINE`, with CONDSTORE/QRESYNC
    /// parameters (RFC 7162).
    Select {
        /// The folder.
        mailbox: MailboxArg,
        /// EXAMINE.
        read_only: bool,
        /// `(CONDSTORE)`, `(QRESYNC (...))`.
        params: SelectParams,
    },
    /// `CREATE mailbox [(USE (\Sent ...))]` (RFC 6154 CREATE-SPECIAL-USE).
    Create {
        /// The folder.
        mailbox: MailboxArg,
        /// Special uses asked for, as written (`\Sent`).
        special_use: Vec<String>,
    },
    /// `DELETE mailbox`
    Delete(MailboxArg),
    /// `RENAME from to`
    Rename {
        /// Existing name.
        from: MailboxArg,
        /// New name.
        to: MailboxArg,
    },
    /// `SUBSCRIBE mailbox`
    Subscribe(MailboxArg),
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe(MailboxArg),
    /// `LIST` with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819) and
    /// SPECIAL-USE (RFC 6154) options.
    List {
        /// Selection options (empty for a basic LIST).
        selection: Vec<ListSelect>,
        /// Reference name.
        reference: MailboxArg,
        /// Patterns (one for a basic LIST).
        patterns: Vec<MailboxArg>,
        /// Return options.
        returns: Vec<ListReturn>,
    },
    /// `LSUB reference pattern` (IMAP4rev1).
    Lsub {
        /// Reference name.
        reference: MailboxArg,
        /// Pattern.
        pattern: MailboxArg,
    },
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `STATUS mailbox (items)`
    Status {
        /// The folder.
        mailbox: MailboxArg,
        /// Items asked for.
        items: Vec<StatusItem>,
    },
    /// `APPEND mailbox message...` (MULTIAPPEND, RFC 3502, for more than
    /// one).
    Append {
        /// The folder.
        mailbox: MailboxArg,
        /// The messages in order.
        messages: Vec<AppendMessage>,
    },
    /// `IDLE` (RFC 2177): the session answers `+ idling` and waits for
    /// a `DONE` line ([`super::is_done`]).
    Idle,
    /// `CHECK` (IMAP4rev1).
    Check,
    /// `CLOSE`
    Close,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `EXPUNGE`
    Expunge,
    /// `UID EXPUNGE set` (UIDPLUS).
    UidExpunge(SeqSet),
    /// `SEARCH` / `UID SEARCH`, with ESEARCH return options.
    Search {
        /// UID form.
        uid: bool,
        /// `CHARSET x`, upper-cased.
        charset: Option<String>,
        /// `RETURN (...)`: `None` for a plain SEARCH; `Some(empty)` is
        /// `RETURN ()`, meaning ALL.
        returns: Option<Vec<SearchReturn>>,
        /// The search program (an `And` of the keys given).
        key: SearchKey,
    },
    /// `SORT` / `UID SORT` (RFC 5256).
    Sort {
        /// UID form.
        uid: bool,
        /// Sort criteria.
        criteria: Vec<SortCriterion>,
        /// Charset.
        charset: String,
        /// The search program.
        key: SearchKey,
    },
    /// `THREAD` / `UID THREAD` (RFC 5256).
    Thread {
        /// UID form.
        uid: bool,
        /// `REFERENCES` or `ORDEREDSUBJECT`, upper-cased.
        algorithm: String,
        /// Charset.
        charset: String,
        /// The search program.
        key: SearchKey,
    },
    /// `FETCH` / `UID FETCH`.
    Fetch {
        /// UID form.
        uid: bool,
        /// Messages.
        set: SeqSet,
        /// Items (or a macro).
        items: FetchItems,
        /// CHANGEDSINCE / VANISHED (RFC 7162).
        modifiers: FetchModifiers,
    },
    /// `STORE` / `UID STORE`.
    Store {
        /// UID form.
        uid: bool,
        /// Messages.
        set: SeqSet,
        /// `UNCHANGEDSINCE` (CONDSTORE).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
    },
    /// `COPY` / `UID COPY`.
    Copy {
        /// UID form.
        uid: bool,
        /// Messages.
        set: SeqSet,
        /// Destination.
        mailbox: MailboxArg,
    },
    /// `MOVE` / `UID MOVE` (RFC 6851).
    Move {
        /// UID form.
        uid: bool,
        /// Messages.
        set: SeqSet,
        /// Destination.
        mailbox: MailboxArg,
    },
    /// `GETACL mailbox` (RFC 4314).
    GetAcl(MailboxArg),
    /// `SETACL mailbox identifier rights`
    SetAcl {
        /// The folder.
        mailbox: MailboxArg,
        /// Who.
        identifier: String,
        /// Rights, with a leading `+` or `-` when modifying.
        rights: String,
    },
    /// `DELETEACL mailbox identifier`
    DeleteAcl {
        /// The folder.
        mailbox: MailboxArg,
        /// Who.
        identifier: String,
    },
    /// `LISTRIGHTS mailbox identifier`
    ListRights {
        /// The folder.
        mailbox: MailboxArg,
        /// Who.
        identifier: String,
    },
    /// `MYRIGHTS mailbox`
    MyRights(MailboxArg),
    /// `GETQUOTA root` (RFC 9208).
    GetQuota(String),
    /// `GETQUOTAROOT mailbox`
    GetQuotaRoot(MailboxArg),
    /// `SETQUOTA root (resource limit ...)`, resource names upper-cased.
    SetQuota {
        /// The quota root.
        root: String,
        /// Limits to set.
        limits: Vec<(String, u64)>,
    },
    /// `ID (field value ...)` or `ID NIL` (RFC 2971).
    Id(Option<Vec<IdField>>),
    /// `COMPRESS algorithm` (RFC 4978), upper-cased.
    Compress(String),
}

/// Parses one framed command (ending in CRLF, literals inline).
pub fn parse_command(frame: &[u8], limits: &Limits, utf8: bool) -> Result<Command, ParseError> {
    let mut c = Cursor::new(frame, limits.max_depth, utf8);
    let Some(tag) = super::framing::read_tag(frame) else {
        return Err(ParseError::bad("missing or invalid tag"));
    };
    c.take_while(is_astring_char);
    let body = (|| {
        c.sp()?;
        let body = parse_body(&mut c, limits)?;
        c.end()?;
        Ok(body)
    })();
    body.map(|body| Command {
        tag: tag.clone(),
        body,
    })
    .map_err(|mut e: ParseError| {
        e.tag = Some(tag);
        e
    })
}

fn mailbox(c: &mut Cursor) -> PResult<MailboxArg> {
    Ok(MailboxArg {
        raw: c.astring()?,
        utf8: c.utf8,
    })
}

fn sp_mailbox(c: &mut Cursor) -> PResult<MailboxArg> {
    c.sp()?;
    mailbox(c)
}

fn sp_astring_text(c: &mut Cursor) -> PResult<String> {
    c.sp()?;
    c.astring_text()
}

/// `sequence-set`, with the number of ranges bounded.
pub(super) fn seq_set(c: &mut Cursor, limits: &Limits) -> PResult<SeqSet> {
    let set = c.seq_set()?;
    if matches!(&set, SeqSet::Ranges(r) if r.len() > limits.max_items) {
        return Err(ParseError::limit("sequence set too large"));
    }
    Ok(set)
}

fn parse_body(c: &mut Cursor, limits: &Limits) -> PResult<CommandBody> {
    let verb = c.atom()?.to_ascii_uppercase();
    Ok(match verb.as_str() {
        "CAPABILITY" => CommandBody::Capability,
        "NOOP" => CommandBody::Noop,
        "LOGOUT" => CommandBody::Logout,
        "STARTTLS" => CommandBody::StartTls,
        "CHECK" => CommandBody::Check,
        "CLOSE" => CommandBody::Close,
        "UNSELECT" => CommandBody::Unselect,
        "EXPUNGE" => CommandBody::Expunge,
        "IDLE" => CommandBody::Idle,
        "NAMESPACE" => CommandBody::Namespace,
        "AUTHENTICATE" => {
            c.sp()?;
            let mechanism = c.atom()?.to_ascii_uppercase();
            let initial = if c.eat(b' ') {
                let ir =
                    c.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
                if ir.is_empty() {
                    return Err(c.err("bad initial response"));
                }
                Some(if ir == b"=" {
                    String::new()
                } else {
                    String::from_utf8_lossy(ir).into_owned()
                })
            } else {
                None
            };
            CommandBody::Authenticate { mechanism, initial }
        }
        "LOGIN" => {
            let user = sp_astring_text(c)?;
            c.sp()?;
            let password = Secret::new(c.astring()?);
            CommandBody::Login { user, password }
        }
        "ENABLE" => {
            let mut caps = Vec::new();
            while c.eat(b' ') {
                caps.push(c.atom()?.to_ascii_uppercase());
            }
            if caps.is_empty() {
                return Err(c.err("ENABLE needs a capability"));
            }
            CommandBody::Enable(caps)
        }
        "SELECT" | "EXAMINE" => {
            let mailbox = sp_mailbox(c)?;
            let params = if c.eat(b' ') {
                parse_select_params(c)?
            } else {
                SelectParams::default()
            };
            CommandBody::Select {
                mailbox,
                read_only: verb == "EXAMINE",
                params,
            }
        }
        "CREATE" => {
            let mailbox = sp_mailbox(c)?;
            let mut special_use = Vec::new();
            if c.eat(b' ') {
                // create-param list: only USE is known (RFC 6154 section 3).
                c.open()?;
                if !c.keyword("USE") {
                    return Err(c.err("unknown CREATE parameter"));
                }
                c.sp()?;
                special_use = c.paren_list(true, |c| {
                    c.expect(b'\\')?;
                    Ok(format!("\\{}", c.atom()?))
                })?;
                c.close()?;
            }
            CommandBody::Create {
                mailbox,
                special_use,
            }
        }
        "DELETE" => CommandBody::Delete(sp_mailbox(c)?),
        "RENAME" => CommandBody::Rename {
            from: sp_mailbox(c)?,
            to: sp_mailbox(c)?,
        },
        "SUBSCRIBE" => CommandBody::Subscribe(sp_mailbox(c)?),
        "UNSUBSCRIBE" => CommandBody::Unsubscribe(sp_mailbox(c)?),
        "LIST" => parse_list(c, limits)?,
        "LSUB" => {
            let reference = sp_mailbox(c)?;
            c.sp()?;
            let pattern = MailboxArg {
                raw: c.list_mailbox()?,
                utf8: c.utf8,
            };
            CommandBody::Lsub { reference, pattern }
        }
        "STATUS" => {
            let mailbox = sp_mailbox(c)?;
            c.sp()?;
            CommandBody::Status {
                mailbox,
                items: parse_status_items(c)?,
            }
        }
        "APPEND" => parse_append(c)?,
        "SEARCH" => parse_search(c, limits, false)?,
        "FETCH" => parse_fetch(c, limits, false)?,
        "STORE" => parse_store(c, limits, false)?,
        "COPY" | "MOVE" => parse_copy(c, limits, false, verb == "MOVE")?,
        "SORT" | "THREAD" => parse_sort(c, limits, false, verb == "THREAD")?,
        "UID" => {
            c.sp()?;
            let verb = c.atom()?.to_ascii_uppercase();
            match verb.as_str() {
                "SEARCH" => parse_search(c, limits, true)?,
                "FETCH" => parse_fetch(c, limits, true)?,
                "STORE" => parse_store(c, limits, true)?,
                "COPY" | "MOVE" => parse_copy(c, limits, true, verb == "MOVE")?,
                "SORT" | "THREAD" => parse_sort(c, limits, true, verb == "THREAD")?,
                "EXPUNGE" => {
                    c.sp()?;
                    CommandBody::UidExpunge(seq_set(c, limits)?)
                }
                _ => return Err(c.err("unknown UID command")),
            }
        }
        "GETACL" => CommandBody::GetAcl(sp_mailbox(c)?),
        "MYRIGHTS" => CommandBody::MyRights(sp_mailbox(c)?),
        "SETACL" => CommandBody::SetAcl {
            mailbox: sp_mailbox(c)?,
            identifier: sp_astring_text(c)?,
            rights: sp_astring_text(c)?,
        },
        "DELETEACL" => CommandBody::DeleteAcl {
            mailbox: sp_mailbox(c)?,
            identifier: sp_astring_text(c)?,
        },
        "LISTRIGHTS" => CommandBody::ListRights {
            mailbox: sp_mailbox(c)?,
            identifier: sp_astring_text(c)?,
        },
        "GETQUOTA" => CommandBody::GetQuota(sp_astring_text(c)?),
        "GETQUOTAROOT" => CommandBody::GetQuotaRoot(sp_mailbox(c)?),
        "SETQUOTA" => {
            let root = sp_astring_text(c)?;
            c.sp()?;
            let limits = c.paren_list(true, |c| {
                let name = c.atom()?.to_ascii_uppercase();
                c.sp()?;
                Ok((name, c.number64()?))
            })?;
            CommandBody::SetQuota { root, limits }
        }
        "ID" => {
            c.sp()?;
            if c.keyword("NIL") {
                CommandBody::Id(None)
            } else {
                let pairs = c.paren_list(true, |c| {
                    let k = c.string()?;
                    c.sp()?;
                    Ok((k, c.nstring()?))
                })?;
                if pairs.len() > 30 {
                    return Err(ParseError::limit("ID takes at most 30 field-value pairs"));
                }
                CommandBody::Id(Some(pairs))
            }
        }
        "COMPRESS" => {
            c.sp()?;
            CommandBody::Compress(c.atom()?.to_ascii_uppercase())
        }
        _ => return Err(c.err("unknown command")),
    })
}

fn parse_store(c: &mut Cursor, limits: &Limits, uid: bool) -> PResult<CommandBody> {
    c.sp()?;
    let set = seq_set(c, limits)?;
    c.sp()?;
    let mut unchanged_since = None;
    if c.peek() == Some(b'(') {
        let mods = c.paren_list(false, |c| {
            if !c.keyword("UNCHANGEDSINCE") {
                return Err(c.err("unknown STORE modifier"));
            }
            c.sp()?;
            c.modseq(true)
        })?;
        unchanged_since = mods.last().copied();
        c.sp()?;
    }
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    if !c.tag_ci("FLAGS") {
        return Err(c.err("expected FLAGS"));
    }
    let silent = c.tag_ci(".SILENT");
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        c.flag_list()?
    } else {
        let mut flags = vec![c.flag(false)?];
        while c.eat(b' ') {
            flags.push(c.flag(false)?);
        }
        flags
    };
    if flags.len() > limits.max_items {
        return Err(ParseError::limit("too many flags"));
    }
    Ok(CommandBody::Store {
        uid,
        set,
        unchanged_since,
        mode,
        silent,
        flags,
    })
}

fn parse_copy(c: &mut Cursor, limits: &Limits, uid: bool, is_move: bool) -> PResult<CommandBody> {
    c.sp()?;
    let set = seq_set(c, limits)?;
    let mailbox = sp_mailbox(c)?;
    Ok(if is_move {
        CommandBody::Move { uid, set, mailbox }
    } else {
        CommandBody::Copy { uid, set, mailbox }
    })
}
