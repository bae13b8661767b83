//! The POP3 session as a state machine without I/O (RFC 1939 states
//! AUTHORIZATION, TRANSACTION, UPDATE): fed command lines, it returns the
//! responses. The server glue reads lines, writes responses, and runs the
//! TLS handshake when a response asks for it.

use std::io::Write as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use base64::Engine as _;

use super::command::{Command, MsgNum, ParseError};
use super::maildrop::{Expire, Maildrop, MaildropError, MaildropStore, MessageData, SessionRecord};
use super::send::top_end;
use super::settings::Pop3Settings;
use crate::auth::sasl::{ConnectionInfo, Exchange, Mechanism, Step};
use crate::auth::{AuthFailure, Authenticator};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A message to send after the response line.
pub struct MessageBody {
    /// The message.
    pub data: Arc<dyn MessageData>,
    /// Send `data.bytes()[..end]` (all of it for RETR, less for TOP).
    pub end: usize,
}

impl std::fmt::Debug for MessageBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageBody")
            .field("end", &self.end)
            .finish()
    }
}

/// What the connection does after sending a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Read the next command.
    Continue,
    /// Start the TLS handshake (after `+OK` to STLS), discarding any bytes
    /// the client sent after STLS.
    StartTls,
    /// Close the connection.
    Close,
}

/// Something the glue must know about beyond the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An authentication at this account name (as the client gave it;
    /// empty when it gave none) failed: the glue holds the reply as the
    /// shared throttle ([`crate::auth::throttle`]) says.
    AuthFailed(String),
    /// The user logged in.
    LoggedIn,
}

/// One response: the text lines (CRLF-terminated), an optional message
/// body, and what comes next.
#[derive(Debug)]
pub struct Response {
    /// Response lines, complete with CRLF (multi-line responses included,
    /// except a message body).
    pub text: Vec<u8>,
    /// A message to send after `text`, dot-stuffed and terminated.
    pub body: Option<MessageBody>,
    /// What the connection does next.
    pub after: After,
    /// What happened, for the glue.
    pub event: Option<Event>,
}

impl Response {
    /// A response of complete lines (CRLF included).
    fn text(text: Vec<u8>) -> Self {
        Self {
            text,
            body: None,
            after: After::Continue,
            event: None,
        }
    }

    fn line(s: impl AsRef<str>) -> Self {
        let mut text = s.as_ref().as_bytes().to_vec();
        text.extend_from_slice(b"\r\n");
        Self::text(text)
    }

    fn ok(s: impl AsRef<str>) -> Self {
        match s.as_ref() {
            "" => Self::line("+OK"),
            s => Self::line(format!("+OK {s}")),
        }
    }

    fn err(s: impl AsRef<str>) -> Self {
        Self::line(format!("-ERR {}", s.as_ref()))
    }

    fn multi(first: String, lines: impl IntoIterator<Item = String>) -> Self {
        let mut r = Self::ok(first);
        for l in lines {
            if l.starts_with('.') {
                r.text.push(b'.');
            }
            r.text.extend_from_slice(l.as_bytes());
            r.text.extend_from_slice(b"\r\n");
        }
        r.text.extend_from_slice(b".\r\n");
        r
    }

    fn then(mut self, after: After) -> Self {
        self.after = after;
        self
    }

    fn with_event(mut self, e: Event) -> Self {
        self.event = Some(e);
        self
    }
}

/// What a session knows about its connection.
#[derive(Debug, Clone)]
pub struct ConnectionParams {
    /// The client's address.
    pub peer: Option<IpAddr>,
    /// TLS is active (implicit TLS, or after STLS).
    pub tls: bool,
    /// STLS can be offered (a TLS configuration exists).
    pub tls_available: bool,
    /// The APOP timestamp of the greeting (`<pid.clock@host>`); `None`
    /// disables APOP. [`Session::new_timestamp`] makes one.
    pub apop_timestamp: Option<String>,
}

struct Transaction {
    user: String,
    maildrop: Box<dyn Maildrop>,
    deleted: Vec<bool>,
    login_at: SystemTime,
    started: Instant,
    /// The message of the last RETR (0-based), for [`Session::read_ahead`].
    last_retr: Option<usize>,
}

impl Transaction {
    fn record(&self, peer: Option<IpAddr>) -> SessionRecord {
        SessionRecord {
            login_at: self.login_at,
            duration: self.started.elapsed(),
            client: peer,
        }
    }

