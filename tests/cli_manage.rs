//! The management CLI, run as the real binary: init, users, groups,
//! forwardings, managers acting with `--as`, errors and exit codes.

use assert_cmd::Command;

fn cmd(store: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("popstore").unwrap();
    c.env("POPSTORE_STORE", store);
    c
}

fn ok(store: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let out = cmd(store).args(args).write_stdin(stdin).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with `code`; returns stderr.
fn fails(store: &std::path::Path, args: &[&str], stdin: &str, code: i32) -> String {
    let out = cmd(store).args(args).write_stdin(stdin).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(!err.trim().is_empty());
    err
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn init_add_and_show_json() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("store");
    ok(&st, &["init"], "");
    fails(&st, &["init"], "", 1);
    ok(
        &st,
        &[
            "user",
            "modify",
            "default",
            "--quota",
            "2m",
            "--overdraft",
            "100k",
        ],
        "",
    );
    ok(
        &st,
        &[
            "user",
            "add",
            "Alice",
            "--owner",
            "Alice Liddell",
            "--password-stdin",
            "--flags",
            "LOCKPWD,no-dismail",
        ],
        "s3cret\n",
    );
    let v = json(&ok(&st, &["user", "show", "ALICE", "--json"], ""));
    assert_eq!(v["name"], "alice");
    assert_eq!(v["owner"], "Alice Liddell");
    assert_eq!(v["quota"], 2 * 1024 * 1024);
    assert_eq!(v["overdraft"], 100 * 1024);
    assert_eq!(v["flags"], serde_json::json!(["LOCKPWD"]));
    assert_eq!(v["has_password"], true);
    assert_eq!(v["messages"], 0);
    // The password is stored as a verifier, never as itself.
    let mut all = Vec::new();
    for e in walk(&st) {
        all.extend(std::fs::read(e).unwrap());
    }
    assert!(!all.windows(6).any(|w| w == b"s3cret"));
    let list = json(&ok(&st, &["user", "list", "--json"], ""));
    assert_eq!(list.as_array().unwrap().len(), 2);
    let human = ok(&st, &["user", "show", "alice", "--units", "m"], "");
    assert!(human.contains("2.0 MB"), "{human}");
    // Times for people: a UTC date, not Unix seconds.
    assert!(human.contains("Last connect:     never"), "{human}");
    let changed = human
        .lines()
        .find(|l| l.starts_with("Password changed:"))
        .unwrap();
    let year = changed.split_whitespace().nth(2).unwrap();
    assert!(
        year.len() == 10 && year.starts_with("20") && changed.ends_with(" UTC"),
        "{changed}"
    );
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn bad_arguments_and_unknown_accounts() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    fails(&st, &["user", "list"], "", 1); // no store yet
    ok(&st, &["init"], "");
    assert!(fails(&st, &["user", "add", "a b"], "", 2).contains("not allowed"));
    assert!(fails(&st, &["user", "add", "x", "--quota", "5g"], "", 2).contains("largest quota"));
    assert!(fails(&st, &["user", "add", "x", "--quota", "lots"], "", 2).contains("bad size"));
    assert!(fails(&st, &["user", "add", "x", "--flags", "ROOT"], "", 2).contains("unknown flag"));
    assert!(fails(&st, &["user", "show", "nobody"], "", 1).contains("no such account"));
    assert!(
        fails(
            &st,
            &["user", "passwd", "nobody", "--password-stdin"],
            "pw\n",
            1
        )
        .contains("no such account")
    );
    ok(&st, &["user", "add", "bob"], "");
    fails(&st, &["user", "add", "BOB"], "", 1);
}

#[test]
fn managers_are_limited_to_their_groups() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], "");
    ok(&st, &["group", "add", "staff"], "");
    ok(&st, &["group", "add", "sales", "--parent", "staff"], "");
    ok(&st, &["group", "add", "lab"], "");
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
        "bosspw\n",
    );
    ok(&st, &["user", "add", "seller1", "--group", "sales"], "");
    ok(&st, &["user", "add", "seller2", "--group", "sales"], "");
    ok(&st, &["user", "add", "chemist", "--group", "lab"], "");
    // Within reach: fine; wildcards reach only the manager's accounts.
    ok(
        &st,
        &["user", "modify", "s*", "--quota", "1k", "--as", "boss"],
        "bosspw\n",
    );
    ok(
        &st,
        &["user", "modify", "*", "--owner", "Managed", "--as", "boss"],
        "bosspw\n",
    );
    let chem = json(&ok(&st, &["user", "show", "chemist", "--json"], ""));
    assert_eq!(chem["owner"], "");
    let s1 = json(&ok(&st, &["user", "show", "seller1", "--json"], ""));
    assert_eq!(
        (s1["quota"].as_u64(), s1["owner"].as_str()),
        (Some(1024), Some("Managed"))
    );
    // Outside reach: refused, exit 1.
    let e = fails(
        &st,
        &["user", "modify", "chemist", "--quota", "1k", "--as", "boss"],
        "bosspw\n",
        1,
    );
    assert!(e.contains("permission denied"), "{e}");
    fails(
        &st,
        &[
            "user", "modify", "seller1", "--group", "lab", "--as", "boss",
        ],
        "bosspw\n",
        1,
    );
    fails(
        &st,
        &["user", "delete", "chemist", "--as", "boss"],
        "bosspw\n",
        1,
    );
    fails(&st, &["group", "add", "new", "--as", "boss"], "bosspw\n", 1);
    fails(
        &st,
        &["user", "show", "seller1", "--as", "boss"],
        "wrong\n",
        1,
    );
    fails(
        &st,
        &["user", "show", "seller1", "--as", "seller2"],
        "\n",
        1,
    );
    let names = json(&ok(
        &st,
        &["user", "list", "--json", "--as", "boss"],
        "bosspw\n",
    ));
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(!names.contains(&"chemist"));
    ok(
        &st,
        &["user", "delete", "seller2", "--as", "boss"],
        "bosspw\n",
    );
    fails(&st, &["user", "show", "seller2"], "", 1);
}

