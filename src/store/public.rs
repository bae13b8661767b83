//! The public folders (SPEC.md 9.2): a store-wide tree of folders outside
//! every user's subtree, in `[PUBLIC]` on the first users root, owned by
//! the pseudo-account [`PUBLIC_ACCOUNT`] and kept by the folder engine as
//! a MessageStore account's folders are (the engine takes the account as
//! a parameter; this one is the public tree).
//!
//! - MANAGE accounts make and change them: the administrator and WORLD
//!   managers every public folder; a group's manager the folders whose
//!   ACL gives it the `a` right (itself, or through `$group`), or gives
//!   `a` to an account or a `$group` within its group; it may create a
//!   top-level folder, or one below a folder it manages, and gets every
//!   right on it.
//! - A new folder inherits the ACL of the nearest existing folder above it
//!   (RFC 4314 4, CREATE).
//! - Folder 1 of the tree (INBOX) is not a public folder: not listed, not
//!   created, renamed or delivered to.
//! - The tree's quota is the pseudo-account's profile quota: none unless
//!   set ([`Store::set_public_quota`]).
//!
//! Delivery to `post+folder` is in `deliver_public`.

use popstore_formats::mailboxes::{MailboxList, SpecialUse};

pub use popstore_formats::layout::PUBLIC_ACCOUNT;

use super::account::{Profile, StoreType};
use super::acl::{self, Identifier, Rights, RightsChange, Subject};
use super::engine::Store;
use super::error::{Result, StoreError};
use super::folder_name::FolderName;
use super::folder_tree;
use super::folders::{Folder, FolderListing};
use super::groups::Actor;
use super::name::AccountName;
use super::shared::{AclListing, entries_of, nearest_above};

/// The default local part of the public folders' posting address
/// (`post+folder@domain`, PMDF's form).
pub const DEFAULT_POST_NAME: &str = "post";

/// The public folders' pseudo-account.
pub fn public_account() -> AccountName {
    AccountName::from_stored(PUBLIC_ACCOUNT)
}

/// True when `a` is the public folders' pseudo-account.
pub fn is_public(a: &AccountName) -> bool {
    a.as_str() == PUBLIC_ACCOUNT
}

/// One public folder as `popstore public list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicFolder {
    /// The folder.
    #[serde(flatten)]
    pub folder: FolderListing,
    /// Its ACL.
    pub acl: Vec<AclListing>,
}

/// Refuses INBOX and names below it: the tree's INBOX is no public folder.
fn check_name(name: &FolderName) -> Result<()> {
    let top = name.as_str().split('/').next().unwrap_or_default();
    if top.eq_ignore_ascii_case("INBOX") {
        return Err(StoreError::Invalid(
            "INBOX is not a public folder name".into(),
        ));
    }
    Ok(())
}

impl Store {
    /// The local part mail to a public folder is addressed with
    /// (`post+folder@domain`).
    pub fn public_post_name(&self) -> &str {
        &self.public_post
    }

    /// Sets the posting name (`[store] public_post_name`).
    pub fn set_public_post_name(&mut self, name: &str) {
        self.public_post = name.trim().to_lowercase();
    }

    /// True once the public tree exists (its first folder made).
    pub fn public_tree_exists(&self) -> Result<bool> {
        Ok(self.profile(&public_account())?.is_some())
    }

