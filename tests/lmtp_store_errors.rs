//! A store that cannot read an account defers its mail, never bounces it
//! (issue 12, items 2 and 10): LMTP `RCPT TO` answers `451 4.3.0`,
//! `popstore deliver` and `validate` exit 75 (EX_TEMPFAIL), and no reply
//! or standard error names a host path; the log has the details. Only a
//! real "no such account" is `550 5.1.1` / exit 67.
//!
//! The tests run as root, which ignores permission bits, so an account is
//! made unreadable in ways that hold for root too: its profile truncated,
//! its magic garbled, its profile path made a directory (EISDIR); the
//! forwarding database truncated; the message directory made a file.

mod common;
#[path = "hostile/mod.rs"]
mod hostile;

use std::path::{Path, PathBuf};

use common::ok;
use hostile::{Lmtp, Node, deliver, find};

fn profile(store: &Path, user: &str) -> PathBuf {
    find(&find(&store.join("users"), user).unwrap(), "account.prf").unwrap()
}

/// A way to make a file unreadable for root too, and to mend it.
#[derive(Debug, Clone, Copy)]
enum Damage {
    Truncated,
    BadMagic,
    Directory,
}

fn damage(path: &Path, how: Damage) -> Vec<u8> {
    let good = std::fs::read(path).unwrap();
    match how {
        Damage::Truncated => std::fs::write(path, &good[..(good.len() / 2).min(74)]).unwrap(),
        Damage::BadMagic => {
            let mut bad = good.clone();
            bad[..4].copy_from_slice(b"XXXX");
            std::fs::write(path, bad).unwrap();
        }
        Damage::Directory => {
            std::fs::remove_file(path).unwrap();
            std::fs::create_dir(path).unwrap();
        }
    }
    good
}

fn mend(path: &Path, good: &[u8]) {
    if path.is_dir() {
        std::fs::remove_dir(path).unwrap();
    }
    std::fs::write(path, good).unwrap();
}

fn assert_no_path(text: &str, store: &Path) {
    assert!(
        !text.contains(store.to_str().unwrap()) && !text.contains("/users/"),
        "a host path reached the client: {text}"
    );
}

fn rcpt(node: &Node, to: &str) -> String {
    let mut c = Lmtp::connect(node.lmtp);
    assert!(c.cmd("MAIL FROM:<s@example.org>").starts_with("250 "));
    let r = c.cmd(&format!("RCPT TO:<{to}>"));
    c.cmd("QUIT");
    r
}

#[test]
fn an_unreadable_account_is_a_temporary_failure_everywhere() {
    let node = Node::start("");
    let store = node.store.clone();
    ok(&store, &["forward", "add", "sales", "alice", "bob"], b"");
    let prf = profile(&store, "alice");
    for how in [Damage::Truncated, Damage::BadMagic, Damage::Directory] {
        let good = damage(&prf, how);
        for to in ["alice@localhost", "alice+box@localhost", "sales@localhost"] {
            let r = rcpt(&node, to);
            assert!(r.starts_with("451 4.3.0 "), "{how:?} {to}: {r}");
            assert_no_path(&r, &store);
        }
        // A missing account is still a permanent refusal.
        let r = rcpt(&node, "nobody@localhost");
        assert!(r.starts_with("550 5.1.1 "), "{how:?}: {r}");

        let (code, err) = deliver(
            &store,
            &["--to", "alice", "--from", "s@example.org"],
            b"Subject: x\n\nhi\n",
        );
        assert_eq!(code, 75, "{how:?}: deliver: {err}");
        assert!(err.contains("451 4.3.0"), "{err}");
        assert_no_path(&err, &store);
        let o = common::popstore(&store, &["validate", "alice", "nobody"], b"");
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(75), "{how:?}: validate: {out}");
        assert!(out.contains("alice: 451 4.3.0"), "{out}");
        assert!(out.contains("nobody: 550 5.1.1"), "{out}");
        assert_no_path(&out, &store);
        mend(&prf, &good);
        assert!(
            rcpt(&node, "alice@localhost").starts_with("250 "),
            "{how:?}"
        );
    }
    // The details are in the server's log.
    let path = prf.to_str().unwrap().to_string();
    assert!(node.log().contains(&path), "{}", node.log());
}

#[test]
fn deliver_logs_the_details_it_keeps_from_the_mta() {
    let (dir, store) = hostile::store();
    let log = dir.path().join("deliver.log");
    let config = dir.path().join("popstore.toml");
    std::fs::write(
        &config,
        format!("[log]\ndeliver_file = \"{}\"\n", log.display()),
    )
    .unwrap();
    let prf = profile(&store, "alice");
    damage(&prf, Damage::Truncated);
    let o = common::popstore(
        &store,
        &[
            "--config",
            config.to_str().unwrap(),
            "deliver",
            "--to",
            "alice",
        ],
        b"Subject: x\r\n\r\nhi\r\n",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(75), "{err}");
    assert_no_path(&err, &store);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains(prf.to_str().unwrap()),
        "the log has no details: {logged}"
    );
}

#[test]
fn a_damaged_forwarding_database_defers_every_recipient() {
    let node = Node::start("");
    ok(&node.store, &["forward", "add", "sales", "alice"], b"");
    let db = find(&node.store, "forward.psf").unwrap();
    let good = damage(&db, Damage::Truncated);
    for to in ["sales@localhost", "alice@localhost"] {
        let r = rcpt(&node, to);
        assert!(r.starts_with("451 4.3.0 "), "{to}: {r}");
        assert_no_path(&r, &node.store);
    }
    let (code, err) = deliver(&node.store, &["--to", "sales"], b"Subject: x\n\nhi\n");
    assert_eq!(code, 75, "{err}");
    assert_no_path(&err, &node.store);
    mend(&db, &good);
    assert!(rcpt(&node, "sales@localhost").starts_with("250 "));
}

#[test]
fn a_message_that_cannot_be_written_is_deferred_without_paths() {
    let node = Node::start("");
    let messages = node.store.join("messages");
    std::fs::rename(&messages, node.dir.path().join("messages.away")).unwrap();
    std::fs::write(&messages, b"not a directory").unwrap();
    let mut c = Lmtp::connect(node.lmtp);
    assert!(c.cmd("MAIL FROM:<s@example.org>").starts_with("250 "));
    assert!(c.cmd("RCPT TO:<alice@localhost>").starts_with("250 "));
    assert!(c.cmd("RCPT TO:<bob@localhost>").starts_with("250 "));
    assert!(c.cmd("DATA").starts_with("354 "));
    c.send(b"Subject: x\r\n\r\nhi\r\n.\r\n");
    for who in ["alice", "bob"] {
        let r = c.reply();
        assert!(
            r.starts_with(&format!("451 4.3.0 <{who}@localhost> ")),
            "{r}"
        );
        assert_no_path(&r, &node.store);
    }
    c.cmd("QUIT");
    let (code, err) = deliver(&node.store, &["--to", "alice"], b"Subject: x\n\nhi\n");
    assert_eq!(code, 75, "{err}");
    assert_no_path(&err, &node.store);
    std::fs::remove_file(&messages).unwrap();
    std::fs::rename(node.dir.path().join("messages.away"), &messages).unwrap();
}