    /// (count, octets) of messages not marked deleted.
    fn totals(&self) -> (usize, u64) {
        self.maildrop
            .entries()
            .iter()
            .zip(&self.deleted)
            .filter(|(_, d)| !**d)
            .fold((0, 0), |(n, o), (e, _)| (n + 1, o + e.size))
    }

    /// The 0-based index of a message number that exists and is not deleted.
    fn index(&self, n: MsgNum) -> Result<usize, Response> {
        let i = n.get() as usize - 1;
        match self.deleted.get(i) {
            None => Err(Response::err("no such message")),
            Some(true) => Err(Response::err(format!("message {n} already deleted"))),
            Some(false) => Ok(i),
        }
    }
}

enum State {
    Authorization { user: Option<String> },
    Sasl { exchange: Exchange },
    Transaction(Box<Transaction>),
    Closed,
}

/// One POP3 session.
pub struct Session {
    settings: Arc<Pop3Settings>,
    store: Arc<dyn MaildropStore>,
    auth: Authenticator,
    conn: ConnectionParams,
    tls_exporter: Option<Vec<u8>>,
    state: State,
    bad_commands: u32,
    /// The account name of the last login attempt, as given.
    attempt: String,
    /// The last login attempt used a mechanism needing a stored verifier.
    stored_verifier: bool,
    /// The mechanism of the last login attempt (`USER`, `APOP` or a SASL
    /// mechanism's name).
    mechanism: &'static str,
    /// The password source that answered the last login attempt.
    source: &'static str,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("conn", &self.conn)
            .field("bad_commands", &self.bad_commands)
            .finish_non_exhaustive()
    }
}

/// The reply to a failed authentication at `user`.
///
/// Before authentication nothing may tell an existing account from a
/// missing one, so a wrong password, a missing account, an account
/// without the mechanism's verifier and an account the store cannot read
/// (or whose password source failed) all get the one reply below, after
/// the same work (see [`crate::auth::Authenticator`]) and the same
/// throttle delay. It claims no wrong password: RFC 3206's `[AUTH]` covers
/// "some other problem" with the credentials. A store error is not
/// answered `[SYS/TEMP]`: only an existing account can meet one, so that
/// would name the account; it is logged as an error instead, where the
/// administrator sees it. `[SYS/PERM]` for a disabled account comes only
/// after the password checked out.
///
/// A mechanism that needs a verifier kept in the profile (APOP, CRAM-MD5,
/// SCRAM) says so in every failure, since an account whose password is
/// checked elsewhere cannot use it. The password sources being down is
/// `[SYS/TEMP]`, for a missing account too (it asks them as well), never
/// a wrong password.
fn auth_failure_response(f: &AuthFailure, user: &str, stored_verifier: bool) -> Response {
    let failed = if stored_verifier {
        AUTH_FAILED_VERIFIER
    } else {
        AUTH_FAILED
    };
    let r = match f {
        AuthFailure::Disabled => Response::err("[SYS/PERM] this account is disabled"),
        AuthFailure::Malformed(s) => Response::err(format!("[AUTH] {s}")),
        AuthFailure::Cancelled => return Response::err("authentication cancelled"),
        AuthFailure::BadCredentials => Response::err(failed),
        AuthFailure::MissingVerifier(m) => {
            tracing::info!(user, "pop3: the account has no {m} verifier");
            Response::err(failed)
        }
        AuthFailure::Unavailable(e) => {
            tracing::warn!(user, "pop3: the password sources are unavailable: {e}");
            return Response::err(
                "[SYS/TEMP] passwords cannot be checked at the moment; try again later",
            );
        }
        AuthFailure::Temporary(e) | AuthFailure::Permanent(e) => {
            tracing::error!(user, "pop3: cannot check the credentials: {e}");
            Response::err(failed)
        }
    };
    r.with_event(Event::AuthFailed(user.to_string()))
}

/// The one reply to a login that did not succeed (see
/// [`auth_failure_response`]).
const AUTH_FAILED: &str = "[AUTH] authentication failed";

/// The reply to a failed APOP, CRAM-MD5 or SCRAM login.
const AUTH_FAILED_VERIFIER: &str = "[AUTH] authentication failed (APOP, CRAM-MD5 and SCRAM \
     work only for accounts whose password popstore keeps; others use USER/PASS, PLAIN or LOGIN)";

fn maildrop_error_response(e: &MaildropError) -> Response {
    Response::err(match e {
        MaildropError::InUse => "[IN-USE] maildrop is in use by another session".to_string(),
        MaildropError::LoginDelay(s) => format!("[LOGIN-DELAY] {s}"),
        MaildropError::Temporary(s) => format!("[SYS/TEMP] {s}"),
        MaildropError::Permanent(s) => format!("[SYS/PERM] {s}"),
    })
}