#[test]
fn forwardings_and_loops() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], "");
    ok(&st, &["user", "add", "ann"], "");
    ok(&st, &["user", "add", "bob"], "");
    ok(
        &st,
        &["forward", "add", "team", "ann", "bob", "x@far.example"],
        "",
    );
    ok(&st, &["forward", "add", "ann", "bob"], "");
    let e = fails(&st, &["forward", "add", "bob", "team"], "", 1);
    assert!(e.contains("loop"), "{e}");
    let e = fails(&st, &["forward", "add", "bob", "ann"], "", 1);
    assert!(e.contains("loop"), "{e}");
    let v = json(&ok(&st, &["forward", "list", "--json"], ""));
    assert_eq!(v.as_array().unwrap().len(), 2);
    ok(&st, &["forward", "delete", "ann"], "");
    fails(&st, &["forward", "delete", "ann"], "", 2);
    // A no-override store refuses to forward accounts.
    let st2 = d.path().join("s2");
    ok(&st2, &["init", "--no-forward-override"], "");
    ok(&st2, &["user", "add", "ann"], "");
    let e = fails(&st2, &["forward", "add", "ann", "x@far.example"], "", 2);
    assert!(e.contains("no-override"), "{e}");
}

#[test]
fn rename_copy_delete_and_groups() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], "");
    ok(&st, &["group", "add", "g1"], "");
    ok(
        &st,
        &["user", "add", "ann", "--group", "g1", "--quota", "10k"],
        "",
    );
    ok(&st, &["user", "copy", "ann", "amy"], "");
    assert_eq!(
        json(&ok(&st, &["user", "show", "amy", "--json"], ""))["quota"],
        10240
    );
    ok(&st, &["user", "rename", "ann", "anne"], "");
    fails(&st, &["user", "show", "ann"], "", 1);
    fails(&st, &["group", "delete", "g1"], "", 2); // still has accounts
    ok(&st, &["user", "modify", "a*", "--no-group"], "");
    ok(&st, &["group", "delete", "g1"], "");
    ok(&st, &["user", "delete", "a*"], "");
    let list = json(&ok(&st, &["user", "list", "--json"], ""));
    assert_eq!(list.as_array().unwrap().len(), 1); // default remains
}

#[test]
fn passwd_makes_the_verifiers_asked_for() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], "");
    ok(&st, &["user", "add", "ann"], "");
    let profile = walk(&st)
        .into_iter()
        .find(|p| p.ends_with("ann/account.prf"))
        .expect("ann's profile");
    let inspect = |st: &std::path::Path| {
        let out = cmd(st).arg("inspect").arg(&profile).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8_lossy(&out.stdout))["value"].clone()
    };
    ok(&st, &["user", "passwd", "ann", "--password-stdin"], "pw1\n");
    let v = inspect(&st);
    let ver = &v["verifiers"];
    assert!(ver["argon2id"].is_string(), "{v}");
    assert!(ver["scram_sha_256"].is_object(), "{v}");
    assert!(ver["cram_md5"].is_null() && ver["apop"].is_null(), "{v}");
    ok(
        &st,
        &[
            "user",
            "passwd",
            "ann",
            "--password-stdin",
            "--cram-md5",
            "--apop",
            "--no-scram",
        ],
        "pw2\n",
    );
    let v = inspect(&st);
    let ver = &v["verifiers"];
    assert!(
        ver["cram_md5"].is_object() && ver["apop"].is_string(),
        "{v}"
    );
    assert!(ver["scram_sha_256"].is_null(), "{v}");
    assert!(
        v["identity"]["flags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("apop")),
        "{v}"
    );
    // A new password replaces every verifier: none of the old one survives.
    ok(&st, &["user", "modify", "ann", "--password-stdin"], "pw3\n");
    let v = inspect(&st);
    let ver = &v["verifiers"];
    assert!(ver["cram_md5"].is_null() && ver["apop"].is_null(), "{v}");
    assert!(ver["scram_sha_256"].is_object(), "{v}");
    let flags = v["identity"]["flags"].as_array().unwrap();
    assert!(!flags.contains(&serde_json::json!("apop")), "{v}");
}
