//! The ManageSieve session (RFC 5804) as a state machine without I/O: fed
//! parsed commands ([`super::parse`]), it returns the replies. The glue
//! reads bytes, writes replies, and runs the TLS handshake after STARTTLS.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;

use super::ManageSieveSettings;
use super::parse::{Arg, string};
use super::scripts::{ScriptError, ScriptStore};
use crate::auth::sasl::{ConnectionInfo, Exchange, Mechanism, Step};
use crate::auth::{AuthFailure, Authenticator};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What the connection does after a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Read the next command.
    Continue,
    /// Start TLS, then send [`Session::capabilities`].
    StartTls,
    /// Close the connection.
    Close,
}

/// One reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The bytes to send.
    pub bytes: Vec<u8>,
    /// What comes next.
    pub after: After,
    /// A failed authentication at this account name (as given): the glue
    /// holds the reply as the throttle says.
    pub auth_failed: Option<String>,
}

impl Reply {
    fn new(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            after: After::Continue,
            auth_failed: None,
        }
    }
}

/// `OK`/`NO`/`BYE`, an optional response code, a quoted text.
fn response(kind: &str, code: Option<&str>, text: &str) -> Vec<u8> {
    let mut out = kind.as_bytes().to_vec();
    if let Some(c) = code {
        out.extend_from_slice(format!(" ({c})").as_bytes());
    }
    out.push(b' ');
    string(&mut out, text.as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

fn ok(text: &str) -> Reply {
    Reply::new(response("OK", None, text))
}

fn no(code: Option<&str>, text: &str) -> Reply {
    Reply::new(response("NO", code, text))
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

enum State {
    NotAuth,
    Sasl(Box<Exchange>),
    Auth { user: String },
}

/// One ManageSieve session.
pub struct Session {
    settings: Arc<ManageSieveSettings>,
    scripts: Arc<dyn ScriptStore>,
    auth: Authenticator,
    conn: ConnectionParams,
    tls_exporter: Option<Vec<u8>>,
    state: State,
    bad: u32,
    /// The account name of the authentication in progress, as given.
    attempt: String,
    /// The SASL mechanism of the last authentication.
    mechanism: &'static str,
    /// The password source that answered the last authentication
    /// ([`crate::auth::take_answered`]).
    source: &'static str,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}

/// A script name as RFC 5804 section 1.6 allows: UTF-8, no controls.
fn script_name(arg: &[u8]) -> Result<&str, Reply> {
    match std::str::from_utf8(arg) {
        Ok(n)
            if !n.is_empty()
                && n.len() <= 255
                && !n
                    .chars()
                    .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}') =>
        {
            Ok(n)
        }
        _ => Err(no(None, "invalid script name")),
    }
}

fn script_error(e: ScriptError) -> Reply {
    match e {
        ScriptError::NotFound => no(Some("NONEXISTENT"), "There is no script by that name."),
        ScriptError::Active => no(Some("ACTIVE"), "The active script cannot be deleted."),
        ScriptError::Exists => no(
            Some("ALREADYEXISTS"),
            "A script by that name exists already.",
        ),
        ScriptError::Invalid(m) => no(None, &m),
        ScriptError::Temporary(m) => no(Some("TRYLATER"), &m),
    }
}

impl Session {
    /// A new session, not authenticated.
    pub fn new(
        settings: Arc<ManageSieveSettings>,
        scripts: Arc<dyn ScriptStore>,
        auth: Authenticator,
        conn: ConnectionParams,
    ) -> Self {
        Self {
            settings,
            scripts,
            auth,
            conn,
            tls_exporter: None,
            state: State::NotAuth,
            bad: 0,
            attempt: String::new(),
            mechanism: "",
            source: "none",
        }
    }

    /// Tells the session TLS is active, with the `tls-exporter` data
    /// (TLS 1.3).
    pub fn tls_started(&mut self, exporter: Option<Vec<u8>>) {
        self.conn.tls = true;
        self.tls_exporter = exporter;
    }

    fn plaintext_allowed(&self) -> bool {
        self.conn.tls
            || self.settings.allow_plaintext
            || self.conn.peer.is_some_and(|p| p.is_loopback())
    }

    /// The SASL mechanisms offered now.
    pub fn mechanisms(&self) -> Vec<Mechanism> {
        let mut m = Vec::new();
        if self.tls_exporter.is_some() {
            m.push(Mechanism::ScramSha256Plus);
        }
        m.push(Mechanism::ScramSha256);
        if self.plaintext_allowed() {
            m.push(Mechanism::Plain);
        }
        m
    }

    /// The capability listing and its OK: the greeting, the answer to
    /// CAPABILITY, and what follows a TLS handshake.
    pub fn capabilities(&self) -> Reply {
        let mut out = Vec::new();
        let mut cap = |name: &str, value: Option<&str>| {
            string(&mut out, name.as_bytes());
            if let Some(v) = value {
                out.push(b' ');
                string(&mut out, v.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        };
        cap(
            "IMPLEMENTATION",
            Some(&format!("popstore {}", env!("CARGO_PKG_VERSION"))),
        );
        let mechs: Vec<&str> = self.mechanisms().iter().map(|m| m.name()).collect();
        cap("SASL", Some(&mechs.join(" ")));
        cap("SIEVE", Some(&crate::sieve::EXTENSIONS.join(" ")));
        if self.conn.tls_available && !self.conn.tls {
            cap("STARTTLS", None);
        }
        cap(
            "MAXREDIRECTS",
            Some(&crate::sieve::Limits::default().max_redirects.to_string()),
        );
        if let State::Auth { user } = &self.state {
            cap("OWNER", Some(user));
        }
        cap("VERSION", Some("1.0"));
        out.extend(response("OK", None, "popstore ManageSieve ready."));
        Reply::new(out)
    }

    /// The greeting.
    pub fn greeting(&self) -> Reply {
        self.capabilities()
    }

    /// The SASL mechanism of the last authentication, for the
    /// `mechanism` label of `popstore_logins_total`.
    pub fn mechanism(&self) -> &'static str {
        self.mechanism
    }

    /// The password source that answered the last authentication, for
    /// the `source` label of `popstore_logins_total`.
    pub fn password_source(&self) -> &'static str {
        self.source
    }

    /// The logged-in user.
    pub fn user(&self) -> Option<&str> {
        match &self.state {
            State::Auth { user } => Some(user),
            _ => None,
        }
    }

    /// A syntax error the parser found; `fatal` closes the connection.
    pub fn syntax_error(&mut self, msg: &str, fatal: bool) -> Reply {
        if fatal {
            let mut r = Reply::new(response("BYE", None, msg));
            r.after = After::Close;
            return r;
        }
        if matches!(self.state, State::Sasl(_)) {
            self.state = State::NotAuth;
        }
        self.count_bad(no(None, msg))
    }

    fn count_bad(&mut self, r: Reply) -> Reply {
        self.bad += 1;
        if self.bad >= self.settings.max_bad_commands.max(1) {
            let mut bytes = r.bytes;
            bytes.extend(response("BYE", None, "Too many errors."));
            return Reply {
                bytes,
                after: After::Close,
                auth_failed: r.auth_failed,
            };
        }
        r
    }

    /// The server is shutting down.
    pub fn shutdown(&self) -> Reply {
        let mut r = Reply::new(response("BYE", Some("TRYLATER"), "Server shutting down."));
        r.after = After::Close;
        r
    }

    /// The idle time ran out.
    pub fn idle_timeout(&self) -> Reply {
        let mut r = Reply::new(response("BYE", None, "Disconnected for inactivity."));
        r.after = After::Close;
        r
    }

    /// Handles one command (may block: passwords, the store).
    pub fn input(&mut self, args: Vec<Arg>) -> Reply {
        if let State::Sasl(_) = self.state {
            return self.sasl_response(args);
        }
        let mut it = args.into_iter();
        let Some(Arg::Atom(cmd)) = it.next() else {
            return self.count_bad(no(None, "Expected a command."));
        };
        let args: Vec<Arg> = it.collect();
        let strs: Option<Vec<&[u8]>> = args
            .iter()
            .map(|a| match a {
                Arg::Str(s) => Some(s.as_slice()),
                _ => None,
            })
            .collect();
        let authed = self.user().map(str::to_string);
        match (cmd.as_str(), authed, strs.as_deref()) {
            ("CAPABILITY", _, Some([])) => self.capabilities(),
            ("LOGOUT", _, Some([])) => {
                let mut r = ok("Logout completed.");
                r.after = After::Close;
                r
            }
            ("NOOP", _, Some([])) => ok("Done."),
            ("NOOP", _, Some([tag])) => {
                let mut out = b"OK (TAG ".to_vec();
                string(&mut out, tag);
                out.extend_from_slice(b") \"Done.\"\r\n");
                Reply::new(out)
            }
            ("STARTTLS", None, Some([])) => {
                if self.conn.tls || !self.conn.tls_available {
                    self.count_bad(no(None, "TLS is not available (or already active)."))
                } else {
                    let mut r = ok("Begin TLS negotiation now.");
                    r.after = After::StartTls;
                    r
                }
            }
            ("AUTHENTICATE", None, Some([mech])) => self.authenticate(mech, None),
            ("AUTHENTICATE", None, Some([mech, initial])) => self.authenticate(mech, Some(initial)),
            ("AUTHENTICATE", Some(_), _) => self.count_bad(no(None, "Already authenticated.")),
            ("UNAUTHENTICATE", Some(_), Some([])) => {
                self.state = State::NotAuth;
                ok("Unauthenticated.")
            }
            (
                "PUTSCRIPT" | "CHECKSCRIPT" | "HAVESPACE" | "LISTSCRIPTS" | "SETACTIVE"
                | "GETSCRIPT" | "DELETESCRIPT" | "RENAMESCRIPT" | "UNAUTHENTICATE",
                None,
                _,
            ) => self.count_bad(no(None, "Authenticate first.")),
            (_, Some(user), _) => self.scripts_command(&cmd, &user, &args),
            _ => self.count_bad(no(None, "Unknown command or wrong arguments.")),
        }
    }

    fn scripts_command(&mut self, cmd: &str, user: &str, args: &[Arg]) -> Reply {
        let s = &self.scripts;
        let max = self.settings.max_size();
        let r = match (cmd, args) {
            ("HAVESPACE", [Arg::Str(name), Arg::Num(size)]) => {
                script_name(name).and_then(|n| self.room(user, n, *size).map(|()| ok("Yes.")))
            }
            ("PUTSCRIPT", [Arg::Str(name), Arg::Str(text)]) => script_name(name).and_then(|n| {
                self.room(user, n, text.len() as u64)?;
                s.put(user, n, text).map_err(script_error)?;
                tracing::info!(user, script = n, "managesieve: script stored");
                Ok(ok("Script stored."))
            }),
            ("CHECKSCRIPT", [Arg::Str(text)]) => {
                if text.len() > max {
                    Err(no(Some("QUOTA/MAXSIZE"), "The script is too large."))
                } else {
                    s.check(user, text)
                        .map(|()| ok("Script is valid."))
                        .map_err(script_error)
                }
            }
            ("LISTSCRIPTS", []) => s.list(user).map_err(script_error).map(|all| {
                let mut out = Vec::new();
                for l in all {
                    string(&mut out, l.name.as_bytes());
                    if l.active {
                        out.extend_from_slice(b" ACTIVE");
                    }
                    out.extend_from_slice(b"\r\n");
                }
                out.extend(response("OK", None, "Listscripts completed."));
                Reply::new(out)
            }),
            ("SETACTIVE", [Arg::Str(name)]) if name.is_empty() => s
                .activate(user, None)
                .map(|()| ok("No script is active."))
                .map_err(script_error),
            ("SETACTIVE", [Arg::Str(name)]) => script_name(name).and_then(|n| {
                s.activate(user, Some(n))
                    .map(|()| ok("Script activated."))
                    .map_err(script_error)
            }),
            ("GETSCRIPT", [Arg::Str(name)]) => script_name(name).and_then(|n| {
                let text = s.get(user, n).map_err(script_error)?;
                let mut out = format!("{{{}}}\r\n", text.len()).into_bytes();
                out.extend_from_slice(&text);
                out.extend_from_slice(b"\r\n");
                out.extend(response("OK", None, "Getscript completed."));
                Ok(Reply::new(out))
            }),
            ("DELETESCRIPT", [Arg::Str(name)]) => script_name(name).and_then(|n| {
                s.delete(user, n)
                    .map(|()| ok("Script deleted."))
                    .map_err(script_error)
            }),
            ("RENAMESCRIPT", [Arg::Str(old), Arg::Str(new)]) => {
                match (script_name(old), script_name(new)) {
                    (Ok(o), Ok(n)) => s
                        .rename(user, o, n)
                        .map(|()| ok("Script renamed."))
                        .map_err(script_error),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            _ => return self.count_bad(no(None, "Unknown command or wrong arguments.")),
        };
        r.unwrap_or_else(|e| e)
    }

    /// Whether a script of `size` octets named `name` fits the per-account
    /// quota (script size, number of scripts).
    fn room(&self, user: &str, name: &str, size: u64) -> Result<(), Reply> {
        if size > self.settings.max_size() as u64 {
            return Err(no(
                Some("QUOTA/MAXSIZE"),
                &format!(
                    "Scripts may have {} octets at most.",
                    self.settings.max_size()
                ),
            ));
        }
        let all = self.scripts.list(user).map_err(script_error)?;
        if !all.iter().any(|l| l.name == name) && all.len() >= self.settings.max_scripts {
            return Err(no(
                Some("QUOTA/MAXSCRIPTS"),
                &format!(
                    "An account may keep {} scripts at most.",
                    self.settings.max_scripts
                ),
            ));
        }
        Ok(())
    }

    fn connection_info(&self) -> ConnectionInfo<'_> {
        ConnectionInfo {
            hostname: "localhost",
            tls_exporter: self.tls_exporter.as_deref(),
        }
    }

    fn authenticate(&mut self, mech: &[u8], initial: Option<&[u8]>) -> Reply {
        let name = String::from_utf8_lossy(mech);
        let Some(m) = Mechanism::from_name(&name) else {
            return self.count_bad(no(None, "Unsupported SASL mechanism."));
        };
        if !self.mechanisms().contains(&m) {
            if m.sends_plaintext() {
                return self.count_bad(no(
                    Some("ENCRYPT-NEEDED"),
                    "Plaintext passwords are taken only over TLS: STARTTLS first.",
                ));
            }
            return self.count_bad(no(None, "Unsupported SASL mechanism."));
        }
        self.mechanism = m.name();
        let initial = match initial.map(|i| B64.decode(i)) {
            None => None,
            Some(Ok(d)) => Some(d),
            Some(Err(_)) => {
                return self.count_bad(no(None, "Invalid base64 in the initial response."));
            }
        };
        let (exchange, step) =
            Exchange::start(m, initial.as_deref(), &self.auth, &self.connection_info());
        self.sasl_step(exchange, step)
    }

    fn sasl_step(&mut self, mut exchange: Exchange, step: Step) -> Reply {
        self.attempt = exchange.user().unwrap_or_default().to_string();
        match step {
            Step::Challenge(data) if exchange.awaits_empty_response() => {
                match exchange.step(b"", &self.auth, &self.connection_info()) {
                    Step::Success(user) => {
                        let mut out = b"OK (SASL ".to_vec();
                        string(&mut out, B64.encode(&data).as_bytes());
                        out.extend_from_slice(b") \"Logged in.\"\r\n");
                        self.logged_in(user, Reply::new(out))
                    }
                    Step::Failure(f) => self.auth_failed(&f),
                    Step::Challenge(_) => self.auth_failed(&AuthFailure::Malformed("exchange")),
                }
            }
            Step::Challenge(data) => {
                let mut out = Vec::new();
                string(&mut out, B64.encode(&data).as_bytes());
                out.extend_from_slice(b"\r\n");
                self.state = State::Sasl(Box::new(exchange));
                Reply::new(out)
            }
            Step::Success(user) => self.logged_in(user, ok("Logged in.")),
            Step::Failure(f) => self.auth_failed(&f),
        }
    }

    fn logged_in(&mut self, user: String, r: Reply) -> Reply {
        self.source = crate::auth::take_answered();
        tracing::info!(user, peer = ?self.conn.peer, "managesieve login");
        self.state = State::Auth { user };
        r
    }

    fn auth_failed(&mut self, f: &AuthFailure) -> Reply {
        self.source = crate::auth::take_answered();
        if matches!(f, AuthFailure::Cancelled | AuthFailure::Malformed(_)) {
            self.source = "none";
        }
        self.state = State::NotAuth;
        let user = std::mem::take(&mut self.attempt);
        let r = match f {
            AuthFailure::Cancelled => return no(None, "Authentication cancelled."),
            AuthFailure::Unavailable(e) => {
                tracing::warn!(
                    user,
                    "managesieve: the password sources are unavailable: {e}"
                );
                return no(
                    Some("TRYLATER"),
                    "Passwords cannot be checked at the moment.",
                );
            }
            AuthFailure::Disabled => no(None, "This account is disabled."),
            AuthFailure::Malformed(m) => no(None, &format!("Authentication failed: {m}.")),
            AuthFailure::Temporary(e) | AuthFailure::Permanent(e) => {
                tracing::error!(user, "managesieve: cannot check the credentials: {e}");
                no(None, "Authentication failed.")
            }
            AuthFailure::BadCredentials | AuthFailure::MissingVerifier(_) => no(
                None,
                "Authentication failed. (SCRAM works only for accounts whose password \
                 popstore keeps; others use PLAIN.)",
            ),
        };
        let r = Reply {
            auth_failed: Some(user),
            ..r
        };
        self.count_bad(r)
    }

    fn sasl_response(&mut self, args: Vec<Arg>) -> Reply {
        let State::Sasl(mut exchange) = std::mem::replace(&mut self.state, State::NotAuth) else {
            return no(None, "No authentication in progress.");
        };
        let data = match args.as_slice() {
            [Arg::Str(d)] if d == b"*" => return self.auth_failed(&AuthFailure::Cancelled),
            [Arg::Str(d)] => d.clone(),
            _ => return self.auth_failed(&AuthFailure::Malformed("expected a string")),
        };
        let Ok(data) = B64.decode(&data) else {
            return self.auth_failed(&AuthFailure::Malformed("invalid base64"));
        };
        let step = exchange.step(&data, &self.auth, &self.connection_info());
        self.sasl_step(*exchange, step)
    }
}
