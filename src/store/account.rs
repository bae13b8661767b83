//! Account profiles and the operations on them: create (from the
//! template), copy, rename, update, show, list, password and accounting.

use popstore_formats::StoreFile;
use popstore_formats::profile::Profile as FProfile;
use popstore_platform::{DirPath, Entry, ErrorKind, LockMode, RecordFormat};
use serde::Serialize;

use super::engine::{Store, now};
use super::error::{Result, StoreError};
use super::flags::{FlagChange, Flags};
use super::groups::{Actor, GroupName};
use super::name::AccountName;
use super::password::{Secret, argon2id_check};
use super::quota::Quota;
use super::units::SizeLimit;

/// Which store an account's mail lives in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum StoreType {
    /// popstore: one message list, served by POP3.
    #[default]
    Pop,
    /// MessageStore: folders, served by IMAP4 (and POP3 for INBOX).
    Imap,
}

/// An account profile: the engine's view of the profile file (SPEC.md
/// section 6); what it does not model is kept in `raw` and written back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The account name, lower case.
    pub name: String,
    /// The owner (full name).
    pub owner: String,
    /// The management group; `None` is no group.
    pub group: Option<String>,
    /// The store type.
    pub store_type: StoreType,
    /// The flags (see [`Flags`]).
    pub flags: u32,
    /// Site-defined private data.
    pub private: String,
    /// The argon2id verifier (PHC string); `None` when no password is set.
    #[serde(skip)]
    pub password: Option<String>,
    /// The password is expired (must be changed at next login).
    pub pwd_expired: bool,
    /// Primary quota in bytes; `None` unlimited.
    pub quota: Option<u32>,
    /// The most messages the account may hold (RES-MESSAGE); `None`
    /// unlimited.
    pub message_limit: Option<u64>,
    /// Overdraft in bytes; `None` zero.
    pub overdraft: Option<u32>,
    /// Creation time (seconds since 1970).
    pub created: i64,
    /// Last password change; 0 never.
    pub last_pwd_change: i64,
    /// Last connect; 0 never.
    pub last_connect: i64,
    /// Last disconnect; 0 never.
    pub last_disconnect: i64,
    /// Total connect time in seconds.
    pub connect_time: u64,
    /// Total connections.
    pub connections: u64,
    /// Vacation notice text, when on.
    pub vacation: Option<String>,
    /// The active Sieve script's name.
    pub sieve_script: Option<String>,
    /// Messages held (kept equal to the message list by the engine).
    pub message_count: u64,
    /// Bytes held (kept equal to the message list by the engine).
    pub quota_used: u64,
    /// Messages ever received.
    pub received_messages: u64,
    /// Bytes ever received.
    pub received_bytes: u64,
    /// The profile file as read, for what the engine does not model.
    #[serde(skip)]
    pub raw: Option<Box<FProfile>>,
}

impl Profile {
    /// The built-in template used when the store has no `default` account.
    pub fn template(name: &AccountName, store_type: StoreType) -> Profile {
        Profile {
            name: name.as_str().to_string(),
            owner: String::new(),
            group: None,
            store_type,
            flags: 0,
            private: String::new(),
            password: None,
            pwd_expired: false,
            quota: None,
            message_limit: None,
            overdraft: None,
            created: now(),
            last_pwd_change: 0,
            last_connect: 0,
            last_disconnect: 0,
            connect_time: 0,
            connections: 0,
            vacation: None,
            sieve_script: None,
            message_count: 0,
            quota_used: 0,
            received_messages: 0,
            received_bytes: 0,
            raw: None,
        }
    }

    /// The flags.
    pub fn flags(&self) -> Flags {
        Flags(self.flags)
    }

    /// The quota limits.
    pub fn quota(&self) -> Quota {
        Quota {
            primary: self.quota,
            overdraft: self.overdraft,
        }
    }

    /// The group as a name (`None` for no group or a damaged name).
    pub fn group_name(&self) -> Option<GroupName> {
        self.group.as_deref().and_then(|g| GroupName::new(g).ok())
    }
}

