//! Damage that no crash makes, and that an admin or a failing disk does:
//! truncated, garbled and missing profiles, unreadable directories and
//! files, a deleted message list, a deleted journal. After each, `verify
//! --repair` must remove no message file an account can still reach once
//! the damage is mended, and a lost list is rebuilt from the message files
//! that name the account.
//!
//! Unreadable places need a user that permissions stop: as root (CI) the
//! binary runs as `nobody` through `setpriv`, on a store `nobody` owns.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::engine::{Engine, verify};
use popstore_formats::layout::{MessageId, linux_relative};

/// ann: four messages in her list (one shared with bob), two in her
/// journal. Returns her message ids in list order.
fn mail(e: &Engine) -> Vec<MessageId> {
    for k in 0..3 {
        e.deliver(&["ann"], k);
    }
    e.deliver(&["ann", "bob"], 3);
    e.store.fold_journal(&e.ann()).unwrap();
    e.deliver(&["ann"], 4);
    e.deliver(&["ann"], 5);
    let ids = e.ann_messages();
    assert_eq!(ids.len(), 6);
    assert!(e.list().is_file() && e.journal().is_file());
    ids
}

fn path_of(e: &Engine, p: &popstore_formats::path::StorePath) -> PathBuf {
    e.root().join(linux_relative(p))
}

/// Every message file is still there.
fn all_files_kept(e: &Engine, ids: &[MessageId], out: &str) {
    for id in ids {
        assert!(e.exists(*id), "{id:?} removed:\n{out}");
    }
    assert!(!out.contains("removed orphan"), "{out}");
}

/// The damage mended: a repair, then verify is clean and ann reaches every
/// message, each body whole.
fn reachable_after_mending(e: &Engine, ids: &[MessageId]) {
    let (_, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    let (code, after) = verify(e.root(), &[]);
    assert_eq!(code, 0, "{out}\n{after}");
    let held = e.ann_messages();
    for id in ids {
        assert!(held.contains(id), "{id:?} not in ann's list: {out}");
        let v = e.store.open_message(*id).unwrap();
        assert!(v.body().starts_with(b"Subject: "), "{id:?}");
    }
}

#[test]
fn a_damaged_or_missing_profile_keeps_its_messages() {
    for damage in ["truncated", "garbled", "missing"] {
        let e = Engine::new();
        let ids = mail(&e);
        let prf = path_of(&e, &e.store.paths().profile(&e.ann()));
        let good = std::fs::read(&prf).unwrap();
        match damage {
            "truncated" => std::fs::write(&prf, &good[..74]).unwrap(),
            "garbled" => {
                let mut b = good.clone();
                b[2..6].copy_from_slice(b"XXXX");
                std::fs::write(&prf, &b).unwrap();
            }
            _ => std::fs::remove_file(&prf).unwrap(),
        }
        let (code, out) = verify(e.root(), &[]);
        if damage != "missing" {
            assert_eq!(code, 1, "{damage}: {out}");
            assert!(out.contains("account.prf"), "{damage}: {out}");
        }
        // The list still reads: its messages are referenced, not orphans.
        assert!(!out.contains("orphan"), "{damage}: {out}");
        let (_, out) = verify(e.root(), &["--repair", "--grace", "0"]);
        all_files_kept(&e, &ids, &out);
        std::fs::write(&prf, &good).unwrap();
        reachable_after_mending(&e, &ids);
    }
}

#[test]
fn a_deleted_message_list_is_rebuilt_from_the_message_files() {
    let e = Engine::new();
    let ids = mail(&e);
    let journal_uidls: Vec<String> = e.store.read_list(&e.ann()).unwrap().entries[4..]
        .iter()
        .map(|x| x.uidl.clone())
        .collect();
    std::fs::remove_file(e.list()).unwrap();
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rebuilt: 2 entries kept, 4 message files that name ann given back"),
        "{out}"
    );
    all_files_kept(&e, &ids, &out);
    let list = e.store.read_list(&e.ann()).unwrap();
    assert_eq!(list.entries.len(), 6);
    // The journal's entries keep their UIDLs; no UIDL is handed out twice.
    for u in &journal_uidls {
        assert!(list.entries.iter().any(|x| &x.uidl == u), "{u}: {out}");
    }
    let mut uidls: Vec<&str> = list.entries.iter().map(|x| x.uidl.as_str()).collect();
    uidls.sort();
    uidls.dedup();
    assert_eq!(uidls.len(), 6);
    let info = e
        .store
        .show_account(&popstore::store::groups::Actor::Admin, "ann")
        .unwrap();
    assert_eq!(info.messages, 6, "usage follows the rebuilt list");
    reachable_after_mending(&e, &ids);
}

