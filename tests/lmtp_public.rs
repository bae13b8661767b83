//! Mail to public folders over LMTP, through the real `popstore serve`
//! and Python's `smtplib.LMTP`: `post+folder` is accepted at `RCPT TO`
//! only when the folder's ACL gives the sender (or `anyone`) the `p`
//! right (`550 5.7.1` otherwise, `550 5.1.1` for no such folder), the
//! message is stored once for a public folder and a user together (and
//! for two public folders together), and `verify` is clean after.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ServeProcess, ok, require, write_file};

fn smtplib(target: &str, from: &str, to: &[&str], message: &Path) -> serde_json::Value {
    require("python3", &["-c", "import smtplib, json"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/lmtp_smtplib.py");
    let out = Command::new("python3")
        .arg(script)
        .args([target, from, &to.join(","), message.to_str().unwrap()])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "smtplib client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The reply codes and enhanced codes of the RCPT TO replies.
fn rcpt(r: &serde_json::Value) -> Vec<String> {
    r["rcpt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let text = x[1].as_str().unwrap();
            format!("{} {}", x[0], text.split(' ').next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn post_plus_folder_over_lmtp_with_and_without_the_p_right() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("store");
    ok(&st, &["init"], b"");
    ok(&st, &["group", "add", "staff"], b"");
    ok(&st, &["user", "add", "ann", "--group", "staff"], b"");
    ok(&st, &["user", "add", "stu"], b"");
    ok(&st, &["user", "add", "sue", "--store-type", "imap"], b"");
    ok(&st, &["public", "create", "Announce"], b"");
    ok(&st, &["public", "create", "Staff"], b"");
    ok(
        &st,
        &["public", "acl", "set", "Announce", "anyone", "lrp"],
        b"",
    );
    ok(
        &st,
        &["public", "acl", "set", "Staff", "$staff", "lrp"],
        b"",
    );
    let config = write_file(
        dir.path(),
        "popstore.toml",
        b"[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n",
    );
    let (server, lmtp, _pop3) = ServeProcess::start_lmtp_pop3(&st, &config);
    let msg = write_file(
        dir.path(),
        "msg.eml",
        b"From: stu@localhost\r\nSubject: to the community\r\n\r\nhello all\r\n",
    );
    let target = lmtp.to_string();
    // stu may post to Announce (anyone), not to Staff; no folder Nowhere.
    let r = smtplib(
        &target,
        "stu@localhost",
        &[
            "post+announce@localhost",
            "post+staff@localhost",
            "post+nowhere@localhost",
            "sue@localhost",
        ],
        &msg,
    );
    assert_eq!(
        rcpt(&r),
        ["250 2.1.5", "550 5.7.1", "550 5.1.1", "250 2.1.5"]
    );
    let data = r["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{r}");
    assert!(data.iter().all(|d| d[0] == 250), "{r}");
    // ann is in staff: she may post to Staff, and to both in one go.
    let r = smtplib(&target, "ann@localhost", &["post+Staff@localhost"], &msg);
    assert_eq!(rcpt(&r), ["250 2.1.5"]);
    assert_eq!(r["data"][0][0], 250, "{r}");
    let r = smtplib(
        &target,
        "ann@localhost",
        &["post+staff@localhost", "post+announce@localhost"],
        &msg,
    );
    assert_eq!(rcpt(&r), ["250 2.1.5", "250 2.1.5"]);
    assert!(
        r["data"].as_array().unwrap().iter().all(|d| d[0] == 250),
        "{r}"
    );
    // The null sender is only `anyone`.
    let r = smtplib(&target, "", &["post+staff@localhost"], &msg);
    assert_eq!(rcpt(&r), ["550 5.7.1"]);
    drop(server);
    let list = ok(&st, &["public", "list", "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let counts: Vec<(String, u64)> = v
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
        [("Announce".to_string(), 2), ("Staff".to_string(), 2)]
    );
    // One message file for Announce and sue (2 references), one for
    // Staff, one for Staff and Announce together (2 references).
    let out = ok(&st, &["verify"], b"");
    assert!(
        out.contains("3 message files, 5 references: 0 problems"),
        "{out}"
    );
}