/// Settings to give an account; `None` leaves a field as it is (on create:
/// as the template has it).
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// New owner.
    pub owner: Option<String>,
    /// New group (`Some(None)`: no group).
    pub group: Option<Option<GroupName>>,
    /// New primary quota.
    pub quota: Option<SizeLimit>,
    /// New overdraft.
    pub overdraft: Option<SizeLimit>,
    /// New message limit (`Some(None)`: none).
    pub message_limit: Option<Option<u64>>,
    /// Flags to set and clear.
    pub flags: Option<FlagChange>,
    /// New store type.
    pub store_type: Option<StoreType>,
    /// New private data.
    pub private: Option<String>,
    /// New password.
    pub password: Option<Secret>,
    /// Which verifiers a new password gets besides argon2id (default:
    /// SCRAM-SHA-256 too). Verifiers of the old password are always dropped.
    pub verifiers: Option<crate::auth::VerifierOptions>,
    /// Mark the password expired or not.
    pub pwd_expired: Option<bool>,
}

/// What `show` and `list` report: the profile without its verifier, the
/// counts from the message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccountInfo {
    /// The account name.
    pub name: String,
    /// The owner.
    pub owner: String,
    /// The group.
    pub group: Option<String>,
    /// The store type.
    pub store_type: StoreType,
    /// Flag names.
    pub flags: Vec<String>,
    /// Private data.
    pub private: String,
    /// A password is set.
    pub has_password: bool,
    /// The password is expired.
    pub pwd_expired: bool,
    /// Quota in bytes; `null` unlimited.
    pub quota: Option<u32>,
    /// Overdraft in bytes; `null` none.
    pub overdraft: Option<u32>,
    /// The most messages the account may hold (IMAP RES-MESSAGE); left
    /// out when unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_limit: Option<u64>,
    /// Messages held.
    pub messages: u64,
    /// Bytes held.
    pub usage: u64,
    /// Messages ever received.
    pub received_messages: u64,
    /// Bytes ever received.
    pub received_bytes: u64,
    /// Creation time.
    pub created: i64,
    /// Last password change.
    pub last_pwd_change: i64,
    /// Last connect.
    pub last_connect: i64,
    /// Last disconnect.
    pub last_disconnect: i64,
    /// Total connect time in seconds.
    pub connect_time: u64,
    /// Total connections.
    pub connections: u64,
}

/// What [`Store::delete_account`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeleteMode {
    /// Remove the messages only; keep the account.
    pub messages_only: bool,
    /// Return unread messages to their senders (through the relay).
    pub return_unread: bool,
}

impl Store {
    /// Validates an account name by the store's rules.
    pub fn name(&self, raw: &str) -> Result<AccountName> {
        Ok(self.rules.account(raw)?)
    }

    /// Reads a profile; `None` when the account does not exist.
    pub fn profile(&self, name: &AccountName) -> Result<Option<Profile>> {
        Ok(self
            .read_file::<FProfile>(&self.paths.profile(name))?
            .map(super::disk::profile_from))
    }

    /// Replaces an account's profile (atomic, durable).
    pub(crate) fn write_profile(&self, p: &Profile) -> Result<()> {
        let _timer = crate::metrics::op_timer("profile_write");
        let name = AccountName::from_stored(&p.name);
        self.write_file(&self.paths.profile(&name), &super::disk::profile_to(p))
    }

    /// Reads a profile that must exist.
    pub fn existing(&self, name: &AccountName) -> Result<Profile> {
        self.profile(name)?
            .ok_or_else(|| StoreError::UnknownAccount(name.to_string()))
    }

