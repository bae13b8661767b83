//! The message-list journal (SPEC.md 7.1) as users depend on it: every
//! delivery is visible at once, UIDLs never change when the journal is
//! folded, counters add up, and a crash in a fold or in an append (a stale
//! journal, a torn tail) loses nothing and doubles nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use popstore::delivery::{Delivery, Envelope};
use popstore::store::groups::Actor;
use popstore::store::name::AccountName;
use popstore::store::{AccountChanges, JOURNAL_FOLD_AT, Settings, Store};
use popstore_formats::StoreFile;
use popstore_formats::journal::MessageJournal;
use popstore_formats::layout::linux_relative;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: Arc<Store>,
}

fn store() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let fs = Arc::new(popstore_platform_linux::linux(vec![root.clone()]));
    let store = Arc::new(Store::init(fs, Settings::default()).unwrap());
    for u in ["ann", "bob"] {
        store
            .create_account(&Actor::Admin, u, &AccountChanges::default())
            .unwrap();
    }
    Fixture {
        _dir: dir,
        root,
        store,
    }
}

fn deliver(store: &Store, to: &[&str], k: usize) {
    let env = Envelope {
        mail_from: "a@far.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let msg = format!("Subject: {k}\r\n\r\nbody {k}\r\n");
    let acc: Vec<_> = to
        .iter()
        .map(|r| store.check_recipient(&env, r, msg.len() as u64).unwrap())
        .collect();
    let results = store.deliver(&env, &acc, msg.as_bytes());
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
}

fn journal_path(f: &Fixture, name: &AccountName) -> PathBuf {
    f.root.join(linux_relative(
        &f.store.paths().user(name).message_journal(),
    ))
}

fn list_path(f: &Fixture, name: &AccountName) -> PathBuf {
    f.root
        .join(linux_relative(&f.store.paths().message_list(name)))
}

fn journal(p: &Path) -> Option<MessageJournal> {
    std::fs::read(p)
        .ok()
        .map(|b| MessageJournal::decode(&b).unwrap())
}

fn uidls(store: &Store, name: &AccountName) -> Vec<String> {
    store
        .read_list(name)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.uidl)
        .collect()
}

