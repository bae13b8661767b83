//! Delivery to the public folders: `post+folder@domain` (PMDF's form;
//! `post` is `[store] public_post_name`) files the message once into
//! public folder `folder`, whatever the number of its readers, when the
//! folder's ACL gives the `p` right to `anyone` or to the sender's
//! account (SPEC.md 9.2).
//!
//! - The address is the posting name in a local domain (or none), with
//!   the folder as its subaddress; levels are written with `/` or `.`
//!   and matched as `user+folder` is (exactly, then without regard to
//!   case when one folder matches). An account or forwarding of that
//!   name takes precedence: the posting name is only what is left.
//! - Checked at `RCPT TO` and again when the data is in: no folder, or
//!   no posting address without one, is `550 5.1.1`; a sender without
//!   the `p` right is `550 5.7.1`. The sender is the `MAIL FROM` address
//!   (an account of this store when it names one, else only `anyone`
//!   applies): like RFC 4314's `p` right, this trusts the envelope.
//! - A store error is a temporary failure, never "no such folder".

use crate::delivery::{Envelope, Refusal};

use super::acl::Rights;
use super::deliver_folders::Place;
use super::engine::Store;
use super::forward::{ForwardError, ForwardLookup, Resolution};
use super::name::{AccountName, Subaddress};
use super::public::{is_public, public_account};

fn failure(detail: &dyn std::fmt::Display) -> Refusal {
    tracing::error!("delivery to a public folder: {detail}");
    Refusal::new(
        451,
        (4, 3, 0),
        "the mail store cannot be read or written now; try again later",
    )
}

impl Store {
    /// The resolution of `address` when it is a public folder's posting
    /// address (`post+folder` in a local domain), else `None`.
    pub(crate) fn public_resolution(
        &self,
        address: &str,
    ) -> Result<Option<Resolution>, ForwardError> {
        let sub = Subaddress::parse(address);
        if self.public_post.is_empty() || !sub.local.eq_ignore_ascii_case(&self.public_post) {
            return Ok(None);
        }
        if let Some(d) = &sub.domain
            && !self.is_local_domain(d)?
        {
            return Ok(None);
        }
        Ok(Some(Resolution {
            local: vec![public_account()],
            external: Vec::new(),
            detail: sub.detail.clone(),
        }))
    }

    /// Checks a resolution that leads to the public folders: the folder
    /// exists and the sender may post to it. Other resolutions pass.
    pub(crate) fn check_public(&self, envelope: &Envelope, r: &Resolution) -> Result<(), Refusal> {
        if !r.local.iter().any(is_public) {
            return Ok(());
        }
        let post = &self.public_post;
        let Some(asked) = r.detail.as_deref().filter(|d| !d.is_empty()) else {
            return Err(Refusal::new(
                550,
                (5, 1, 1),
                format!("{post}: name a public folder, as in {post}+folder"),
            ));
        };
        let unknown = || {
            Refusal::new(
                550,
                (5, 1, 1),
                format!("{post}+{asked}: no such public folder"),
            )
        };
        if !self.public_tree_exists().map_err(|e| failure(&e))? {
            return Err(unknown());
        }
        let acct = public_account();
        let id = match self.find_folder(&acct, asked).map_err(|e| failure(&e))? {
            Some(id) if id != 1 => id,
            _ => return Err(unknown()),
        };
        let sender = self.sender_account(&envelope.mail_from)?;
        let list = self.mailbox_list(&acct).map_err(|e| failure(&e))?;
        let rights = self
            .rights_in(&list, &acct, id, sender.as_ref())
            .map_err(|e| failure(&e))?;
        if rights.contains(Rights::POST) {
            Ok(())
        } else {
            Err(Refusal::new(
                550,
                (5, 7, 1),
                format!("{post}+{asked}: the sender may not post to this public folder"),
            ))
        }
    }

    /// The places of `acct` that name distinct folders (the first of those
    /// naming one folder, `post+News` and `post+news` being one, and for a
    /// user a missing folder being INBOX, where it lands): a transaction
    /// to several folders of one account files one entry into each.
    pub(crate) fn distinct_folders(&self, acct: &AccountName, places: Vec<Place>) -> Vec<Place> {
        let mut seen: Vec<Option<u32>> = Vec::new();
        let mut out = Vec::new();
        let inbox = || self.find_folder(acct, "INBOX").ok().flatten();
        for p in places {
            let mut id = self.find_folder(acct, &p.folder).ok().flatten();
            if id.is_none() && !is_public(acct) {
                id = inbox();
            }
            if !seen.contains(&id) {
                seen.push(id);
                out.push(p);
            }
        }
        out
    }

    /// The account of this store the envelope sender names, if any.
    fn sender_account(&self, mail_from: &str) -> Result<Option<AccountName>, Refusal> {
        if mail_from.trim().is_empty() {
            return Ok(None);
        }
        match ForwardLookup::account(self, mail_from) {
            Ok(a) => Ok(a),
            Err(e) => Err(failure(&e)),
        }
    }
}
