//! `popstore reconstruct`, run as the real binary on a MessageStore
//! account whose files were damaged the ways an admin meets: the mailbox
//! list deleted, a folder index corrupted, a journal removed, and the
//! user's subtree copied back from a backup taken earlier while `popstore
//! serve` runs. Each time every message comes back, with its UID and
//! flags where they survived, and `popstore verify` is clean after.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ServeProcess, listening, ok, popstore};

/// One message as `folder show --json` shows it: UID, flags, file.
type Msg = (u64, Vec<String>, String);

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Every folder of `user`: (UIDVALIDITY, messages).
fn snapshot(st: &Path, user: &str) -> BTreeMap<String, (u64, Vec<Msg>)> {
    let mut out = BTreeMap::new();
    for f in json(&ok(st, &["folder", "list", user, "--json"], b""))
        .as_array()
        .unwrap()
    {
        let name = f["name"].as_str().unwrap();
        let v = json(&ok(st, &["folder", "show", user, name, "--json"], b""));
        let msgs = v["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| {
                        let mut flags: Vec<String> = m["flags"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|f| f.as_str().unwrap().to_string())
                            .collect();
                        flags.sort();
                        (
                            m["uid"].as_u64().unwrap(),
                            flags,
                            m["message"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            name.to_string(),
            (v["uidvalidity"].as_u64().unwrap_or(0), msgs),
        );
    }
    out
}

fn verify_clean(st: &Path) {
    let out = popstore(st, &["verify"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "verify is not clean:\n{text}");
    assert!(text.contains(": 0 problems"), "{text}");
}

fn reconstruct(st: &Path, extra: &[&str]) -> String {
    let mut args = vec!["reconstruct", "sue", "--grace", "0"];
    args.extend_from_slice(extra);
    ok(st, &args, b"")
}

/// A store with `sue` (MessageStore): a Sieve script that flags and
/// tags some messages and files some into `Work`: four messages in
/// INBOX and two in Work.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(
        &st,
        &[
            "user",
            "add",
            "sue",
            "--store-type",
            "imap",
            "--password-stdin",
        ],
        b"sue-pw\n",
    );
    ok(&st, &["folder", "create", "sue", "Work"], b"");
    let script = b"require [\"imap4flags\", \"fileinto\"];\r\n\
        if header :contains \"subject\" \"flag\" { addflag [\"\\\\Flagged\", \"$Urgent\"]; }\r\n\
        if header :contains \"subject\" \"work\" { fileinto \"Work\"; }\r\n";
    ok(
        &st,
        &["sieve", "put", "sue", "flags", "-", "--activate"],
        script,
    );
    for subject in [
        "one",
        "flag two",
        "work three",
        "four",
        "flag work five",
        "six",
    ] {
        deliver(&st, "sue", subject);
    }
    (d, st)
}

fn deliver(st: &Path, to: &str, subject: &str) {
    let msg = format!("From: a@b.example\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n");
    ok(st, &["deliver", "--to", to], msg.as_bytes());
}

/// The directory of `user`'s subtree.
fn subtree(st: &Path, user: &str) -> PathBuf {
    fn find(p: &Path, user: &str) -> Option<PathBuf> {
        for e in std::fs::read_dir(p).ok()?.map_while(Result::ok) {
            let path = e.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == user) {
                    return Some(path);
                }
                if let Some(f) = find(&path, user) {
                    return Some(f);
                }
            }
        }
        None
    }
    find(&st.join("users"), user).expect("the user's subtree")
}

fn folder_file(st: &Path, user: &str, id: u32, ext: &str) -> PathBuf {
    subtree(st, user)
        .join("folders")
        .join(format!("f{id:08x}.{ext}"))
}

