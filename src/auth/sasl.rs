//! SASL mechanisms as server-side exchanges without I/O: PLAIN (RFC 4616),
//! LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-256 and SCRAM-SHA-256-PLUS
//! (RFC 7677, RFC 9266). The protocol layer decodes base64, handles the
//! client's `*` cancel, and feeds the raw responses here.

use super::scram::{self, CbindFlag};
use super::{AuthFailure, Authenticator, ScramKeys, Secret, constant_time_eq};

/// A SASL mechanism popstore offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// PLAIN: the password in the clear (needs TLS or an explicit setting).
    Plain,
    /// LOGIN: user name and password in two steps, in the clear.
    Login,
    /// CRAM-MD5: needs the account's CRAM-MD5 key.
    CramMd5,
    /// SCRAM-SHA-256: needs the account's SCRAM keys.
    ScramSha256,
    /// SCRAM-SHA-256-PLUS with `tls-exporter` channel binding (TLS only).
    ScramSha256Plus,
}

impl Mechanism {
    /// Every mechanism, strongest first (the order CAPA lists them in).
    pub const ALL: [Mechanism; 5] = [
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha256,
        Mechanism::CramMd5,
        Mechanism::Plain,
        Mechanism::Login,
    ];

    /// The registered name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
        }
    }

    /// The mechanism of that name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// True for mechanisms that send the password in the clear.
    pub fn sends_plaintext(self) -> bool {
        matches!(self, Mechanism::Plain | Mechanism::Login)
    }
}

/// What the connection offers the exchange.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionInfo<'a> {
    /// The server's host name (CRAM-MD5 challenges).
    pub hostname: &'a str,
    /// The `tls-exporter` channel-binding data when TLS is active (and
    /// SCRAM-SHA-256-PLUS is therefore offered).
    pub tls_exporter: Option<&'a [u8]>,
}

/// The next thing to tell the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// A challenge (raw bytes; the protocol base64-encodes them).
    Challenge(Vec<u8>),
    /// Authenticated as this (canonical) user.
    Success(String),
    /// The exchange failed.
    Failure(AuthFailure),
}

/// One running exchange.
#[derive(Debug)]
pub struct Exchange {
    state: State,
    /// The user name the client gave, once known (for the throttle and
    /// the log).
    user: Option<String>,
}

#[derive(Debug)]
enum State {
    Plain,
    LoginUser,
    LoginPassword(String),
    Cram(String),
    ScramFirst(bool),
    ScramFinal(Box<ScramPending>),
    ScramDone(String),
    Finished,
}

#[derive(Debug)]
struct ScramPending {
    first: scram::ClientFirst,
    server_first: String,
    nonce: String,
    /// `None` for an unknown user (the exchange runs to its end with a
    /// made-up salt so it does not reveal which names exist).
    keys: Option<ScramKeys>,
    user: String,
    disabled: bool,
    plus: bool,
    /// Why the exchange will fail whatever the proof (no usable keys).
    why: Option<AuthFailure>,
}

impl Exchange {
    /// Starts an exchange, with the client's initial response if it sent one.
    pub fn start(
        mechanism: Mechanism,
        initial: Option<&[u8]>,
        auth: &Authenticator,
        conn: &ConnectionInfo<'_>,
    ) -> (Self, Step) {
        let state = match mechanism {
            Mechanism::Plain => State::Plain,
            Mechanism::Login => State::LoginUser,
            Mechanism::CramMd5 => {
                let challenge = format!(
                    "<{}.{}@{}>",
                    std::process::id(),
                    scram::new_nonce().replace(['+', '/', '='], ""),
                    conn.hostname
                );
                let mut ex = Self {
                    state: State::Cram(challenge.clone()),
                    user: None,
                };
                if initial.is_some_and(|i| !i.is_empty()) {
                    ex.state = State::Finished;
                    return (
                        ex,
                        Step::Failure(AuthFailure::Malformed("CRAM-MD5 takes no initial response")),
                    );
                }
                return (ex, Step::Challenge(challenge.into_bytes()));
            }
            Mechanism::ScramSha256 => State::ScramFirst(false),
            Mechanism::ScramSha256Plus => State::ScramFirst(true),
        };
        let mut ex = Self { state, user: None };
        let step = match initial {
            Some(data) => ex.step(data, auth, conn),
            None => match ex.state {
                State::LoginUser => Step::Challenge(b"Username:".to_vec()),
                _ => Step::Challenge(Vec::new()),
            },
        };
        (ex, step)
    }

