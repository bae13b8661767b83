//! Store-level tests of the engine, run over every platform backend.

use std::sync::Arc;

use popstore::delivery::{Delivery, Envelope};
use popstore::store::flags::FlagChange;
use popstore::store::groups::{Actor, GroupName};
use popstore::store::layout;
use popstore::store::password::Secret;
use popstore::store::units::SizeLimit;
use popstore::store::{AccountChanges, DeleteMode, Settings, Store, StoreError};
use popstore_platform::{Entry, Platform};

fn env() -> Envelope {
    Envelope {
        mail_from: "sender@far.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    }
}

fn deliver(store: &Store, to: &[&str], msg: &[u8]) -> Vec<Result<(), String>> {
    let mut acc = Vec::new();
    for t in to {
        acc.push(
            store
                .check_recipient(&env(), t, msg.len() as u64)
                .map_err(|r| r.to_string())
                .unwrap_or_else(|e| panic!("{t} refused: {e}")),
        );
    }
    store
        .deliver(&env(), &acc, msg)
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn message_files(fs: &dyn Platform) -> usize {
    fn walk(fs: &dyn Platform, d: &popstore_platform::DirPath) -> usize {
        let mut n = 0;
        for e in fs.list(d).unwrap() {
            match e {
                Entry::Dir(x) => n += walk(fs, &d.child(x)),
                Entry::File { ftype, .. } if ftype.as_str() == "MSG" => n += 1,
                Entry::File { .. } => {}
            }
        }
        n
    }
    walk(fs, &layout::messages_dir())
}

fn add(store: &Store, name: &str) {
    store
        .create_account(&Actor::Admin, name, &AccountChanges::default())
        .unwrap();
}

fn refusal(store: &Store, to: &str, size: u64) -> String {
    store
        .check_recipient(&env(), to, size)
        .map(|_| "accepted".to_string())
        .unwrap_or_else(|r| r.to_string())
}

/// One relayed message: from, to, bytes.
type Sent = (String, Vec<String>, Vec<u8>);

/// Records what the store hands to the SMTP relay (the real relay, in
/// `src/relay.rs`, is tested against an SMTP server by its own tests).
#[derive(Debug, Default)]
struct Recorder {
    sent: std::sync::Mutex<Vec<Sent>>,
    refuse: bool,
}

impl popstore::store::Relay for Recorder {
    fn relay(
        &self,
        from: &str,
        to: &[String],
        msg: &[u8],
    ) -> Result<(), popstore::delivery::Refusal> {
        if self.refuse {
            return Err(popstore::delivery::Refusal::new(
                554,
                (5, 7, 1),
                "relay says no",
            ));
        }
        self.sent
            .lock()
            .unwrap()
            .push((from.to_string(), to.to_vec(), msg.to_vec()));
        Ok(())
    }
}

macro_rules! store_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            fn fresh() -> (Arc<dyn Platform>, Arc<Store>) {
                let fs: Arc<dyn Platform> = $make;
                let s = Store::init(fs.clone(), Settings::default()).unwrap();
                (fs, Arc::new(s))
            }

            #[test]
            fn init_once_then_open() {
                let (fs, _s) = fresh();
                assert!(matches!(
                    Store::init(fs.clone(), Settings::default()),
                    Err(StoreError::AlreadyInitialized(_))
                ));
                let s = Store::open(fs).unwrap();
                assert!(s.profile(&s.name("default").unwrap()).unwrap().is_some());
            }

            #[test]
            fn new_accounts_copy_the_default_and_names_ignore_case() {
                let (_fs, s) = fresh();
                let ch = AccountChanges {
                    quota: Some(SizeLimit::Bytes(5000)),
                    flags: Some(FlagChange::parse("LOCKPWD").unwrap()),
                    ..AccountChanges::default()
                };
                s.modify_account(&Actor::Admin, "default", &ch).unwrap();
                let ch = AccountChanges {
                    owner: Some("John Doe".into()),
                    password: Some(Secret::new("pw")),
                    ..AccountChanges::default()
                };
                s.create_account(&Actor::Admin, "John", &ch).unwrap();
                let i = s.show_account(&Actor::Admin, "JOHN").unwrap();
                assert_eq!(i.name, "john");
                assert_eq!(i.owner, "John Doe");
                assert_eq!(i.quota, Some(5000));
                assert_eq!(i.flags, ["LOCKPWD"]);
                assert!(i.has_password);
                assert!(matches!(
                    s.create_account(&Actor::Admin, "jOhN", &AccountChanges::default()),
                    Err(StoreError::AccountExists(_))
                ));
                assert!(s.authenticate("john", &Secret::new("pw")).is_ok());
                assert!(s.authenticate("john", &Secret::new("nope")).is_err());
            }

            #[test]
            fn one_message_file_for_fifty_recipients_removed_with_the_last_reference() {
                let (fs, s) = fresh();
                let names: Vec<String> = (0..50).map(|i| format!("user{i}")).collect();
                for n in &names {
                    add(&s, n);
                }
                let to: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                let msg = b"Subject: hi\nMessage-ID: <1@x>\n\nhello\n.dot\n";
                assert!(deliver(&s, &to, msg).iter().all(|r| r.is_ok()));
                assert_eq!(message_files(fs.as_ref()), 1);
                for (k, n) in names.iter().enumerate() {
                    let mut md = s.open_maildrop(&s.name(n).unwrap()).unwrap();
                    let stored = b"Subject: hi\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n.dot\r\n";
                    assert_eq!(md.stat(), (1, stored.len() as u64));
                    let b = md.message(0).unwrap().unwrap();
                    assert_eq!(b.body(), stored);
                    assert_eq!(b.info.dot_lines, [stored.len() as u64 - 6]);
                    let v = s.open_message(md.entries()[0].message).unwrap();
                    assert_eq!(v.body(), stored);
                    assert_eq!(v.header.message_id, "<1@x>");
                    // The MIME module's precomputed IMAP answers are stored.
                    assert_eq!(v.header.imap.rfc822_size, Some(stored.len() as u64));
                    assert!(v.header.imap.bodystructure.is_some());
                    assert!(!v.header.imap.parts.is_empty());
                    assert!(md.mark_deleted(0));
                    md.commit().unwrap();
                    let left = if k + 1 < names.len() { 1 } else { 0 };
                    assert_eq!(message_files(fs.as_ref()), left, "after {n}");
                }
                let i = s.show_account(&Actor::Admin, "user0").unwrap();
                assert_eq!(
                    (i.messages, i.usage, i.received_messages, i.received_bytes),
                    (0, 0, 1, 47)
                );
                assert_eq!(i.connections, 1);
            }

            #[test]
            fn concurrent_deliveries_to_one_account_all_land() {
                let (fs, s) = fresh();
                add(&s, "ann");
                add(&s, "bob");
                std::thread::scope(|sc| {
                    for t in 0..6 {
                        let s = &s;
                        sc.spawn(move || {
                            for k in 0..5 {
                                let m = format!("Subject: {t}-{k}\r\n\r\nx\r\n");
                                let r = deliver(s, &["ann", "bob"], m.as_bytes());
                                assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
                            }
                        });
                    }
                });
                let md = s.open_maildrop(&s.name("ann").unwrap()).unwrap();
                assert_eq!(md.entries().len(), 30);
                let mut uidls: Vec<&str> = md.entries().iter().map(|e| e.uidl.as_str()).collect();
                uidls.sort();
                uidls.dedup();
                assert_eq!(uidls.len(), 30);
                assert_eq!(message_files(fs.as_ref()), 30);
                let i = s.show_account(&Actor::Admin, "bob").unwrap();
                assert_eq!((i.messages, i.received_messages), (30, 30));
            }

            #[test]
            fn refusals_unknown_dismail_and_quota() {
                let (_fs, s) = fresh();
                add(&s, "ann");
                assert_eq!(
                    refusal(&s, "bob@localhost", 10),
                    "550 5.1.1 bob@localhost: no such user"
                );
                assert!(refusal(&s, "ann@here", 10).starts_with("550 5.1.2 "));
                let dis = AccountChanges {
                    flags: Some(FlagChange::parse("DISMAIL").unwrap()),
                    ..AccountChanges::default()
                };
                s.modify_account(&Actor::Admin, "ann", &dis).unwrap();
                assert_eq!(refusal(&s, "ann", 10), "550 5.2.1 ann: mailbox disabled");
                add(&s, "cat");
                let q = AccountChanges {
                    quota: Some(SizeLimit::Bytes(100)),
                    overdraft: Some(SizeLimit::Bytes(50)),
                    ..AccountChanges::default()
                };
                s.modify_account(&Actor::Admin, "cat", &q).unwrap();
                assert_eq!(refusal(&s, "Cat+box@localhost", 150), "accepted");
                assert_eq!(refusal(&s, "cat", 151), "552 5.2.2 cat: mailbox full");
                let mut m = vec![b'x'; 98];
                m.extend_from_slice(b"\r\n");
                assert!(deliver(&s, &["cat"], &m).iter().all(|r| r.is_ok()));
                // usage 100 (98 + CRLF) = quota: refused whatever the size
                assert_eq!(refusal(&s, "cat", 1), "552 5.2.2 cat: mailbox full");
                let fs: Arc<dyn Platform> = $make;
                let settings = Settings {
                    quota_temporary: true,
                    ..Settings::default()
                };
                let t = Store::init(fs, settings).unwrap();
                add(&t, "cat");
                t.modify_account(&Actor::Admin, "cat", &q).unwrap();
                assert_eq!(refusal(&t, "cat", 151), "452 4.2.2 cat: mailbox full");
            }

            #[test]
            fn maildrop_locks_resets_and_drops_commit_nothing() {
                let (_fs, s) = fresh();
                add(&s, "ann");
                for i in 0..3 {
                    let m = format!("Subject: {i}\r\n\r\nbody\r\n");
                    assert!(
                        deliver(&s, &["ann"], m.as_bytes())
                            .iter()
                            .all(|r| r.is_ok())
                    );
                }
                let ann = s.name("ann").unwrap();
                let mut md = s.open_maildrop(&ann).unwrap();
                assert!(matches!(s.open_maildrop(&ann), Err(StoreError::InUse(_))));
                assert!(md.mark_deleted(0) && md.mark_deleted(2));
                assert!(!md.mark_deleted(2));
                md.reset();
                assert!(md.mark_deleted(1));
                drop(md); // connection dropped: nothing committed
                let mut md = s.open_maildrop(&ann).unwrap();
                assert_eq!(md.stat().0, 3);
                // a message delivered during the session survives its commit
                assert!(md.mark_deleted(1));
                let uidls: Vec<String> = md.entries().iter().map(|e| e.uidl.clone()).collect();
                assert!(deliver(&s, &["ann"], b"late\r\n").iter().all(|r| r.is_ok()));
                md.commit().unwrap();
                let md = s.open_maildrop(&ann).unwrap();
                let now: Vec<String> = md.entries().iter().map(|e| e.uidl.clone()).collect();
                assert_eq!(now.len(), 3);
                assert_eq!(now[..2], [uidls[0].clone(), uidls[2].clone()]);
            }

            #[test]
            fn forwarding_semantics_and_loops() {
                let (_fs, s) = fresh();
                add(&s, "ann");
                add(&s, "bob");
                let a = Actor::Admin;
                s.add_forwarding(&a, "ann", &["bob".into()]).unwrap();
                let r = s.resolve("ann@localhost").unwrap();
                assert_eq!(r.local.len(), 1);
                assert_eq!(r.local[0].as_str(), "bob");
                // Only the local domains reach accounts (issue 12): the
                // recipient's own domain is not local by being asked for.
                assert!(matches!(
                    s.resolve("ann@here.example"),
                    Err(popstore::store::forward::ForwardError::Unknown(_))
                ));
                s.add_forwarding(&a, "list", &["ann".into(), "bob".into()])
                    .unwrap();
                assert_eq!(s.resolve("list").unwrap().local.len(), 1);
                assert!(matches!(
                    s.add_forwarding(&a, "bob", &["list".into()]),
                    Err(StoreError::Forward(_))
                ));
                s.add_forwarding(&a, "ann", &["bob".into(), "ann".into()])
                    .unwrap();
                assert_eq!(s.resolve("list").unwrap().local.len(), 2);
                // external targets need a relay
                s.add_forwarding(&a, "out", &["x@far.example".into()])
                    .unwrap();
                assert!(refusal(&s, "out", 1).starts_with("550 5.3.5"));
                s.delete_forwarding(&a, "ann").unwrap();
                assert_eq!(s.forwardings().unwrap().len(), 2);
                // A no-override store refuses to forward an account.
                let fs: Arc<dyn Platform> = $make;
                let settings = Settings {
                    no_forward_override: true,
                    ..Settings::default()
                };
                let t = Store::init(fs.clone(), settings).unwrap();
                add(&t, "ann");
                assert!(matches!(
                    t.add_forwarding(&a, "ann", &["x@far.example".into()]),
                    Err(StoreError::Invalid(_))
                ));
                t.add_forwarding(&a, "nobody", &["ann".into()]).unwrap();
                let t = Store::open(fs).unwrap();
                assert!(t.settings().no_forward_override);
                assert_eq!(t.resolve("nobody").unwrap().local[0].as_str(), "ann");
            }

            #[test]
            fn external_targets_and_returns_go_through_the_relay() {
                let (_fs, s) = fresh();
                add(&s, "ann");
                let a = Actor::Admin;
                s.add_forwarding(&a, "ann", &["ann".into(), "ann@far.example".into()])
                    .unwrap();
                let rec = Arc::new(Recorder::default());
                s.set_relay(rec.clone());
                let msg = b"Subject: fw\r\n\r\nbody\r\n";
                assert!(deliver(&s, &["ann"], msg).iter().all(|r| r.is_ok()));
                {
                    let sent = rec.sent.lock().unwrap();
                    assert_eq!(sent.len(), 1);
                    assert_eq!(sent[0].0, "sender@far.example");
                    assert_eq!(sent[0].1, ["ann@far.example"]);
                    assert_eq!(sent[0].2, msg);
                }
                assert_eq!(s.show_account(&a, "ann").unwrap().messages, 1);
                // Deleting with returns: the unread message goes back to its sender.
                let mode = DeleteMode {
                    messages_only: true,
                    return_unread: true,
                };
                assert_eq!(s.delete_account(&a, "ann", mode).unwrap(), 1);
                let sent = rec.sent.lock().unwrap();
                assert_eq!(sent.len(), 2);
                assert_eq!(sent[1].0, "");
                assert_eq!(sent[1].1, ["sender@far.example"]);
                assert!(sent[1].2.windows(msg.len()).any(|w| w == msg));
                drop(sent);
                // A relay refusal is the recipient's refusal.
                let (_fs2, t) = fresh();
                add(&t, "bob");
                t.add_forwarding(&a, "bob", &["bob@far.example".into()])
                    .unwrap();
                t.set_relay(Arc::new(Recorder {
                    refuse: true,
                    ..Recorder::default()
                }));
                assert_eq!(
                    deliver(&t, &["bob"], msg),
                    [Err("554 5.7.1 relay says no".to_string())]
                );
            }

            #[test]
            fn managers_act_only_within_their_group() {
                let (_fs, s) = fresh();
                let a = Actor::Admin;
                s.add_group(&a, "staff", None).unwrap();
                s.add_group(&a, "sales", Some("staff")).unwrap();
                s.add_group(&a, "lab", None).unwrap();
                let in_group = |g: &str| AccountChanges {
                    group: Some(Some(GroupName::new(g).unwrap())),
                    ..AccountChanges::default()
                };
                let mut boss = in_group("staff");
                boss.flags = Some(FlagChange::parse("MANAGE").unwrap());
                boss.password = Some(Secret::new("b"));
                s.create_account(&a, "boss", &boss).unwrap();
                s.create_account(&a, "seller", &in_group("sales")).unwrap();
                s.create_account(&a, "chemist", &in_group("lab")).unwrap();
                let m = s.manager("boss", &Secret::new("b")).unwrap();
                assert!(s.manager("seller", &Secret::new("")).is_err());
                let q = AccountChanges {
                    quota: Some(SizeLimit::Bytes(1)),
                    ..AccountChanges::default()
                };
                s.modify_account(&m, "seller", &q).unwrap();
                assert!(matches!(
                    s.modify_account(&m, "chemist", &q),
                    Err(StoreError::Denied(_))
                ));
                assert!(matches!(
                    s.modify_account(&m, "seller", &in_group("lab")),
                    Err(StoreError::Denied(_))
                ));
                assert!(matches!(
                    s.add_group(&m, "x", None),
                    Err(StoreError::Denied(_))
                ));
                assert_eq!(s.expand(&m, "*").unwrap(), ["boss", "seller"]);
                assert_eq!(s.expand(&a, "*").unwrap().len(), 4);
                assert!(matches!(
                    s.delete_group(&a, "lab"),
                    Err(StoreError::Invalid(_))
                ));
            }

            #[test]
            fn a_wildcard_reads_only_the_profiles_whose_names_it_may_match() {
                let (fs, s) = fresh();
                // The last name is too long for the reversible encoding:
                // its subtree's name does not say it, so it is read.
                for n in ["ann", "annette", "bob", "a.b.c.d.e.f.g.h.i.j.k.l.m"] {
                    add(&s, n);
                }
                let bob = s.name("bob").unwrap();
                fs.replace(
                    &s.paths().profile(&bob),
                    popstore_platform::RecordFormat::Var,
                    b"not a profile",
                )
                .unwrap();
                let listed = |pattern: &str| -> (Vec<String>, usize) {
                    let (mut names, mut damaged) = (Vec::new(), 0);
                    for i in s.list_accounts(&Actor::Admin, pattern).unwrap() {
                        match i {
                            Ok(i) => names.push(i.name),
                            Err(_) => damaged += 1,
                        }
                    }
                    names.sort();
                    (names, damaged)
                };
                // Every profile is read for `*`: bob's damage shows.
                assert_eq!(listed("*").1, 1);
                // `a*` never opens bob's profile, and finds the long name.
                assert_eq!(
                    listed("A*"),
                    (
                        vec![
                            "a.b.c.d.e.f.g.h.i.j.k.l.m".to_string(),
                            "ann".to_string(),
                            "annette".to_string()
                        ],
                        0
                    )
                );
                assert_eq!(listed("%nn").0, ["ann"]);
                assert_eq!(listed("*.m").0, ["a.b.c.d.e.f.g.h.i.j.k.l.m"]);
            }

            #[test]
            fn rename_carries_the_sieve_scripts_and_refuses_a_messagestore_account() {
                let (fs, s) = fresh();
                let a = Actor::Admin;
                add(&s, "ann");
                let rules =
                    b"require \"fileinto\";\nif header :contains \"subject\" \"x\" { discard; }\n";
                s.sieve_put(&a, "ann", "Rules", rules).unwrap();
                s.sieve_activate(&a, "ann", Some("Rules")).unwrap();
                s.rename_account(&a, "ann", "anna").unwrap();
                let list = s.sieve_list(&a, "anna").unwrap();
                assert_eq!(list.len(), 1);
                assert!(list[0].active && list[0].name == "rules", "{list:?}");
                assert_eq!(s.sieve_get(&a, "anna", "rules").unwrap(), rules);
                // Nothing is left under the old name.
                let ann = s.name("ann").unwrap();
                assert!(fs.list(&s.paths().user_dir(&ann)).is_err());

                let imap = AccountChanges {
                    store_type: Some(popstore::store::StoreType::Imap),
                    ..AccountChanges::default()
                };
                s.create_account(&a, "ivy", &imap).unwrap();
                let e = s.rename_account(&a, "ivy", "ivo").unwrap_err().to_string();
                assert!(e.contains("MessageStore"), "{e}");
                assert!(s.show_account(&a, "ivy").is_ok());
                assert!(s.show_account(&a, "ivo").is_err());
            }

            #[test]
            fn rename_copy_and_delete() {
                let (fs, s) = fresh();
                add(&s, "ann");
                add(&s, "bob");
                assert!(
                    deliver(&s, &["ann", "bob"], b"m\r\n")
                        .iter()
                        .all(|r| r.is_ok())
                );
                let a = Actor::Admin;
                s.rename_account(&a, "ann", "anna").unwrap();
                assert!(matches!(
                    s.show_account(&a, "ann"),
                    Err(StoreError::UnknownAccount(_))
                ));
                assert_eq!(s.show_account(&a, "anna").unwrap().messages, 1);
                s.copy_account(&a, "anna", "carl").unwrap();
                assert_eq!(s.show_account(&a, "carl").unwrap().messages, 0);
                let only = DeleteMode {
                    messages_only: true,
                    ..DeleteMode::default()
                };
                assert_eq!(s.delete_account(&a, "anna", only).unwrap(), 1);
                assert_eq!(s.show_account(&a, "anna").unwrap().messages, 0);
                assert_eq!(message_files(fs.as_ref()), 1);
                assert_eq!(
                    s.delete_account(&a, "bob", DeleteMode::default()).unwrap(),
                    1
                );
                assert_eq!(message_files(fs.as_ref()), 0);
                assert!(matches!(
                    s.show_account(&a, "bob"),
                    Err(StoreError::UnknownAccount(_))
                ));
                // Nothing of bob's subtree is left, lock files included.
                let bob = s.name("bob").unwrap();
                assert!(fs.list(&s.paths().user_dir(&bob)).is_err());
                let ann = s.name("ann").unwrap();
                assert!(fs.list(&s.paths().user_dir(&ann)).is_err());
                assert!(
                    s.delete_account(&a, "default", DeleteMode::default())
                        .is_err()
                );
            }
        }
    };
}

