//! The mailbox list (SPEC.md 9) as reconstruct leaves it: the list that
//! reads, with every folder index it lacks taken in (under the name its
//! FOLDER record holds); or, when the list is missing or damaged, a new
//! list made from the indexes alone (the FOLDER record holds each name;
//! every folder subscribed, since the subscriptions are lost with it).

use std::collections::BTreeMap;

use popstore_formats::mailboxes::{Mailbox, MailboxFlags, MailboxList, SpecialUse};

use super::folder::Rebuilt;
use crate::store::folder_name::FolderName;
use crate::store::folder_tree;

/// Makes `list` (the list that read, or `None`) name every folder of
/// `folders`, each under a valid, unique name; returns what changed
/// (`why`: what was wrong with a list that did not read).
pub(super) fn settle_list(
    list: Option<MailboxList>,
    why: &str,
    folders: &mut BTreeMap<u32, Rebuilt>,
) -> (MailboxList, Vec<String>) {
    let mut notes = Vec::new();
    let rebuilt = list.is_none();
    let mut list = list.unwrap_or_else(|| {
        let mut l = folder_tree::new_list();
        l.mailboxes.clear();
        l
    });
    if !list.mailboxes.iter().any(|m| m.folder_id == 1) {
        list.mailboxes
            .insert(0, mailbox(1, "INBOX", MailboxFlags::default()));
    }
    // Superiors first, so a folder is not taken for its own `\Noselect`
    // superior.
    let mut order: Vec<(usize, u32)> = folders
        .iter()
        .map(|(id, f)| (f.index.name.split('/').count(), *id))
        .collect();
    order.sort_unstable();
    for (_, id) in order {
        let id = &id;
        let f = &folders[id];
        if list.mailboxes.iter().any(|m| m.folder_id == *id) {
            continue;
        }
        let name = free_name(&list, &f.index.name, *id);
        for sup in name.ancestors() {
            if folder_tree::find(&list, &sup).is_none() {
                let sid = next_id(&list, folders);
                list.mailboxes
                    .push(mailbox(sid, sup.as_str(), MailboxFlags::NOSELECT));
                list.next_folder_id = sid + 1;
            }
        }
        if !rebuilt {
            notes.push(format!(
                "folder {id} ({name}) was not in the mailbox list: taken in"
            ));
        }
        list.mailboxes
            .push(mailbox(*id, name.as_str(), MailboxFlags::default()));
        if rebuilt {
            folder_tree::subscribe(&mut list, &name);
        }
    }
    if rebuilt {
        folder_tree::subscribe(&mut list, &FolderName::inbox());
        notes.push(format!(
            "{why}: rebuilt from the folder indexes: {} folders, each subscribed",
            folders.len()
        ));
    }
    let top = list
        .mailboxes
        .iter()
        .map(|m| m.folder_id)
        .max()
        .unwrap_or(1);
    list.next_folder_id = list.next_folder_id.max(top.saturating_add(1));
    // The list is the authority on names (SPEC.md 8): indexes written now
    // carry its name.
    for m in &list.mailboxes {
        if let Some(f) = folders.get_mut(&m.folder_id) {
            f.index.name = m.name.clone();
        }
    }
    (list, notes)
}

fn mailbox(id: u32, name: &str, flags: MailboxFlags) -> Mailbox {
    Mailbox {
        folder_id: id,
        special_use: SpecialUse::NONE,
        flags,
        name: name.to_string(),
    }
}

/// An id for a new `\Noselect` superior: above every id in use.
fn next_id(list: &MailboxList, folders: &BTreeMap<u32, Rebuilt>) -> u32 {
    let used = list
        .mailboxes
        .iter()
        .map(|m| m.folder_id)
        .chain(folders.keys().copied())
        .max()
        .unwrap_or(1);
    list.next_folder_id.max(used.saturating_add(1))
}

/// `wanted` when it is a valid name no other folder has, else a name
/// made from the folder id.
fn free_name(list: &MailboxList, wanted: &str, id: u32) -> FolderName {
    if let Ok(n) = FolderName::new(wanted)
        && !n.is_inbox()
        && folder_tree::find(list, &n).is_none()
    {
        return n;
    }
    let base = FolderName::new(wanted)
        .ok()
        .filter(|n| !n.is_inbox())
        .map_or_else(|| "Recovered".to_string(), |n| n.as_str().to_string());
    let mut k = 0u32;
    loop {
        let cand = if k == 0 {
            format!("{base}-F{id:08X}")
        } else {
            format!("{base}-F{id:08X}-{k}")
        };
        if let Ok(n) = FolderName::new(&cand)
            && folder_tree::find(list, &n).is_none()
        {
            return n;
        }
        k += 1;
    }
}