/// Copies directory `from` over `to` (files in `to` that `from` lacks
/// stay, as a plain `cp -r` leaves them).
fn copy_over(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().map_while(Result::ok) {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_over(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn files_of(s: &BTreeMap<String, (u64, Vec<Msg>)>) -> Vec<String> {
    let mut v: Vec<String> = s
        .values()
        .flat_map(|(_, m)| m.iter().map(|m| m.2.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_deleted_mailbox_list_is_rebuilt_with_every_uid_and_flag() {
    let (_d, st) = setup();
    let before = snapshot(&st, "sue");
    assert_eq!(before["INBOX"].1.len(), 4);
    assert_eq!(before["Work"].1[1].1, ["$Urgent", "\\Flagged"]);
    std::fs::remove_file(subtree(&st, "sue").join("mailboxes.pmb")).unwrap();
    // A dry run says what it would do and does nothing.
    let dry = reconstruct(&st, &["--dry-run"]);
    assert!(
        dry.contains("would change") && dry.contains("rebuilt"),
        "{dry}"
    );
    assert!(!subtree(&st, "sue").join("mailboxes.pmb").exists());
    let out = reconstruct(&st, &[]);
    assert!(
        out.contains("missing: rebuilt from the folder indexes"),
        "{out}"
    );
    assert_eq!(snapshot(&st, "sue"), before);
    verify_clean(&st);
    // Nothing left to do; the report as JSON says so.
    let again = json(&reconstruct(&st, &["--json"]));
    assert_eq!(again["accounts"][0]["changes"], serde_json::json!([]));
    assert_eq!(again["accounts"][0]["messages"], 6);
}

#[test]
fn a_corrupt_folder_index_keeps_what_survives_and_gives_back_the_rest() {
    let (_d, st) = setup();
    reconstruct(&st, &[]); // every journal folded: the indexes hold all
    let before = snapshot(&st, "sue");
    let inbox = folder_file(&st, "sue", 1, "pfi");
    let bytes = std::fs::read(&inbox).unwrap();
    // Cut inside the last entry: the first three survive.
    std::fs::write(&inbox, &bytes[..bytes.len() - 30]).unwrap();
    // Work's checksum no longer matches (one byte of an entry's date).
    let work = folder_file(&st, "sue", 2, "pfi");
    let mut w = std::fs::read(&work).unwrap();
    let at = w.len() - 40;
    w[at] ^= 0x01;
    std::fs::write(&work, &w).unwrap();
    assert!(!popstore(&st, &["verify"], b"").status.success());
    let out = reconstruct(&st, &[]);
    assert!(out.contains("entries salvaged"), "{out}");
    let after = snapshot(&st, "sue");
    assert_eq!(files_of(&after), files_of(&before));
    let (uv, inbox_before) = &before["INBOX"];
    let (uv_after, inbox_after) = &after["INBOX"];
    assert_eq!(uv, uv_after, "INBOX keeps its UIDVALIDITY");
    assert_eq!(inbox_after[..3], inbox_before[..3], "UIDs and flags kept");
    assert!(
        inbox_after[3].0 > inbox_before[3].0,
        "the lost one comes back with a UID never given"
    );
    assert_eq!(after["Work"].1.len(), 2);
    assert_eq!(after["Work"].0, before["Work"].0);
    verify_clean(&st);
}

#[test]
fn a_removed_journal_gives_its_messages_back() {
    let (_d, st) = setup();
    reconstruct(&st, &[]);
    deliver(&st, "sue", "seven");
    deliver(&st, "sue", "flag work eight");
    let before = snapshot(&st, "sue");
    std::fs::remove_file(folder_file(&st, "sue", 2, "pfj")).unwrap();
    let v = String::from_utf8_lossy(&popstore(&st, &["verify"], b"").stdout).into_owned();
    assert!(v.contains("orphan"), "{v}");
    let out = reconstruct(&st, &[]);
    assert!(out.contains("1 messages that name sue"), "{out}");
    let after = snapshot(&st, "sue");
    assert_eq!(files_of(&after), files_of(&before));
    // What the indexes held keeps its UIDs and flags.
    assert_eq!(after["Work"], {
        let (uv, m) = &before["Work"];
        (*uv, m[..2].to_vec())
    });
    assert_eq!(after["INBOX"].1[..5], before["INBOX"].1[..]);
    verify_clean(&st);
}

/// `popstore serve` with POP3 only, on a free port.
fn serve(dir: &Path, st: &Path) -> (ServeProcess, std::net::SocketAddr) {
    let config = dir.join("popstore.toml");
    std::fs::write(
        &config,
        "[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
         imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nweb = \"off\"\n",
    )
    .unwrap();
    let mut pop3 = None;
    let server = ServeProcess::start_until(st, &config, "info", |line| {
        pop3 = pop3.or(listening(line, "POP3"));
        pop3.is_some()
    });
    (server, pop3.unwrap())
}

/// Reads every message over POP3 with Python's poplib (which marks them
/// `\Seen`) and QUITs; returns the UIDLs.
fn pop3_read_all(addr: std::net::SocketAddr, out: &Path) -> Vec<String> {
    common::require("python3", &["--version"]);
    std::fs::create_dir_all(out).unwrap();
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pop3/poplib_client.py"))
        .args([
            "userpass",
            "127.0.0.1",
            &addr.port().to_string(),
            "sue",
            "sue-pw",
        ])
        .arg(out)
        .env("DELETE", "0")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&String::from_utf8_lossy(&o.stdout));
    v["uidl"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_subtree_restored_from_a_backup_is_taken_back_while_serve_runs() {
    let (d, st) = setup();
    let (_server, pop3) = serve(d.path(), &st);
    assert_eq!(pop3_read_all(pop3, &d.path().join("r1")).len(), 4);
    reconstruct(&st, &[]); // folds: INBOX is one index, no journal
    let backup = d.path().join("backup");
    copy_over(&subtree(&st, "sue"), &backup);
    let at_backup = snapshot(&st, "sue");
    let seen = |m: &Msg| m.1.iter().any(|f| f == "\\Seen");
    assert!(at_backup["INBOX"].1.iter().all(seen));
    // Life goes on: two deliveries read over POP3, a fold, one more.
    deliver(&st, "sue", "seven");
    deliver(&st, "sue", "eight");
    assert_eq!(pop3_read_all(pop3, &d.path().join("r2")).len(), 6);
    reconstruct(&st, &[]);
    deliver(&st, "sue", "nine");
    let before = snapshot(&st, "sue");
    // The backup goes back into place (its files over the live ones): an
    // older index under a newer journal.
    copy_over(&backup, &subtree(&st, "sue"));
    assert!(!popstore(&st, &["verify"], b"").status.success());
    let out = reconstruct(&st, &[]);
    assert!(out.contains("does not belong to the index"), "{out}");
    assert!(out.contains("2 messages that name sue"), "{out}");
    let after = snapshot(&st, "sue");
    assert_eq!(files_of(&after), files_of(&before));
    let (uv, inbox) = &after["INBOX"];
    assert_eq!(*uv, at_backup["INBOX"].0);
    // The backup's messages keep UIDs and flags; "nine", appended to the
    // journal after the backup's index, keeps its UID; the two whose
    // references only the lost index held come back above every UID given.
    assert_eq!(inbox[..4], at_backup["INBOX"].1[..]);
    let nine = &before["INBOX"].1[6];
    assert!(inbox.contains(nine), "{inbox:?}");
    let top = before["INBOX"].1.iter().map(|m| m.0).max().unwrap();
    assert!(inbox.iter().filter(|m| m.0 > top).count() == 2, "{inbox:?}");
    verify_clean(&st);
    // The server goes on serving the rebuilt folder.
    let uidls = pop3_read_all(pop3, &d.path().join("r3"));
    assert_eq!(uidls.len(), 7);
    deliver(&st, "sue", "ten");
    assert_eq!(pop3_read_all(pop3, &d.path().join("r4")).len(), 8);
    verify_clean(&st);
}