    pub(crate) fn write_new_profile(&self, p: &Profile) -> Result<()> {
        let name = AccountName::from_stored(&p.name);
        let path = self.paths.profile(&name);
        self.fs.create_dir_all(&self.paths.user_dir(&name))?;
        let bytes = super::disk::profile_to(p)
            .encode()
            .map_err(|e| StoreError::Invalid(format!("cannot encode the profile: {e}")))?;
        match self.fs.create_new(&path, RecordFormat::Var, &bytes) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                Err(StoreError::AccountExists(p.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The account `raw` names, when `actor` may manage it (its group is
    /// within the manager's reach); for tools that act on an account's
    /// folders, scripts and messages.
    pub fn managed_account(&self, actor: &Actor, raw: &str) -> Result<AccountName> {
        let name = self.name(raw)?;
        let p = self.existing(&name)?;
        self.check_reach(actor, &p)?;
        Ok(name)
    }

    fn check_reach(&self, actor: &Actor, p: &Profile) -> Result<()> {
        if actor.may_manage(&self.group_tree()?, p.group_name().as_ref()) {
            Ok(())
        } else {
            Err(StoreError::Denied(format!(
                "account {} is outside your group",
                p.name
            )))
        }
    }

    /// Applies changes to a profile in memory, checking groups and reach.
    fn apply(&self, actor: &Actor, p: &mut Profile, ch: &AccountChanges) -> Result<()> {
        if let Some(o) = &ch.owner {
            p.owner = o.clone();
        }
        if let Some(g) = &ch.group {
            let tree = self.group_tree()?;
            if let Some(g) = g
                && !tree.contains(g)
            {
                return Err(super::groups::GroupError::Unknown(g.to_string()).into());
            }
            if !actor.may_manage(&tree, g.as_ref()) {
                return Err(StoreError::Denied(format!(
                    "group {} is outside your group",
                    g.as_ref().map_or("(none)", |g| g.as_str())
                )));
            }
            p.group = g.as_ref().map(|g| g.to_string());
        }
        if let Some(q) = ch.quota {
            p.quota = q.bytes();
        }
        if let Some(o) = ch.overdraft {
            p.overdraft = o.bytes();
        }
        if let Some(m) = ch.message_limit {
            p.message_limit = m;
        }
        if let Some(f) = ch.flags {
            p.flags = f.apply(Flags(p.flags)).0;
        }
        if let Some(t) = ch.store_type {
            p.store_type = t;
        }
        if let Some(pr) = &ch.private {
            p.private = pr.clone();
        }
        if let Some(pw) = &ch.password {
            set_verifiers(p, pw, &ch.verifiers.clone().unwrap_or_default())?;
        }
        if let Some(x) = ch.pwd_expired {
            p.pwd_expired = x;
        }
        Ok(())
    }

    /// Creates an account: every setting not given is copied from the
    /// template (`default`, or `default@DOMAIN` with user domains).
    pub fn create_account(&self, actor: &Actor, raw: &str, ch: &AccountChanges) -> Result<Profile> {
        let name = self.name(raw)?;
        let template = self.rules.default_for(&name);
        let mut p = match self.profile(&template)? {
            Some(t) if t.name != name.as_str() => t,
            _ => Profile::template(&name, StoreType::Pop),
        };
        p.name = name.as_str().to_string();
        p.password = None;
        p.raw = None;
        p.message_count = 0;
        p.quota_used = 0;
        p.received_messages = 0;
        p.received_bytes = 0;
        p.created = now();
        p.last_pwd_change = 0;
        p.last_connect = 0;
        p.last_disconnect = 0;
        p.connect_time = 0;
        p.connections = 0;
        self.apply(actor, &mut p, ch)?;
        self.check_reach(actor, &p)?;
        self.write_new_profile(&p)?;
        if p.store_type == StoreType::Imap {
            let _l = self.lock(&self.paths.account_lock(&name), LockMode::Exclusive)?;
            self.init_folders_locked(&name)?;
        }
        Ok(p)
    }

    /// Reads, changes and rewrites one account's profile under its lock,
    /// atomically (one replace).
    pub fn modify_account(&self, actor: &Actor, raw: &str, ch: &AccountChanges) -> Result<Profile> {
        let name = self.name(raw)?;
        self.existing(&name)?; // before locking: the lock lives beside it
        let _l = self.lock(&self.paths.account_lock(&name), LockMode::Exclusive)?;
        let mut p = self.existing(&name)?;
        self.check_reach(actor, &p)?;
        self.apply(actor, &mut p, ch)?;
        self.write_profile(&p)?;
        Ok(p)
    }

    /// Copies an account's settings (not its messages, password or
    /// accounting) to a new account.
    pub fn copy_account(&self, actor: &Actor, from: &str, to: &str) -> Result<Profile> {
        let src = self.existing(&self.name(from)?)?;
        self.check_reach(actor, &src)?;
        let name = self.name(to)?;
        let mut p = Profile::template(&name, src.store_type);
        p.owner = src.owner.clone();
        p.group = src.group.clone();
        p.flags = src.flags;
        p.private = src.private.clone();
        p.quota = src.quota;
        p.overdraft = src.overdraft;
        p.vacation = src.vacation.clone();
        p.sieve_script = src.sieve_script.clone();
        self.write_new_profile(&p)?;
        Ok(p)
    }

    /// Renames a popstore account, keeping its messages and Sieve
    /// scripts. Order: the new profile is created (exclusive), the message
    /// list and the scripts copied, the old ones removed, the old profile
    /// last; a crash in between leaves both profiles, which `verify`
    /// reports (no message is lost: both lists keep theirs). A
    /// MessageStore account is refused: its folders would have to move
    /// with every session closed, which is not built yet.
    pub fn rename_account(&self, actor: &Actor, from: &str, to: &str) -> Result<Profile> {
        let old = self.name(from)?;
        let new = self.name(to)?;
        if old == new {
            return Err(StoreError::Invalid("old and new names are the same".into()));
        }
        if old.is_default() {
            return Err(StoreError::Invalid(
                "the default account cannot be renamed".into(),
            ));
        }
        let _s = self
            .fs
            .lock(
                &self.paths.session_lock(&old),
                LockMode::Exclusive,
                std::time::Duration::ZERO,
            )
            .map_err(|_| StoreError::InUse(old.to_string()))?;
        let _l = self.lock(&self.paths.account_lock(&old), LockMode::Exclusive)?;
        let mut p = self.existing(&old)?;
        self.check_reach(actor, &p)?;
        if p.store_type == StoreType::Imap {
            return Err(StoreError::Invalid(format!(
                "{old} is a MessageStore account: renaming one is not supported yet \
                 (its folders would stay under the old name)"
            )));
        }
        p.name = new.as_str().to_string();
        // The list moves folded: the new name gets one list, no journal.
        let l = self.load_list(&old)?;
        if l.journal.valid {
            p.message_count = l.list.entries.len() as u64;
            p.quota_used = l.list.entries.iter().map(|e| e.size).sum();
            p.received_messages += l.journal.entries;
            p.received_bytes += l.journal.bytes;
        }
        self.write_new_profile(&p)?;
        let from_list = self.paths.message_list(&old);
        if self.fs.stat(&from_list)?.is_some() || l.journal.valid {
            self.write_file(&self.paths.message_list(&new), &l.list)?;
            self.remove_if_there(&from_list)?;
        }
        if l.journal.present {
            self.remove_journal(&old)?;
        }
        self.move_sieve_scripts(&old, &new)?;
        // The vacation replies' memory does not move: the new name answers
        // each sender once more.
        self.remove_if_there(&self.paths.user(&old).vacation_state())?;
        self.fs.remove(&self.paths.profile(&old))?;
        drop(_l);
        drop(_s);
        self.tidy_user_dir(&old);
        Ok(p)
    }

    /// Sets an account's password (managers; LOCKPWD does not stop them).
    pub fn set_password(&self, actor: &Actor, raw: &str, pw: &Secret) -> Result<()> {
        self.set_password_with(actor, raw, pw, None)
    }

    /// Sets an account's password with the verifiers `options` ask for
    /// (`None`: argon2id and SCRAM-SHA-256); the old password's verifiers
    /// are all dropped.
    pub fn set_password_with(
        &self,
        actor: &Actor,
        raw: &str,
        pw: &Secret,
        options: Option<crate::auth::VerifierOptions>,
    ) -> Result<()> {
        let ch = AccountChanges {
            password: Some(pw.clone()),
            verifiers: options,
            ..AccountChanges::default()
        };
        self.modify_account(actor, raw, &ch).map(|_| ())
    }

    /// A user changing their own password: refused for LOCKPWD and
    /// PWD_ELSEWHERE accounts and when the old password is wrong.
    pub fn change_own_password(&self, raw: &str, old: &Secret, new: &Secret) -> Result<()> {
        let p = self.authenticate(raw, old)?;
        if p.flags().contains(Flags::LOCKPWD) {
            return Err(StoreError::Denied(
                "the password is locked (LOCKPWD)".into(),
            ));
        }
        self.set_password(&Actor::Admin, raw, new)
    }

    /// Checks a password against the profile's verifier; refuses DISUSER
    /// and PWD_ELSEWHERE accounts and unknown accounts alike with
    /// [`StoreError::Denied`].
    pub fn authenticate(&self, raw: &str, pw: &Secret) -> Result<Profile> {
        let denied = || StoreError::Denied("authentication failed".into());
        let name = self.name(raw).map_err(|_| denied())?;
        let p = self.profile(&name)?.ok_or_else(denied)?;
        let f = p.flags();
        if f.contains(Flags::DISUSER) || f.contains(Flags::PWD_ELSEWHERE) {
            return Err(denied());
        }
        match &p.password {
            Some(v) if argon2id_check(v, pw) => Ok(p),
            _ => Err(denied()),
        }
    }

    /// Logs a MANAGE account in (`--as NAME`): the actor its rights give.
    pub fn manager(&self, raw: &str, pw: &Secret) -> Result<Actor> {
        let p = self.authenticate(raw, pw)?;
        if !p.flags().contains(Flags::MANAGE) {
            return Err(StoreError::Denied(format!(
                "{} is not a MANAGE account",
                p.name
            )));
        }
        Ok(Actor::Manager {
            name: p.name.clone(),
            group: p.group_name(),
        })
    }

    /// What `show` reports for one account the actor may manage.
    pub fn show_account(&self, actor: &Actor, raw: &str) -> Result<AccountInfo> {
        let p = self.existing(&self.name(raw)?)?;
        self.check_reach(actor, &p)?;
        self.info(p)
    }

    pub(crate) fn info(&self, p: Profile) -> Result<AccountInfo> {
        let name = AccountName::from_stored(&p.name);
        let l = self.load_list(&name)?;
        let entries = l.list.entries;
        let mut usage: u64 = entries.iter().map(|e| e.size).sum();
        let mut messages = entries.len() as u64;
        if p.store_type == StoreType::Imap {
            // Every folder counts.
            for f in self.list_folders(&name, "*", false)? {
                if !f.noselect {
                    let f = self.open_folder(&name, &f.name)?;
                    messages += f.len() as u64;
                    usage += f.bytes();
                }
            }
        }
        // Deliveries still in the journal are not in the profile yet.
        let (jm, jb) = if l.journal.valid {
            (l.journal.entries, l.journal.bytes)
        } else {
            (0, 0)
        };
        Ok(AccountInfo {
            flags: p.flags().names(),
            has_password: p.password.is_some(),
            messages,
            usage,
            received_messages: p.received_messages + jm,
            received_bytes: p.received_bytes + jb,
            name: p.name,
            owner: p.owner,
            group: p.group,
            store_type: p.store_type,
            private: p.private,
            pwd_expired: p.pwd_expired,
            quota: p.quota,
            overdraft: p.overdraft,
            message_limit: p.message_limit,
            created: p.created,
            last_pwd_change: p.last_pwd_change,
            last_connect: p.last_connect,
            last_disconnect: p.last_disconnect,
            connect_time: p.connect_time,
            connections: p.connections,
        })
    }

    /// Every profile in the store, streaming: walks the hashed tree of
    /// each users root one directory at a time (no central list). Damaged
    /// profiles come out as errors and the walk goes on.
    pub fn profiles(&self) -> impl Iterator<Item = Result<Profile>> + '_ {
        self.walk_profiles(None)
    }

    /// The profiles whose names may match `pattern`, streaming. A user
    /// subtree's name is the account's name encoded (SPEC 14.3), so the
    /// subtrees whose names decode to a name the pattern does not match
    /// are passed without being read; the hashed form of a long name
    /// cannot be decoded and its profile is read. The caller still
    /// matches each profile's name.
    pub fn profiles_matching(
        &self,
        pattern: super::name::Pattern,
    ) -> impl Iterator<Item = Result<Profile>> + '_ {
        self.walk_profiles((!pattern.matches_all()).then_some(pattern))
    }

    fn walk_profiles(
        &self,
        names: Option<super::name::Pattern>,
    ) -> impl Iterator<Item = Result<Profile>> + '_ {
        ProfileWalk {
            store: self,
            stack: self
                .paths
                .layout
                .user_roots
                .iter()
                .rev()
                .map(|&r| (super::layout::users_dir_on(r), 0))
                .collect(),
            levels: usize::from(self.paths.layout.fanout.levels),
            names,
        }
    }

    /// The accounts matching `pattern` (wildcards `*` and `%`) that the
    /// actor may manage, streaming.
    pub fn list_accounts<'a>(
        &'a self,
        actor: &'a Actor,
        pattern: &str,
    ) -> Result<impl Iterator<Item = Result<AccountInfo>> + 'a> {
        let pat = super::name::Pattern::new(pattern);
        let tree = self.group_tree()?;
        Ok(self
            .profiles_matching(pat.clone())
            .filter_map(move |r| match r {
                Err(e) => Some(Err(e)),
                Ok(p) => (pat.matches(&p.name) && actor.may_manage(&tree, p.group_name().as_ref()))
                    .then(|| self.info(p)),
            }))
    }

    /// The names of the accounts a wildcard (or a plain name) denotes for
    /// this actor. A plain name is returned as it is (its reach is checked
    /// by the operation).
    pub fn expand(&self, actor: &Actor, pattern: &str) -> Result<Vec<String>> {
        if !super::name::Pattern::is_wild(pattern) {
            return Ok(vec![self.name(pattern)?.to_string()]);
        }
        let mut out = Vec::new();
        for i in self.list_accounts(actor, pattern)? {
            out.push(i?.name);
        }
        out.sort();
        Ok(out)
    }

    /// Records a finished session's accounting (connections, connect time,
    /// last connect and disconnect).
    pub fn record_session(
        &self,
        name: &AccountName,
        connected: i64,
        disconnected: i64,
    ) -> Result<()> {
        let _l = self.lock(&self.paths.account_lock(name), LockMode::Exclusive)?;
        let mut p = self.existing(name)?;
        p.connections += 1;
        p.connect_time += (disconnected - connected).max(0) as u64;
        p.last_connect = connected;
        p.last_disconnect = disconnected;
        self.write_profile(&p)
    }
}

