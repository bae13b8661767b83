//! The `external` source: a checkpassword program (the interface of
//! cr.yp.to/checkpwd). It reads `login NUL password NUL timestamp NUL`
//! from descriptor 3, and exits 0 when the password is right (after
//! running the program named by its arguments, `/bin/true` by default),
//! 1 when it is wrong, 111 on a temporary problem.

use std::ffi::OsString;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::program::{self, Answer, Input};
use super::template::Template;
use crate::auth::{LookupError, PasswordSource, Secret};

/// `[auth.external]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalConfig {
    /// The checkpassword program.
    pub program: String,
    /// Its arguments: the program it runs after a successful check.
    pub args: Vec<String>,
    /// The login name given to it (a [`Template`]).
    pub login: String,
    /// Seconds before a program that has not answered is killed (the check
    /// is then a temporary failure).
    pub timeout: u64,
}

/// A checkpassword program.
#[derive(Debug)]
pub struct External {
    argv: Vec<OsString>,
    login: Template,
    timeout: Duration,
}

impl External {
    /// The source from its configuration.
    pub fn from_config(c: &ExternalConfig) -> Result<Self, String> {
        if c.program.is_empty() {
            return Err("[auth.external] program is empty".into());
        }
        let mut argv: Vec<OsString> = vec![c.program.clone().into()];
        argv.extend(c.args.iter().map(OsString::from));
        Ok(Self {
            argv,
            login: Template::parse(&c.login).map_err(|e| format!("[auth.external] login: {e}"))?,
            timeout: Duration::from_secs(c.timeout.max(1)),
        })
    }
}

impl PasswordSource for External {
    fn name(&self) -> &str {
        "external"
    }

    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError> {
        let login = self.login.plain(user);
        // The interface gives each field as a NUL-terminated string.
        if login.contains('\0') || password.expose().contains('\0') {
            return Ok(false);
        }
        let data = program::checkpassword_input(&login, password.expose());
        let answer = program::run("checkpassword", &self.argv, &data, Input::Fd3, self.timeout)?;
        Ok(answer == Answer::Accepted)
    }
}