    /// Makes the public tree (profile and mailbox list) when it has none.
    fn ensure_public(&self) -> Result<AccountName> {
        if !self.paths.layout.folder_journal {
            // SPEC.md 9.2: readers that would take the tree for strays
            // refuse such a store; they open an older one.
            return Err(StoreError::Invalid(
                "public folders need a store with the folder-journal feature (made by \
                 `popstore init` of this version)"
                    .into(),
            ));
        }
        let acct = public_account();
        if self.profile(&acct)?.is_none() {
            let mut p = Profile::template(&acct, StoreType::Imap);
            p.owner = "Public folders".into();
            match self.write_new_profile(&p) {
                Ok(()) | Err(StoreError::AccountExists(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.mailbox_list(&acct)?;
        Ok(acct)
    }

    /// The public mailbox list, or none when there is no tree yet.
    fn public_list(&self) -> Result<Option<MailboxList>> {
        if !self.public_tree_exists()? {
            return Ok(None);
        }
        self.mailbox_list(&public_account()).map(Some)
    }

    /// True when `actor` may manage public folder `id` of `list` (see the
    /// module documentation).
    fn may_manage_public(&self, actor: &Actor, list: &MailboxList, id: u32) -> Result<bool> {
        let (name, group) = match actor {
            Actor::Admin | Actor::Manager { group: None, .. } => return Ok(true),
            Actor::Manager {
                name,
                group: Some(g),
            } => (name, g),
        };
        let tree = self.group_tree()?;
        let entries = entries_of(list, id);
        let mine = acl::rights(
            &entries,
            None,
            Some(name),
            &acl::memberships(&tree, Some(group)),
        );
        if mine.contains(Rights::ADMIN) {
            return Ok(true);
        }
        for e in &entries {
            let Ok(ident) = Identifier::parse(&e.identifier) else {
                continue;
            };
            if ident.negative || !Rights::from_stored(&e.rights).contains(Rights::ADMIN) {
                continue;
            }
            let within = match &ident.subject {
                Subject::Anyone => false,
                Subject::Group(h) => tree.is_within(h, group),
                Subject::User(u) => self
                    .profile(&AccountName::from_stored(u))?
                    .is_some_and(|p| actor.may_manage(&tree, p.group_name().as_ref())),
            };
            if within {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The id of public folder `name` when `actor` may manage it.
    fn managed_public(&self, actor: &Actor, name: &FolderName) -> Result<u32> {
        check_name(name)?;
        let list = self
            .public_list()?
            .ok_or_else(|| folder_tree::FolderError::NotFound(name.to_string()))?;
        let id = folder_tree::find(&list, name)
            .ok_or_else(|| folder_tree::FolderError::NotFound(name.to_string()))?
            .folder_id;
        if !self.may_manage_public(actor, &list, id)? {
            return Err(StoreError::Denied(format!(
                "public folder {name} is outside your group"
            )));
        }
        Ok(id)
    }

    /// The public folders matching the LIST `pattern` that `actor` may
    /// manage, with their ACLs (INBOX left out).
    pub fn list_public_folders(&self, actor: &Actor, pattern: &str) -> Result<Vec<PublicFolder>> {
        let Some(list) = self.public_list()? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for f in self.list_folders(&public_account(), pattern, false)? {
            if f.id == 1 || f.name.is_inbox() || !self.may_manage_public(actor, &list, f.id)? {
                continue;
            }
            let acl = entries_of(&list, f.id)
                .into_iter()
                .map(|e| AclListing {
                    identifier: e.identifier,
                    rights: Rights::from_stored(&e.rights),
                })
                .collect();
            out.push(PublicFolder { folder: f, acl });
        }
        Ok(out)
    }

    /// Creates public folder `name` (and the levels above it that are
    /// missing), each inheriting the ACL of the nearest folder above; a
    /// group manager may create at the top or below a folder it manages,
    /// and gets every right on what it makes. Returns the folder's id.
    pub fn create_public_folder(&self, actor: &Actor, name: &FolderName) -> Result<u32> {
        check_name(name)?;
        let acct = self.ensure_public()?;
        let list = self.mailbox_list(&acct)?;
        let above = nearest_above(&list, name);
        if let Some(up) = above
            && !self.may_manage_public(actor, &list, up)?
        {
            return Err(StoreError::Denied(format!(
                "the folder above {name} is outside your group"
            )));
        }
        let mut extra = Vec::new();
        if let Actor::Manager {
            name: m,
            group: Some(_),
        } = actor
        {
            extra.push((m.clone(), Rights::ALL));
        }
        self.create_folder_inheriting(&acct, name, SpecialUse::NONE, &extra)
    }

    /// Deletes public folder `name` and its messages (with `recursive`,
    /// its subfolders too, each of which the actor must manage).
    pub fn delete_public_folder(
        &self,
        actor: &Actor,
        name: &FolderName,
        recursive: bool,
    ) -> Result<Vec<u32>> {
        self.managed_public(actor, name)?;
        if recursive {
            let below = format!("{}/*", name.as_str());
            for f in self.list_folders(&public_account(), &below, false)? {
                self.managed_public(actor, &f.name)?;
            }
        }
        self.delete_folder(&public_account(), name, recursive)
    }

    /// Renames public folder `from` (and its subfolders) to `to`; a group
    /// manager must manage `from` and the nearest folder above `to`.
    pub fn rename_public_folder(
        &self,
        actor: &Actor,
        from: &FolderName,
        to: &FolderName,
    ) -> Result<()> {
        check_name(to)?;
        self.managed_public(actor, from)?;
        let list = self.mailbox_list(&public_account())?;
        if let Some(up) = nearest_above(&list, to)
            && !self.may_manage_public(actor, &list, up)?
        {
            return Err(StoreError::Denied(format!(
                "the folder above {to} is outside your group"
            )));
        }
        self.rename_folder(&public_account(), from, to)
    }

    /// Opens public folder `name` for `popstore public show`.
    pub fn open_public_folder(&self, actor: &Actor, name: &FolderName) -> Result<Folder> {
        self.managed_public(actor, name)?;
        self.open_folder(&public_account(), name)
    }

    /// The ACL of public folder `name`.
    pub fn public_acl(&self, actor: &Actor, name: &FolderName) -> Result<Vec<AclListing>> {
        self.managed_public(actor, name)?;
        self.folder_acl(&public_account(), name)
    }

    /// Changes the rights of `identifier` on public folder `name`.
    pub fn set_public_acl(
        &self,
        actor: &Actor,
        name: &FolderName,
        identifier: &str,
        change: RightsChange,
    ) -> Result<Rights> {
        self.managed_public(actor, name)?;
        self.set_folder_acl(&public_account(), name, identifier, change)
    }

    /// Removes the entry of `identifier` from public folder `name`'s ACL.
    pub fn delete_public_acl(
        &self,
        actor: &Actor,
        name: &FolderName,
        identifier: &str,
    ) -> Result<bool> {
        self.managed_public(actor, name)?;
        self.delete_folder_acl(&public_account(), name, identifier)
    }

    /// MYRIGHTS on a public folder: the rights of `user` (`None`: no
    /// account here) in public folder `name`.
    pub fn public_rights(&self, name: &FolderName, user: Option<&AccountName>) -> Result<Rights> {
        check_name(name)?;
        if !self.public_tree_exists()? {
            return Err(folder_tree::FolderError::NotFound(name.to_string()).into());
        }
        self.folder_rights(&public_account(), name, user)
    }

    /// Sets the quota of the whole public tree (`None`: none, the
    /// default). The administrator and WORLD managers only.
    pub fn set_public_quota(&self, actor: &Actor, quota: Option<u32>) -> Result<()> {
        if !actor.is_world() {
            return Err(StoreError::Denied(
                "only WORLD managers set the public folders' quota".into(),
            ));
        }
        let acct = self.ensure_public()?;
        let _l = self.lock(
            &self.paths.account_lock(&acct),
            popstore_platform::LockMode::Exclusive,
        )?;
        let mut p = self.existing(&acct)?;
        p.quota = quota;
        self.write_profile(&p)
    }
}
