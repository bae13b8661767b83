//! The IMAP session as a state machine without sockets (RFC 9051 section
//! 3: not authenticated, authenticated, selected, logout).
//!
//! The glue hands [`Session::input`] the bytes it read; the session takes
//! what it can use from the front of the buffer and answers with a
//! [`Response`]: the bytes to send (message data as slices of the mapped
//! message files, for vectored writes), and what the connection does next
//! ([`After`]: go on, start TLS, close). While a command waits on the client
//! (a literal, an AUTHENTICATE exchange, IDLE) the session keeps the mode;
//! [`Session::poll`] gives IDLE its untagged updates.
//!
//! Split by concern: `auth` (CAPABILITY, LOGIN, AUTHENTICATE, STARTTLS),
//! `mailbox` (SELECT, LIST, STATUS, CREATE...), `append`, `selected`
//! (STORE, COPY, MOVE, EXPUNGE...), `fetch` with `sections`, `updates`
//! (what other sessions changed, told by RFC 9051 section 7.5.1's rules),
//! `search` (SEARCH, SORT, THREAD), `namespace` (`Other Users/`,
//! `Public Folders/`), `acl`, `quota`,
//! `errors` (store errors as replies).

mod acl;
mod append;
mod auth;
mod dispatch;
mod errors;
mod fetch;
mod inline;
mod mailbox;
mod namespace;
mod quota;
mod rights;
mod search;
mod sections;
mod selected;
#[cfg(test)]
mod tests;
mod updates;

use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;

use super::parse::{CommandReader, ErrorCode, Outcome, ParseError};
use super::settings::ImapSettings;
use super::write::{self, Code, Status};
use crate::auth::Authenticator;
use crate::auth::sasl::Exchange;
use crate::store::MessageView;
use crate::store::Store;
use crate::store::name::AccountName;

pub use inline::Inline;
pub use updates::Selected;

/// Bytes of a message file sent after `text[..at]` (zero copy).
#[derive(Debug, Clone)]
pub struct Slice {
    /// Where in [`Response::text`] the bytes go.
    pub at: usize,
    /// The mapped message.
    pub message: Arc<MessageView>,
    /// The range of its body ([`MessageView::body`]).
    pub range: Range<usize>,
}

impl Slice {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        self.message.body().get(self.range.clone()).unwrap_or(&[])
    }
}

/// What the connection does after sending a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Go on reading.
    Continue,
    /// Start TLS now; bytes the client pipelined after STARTTLS are
    /// discarded.
    StartTls,
    /// Close the connection.
    Close,
    /// Start COMPRESS=DEFLATE now: what the client sent after the command
    /// is compressed.
    Compress,
}

/// What the glue must know beyond the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A login at this name failed: the glue delays the answer.
    AuthFailed(String),
    /// The user logged in.
    LoggedIn(String),
}

/// One answer of the session.
#[derive(Debug)]
pub struct Response {
    /// The bytes, with [`Response::slices`] inserted at their offsets.
    pub text: Vec<u8>,
    /// Message data to send from the mapped files, by ascending offset.
    pub slices: Vec<Slice>,
    /// What comes next.
    pub after: After,
    /// For the glue.
    pub event: Option<Event>,
}

impl Response {
    fn new() -> Self {
        Response {
            text: Vec::new(),
            slices: Vec::new(),
            after: After::Continue,
            event: None,
        }
    }

    /// The whole response as one byte string (tests, small replies).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len());
        let mut from = 0;
        for s in &self.slices {
            out.extend_from_slice(&self.text[from..s.at]);
            out.extend_from_slice(s.bytes());
            from = s.at;
        }
        out.extend_from_slice(&self.text[from..]);
        out
    }

    fn tagged(&mut self, tag: &str, status: Status, code: Option<Code>, text: &str) {
        write::status(&mut self.text, Some(tag), status, code.as_ref(), text);
    }

    fn untagged(&mut self, status: Status, code: Option<Code>, text: &str) {
        write::status(&mut self.text, None, status, code.as_ref(), text);
    }
}

/// What a session knows about its connection.
#[derive(Debug, Clone)]
pub struct ConnectionParams {
    /// The client's address.
    pub peer: Option<IpAddr>,
    /// TLS is active.
    pub tls: bool,
    /// STARTTLS can be offered.
    pub tls_available: bool,
}

/// Extensions the client enabled (RFC 5161).
#[derive(Debug, Clone, Copy, Default)]
pub struct Enabled {
    /// CONDSTORE (or a command that enables it implicitly).
    pub condstore: bool,
    /// QRESYNC.
    pub qresync: bool,
    /// IMAP4rev2.
    pub rev2: bool,
    /// UTF8=ACCEPT.
    pub utf8: bool,
}