    /// True when the last challenge was the mechanism's final message
    /// (SCRAM's server-final), which only an empty response follows:
    /// protocols that carry success data in their OK (ManageSieve's
    /// `SASL` response code) answer for the client with [`Exchange::step`]
    /// on empty data.
    pub fn awaits_empty_response(&self) -> bool {
        matches!(self.state, State::ScramDone(_))
    }

    /// The user name the client gave, once the exchange has seen it.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Feeds the client's next response.
    pub fn step(&mut self, data: &[u8], auth: &Authenticator, conn: &ConnectionInfo<'_>) -> Step {
        let state = std::mem::replace(&mut self.state, State::Finished);
        match state {
            State::Plain => {
                self.user = data
                    .split(|&b| b == 0)
                    .nth(1)
                    .map(|u| String::from_utf8_lossy(u).into_owned());
                plain(data, auth)
            }
            State::LoginUser => match std::str::from_utf8(data) {
                Ok(u) if !u.is_empty() => {
                    self.state = State::LoginPassword(u.to_string());
                    Step::Challenge(b"Password:".to_vec())
                }
                _ => Step::Failure(AuthFailure::Malformed("bad user name")),
            },
            State::LoginPassword(user) => {
                self.user = Some(user.clone());
                match String::from_utf8(data.to_vec()) {
                    Ok(pw) => finish(auth.check_plain(&user, &Secret::new(pw))),
                    Err(_) => Step::Failure(AuthFailure::Malformed("password is not UTF-8")),
                }
            }
            State::Cram(challenge) => {
                self.user = std::str::from_utf8(data)
                    .ok()
                    .and_then(|t| t.rsplit_once(' '))
                    .map(|(u, _)| u.to_string());
                cram(data, &challenge, auth)
            }
            State::ScramFirst(plus) => match self.scram_first(data, plus, auth, conn) {
                Ok(step) => step,
                Err(f) => Step::Failure(f),
            },
            State::ScramFinal(p) => match self.scram_final(data, *p, conn) {
                Ok(step) => step,
                Err(f) => Step::Failure(f),
            },
            State::ScramDone(user) => {
                if data.is_empty() {
                    Step::Success(user)
                } else {
                    Step::Failure(AuthFailure::Malformed("expected an empty response"))
                }
            }
            State::Finished => Step::Failure(AuthFailure::Malformed("exchange already finished")),
        }
    }

    fn scram_first(
        &mut self,
        data: &[u8],
        plus: bool,
        auth: &Authenticator,
        conn: &ConnectionInfo<'_>,
    ) -> Result<Step, AuthFailure> {
        let text = std::str::from_utf8(data).map_err(|_| AuthFailure::Malformed("not UTF-8"))?;
        let first = scram::parse_client_first(text).map_err(AuthFailure::Malformed)?;
        match (&first.cbind, plus) {
            (CbindFlag::Bind(name), true) if name == "tls-exporter" => {}
            (CbindFlag::Bind(_), true) => {
                return Err(AuthFailure::Malformed(
                    "only tls-exporter channel binding is supported",
                ));
            }
            (_, true) => {
                return Err(AuthFailure::Malformed(
                    "SCRAM-SHA-256-PLUS needs channel binding",
                ));
            }
            (CbindFlag::Bind(_), false) => {
                return Err(AuthFailure::Malformed(
                    "channel binding requested without -PLUS",
                ));
            }
            // The client could bind but thinks we cannot, while we offer
            // -PLUS: a downgrade (RFC 5802 section 6).
            (CbindFlag::ClientOnly, false) if conn.tls_exporter.is_some() => {
                return Err(AuthFailure::Malformed("channel binding downgrade detected"));
            }
            _ => {}
        }
        self.user = Some(first.user.clone());
        if first.authzid.as_deref().is_some_and(|a| a != first.user) {
            return Err(AuthFailure::Malformed(
                "authorization identity must equal the user name",
            ));
        }
        // A missing account, one without SCRAM keys and one the store
        // cannot read all go through the whole exchange with a made-up
        // salt (the same each time for a name) and fail at its end, as a
        // wrong password does: nothing before that tells them apart.
        let (keys, user, disabled, why) = match auth.lookup(&first.user) {
            Ok(creds) => match creds.verifiers.scram_sha256 {
                Some(k) => (Some(k), creds.user, creds.flags.disuser, None),
                None => (
                    None,
                    creds.user,
                    false,
                    Some(AuthFailure::MissingVerifier("SCRAM-SHA-256")),
                ),
            },
            Err(e) => (None, first.user.clone(), false, Some(e)),
        };
        let nonce = format!("{}{}", first.client_nonce, scram::new_nonce());
        let (salt, iterations) = match &keys {
            Some(k) => (k.salt.clone(), k.iterations),
            None => (fake_salt(&first.user), 4096),
        };
        let server_first = scram::server_first(&nonce, &salt, iterations);
        self.state = State::ScramFinal(Box::new(ScramPending {
            first,
            server_first: server_first.clone(),
            nonce,
            keys,
            user,
            disabled,
            plus,
            why,
        }));
        Ok(Step::Challenge(server_first.into_bytes()))
    }

