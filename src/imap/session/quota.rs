//! QUOTA (RFC 9208) on the account quota: one quota root per account,
//! named after it, with the STORAGE resource (KiB, the usage counting
//! every folder) and the MESSAGE resource (the messages of every folder,
//! SPEC.md 6's message quota). GETQUOTA of another account and SETQUOTA are for MANAGE
//! accounts, on the accounts their group reaches.

use super::{Response, Session};
use crate::imap::types::MailboxArg;
use crate::imap::write::{self, Code};
use crate::store::flags::Flags;
use crate::store::groups::Actor;
use crate::store::name::AccountName;
use crate::store::units::SizeLimit;
use crate::store::{AccountChanges, StoreError};

impl Session {
    /// The session user as a manager, when it is a MANAGE account.
    fn manager(&self) -> Option<Actor> {
        let p = self.store.profile(&self.account()).ok()??;
        p.flags().contains(Flags::MANAGE).then(|| Actor::Manager {
            name: p.name.clone(),
            group: p.group_name(),
        })
    }

    /// `(usage, limit)` in KiB of an account; limit `None` without quota.
    fn storage(&self, acct: &AccountName) -> Result<(u64, Option<u64>), StoreError> {
        let p = self.store.existing(acct)?;
        let used = self.store.folder_usage(acct, &p)?;
        Ok((used.div_ceil(1024), p.quota.map(|q| u64::from(q) / 1024)))
    }

    /// The account a quota root names, if this user may see it.
    fn root_account(&self, root: &str) -> Option<AccountName> {
        let own = self.account();
        if root.is_empty() || root == own.as_str() {
            return Some(own);
        }
        let actor = self.manager()?;
        self.store.show_account(&actor, root).ok()?;
        self.store.name(root).ok()
    }

    /// `(messages held, limit)` of an account with a message limit.
    fn messages(&self, acct: &AccountName) -> Result<Option<(u64, u64)>, StoreError> {
        let p = self.store.existing(acct)?;
        match p.message_limit {
            None => Ok(None),
            Some(limit) => Ok(Some((self.store.message_usage(acct, &p)?, limit))),
        }
    }

    fn write_quota(&self, r: &mut Response, root: &str, acct: &AccountName) -> bool {
        match self
            .storage(acct)
            .and_then(|s| Ok((s, self.messages(acct)?)))
        {
            Ok(((used, limit), messages)) => {
                let mut res = Vec::new();
                if let Some(limit) = limit {
                    res.push(("STORAGE", used, limit));
                }
                if let Some((n, limit)) = messages {
                    res.push(("MESSAGE", n, limit));
                }
                write::data::quota(&mut r.text, root, &res);
                true
            }
            Err(e) => {
                tracing::error!("imap: quota of {acct}: {e}");
                false
            }
        }
    }

    pub(super) fn getquotaroot(&mut self, tag: &str, m: &MailboxArg) -> Response {
        let name = match self.folder_arg(tag, m) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let acct = self.account();
        match self.store.folder_id(&acct, &name) {
            Ok(Some(_)) => {}
            Ok(None) => return Self::no(tag, Some(Code::NonExistent), "no such mailbox"),
            Err(e) => return self.store_error(tag, &e),
        }
        let mut r = Response::new();
        let root = acct.as_str().to_string();
        write::data::quotaroot(&mut r.text, &name, self.utf8_names(), &[root.as_str()]);
        if !self.write_quota(&mut r, &root, &acct) {
            return Self::no(tag, Some(Code::Unavailable), "temporary failure");
        }
        self.finish(&mut r, tag, "GETQUOTAROOT completed", true);
        r
    }

    pub(super) fn getquota(&mut self, tag: &str, root: &str) -> Response {
        let Some(acct) = self.root_account(root) else {
            return Self::no(tag, Some(Code::NonExistent), "no such quota root");
        };
        let mut r = Response::new();
        if !self.write_quota(&mut r, root, &acct) {
            return Self::no(tag, Some(Code::Unavailable), "temporary failure");
        }
        self.finish(&mut r, tag, "GETQUOTA completed", true);
        r
    }

    pub(super) fn setquota(&mut self, tag: &str, root: &str, limits: &[(String, u64)]) -> Response {
        let Some(actor) = self.manager() else {
            return Self::no(tag, Some(Code::NoPerm), "only MANAGE accounts set quotas");
        };
        // RFC 9208 5.1: the resources not named lose their limits.
        let mut quota = SizeLimit::None;
        let mut message_limit = None;
        for (res, n) in limits {
            if res.eq_ignore_ascii_case("MESSAGE") {
                message_limit = Some(*n);
                continue;
            }
            if !res.eq_ignore_ascii_case("STORAGE") {
                return Self::no(
                    tag,
                    Some(Code::Cannot),
                    "only STORAGE and MESSAGE can be set",
                );
            }
            match u32::try_from(n.saturating_mul(1024)) {
                Ok(b) => quota = SizeLimit::Bytes(b),
                Err(_) => return Self::no(tag, Some(Code::Limit), "quota too large"),
            }
        }
        let ch = AccountChanges {
            quota: Some(quota),
            message_limit: Some(message_limit),
            ..AccountChanges::default()
        };
        match self.store.modify_account(&actor, root, &ch) {
            Ok(p) => {
                let acct = AccountName::from_stored(&p.name);
                let mut r = Response::new();
                self.write_quota(&mut r, root, &acct);
                self.finish(&mut r, tag, "SETQUOTA completed", true);
                r
            }
            Err(StoreError::UnknownAccount(_)) => {
                Self::no(tag, Some(Code::NonExistent), "no such quota root")
            }
            Err(e) => self.store_error(tag, &e),
        }
    }
}