/// The logged-in user.
#[derive(Debug, Clone)]
pub struct User {
    /// The name as the authenticator gave it.
    pub name: String,
    /// The account.
    pub account: AccountName,
}

enum Mode {
    Command,
    Sasl { tag: String, exchange: Exchange },
    Idle { tag: String },
    Append(Box<append::Appending>),
}

/// One IMAP session.
pub struct Session {
    settings: Arc<ImapSettings>,
    store: Arc<Store>,
    auth: Authenticator,
    conn: ConnectionParams,
    tls_exporter: Option<Vec<u8>>,
    reader: CommandReader,
    mode: Mode,
    user: Option<User>,
    selected: Option<Selected>,
    enabled: Enabled,
    logged_out: bool,
    compressing: bool,
    bad_commands: u32,
    attempt: String,
    mechanism: &'static str,
    /// The password source that answered the last login attempt.
    source: &'static str,
    /// What [`Session::input_inline`] read and left for [`Session::input`].
    pending: Option<Outcome>,
    /// The message file the last FETCH ended on (dropped by any other
    /// command).
    recent: Option<fetch::Recent>,
    /// Serves system users' spools (`[legacy]`).
    legacy: Option<Arc<crate::legacy::imap::LegacyImap>>,
    /// The logged-in user's spool, when it is their INBOX.
    spool: Option<crate::legacy::imap::SpoolInbox>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("conn", &self.conn)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session in the not-authenticated state.
    pub fn new(
        settings: Arc<ImapSettings>,
        store: Arc<Store>,
        auth: Authenticator,
        conn: ConnectionParams,
    ) -> Self {
        let mut reader = CommandReader::new(settings.limits());
        reader.stream_append = true;
        Session {
            settings,
            store,
            auth,
            conn,
            tls_exporter: None,
            reader,
            mode: Mode::Command,
            user: None,
            selected: None,
            enabled: Enabled::default(),
            logged_out: false,
            compressing: false,
            bad_commands: 0,
            attempt: String::new(),
            mechanism: "",
            source: "none",
            pending: None,
            recent: None,
            legacy: None,
            spool: None,
        }
    }

    /// Serves a system user without an account their mail spool as
    /// INBOX (`crate::legacy::imap`).
    pub fn with_legacy(mut self, legacy: Option<Arc<crate::legacy::imap::LegacyImap>>) -> Self {
        self.legacy = legacy;
        self
    }

    /// The greeting.
    pub fn greeting(&self) -> Response {
        let mut r = Response::new();
        r.untagged(
            Status::Ok,
            Some(Code::Capability(self.capabilities())),
            "popstore IMAP4rev2 server ready",
        );
        r
    }