fn verify(root: &Path, repair: bool) -> (bool, String) {
    let mut cmd = assert_cmd::Command::cargo_bin("popstore").unwrap();
    cmd.arg("--store").arg(root).arg("verify");
    if repair {
        cmd.arg("--repair");
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn deliveries_append_and_show_at_once() {
    let f = store();
    let ann = f.store.name("ann").unwrap();
    for k in 0..5 {
        deliver(&f.store, &["ann"], k);
    }
    // No list rewrite: the list file does not even exist yet.
    assert!(!list_path(&f, &ann).exists());
    let j = journal(&journal_path(&f, &ann)).expect("a journal");
    assert_eq!((j.base, j.entries.len(), j.torn_tail), (1, 5, 0));
    let list = f.store.read_list(&ann).unwrap();
    assert_eq!(list.entries.len(), 5);
    assert_eq!(list.next_uidl, 6);
    let info = f.store.show_account(&Actor::Admin, "ann").unwrap();
    let bytes: u64 = list.entries.iter().map(|e| e.size).sum();
    assert_eq!((info.messages, info.usage), (5, bytes));
    assert_eq!((info.received_messages, info.received_bytes), (5, bytes));
    let (clean, out) = verify(&f.root, false);
    assert!(clean, "{out}");
}

#[test]
fn a_full_journal_is_folded_and_uidls_stay() {
    let f = store();
    let ann = f.store.name("ann").unwrap();
    let n = JOURNAL_FOLD_AT + 10;
    for k in 0..n {
        deliver(&f.store, &["ann"], k);
    }
    let before = uidls(&f.store, &ann);
    assert_eq!(before.len(), n);
    let j = journal(&journal_path(&f, &ann)).expect("a new journal after the fold");
    assert!(j.entries.len() < JOURNAL_FOLD_AT, "{}", j.entries.len());
    assert!(list_path(&f, &ann).exists());
    // A maildrop session that deletes one message folds the rest.
    let mut md = f.store.open_maildrop(&ann).unwrap();
    assert!(md.mark_deleted(0));
    md.commit().unwrap();
    assert!(!journal_path(&f, &ann).exists());
    assert_eq!(uidls(&f.store, &ann), before[1..].to_vec());
    let info = f.store.show_account(&Actor::Admin, "ann").unwrap();
    assert_eq!(info.messages, n as u64 - 1);
    assert_eq!(info.received_messages, n as u64);
    // Deliveries after the fold go on numbering from where it stopped.
    deliver(&f.store, &["ann"], n);
    let after = uidls(&f.store, &ann);
    assert_eq!(after.len(), n);
    assert!(after.last().unwrap().ends_with(&format!(".{}", n + 1)));
    let (clean, out) = verify(&f.root, false);
    assert!(clean, "{out}");
}

#[test]
fn a_stale_journal_after_a_crashed_fold_is_ignored_and_removed() {
    let f = store();
    let ann = f.store.name("ann").unwrap();
    for k in 0..3 {
        deliver(&f.store, &["ann", "bob"], k);
    }
    let jp = journal_path(&f, &ann);
    let saved = std::fs::read(&jp).unwrap();
    f.store.fold_journal(&ann).unwrap();
    // The crash: the list was replaced, the journal not yet removed.
    std::fs::write(&jp, &saved).unwrap();
    let want = uidls(&f.store, &ann);
    assert_eq!(want.len(), 3, "stale entries are not doubled");
    let (clean, out) = verify(&f.root, false);
    assert!(!clean && out.contains("stale journal"), "{out}");
    deliver(&f.store, &["ann"], 3);
    assert_eq!(uidls(&f.store, &ann).len(), 4);
    assert_eq!(&uidls(&f.store, &ann)[..3], &want[..]);
    std::fs::write(&jp, &saved).unwrap();
    let (_, out) = verify(&f.root, true);
    assert!(out.contains("journal"), "{out}");
    assert!(!jp.exists());
    let (clean, out) = verify(&f.root, false);
    assert!(clean, "{out}");
    assert_eq!(uidls(&f.store, &ann).len(), 4);
}

#[test]
fn a_torn_append_loses_nothing_acknowledged() {
    let f = store();
    let ann = f.store.name("ann").unwrap();
    for k in 0..3 {
        deliver(&f.store, &["ann"], k);
    }
    let jp = journal_path(&f, &ann);
    let before = uidls(&f.store, &ann);
    // A crash in the middle of a fourth append: half a record.
    let mut bytes = std::fs::read(&jp).unwrap();
    bytes.extend_from_slice(&[40, 0, 2, 0, 0x11, 0x22]);
    std::fs::write(&jp, &bytes).unwrap();
    assert_eq!(uidls(&f.store, &ann), before);
    assert_eq!(journal(&jp).unwrap().torn_tail, 6);
    // The next delivery folds the torn journal rather than append after it.
    deliver(&f.store, &["ann"], 3);
    let after = uidls(&f.store, &ann);
    assert_eq!(&after[..3], &before[..]);
    assert_eq!(after.len(), 4);
    let (clean, out) = verify(&f.root, false);
    assert!(clean, "{out}");
}

#[test]
fn quota_counts_what_the_journal_holds() {
    let f = store();
    let ch = AccountChanges {
        quota: Some(popstore::store::units::SizeLimit::Bytes(100)),
        ..AccountChanges::default()
    };
    f.store.modify_account(&Actor::Admin, "ann", &ch).unwrap();
    let env = Envelope {
        mail_from: "a@far.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let body = vec![b'x'; 60];
    let mut msg = b"Subject: q\r\n\r\n".to_vec();
    msg.extend_from_slice(&body);
    msg.extend_from_slice(b"\r\n");
    let ok = f.store.check_recipient(&env, "ann", 80).unwrap();
    assert!(f.store.deliver(&env, &[ok], &msg)[0].is_ok());
    // 80 bytes held, in the journal only: the quota check must see them.
    let refused = f.store.check_recipient(&env, "ann", 80).unwrap_err();
    assert!(refused.to_string().contains("5.2.2"), "{refused}");
}
