//! Folder ACLs (RFC 4314) and the public folders, over every platform
//! backend: rights on users' folders and the folders they share, the
//! public tree made and changed by managers within their groups, delivery
//! to `post+folder` only with the `p` right, once whatever the number of
//! readers, verify and repair counting the public references, and the
//! public tree carried byte for byte between the Linux and OpenVMS
//! layouts.

use std::sync::Arc;

use popstore::delivery::{Delivery, Envelope, Refusal};
use popstore::store::acl::{Rights, RightsChange};
use popstore::store::folder_name::FolderName;
use popstore::store::groups::{Actor, GroupName};
use popstore::store::name::AccountName;
use popstore::store::public::public_account;
use popstore::store::{AccountChanges, Settings, Store, StoreError, StoreType};
use popstore_formats::StoreFile;
use popstore_formats::mailboxes::AclEntry;
use popstore_platform::{Platform, RecordFormat};

fn fname(s: &str) -> FolderName {
    FolderName::new(s).unwrap()
}

fn account(s: &Store, name: &str, group: Option<&str>) -> AccountName {
    s.create_account(
        &Actor::Admin,
        name,
        &AccountChanges {
            store_type: Some(StoreType::Imap),
            group: group.map(|g| Some(GroupName::new(g).unwrap())),
            ..AccountChanges::default()
        },
    )
    .unwrap();
    s.name(name).unwrap()
}

fn set(r: &str) -> RightsChange {
    RightsChange::parse(r).unwrap()
}