    fn scram_final(
        &mut self,
        data: &[u8],
        p: ScramPending,
        conn: &ConnectionInfo<'_>,
    ) -> Result<Step, AuthFailure> {
        let text = std::str::from_utf8(data).map_err(|_| AuthFailure::Malformed("not UTF-8"))?;
        let fin = scram::parse_client_final(text).map_err(AuthFailure::Malformed)?;
        if fin.nonce != p.nonce {
            return Err(AuthFailure::Malformed("nonce mismatch"));
        }
        let mut expected_cb = p.first.gs2_header.as_bytes().to_vec();
        if p.plus {
            let Some(cb) = conn.tls_exporter else {
                return Err(AuthFailure::Malformed("no TLS channel to bind to"));
            };
            expected_cb.extend_from_slice(cb);
        }
        if !constant_time_eq(&expected_cb, &fin.channel_binding) {
            return Err(AuthFailure::BadCredentials);
        }
        let auth_message = format!("{},{},{}", p.first.bare, p.server_first, fin.without_proof);
        let Some(keys) = &p.keys else {
            return Err(p.why.unwrap_or(AuthFailure::BadCredentials));
        };
        let Some(server_final) = scram::verify_proof(keys, &auth_message, &fin.proof) else {
            return Err(AuthFailure::BadCredentials);
        };
        if p.disabled {
            return Err(AuthFailure::Disabled);
        }
        self.state = State::ScramDone(p.user);
        Ok(Step::Challenge(server_final.into_bytes()))
    }
}

/// A salt for a name without SCRAM keys: the same for the same name in
/// this process (a real account's salt does not change either), unknown
/// to the client.
fn fake_salt(user: &str) -> Vec<u8> {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(scram::new_nonce);
    let mac = super::verifiers::hmac_sha256(key.as_bytes(), user.to_lowercase().as_bytes());
    mac[..16].to_vec()
}

fn finish(r: Result<String, AuthFailure>) -> Step {
    match r {
        Ok(u) => Step::Success(u),
        Err(f) => Step::Failure(f),
    }
}

/// PLAIN: `authzid NUL authcid NUL passwd`.
fn plain(data: &[u8], auth: &Authenticator) -> Step {
    let mut parts = data.split(|&b| b == 0);
    let (Some(authz), Some(authc), Some(pw), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Step::Failure(AuthFailure::Malformed(
            "PLAIN wants authzid NUL authcid NUL password",
        ));
    };
    let (Ok(authz), Ok(authc), Ok(pw)) = (
        std::str::from_utf8(authz),
        std::str::from_utf8(authc),
        String::from_utf8(pw.to_vec()),
    ) else {
        return Step::Failure(AuthFailure::Malformed("PLAIN fields must be UTF-8"));
    };
    if authc.is_empty() || (!authz.is_empty() && !authz.eq_ignore_ascii_case(authc)) {
        return Step::Failure(AuthFailure::Malformed(
            "authorization identity must equal the user name",
        ));
    }
    finish(auth.check_plain(authc, &Secret::new(pw)))
}

