//! `popstore verify --repair`: damage a store the way a crash can (or
//! worse), and the repair brings it back to what its references say.

use std::path::Path;
use std::sync::Arc;

use assert_cmd::Command;
use popstore::delivery::{Delivery, Envelope};
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Settings, Store};
use popstore_formats::layout::linux_relative;
use popstore_formats::message::MessageHeader;

fn verify(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("popstore")
        .unwrap()
        .arg("--store")
        .arg(dir)
        .arg("verify")
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn repair_fixes_counts_orphans_and_dangling_references() {
    let dir = tempfile::tempdir().unwrap();
    let fs = Arc::new(popstore_platform_linux::linux(vec![
        dir.path().to_path_buf(),
    ]));
    let store = Arc::new(Store::init(fs, Settings::default()).unwrap());
    for u in ["ann", "bob"] {
        store
            .create_account(&Actor::Admin, u, &AccountChanges::default())
            .unwrap();
    }
    let env = Envelope {
        mail_from: "a@b.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let to: Vec<_> = ["ann", "bob"]
        .iter()
        .map(|r| store.check_recipient(&env, r, 1).unwrap())
        .collect();
    for k in 0..3 {
        let m = format!("Subject: {k}\r\n\r\nbody\r\n");
        assert!(
            store
                .deliver(&env, &to, m.as_bytes())
                .iter()
                .all(|r| r.is_ok())
        );
    }
    assert_eq!(verify(dir.path(), &[]).0, 0, "a fresh store verifies clean");

    let ann = store.name("ann").unwrap();
    let list = store.read_list(&ann).unwrap().entries;
    // 1. a count too high (a decrement a crash cut short)
    store.set_reference_count(list[0].message, 5).unwrap();
    // 2. an orphan (a delivery that crashed before any reference)
    let orphan = store
        .write_message(
            MessageHeader {
                ref_count: 1,
                recipient_count: 1,
                ..MessageHeader::default()
            },
            b"orphan\r\n".to_vec(),
        )
        .unwrap();
    // 3. a referenced file gone (worse than a crash can do)
    let gone = store.paths().message(list[1].message);
    std::fs::remove_file(dir.path().join(linux_relative(&gone))).unwrap();
    // 4. a leftover temporary file of an interrupted replace
    let prf = dir
        .path()
        .join(linux_relative(&store.paths().profile(&ann)));
    std::fs::write(prf.with_extension("prf_new"), b"partial").unwrap();

    let (code, out) = verify(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("orphan"), "{out}");
    let (code, out) = verify(dir.path(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("repaired"), "{out}");
    assert!(out.ends_with("0 problems\n"), "{out}");
    assert_eq!(store.reference_count(orphan).unwrap(), None);
    assert_eq!(store.reference_count(list[0].message).unwrap(), Some(2));
    let i = store.show_account(&Actor::Admin, "ann").unwrap();
    assert_eq!(i.messages, 2);
    // A second repair has nothing to do.
    let (code, out) = verify(dir.path(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0);
    assert!(!out.contains("repaired"), "{out}");
}
