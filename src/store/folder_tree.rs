//! The folder hierarchy of a MessageStore account, as operations on its
//! mailbox list (SPEC.md 9) in memory: create, delete, rename, subscribe
//! and pattern listing with the rules of RFC 3501 / RFC 9051 6.3. The
//! store engine reads the list under the account lock, applies one of
//! these, writes the list back and makes or removes the folder indexes
//! the outcome names; the IMAP server, the CLI and the web see the same
//! rules because they all come here.

use popstore_formats::mailboxes::{Mailbox, MailboxFlags, MailboxList, SpecialUse};

use super::folder_name::{FolderName, SEPARATOR};

/// The most folders (selectable or not) an account may have.
pub const MAX_FOLDERS: usize = 100_000;

/// Why a folder operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    /// A folder of that name exists.
    #[error("folder {0} exists already")]
    Exists(String),
    /// No folder of that name.
    #[error("no folder {0}")]
    NotFound(String),
    /// INBOX cannot be deleted.
    #[error("INBOX cannot be deleted")]
    DeleteInbox,
    /// A `\Noselect` name with inferiors cannot be deleted (RFC 9051
    /// 6.3.5): delete the inferiors first, or delete recursively.
    #[error("{0} has subfolders and holds no messages: delete them first")]
    HasChildren(String),
    /// A folder cannot be renamed to a name below itself.
    #[error("{0} cannot be moved inside itself")]
    IntoItself(String),
    /// The account has [`MAX_FOLDERS`] folders.
    #[error("too many folders (at most {MAX_FOLDERS})")]
    TooMany,
    /// The folder id counter is exhausted.
    #[error("no folder id left")]
    NoIds,
}

/// What a change did to the folders, for the engine to carry out on the
/// folder indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// New selectable folders: make an empty index for each (id, name).
    pub created: Vec<(u32, FolderName)>,
    /// Folders whose index and messages go (they were deleted, or became
    /// `\Noselect` names kept for their inferiors).
    pub removed: Vec<u32>,
    /// RENAME INBOX: move every message of INBOX (folder id .0) into the
    /// new folder (id .1), leaving INBOX empty.
    pub inbox_moved_to: Option<(u32, u32)>,
}

/// The folder named `name`.
pub fn find<'a>(list: &'a MailboxList, name: &FolderName) -> Option<&'a Mailbox> {
    list.mailboxes.iter().find(|m| m.name == name.as_str())
}

/// Whether `name` has inferiors.
pub fn has_children(list: &MailboxList, name: &FolderName) -> bool {
    let prefix = format!("{name}{SEPARATOR}");
    list.mailboxes.iter().any(|m| m.name.starts_with(&prefix))
}

fn new_id(list: &mut MailboxList) -> Result<u32, FolderError> {
    if list.mailboxes.len() >= MAX_FOLDERS {
        return Err(FolderError::TooMany);
    }
    let id = list.next_folder_id.max(2);
    list.next_folder_id = id.checked_add(1).ok_or(FolderError::NoIds)?;
    Ok(id)
}

fn add(
    list: &mut MailboxList,
    name: &FolderName,
    special_use: SpecialUse,
    out: &mut Outcome,
) -> Result<u32, FolderError> {
    let id = new_id(list)?;
    list.mailboxes.push(Mailbox {
        folder_id: id,
        special_use,
        flags: MailboxFlags::default(),
        name: name.to_string(),
    });
    out.created.push((id, name.clone()));
    Ok(id)
}

/// A new account's list: INBOX (folder 1) only.
pub fn new_list() -> MailboxList {
    MailboxList {
        next_folder_id: 2,
        mailboxes: vec![Mailbox {
            folder_id: 1,
            special_use: SpecialUse::NONE,
            flags: MailboxFlags::default(),
            name: "INBOX".into(),
        }],
        ..MailboxList::default()
    }
}

/// CREATE: the folder, and the superiors it needs (RFC 9051 6.3.4) as
/// selectable folders; a `\Noselect` superior stays as it is, and a
/// `\Noselect` name itself becomes selectable again.
pub fn create(
    list: &mut MailboxList,
    name: &FolderName,
    special_use: SpecialUse,
) -> Result<Outcome, FolderError> {
    let mut out = Outcome::default();
    if let Some(m) = list.mailboxes.iter_mut().find(|m| m.name == name.as_str()) {
        if !m.flags.contains(MailboxFlags::NOSELECT) {
            return Err(FolderError::Exists(name.to_string()));
        }
        m.flags = MailboxFlags(m.flags.0 & !MailboxFlags::NOSELECT.0);
        m.special_use = special_use;
        out.created.push((m.folder_id, name.clone()));
        return Ok(out);
    }
    for up in name.ancestors() {
        if find(list, &up).is_none() {
            add(list, &up, SpecialUse::NONE, &mut out)?;
        }
    }
    add(list, name, special_use, &mut out)?;
    Ok(out)
}