fn post(s: &Store, from: &str, to: &str, m: &[u8]) -> Result<(), Refusal> {
    let env = Envelope {
        mail_from: from.into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let acc = s.check_recipient(&env, to, m.len() as u64)?;
    s.deliver(&env, &[acc], m).remove(0)
}

fn groups(s: &Store) {
    s.add_group(&Actor::Admin, "staff", None).unwrap();
    s.add_group(&Actor::Admin, "sales", Some("staff")).unwrap();
    s.add_group(&Actor::Admin, "students", None).unwrap();
}

fn manager(name: &str, group: &str) -> Actor {
    Actor::Manager {
        name: name.into(),
        group: Some(GroupName::new(group).unwrap()),
    }
}

fn verify_clean(fs: &dyn Platform) {
    let report = popstore::verify::verify(&popstore::verify::PlatformStore::new(fs), &|_| {});
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

macro_rules! public_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            fn fresh() -> (Arc<dyn Platform>, Arc<Store>) {
                let fs: Arc<dyn Platform> = $make;
                let s = Store::init(fs.clone(), Settings::default()).unwrap();
                (fs, Arc::new(s))
            }

            #[test]
            fn owners_share_folders_through_acls() {
                let (fs, s) = fresh();
                groups(&s);
                let sue = account(&s, "sue", None);
                let bob = account(&s, "bob", Some("sales"));
                let eve = account(&s, "eve", Some("students"));
                s.create_folder(
                    &sue,
                    &fname("Work/Plans"),
                    popstore_formats::mailboxes::SpecialUse::NONE,
                )
                .unwrap();
                let work = fname("Work");
                s.set_folder_acl(&sue, &work, "$staff", set("lrp")).unwrap();
                s.set_folder_acl(&sue, &work, "-Bob", set("p")).unwrap();
                assert_eq!(
                    s.set_folder_acl(&sue, &work, "bob", set("+cd"))
                        .unwrap()
                        .letters(),
                    "kxte"
                );
                // The owner holds every right; bob is in sales, below staff.
                assert_eq!(
                    s.folder_rights(&sue, &work, Some(&sue)).unwrap(),
                    Rights::ALL
                );
                let bobs = s.folder_rights(&sue, &work, Some(&bob)).unwrap();
                assert_eq!(bobs.letters(), "lrkxte");
                assert_eq!(
                    s.folder_rights(&sue, &work, Some(&eve)).unwrap(),
                    Rights::NONE
                );
                assert_eq!(s.folder_rights(&sue, &work, None).unwrap(), Rights::NONE);
                // What bob sees of sue's folders, and who shares with him.
                let shared = s.shared_folders(&sue, Some(&bob)).unwrap();
                assert_eq!(shared.len(), 1);
                assert_eq!(shared[0].folder.name, work);
                assert_eq!(
                    s.accounts_sharing_with(&bob).unwrap(),
                    std::slice::from_ref(&sue)
                );
                assert!(s.accounts_sharing_with(&eve).unwrap().is_empty());
                // Opening: bob reads Work; eve may not even see it, nor
                // sue's Work/Plans, which has no entry for bob either.
                let (f, r) = s.open_shared_folder(&sue, &work, Some(&bob)).unwrap();
                assert!(f.is_empty() && r.contains(Rights::READ));
                for (name, who) in [("Work", &eve), ("Work/Plans", &bob)] {
                    assert!(
                        matches!(
                            s.open_shared_folder(&sue, &fname(name), Some(who)),
                            Err(StoreError::Folder(_))
                        ),
                        "{name}"
                    );
                }
                s.set_folder_acl(&sue, &fname("Work/Plans"), "eve", set("l"))
                    .unwrap();
                assert!(matches!(
                    s.open_shared_folder(&sue, &fname("Work/Plans"), Some(&eve)),
                    Err(StoreError::Denied(_))
                ));
                s.delete_folder_acl(&sue, &fname("Work/Plans"), "eve")
                    .unwrap();
                // Bad identifiers and rights are refused, nothing written.
                for (id, r) in [
                    ("nobody", "lr"),
                    ("$nogroup", "lr"),
                    ("bob", "lQ"),
                    ("bob", "q"),
                ] {
                    assert!(
                        matches!(
                            RightsChange::parse(r)
                                .map_err(StoreError::from)
                                .and_then(|c| s.set_folder_acl(&sue, &work, id, c)),
                            Err(StoreError::Invalid(_))
                        ),
                        "{id} {r}"
                    );
                }
                // CREATE inherits the ACL of the nearest folder above.
                s.create_folder_inheriting(
                    &sue,
                    &fname("Work/New/Deep"),
                    popstore_formats::mailboxes::SpecialUse::NONE,
                    &[("eve".into(), Rights::parse("l").unwrap())],
                )
                .unwrap();
                for f in ["Work/New", "Work/New/Deep"] {
                    let ids: Vec<String> = s
                        .folder_acl(&sue, &fname(f))
                        .unwrap()
                        .into_iter()
                        .map(|a| format!("{}={}", a.identifier, a.rights))
                        .collect();
                    assert_eq!(ids, ["$staff=lrp", "-bob=p", "bob=kxte", "eve=l"], "{f}");
                }
                s.delete_folder(&sue, &fname("Work/New"), true).unwrap();
                // The ACL follows a rename (RFC 4314 4) and goes with DELETE.
                s.rename_folder(&sue, &work, &fname("Job")).unwrap();
                let acl = s.folder_acl(&sue, &fname("Job")).unwrap();
                let ids: Vec<&str> = acl.iter().map(|a| a.identifier.as_str()).collect();
                assert_eq!(ids, ["$staff", "-bob", "bob"]);
                assert!(s.delete_folder_acl(&sue, &fname("Job"), "-bob").unwrap());
                assert!(!s.delete_folder_acl(&sue, &fname("Job"), "-bob").unwrap());
                assert_eq!(
                    s.folder_rights(&sue, &fname("Job"), Some(&bob))
                        .unwrap()
                        .letters(),
                    "lrpkxte"
                );
                // An entry set to no rights goes.
                s.set_folder_acl(&sue, &fname("Job"), "bob", set(""))
                    .unwrap();
                assert_eq!(s.folder_acl(&sue, &fname("Job")).unwrap().len(), 1);
                s.delete_folder(&sue, &fname("Job"), true).unwrap();
                assert!(s.mailbox_list(&sue).unwrap().acls.is_empty());
                verify_clean(fs.as_ref());
            }

            #[test]
            fn managers_make_public_folders_within_their_groups() {
                let (fs, s) = fresh();
                groups(&s);
                account(&s, "boss", Some("sales"));
                let boss = manager("boss", "sales");
                assert!(
                    s.list_public_folders(&Actor::Admin, "*")
                        .unwrap()
                        .is_empty()
                );
                s.create_public_folder(&Actor::Admin, &fname("Lists/Rust"))
                    .unwrap();
                s.set_public_acl(&Actor::Admin, &fname("Lists"), "anyone", set("lr"))
                    .unwrap();
                s.create_public_folder(&Actor::Admin, &fname("Lists/Go"))
                    .unwrap();
                // A new folder inherits the ACL of the folder above.
                let go = s.public_acl(&Actor::Admin, &fname("Lists/Go")).unwrap();
                assert_eq!(go.len(), 1);
                assert_eq!(go[0].rights.letters(), "lr");
                // A group manager: the top level, or below what it manages.
                s.create_public_folder(&boss, &fname("Sales/Leads"))
                    .unwrap();
                assert!(matches!(
                    s.create_public_folder(&boss, &fname("Lists/Mine")),
                    Err(StoreError::Denied(_))
                ));
                assert!(matches!(
                    s.set_public_acl(&boss, &fname("Lists"), "anyone", set("lrp")),
                    Err(StoreError::Denied(_))
                ));
                let seen: Vec<String> = s
                    .list_public_folders(&boss, "*")
                    .unwrap()
                    .into_iter()
                    .map(|f| f.folder.name.to_string())
                    .collect();
                assert_eq!(seen, ["Sales", "Sales/Leads"]);
                let all = s.list_public_folders(&Actor::Admin, "*").unwrap();
                assert_eq!(all.len(), 5, "INBOX is not a public folder");
                // Another manager of the same group reaches boss's folders.
                account(&s, "deputy", Some("sales"));
                let deputy = manager("deputy", "sales");
                s.rename_public_folder(&deputy, &fname("Sales/Leads"), &fname("Sales/Old"))
                    .unwrap();
                let outsider = manager("teacher", "students");
                assert!(matches!(
                    s.delete_public_folder(&outsider, &fname("Sales"), true),
                    Err(StoreError::Denied(_))
                ));
                assert!(s.list_public_folders(&outsider, "*").unwrap().is_empty());
                for bad in ["INBOX", "inbox/x"] {
                    assert!(s.create_public_folder(&Actor::Admin, &fname(bad)).is_err());
                }
                s.delete_public_folder(&boss, &fname("Sales"), true)
                    .unwrap();
                assert_eq!(s.list_public_folders(&Actor::Admin, "*").unwrap().len(), 3);
                verify_clean(fs.as_ref());
            }

            #[test]
            fn post_plus_folder_needs_the_p_right_and_is_stored_once() {
                let (fs, s) = fresh();
                groups(&s);
                let ann = account(&s, "ann", Some("sales"));
                account(&s, "bob", None);
                s.create_public_folder(&Actor::Admin, &fname("Announce"))
                    .unwrap();
                s.create_public_folder(&Actor::Admin, &fname("Lists/Staff"))
                    .unwrap();
                s.set_public_acl(&Actor::Admin, &fname("Announce"), "anyone", set("lrp"))
                    .unwrap();
                s.set_public_acl(&Actor::Admin, &fname("Lists/Staff"), "$staff", set("lrp"))
                    .unwrap();
                let m = b"Subject: hello\r\n\r\nto everyone\r\n";
                post(&s, "someone@far.example", "post+announce@localhost", m).unwrap();
                post(&s, "", "POST+Announce", m).unwrap();
                // Only members of staff (ann, in sales below it) may post.
                post(&s, "ann@localhost", "post+lists.staff", m).unwrap();
                for (from, to, code) in [
                    ("bob@localhost", "post+lists/staff", (5, 7, 1)),
                    ("ann@far.example", "post+lists/staff", (5, 7, 1)),
                    ("bob@localhost", "post+nowhere", (5, 1, 1)),
                    ("bob@localhost", "post+inbox", (5, 1, 1)),
                    ("bob@localhost", "post", (5, 1, 1)),
                ] {
                    let e = post(&s, from, to, m).unwrap_err();
                    assert_eq!(e.enhanced, code, "{from} -> {to}: {e}");
                    assert!(!e.text.contains('['), "{e}");
                }
                // Two public folders in one transaction: one file, a
                // reference in each.
                let env = Envelope {
                    mail_from: "ann@localhost".into(),
                    ..Envelope::default()
                };
                let both: Vec<_> = ["post+announce", "post+lists/staff", "post+Announce"]
                    .iter()
                    .map(|t| s.check_recipient(&env, t, 10).unwrap())
                    .collect();
                for r in s.deliver(&env, &both, m) {
                    r.unwrap();
                }
                let public = public_account();
                let (a, r) = s
                    .open_shared_folder(&public, &fname("Announce"), Some(&ann))
                    .unwrap();
                assert_eq!((a.len(), r.letters().as_str()), (3, "lrp"));
                assert!(matches!(
                    s.open_shared_folder(&public, &FolderName::inbox(), None),
                    Err(StoreError::Folder(_))
                ));
                let staff = s.open_folder(&public, &fname("Lists/Staff")).unwrap();
                assert_eq!(staff.len(), 2);
                let last = a.messages().last().unwrap().message;
                assert_eq!(staff.messages().last().unwrap().message, last);
                assert_eq!(s.open_message(last).unwrap().header.ref_count, 2);
                // One message file, one reference, whatever the readers.
                let id = staff.messages().next().unwrap().message;
                // (the first, posted to Lists/Staff alone)
                assert_eq!(s.open_message(id).unwrap().header.ref_count, 1);
                assert_eq!(
                    s.public_rights(&fname("Lists/Staff"), Some(&ann))
                        .unwrap()
                        .letters(),
                    "lrp"
                );
                verify_clean(fs.as_ref());
                // Repair counts the public references: it keeps them all.
                let r = s.repair_with_grace(0).unwrap();
                assert!(r.changes.is_empty(), "{:?}", r.changes);
                assert!(r.kept.is_empty(), "{:?}", r.kept);
                let a = s.open_folder(&public, &fname("Announce")).unwrap();
                for m in a.messages() {
                    assert!(s.open_message(m.message).is_ok());
                }
                verify_clean(fs.as_ref());
            }

            /// sue+a, sue+b, sue and sue+nosuch in one transaction: one
            /// entry in A, one in B, one in INBOX (a missing folder is
            /// INBOX), one message file.
            #[test]
            fn one_transaction_to_several_subaddresses_files_into_each() {
                let (fs, s) = fresh();
                let sue = account(&s, "sue", None);
                for f in ["A", "B"] {
                    s.create_folder(
                        &sue,
                        &fname(f),
                        popstore_formats::mailboxes::SpecialUse::NONE,
                    )
                    .unwrap();
                }
                let env = Envelope::default();
                let to: Vec<_> = ["sue+a", "sue+B", "sue", "sue+nosuch"]
                    .iter()
                    .map(|t| s.check_recipient(&env, t, 10).unwrap())
                    .collect();
                for r in s.deliver(&env, &to, b"Subject: s\r\n\r\nx\r\n") {
                    r.unwrap();
                }
                for f in ["A", "B", "INBOX"] {
                    assert_eq!(s.open_folder(&sue, &fname(f)).unwrap().len(), 1, "{f}");
                }
                verify_clean(fs.as_ref());
            }

            #[test]
            fn the_public_tree_has_no_quota_unless_set() {
                let (_fs, s) = fresh();
                s.create_public_folder(&Actor::Admin, &fname("Big"))
                    .unwrap();
                s.set_public_acl(&Actor::Admin, &fname("Big"), "anyone", set("p"))
                    .unwrap();
                let big = vec![b'x'; 64 * 1024];
                post(&s, "", "post+big", &big).unwrap();
                assert!(matches!(
                    s.set_public_quota(&manager("boss", "staff"), Some(1)),
                    Err(StoreError::Denied(_))
                ));
                s.set_public_quota(&Actor::Admin, Some(1024)).unwrap();
                let e = post(&s, "", "post+big", &big).unwrap_err();
                assert_eq!(e.enhanced, (5, 2, 2), "{e}");
                assert!(e.text.starts_with("post+folder: "), "{e}");
            }
        }
    };
}

