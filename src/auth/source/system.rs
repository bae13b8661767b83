//! The `system` source: the host's accounts, `/etc/passwd` and
//! `/etc/shadow` (read at each check, so `passwd`, `chpasswd` and
//! `usermod -L` take effect at once). Reading `/etc/shadow` needs root or
//! the `shadow` group; without it every check is a temporary failure, and
//! the log says why.
//!
//! An account is refused when its login has no entry, its uid is below
//! `min_uid` (root and the system's own accounts), its password is locked
//! (`!`, `*`) or empty, or its shadow entry's expiry date has passed.
//! Passwords are changed with the host's tools, not through popstore.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::crypt;
use super::template::Template;
use crate::auth::{ChangeOutcome, LookupError, PasswordSource, Secret};

/// `[auth.system]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// The passwd file.
    pub passwd_file: PathBuf,
    /// The shadow file.
    pub shadow_file: PathBuf,
    /// The login name of an account (a [`Template`]).
    pub login: String,
    /// The lowest uid that may log in.
    pub min_uid: u32,
}

/// The host's accounts.
#[derive(Debug)]
pub struct System {
    passwd: PathBuf,
    shadow: PathBuf,
    login: Template,
    min_uid: u32,
}

/// The fields of `name`'s line in a colon-separated file.
fn entry(path: &Path, name: &str) -> Result<Option<Vec<String>>, LookupError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LookupError::Temporary(format!("cannot read {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name))
        .map(|f| f.into_iter().map(str::to_string).collect()))
}

/// Days since 1970-01-01, as shadow counts them.
fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(i64::MAX)
}

impl System {
    /// The source from its configuration.
    pub fn from_config(c: &SystemConfig) -> Result<Self, String> {
        Ok(Self {
            passwd: c.passwd_file.clone(),
            shadow: c.shadow_file.clone(),
            login: Template::parse(&c.login).map_err(|e| format!("[auth.system] login: {e}"))?,
            min_uid: c.min_uid,
        })
    }

    /// The hash of `login`'s password, `None` when it cannot log in.
    fn hash(&self, login: &str) -> Result<Option<String>, LookupError> {
        let Some(pw) = entry(&self.passwd, login)? else {
            return Ok(None);
        };
        let uid: Option<u32> = pw.get(2).and_then(|u| u.parse().ok());
        if uid.is_none_or(|u| u < self.min_uid) {
            return Ok(None);
        }
        let field = pw.get(1).cloned().unwrap_or_default();
        if field != "x" {
            return Ok(Some(field));
        }
        let Some(sh) = entry(&self.shadow, login)? else {
            return Ok(None);
        };
        let expires: Option<i64> = sh.get(7).and_then(|d| d.parse().ok());
        if expires.is_some_and(|d| d <= today()) {
            return Ok(None);
        }
        Ok(sh.get(1).cloned())
    }
}

impl PasswordSource for System {
    fn name(&self) -> &str {
        "system"
    }

    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError> {
        let login = self.login.plain(user);
        if login.is_empty() || login.contains([':', '\n']) || password.expose().is_empty() {
            return Ok(false);
        }
        let Some(hash) = self.hash(&login)? else {
            return Ok(false);
        };
        crypt::verify(password.expose().as_bytes(), &hash).map_err(|e| {
            LookupError::Permanent(format!("{}: login {login}: {e}", self.shadow.display()))
        })
    }

    fn change_password(
        &self,
        _: &str,
        _: &Secret<String>,
        _: &Secret<String>,
    ) -> Result<ChangeOutcome, LookupError> {
        Ok(ChangeOutcome::Refused(
            "this is a system account: its password is changed on the host (passwd)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_passwd_and_shadow() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        let shadow = dir.path().join("shadow");
        let hash = "$1$2PzxAH/P$an81okB/9NBh4VKQJToRL/"; // 'pencil S3cret'
        std::fs::write(
            &passwd,
            format!(
                "root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/home/ann:/bin/sh\n\
                 old:{hash}:1001:1001::/:/bin/sh\nlocked:x:1002:1002::/:/bin/sh\n\
                 gone:x:1003:1003::/:/bin/sh\n"
            ),
        )
        .unwrap();
        std::fs::write(
            &shadow,
            format!("root:{hash}:1::::::\nann:{hash}:1::::::\nlocked:!{hash}:1::::::\ngone:{hash}:1:::::1:\n"),
        )
        .unwrap();
        let s = System::from_config(&SystemConfig {
            passwd_file: passwd,
            shadow_file: shadow,
            login: "%Ln".into(),
            min_uid: 1000,
        })
        .unwrap();
        let pw = Secret::new(String::from("pencil S3cret"));
        assert_eq!(s.verify("Ann@example.org", &pw), Ok(true));
        assert_eq!(s.verify("ann", &Secret::new("nope".into())), Ok(false));
        assert_eq!(s.verify("old", &pw), Ok(true), "hash in passwd itself");
        for refused in ["root", "locked", "gone", "nobody", "a:b"] {
            assert_eq!(s.verify(refused, &pw), Ok(false), "{refused}");
        }
        let missing = System {
            shadow: dir.path().join("none"),
            ..s
        };
        assert!(matches!(
            missing.verify("ann", &pw),
            Err(LookupError::Temporary(_))
        ));
    }
}
