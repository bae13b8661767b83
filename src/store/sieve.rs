//! Per-user Sieve scripts in the user's subtree (`[.SIEVE]NAME.SIV`, the
//! script text as it was uploaded) and the active script's name in the
//! profile (`SIEVE` record), so backup and transfer carry them.
//!
//! A script is compiled before it is stored: a script with errors is
//! refused at upload, never found broken at delivery.

use popstore_formats::layout::{SIEVE_DIR, canonical_name, decode_name, types};
use popstore_formats::path::StorePath;
use popstore_platform::{DirPath, Entry, ErrorKind, LockMode, RecordFormat};

use super::groups::Actor;
use super::name::AccountName;
use super::{Result, Store, StoreError};
use crate::sieve::{self, Limits, Location, ScriptLoader};

/// One stored script, for `list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ScriptEntry {
    /// The script name.
    pub name: String,
    /// It is the active script.
    pub active: bool,
}

/// Reads a user's scripts for `include :personal` (global scripts are not
/// kept in the store: `:global` finds none).
struct UserScripts<'a> {
    store: &'a Store,
    name: &'a AccountName,
}

impl ScriptLoader for UserScripts<'_> {
    fn load(&self, location: Location, script: &str) -> Option<String> {
        if location != Location::Personal {
            return None;
        }
        let path = self.store.script_path(self.name, script).ok()?;
        let bytes = self.store.platform().read(&path).ok()?;
        String::from_utf8(bytes).ok()
    }
}

impl Store {
    fn script_path(&self, name: &AccountName, script: &str) -> Result<StorePath> {
        let path = self
            .paths()
            .user(name)
            .sieve_script(script)
            .ok_or_else(|| StoreError::Invalid("a script needs a name".into()))?;
        // Only names that come back unchanged from the file name are kept,
        // so `list` shows what `put` was given.
        if decode_name(&path.name).as_deref() != Some(canonical_name(script).as_str()) {
            return Err(StoreError::Invalid(format!(
                "script name {script:?} is too long or not representable"
            )));
        }
        Ok(path)
    }

    fn sieve_dir(&self, name: &AccountName) -> DirPath {
        let mut d = self.paths().user_dir(name);
        d.dirs.push(
            popstore_formats::path::Ods2Name::new(SIEVE_DIR)
                .unwrap_or_else(|_| unreachable!("a valid name")),
        );
        d
    }

    fn reachable(&self, actor: &Actor, raw: &str) -> Result<(AccountName, super::Profile)> {
        let name = self.name(raw)?;
        let p = self.existing(&name)?;
        if !actor.may_manage(&self.group_tree()?, p.group_name().as_ref()) {
            return Err(StoreError::Denied(format!(
                "account {} is outside your group",
                p.name
            )));
        }
        Ok((name, p))
    }

    /// Compiles `text` for `user` (with their other scripts for
    /// `include`) and stores it under `script`, replacing any old one.
    pub fn sieve_put(&self, actor: &Actor, user: &str, script: &str, text: &[u8]) -> Result<()> {
        let (name, _) = self.reachable(actor, user)?;
        let path = self.script_path(&name, script)?;
        let src = std::str::from_utf8(text)
            .map_err(|_| StoreError::Invalid("the script is not UTF-8".into()))?;
        let loader = UserScripts {
            store: self,
            name: &name,
        };
        sieve::compile_with(src, &Limits::default(), &loader)
            .map_err(|e| StoreError::Invalid(format!("{script}:{e}")))?;
        self.ensure_dir(&self.sieve_dir(&name))?;
        self.platform().replace(&path, RecordFormat::Udf, text)?;
        Ok(())
    }

    /// Compiles `text` as a script of `user` would be (their other scripts
    /// for `include`), without storing it: the compile error, with its
    /// line and column, when there is one.
    pub fn sieve_check(
        &self,
        actor: &Actor,
        user: &str,
        text: &[u8],
    ) -> Result<std::result::Result<(), sieve::SieveError>> {
        let (name, _) = self.reachable(actor, user)?;
        let src = std::str::from_utf8(text)
            .map_err(|_| StoreError::Invalid("the script is not UTF-8".into()))?;
        let loader = UserScripts {
            store: self,
            name: &name,
        };
        Ok(sieve::compile_with(src, &Limits::default(), &loader).map(|_| ()))
    }

