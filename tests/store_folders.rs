//! The MessageStore folder engine, run over every platform backend: the
//! hierarchy (create, delete, rename, subscribe, list), messages (append,
//! copy, move, flags with UNCHANGEDSINCE, expunge), what another store
//! handle on the same directory learns by refreshing, single-copy
//! reference counts, and the quota.

use std::sync::Arc;

use popstore::delivery::{Delivery, Envelope};
use popstore::store::folder_name::FolderName;
use popstore::store::folders::{Changeable, FlagOp, NewMessage};
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Settings, Store, StoreError, StoreType};
use popstore_formats::folder::SystemFlags;
use popstore_formats::folder_journal::Change;
use popstore_formats::mailboxes::SpecialUse;
use popstore_platform::Platform;

fn fname(s: &str) -> FolderName {
    FolderName::new(s).unwrap()
}

fn imap_account(s: &Store, name: &str) -> popstore::store::name::AccountName {
    s.create_account(
        &Actor::Admin,
        name,
        &AccountChanges {
            store_type: Some(StoreType::Imap),
            ..AccountChanges::default()
        },
    )
    .unwrap();
    s.name(name).unwrap()
}

fn msg(n: usize) -> Vec<u8> {
    format!("From: a@b.example\r\nSubject: m{n}\r\n\r\nbody {n}\r\n").into_bytes()
}

fn append(s: &Store, a: &popstore::store::name::AccountName, f: &str, n: usize) -> (u32, u32) {
    s.append_message(
        a,
        &fname(f),
        &NewMessage {
            bytes: &msg(n),
            ..NewMessage::default()
        },
    )
    .unwrap()
}

