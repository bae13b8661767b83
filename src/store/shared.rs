//! Folder ACLs in the store (SPEC.md 9.2): reading and changing a
//! folder's entries in its account's mailbox list, the rights an account
//! has in another's folder (and in a public one), and the folders other
//! users share with an account, which the IMAP server shows under
//! `Other Users/<user>/...`.
//!
//! The operations here check the ACL's own rules (identifiers that name an
//! account or a group of this store, rights letters); who may change an
//! account's ACLs is the caller's question (the CLI asks
//! [`Store::managed_account`], the IMAP server the `a` right through
//! [`Store::folder_rights`]).

use popstore_formats::mailboxes::{AclEntry, MailboxList, SpecialUse};

use super::acl::{self, AclError, Identifier, Rights, RightsChange, Subject};
use super::engine::Store;
use super::error::{Result, StoreError};
use super::folder_name::FolderName;
use super::folder_tree::{self, FolderError, Outcome};
use super::folders::{Folder, FolderListing};
use super::groups::GroupName;
use super::name::AccountName;
use super::public::is_public;

/// One entry of a folder's ACL, as GETACL and `popstore folder acl get`
/// show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AclListing {
    /// The identifier (`anyone`, an account, `$group`, after `-` when
    /// negative).
    pub identifier: String,
    /// The rights, stored form (`lrswipkxtea` order).
    pub rights: Rights,
}

/// A folder of another account that an account may see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SharedFolder {
    /// The folder as its owner's LIST shows it.
    #[serde(flatten)]
    pub folder: FolderListing,
    /// The rights the viewer has in it (they include `l`).
    pub rights: Rights,
}

impl From<AclError> for StoreError {
    fn from(e: AclError) -> StoreError {
        StoreError::Invalid(e.to_string())
    }
}

/// The ACL entries of folder `id`.
pub(crate) fn entries_of(list: &MailboxList, id: u32) -> Vec<AclEntry> {
    list.acls
        .iter()
        .filter(|a| a.folder_id == id)
        .cloned()
        .collect()
}

/// The id of the folder named `name` (selectable or not).
fn id_of(list: &MailboxList, name: &FolderName) -> std::result::Result<u32, FolderError> {
    folder_tree::find(list, name)
        .map(|m| m.folder_id)
        .ok_or_else(|| FolderError::NotFound(name.to_string()))
}

/// The rights of `user`, member of `groups`, in folder `id` of `list`,
/// owned by `owner` (the public pseudo-account owns nothing).
fn rights_with(
    list: &MailboxList,
    owner: &AccountName,
    id: u32,
    user: Option<&AccountName>,
    groups: &[GroupName],
) -> Rights {
    let owner = (!is_public(owner)).then_some(owner.as_str());
    acl::rights(
        &entries_of(list, id),
        owner,
        user.map(AccountName::as_str),
        groups,
    )
}

/// The nearest folder above `name` that exists in `list`.
pub(crate) fn nearest_above(list: &MailboxList, name: &FolderName) -> Option<u32> {
    let mut s = name.as_str();
    while let Some((up, _)) = s.rsplit_once('/') {
        if let Some(m) = FolderName::new(up)
            .ok()
            .and_then(|n| folder_tree::find(list, &n))
        {
            return Some(m.folder_id);
        }
        s = up;
    }
    None
}