/// CRAM-MD5: `user SP hex-digest`.
fn cram(data: &[u8], challenge: &str, auth: &Authenticator) -> Step {
    let Ok(text) = std::str::from_utf8(data) else {
        return Step::Failure(AuthFailure::Malformed("not UTF-8"));
    };
    let Some((user, digest)) = text.rsplit_once(' ') else {
        return Step::Failure(AuthFailure::Malformed("CRAM-MD5 wants user SP digest"));
    };
    let creds = match auth.lookup(user) {
        Ok(c) => c,
        Err(e) => return Step::Failure(e),
    };
    let Some(ctx) = &creds.verifiers.cram_md5 else {
        return Step::Failure(AuthFailure::MissingVerifier("CRAM-MD5"));
    };
    let expected = ctx.digest(challenge.as_bytes());
    if !constant_time_eq(expected.as_bytes(), digest.to_ascii_lowercase().as_bytes()) {
        return Step::Failure(AuthFailure::BadCredentials);
    }
    if creds.flags.disuser {
        return Step::Failure(AuthFailure::Disabled);
    }
    Step::Success(creds.user)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::cram_md5_digest;
    use crate::auth::{AccountFlags, Credentials, StaticCredentials, VerifierOptions, Verifiers};

    fn authenticator() -> Authenticator {
        let table = StaticCredentials::new();
        let opts = VerifierOptions {
            cram_md5: true,
            apop: true,
            ..VerifierOptions::default()
        };
        let v = Verifiers::from_password(&Secret::new("pencil".into()), &opts).unwrap();
        table.insert(Credentials {
            user: "User".into(),
            verifiers: v.clone(),
            flags: AccountFlags::default(),
        });
        table.insert(Credentials {
            user: "bare".into(),
            verifiers: Verifiers {
                cram_md5: None,
                scram_sha256: None,
                ..v
            },
            flags: AccountFlags::default(),
        });
        Authenticator::new(Arc::new(table), None)
    }

    const CONN: ConnectionInfo<'static> = ConnectionInfo {
        hostname: "pop.example",
        tls_exporter: None,
    };

    #[test]
    fn plain_and_login() {
        let a = authenticator();
        let (_, s) = Exchange::start(Mechanism::Plain, Some(b"\0user\0pencil"), &a, &CONN);
        assert_eq!(s, Step::Success("User".into()));
        let (_, s) = Exchange::start(Mechanism::Plain, Some(b"\0user\0pen"), &a, &CONN);
        assert_eq!(s, Step::Failure(AuthFailure::BadCredentials));
        let (mut ex, s) = Exchange::start(Mechanism::Plain, None, &a, &CONN);
        assert_eq!(s, Step::Challenge(vec![]));
        assert!(matches!(
            ex.step(b"user", &a, &CONN),
            Step::Failure(AuthFailure::Malformed(_))
        ));
        let (mut ex, s) = Exchange::start(Mechanism::Login, None, &a, &CONN);
        assert_eq!(s, Step::Challenge(b"Username:".to_vec()));
        assert_eq!(
            ex.step(b"user", &a, &CONN),
            Step::Challenge(b"Password:".to_vec())
        );
        assert_eq!(ex.step(b"pencil", &a, &CONN), Step::Success("User".into()));
    }

    #[test]
    fn cram_md5_needs_its_verifier() {
        let a = authenticator();
        let (mut ex, s) = Exchange::start(Mechanism::CramMd5, None, &a, &CONN);
        let Step::Challenge(ch) = s else {
            panic!("{s:?}")
        };
        let digest = cram_md5_digest(b"pencil", &ch);
        assert_eq!(
            ex.step(format!("user {digest}").as_bytes(), &a, &CONN),
            Step::Success("User".into())
        );
        let (mut ex, _) = Exchange::start(Mechanism::CramMd5, None, &a, &CONN);
        assert_eq!(
            ex.step(format!("bare {digest}").as_bytes(), &a, &CONN),
            Step::Failure(AuthFailure::MissingVerifier("CRAM-MD5"))
        );
    }

    /// Runs SCRAM for `user` with a made-up proof: the salt offered and
    /// the final step.
    fn scram_attempt(a: &Authenticator, user: &str) -> (String, Step) {
        let first = format!("n,,n={user},r=abc");
        let (mut ex, s) = Exchange::start(Mechanism::ScramSha256, Some(first.as_bytes()), a, &CONN);
        let Step::Challenge(sf) = s else {
            panic!("{s:?}")
        };
        let sf = String::from_utf8(sf).unwrap();
        let nonce = sf.split(',').next().unwrap();
        let salt = sf.split(',').nth(1).unwrap().to_string();
        let fin = format!("c=biws,{nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assert_eq!(ex.user(), Some(user));
        (salt, ex.step(fin.as_bytes(), a, &CONN))
    }

    #[test]
    fn scram_without_keys_runs_to_the_end_like_an_unknown_user() {
        let a = authenticator();
        // An account without SCRAM keys and a missing account both get a
        // challenge with a salt that does not change, and fail at the end.
        let (salt, step) = scram_attempt(&a, "bare");
        assert_eq!(
            step,
            Step::Failure(AuthFailure::MissingVerifier("SCRAM-SHA-256"))
        );
        assert_eq!(scram_attempt(&a, "bare").0, salt);
        let (salt, step) = scram_attempt(&a, "nobody");
        assert_eq!(step, Step::Failure(AuthFailure::BadCredentials));
        assert_eq!(scram_attempt(&a, "nobody").0, salt);
    }
}