fn deliver(s: &Store, to: &[&str], m: &[u8]) {
    let env = Envelope {
        mail_from: "sender@far.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let acc: Vec<_> = to
        .iter()
        .map(|t| s.check_recipient(&env, t, m.len() as u64).unwrap())
        .collect();
    for r in s.deliver(&env, &acc, m) {
        r.unwrap();
    }
}

fn subjects(s: &Store, a: &popstore::store::name::AccountName, f: &str) -> Vec<String> {
    let f = s.open_folder(a, &fname(f)).unwrap();
    f.messages()
        .map(|m| {
            let v = s.open_message(m.message).unwrap();
            let body = String::from_utf8_lossy(v.body()).into_owned();
            body.lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

fn names(s: &Store, a: &popstore::store::name::AccountName, pat: &str) -> Vec<String> {
    s.list_folders(a, pat, false)
        .unwrap()
        .into_iter()
        .map(|l| {
            let mut n = l.name.to_string();
            if l.noselect {
                n.push_str(" (noselect)");
            }
            n
        })
        .collect()
}

macro_rules! folder_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            fn fresh() -> (Arc<dyn Platform>, Arc<Store>) {
                let fs: Arc<dyn Platform> = $make;
                let s = Store::init(fs.clone(), Settings::default()).unwrap();
                (fs, Arc::new(s))
            }

            #[test]
            fn a_new_account_has_inbox_and_the_hierarchy_follows_rfc_9051() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                assert_eq!(names(&s, &a, "*"), ["INBOX"]);
                s.create_folder(&a, &fname("Work/2026/Q1"), SpecialUse::NONE)
                    .unwrap();
                assert_eq!(
                    names(&s, &a, "*"),
                    ["INBOX", "Work", "Work/2026", "Work/2026/Q1"]
                );
                assert_eq!(names(&s, &a, "%"), ["INBOX", "Work"]);
                assert!(matches!(
                    s.create_folder(&a, &fname("Work"), SpecialUse::NONE),
                    Err(StoreError::Folder(_))
                ));
                // A folder with inferiors becomes \Noselect when deleted.
                s.delete_folder(&a, &fname("Work/2026"), false).unwrap();
                assert_eq!(
                    names(&s, &a, "*"),
                    ["INBOX", "Work", "Work/2026 (noselect)", "Work/2026/Q1"]
                );
                s.rename_folder(&a, &fname("Work"), &fname("Old/Work"))
                    .unwrap();
                assert_eq!(
                    names(&s, &a, "*"),
                    [
                        "INBOX",
                        "Old/Work",
                        "Old/Work/2026 (noselect)",
                        "Old/Work/2026/Q1",
                        "Old"
                    ]
                );
                s.delete_folder(&a, &fname("Old"), true).unwrap();
                assert_eq!(names(&s, &a, "*"), ["INBOX"]);
                assert!(s.delete_folder(&a, &fname("INBOX"), false).is_err());
                assert!(s.subscribe_folder(&a, &fname("Gone"), true).unwrap());
                assert_eq!(
                    s.mailbox_list(&a).unwrap().subscriptions,
                    vec!["Gone".to_string()]
                );
            }

            #[test]
            fn a_folder_made_again_never_gets_its_old_uidvalidity() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                let mut seen = Vec::new();
                for _ in 0..3 {
                    s.create_folder(&a, &fname("X"), SpecialUse::NONE).unwrap();
                    let f = s.open_folder(&a, &fname("X")).unwrap();
                    assert!(!seen.contains(&f.uidvalidity()));
                    seen.push(f.uidvalidity());
                    s.delete_folder(&a, &fname("X"), false).unwrap();
                }
            }

            #[test]
            fn messages_flags_and_expunge() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                let (uv, u1) = append(&s, &a, "INBOX", 1);
                let (_, u2) = append(&s, &a, "INBOX", 2);
                let (_, u3) = append(&s, &a, "INBOX", 3);
                assert_eq!((u1, u2, u3), (1, 2, 3));
                let mut f = s.open_folder(&a, &FolderName::inbox()).unwrap();
                assert_eq!(f.uidvalidity(), uv);
                assert_eq!(f.len(), 3);
                assert_eq!(f.uidnext(), 4);
                let m2 = f.by_uid(2).unwrap().1;
                let out = s
                    .store_flags(
                        &mut f,
                        &[1, 2],
                        FlagOp::Add,
                        SystemFlags::SEEN,
                        &["$Important".into()],
                        None,
                    )
                    .unwrap();
                assert_eq!(out.changed, [1, 2]);
                let now2 = f.by_uid(2).unwrap().1;
                assert!(now2.flags.contains(SystemFlags::SEEN));
                assert_eq!(now2.keywords, ["$Important"]);
                assert!(now2.modseq > m2.modseq);
                // UNCHANGEDSINCE below a message's MODSEQ: refused for it.
                let m3 = f.by_uid(3).unwrap().1;
                assert!(m3.modseq < now2.modseq);
                let out = s
                    .store_flags(
                        &mut f,
                        &[2, 3],
                        FlagOp::Add,
                        SystemFlags::DELETED,
                        &[],
                        Some(m3.modseq),
                    )
                    .unwrap();
                assert_eq!(out.modified, [2]);
                assert_eq!(out.changed, [3]);
                let before = f.highestmodseq();
                assert_eq!(s.expunge(&mut f, None).unwrap(), [3]);
                assert_eq!(f.len(), 2);
                assert!(f.highestmodseq() > before);
                assert_eq!(f.vanished_since(before).unwrap(), [3]);
                let changed: Vec<u32> = f.changed_since(m3.modseq).iter().map(|m| m.uid).collect();
                assert_eq!(changed, [1, 2]);
                assert!(f.changed_since(f.highestmodseq()).is_empty());
                // Another handle on the same directory sees the same folder.
                let g = s.open_folder(&a, &FolderName::inbox()).unwrap();
                assert_eq!(
                    g.messages().collect::<Vec<_>>(),
                    f.messages().collect::<Vec<_>>()
                );
            }

            #[test]
            fn another_session_learns_what_changed() {
                let (fs, s) = fresh();
                let a = imap_account(&s, "sue");
                append(&s, &a, "INBOX", 1);
                let other = Store::open(fs.clone()).unwrap();
                let mut watcher = other.open_folder(&a, &FolderName::inbox()).unwrap();
                let mut f = s.open_folder(&a, &FolderName::inbox()).unwrap();
                append(&s, &a, "INBOX", 2);
                s.store_flags(&mut f, &[1], FlagOp::Add, SystemFlags::DELETED, &[], None)
                    .unwrap();
                s.expunge(&mut f, None).unwrap();
                let changes = other.refresh_folder(&mut watcher).unwrap();
                let kinds: Vec<&str> = changes
                    .iter()
                    .map(|c| match c {
                        Change::Append(_) => "append",
                        Change::Flags(_) => "flags",
                        Change::Expunge(_) => "expunge",
                        Change::Freed(_) => "freed",
                        Change::Unknown(_) => "unknown",
                    })
                    .collect();
                assert_eq!(kinds, ["append", "flags", "expunge"]);
                assert_eq!(watcher.len(), 1);
                assert_eq!(watcher.highestmodseq(), f.highestmodseq());
                assert!(other.refresh_folder(&mut watcher).unwrap().is_empty());
            }

            #[test]
            fn changes_are_seen_across_a_fold() {
                let (fs, s) = fresh();
                let a = imap_account(&s, "sue");
                let other = Store::open(fs.clone()).unwrap();
                let mut watcher = other.open_folder(&a, &FolderName::inbox()).unwrap();
                let n = popstore::store::folders::FOLD_AT + 5;
                for i in 0..n {
                    append(&s, &a, "INBOX", i);
                }
                let changes = other.refresh_folder(&mut watcher).unwrap();
                assert_eq!(changes.len(), n);
                assert_eq!(watcher.len(), n);
                let fresh = s.open_folder(&a, &FolderName::inbox()).unwrap();
                assert_eq!(fresh.uidnext(), n as u32 + 1);
                assert_eq!(
                    watcher.messages().collect::<Vec<_>>(),
                    fresh.messages().collect::<Vec<_>>()
                );
            }

            #[test]
            fn copies_share_the_file_and_the_last_reference_removes_it() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                let b = imap_account(&s, "tom");
                s.create_folder(&a, &fname("Keep"), SpecialUse::NONE)
                    .unwrap();
                append(&s, &a, "INBOX", 1);
                let mut inbox = s.open_folder(&a, &FolderName::inbox()).unwrap();
                let file = inbox.by_uid(1).unwrap().1.message;
                let keep = s.folder_id(&a, &fname("Keep")).unwrap().unwrap();
                let c = s
                    .copy_to(&mut inbox, &[1], &a, keep, Changeable::ALL)
                    .unwrap();
                assert_eq!(c.uids, [(1, 1)]);
                let theirs = s.folder_id(&b, &FolderName::inbox()).unwrap().unwrap();
                s.copy_to(&mut inbox, &[1], &b, theirs, Changeable::ALL)
                    .unwrap();
                assert_eq!(s.reference_count(file).unwrap(), Some(3));
                let mv = s
                    .move_to(&mut inbox, &[1], &a, keep, Changeable::ALL)
                    .unwrap();
                assert_eq!(mv.uids, [(1, 2)]);
                assert!(inbox.is_empty());
                assert_eq!(s.reference_count(file).unwrap(), Some(3));
                s.delete_folder(&a, &fname("Keep"), false).unwrap();
                assert_eq!(s.reference_count(file).unwrap(), Some(1));
                let mut theirs = s.open_folder(&b, &FolderName::inbox()).unwrap();
                s.store_flags(
                    &mut theirs,
                    &[1],
                    FlagOp::Replace,
                    SystemFlags::DELETED,
                    &[],
                    None,
                )
                .unwrap();
                s.expunge(&mut theirs, None).unwrap();
                assert_eq!(s.reference_count(file).unwrap(), None);
            }

            #[test]
            fn renaming_inbox_moves_its_messages() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                append(&s, &a, "INBOX", 1);
                append(&s, &a, "INBOX", 2);
                s.rename_folder(&a, &FolderName::inbox(), &fname("Old mail"))
                    .unwrap();
                assert!(s.open_folder(&a, &FolderName::inbox()).unwrap().is_empty());
                assert_eq!(s.open_folder(&a, &fname("Old mail")).unwrap().len(), 2);
            }

            #[test]
            fn verify_is_clean_and_repair_keeps_every_folder_message() {
                let (fs, s) = fresh();
                let a = imap_account(&s, "sue");
                s.create_folder(&a, &fname("Work"), SpecialUse::NONE)
                    .unwrap();
                for i in 0..4 {
                    append(&s, &a, "INBOX", i);
                }
                let mut inbox = s.open_folder(&a, &FolderName::inbox()).unwrap();
                let work = s.folder_id(&a, &fname("Work")).unwrap().unwrap();
                s.copy_to(&mut inbox, &[1, 2], &a, work, Changeable::ALL)
                    .unwrap();
                s.store_flags(
                    &mut inbox,
                    &[1, 3],
                    FlagOp::Add,
                    SystemFlags::DELETED,
                    &[],
                    None,
                )
                .unwrap();
                s.expunge(&mut inbox, None).unwrap();
                let report = popstore::verify::verify(
                    &popstore::verify::PlatformStore::new(fs.as_ref()),
                    &|_| {},
                );
                assert!(report.problems.is_empty(), "{:?}", report.problems);
                // Every message lives only in journals: repair must keep them.
                let r = s.repair_with_grace(0).unwrap();
                assert!(r.changes.is_empty(), "{:?}", r.changes);
                assert!(r.kept.is_empty(), "{:?}", r.kept);
                let inbox = s.open_folder(&a, &FolderName::inbox()).unwrap();
                assert_eq!(
                    inbox.entries().iter().map(|e| e.uid).collect::<Vec<_>>(),
                    [2, 4]
                );
                for m in inbox.messages() {
                    assert!(s.open_message(m.message).is_ok());
                }
                let w = s.open_folder(&a, &fname("Work")).unwrap();
                assert_eq!(w.len(), 2);
                for m in w.messages() {
                    assert!(s.open_message(m.message).is_ok());
                }
            }

            #[test]
            fn delivery_files_into_inbox_subaddress_folders_and_sieve_folders() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                s.create_folder(&a, &fname("Lists/Rust"), SpecialUse::NONE)
                    .unwrap();
                deliver(&s, &["sue"], b"Subject: plain\r\n\r\nx\r\n");
                deliver(&s, &["sue+lists.rust"], b"Subject: sub\r\n\r\nx\r\n");
                deliver(&s, &["sue+Nowhere"], b"Subject: nowhere\r\n\r\nx\r\n");
                assert_eq!(subjects(&s, &a, "INBOX"), ["plain", "nowhere"]);
                assert_eq!(subjects(&s, &a, "Lists/Rust"), ["sub"]);
                let script = br#"require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "report" {
    fileinto :create :flags ["\\Seen", "$Report"] "Reports/2026";
    stop;
}
if mailboxexists "Lists/Rust" { fileinto "Lists/Rust"; }
"#;
                s.sieve_put(&Actor::Admin, "sue", "main", script).unwrap();
                s.sieve_activate(&Actor::Admin, "sue", Some("main"))
                    .unwrap();
                deliver(&s, &["sue"], b"Subject: a report\r\n\r\nx\r\n");
                deliver(&s, &["sue"], b"Subject: other\r\n\r\nx\r\n");
                assert_eq!(subjects(&s, &a, "Reports/2026"), ["a report"]);
                let r = s.open_folder(&a, &fname("Reports/2026")).unwrap();
                let m = r.message(0).unwrap();
                assert!(m.flags.contains(SystemFlags::SEEN));
                assert_eq!(m.keywords, ["$Report"]);
                assert_eq!(subjects(&s, &a, "Lists/Rust"), ["sub", "other"]);
                assert_eq!(subjects(&s, &a, "INBOX"), ["plain", "nowhere"]);
            }

            #[test]
            fn one_file_for_many_messagestore_recipients_and_pop3_serves_inbox() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                let b = imap_account(&s, "tom");
                deliver(&s, &["sue", "tom"], b"Subject: both\r\n\r\nx\r\n");
                let f = s.open_folder(&a, &FolderName::inbox()).unwrap();
                let g = s.open_folder(&b, &FolderName::inbox()).unwrap();
                let file = f.message(0).unwrap().message;
                assert_eq!(g.message(0).unwrap().message, file);
                assert_eq!(s.reference_count(file).unwrap(), Some(2));
                // POP3 on a MessageStore account: its INBOX; DELE expunges.
                let mut md = s.open_maildrop(&a).unwrap();
                assert_eq!(md.stat().0, 1);
                assert!(md.message(0).unwrap().is_some());
                assert!(md.mark_deleted(0));
                md.commit().unwrap();
                assert!(s.open_folder(&a, &FolderName::inbox()).unwrap().is_empty());
                assert_eq!(s.reference_count(file).unwrap(), Some(1));
                let mut md = s.open_maildrop(&b).unwrap();
                assert!(md.message(0).unwrap().is_some());
                md.commit().unwrap();
                let g = s.open_folder(&b, &FolderName::inbox()).unwrap();
                assert!(g.message(0).unwrap().flags.contains(SystemFlags::SEEN));
            }

            #[test]
            fn rename_while_deliveries_file_into_the_folder_loses_nothing() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                s.create_folder(&a, &fname("Work"), SpecialUse::NONE)
                    .unwrap();
                let n = 40;
                std::thread::scope(|sc| {
                    sc.spawn(|| {
                        for i in 0..n {
                            let m = format!("Subject: w{i}\r\n\r\nx\r\n");
                            deliver(&s, &["sue+Work"], m.as_bytes());
                        }
                    });
                    sc.spawn(|| {
                        for i in 0..10 {
                            let (from, to) = if i % 2 == 0 {
                                ("Work", "Other")
                            } else {
                                ("Other", "Work")
                            };
                            s.rename_folder(&a, &fname(from), &fname(to)).unwrap();
                        }
                    });
                });
                // Every message is in the renamed folder or, when it came
                // while the folder was called Other, in INBOX; none lost,
                // none twice.
                let mut all = subjects(&s, &a, "Work");
                all.extend(subjects(&s, &a, "INBOX"));
                all.sort();
                let mut want: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
                want.sort();
                assert_eq!(all, want);
                let f = s.open_folder(&a, &fname("Work")).unwrap();
                let uids: Vec<u32> = f.entries().iter().map(|e| e.uid).collect();
                let mut dedup = uids.clone();
                dedup.dedup();
                assert_eq!(uids, dedup);
            }

            #[test]
            fn a_session_whose_folder_is_deleted_gets_a_clear_error() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                s.create_folder(&a, &fname("Gone"), SpecialUse::NONE)
                    .unwrap();
                append(&s, &a, "Gone", 1);
                let mut f = s.open_folder(&a, &fname("Gone")).unwrap();
                s.delete_folder(&a, &fname("Gone"), false).unwrap();
                let e = s.refresh_folder(&mut f).unwrap_err();
                assert!(matches!(e, StoreError::Folder(_)), "{e}");
                let e = s
                    .store_flags(&mut f, &[1], FlagOp::Add, SystemFlags::SEEN, &[], None)
                    .unwrap_err();
                assert!(matches!(e, StoreError::Folder(_)), "{e}");
                // Made again: a new UIDVALIDITY, the old session's view is
                // not taken for it.
                s.create_folder(&a, &fname("Gone"), SpecialUse::NONE)
                    .unwrap();
                let g = s.open_folder(&a, &fname("Gone")).unwrap();
                assert_ne!(g.uidvalidity(), f.uidvalidity());
                assert!(g.is_empty());
            }

            #[test]
            fn the_quota_counts_every_folder_and_expunge_frees_it() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                s.create_folder(&a, &fname("Other"), SpecialUse::NONE)
                    .unwrap();
                let one = popstore::mime::precompute(&msg(1)).0.len() as u64;
                s.modify_account(
                    &Actor::Admin,
                    "sue",
                    &AccountChanges {
                        quota: Some(popstore::store::units::SizeLimit::Bytes(3 * one as u32)),
                        overdraft: Some(popstore::store::units::SizeLimit::None),
                        ..AccountChanges::default()
                    },
                )
                .unwrap();
                append(&s, &a, "INBOX", 1);
                append(&s, &a, "Other", 2);
                append(&s, &a, "Other", 3);
                let over = s.append_message(
                    &a,
                    &fname("INBOX"),
                    &NewMessage {
                        bytes: &vec![b'x'; 4096],
                        ..NewMessage::default()
                    },
                );
                assert!(matches!(over, Err(StoreError::OverQuota(_))), "{over:?}");
                let mut o = s.open_folder(&a, &fname("Other")).unwrap();
                s.store_flags(
                    &mut o,
                    &[1, 2],
                    FlagOp::Add,
                    SystemFlags::DELETED,
                    &[],
                    None,
                )
                .unwrap();
                s.expunge(&mut o, None).unwrap();
                append(&s, &a, "INBOX", 4);
            }

            /// A keyword is one keyword whatever its case (RFC 9051 2.3.2):
            /// STORE writes the spelling the folder has.
            #[test]
            fn store_spells_a_keyword_as_the_folder_does() {
                let (_fs, s) = fresh();
                let a = imap_account(&s, "sue");
                append(&s, &a, "INBOX", 1);
                append(&s, &a, "INBOX", 2);
                let mut f = s.open_folder(&a, &fname("INBOX")).unwrap();
                let kw = |w: &str| vec![w.to_owned()];
                s.store_flags(
                    &mut f,
                    &[1],
                    FlagOp::Add,
                    SystemFlags::default(),
                    &kw("$Junk"),
                    None,
                )
                .unwrap();
                let out = s
                    .store_flags(
                        &mut f,
                        &[2],
                        FlagOp::Add,
                        SystemFlags::default(),
                        &kw("$JUNK"),
                        None,
                    )
                    .unwrap();
                assert_eq!(out.changed, vec![2]);
                let g = s.open_folder(&a, &fname("INBOX")).unwrap();
                assert_eq!(g.keywords(), ["$Junk"]);
                assert_eq!(g.by_uid(2).unwrap().1.keywords, ["$Junk"]);
                // Removing in another case removes it.
                s.store_flags(
                    &mut f,
                    &[1, 2],
                    FlagOp::Remove,
                    SystemFlags::default(),
                    &kw("$junk"),
                    None,
                )
                .unwrap();
                assert!(f.messages().all(|m| m.keywords.is_empty()));
            }

            /// An EXPUNGE of messages a fold has written into the index
            /// frees their space at once (a FREED record, SPEC 8.1, not a
            /// rewrite of the profile), the next fold keeps the count
            /// right, and verify agrees at every step.
            #[test]
            fn an_expunge_of_folded_messages_frees_the_quota_at_once() {
                let (fs, s) = fresh();
                let a = imap_account(&s, "sue");
                let one = popstore::mime::precompute(&msg(1)).0.len() as u64;
                s.modify_account(
                    &Actor::Admin,
                    "sue",
                    &AccountChanges {
                        quota: Some(popstore::store::units::SizeLimit::Bytes(3 * one as u32)),
                        overdraft: Some(popstore::store::units::SizeLimit::None),
                        ..AccountChanges::default()
                    },
                )
                .unwrap();
                for n in 1..=3 {
                    append(&s, &a, "INBOX", n);
                }
                let full = |s: &Store| {
                    let r = s.append_message(
                        &a,
                        &fname("INBOX"),
                        &NewMessage {
                            bytes: &msg(9),
                            ..NewMessage::default()
                        },
                    );
                    matches!(r, Err(StoreError::OverQuota(_)))
                };
                let clean = || {
                    let r = popstore::verify::verify(
                        &popstore::verify::PlatformStore::new(fs.as_ref()),
                        &|_| {},
                    );
                    assert!(r.problems.is_empty(), "{:?}", r.problems);
                };
                assert!(full(&s));
                // Enough changes for a fold: the three messages are then
                // entries of the index file, not of its journal.
                let mut f = s.open_folder(&a, &fname("INBOX")).unwrap();
                for i in 0..=popstore::store::folders::FOLD_AT {
                    let op = if i % 2 == 0 {
                        FlagOp::Add
                    } else {
                        FlagOp::Remove
                    };
                    s.store_flags(&mut f, &[1], op, SystemFlags::FLAGGED, &[], None)
                        .unwrap();
                }
                clean();
                s.store_flags(&mut f, &[2], FlagOp::Add, SystemFlags::DELETED, &[], None)
                    .unwrap();
                let counter = |s: &Store| s.existing(&a).unwrap().quota_used;
                let before = counter(&s);
                assert_eq!(s.expunge(&mut f, None).unwrap(), vec![2]);
                assert_eq!(counter(&s), before, "the EXPUNGE left the profile alone");
                clean();
                assert!(!full(&s), "the expunged message's space is free at once");
                assert!(full(&s), "and taken by the new message");
                // Through the next fold the count stays right.
                for i in 0..=popstore::store::folders::FOLD_AT {
                    let op = if i % 2 == 0 {
                        FlagOp::Add
                    } else {
                        FlagOp::Remove
                    };
                    s.store_flags(&mut f, &[1], op, SystemFlags::FLAGGED, &[], None)
                        .unwrap();
                }
                clean();
                assert!(full(&s));
                s.store_flags(&mut f, &[3], FlagOp::Add, SystemFlags::DELETED, &[], None)
                    .unwrap();
                s.expunge(&mut f, None).unwrap();
                assert!(!full(&s));
                clean();
            }
        }
    };
}