    /// The text of one script.
    pub fn sieve_get(&self, actor: &Actor, user: &str, script: &str) -> Result<Vec<u8>> {
        let (name, _) = self.reachable(actor, user)?;
        let path = self.script_path(&name, script)?;
        match self.platform().read(&path) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                Err(StoreError::Invalid(format!("no script {script:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Copies every script of `from` to `to` (an account being renamed),
    /// then removes `from`'s: a crash leaves them in both places.
    pub(crate) fn move_sieve_scripts(&self, from: &AccountName, to: &AccountName) -> Result<()> {
        let dir = self.sieve_dir(from);
        let entries = match self.platform().list(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let files: Vec<(
            popstore_formats::path::Ods2Name,
            popstore_formats::path::Ods2Name,
        )> = entries
            .into_iter()
            .filter_map(|e| match e {
                Entry::File { name, ftype } if ftype.as_str() == types::SIEVE => {
                    Some((name, ftype))
                }
                _ => None,
            })
            .collect();
        if files.is_empty() {
            return Ok(());
        }
        let target = self.sieve_dir(to);
        self.ensure_dir(&target)?;
        for (name, ftype) in &files {
            let text = self
                .platform()
                .read(&dir.file(name.clone(), ftype.clone()))?;
            self.platform().replace(
                &target.file(name.clone(), ftype.clone()),
                RecordFormat::Udf,
                &text,
            )?;
        }
        for (name, ftype) in files {
            self.remove_if_there(&dir.file(name, ftype))?;
        }
        let _ = self.platform().remove_dir(&dir);
        Ok(())
    }

    /// The user's scripts, sorted, with the active one marked.
    pub fn sieve_list(&self, actor: &Actor, user: &str) -> Result<Vec<ScriptEntry>> {
        let (name, p) = self.reachable(actor, user)?;
        let active = p.sieve_script.as_deref().map(canonical_name);
        let entries = match self.platform().list(&self.sieve_dir(&name)) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut out: Vec<ScriptEntry> = entries
            .into_iter()
            .filter_map(|e| match e {
                Entry::File { name, ftype } if ftype.as_str() == types::SIEVE => decode_name(&name),
                _ => None,
            })
            .map(|n| ScriptEntry {
                active: active.as_deref() == Some(n.as_str()),
                name: n,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Makes `script` the active one (`None`: no script runs at delivery).
    /// The script must exist and compile.
    pub fn sieve_activate(&self, actor: &Actor, user: &str, script: Option<&str>) -> Result<()> {
        let (name, _) = self.reachable(actor, user)?;
        if let Some(s) = script {
            let text = self.sieve_get(actor, user, s)?;
            let src = String::from_utf8(text)
                .map_err(|_| StoreError::Invalid("the script is not UTF-8".into()))?;
            let loader = UserScripts {
                store: self,
                name: &name,
            };
            sieve::compile_with(&src, &Limits::default(), &loader)
                .map_err(|e| StoreError::Invalid(format!("{s}:{e}")))?;
        }
        let _l = self.lock(&self.paths().account_lock(&name), LockMode::Exclusive)?;
        let mut p = self.existing(&name)?;
        p.sieve_script = script.map(canonical_name);
        self.write_profile(&p)
    }

    /// Deletes a script; the active script cannot be deleted (deactivate
    /// it first, as ManageSieve requires).
    pub fn sieve_delete(&self, actor: &Actor, user: &str, script: &str) -> Result<()> {
        let (name, p) = self.reachable(actor, user)?;
        if p.sieve_script.as_deref().map(canonical_name) == Some(canonical_name(script)) {
            return Err(StoreError::Invalid(format!(
                "script {script:?} is active; deactivate it first"
            )));
        }
        let path = self.script_path(&name, script)?;
        match self.platform().remove(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                Err(StoreError::Invalid(format!("no script {script:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The user's active script, compiled, for delivery; `None` when no
    /// script is active (or it vanished).
    pub fn active_sieve(&self, name: &AccountName) -> Result<Option<sieve::Script>> {
        let Some(p) = self.profile(name)? else {
            return Ok(None);
        };
        let Some(script) = p.sieve_script else {
            return Ok(None);
        };
        let path = self.script_path(name, &script)?;
        let text = match self.platform().read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let src =
            String::from_utf8(text).map_err(|_| self.corrupt(&path, "script is not UTF-8"))?;
        let loader = UserScripts { store: self, name };
        sieve::compile_with(&src, &Limits::default(), &loader)
            .map(Some)
            .map_err(|e| self.corrupt(&path, format!("script does not compile: {e}")))
    }
}

impl Store {
    /// Runs the active Sieve script of `name` over `message` and returns
    /// the delivery plan (`None` when no script is active: deliver as
    /// usual). Vacation replies decided here are recorded in the user's
    /// tracking file. What is left to the delivery channel is to carry the
    /// plan out: store `plan.stores`, send `plan.forwards` and
    /// `plan.replies` through the relay, answer `plan.refusal` (LMTP `550
    /// 5.7.1`) instead of storing.
    ///
    /// `recipient` is the envelope recipient as given (with its
    /// subaddress); `own` the user's other addresses. Dates use UTC as the
    /// local zone; `mailboxexists` sees a MessageStore account's folders
    /// (a popstore account has only INBOX).
    pub fn sieve_plan(
        &self,
        name: &AccountName,
        message: &[u8],
        mail_from: &str,
        recipient: &str,
        own: &[String],
    ) -> Result<Option<sieve::plan::Plan>> {
        let Some(script) = self.active_sieve(name)? else {
            return Ok(None);
        };
        let p = self.existing(name)?;
        let kind = match p.store_type {
            super::StoreType::Pop => sieve::plan::AccountKind::Popstore,
            super::StoreType::Imap => sieve::plan::AccountKind::MessageStore,
        };
        let msg = sieve::Message::parse(message, mail_from, recipient);
        let limits = Limits::default();
        let now = super::now();
        let is_ms = p.store_type == super::StoreType::Imap;
        let exists =
            |m: &str| m.eq_ignore_ascii_case("INBOX") || (is_ms && self.folder_exists(name, m));
        let env = sieve::Env {
            now,
            local_offset: 0,
            limits: &limits,
            mailbox_exists: &exists,
            separator: '+',
        };
        let outcome = sieve::run(&script, &msg, &env);
        let mut tracker = self.vacation_tracker(name)?;
        let plan = sieve::plan::plan(
            outcome,
            sieve::plan::Input {
                msg: &msg,
                user: sieve::vacation::User { recipient, own },
                kind,
                now,
                tracker: &mut tracker,
            },
        );
        tracker.save(now)?;
        Ok(Some(plan))
    }
}