/// Replaces every verifier of a profile with those made from `pw`
/// (argon2id always; the others as `options` says; the auth module makes
/// them), so no verifier of an old password survives.
fn set_verifiers(
    p: &mut Profile,
    pw: &Secret,
    options: &crate::auth::VerifierOptions,
) -> Result<()> {
    let v = crate::auth::Verifiers::from_password(
        &crate::auth::Secret::new(pw.expose().to_string()),
        options,
    )
    .map_err(|e| StoreError::Invalid(e.to_string()))?;
    p.password = v.argon2id.clone();
    p.last_pwd_change = now();
    p.pwd_expired = false;
    let raw_profile = p.raw.get_or_insert_with(Default::default);
    crate::auth::stored::verifiers_to_profile(&v, &mut raw_profile.verifiers);
    let mut flags = Flags(p.flags);
    flags.set(
        Flags(popstore_formats::profile::AccountFlags::APOP.0),
        v.apop.is_some(),
    );
    p.flags = flags.0;
    Ok(())
}

/// The depth-first walk behind [`Store::profiles`]: fanout directories,
/// then each user subtree's `ACCOUNT.PRF`, read without listing the
/// subtree (a subtree without one, being made or removed, is passed).
struct ProfileWalk<'a> {
    store: &'a Store,
    stack: Vec<(DirPath, usize)>,
    levels: usize,
    /// Subtrees whose decoded names this does not match are passed.
    names: Option<super::name::Pattern>,
}

impl Iterator for ProfileWalk<'_> {
    type Item = Result<Profile>;

    fn next(&mut self) -> Option<Result<Profile>> {
        loop {
            let (dir, depth) = self.stack.pop()?;
            if depth > self.levels {
                let path = dir.file(
                    popstore_formats::path::Ods2Name::new("ACCOUNT")
                        .unwrap_or_else(|_| unreachable!()),
                    popstore_formats::path::Ods2Name::new("PRF").unwrap_or_else(|_| unreachable!()),
                );
                match self.store.read_file::<FProfile>(&path) {
                    Ok(Some(f)) => return Some(Ok(super::disk::profile_from(f))),
                    Ok(None) => continue,
                    Err(e) => return Some(Err(e)),
                }
            }
            let entries = match self.store.fs.list(&dir) {
                Ok(v) => v,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Some(Err(e.into())),
            };
            for e in entries.into_iter().rev() {
                let Entry::Dir(d) = e else { continue };
                if depth == self.levels
                    && let Some(pat) = &self.names
                    && let Some(name) = popstore_formats::layout::decode_name(&d)
                    && !pat.matches(&name)
                {
                    continue;
                }
                self.stack.push((dir.child(d), depth + 1));
            }
        }
    }
}