    /// The logged-in user's name.
    pub fn user(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.name.as_str())
    }

    /// The mechanism of the last login attempt.
    pub fn mechanism(&self) -> &'static str {
        self.mechanism
    }

    /// The password source that answered the last login attempt
    /// ([`crate::auth::take_answered`]).
    pub fn password_source(&self) -> &'static str {
        self.source
    }

    /// TLS is now active, with the `tls-exporter` channel binding.
    pub fn tls_started(&mut self, exporter: Option<Vec<u8>>) {
        self.conn.tls = true;
        self.tls_exporter = exporter;
    }

    /// The session is over (LOGOUT, a fatal error): close.
    pub fn closed(&self) -> bool {
        self.logged_out
    }

    /// True while IDLE waits for DONE (the glue calls [`Session::poll`]).
    pub fn idling(&self) -> bool {
        matches!(self.mode, Mode::Idle { .. })
    }

    /// The host directory whose changes an IDLE on the selected folder
    /// waits for (see [`Store::folder_watch_dir`]); `None`: poll (nothing
    /// selected, a legacy spool, a shared file system).
    pub fn idle_watch_dir(&self) -> Option<std::path::PathBuf> {
        if self.spool.is_some() {
            return None;
        }
        let s = self.selected.as_ref()?;
        self.store.folder_watch_dir(&s.folder)
    }

    /// Autologout: `* BYE` and close.
    pub fn autologout(&mut self) -> Response {
        let mut r = Response::new();
        r.untagged(Status::Bye, None, "autologout: idle for too long");
        r.after = After::Close;
        self.logged_out = true;
        r
    }

    /// The server is shutting down.
    pub fn shutdown(&mut self) -> Response {
        let mut r = Response::new();
        r.untagged(Status::Bye, Some(Code::Unavailable), "server shutting down");
        r.after = After::Close;
        r
    }

    /// During IDLE: the changes since the last look, as untagged responses
    /// (`None` when there are none).
    pub fn poll(&mut self) -> Option<Response> {
        if !self.idling() {
            return None;
        }
        let mut r = Response::new();
        self.sync(&mut r, true);
        (!r.text.is_empty()).then_some(r)
    }

    /// Takes what it can from the front of `buf` and answers; `None` when
    /// more bytes are needed first.
    pub fn input(&mut self, buf: &mut Vec<u8>) -> Option<Response> {
        loop {
            if self.logged_out {
                buf.clear();
                return None;
            }
            match &mut self.mode {
                Mode::Command => {}
                Mode::Append(a) if a.remaining > 0 => {
                    if let Some(r) = self.append_data(buf) {
                        return Some(r);
                    }
                    if matches!(&self.mode, Mode::Append(a) if a.remaining > 0) {
                        return None;
                    }
                    continue;
                }
                // Between the messages of an APPEND: the reader reads on.
                Mode::Append(_) => {}
                Mode::Sasl { .. } | Mode::Idle { .. } => {
                    let max = self.settings.max_line_length;
                    let (line, used) = match super::parse::read_line(buf, max) {
                        Ok(Some((l, n))) => (l.to_vec(), n),
                        Ok(None) => return None,
                        Err(_) => {
                            buf.clear();
                            return Some(self.fatal("line too long"));
                        }
                    };
                    buf.drain(..used);
                    return Some(match std::mem::replace(&mut self.mode, Mode::Command) {
                        Mode::Sasl { tag, exchange } => self.sasl_response(tag, exchange, &line),
                        Mode::Idle { tag } => self.idle_done(&tag, &line),
                        _ => unreachable!("mode checked above"),
                    });
                }
            }
            let outcome = match self.pending.take() {
                Some(o) => o,
                None => self.reader.next(buf),
            };
            return match outcome {
                Outcome::NeedMore => None,
                Outcome::Continue { .. } => {
                    let mut r = Response::new();
                    write::continuation(&mut r.text, "Ready for literal data");
                    Some(r)
                }
                Outcome::Command { command, consumed } => {
                    buf.drain(..consumed);
                    Some(self.command(&command.tag, command.body))
                }
                Outcome::AppendMessage {
                    tag,
                    head,
                    consumed,
                } => {
                    buf.drain(..consumed);
                    match self.append_begin(tag, *head) {
                        Some(r) => Some(r),
                        None => continue,
                    }
                }
                Outcome::AppendDone { tag, consumed } => {
                    buf.drain(..consumed);
                    Some(self.append_done(&tag))
                }
                Outcome::Error { error, consumed } => {
                    buf.drain(..consumed.min(buf.len()));
                    Some(self.parse_error(error))
                }
            };
        }
    }

    /// A fresh reader with the session's settings (after a refused
    /// streamed APPEND, so the reader does not wait for its data).
    fn reset_reader(&mut self) {
        let mut reader = CommandReader::new(self.settings.limits());
        reader.stream_append = true;
        reader.utf8 = self.reader.utf8;
        self.reader = reader;
    }

    fn fatal(&mut self, text: &str) -> Response {
        let mut r = Response::new();
        r.untagged(Status::Bye, None, text);
        r.after = After::Close;
        self.logged_out = true;
        r
    }

    fn parse_error(&mut self, e: ParseError) -> Response {
        let mut r = Response::new();
        let code = match e.code {
            ErrorCode::Syntax => None,
            ErrorCode::Limit => Some(Code::Limit),
            ErrorCode::TooBig => Some(Code::TooBig),
        };
        write::status(
            &mut r.text,
            e.tag.as_deref(),
            Status::Bad,
            code.as_ref(),
            &e.text,
        );
        if e.fatal {
            r.untagged(Status::Bye, None, "cannot go on reading this connection");
            r.after = After::Close;
            self.logged_out = true;
            return r;
        }
        self.count_bad(r)
    }

    /// Counts a BAD; closes after too many.
    fn count_bad(&mut self, mut r: Response) -> Response {
        self.bad_commands += 1;
        if self.bad_commands >= self.settings.max_bad_commands.max(1) {
            r.untagged(Status::Bye, None, "too many bad commands");
            r.after = After::Close;
            self.logged_out = true;
        }
        r
    }

    fn bad(&mut self, tag: &str, text: &str) -> Response {
        let mut r = Response::new();
        r.tagged(tag, Status::Bad, None, text);
        self.count_bad(r)
    }

    fn no(tag: &str, code: Option<Code>, text: &str) -> Response {
        let mut r = Response::new();
        r.tagged(tag, Status::No, code, text);
        r
    }

    fn ok(tag: &str, code: Option<Code>, text: &str) -> Response {
        let mut r = Response::new();
        r.tagged(tag, Status::Ok, code, text);
        r
    }

    /// Names go out as UTF-8 (IMAP4rev2 or UTF8=ACCEPT) or modified UTF-7.
    fn utf8_names(&self) -> bool {
        self.enabled.utf8 || self.enabled.rev2
    }

    fn account(&self) -> AccountName {
        self.user
            .as_ref()
            .map(|u| u.account.clone())
            .expect("only called once logged in")
    }
}
