//! ACL (RFC 4314) on the user's own folders, through the store's ACL
//! API: GETACL, SETACL, DELETEACL, LISTRIGHTS, MYRIGHTS. The owner holds
//! every right; what others hold shows them the folder (`popstore folder
//! acl` manages the same lists).

use super::{Response, Session};
use crate::imap::types::MailboxArg;
use crate::imap::write::{self, Code};
use crate::store::StoreError;
use crate::store::acl::{self, Rights, RightsChange};
use crate::store::folder_name::FolderName;

/// The RIGHTS= capability: the rights every folder can have granted.
pub(super) const RIGHTS_CAPABILITY: &str = "RIGHTS=texk";

impl Session {
    /// The folder of an ACL command, which must exist.
    fn acl_folder(&self, tag: &str, m: &MailboxArg) -> Result<FolderName, Response> {
        let name = self.folder_arg(tag, m)?;
        match self.store.folder_acl(&self.account(), &name) {
            Ok(_) => Ok(name),
            Err(e) => Err(self.store_error(tag, &e)),
        }
    }

    fn acl_error(&self, tag: &str, e: &StoreError) -> Response {
        match e {
            StoreError::Invalid(why) => Self::no(tag, Some(Code::Cannot), why),
            e => self.store_error(tag, e),
        }
    }

    pub(super) fn getacl(&mut self, tag: &str, m: &MailboxArg) -> Response {
        let name = match self.acl_folder(tag, m) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let acct = self.account();
        let listing = match self.store.folder_acl(&acct, &name) {
            Ok(l) => l,
            Err(e) => return self.store_error(tag, &e),
        };
        let owner = (acct.as_str().to_string(), Rights::ALL.imap_letters());
        let mut entries: Vec<(String, String)> = vec![owner];
        entries.extend(
            listing
                .into_iter()
                .map(|a| (a.identifier, a.rights.imap_letters())),
        );
        let refs: Vec<(&str, &str)> = entries
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut r = Response::new();
        write::data::acl(&mut r.text, &name, self.utf8_names(), &refs);
        self.finish(&mut r, tag, "GETACL completed", true);
        r
    }

    pub(super) fn setacl(
        &mut self,
        tag: &str,
        m: &MailboxArg,
        who: &str,
        rights: &str,
    ) -> Response {
        let name = match self.acl_folder(tag, m) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let change = match RightsChange::parse(rights) {
            Ok(c) => c,
            Err(e) => return self.bad(tag, &e.to_string()),
        };
        if who.eq_ignore_ascii_case(self.account().as_str()) {
            return Self::no(
                tag,
                Some(Code::Cannot),
                "the owner always holds every right",
            );
        }
        match self
            .store
            .set_folder_acl(&self.account(), &name, who, change)
        {
            Ok(_) => self.done_ok(tag, "SETACL completed"),
            Err(e) => self.acl_error(tag, &e),
        }
    }

    pub(super) fn deleteacl(&mut self, tag: &str, m: &MailboxArg, who: &str) -> Response {
        let name = match self.acl_folder(tag, m) {
            Ok(n) => n,
            Err(r) => return r,
        };
        match self.store.delete_folder_acl(&self.account(), &name, who) {
            Ok(_) => self.done_ok(tag, "DELETEACL completed"),
            Err(e) => self.acl_error(tag, &e),
        }
    }

    pub(super) fn listrights(&mut self, tag: &str, m: &MailboxArg, who: &str) -> Response {
        let name = match self.acl_folder(tag, m) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let id = match self.store.acl_identifier(who) {
            Ok(id) => id,
            Err(e) => return self.acl_error(tag, &e),
        };
        let acct = self.account();
        let (required, optional) = acl::listrights(Some(acct.as_str()), &id);
        let optional: Vec<&str> = optional.iter().map(String::as_str).collect();
        let mut r = Response::new();
        let required = required.imap_letters();
        write::data::listrights(
            &mut r.text,
            &name,
            self.utf8_names(),
            who,
            &required,
            &optional,
        );
        self.finish(&mut r, tag, "LISTRIGHTS completed", true);
        r
    }

    pub(super) fn myrights(&mut self, tag: &str, m: &MailboxArg) -> Response {
        let t = match self.target(tag, m) {
            Ok(t) => t,
            Err(r) => return r,
        };
        if let Err(e) = self
            .store
            .folder_rights(&t.owner, &t.name, Some(&self.account()))
        {
            return self.store_error(tag, &e);
        }
        let mut r = Response::new();
        write::data::myrights(
            &mut r.text,
            &t.shown,
            self.utf8_names(),
            &t.rights.imap_letters(),
        );
        self.finish(&mut r, tag, "MYRIGHTS completed", true);
        r
    }

    fn done_ok(&mut self, tag: &str, text: &str) -> Response {
        let mut r = Response::new();
        self.finish(&mut r, tag, text, true);
        r
    }
}