#[test]
fn a_deleted_journal_gives_its_messages_back() {
    let e = Engine::new();
    let ids = mail(&e);
    std::fs::remove_file(e.journal()).unwrap();
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("its recipients: ann").count(), 2, "{out}");
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    all_files_kept(&e, &ids, &out);
    reachable_after_mending(&e, &ids);
}

/// Runs `popstore verify ARGS` as a user that file permissions stop.
struct Unprivileged {
    bin: PathBuf,
    _bin_dir: tempfile::TempDir,
    as_root: bool,
}

impl Unprivileged {
    fn new(e: &Engine) -> Unprivileged {
        let bin_dir = tempfile::tempdir().unwrap();
        let bin = bin_dir.path().join("popstore");
        std::fs::copy(assert_cmd::cargo::cargo_bin("popstore"), &bin).unwrap();
        std::fs::set_permissions(bin_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_root = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        if as_root {
            chown_tree(e.root(), 65534, 65534);
        }
        Unprivileged {
            bin,
            _bin_dir: bin_dir,
            as_root,
        }
    }

    fn verify(&self, store: &Path, args: &[&str]) -> (i32, String) {
        let mut c = if self.as_root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        };
        let out = c
            .arg("--store")
            .arg(store)
            .arg("verify")
            .args(args)
            .env_remove("POPSTORE_STORE")
            .env_remove("POPSTORE_CONFIG")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }
}

fn chown_tree(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), uid, gid);
        }
    }
}

/// Where in a store a damage is made.
type Place = fn(&Engine, &[MessageId]) -> PathBuf;

#[test]
fn unreadable_places_make_repair_keep_every_file() {
    let places: [(&str, Place); 5] = [
        ("ann's subtree", |e, _| {
            e.list().parent().unwrap().to_path_buf()
        }),
        ("the fanout directory above it", |e, _| {
            e.list().parent().unwrap().parent().unwrap().to_path_buf()
        }),
        ("ann's message list", |e, _| e.list()),
        ("ann's journal", |e, _| e.journal()),
        ("a message directory", |e, ids| {
            path_of(e, &e.store.paths().message(ids[0]))
                .parent()
                .unwrap()
                .to_path_buf()
        }),
    ];
    for (what, place) in places {
        let e = Engine::new();
        let ids = mail(&e);
        let runner = Unprivileged::new(&e);
        let target = place(&e, &ids);
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o000)).unwrap();
        let (code, out) = runner.verify(e.root(), &[]);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            !out.contains("orphan"),
            "{what}: nothing is an orphan: {out}"
        );
        let (_, out) = runner.verify(e.root(), &["--repair", "--grace", "0"]);
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
        all_files_kept(&e, &ids, &format!("{what}: {out}"));
        assert!(
            !out.contains("dropped"),
            "{what}: no reference dropped: {out}"
        );
        reachable_after_mending(&e, &ids);
    }
}

#[test]
fn recipients_count_in_any_domain_the_store_accepted() {
    // A message accepted for ann@example.com while the server's
    // `local_domains` listed example.com, whose reference was lost:
    // `verify --repair` runs without that configuration, and still gives
    // it back to ann rather than removing it as naming no account.
    let e = Engine::new();
    let id = e
        .store
        .write_message(
            popstore_formats::message::MessageHeader {
                ref_count: 1,
                recipient_count: 1,
                recipients: vec!["Ann+lists@Example.COM".into()],
                ..Default::default()
            },
            b"Subject: kept\r\n\r\nkept\r\n".to_vec(),
        )
        .unwrap();
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(e.exists(id), "{out}");
    assert_eq!(e.ann_messages(), [id], "{out}");
}

#[test]
fn a_deletion_cut_short_is_not_undone_by_repair() {
    // A POP3 session deleted a message: the list was replaced without it
    // (and with a RELEASED record naming its file), then the process died
    // before the file's count was lowered. Repair must remove the file,
    // not give the deleted message back.
    let e = Engine::new();
    e.deliver(&["ann"], 0);
    e.deliver(&["ann"], 1);
    let ids = e.ann_messages();
    let path = path_of(&e, &e.store.paths().message(ids[0]));
    let bytes = std::fs::read(&path).unwrap();
    let mut md = e.store.open_maildrop(&e.ann()).unwrap();
    md.mark_deleted(0);
    md.commit().unwrap();
    assert!(!e.exists(ids[0]));
    assert_eq!(e.ann_messages(), [ids[1]]);
    let list = e.store.read_list(&e.ann()).unwrap();
    assert_eq!(list.released.len(), 1, "the deletion is recorded");
    assert_eq!(list.released[0].messages, [ids[0]]);
    // The state the crash leaves: the file still there, its count 1.
    std::fs::write(&path, &bytes).unwrap();
    assert!(e.exists(ids[0]));
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("records its deletion"), "{out}");
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed orphan"), "{out}");
    assert!(!e.exists(ids[0]), "{out}");
    assert_eq!(e.ann_messages(), [ids[1]], "not given back: {out}");
}