impl Session {
    /// A new session in the AUTHORIZATION state.
    pub fn new(
        settings: Arc<Pop3Settings>,
        store: Arc<dyn MaildropStore>,
        auth: Authenticator,
        conn: ConnectionParams,
    ) -> Self {
        Self {
            settings,
            store,
            auth,
            conn,
            tls_exporter: None,
            state: State::Authorization { user: None },
            bad_commands: 0,
            attempt: String::new(),
            stored_verifier: false,
            mechanism: "",
            source: "none",
        }
    }

    /// A fresh APOP timestamp `<pid.clock@host>`.
    pub fn new_timestamp(hostname: &str) -> String {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let nonce = crate::auth::scram::new_nonce().replace(['+', '/', '='], "");
        format!("<{}.{nanos}.{nonce}@{hostname}>", std::process::id())
    }

    /// The greeting.
    pub fn greeting(&self) -> Response {
        match &self.conn.apop_timestamp {
            Some(ts) if self.settings.apop => Response::ok(format!("POP3 server ready {ts}")),
            _ => Response::ok("POP3 server ready"),
        }
    }

    /// The logged-in user (canonical name), in the TRANSACTION state.
    pub fn user(&self) -> Option<&str> {
        match &self.state {
            State::Transaction(t) => Some(&t.user),
            _ => None,
        }
    }

    /// Called while the server waits for the client's next command: after
    /// a RETR, opens the next message not marked deleted ahead of time
    /// (clients fetch in order), so its RETR does not wait for the store.
    /// Nothing else changes (the message is not marked seen).
    pub fn read_ahead(&mut self) {
        if let State::Transaction(t) = &mut self.state
            && let Some(i) = t.last_retr.take()
            && let Some(next) = (i + 1..t.deleted.len()).find(|&j| !t.deleted[j])
        {
            t.maildrop.prefetch(next);
        }
    }

