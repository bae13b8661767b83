//! `popstore user convert NAME --to imap|pop`, run as the real binary
//! while `popstore serve` runs: a popstore account becomes a MessageStore
//! account and back, and a real POP3 client (Python's poplib) sees the
//! same messages with the same UIDLs at every step; `verify` is clean
//! after each.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ServeProcess, listening, ok, popstore};

fn verify_clean(st: &Path) {
    let out = popstore(st, &["verify"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "verify is not clean:\n{text}");
}

fn deliver(st: &Path, subject: &str) {
    let msg = format!("From: a@b.example\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n");
    ok(st, &["deliver", "--to", "bob"], msg.as_bytes());
}

/// Every message's UIDL over POP3 (`n uidl` lines), read with poplib,
/// which also fetches each message (so the account marks them seen).
fn uidls(addr: std::net::SocketAddr, out: &Path) -> Vec<String> {
    common::require("python3", &["--version"]);
    std::fs::create_dir_all(out).unwrap();
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pop3/poplib_client.py"))
        .args([
            "userpass",
            "127.0.0.1",
            &addr.port().to_string(),
            "bob",
            "bob-pw",
        ])
        .arg(out)
        .env("DELETE", "0")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["uidl"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

fn store_type(st: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&ok(st, &["user", "show", "bob", "--json"], b"")).unwrap();
    assert_eq!(v["messages"], 4, "{v}");
    v["store_type"].as_str().unwrap().to_string()
}

#[test]
fn convert_to_imap_and_back_keeps_every_message_and_uidl() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(
        &st,
        &["user", "add", "bob", "--password-stdin"],
        b"bob-pw\n",
    );
    for s in ["one", "two", "three"] {
        deliver(&st, s);
    }
    let config = d.path().join("popstore.toml");
    std::fs::write(
        &config,
        "[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
         imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nweb = \"off\"\n",
    )
    .unwrap();
    let mut pop3 = None;
    let _server = ServeProcess::start_until(&st, &config, "info", |line| {
        pop3 = pop3.or(listening(line, "POP3"));
        pop3.is_some()
    });
    let pop3 = pop3.unwrap();
    deliver(&st, "four");
    let before = uidls(pop3, &d.path().join("a"));
    assert_eq!(before.len(), 4);
    assert_eq!(store_type(&st), "pop");

    let out = ok(&st, &["user", "convert", "bob", "--to", "imap"], b"");
    assert!(out.contains("4 messages"), "{out}");
    assert_eq!(store_type(&st), "imap");
    assert_eq!(uidls(pop3, &d.path().join("b")), before);
    verify_clean(&st);
    // Every message is in INBOX, seen as POP3 left it.
    let v: serde_json::Value =
        serde_json::from_str(&ok(&st, &["folder", "show", "bob", "INBOX", "--json"], b"")).unwrap();
    assert_eq!(v["messages"].as_array().unwrap().len(), 4);
    assert_eq!(v["unseen"], 0);
    // Running it again changes nothing.
    ok(&st, &["user", "convert", "bob", "--to", "imap"], b"");
    assert_eq!(uidls(pop3, &d.path().join("c")), before);

    ok(&st, &["user", "convert", "bob", "--to", "pop"], b"");
    assert_eq!(store_type(&st), "pop");
    assert_eq!(uidls(pop3, &d.path().join("d")), before);
    verify_clean(&st);
}