/// DELETE (RFC 9051 6.3.5): a folder with inferiors loses its messages
/// and stays as a `\Noselect` name; one without goes; a `\Noselect` name
/// with inferiors is refused. With `recursive`, the inferiors go too.
/// INBOX is never deleted. A `\Noselect` name left without inferiors
/// goes with the last of them.
pub fn delete(
    list: &mut MailboxList,
    name: &FolderName,
    recursive: bool,
) -> Result<Outcome, FolderError> {
    if name.is_inbox() {
        return Err(FolderError::DeleteInbox);
    }
    let Some(m) = find(list, name).cloned() else {
        return Err(FolderError::NotFound(name.to_string()));
    };
    let mut out = Outcome::default();
    let children = has_children(list, name);
    let noselect = m.flags.contains(MailboxFlags::NOSELECT);
    if children && !recursive {
        if noselect {
            return Err(FolderError::HasChildren(name.to_string()));
        }
        if let Some(x) = list
            .mailboxes
            .iter_mut()
            .find(|x| x.folder_id == m.folder_id)
        {
            x.flags = MailboxFlags(x.flags.0 | MailboxFlags::NOSELECT.0);
            x.special_use = SpecialUse::NONE;
        }
        out.removed.push(m.folder_id);
    } else {
        let gone: Vec<u32> = list
            .mailboxes
            .iter()
            .filter(|x| {
                x.name == name.as_str()
                    || FolderName::new(&x.name).is_ok_and(|n| name.is_ancestor_of(&n))
            })
            .map(|x| x.folder_id)
            .collect();
        for id in &gone {
            let selectable = list
                .mailboxes
                .iter()
                .any(|x| x.folder_id == *id && !x.flags.contains(MailboxFlags::NOSELECT));
            if selectable {
                out.removed.push(*id);
            }
        }
        list.mailboxes.retain(|x| !gone.contains(&x.folder_id));
        list.acls.retain(|a| !gone.contains(&a.folder_id));
    }
    prune_empty_noselect(list, name);
    Ok(out)
}

/// Removes `\Noselect` superiors of `name` that no longer have inferiors.
fn prune_empty_noselect(list: &mut MailboxList, name: &FolderName) {
    for up in name.ancestors().into_iter().rev() {
        let Some(m) = find(list, &up) else { continue };
        if m.flags.contains(MailboxFlags::NOSELECT) && !has_children(list, &up) {
            let id = m.folder_id;
            list.mailboxes.retain(|x| x.folder_id != id);
            list.acls.retain(|a| a.folder_id != id);
        } else {
            break;
        }
    }
}

/// RENAME (RFC 9051 6.3.6): the folder and its inferiors take the new
/// name (their ids, indexes, UIDVALIDITY and ACLs stay); superiors of the
/// new name are made as needed. Renaming INBOX makes a new folder and
/// moves INBOX's messages into it; INBOX stays, empty, and its inferiors
/// are not renamed.
pub fn rename(
    list: &mut MailboxList,
    from: &FolderName,
    to: &FolderName,
) -> Result<Outcome, FolderError> {
    let Some(src) = find(list, from).cloned() else {
        return Err(FolderError::NotFound(from.to_string()));
    };
    if find(list, to).is_some_and(|m| !m.flags.contains(MailboxFlags::NOSELECT)) {
        return Err(FolderError::Exists(to.to_string()));
    }
    if from == to || from.is_ancestor_of(to) {
        return Err(FolderError::IntoItself(from.to_string()));
    }
    if from.is_inbox() {
        let mut out = create(list, to, SpecialUse::NONE)?;
        let new_id = out.created.last().map(|c| c.0).unwrap_or(0);
        out.inbox_moved_to = Some((src.folder_id, new_id));
        return Ok(out);
    }
    // No moved name may land on a name that exists and is not moving.
    let moving: Vec<(u32, FolderName)> = list
        .mailboxes
        .iter()
        .filter_map(|m| {
            let moved = FolderName::new(&m.name).ok()?.moved(from, to)?;
            Some((m.folder_id, moved))
        })
        .collect();
    let target_id = find(list, to).map(|m| m.folder_id);
    for (id, moved) in &moving {
        if let Some(m) = find(list, moved)
            && m.folder_id != *id
            && Some(m.folder_id) != target_id
            && !moving.iter().any(|(x, _)| *x == m.folder_id)
        {
            return Err(FolderError::Exists(moved.to_string()));
        }
    }
    // The new name, when it is a name only (`\Noselect`), makes way.
    let mut out = Outcome::default();
    if let Some(id) = target_id {
        list.mailboxes.retain(|x| x.folder_id != id);
    }
    for m in &mut list.mailboxes {
        if let Some(moved) = FolderName::new(&m.name)
            .ok()
            .and_then(|n| n.moved(from, to))
        {
            m.name = moved.to_string();
        }
    }
    for up in to.ancestors() {
        if find(list, &up).is_none() {
            add(list, &up, SpecialUse::NONE, &mut out)?;
        }
    }
    prune_empty_noselect(list, from);
    Ok(out)
}