/// Many folders and deep names, on the memory backend (each CREATE
/// rewrites the mailbox list, so making N folders one by one costs N²:
/// 2,000 here keeps the debug-build test short; the hierarchy rules are
/// checked with 10,000 folders in `folder_tree`'s unit tests).
#[test]
fn thousands_of_folders_and_deep_names() {
    let s = Store::init(
        Arc::new(popstore_platform::PosixTree::memory(1)),
        Settings::default(),
    )
    .unwrap();
    let a = imap_account(&s, "sue");
    for i in 0..2_000 {
        s.create_folder(&a, &fname(&format!("F{}/{i}", i % 100)), SpecialUse::NONE)
            .unwrap();
    }
    assert_eq!(s.list_folders(&a, "*", false).unwrap().len(), 2_101);
    assert_eq!(s.list_folders(&a, "F7/%", false).unwrap().len(), 20);
    let deep: Vec<String> = (0..64).map(|i| format!("l{i}")).collect();
    s.create_folder(&a, &fname(&deep.join("/")), SpecialUse::NONE)
        .unwrap();
    let too_deep: Vec<String> = (0..100).map(|i| format!("l{i}")).collect();
    let e = FolderName::new(&too_deep.join("/")).unwrap_err();
    assert!(e.to_string().contains("64"), "{e}");
    assert!(FolderName::new(&"x".repeat(1000)).is_err());
    assert!(FolderName::from_utf7("&AGE-").is_err());
}

/// A fresh directory under Cargo's target tmp dir.
fn scratch() -> std::path::PathBuf {
    tempfile::Builder::new()
        .prefix("store-folders-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep()
}

folder_tests!(memory, Arc::new(popstore_platform::PosixTree::memory(1)));
folder_tests!(
    linux,
    Arc::new(popstore_platform_linux::linux(vec![scratch()]))
);
folder_tests!(
    openvms,
    Arc::new(popstore_platform_openvms::openvms(vec![scratch()]))
);