/// verify reports ACL entries that name no folder, twice one identifier,
/// or an identifier that does not parse, and notes a deleted `$group`.
#[test]
fn verify_checks_acl_entries() {
    let fs: Arc<dyn Platform> = Arc::new(popstore_platform::PosixTree::memory(1));
    let s = Store::init(fs.clone(), Settings::default()).unwrap();
    s.add_group(&Actor::Admin, "gone", None).unwrap();
    let sue = account(&s, "sue", None);
    s.set_folder_acl(&sue, &FolderName::inbox(), "$gone", set("lr"))
        .unwrap();
    s.delete_group(&Actor::Admin, "gone").unwrap();
    let mut l = s.mailbox_list(&sue).unwrap();
    for (id, who) in [(1, "anyone"), (1, "anyone"), (77, "bob"), (1, "a b")] {
        l.acls.push(AclEntry {
            folder_id: id,
            identifier: who.into(),
            rights: "lr".into(),
        });
    }
    let path = s.paths().user(&sue).mailbox_list();
    fs.replace(&path, RecordFormat::Var, &l.encode().unwrap())
        .unwrap();
    let report =
        popstore::verify::verify(&popstore::verify::PlatformStore::new(fs.as_ref()), &|_| {});
    let reasons: Vec<&str> = report.problems.iter().map(|p| p.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("two ACL entries"), "{reasons:?}");
    assert!(reasons[1].contains("folder id 77"), "{reasons:?}");
    assert!(reasons[2].contains("bad ACL identifier"), "{reasons:?}");
    assert!(
        report.notes.iter().any(|n| n.reason.contains("$gone")),
        "{:?}",
        report.notes
    );
    assert!(
        report.notes.iter().any(|n| n.reason.contains("\"bob\"")),
        "{:?}",
        report.notes
    );
}

