//! The MessageStore as a new user meets it through README.md, run as the
//! real binary: a MessageStore account, folders made with `popstore
//! folder`, mail delivered to `user+folder`, counts with `folder list
//! --json`, a clean `verify`, and managers limited to their groups.

mod common;

use common::{ok, popstore};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn fails(store: &std::path::Path, args: &[&str], stdin: &[u8], code: i32) -> String {
    let out = popstore(store, args, stdin);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    err
}

fn counts(st: &std::path::Path, user: &str) -> Vec<(String, u64)> {
    let v = json(&ok(st, &["folder", "list", user, "--json"], b""));
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["status"]["messages"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn deliver_to_user_plus_folder_and_list_the_counts() {
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
        b"secret\n",
    );
    ok(&st, &["folder", "create", "sue", "Lists/Rust"], b"");
    ok(
        &st,
        &["folder", "create", "sue", "Sent", "--special-use", "sent"],
        b"",
    );
    ok(&st, &["folder", "subscribe", "sue", "Lists/Rust"], b"");
    for (to, subject) in [
        ("sue", "one"),
        ("sue+Lists/Rust", "two"),
        ("sue+lists.rust", "three"),
        ("sue+nosuch", "four"),
    ] {
        let msg = format!("From: a@b.example\r\nSubject: {subject}\r\n\r\nhello\r\n");
        ok(&st, &["deliver", "--to", to], msg.as_bytes());
    }
    assert_eq!(
        counts(&st, "sue"),
        [
            ("INBOX".to_string(), 2),
            ("Lists".to_string(), 0),
            ("Lists/Rust".to_string(), 2),
            ("Sent".to_string(), 0)
        ]
    );
    let v = json(&ok(
        &st,
        &["folder", "list", "sue", "--subscribed", "--json"],
        b"",
    ));
    assert_eq!(v[0]["name"], "Lists/Rust");
    let sent = json(&ok(&st, &["folder", "list", "sue", "Sent", "--json"], b""));
    assert_eq!(sent[0]["special_use"], "sent");
    let show = json(&ok(
        &st,
        &["folder", "show", "sue", "Lists/Rust", "--json"],
        b"",
    ));
    assert_eq!(show["uidnext"], 3);
    assert_eq!(show["messages"][1]["uid"], 2);
    let user = json(&ok(&st, &["user", "show", "sue", "--json"], b""));
    assert_eq!(user["messages"], 4);
    let out = ok(&st, &["verify"], b"");
    assert!(out.contains("0 problems"), "{out}");
    // Rename carries the folder's messages; delete takes them.
    ok(&st, &["folder", "rename", "sue", "Lists", "Archive"], b"");
    assert_eq!(
        counts(&st, "sue")[1..3].to_vec(),
        [("Archive".to_string(), 0), ("Archive/Rust".to_string(), 2)]
    );
    ok(
        &st,
        &["folder", "delete", "sue", "Archive", "--recursive"],
        b"",
    );
    assert_eq!(counts(&st, "sue").len(), 2);
    let out = ok(&st, &["verify"], b"");
    assert!(
        out.contains("0 problems") && out.contains("2 message files"),
        "{out}"
    );
    // The folders (lists, indexes, journals) cross to the OpenVMS layout
    // and back byte for byte.
    let (vms, back) = (d.path().join("vms"), d.path().join("back"));
    for (from, fdir, to, tdir) in [
        ("linux", &st, "openvms", &vms),
        ("openvms", &vms, "linux", &back),
    ] {
        let out = ok(
            &st,
            &[
                "transfer",
                "--from",
                from,
                fdir.to_str().unwrap(),
                "--to",
                to,
                tdir.to_str().unwrap(),
            ],
            b"",
        );
        assert!(out.contains("every byte identical"), "{out}");
    }
    assert_eq!(files(&st), files(&back));
    assert!(files(&st).keys().any(|p| p.ends_with(".pfj")));
    assert_eq!(counts(&back, "sue"), counts(&st, "sue"));
}

/// Every file under `dir`: relative path -> bytes.
fn files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn bad_names_and_refusals_are_clear() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["user", "add", "sue", "--store-type", "imap"], b"");
    ok(&st, &["user", "add", "pat"], b"");
    let e = fails(&st, &["folder", "create", "sue", "a//b"], b"", 2);
    assert!(e.contains("empty level"), "{e}");
    let long = "x".repeat(1001);
    let e = fails(&st, &["folder", "create", "sue", &long], b"", 2);
    assert!(e.contains("1000"), "{e}");
    let e = fails(&st, &["folder", "delete", "sue", "INBOX"], b"", 1);
    assert!(e.contains("INBOX cannot be deleted"), "{e}");
    let e = fails(&st, &["folder", "delete", "sue", "Nope"], b"", 1);
    assert!(e.contains("no folder Nope"), "{e}");
    let e = fails(&st, &["folder", "list", "pat"], b"", 1);
    assert!(e.contains("popstore account"), "{e}");
    let e = fails(&st, &["folder", "list", "nobody"], b"", 1);
    assert!(e.contains("no such account"), "{e}");
}