impl Store {
    /// CREATE with ACLs: creates folder `name` of `acct` (and the levels
    /// above it that are missing, RFC 9051 6.3.4), each new folder
    /// inheriting the ACL of the nearest existing folder above it (RFC
    /// 4314 4: a new mailbox "SHOULD inherit the ACL from the parent"),
    /// with the entries of `extra` (identifier, rights) set on top, all in
    /// the one replace of the mailbox list that names them. Returns the
    /// folder's id.
    pub fn create_folder_inheriting(
        &self,
        acct: &AccountName,
        name: &FolderName,
        special_use: SpecialUse,
        extra: &[(String, Rights)],
    ) -> Result<u32> {
        let (out, ()) = self.change_folders(acct, |l| {
            let mut entries: Vec<(String, String)> = nearest_above(l, name)
                .map(|up| entries_of(l, up))
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.identifier, e.rights))
                .collect();
            for (id, r) in extra {
                entries.retain(|(i, _)| i != id);
                entries.push((id.clone(), r.letters()));
            }
            let o = folder_tree::create(l, name, special_use)?;
            for (id, _) in &o.created {
                for (identifier, rights) in &entries {
                    l.acls.push(AclEntry {
                        folder_id: *id,
                        identifier: identifier.clone(),
                        rights: rights.clone(),
                    });
                }
            }
            Ok((o, ()))
        })?;
        Ok(out.created.last().map_or(0, |c| c.0))
    }

    /// The ACL of folder `name` of `acct` (a MessageStore account or the
    /// public folders' pseudo-account), in the list's order.
    pub fn folder_acl(&self, acct: &AccountName, name: &FolderName) -> Result<Vec<AclListing>> {
        let list = self.mailbox_list(acct)?;
        let id = id_of(&list, name)?;
        Ok(entries_of(&list, id)
            .into_iter()
            .map(|e| AclListing {
                identifier: e.identifier,
                rights: Rights::from_stored(&e.rights),
            })
            .collect())
    }

    /// Checks an identifier for an ACL change: `anyone`, an existing
    /// account (stored by its canonical name) or an existing group.
    pub fn acl_identifier(&self, raw: &str) -> Result<Identifier> {
        let mut id = Identifier::parse(raw)?;
        match &id.subject {
            Subject::Anyone => {}
            Subject::Group(g) => {
                if !self.group_tree()?.contains(g) {
                    return Err(AclError::NoSuchIdentifier(raw.to_string()).into());
                }
            }
            Subject::User(u) => {
                let name = self
                    .name(u)
                    .map_err(|_| AclError::NoSuchIdentifier(raw.to_string()))?;
                if self.profile(&name)?.is_none() {
                    return Err(AclError::NoSuchIdentifier(raw.to_string()).into());
                }
                id.subject = Subject::User(name.to_string());
            }
        }
        Ok(id)
    }

    /// SETACL: changes the rights of `identifier` on folder `name` of
    /// `acct` (RFC 4314 3.1: `+` adds, `-` removes, else replaces); an
    /// entry left with no rights goes. Returns the identifier's rights.
    pub fn set_folder_acl(
        &self,
        acct: &AccountName,
        name: &FolderName,
        identifier: &str,
        change: RightsChange,
    ) -> Result<Rights> {
        let id = self.acl_identifier(identifier)?.to_string();
        let (_, rights) = self.change_folders(acct, |l| {
            let folder = id_of(l, name)?;
            let at = l
                .acls
                .iter()
                .position(|a| a.folder_id == folder && a.identifier == id);
            let old = at.map_or(Rights::NONE, |i| Rights::from_stored(&l.acls[i].rights));
            let new = change.apply(old);
            match (at, new.is_empty()) {
                (Some(i), true) => {
                    l.acls.remove(i);
                }
                (Some(i), false) => l.acls[i].rights = new.letters(),
                (None, true) => {}
                (None, false) => l.acls.push(AclEntry {
                    folder_id: folder,
                    identifier: id.clone(),
                    rights: new.letters(),
                }),
            }
            Ok((Outcome::default(), new))
        })?;
        Ok(rights)
    }

    /// DELETEACL: removes the entry of `identifier` from folder `name`'s
    /// ACL; false when it had none.
    pub fn delete_folder_acl(
        &self,
        acct: &AccountName,
        name: &FolderName,
        identifier: &str,
    ) -> Result<bool> {
        // An entry for an account deleted since can still be removed.
        let id = Identifier::parse(identifier)?.to_string();
        let (_, removed) = self.change_folders(acct, |l| {
            let folder = id_of(l, name)?;
            let before = l.acls.len();
            l.acls
                .retain(|a| !(a.folder_id == folder && a.identifier == id));
            Ok((Outcome::default(), l.acls.len() != before))
        })?;
        Ok(removed)
    }

    /// The groups `user` is a member of (its group and every group above).
    pub fn memberships(&self, user: &AccountName) -> Result<Vec<GroupName>> {
        let Some(p) = self.profile(user)? else {
            return Ok(Vec::new());
        };
        Ok(acl::memberships(
            &self.group_tree()?,
            p.group_name().as_ref(),
        ))
    }

    /// MYRIGHTS: the rights `user` (`None`: someone without an account
    /// here) has in folder `name` of `owner` (the public folders'
    /// pseudo-account for a public folder, which has no owner).
    pub fn folder_rights(
        &self,
        owner: &AccountName,
        name: &FolderName,
        user: Option<&AccountName>,
    ) -> Result<Rights> {
        let list = self.mailbox_list(owner)?;
        let id = id_of(&list, name)?;
        self.rights_in(&list, owner, id, user)
    }

    /// The rights of `user` in folder `id` of `list`, owned by `owner`.
    pub(crate) fn rights_in(
        &self,
        list: &MailboxList,
        owner: &AccountName,
        id: u32,
        user: Option<&AccountName>,
    ) -> Result<Rights> {
        let groups = match user {
            Some(u) => self.memberships(u)?,
            None => Vec::new(),
        };
        Ok(rights_with(list, owner, id, user, &groups))
    }

    /// Opens folder `name` of `owner` for `viewer` (SELECT of another
    /// user's folder, or of a public folder with `owner` the public
    /// pseudo-account): needs `r`. A folder the viewer may neither see
    /// (`l`) nor read is no such folder, so that its existence does not
    /// show (RFC 4314 6); one it sees but may not read is denied. Returns
    /// the folder and the viewer's rights, which the server checks for
    /// every later change (RFC 4314 4).
    pub fn open_shared_folder(
        &self,
        owner: &AccountName,
        name: &FolderName,
        viewer: Option<&AccountName>,
    ) -> Result<(Folder, Rights)> {
        let hidden = || StoreError::Folder(FolderError::NotFound(name.to_string()));
        if is_public(owner) && name.is_inbox() {
            return Err(hidden());
        }
        let list = self.mailbox_list(owner)?;
        let id = id_of(&list, name)?;
        let rights = self.rights_in(&list, owner, id, viewer)?;
        if !rights.contains(Rights::READ) {
            if rights.contains(Rights::LOOKUP) {
                return Err(StoreError::Denied(format!("no right to read {name}")));
            }
            return Err(hidden());
        }
        Ok((self.open_folder(owner, name)?, rights))
    }

    /// The folders of `owner` that `viewer` may see (the `l` right), with
    /// the viewer's rights: what `Other Users/<owner>/...` lists (and, for
    /// the public folders' pseudo-account, `Public Folders/...`). A
    /// folder the viewer sees below one it does not is listed alone (RFC
    /// 4314 4: the parent then behaves as if it did not exist).
    pub fn shared_folders(
        &self,
        owner: &AccountName,
        viewer: Option<&AccountName>,
    ) -> Result<Vec<SharedFolder>> {
        let list = self.mailbox_list(owner)?;
        let mut out = Vec::new();
        if list.acls.is_empty() && viewer.is_none_or(|v| v != owner) {
            return Ok(out);
        }
        let groups = match viewer {
            Some(u) => self.memberships(u)?,
            None => Vec::new(),
        };
        for f in self.list_folders(owner, "*", false)? {
            if is_public(owner) && f.id == 1 {
                continue; // the public tree's INBOX is no public folder
            }
            let rights = rights_with(&list, owner, f.id, viewer, &groups);
            if rights.contains(Rights::LOOKUP) {
                out.push(SharedFolder { folder: f, rights });
            }
        }
        Ok(out)
    }

    /// The MessageStore accounts other than `viewer` that share at least
    /// one folder with it: for `Other Users/%`. With the share index
    /// (SPEC.md 9.3) only the accounts it names are read; a store without
    /// it is walked whole.
    pub fn accounts_sharing_with(&self, viewer: &AccountName) -> Result<Vec<AccountName>> {
        let candidates: Vec<AccountName> = match self.indexed_sharers()? {
            Some(v) => v,
            None => {
                let mut v = Vec::new();
                for p in self.profiles() {
                    let p = p?;
                    if p.store_type == super::StoreType::Imap {
                        v.push(AccountName::from_stored(&p.name));
                    }
                }
                v
            }
        };
        let mut out = Vec::new();
        for name in candidates {
            if &name == viewer {
                continue;
            }
            // A stale entry: the account went, or is a popstore account.
            match self.shared_folders(&name, Some(viewer)) {
                Ok(f) if !f.is_empty() => out.push(name),
                Ok(_)
                | Err(StoreError::UnknownAccount(_))
                | Err(StoreError::NotMessageStore(_)) => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(out)
    }
}
