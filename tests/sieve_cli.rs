//! `popstore sieve check` and `popstore sieve test`, run as a user would.

use std::process::Command;

fn popstore(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_popstore"))
        .args(args)
        .output()
        .expect("run popstore");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn check_reports_line_and_column() {
    let d = tempfile::tempdir().expect("tempdir");
    let good = d.path().join("good.sieve");
    std::fs::write(&good, "require \"fileinto\";\nfileinto \"Work\";\n").expect("write");
    let (code, out, _) = popstore(&["sieve", "check", good.to_str().expect("path")]);
    assert_eq!(code, 0);
    assert!(out.contains("ok"));

    let bad = d.path().join("bad.sieve");
    std::fs::write(&bad, "require \"fileinto\";\nif true {\n  fileinto 5;\n}\n").expect("write");
    let (code, _, err) = popstore(&["sieve", "check", bad.to_str().expect("path")]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.sieve:3:12:"), "{err}");

    let unknown = d.path().join("unknown.sieve");
    std::fs::write(&unknown, "require [\"fileinto\", \"x-magic\"];\n").expect("write");
    let (code, _, err) = popstore(&["sieve", "check", unknown.to_str().expect("path")]);
    assert_eq!(code, 1);
    assert!(err.contains(":1:9:") && err.contains("x-magic"), "{err}");
}

#[test]
fn test_prints_actions_as_json() {
    let d = tempfile::tempdir().expect("tempdir");
    let script = d.path().join("s.sieve");
    std::fs::write(
        &script,
        "require [\"fileinto\",\"imap4flags\",\"vacation\",\"envelope\",\"subaddress\",\"copy\"];\n\
         if envelope :detail \"to\" \"lists\" { fileinto :flags \"\\\\Seen\" \"Lists\"; }\n\
         redirect :copy \"archive@example.net\";\n\
         vacation :days 3 :subject \"Away\" \"Back Monday.\";\n",
    )
    .expect("write");
    let msg = d.path().join("m.eml");
    std::fs::write(
        &msg,
        "From: a@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nbody\r\n",
    )
    .expect("write");
    let (code, out, err) = popstore(&[
        "sieve",
        "test",
        script.to_str().expect("path"),
        msg.to_str().expect("path"),
        "--from",
        "a@example.com",
        "--to",
        "bob+lists@example.org",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let list = v.as_array().expect("a list");
    assert_eq!(list[0]["action"], "fileinto");
    assert_eq!(list[0]["mailbox"], "Lists");
    assert_eq!(list[0]["flags"][0], "\\Seen");
    assert_eq!(list[1]["action"], "redirect");
    assert_eq!(list[1]["address"], "archive@example.net");
    assert_eq!(list[1]["copy"], true);
    assert_eq!(list[2]["action"], "vacation");
    assert_eq!(list[2]["days"], 3);
    assert_eq!(list[2]["subject"], "Away");
    assert_eq!(list[2]["reason"], "Back Monday.");
    assert_eq!(list.len(), 3, "fileinto cancelled the implicit keep: {out}");

    let (code, out, _) = popstore(&[
        "sieve",
        "test",
        script.to_str().expect("path"),
        msg.to_str().expect("path"),
        "--to",
        "bob@example.org",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("redirect <archive@example.net> :copy"),
        "{out}"
    );
    assert!(out.contains("implicit keep"), "{out}");
}