store_tests!(memory, Arc::new(popstore_platform::PosixTree::memory(1)));

/// A fresh directory under Cargo's target tmp dir, kept after the test
/// (the platform only holds its path).
fn scratch() -> std::path::PathBuf {
    tempfile::Builder::new()
        .prefix("store-engine-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep()
}

store_tests!(
    linux,
    Arc::new(popstore_platform_linux::linux(vec![scratch()]))
);

store_tests!(
    openvms,
    Arc::new(popstore_platform_openvms::openvms(vec![scratch()]))
);

/// A store whose descriptor puts user subtrees on two roots (SPEC 14.4:
/// root `hash mod 2`): every account is listed, from both.
#[test]
fn accounts_on_every_users_root_are_listed() {
    use popstore_formats::StoreFile;
    use popstore_formats::descriptor::{RootRoles, StoreDescriptor, StoreRoot};
    let fs: Arc<dyn Platform> = Arc::new(popstore_platform::PosixTree::memory(2));
    Store::init(fs.clone(), Settings::default()).unwrap();
    let mut d = StoreDescriptor::decode(&fs.read(&layout::descriptor()).unwrap()).unwrap();
    d.roots.push(StoreRoot {
        index: 1,
        roles: RootRoles(RootRoles::USERS.0),
        label: "ROOT1".into(),
        linux_dir: String::new(),
        openvms_dir: String::new(),
    });
    fs.replace(
        &layout::descriptor(),
        popstore_platform::RecordFormat::Var,
        &d.encode().unwrap(),
    )
    .unwrap();
    // The template account `default` hashes to root 0 with either layout.
    let s = Store::open(fs.clone()).unwrap();
    let names: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
    for n in &names {
        add(&s, n);
    }
    let on_root_1 = names
        .iter()
        .filter(|n| s.paths().user_dir(&s.name(n).unwrap()).root == 1)
        .count();
    assert!(on_root_1 > 0 && on_root_1 < names.len());
    let mut listed: Vec<String> = s
        .list_accounts(&Actor::Admin, "user*")
        .unwrap()
        .map(|i| i.unwrap().name)
        .collect();
    listed.sort();
    let mut want = names.clone();
    want.sort();
    assert_eq!(listed, want);
}