    /// The mechanism of the last login attempt: `USER` (USER/PASS),
    /// `APOP`, or a SASL mechanism's name; empty before any.
    pub fn mechanism(&self) -> &'static str {
        self.mechanism
    }

    /// The password source that answered the last login attempt
    /// ([`crate::auth::take_answered`]).
    pub fn password_source(&self) -> &'static str {
        self.source
    }

    /// True while logged in (TRANSACTION state).
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Transaction(_))
    }

    /// True when handling `line` may block (password checks, opening or
    /// committing the maildrop): everything before login, and QUIT.
    pub fn may_block(&self, line: &[u8]) -> bool {
        !self.is_authenticated() || line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"QUIT")
    }

    /// Tells the session TLS is now active, with the `tls-exporter` channel
    /// binding data when the TLS version supports it (TLS 1.3).
    pub fn tls_started(&mut self, exporter: Option<Vec<u8>>) {
        self.conn.tls = true;
        self.tls_exporter = exporter;
    }

    fn plaintext_allowed(&self) -> bool {
        self.conn.tls
            || self.settings.allow_plaintext_auth
            || self.conn.peer.is_some_and(|p| p.is_loopback())
    }

    /// The mechanisms offered on this connection now.
    pub fn mechanisms(&self) -> Vec<Mechanism> {
        self.settings
            .mechanisms()
            .into_iter()
            .filter(|m| match m {
                Mechanism::Plain | Mechanism::Login => self.plaintext_allowed(),
                Mechanism::ScramSha256Plus => self.tls_exporter.is_some(),
                _ => true,
            })
            .collect()
    }

    fn bad(&mut self, r: Response) -> Response {
        self.bad_commands += 1;
        if self.bad_commands >= self.settings.max_bad_commands.max(1) {
            let mut text = r.text;
            text.extend_from_slice(b"-ERR too many bad commands, closing connection\r\n");
            self.close_without_commit();
            return Response {
                text,
                body: None,
                after: After::Close,
                event: r.event,
            };
        }
        r
    }

    /// The client sent a line longer than the limit (the glue discarded it).
    pub fn line_too_long(&mut self) -> Response {
        let r = Response::err(format!(
            "line too long (limit {} octets)",
            self.settings.max_line_length
        ));
        if matches!(self.state, State::Sasl { .. }) {
            self.state = State::Authorization { user: None };
        }
        self.bad(r)
    }

    /// The idle timer expired: autologout without entering UPDATE.
    pub fn idle_timeout(&mut self) -> Response {
        self.close_without_commit();
        Response::err("autologout: idle for too long").then(After::Close)
    }

    /// The server is shutting down: close without committing.
    pub fn shutdown(&mut self) -> Response {
        self.close_without_commit();
        Response::err("[SYS/TEMP] server shutting down").then(After::Close)
    }

    /// Ends the session without committing (connection dropped): records
    /// accounting and releases the maildrop lock. Idempotent.
    pub fn close_without_commit(&mut self) {
        if let State::Transaction(t) = std::mem::replace(&mut self.state, State::Closed) {
            let record = t.record(self.conn.peer);
            t.maildrop.abandon(&record);
        }
    }

    /// Handles one line from the client (without CRLF).
    pub fn input(&mut self, line: &[u8]) -> Response {
        if let State::Sasl { .. } = self.state {
            return self.sasl_response(line);
        }
        if let State::Closed = self.state {
            return Response::err("session closed").then(After::Close);
        }
        match Command::parse(line) {
            Ok(cmd) => self.command(cmd),
            Err(ParseError::Unknown) => self.bad(Response::err("unknown command")),
            Err(ParseError::BadArguments(why)) => self.bad(Response::err(why)),
        }
    }

    /// Handles one parsed command.
    pub fn command(&mut self, cmd: Command) -> Response {
        match cmd {
            Command::Capa => return self.capa(),
            Command::Noop if self.is_authenticated() => return Response::ok(""),
            Command::Quit => return self.quit(),
            _ => {}
        }
        if self.is_authenticated() {
            self.transaction(cmd)
        } else {
            self.authorization(cmd)
        }
    }

    fn capa(&self) -> Response {
        let mut caps: Vec<String> = vec!["TOP".into(), "UIDL".into(), "RESP-CODES".into()];
        caps.push("PIPELINING".into());
        caps.push("AUTH-RESP-CODE".into());
        match &self.state {
            State::Transaction(t) => {
                caps.push(match t.maildrop.expire_policy() {
                    Expire::Never => "EXPIRE NEVER".into(),
                    Expire::Days(d) => format!("EXPIRE {d}"),
                });
                if self.settings.login_delay_secs > 0 {
                    caps.push(format!("LOGIN-DELAY {}", self.settings.login_delay_secs));
                }
                caps.push(format!(
                    "IMPLEMENTATION popstore-{}",
                    env!("CARGO_PKG_VERSION")
                ));
            }
            _ => {
                if self.plaintext_allowed() {
                    caps.push("USER".into());
                }
                let mechs = self.mechanisms();
                if !mechs.is_empty() {
                    let names: Vec<&str> = mechs.iter().map(|m| m.name()).collect();
                    caps.push(format!("SASL {}", names.join(" ")));
                }
                caps.push(
                    match (self.store.expire_policy(), self.store.expire_varies()) {
                        (Expire::Never, _) => "EXPIRE NEVER".into(),
                        (Expire::Days(d), true) => format!("EXPIRE {d} USER"),
                        (Expire::Days(d), false) => format!("EXPIRE {d}"),
                    },
                );
                if self.settings.login_delay_secs > 0 {
                    caps.push(format!(
                        "LOGIN-DELAY {} USER",
                        self.settings.login_delay_secs
                    ));
                }
                if self.conn.tls_available && !self.conn.tls {
                    caps.push("STLS".into());
                }
            }
        }
        Response::multi("capability list follows".into(), caps)
    }

    fn quit(&mut self) -> Response {
        let host = self.settings.hostname.clone();
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Transaction(t) => {
                let record = t.record(self.conn.peer);
                let deleted: Vec<usize> = t
                    .deleted
                    .iter()
                    .enumerate()
                    .filter_map(|(i, d)| d.then_some(i))
                    .collect();
                let (left, _) = t.totals();
                match t.maildrop.commit(&deleted, &record) {
                    Ok(()) if left == 0 => {
                        Response::ok(format!("{host} POP3 server signing off (maildrop empty)"))
                    }
                    Ok(()) => Response::ok(format!(
                        "{host} POP3 server signing off ({left} messages left)"
                    )),
                    Err(e) => {
                        Response::err(format!("[SYS/TEMP] some deleted messages not removed: {e}"))
                    }
                }
            }
            _ => Response::ok(format!("{host} POP3 server signing off")),
        }
        .then(After::Close)
    }

    fn authorization(&mut self, cmd: Command) -> Response {
        match cmd {
            Command::User(name) => {
                if !self.plaintext_allowed() {
                    return self.bad(Response::err(
                        "[AUTH] plaintext authentication is disallowed on non-TLS connections (use STLS)",
                    ));
                }
                self.state = State::Authorization { user: Some(name) };
                Response::ok("send PASS")
            }
            Command::Pass(pw) => {
                let user = match &mut self.state {
                    State::Authorization { user } => user.take(),
                    _ => None,
                };
                let Some(user) = user else {
                    return self.bad(Response::err("USER first"));
                };
                let r = self.auth.check_plain(&user, &pw);
                self.attempt = user;
                self.stored_verifier = false;
                self.mechanism = "USER";
                self.login(r)
            }
            Command::Apop(user, digest) => {
                let Some(ts) = self
                    .conn
                    .apop_timestamp
                    .clone()
                    .filter(|_| self.settings.apop)
                else {
                    return self.bad(Response::err("APOP is not available"));
                };
                let r = self.auth.check_apop(&user, &ts, &digest);
                self.attempt = user;
                self.stored_verifier = true;
                self.mechanism = "APOP";
                self.login(r)
            }
            Command::Auth(None, _) => {
                let names = self
                    .mechanisms()
                    .iter()
                    .map(|m| m.name().to_string())
                    .collect::<Vec<_>>();
                Response::multi("methods supported:".into(), names)
            }
            Command::Auth(Some(mech), initial) => self.auth_start(&mech, initial.as_deref()),
            Command::Stls => {
                if self.conn.tls {
                    self.bad(Response::err("TLS is already active"))
                } else if !self.conn.tls_available {
                    self.bad(Response::err("STLS is not available"))
                } else {
                    Response::ok("begin TLS negotiation").then(After::StartTls)
                }
            }
            Command::Noop => Response::ok(""),
            _ => self.bad(Response::err("not in the TRANSACTION state: log in first")),
        }
    }

    fn login(&mut self, r: Result<String, AuthFailure>) -> Response {
        self.source = match r {
            Err(AuthFailure::Cancelled | AuthFailure::Malformed(_)) => {
                crate::auth::take_answered();
                "none"
            }
            _ => crate::auth::take_answered(),
        };
        let user = match r {
            Ok(u) => u,
            Err(f) => {
                self.state = State::Authorization { user: None };
                let resp = auth_failure_response(&f, &self.attempt, self.stored_verifier);
                return if matches!(f, AuthFailure::Cancelled) {
                    resp
                } else {
                    self.bad(resp)
                };
            }
        };
        match self.store.open(&user, self.conn.peer) {
            Ok(maildrop) => {
                let n = maildrop.entries().len();
                let t = Transaction {
                    user,
                    deleted: vec![false; n],
                    maildrop,
                    login_at: SystemTime::now(),
                    started: Instant::now(),
                    last_retr: None,
                };
                let (count, octets) = t.totals();
                let text = format!(
                    "{}'s maildrop has {count} messages ({octets} octets)",
                    t.user
                );
                self.state = State::Transaction(Box::new(t));
                Response::ok(text).with_event(Event::LoggedIn)
            }
            Err(e) => {
                self.state = State::Authorization { user: None };
                maildrop_error_response(&e)
            }
        }
    }

    fn connection_info(&self) -> ConnectionInfo<'_> {
        ConnectionInfo {
            hostname: &self.settings.hostname,
            tls_exporter: self.tls_exporter.as_deref(),
        }
    }

    fn auth_start(&mut self, mech: &str, initial: Option<&str>) -> Response {
        let Some(m) = Mechanism::from_name(mech).filter(|m| self.settings.mechanisms().contains(m))
        else {
            return self.bad(Response::err(format!(
                "[AUTH] unsupported mechanism {mech}"
            )));
        };
        if !self.mechanisms().contains(&m) {
            if m.sends_plaintext() {
                return self.bad(Response::err(
                    "[AUTH] plaintext authentication is disallowed on non-TLS connections (use STLS)",
                ));
            }
            return self.bad(Response::err(format!("[AUTH] {} needs TLS", m.name())));
        }
        let initial = match initial {
            None => None,
            Some("=") => Some(Vec::new()),
            Some(b64) => match B64.decode(b64) {
                Ok(d) => Some(d),
                Err(_) => return self.bad(Response::err("invalid base64 in initial response")),
            },
        };
        self.stored_verifier = !m.sends_plaintext();
        self.mechanism = m.name();
        let (exchange, step) =
            Exchange::start(m, initial.as_deref(), &self.auth, &self.connection_info());
        self.sasl_step(exchange, step)
    }

    fn sasl_step(&mut self, exchange: Exchange, step: Step) -> Response {
        self.attempt = exchange.user().unwrap_or_default().to_string();
        match step {
            Step::Challenge(data) => {
                self.state = State::Sasl { exchange };
                Response::line(format!("+ {}", B64.encode(data)))
            }
            Step::Success(user) => self.login(Ok(user)),
            Step::Failure(f) => self.login(Err(f)),
        }
    }

    fn sasl_response(&mut self, line: &[u8]) -> Response {
        let State::Sasl { mut exchange } =
            std::mem::replace(&mut self.state, State::Authorization { user: None })
        else {
            return Response::err("no authentication in progress");
        };
        if line == b"*" {
            return self.login(Err(AuthFailure::Cancelled));
        }
        let Ok(data) = B64.decode(line) else {
            return self.login(Err(AuthFailure::Malformed("invalid base64 in response")));
        };
        let step = exchange.step(&data, &self.auth, &self.connection_info());
        self.sasl_step(exchange, step)
    }

    fn transaction(&mut self, cmd: Command) -> Response {
        let State::Transaction(t) = &mut self.state else {
            return Response::err("not logged in");
        };
        let r = match cmd {
            Command::Stat => {
                let (n, o) = t.totals();
                Ok(Response::ok(format!("{n} {o}")))
            }
            Command::List(None) => {
                let (n, o) = t.totals();
                let lines = t
                    .maildrop
                    .entries()
                    .iter()
                    .zip(&t.deleted)
                    .enumerate()
                    .filter(|(_, (_, d))| !**d)
                    .map(|(i, (e, _))| format!("{} {}", i + 1, e.size));
                Ok(Response::multi(format!("{n} messages ({o} octets)"), lines))
            }
            Command::List(Some(n)) => t
                .index(n)
                .map(|i| Response::ok(format!("{n} {}", t.maildrop.entries()[i].size))),
            Command::Uidl(None) => {
                let lines = t
                    .maildrop
                    .entries()
                    .iter()
                    .zip(&t.deleted)
                    .enumerate()
                    .filter(|(_, (_, d))| !**d)
                    .map(|(i, (e, _))| format!("{} {}", i + 1, e.uidl));
                Ok(Response::multi("unique-id listing follows".into(), lines))
            }
            Command::Uidl(Some(n)) => t
                .index(n)
                .map(|i| Response::ok(format!("{n} {}", t.maildrop.entries()[i].uidl))),
            Command::Retr(n) => t.index(n).and_then(|i| {
                t.last_retr = Some(i);
                let size = t.maildrop.entries()[i].size;
                let data = t
                    .maildrop
                    .message(i)
                    .map_err(|e| maildrop_error_response(&e))?;
                let end = data.bytes().len();
                // Written straight into the response (one allocation, no
                // intermediate strings): this runs for every message sent.
                let mut text = Vec::with_capacity(40);
                let _ = write!(text, "+OK {size} octets\r\n");
                let mut r = Response::text(text);
                r.body = Some(MessageBody { data, end });
                Ok(r)
            }),
            Command::Top(n, lines) => t.index(n).and_then(|i| {
                let data = t
                    .maildrop
                    .message(i)
                    .map_err(|e| maildrop_error_response(&e))?;
                let end = top_end(data.bytes(), data.header_len(), lines);
                let mut r = Response::ok("top of message follows");
                r.body = Some(MessageBody { data, end });
                Ok(r)
            }),
            Command::Dele(n) => t.index(n).map(|i| {
                t.deleted[i] = true;
                Response::ok(format!("message {n} deleted"))
            }),
            Command::Rset => {
                t.deleted.iter_mut().for_each(|d| *d = false);
                let (n, o) = t.totals();
                Ok(Response::ok(format!(
                    "maildrop has {n} messages ({o} octets)"
                )))
            }
            Command::Noop => Ok(Response::ok("")),
            Command::Stls => Err(Response::err("STLS is only valid before login")),
            Command::User(_) | Command::Pass(_) | Command::Apop(..) | Command::Auth(..) => {
                Err(Response::err("already logged in"))
            }
            Command::Capa | Command::Quit => Err(Response::err("unexpected")),
        };
        // Wrong message numbers are ordinary mistakes, not abuse: they do
        // not count towards the bad-command cap.
        r.unwrap_or_else(|e| e)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close_without_commit();
    }
}