/// SUBSCRIBE: records `name` (it need not exist, RFC 9051 6.3.7).
pub fn subscribe(list: &mut MailboxList, name: &FolderName) {
    if !list.subscriptions.iter().any(|s| s == name.as_str()) {
        list.subscriptions.push(name.to_string());
    }
}

/// UNSUBSCRIBE; `false` when `name` was not subscribed.
pub fn unsubscribe(list: &mut MailboxList, name: &FolderName) -> bool {
    let before = list.subscriptions.len();
    list.subscriptions.retain(|s| s != name.as_str());
    list.subscriptions.len() != before
}

/// Whether `name` matches a LIST pattern (RFC 9051 6.3.9): `*` matches
/// anything, `%` anything but the separator; INBOX matches case-
/// insensitively. Iterative, so a pattern of many wildcards costs at most
/// pattern × name steps.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let inbox = |s: &[char]| {
        s.len() >= 5
            && s[..5]
                .iter()
                .collect::<String>()
                .eq_ignore_ascii_case("INBOX")
            && (s.len() == 5 || s[5] == SEPARATOR)
    };
    let (p, n) = if inbox(&p) && inbox(&n) {
        (p[5..].to_vec(), n[5..].to_vec())
    } else {
        (p, n)
    };
    // reachable[j]: the pattern so far can end after n[..j].
    let mut reach = vec![false; n.len() + 1];
    reach[0] = true;
    for &c in &p {
        let mut next = vec![false; n.len() + 1];
        match c {
            '*' => {
                let mut on = false;
                for j in 0..=n.len() {
                    on |= reach[j];
                    next[j] = on;
                }
            }
            '%' => {
                let mut on = false;
                for j in 0..=n.len() {
                    if j > 0 && n[j - 1] == SEPARATOR {
                        on = false;
                    }
                    on |= reach[j];
                    next[j] = on;
                }
            }
            lit => {
                for j in 1..=n.len() {
                    next[j] = reach[j - 1] && n[j - 1] == lit;
                }
            }
        }
        reach = next;
    }
    reach[n.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> FolderName {
        FolderName::new(s).unwrap()
    }

    fn names(l: &MailboxList) -> Vec<String> {
        let mut v: Vec<String> = l
            .mailboxes
            .iter()
            .map(|m| {
                let ns = if m.flags.contains(MailboxFlags::NOSELECT) {
                    " (noselect)"
                } else {
                    ""
                };
                format!("{}{ns}", m.name)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn create_makes_superiors_and_refuses_duplicates() {
        let mut l = new_list();
        let o = create(&mut l, &f("Work/2026/Q1"), SpecialUse::NONE).unwrap();
        assert_eq!(o.created.len(), 3);
        assert_eq!(names(&l), ["INBOX", "Work", "Work/2026", "Work/2026/Q1"]);
        assert_eq!(
            create(&mut l, &f("Work"), SpecialUse::NONE),
            Err(FolderError::Exists("Work".into()))
        );
        assert_eq!(
            create(&mut l, &f("inbox"), SpecialUse::NONE),
            Err(FolderError::Exists("INBOX".into()))
        );
        let ids: Vec<u32> = l.mailboxes.iter().map(|m| m.folder_id).collect();
        assert_eq!(ids, [1, 2, 3, 4], "ids are never reused");
    }

    #[test]
    fn delete_follows_rfc_9051() {
        let mut l = new_list();
        create(&mut l, &f("a/b"), SpecialUse::NONE).unwrap();
        assert_eq!(
            delete(&mut l, &f("INBOX"), false),
            Err(FolderError::DeleteInbox)
        );
        // With inferiors: becomes \Noselect, its messages go.
        let o = delete(&mut l, &f("a"), false).unwrap();
        assert_eq!(o.removed, [2]);
        assert_eq!(names(&l), ["INBOX", "a (noselect)", "a/b"]);
        // A \Noselect name with inferiors: refused.
        assert_eq!(
            delete(&mut l, &f("a"), false),
            Err(FolderError::HasChildren("a".into()))
        );
        // The last inferior takes the empty \Noselect name with it.
        let o = delete(&mut l, &f("a/b"), false).unwrap();
        assert_eq!(o.removed, [3]);
        assert_eq!(names(&l), ["INBOX"]);
        assert_eq!(
            delete(&mut l, &f("a"), false),
            Err(FolderError::NotFound("a".into()))
        );
        // CREATE brings a \Noselect name back to life.
        create(&mut l, &f("x/y"), SpecialUse::NONE).unwrap();
        delete(&mut l, &f("x"), false).unwrap();
        let o = create(&mut l, &f("x"), SpecialUse::NONE).unwrap();
        assert_eq!(o.created.len(), 1);
        assert_eq!(names(&l), ["INBOX", "x", "x/y"]);
        // Recursive: everything below goes too.
        let o = delete(&mut l, &f("x"), true).unwrap();
        assert_eq!(o.removed.len(), 2);
        assert_eq!(names(&l), ["INBOX"]);
    }

    #[test]
    fn rename_carries_inferiors_and_inbox_is_special() {
        let mut l = new_list();
        create(&mut l, &f("a/b/c"), SpecialUse::NONE).unwrap();
        create(&mut l, &f("ab"), SpecialUse::NONE).unwrap();
        let o = rename(&mut l, &f("a/b"), &f("z/y")).unwrap();
        assert_eq!(o.created.len(), 1, "the new superior z");
        assert_eq!(names(&l), ["INBOX", "a", "ab", "z", "z/y", "z/y/c"]);
        assert_eq!(
            rename(&mut l, &f("z"), &f("z/y/q")),
            Err(FolderError::IntoItself("z".into()))
        );
        assert_eq!(
            rename(&mut l, &f("a"), &f("ab")),
            Err(FolderError::Exists("ab".into()))
        );
        // A moved inferior may not land on an existing name.
        create(&mut l, &f("m/c"), SpecialUse::NONE).unwrap();
        delete(&mut l, &f("m"), false).unwrap();
        assert_eq!(
            rename(&mut l, &f("z/y"), &f("m")),
            Err(FolderError::Exists("m/c".into()))
        );
        create(&mut l, &f("INBOX/kid"), SpecialUse::NONE).unwrap();
        let o = rename(&mut l, &f("INBOX"), &f("Old mail")).unwrap();
        let (from, to) = o.inbox_moved_to.unwrap();
        assert_eq!(from, 1);
        assert!(names(&l).contains(&"Old mail".to_string()));
        assert!(names(&l).contains(&"INBOX/kid".to_string()), "not renamed");
        assert!(find(&l, &f("Old mail")).is_some_and(|m| m.folder_id == to));
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("*", "a/b/c"));
        assert!(pattern_matches("%", "a"));
        assert!(!pattern_matches("%", "a/b"));
        assert!(pattern_matches("a/%", "a/b"));
        assert!(!pattern_matches("a/%", "a/b/c"));
        assert!(pattern_matches("a/*", "a/b/c"));
        assert!(pattern_matches("inbox", "INBOX"));
        assert!(pattern_matches("Inbox/%", "INBOX/x"));
        assert!(!pattern_matches("work", "Work"));
        assert!(pattern_matches("*b*", "a/b/c"));
        assert!(!pattern_matches("", "a"));
        // Many wildcards stay cheap.
        let p = "%".repeat(2000) + "x";
        assert!(!pattern_matches(&p, &"a".repeat(2000)));
    }

    #[test]
    fn subscriptions() {
        let mut l = new_list();
        subscribe(&mut l, &f("gone/never"));
        subscribe(&mut l, &f("gone/never"));
        assert_eq!(l.subscriptions.len(), 1);
        assert!(unsubscribe(&mut l, &f("gone/never")));
        assert!(!unsubscribe(&mut l, &f("gone/never")));
    }

    #[test]
    fn ten_thousand_folders() {
        let mut l = new_list();
        for k in 0..10_000 {
            create(&mut l, &f(&format!("f{k}")), SpecialUse::NONE).unwrap();
        }
        assert_eq!(l.mailboxes.len(), 10_001);
    }
}
