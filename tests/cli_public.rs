//! Folder ACLs and the public folders through the real binary: `popstore
//! folder acl`, `popstore public ...` with `--json`, managers limited to
//! their groups, `deliver` to `post+folder` (the posting name from the
//! configuration) with and without the `p` right, and a clean `verify`.

mod common;

use common::{ok, popstore, write_file};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn fails(store: &std::path::Path, args: &[&str], stdin: &[u8], code: i32) -> String {
    let out = popstore(store, args, stdin);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    err
}

fn acl(st: &std::path::Path, args: &[&str]) -> Vec<(String, String)> {
    json(&ok(st, args, b""))
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["identifier"].as_str().unwrap().to_string(),
                e["rights"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn folder_acl_get_set_delete() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["group", "add", "staff"], b"");
    ok(&st, &["user", "add", "sue", "--store-type", "imap"], b"");
    ok(&st, &["user", "add", "bob"], b"");
    ok(&st, &["folder", "create", "sue", "Work"], b"");
    let set = json(&ok(
        &st,
        &[
            "folder", "acl", "set", "sue", "Work", "bob", "lrswida", "--json",
        ],
        b"",
    ));
    assert_eq!(set["rights"], "lrswitea");
    ok(
        &st,
        &["folder", "acl", "set", "sue", "Work", "-bob", "+w"],
        b"",
    );
    ok(
        &st,
        &["folder", "acl", "set", "sue", "Work", "$staff", "lr"],
        b"",
    );
    ok(
        &st,
        &["folder", "acl", "set", "sue", "Work", "bob", "-a"],
        b"",
    );
    assert_eq!(
        acl(&st, &["folder", "acl", "get", "sue", "Work", "--json"]),
        pairs(&[("bob", "lrswite"), ("-bob", "w"), ("$staff", "lr")])
    );
    // RFC 4314 3.1: upper-case and unknown rights are bad arguments.
    let e = fails(
        &st,
        &["folder", "acl", "set", "sue", "Work", "bob", "lrQ"],
        b"",
        2,
    );
    assert!(e.contains("upper-case"), "{e}");
    fails(
        &st,
        &["folder", "acl", "set", "sue", "Work", "nobody", "lr"],
        b"",
        2,
    );
    fails(
        &st,
        &["folder", "acl", "set", "sue", "Nowhere", "bob", "lr"],
        b"",
        1,
    );
    ok(
        &st,
        &["folder", "acl", "delete", "sue", "Work", "-bob"],
        b"",
    );
    fails(
        &st,
        &["folder", "acl", "delete", "sue", "Work", "-bob"],
        b"",
        1,
    );
    let text = ok(&st, &["folder", "acl", "get", "sue", "Work"], b"");
    assert!(text.contains("$staff") && !text.contains("-bob"), "{text}");
    let v = ok(&st, &["verify"], b"");
    assert!(v.contains(" 0 problems"), "{v}");
}

#[test]
fn public_folders_managed_and_posted_to() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["group", "add", "staff"], b"");
    ok(&st, &["group", "add", "sales", "--parent", "staff"], b"");
    ok(&st, &["group", "add", "students"], b"");
    for (u, g, flags) in [
        ("boss", "sales", "MANAGE"),
        ("ann", "sales", ""),
        ("stu", "students", ""),
    ] {
        ok(
            &st,
            &[
                "user",
                "add",
                u,
                "--group",
                g,
                "--flags",
                flags,
                "--password-stdin",
            ],
            format!("{u}-pw\n").as_bytes(),
        );
    }
    // The administrator makes a tree open to everybody for reading and
    // posting; a group manager its own, where only staff may post.
    ok(&st, &["public", "create", "News"], b"");
    ok(&st, &["public", "acl", "set", "News", "anyone", "lrp"], b"");
    ok(&st, &["public", "create", "News/Local"], b"");
    let boss = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--as", "boss"]);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, code: i32| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = popstore(&st, &a, b"boss-pw\n");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{a:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(boss(&["public", "create", "Staff"]), 0);
    run(boss(&["public", "acl", "set", "Staff", "$staff", "lrp"]), 0);
    run(boss(&["public", "create", "News/Mine"]), 1);
    run(boss(&["public", "acl", "set", "News", "anyone", "lrsp"]), 1);
    let mine = json(&run(boss(&["public", "list", "--json"]), 0));
    let names: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Staff"]);
    assert_eq!(
        acl(&st, &["public", "acl", "get", "News/Local", "--json"]),
        pairs(&[("anyone", "lrp")]),
        "a new folder inherits the ACL above it"
    );
    // Posting: with the configured name, only where the ACL gives p.
    let cfg = write_file(
        d.path(),
        "popstore.toml",
        b"[store]\npublic_post_name = \"bulletin\"\n",
    );
    let cfg = cfg.to_str().unwrap();
    let msg = b"From: a@far.example\r\nSubject: hi all\r\n\r\nhello\r\n";
    let deliver = |to: &str, from: &str, code: i32| {
        let out = popstore(
            &st,
            &["--config", cfg, "deliver", "--to", to, "--from", from],
            msg,
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{to} from {from}: {err}");
        err
    };
    deliver("bulletin+news.local", "a@far.example", 0);
    deliver("bulletin+News", "", 0);
    deliver("bulletin+staff", "ann@localhost", 0);
    let e = deliver("bulletin+staff", "stu@localhost", 77);
    assert!(e.contains("5.7.1"), "{e}");
    let e = deliver("bulletin+nowhere", "ann@localhost", 67);
    assert!(
        e.contains("5.1.1") && e.contains("no such public folder"),
        "{e}"
    );
    deliver("post+news", "ann@localhost", 67);
    // The tree's quota: none by default; WORLD managers set it.
    run(boss(&["public", "quota", "1k"]), 1);
    ok(&st, &["public", "quota", "1k"], b"");
    let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(4096));
    let out = popstore(
        &st,
        &["--config", cfg, "deliver", "--to", "bulletin+news"],
        big.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(73), "{out:?}");
    ok(&st, &["public", "quota", "none"], b"");
    let all = json(&ok(&st, &["public", "list", "--json"], b""));
    let counts: Vec<(String, u64)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["status"]["messages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("News".to_string(), 1),
            ("News/Local".to_string(), 1),
            ("Staff".to_string(), 1)
        ]
    );
    let shown = json(&ok(&st, &["public", "show", "Staff", "--json"], b""));
    assert_eq!(shown["messages"].as_array().unwrap().len(), 1);
    ok(&st, &["public", "rename", "News/Local", "Local"], b"");
    ok(&st, &["public", "delete", "News", "--recursive"], b"");
    fails(&st, &["public", "create", "INBOX"], b"", 2);
    let v = ok(&st, &["verify"], b"");
    assert!(v.contains(" 0 problems"), "{v}");
    let r = ok(&st, &["verify", "--repair"], b"");
    assert!(!r.contains("removed"), "{r}");
    let left = json(&ok(&st, &["public", "list", "--json"], b""));
    assert_eq!(left.as_array().unwrap().len(), 2);
}
