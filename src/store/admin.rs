//! Groups, forwardings and account deletion: the management operations
//! beyond a single profile.

use popstore_platform::{ErrorKind, LockMode};

use super::account::DeleteMode;
use super::engine::Store;
use super::error::{Result, StoreError};
use super::forward::{self, ForwardEntry, ForwardError, ForwardLookup};
use super::groups::{Actor, GroupName, GroupTree};
use super::layout;
use super::name::{AccountName, Subaddress};
use popstore_formats::forward::ForwardingDb;
use popstore_formats::groups::GroupTree as FGroupTree;
use popstore_formats::msglist::EntryFlags;

impl Store {
    /// The group tree.
    pub fn group_tree(&self) -> Result<GroupTree> {
        let f: FGroupTree = self.read_file(&layout::groups())?.unwrap_or_default();
        Ok(super::disk::groups_from(&f))
    }

    fn change_groups(
        &self,
        actor: &Actor,
        f: impl FnOnce(&mut GroupTree) -> Result<()>,
    ) -> Result<()> {
        if !actor.may_change_groups() {
            return Err(StoreError::Denied(
                "only WORLD managers change groups".into(),
            ));
        }
        let _l = self.lock(&layout::groups_lock(), LockMode::Exclusive)?;
        let old: FGroupTree = self.read_file(&layout::groups())?.unwrap_or_default();
        let mut t = super::disk::groups_from(&old);
        f(&mut t)?;
        self.write_file(&layout::groups(), &super::disk::groups_to(&t, &old))
    }

    /// Adds a group below `parent` (or at the top). WORLD managers only.
    pub fn add_group(&self, actor: &Actor, name: &str, parent: Option<&str>) -> Result<()> {
        let g = GroupName::new(name)?;
        let p = parent.map(GroupName::new).transpose()?;
        self.change_groups(actor, |t| Ok(t.add(g, p)?))
    }

    /// Moves a group below another parent (or to the top).
    pub fn move_group(&self, actor: &Actor, name: &str, parent: Option<&str>) -> Result<()> {
        let g = GroupName::new(name)?;
        let p = parent.map(GroupName::new).transpose()?;
        self.change_groups(actor, |t| Ok(t.set_parent(&g, p)?))
    }

    /// Deletes a group that has no subgroups and no accounts.
    pub fn delete_group(&self, actor: &Actor, name: &str) -> Result<()> {
        let g = GroupName::new(name)?;
        for p in self.profiles() {
            if p?.group.as_deref() == Some(g.as_str()) {
                return Err(StoreError::Invalid(format!("group {g} still has accounts")));
            }
        }
        self.change_groups(actor, |t| Ok(t.remove(&g)?))
    }

    /// The forwarding database, sorted by name.
    pub fn forwardings(&self) -> Result<Vec<ForwardEntry>> {
        let f: ForwardingDb = self.read_file(&layout::forwardings())?.unwrap_or_default();
        Ok(super::disk::forwards_from(
            &f,
            !self.settings.no_forward_override,
        ))
    }