/// A store older readers still open (no `folder-journal`) gets no public
/// tree: they would take it for strays and its messages for orphans.
#[test]
fn public_folders_need_the_folder_journal_feature() {
    use popstore_formats::descriptor::{StoreDescriptor, StoreFlags};
    let fs: Arc<dyn Platform> = Arc::new(popstore_platform::PosixTree::memory(1));
    Store::init(fs.clone(), Settings::default()).unwrap();
    let path = popstore_formats::layout::Layout::descriptor();
    let mut d = StoreDescriptor::decode(&fs.read(&path).unwrap()).unwrap();
    d.flags.set(StoreFlags::FOLDER_JOURNAL, false);
    fs.replace(&path, RecordFormat::Var, &d.encode().unwrap())
        .unwrap();
    let s = Store::open(fs.clone()).unwrap();
    let e = s
        .create_public_folder(&Actor::Admin, &fname("News"))
        .unwrap_err();
    assert!(e.to_string().contains("folder-journal"), "{e}");
    assert!(!s.public_tree_exists().unwrap());
}

/// A fresh directory under Cargo's target tmp dir.
fn scratch() -> std::path::PathBuf {
    tempfile::Builder::new()
        .prefix("store-public-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep()
}

public_tests!(memory, Arc::new(popstore_platform::PosixTree::memory(1)));
public_tests!(
    linux,
    Arc::new(popstore_platform_linux::linux(vec![scratch()]))
);
public_tests!(
    openvms,
    Arc::new(popstore_platform_openvms::openvms(vec![scratch()]))
);

/// The public tree goes from the Linux layout to the OpenVMS one and back
/// byte for byte (transfer checks every byte), and verifies clean there.
#[test]
fn transfer_carries_the_public_tree_between_layouts() {
    let (a, b, c) = (scratch(), scratch(), scratch());
    let linux: Arc<dyn Platform> = Arc::new(popstore_platform_linux::linux(vec![a.clone()]));
    let s = Store::init(linux.clone(), Settings::default()).unwrap();
    s.create_public_folder(&Actor::Admin, &fname("News/Local"))
        .unwrap();
    s.set_public_acl(&Actor::Admin, &fname("News/Local"), "anyone", set("lrp"))
        .unwrap();
    post(&s, "", "post+news/local", b"Subject: n\r\n\r\nnews\r\n").unwrap();
    let vms: Arc<dyn Platform> = Arc::new(popstore_platform_openvms::openvms(vec![b]));
    popstore::transfer::transfer(linux.as_ref(), vms.as_ref(), &|_| {}).unwrap();
    verify_clean(vms.as_ref());
    let on_vms = Store::open(vms.clone()).unwrap();
    let f = on_vms
        .open_folder(&public_account(), &fname("News/Local"))
        .unwrap();
    assert_eq!(f.len(), 1);
    let back: Arc<dyn Platform> = Arc::new(popstore_platform_linux::linux(vec![c.clone()]));
    popstore::transfer::transfer(vms.as_ref(), back.as_ref(), &|_| {}).unwrap();
    let files = |root: &std::path::Path| {
        let mut out = std::collections::BTreeMap::new();
        let mut dirs = vec![root.join("public")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x != "lck") {
                    let rel = p.strip_prefix(root).unwrap().to_path_buf();
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    };
    let (before, after) = (files(&a), files(&c));
    assert!(before.len() >= 5, "{:?}", before.keys());
    assert_eq!(before, after, "the public tree changed on its way");
    // Public Folders/... as a reader sees it.
    let news = on_vms.shared_folders(&public_account(), None).unwrap();
    let names: Vec<&str> = news.iter().map(|f| f.folder.name.as_str()).collect();
    assert_eq!(names, ["News/Local"]);
    for d in [a, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}
