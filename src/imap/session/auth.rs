//! Before login: CAPABILITY, STARTTLS, LOGIN and AUTHENTICATE (SASL-IR)
//! through the shared `auth` module, LOGINDISABLED without TLS off
//! loopback, and the replies to failures (`[AUTHENTICATIONFAILED]`, the
//! growing delay through [`Event::AuthFailed`], `[UNAVAILABLE]`).

use base64::Engine as _;

use super::{After, Event, Mode, Response, Session, User};
use crate::auth::sasl::{ConnectionInfo, Exchange, Mechanism, Step};
use crate::auth::{AuthFailure, Secret};
use crate::imap::write::{self, Code, Status};
use crate::store::name::AccountName;
use std::sync::Arc;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl Session {
    fn plaintext_allowed(&self) -> bool {
        self.conn.tls
            || self.settings.allow_plaintext_auth
            || self.conn.peer.is_some_and(|p| p.is_loopback())
    }

    /// The mechanisms offered on this connection now.
    fn mechanisms(&self) -> Vec<Mechanism> {
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

    /// CAPABILITY as it stands: only what works.
    pub(super) fn capabilities(&self) -> Vec<String> {
        let mut caps: Vec<String> = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        caps.extend(["ENABLE", "IDLE"].map(String::from));
        if self.user.is_none() {
            if self.conn.tls_available && !self.conn.tls {
                caps.push("STARTTLS".into());
            }
            if !self.plaintext_allowed() {
                caps.push("LOGINDISABLED".into());
            }
            caps.extend(
                self.mechanisms()
                    .iter()
                    .map(|m| format!("AUTH={}", m.name())),
            );
            return caps;
        }
        caps.extend(
            [
                "NAMESPACE",
                "UNSELECT",
                "UIDPLUS",
                "MOVE",
                "CHILDREN",
                "SPECIAL-USE",
                "CREATE-SPECIAL-USE",
                "LIST-EXTENDED",
                "LIST-STATUS",
                "STATUS=SIZE",
                "CONDSTORE",
                "QRESYNC",
                "UTF8=ACCEPT",
                "MULTIAPPEND",
                "BINARY",
                "QUOTA",
                "QUOTA=RES-STORAGE",
                "QUOTA=RES-MESSAGE",
                "QUOTASET",
                "ACL",
                "COMPRESS=DEFLATE",
                super::acl::RIGHTS_CAPABILITY,
            ]
            .map(String::from),
        );
        caps.extend(super::search::CAPABILITIES.map(String::from));
        caps.push(format!("APPENDLIMIT={}", self.settings.append_limit));
        caps
    }

    pub(super) fn starttls(&mut self, tag: &str) -> Response {
        if self.conn.tls {
            return self.bad(tag, "TLS is already active");
        }
        if !self.conn.tls_available || self.user.is_some() {
            return self.bad(tag, "STARTTLS is not available");
        }
        let mut r = Self::ok(tag, None, "begin TLS negotiation now");
        r.after = After::StartTls;
        // RFC 9051 6.2.1: what was pipelined after STARTTLS is discarded
        // by the glue; the reader starts over.
        self.reset_reader();
        r
    }

    pub(super) fn login_command(
        &mut self,
        tag: &str,
        user: &str,
        password: Secret<Vec<u8>>,
    ) -> Response {
        if self.user.is_some() {
            return self.bad(tag, "already logged in");
        }
        if !self.plaintext_allowed() {
            return Self::no(
                tag,
                Some(Code::PrivacyRequired),
                "LOGIN is disabled without TLS (use STARTTLS)",
            );
        }
        self.attempt = user.to_string();
        self.mechanism = "LOGIN";
        let Ok(pw) = String::from_utf8(password.expose().clone()) else {
            return self.login(tag, Err(AuthFailure::BadCredentials));
        };
        let r = self.auth.check_plain(user, &Secret::new(pw));
        self.login(tag, r)
    }

    pub(super) fn authenticate(
        &mut self,
        tag: &str,
        mech: &str,
        initial: Option<&str>,
    ) -> Response {
        if self.user.is_some() {
            return self.bad(tag, "already logged in");
        }
        let Some(m) = Mechanism::from_name(mech).filter(|m| self.settings.mechanisms().contains(m))
        else {
            return Self::no(tag, Some(Code::Cannot), "unsupported mechanism");
        };
        if !self.mechanisms().contains(&m) {
            return Self::no(
                tag,
                Some(Code::PrivacyRequired),
                &format!("{} needs TLS", m.name()),
            );
        }
        let initial = match initial {
            None => None,
            Some("") => Some(Vec::new()),
            Some(b64) => match B64.decode(b64) {
                Ok(d) => Some(d),
                Err(_) => return self.bad(tag, "invalid base64 in the initial response"),
            },
        };
        self.mechanism = m.name();
        let info = ConnectionInfo {
            hostname: &self.settings.hostname,
            tls_exporter: self.tls_exporter.as_deref(),
        };
        let (exchange, step) = Exchange::start(m, initial.as_deref(), &self.auth, &info);
        self.sasl_step(tag.to_string(), exchange, step)
    }

    fn sasl_step(&mut self, tag: String, exchange: Exchange, step: Step) -> Response {
        self.attempt = exchange.user().unwrap_or_default().to_string();
        match step {
            Step::Challenge(data) => {
                let mut r = Response::new();
                write::continuation_base64(&mut r.text, &B64.encode(data));
                self.mode = Mode::Sasl { tag, exchange };
                r
            }
            Step::Success(user) => self.login(&tag, Ok(user)),
            Step::Failure(f) => self.login(&tag, Err(f)),
        }
    }

    pub(super) fn sasl_response(
        &mut self,
        tag: String,
        mut exchange: Exchange,
        line: &[u8],
    ) -> Response {
        if line == b"*" {
            return self.login(&tag, Err(AuthFailure::Cancelled));
        }
        let Ok(data) = B64.decode(line) else {
            return self.login(&tag, Err(AuthFailure::Malformed("invalid base64")));
        };
        let info = ConnectionInfo {
            hostname: &self.settings.hostname,
            tls_exporter: self.tls_exporter.as_deref(),
        };
        let step = exchange.step(&data, &self.auth, &info);
        self.sasl_step(tag, exchange, step)
    }

    /// The end of a login attempt.
    fn login(&mut self, tag: &str, r: Result<String, AuthFailure>) -> Response {
        self.source = match r {
            Err(AuthFailure::Cancelled | AuthFailure::Malformed(_)) => {
                crate::auth::take_answered();
                "none"
            }
            _ => crate::auth::take_answered(),
        };
        let user = match r {
            Ok(u) => u,
            Err(f) => return self.auth_failure(tag, &f),
        };
        let account = match self.store.name(&user) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(user, "imap: login: {e}");
                return Self::no(tag, Some(Code::Unavailable), "temporary failure, try later");
            }
        };
        if let Some(r) = self.open_spool(tag, &user, &account) {
            return r;
        }
        match self.store.mailbox_list(&account) {
            Ok(_) => {}
            Err(crate::store::StoreError::NotMessageStore(_)) => {
                return Self::no(
                    tag,
                    Some(Code::ContactAdmin),
                    "this account keeps its mail for POP3 only",
                );
            }
            Err(e) => {
                tracing::error!(user, "imap: login: {e}");
                return Self::no(tag, Some(Code::Unavailable), "temporary failure, try later");
            }
        }
        self.logged_in(tag, user, account)
    }

    /// A system user without an account, when spools are served: their
    /// spool becomes the session's INBOX (`None`: not such a user).
    fn open_spool(&mut self, tag: &str, user: &str, account: &AccountName) -> Option<Response> {
        use crate::legacy::imap::SpoolError;
        let legacy = self.legacy.clone()?;
        match self.store.profile(account) {
            Ok(None) => {}
            Ok(Some(_)) => return None,
            Err(e) => {
                tracing::error!(user, "imap: login: {e}");
                let r = Self::no(tag, Some(Code::Unavailable), "temporary failure, try later");
                return Some(r);
            }
        }
        let unavailable = |text: &str| Self::no(tag, Some(Code::Unavailable), text);
        let spool = match legacy.spool_of(user) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(_) => return Some(unavailable("temporary failure, try later")),
        };
        Some(match legacy.open(user, &spool) {
            Ok(inbox) => {
                self.store = Arc::clone(&inbox.store);
                let account = inbox.account.clone();
                self.spool = Some(inbox);
                self.logged_in(tag, user.to_string(), account)
            }
            Err(SpoolError::InUse) => Self::no(
                tag,
                Some(Code::InUse),
                "the mail spool is in use by another session",
            ),
            Err(SpoolError::Temporary) => {
                unavailable("the mail spool cannot be read now; try again later")
            }
        })
    }

    /// Logged in as `user`, account `account`.
    fn logged_in(&mut self, tag: &str, user: String, account: AccountName) -> Response {
        self.user = Some(User {
            name: user.clone(),
            account,
        });
        let mut r = Self::ok(
            tag,
            Some(Code::Capability(self.capabilities())),
            "logged in",
        );
        r.event = Some(Event::LoggedIn(user));
        r
    }

    fn auth_failure(&mut self, tag: &str, f: &AuthFailure) -> Response {
        let user = self.attempt.clone();
        let mut r = Response::new();
        match f {
            AuthFailure::Cancelled => {
                r.tagged(tag, Status::Bad, None, "authentication cancelled");
                return r;
            }
            AuthFailure::Unavailable(e) => {
                tracing::warn!(user, "imap: the password sources are unavailable: {e}");
                r.tagged(
                    tag,
                    Status::No,
                    Some(Code::Unavailable),
                    "passwords cannot be checked at the moment; try again later",
                );
                return r;
            }
            AuthFailure::Disabled => {
                r.tagged(
                    tag,
                    Status::No,
                    Some(Code::AuthorizationFailed),
                    "this account is disabled",
                );
            }
            AuthFailure::Malformed(s) => {
                r.tagged(tag, Status::Bad, None, s);
            }
            AuthFailure::MissingVerifier(m) => {
                tracing::info!(user, "imap: the account has no {m} verifier");
                r.tagged(
                    tag,
                    Status::No,
                    Some(Code::AuthenticationFailed),
                    "authentication failed",
                );
            }
            AuthFailure::Temporary(e) | AuthFailure::Permanent(e) => {
                tracing::error!(user, "imap: cannot check the credentials: {e}");
                r.tagged(
                    tag,
                    Status::No,
                    Some(Code::AuthenticationFailed),
                    "authentication failed",
                );
            }
            AuthFailure::BadCredentials => r.tagged(
                tag,
                Status::No,
                Some(Code::AuthenticationFailed),
                "authentication failed",
            ),
        }
        r.event = Some(Event::AuthFailed(user));
        self.count_bad(r)
    }
}