    /// Adds or replaces a forwarding. Refused: forwarding an existing
    /// account in a no-override store, a name the actor may not manage,
    /// and a loop.
    pub fn add_forwarding(
        &self,
        actor: &Actor,
        name: &str,
        targets: &[String],
    ) -> Result<ForwardEntry> {
        let override_account = !self.settings.no_forward_override;
        let sub = Subaddress::parse(name);
        if sub.local.is_empty() || sub.detail.is_some() || targets.is_empty() {
            return Err(StoreError::Invalid(
                "a forwarding needs a name (no +detail) and at least one target".into(),
            ));
        }
        for t in targets {
            let ts = Subaddress::parse(t);
            if ts.local.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(StoreError::Invalid(format!("bad forwarding target {t:?}")));
            }
        }
        let key = sub.base();
        if let Some(a) = self.account(&key)? {
            let p = self.existing(&a)?;
            if !override_account {
                return Err(StoreError::Invalid(format!(
                    "{key} is an account and this store does not forward accounts (no-override)"
                )));
            }
            if !actor.may_manage(&self.group_tree()?, p.group_name().as_ref()) {
                return Err(StoreError::Denied(format!(
                    "account {a} is outside your group"
                )));
            }
        } else if !actor.is_world() {
            return Err(StoreError::Denied(
                "only WORLD managers forward names that are not accounts".into(),
            ));
        }
        let entry = ForwardEntry {
            name: key,
            targets: targets.iter().map(|t| t.trim().to_string()).collect(),
            override_account,
        };
        let _l = self.lock(&layout::forwardings_lock(), LockMode::Exclusive)?;
        forward::check_new_entry(self, &entry)?;
        let mut all = self.forwardings()?;
        all.retain(|e| e.name != entry.name);
        all.push(entry.clone());
        let old: ForwardingDb = self.read_file(&layout::forwardings())?.unwrap_or_default();
        self.write_file(
            &layout::forwardings(),
            &super::disk::forwards_to(&all, &old),
        )?;
        Ok(entry)
    }

    /// Removes a forwarding.
    pub fn delete_forwarding(&self, actor: &Actor, name: &str) -> Result<()> {
        let key = Subaddress::parse(name).base();
        if let Some(a) = self.account(&key)? {
            let p = self.existing(&a)?;
            if !actor.may_manage(&self.group_tree()?, p.group_name().as_ref()) {
                return Err(StoreError::Denied(format!(
                    "account {a} is outside your group"
                )));
            }
        } else if !actor.is_world() {
            return Err(StoreError::Denied(
                "only WORLD managers change forwardings of names that are not accounts".into(),
            ));
        }
        let _l = self.lock(&layout::forwardings_lock(), LockMode::Exclusive)?;
        let mut all = self.forwardings()?;
        let before = all.len();
        all.retain(|e| e.name != key);
        if all.len() == before {
            return Err(StoreError::Invalid(format!("no forwarding for {key}")));
        }
        let old: ForwardingDb = self.read_file(&layout::forwardings())?.unwrap_or_default();
        self.write_file(
            &layout::forwardings(),
            &super::disk::forwards_to(&all, &old),
        )
    }

    /// Deletes an account (or only its messages). With `return_unread`,
    /// each unread message goes back to its envelope sender through the
    /// relay first (refused when no relay is set). The references go
    /// first, then the files' counts, then the profile.
    pub fn delete_account(&self, actor: &Actor, raw: &str, mode: DeleteMode) -> Result<usize> {
        let name = self.name(raw)?;
        let p = self.existing(&name)?;
        if !actor.may_manage(&self.group_tree()?, p.group_name().as_ref()) {
            return Err(StoreError::Denied(format!(
                "account {name} is outside your group"
            )));
        }
        if name.is_default() && !mode.messages_only {
            return Err(StoreError::Invalid(
                "the default account cannot be deleted".into(),
            ));
        }
        let _s = self
            .fs
            .lock(
                &self.paths.session_lock(&name),
                LockMode::Exclusive,
                std::time::Duration::ZERO,
            )
            .map_err(|_| StoreError::InUse(name.to_string()))?;
        if mode.return_unread {
            let relay = self.relay().ok_or_else(|| {
                StoreError::Invalid(
                    "returning messages needs an SMTP relay (configure serve's relay)".into(),
                )
            })?;
            let entries = self.read_list(&name)?.entries;
            for e in entries
                .iter()
                .filter(|e| !e.flags.contains(EntryFlags::SEEN))
            {
                let v = self.open_message(e.message)?;
                if crate::dsn::must_not_return(&v.header.env_from, v.body()) {
                    continue; // never to the null sender, never a report
                }
                let dsn = super::deliver::return_notice(&name, &v);
                relay
                    .relay("", std::slice::from_ref(&v.header.env_from), &dsn)
                    .map_err(|e| StoreError::Invalid(format!("returning a message failed: {e}")))?;
            }
        }
        let removed = self.remove_messages(&name, |_| true)?;
        // A MessageStore account's folders: emptied, and with the account
        // removed.
        let in_folders = if p.store_type == super::StoreType::Imap {
            self.empty_folders(&name, !mode.messages_only)?
        } else {
            0
        };
        if !mode.messages_only {
            {
                let _l = self.lock(&self.paths.account_lock(&name), LockMode::Exclusive)?;
                for path in [
                    self.paths.message_list(&name),
                    self.paths.user(&name).message_journal(),
                    self.paths.user(&name).file("POPUIDLS", "PPU"),
                    self.paths.profile(&name),
                ] {
                    self.remove_if_there(&path)?;
                }
            }
            drop(_s);
            self.tidy_user_dir(&name);
            // After the subtree: a crash before leaves a stale entry, as
            // does a failure here (the account is gone either way).
            if let Err(e) = self.remove_share_entry(&name) {
                tracing::warn!(account = %name, error = %e, "share index: a stale entry is left");
            }
        }
        Ok(removed.len() + in_folders)
    }

    pub(crate) fn remove_if_there(&self, path: &popstore_formats::path::StorePath) -> Result<()> {
        match self.fs.remove(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes what is left of a deleted or renamed account's subtree:
    /// its lock files, then the directory when it is empty. Best effort: a
    /// process still waiting on a lock may recreate a lock file, which the
    /// next delete or `verify --repair` removes.
    pub(crate) fn tidy_user_dir(&self, name: &AccountName) {
        let _ = self.remove_if_there(&self.paths.session_lock(name));
        let _ = self.remove_if_there(&self.paths.account_lock(name));
        let _ = self.fs.remove_dir(&self.paths.user_dir(name));
    }
}

/// A store error met while resolving a recipient: temporary, and its
/// text (which may name host paths) is for the log only.
fn unavailable(e: StoreError) -> ForwardError {
    ForwardError::Unavailable(e.to_string())
}

impl ForwardLookup for Store {
    fn forwarding(&self, key: &str) -> std::result::Result<Option<ForwardEntry>, ForwardError> {
        Ok(self
            .forwardings()
            .map_err(unavailable)?
            .into_iter()
            .find(|e| e.name == key))
    }

    fn account(&self, address: &str) -> std::result::Result<Option<AccountName>, ForwardError> {
        let Ok((cands, _)) = self.rules.candidates(address) else {
            return Ok(None); // not a valid name: no such account
        };
        let sub = Subaddress::parse(address);
        let local = match &sub.domain {
            None => true,
            Some(d) => self.is_local_domain(d)?,
        };
        for c in cands {
            // In a domain not delivered here, only an account named by
            // that full address (address style, user domains).
            if !local && c.domain() != sub.domain.as_deref() {
                continue;
            }
            if self.profile(&c).map_err(unavailable)?.is_some() {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    fn is_local_domain(&self, domain: &str) -> std::result::Result<bool, ForwardError> {
        let d = domain.to_ascii_lowercase();
        if d == "localhost"
            || self
                .settings
                .local_domains
                .iter()
                .any(|l| l == "*" || l.eq_ignore_ascii_case(&d))
        {
            return Ok(true);
        }
        if !self.rules.user_domains || self.rules.account(&format!("default@{d}")).is_err() {
            return Ok(false);
        }
        let template = AccountName::from_stored(&format!("default@{d}"));
        Ok(self.profile(&template).map_err(unavailable)?.is_some())
    }
}
