//! The poppassd session (the ad hoc protocol of Eudora's password
//! changer) as a state machine without I/O:
//!
//! ```text
//! S: 200 popstore poppassd ready, who are you?
//! C: user ann
//! S: 200 your password please.
//! C: pass old-secret
//! S: 200 your new password please.
//! C: newpass new-secret
//! S: 200 Password changed, thank-you.
//! C: quit
//! S: 200 Bye.
//! ```
//!
//! Any error is `500 text` and ends the session (as the original does).
//! Commands are case-insensitive; a password is the rest of its line.
//! The change is committed before its `200` goes out (some clients never
//! send `quit`). The old password is checked at `pass` (a wrong one gets
//! the throttle's delay, like a failed POP3 login); LOCKPWD accounts and
//! passwords kept where popstore cannot change them are refused there,
//! after the password checked out.

use crate::auth::{AuthFailure, Authenticator, ChangeFailure, Secret};

/// What the glue does after sending a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply line, CRLF included.
    pub text: String,
    /// Close the connection after it.
    pub close: bool,
    /// A failed check of the old password at this account (as the client
    /// gave it): the glue holds the reply as the throttle says.
    pub auth_failed: Option<String>,
}

impl Reply {
    fn ok(text: &str) -> Self {
        Self {
            text: format!("200 {text}\r\n"),
            close: false,
            auth_failed: None,
        }
    }

    fn err(text: &str) -> Self {
        Self {
            text: format!("500 {text}\r\n"),
            close: true,
            auth_failed: None,
        }
    }
}

enum State {
    User,
    Pass { user: String },
    NewPass { user: String, old: Secret<String> },
    Done,
}

/// One poppassd session.
pub struct Session {
    auth: Authenticator,
    state: State,
    /// Plaintext passwords may be sent on this connection (TLS, loopback,
    /// or allowed by the configuration).
    plaintext_ok: bool,
    /// The password source that answered the last check of the old
    /// password ([`crate::auth::take_answered`]).
    source: &'static str,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD: usize = 256;

impl Session {
    /// A new session; `plaintext_ok` false refuses `user` (the client must
    /// use the TLS listener).
    pub fn new(auth: Authenticator, plaintext_ok: bool) -> Self {
        Self {
            auth,
            state: State::User,
            plaintext_ok,
            source: "none",
        }
    }

    /// The greeting.
    pub fn greeting(&self) -> Reply {
        Reply::ok("popstore poppassd ready, who are you?")
    }

    /// The old password checked out: the session waits for the new one
    /// (the glue counts a login when this turns true).
    pub fn awaits_new_password(&self) -> bool {
        matches!(self.state, State::NewPass { .. })
    }

    /// The password source that answered the last check of the old
    /// password, for the `source` label of `popstore_logins_total`.
    pub fn password_source(&self) -> &'static str {
        self.source
    }

    /// True when the next line may block (password checks and changes).
    pub fn may_block(&self) -> bool {
        matches!(self.state, State::Pass { .. } | State::NewPass { .. })
    }

    /// The client sent a line longer than the limit.
    pub fn line_too_long(&mut self) -> Reply {
        self.state = State::Done;
        Reply::err("line too long")
    }

