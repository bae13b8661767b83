//! The ACL entries of a mailbox list (SPEC.md 9.2): each names a folder
//! of the list, once per identifier, with an identifier that parses; a
//! `$group` that no longer exists is noted (it grants nothing), and so is
//! an account that no longer exists (a new one of that name would get
//! its rights).

use popstore_formats::mailboxes::MailboxList;
use popstore_formats::path::StorePath;

use super::{Problem, Walk};
use crate::store::acl::{Identifier, Subject};

impl Walk<'_> {
    /// Checks the ACL entries of the mailbox list at `path`.
    pub(super) fn acls(&mut self, path: &StorePath, list: &MailboxList) {
        let at = self.store.spell(path);
        let mut seen: Vec<(u32, &str)> = Vec::new();
        for a in &list.acls {
            if !list.mailboxes.iter().any(|m| m.folder_id == a.folder_id) {
                self.problem(
                    at.clone(),
                    format!(
                        "ACL entry {:?} names folder id {}, which the list does not hold",
                        a.identifier, a.folder_id
                    ),
                );
            }
            if seen.contains(&(a.folder_id, a.identifier.as_str())) {
                self.problem(
                    at.clone(),
                    format!(
                        "two ACL entries for {:?} on folder id {}",
                        a.identifier, a.folder_id
                    ),
                );
            }
            seen.push((a.folder_id, a.identifier.as_str()));
            match Identifier::parse(&a.identifier) {
                Err(e) => self.problem(at.clone(), format!("ACL entry: {e}")),
                Ok(Identifier {
                    subject: Subject::Group(g),
                    ..
                }) if !self
                    .groups
                    .as_ref()
                    .is_some_and(|t| t.groups.iter().any(|x| x.name == g.as_str())) =>
                {
                    self.report.notes.push(Problem {
                        path: at.clone(),
                        reason: format!(
                            "ACL entry {:?} names a group that does not exist (it grants nothing)",
                            a.identifier
                        ),
                    });
                }
                Ok(Identifier {
                    subject: Subject::User(u),
                    ..
                }) => self.acl_users.push((at.clone(), u)),
                Ok(_) => {}
            }
        }
    }

    /// Notes ACL entries naming an account the walk did not find: one
    /// deleted or renamed since (a new account of that name would get
    /// its rights; `popstore folder acl delete` removes the entry).
    pub(super) fn stale_acl_users(&mut self) {
        for (at, u) in std::mem::take(&mut self.acl_users) {
            if !self.names.contains(&u) {
                self.report.notes.push(Problem {
                    path: at,
                    reason: format!(
                        "ACL entry names the account {u:?}, which does not exist \
                         (a new account of that name would get its rights)"
                    ),
                });
            }
        }
    }
}