#[test]
fn managers_reach_only_their_groups_folders() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["group", "add", "staff"], b"");
    ok(&st, &["group", "add", "lab"], b"");
    ok(
        &st,
        &[
            "user",
            "add",
            "boss",
            "--group",
            "staff",
            "--flags",
            "MANAGE",
            "--password-stdin",
        ],
        b"bosspw\n",
    );
    for (u, g) in [("sue", "staff"), ("chem", "lab")] {
        ok(
            &st,
            &["user", "add", u, "--group", g, "--store-type", "imap"],
            b"",
        );
    }
    ok(
        &st,
        &["folder", "create", "sue", "Projects", "--as", "boss"],
        b"bosspw\n",
    );
    let e = fails(
        &st,
        &["folder", "create", "chem", "Projects", "--as", "boss"],
        b"bosspw\n",
        1,
    );
    assert!(e.contains("outside your group"), "{e}");
    assert_eq!(counts(&st, "chem").len(), 1);
}

#[test]
fn processes_appending_to_one_folder_at_once_lose_nothing() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["user", "add", "sue", "--store-type", "imap"], b"");
    // Eight `popstore deliver` processes at once, five messages each.
    let handles: Vec<_> = (0..8)
        .map(|p| {
            let st = st.clone();
            std::thread::spawn(move || {
                for i in 0..5 {
                    let msg = format!("Subject: p{p} m{i}\r\n\r\nx\r\n");
                    ok(&st, &["deliver", "--to", "sue"], msg.as_bytes());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let show = json(&ok(&st, &["folder", "show", "sue", "INBOX", "--json"], b""));
    let uids: Vec<u64> = show["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, (1..=40).collect::<Vec<u64>>());
    let out = ok(&st, &["verify"], b"");
    assert!(
        out.contains("0 problems") && out.contains("40 message files"),
        "{out}"
    );
}

#[test]
fn deleting_a_messagestore_account_releases_every_folder() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    for u in ["sue", "tom"] {
        ok(&st, &["user", "add", u, "--store-type", "imap"], b"");
    }
    ok(&st, &["folder", "create", "sue", "Work"], b"");
    for to in ["sue", "sue+Work", "tom"] {
        let msg = format!("Subject: for {to}\r\n\r\nx\r\n");
        ok(&st, &["deliver", "--to", to], msg.as_bytes());
    }
    // Messages only: the folders stay, empty.
    ok(&st, &["user", "delete", "sue", "--messages-only"], b"");
    assert_eq!(
        counts(&st, "sue"),
        [("INBOX".to_string(), 0), ("Work".to_string(), 0)]
    );
    let out = ok(&st, &["verify"], b"");
    assert!(
        out.contains("0 problems") && out.contains("1 message files"),
        "{out}"
    );
    ok(
        &st,
        &["deliver", "--to", "sue+Work"],
        b"Subject: again\r\n\r\nx\r\n",
    );
    ok(&st, &["user", "delete", "sue"], b"");
    let out = ok(&st, &["verify"], b"");
    assert!(
        out.contains("0 problems") && out.contains("1 message files"),
        "{out}"
    );
    let e = fails(&st, &["folder", "list", "sue"], b"", 1);
    assert!(e.contains("no such account"), "{e}");
    assert_eq!(counts(&st, "tom"), [("INBOX".to_string(), 1)]);
}
