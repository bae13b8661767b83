//! Repair of a MessageStore account's folder hierarchy (the caller holds
//! the account lock): a folder index that the mailbox list does not name.
//!
//! Creating a folder writes its index before the list names it, and
//! deleting one writes the list before the index goes (SPEC.md 9, 15), so
//! a crash leaves at most such an index. An empty one (no entries, no
//! journal: a CREATE cut short) is removed. One that holds messages is
//! never removed: it may be a DELETE cut short, or a folder the list lost
//! (a list restored from an older copy), and repair does not delete what
//! an account may still reference. It is named in the list again, under
//! the name its index records (or `Recovered/Fxxxxxxxx` when that name is
//! taken or invalid), so the user sees it and decides.

use popstore_formats::mailboxes::{Mailbox, MailboxFlags, MailboxList, SpecialUse};

use super::RepairReport;
use super::subtree::Subtree;
use crate::store::engine::Store;
use crate::store::error::Result;
use crate::store::folder_name::FolderName;
use crate::store::folder_tree;
use crate::store::name::AccountName;

impl Store {
    /// Settles the folder indexes the list does not name (see the module).
    pub(super) fn fix_folder_list(
        &self,
        name: &AccountName,
        t: &Subtree,
        report: &mut RepairReport,
    ) -> Result<()> {
        let path = self.paths.user(name).mailbox_list();
        let Some(mut list) = self.read_file::<MailboxList>(&path)? else {
            if t.folder_files.is_empty() {
                return Ok(());
            }
            // A lost list: INBOX first, then every folder found.
            let mut l = folder_tree::new_list();
            l.mailboxes.clear();
            l.next_folder_id = 1;
            return self.relist(name, l, t, report, true);
        };
        if t.folder_files
            .iter()
            .all(|(id, _, _)| list.mailboxes.iter().any(|m| m.folder_id == *id))
        {
            return Ok(());
        }
        list.next_folder_id = list.next_folder_id.max(1);
        self.relist(name, list, t, report, false)
    }

    fn relist(
        &self,
        name: &AccountName,
        mut list: MailboxList,
        t: &Subtree,
        report: &mut RepairReport,
        rebuilt: bool,
    ) -> Result<()> {
        let path = self.paths.user(name).mailbox_list();
        let shown = self.fs.display(&path);
        for (id, recorded, holds) in &t.folder_files {
            if list.mailboxes.iter().any(|m| m.folder_id == *id) {
                continue;
            }
            let index = self.paths.user(name).folder_index(*id);
            if !holds && !rebuilt && *id != 1 {
                self.fs.remove(&index)?;
                report.changes.push(format!(
                    "{}: removed (an empty folder index the mailbox list does not name: a \
                     folder creation cut short)",
                    self.fs.display(&index)
                ));
                continue;
            }
            let wanted = if *id == 1 {
                "INBOX".to_string()
            } else {
                recorded.clone()
            };
            let name_ok = FolderName::new(&wanted)
                .ok()
                .filter(|n| folder_tree::find(&list, n).is_none());
            let folder = match name_ok {
                Some(n) => n.to_string(),
                None => format!("Recovered/F{id:08X}"),
            };
            for up in FolderName::new(&folder)
                .map(|n| n.ancestors())
                .unwrap_or_default()
            {
                if folder_tree::find(&list, &up).is_none() {
                    let nid = list.next_folder_id.max(2);
                    list.next_folder_id = nid + 1;
                    list.mailboxes.push(Mailbox {
                        folder_id: nid,
                        special_use: SpecialUse::NONE,
                        flags: MailboxFlags::NOSELECT,
                        name: up.to_string(),
                    });
                }
            }
            list.mailboxes.push(Mailbox {
                folder_id: *id,
                special_use: SpecialUse::NONE,
                flags: MailboxFlags::default(),
                name: folder.clone(),
            });
            list.next_folder_id = list.next_folder_id.max(id.saturating_add(1));
            report.changes.push(format!(
                "{shown}: folder {id} ({}) named again as {folder:?}: its index holds \
                 messages the list did not name",
                self.fs.display(&index)
            ));
        }
        list.last_uidvalidity = list.last_uidvalidity.max(1);
        self.write_file(&path, &list)
    }
}
