//! The `pam` source: a PAM service, asked in a helper process
//! (`popstore pam-check`, this same binary) for each check. A module that
//! blocks is killed at the deadline (the check is then a temporary
//! failure), one that crashes takes only the helper with it; the server
//! never loads libpam itself.
//!
//! The helper reads `login NUL password NUL` on standard input and exits
//! 0 (accepted), 1 (refused) or 111 (PAM could not answer), like a
//! checkpassword program. Passwords are changed with the host's tools.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::program::{self, Answer, Input};
use super::template::Template;
use crate::auth::{ChangeOutcome, LookupError, PasswordSource, Secret};

/// `[auth.pam]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PamConfig {
    /// The PAM service (its file in /etc/pam.d).
    pub service: String,
    /// Another directory for the service file (Linux-PAM 1.4+); empty for
    /// /etc/pam.d.
    pub confdir: PathBuf,
    /// The login name PAM is given (a [`Template`]).
    pub login: String,
    /// Seconds before a helper that has not answered is killed.
    pub timeout: u64,
}

/// A PAM service.
#[derive(Debug)]
pub struct Pam {
    argv: Vec<OsString>,
    login: Template,
    timeout: Duration,
}

impl Pam {
    /// The source from its configuration: the helper is this executable.
    pub fn from_config(c: &PamConfig) -> Result<Self, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("[auth.pam] cannot find popstore's own executable: {e}"))?;
        Self::with_helper(c, exe.into())
    }

    /// The source with `helper` as the `popstore` executable.
    pub fn with_helper(c: &PamConfig, helper: OsString) -> Result<Self, String> {
        if c.service.is_empty() || c.service.contains('/') {
            return Err(format!(
                "[auth.pam] service `{}` is not a service name",
                c.service
            ));
        }
        let mut argv = vec![
            helper,
            "pam-check".into(),
            "--service".into(),
            c.service.clone().into(),
        ];
        if !c.confdir.as_os_str().is_empty() {
            argv.extend(["--confdir".into(), c.confdir.clone().into_os_string()]);
        }
        Ok(Self {
            argv,
            login: Template::parse(&c.login).map_err(|e| format!("[auth.pam] login: {e}"))?,
            timeout: Duration::from_secs(c.timeout.max(1)),
        })
    }
}

impl PasswordSource for Pam {
    fn name(&self) -> &str {
        "pam"
    }

    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError> {
        let login = self.login.plain(user);
        if login.is_empty() || login.contains('\0') || password.expose().contains('\0') {
            return Ok(false);
        }
        let mut data = login.into_bytes();
        data.push(0);
        data.extend_from_slice(password.expose().as_bytes());
        data.push(0);
        let answer = program::run("pam", &self.argv, &data, Input::Stdin, self.timeout)?;
        Ok(answer == Answer::Accepted)
    }

    fn change_password(
        &self,
        _: &str,
        _: &Secret<String>,
        _: &Secret<String>,
    ) -> Result<ChangeOutcome, LookupError> {
        Ok(ChangeOutcome::Refused(
            "this password is checked by PAM: it is changed on the host (passwd)".into(),
        ))
    }
}

/// The helper's side (`popstore pam-check`): reads `login NUL password
/// NUL` from `input` and asks PAM; the exit status to return.
pub fn helper(service: &str, confdir: Option<&std::path::Path>, input: &[u8]) -> u8 {
    use popstore_platform_linux::pam::{PamAnswer, authenticate};
    let mut fields = input.split(|&b| b == 0);
    let (Some(login), Some(password)) = (fields.next(), fields.next()) else {
        eprintln!("popstore pam-check: expected login NUL password NUL on standard input");
        return 111;
    };
    let (Ok(login), Ok(password)) = (std::str::from_utf8(login), std::str::from_utf8(password))
    else {
        return 1;
    };
    match authenticate(service, confdir, login, password, None) {
        PamAnswer::Accepted => 0,
        PamAnswer::Refused(_) => 1,
        PamAnswer::Unavailable(why) => {
            eprintln!("popstore pam-check: service {service}: {why}");
            111
        }
    }
}