    /// Handles one line (without CRLF).
    pub fn input(&mut self, line: &[u8]) -> Reply {
        let Ok(line) = std::str::from_utf8(line) else {
            self.state = State::Done;
            return Reply::err("lines must be UTF-8");
        };
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v, a),
            None => (line, ""),
        };
        let verb = verb.to_ascii_lowercase();
        if verb == "quit" {
            self.state = State::Done;
            return Reply {
                close: true,
                ..Reply::ok("Bye.")
            };
        }
        match (
            std::mem::replace(&mut self.state, State::Done),
            verb.as_str(),
        ) {
            (State::User, "user") => {
                if !self.plaintext_ok {
                    return Reply::err(
                        "passwords are not taken in the clear here: use the TLS port",
                    );
                }
                let user = arg.trim();
                if user.is_empty() || user.len() > 255 {
                    return Reply::err("user what?");
                }
                self.state = State::Pass {
                    user: user.to_string(),
                };
                Reply::ok("your password please.")
            }
            (State::Pass { user }, "pass") => self.pass(user, arg),
            (State::NewPass { user, old }, "newpass") => self.newpass(&user, &old, arg),
            (_, "user" | "pass" | "newpass") => Reply::err("commands out of order"),
            _ => Reply::err("unknown command"),
        }
    }

    fn pass(&mut self, user: String, arg: &str) -> Reply {
        let old = Secret::new(arg.to_string());
        let failed = |user: String| Reply {
            auth_failed: Some(user),
            ..Reply::err("Old password is incorrect.")
        };
        self.source = "none";
        if arg.is_empty() || arg.len() > MAX_PASSWORD {
            return failed(user);
        }
        let checked = self.auth.check_plain(&user, &old);
        self.source = crate::auth::take_answered();
        match checked {
            Ok(canonical) => match self.auth.lookup(&canonical) {
                Ok(c) if c.flags.lockpwd => {
                    Reply::err("The password of this account cannot be changed.")
                }
                Ok(c) => {
                    self.state = State::NewPass { user: c.user, old };
                    Reply::ok("your new password please.")
                }
                Err(_) => Reply::err("Server error, try again later."),
            },
            Err(AuthFailure::Unavailable(e)) => {
                tracing::warn!(user, "poppassd: the password sources are unavailable: {e}");
                Reply::err("Passwords cannot be checked at the moment; try again later.")
            }
            Err(AuthFailure::Disabled) => failed(user),
            Err(AuthFailure::Temporary(e) | AuthFailure::Permanent(e)) => {
                tracing::error!(user, "poppassd: cannot check the credentials: {e}");
                failed(user)
            }
            Err(_) => failed(user),
        }
    }

    fn newpass(&mut self, user: &str, old: &Secret<String>, arg: &str) -> Reply {
        if arg.is_empty() || arg.len() > MAX_PASSWORD || arg.chars().any(char::is_control) {
            return Reply::err(
                "The new password is not acceptable (empty, too long or with control characters).",
            );
        }
        let new = Secret::new(arg.to_string());
        match self.auth.change_password(user, old, &new) {
            Ok(user) => {
                tracing::info!(user, "poppassd: password changed");
                Reply::ok("Password changed, thank-you.")
            }
            Err(ChangeFailure::Locked) => {
                Reply::err("The password of this account cannot be changed.")
            }
            Err(ChangeFailure::Refused(why)) => {
                Reply::err(&format!("Password not changed: {why}."))
            }
            Err(ChangeFailure::Auth(_)) => Reply::err("Old password is incorrect."),
            Err(ChangeFailure::Temporary(e)) => {
                tracing::error!(user, "poppassd: cannot change the password: {e}");
                Reply::err("Server error, password not changed; try again later.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{AccountFlags, Credentials, StaticCredentials, VerifierOptions, Verifiers};

    fn auth() -> (Authenticator, Arc<StaticCredentials>) {
        let table = Arc::new(StaticCredentials::new());
        for (user, lockpwd) in [("ann", false), ("locked", true)] {
            table.insert(Credentials {
                user: user.into(),
                verifiers: Verifiers::from_password(
                    &Secret::new(format!("{user}-pw")),
                    &VerifierOptions::default(),
                )
                .unwrap(),
                flags: AccountFlags {
                    lockpwd,
                    ..AccountFlags::default()
                },
            });
        }
        (Authenticator::new(table.clone(), None), table)
    }

    fn talk(s: &mut Session, line: &str) -> String {
        s.input(line.as_bytes()).text
    }

    #[test]
    fn changes_a_password_before_saying_200() {
        let (a, _) = auth();
        let mut s = Session::new(a.clone(), true);
        assert!(s.greeting().text.starts_with("200 "));
        assert_eq!(talk(&mut s, "USER Ann"), "200 your password please.\r\n");
        assert!(s.may_block());
        assert_eq!(
            talk(&mut s, "pass ann-pw"),
            "200 your new password please.\r\n"
        );
        let r = s.input(b"newpass new secret");
        assert_eq!(r.text, "200 Password changed, thank-you.\r\n");
        assert!(!r.close);
        // Committed already: no quit needed.
        assert!(
            a.check_plain("ann", &Secret::new("new secret".into()))
                .is_ok()
        );
        assert!(a.check_plain("ann", &Secret::new("ann-pw".into())).is_err());
        let r = s.input(b"quit");
        assert_eq!((r.text.as_str(), r.close), ("200 Bye.\r\n", true));
    }

    #[test]
    fn refusals_end_the_session() {
        let (a, _) = auth();
        let mut s = Session::new(a.clone(), true);
        talk(&mut s, "user ann");
        let r = s.input(b"pass wrong");
        assert_eq!(r.text, "500 Old password is incorrect.\r\n");
        assert_eq!((r.close, r.auth_failed.as_deref()), (true, Some("ann")));
        // A missing account answers the same.
        let mut s = Session::new(a.clone(), true);
        talk(&mut s, "user nobody");
        assert_eq!(talk(&mut s, "pass x"), "500 Old password is incorrect.\r\n");
        let mut s = Session::new(a.clone(), true);
        talk(&mut s, "user locked");
        assert_eq!(
            talk(&mut s, "pass locked-pw"),
            "500 The password of this account cannot be changed.\r\n"
        );
        let mut s = Session::new(a.clone(), true);
        assert_eq!(talk(&mut s, "pass x"), "500 commands out of order\r\n");
        let mut s = Session::new(a.clone(), false);
        assert!(talk(&mut s, "user ann").starts_with("500 passwords are not taken"));
        let mut s = Session::new(a, true);
        talk(&mut s, "user ann");
        talk(&mut s, "pass ann-pw");
        assert!(talk(&mut s, "newpass ").starts_with("500 The new password is not acceptable"));
    }
}
