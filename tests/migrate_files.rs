//! `popstore migrate` from files built here: mbox variants (mboxrd with
//! UW-IMAP's pseudo-message and X-UIDs, mboxcl2 with `From ` lines in
//! bodies, a truncated one), a directory of /var/mail spools (`--users`,
//! `--create-accounts`, `--forward`), and a Maildir with a bad
//! `dovecot-uidlist` and a file that vanished. Every message arrives with
//! the bytes its variant defines (read back over POP3 with poplib), every
//! problem is reported with its file and reason, the sources are never
//! changed, and a second run adds nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ServeProcess, listening, ok, popstore};
use serde_json::Value;
use sha2::Digest;

fn migrate(st: &Path, args: &[&str]) -> Value {
    let mut a = vec!["migrate"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = popstore(st, &a, b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "migrate {args:?}:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap()
}

/// sha256 of `text` with CRLF line ends (as POP3 sends it).
fn crlf_sha(text: &str) -> String {
    let b = text.replace('\n', "\r\n");
    sha2::Sha256::digest(b.as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() {
                out.push((p.clone(), std::fs::read(&p).unwrap(), m.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Message files in the store (not their lock files).
fn message_files(st: &Path) -> usize {
    snapshot(&st.join("messages"))
        .iter()
        .filter(|f| f.0.extension().is_some_and(|e| e == "msg"))
        .count()
}

fn problems(r: &Value) -> Vec<(String, String)> {
    r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pop3(port: u16, user: &str) -> Value {
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrate/dovecot_source.py"))
        .args(["pop3", &port.to_string(), user, "pw"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

const F1: &str = "From ann@example.org Sat Dec  5 09:35:39 2026\n";
const F2: &str = "From bob@example.org Sun Dec  6 10:00:00 2026\n";

#[test]
fn mboxes_spools_and_maildirs_with_bad_input() {
    common::require("python3", &["--version"]);
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    std::fs::create_dir_all(src.join("spool")).unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    for (u, t) in [("rd", "imap"), ("cl", "pop"), ("tr", "pop"), ("md", "imap")] {
        ok(
            &st,
            &["user", "add", u, "--store-type", t, "--password-stdin"],
            b"pw\n",
        );
    }

    // mboxrd with UW-IMAP's pseudo-message, X-UIDs, flags, keywords.
    let rd = format!(
        "{F1}Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\nX-IMAP: 1234567 0000000010 $Work\n\nfolder data\n\n\
         {F1}Subject: one\nX-UID: 2\nStatus: RO\nX-Status: AF\nX-Keywords: $Work\n\n>From quoted\n>>From twice\nmid\nFrom not after a blank line\n\n\
         {F2}Subject: two\nX-UID: 3\n\ntwo\n"
    );
    std::fs::write(src.join("rd.mbox"), &rd).unwrap();
    // mboxcl2: the bodies hold From lines, Content-Length frames them.
    let b1 = format!("first\n\n{F2}>From kept as is\n");
    let cl = format!(
        "{F1}Subject: c1\nX-UIDL: legacy-uidl-1\nContent-Length: {}\n\n{b1}\n{F2}Subject: c2\nContent-Length: 3\n\nabc\n",
        b1.len()
    );
    std::fs::write(src.join("cl.mbox"), &cl).unwrap();
    // Truncated: the last Content-Length runs past the end.
    let tr = format!(
        "{F1}Subject: t1\nContent-Length: 2\n\nok\n{F2}Subject: t2\nContent-Length: 900\n\ncut sho"
    );
    std::fs::write(src.join("tr.mbox"), &tr).unwrap();
    // /var/mail: two users' spools and a lock file.
    std::fs::write(
        src.join("spool/alice"),
        format!("{F1}Subject: for alice\n\nhi\n"),
    )
    .unwrap();
    // carol got alice's message too: one file for both (single copy).
    std::fs::write(
        src.join("spool/carol"),
        format!("{F1}Subject: c\n\n1\n\n{F2}Subject: d\n\n2\n\n{F1}Subject: for alice\n\nhi\n"),
    )
    .unwrap();
    std::fs::write(src.join("spool/alice.lock"), "").unwrap();
    // A Maildir: a bad uidlist (UIDVALIDITY 0, a UID twice), a vanished
    // file, a message in an unknown charset without sender or date.
    let md = src.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("cur/1.M1.h:2,S"), "Subject: a\n\na\n").unwrap();
    std::fs::write(md.join("cur/2.M2.h:2,RS"), "Subject: b\n\nb\n").unwrap();
    std::fs::write(
        md.join("new/3.M3.h"),
        b"Subject: =?x-unknown?q?caf=E9?=\nContent-Type: text/plain; charset=x-unknown\n\n\xe9\xff\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(md.join("cur/gone"), md.join("cur/4.M4.h:2,S")).unwrap();
    std::fs::write(md.join("dovecot-uidlist"), "1 0 9\n5 1.M1.h\n5 2.M2.h\n").unwrap();
    let before = snapshot(&src);

    let r = migrate(
        &st,
        &[
            &format!("mbox:{}", src.join("rd.mbox").display()),
            "--account",
            "rd",
        ],
    );
    assert_eq!(r["migrated"], 2, "{r:#}");
    let r = migrate(
        &st,
        &[src.join("cl.mbox").to_str().unwrap(), "--account", "cl"],
    );
    assert_eq!(r["migrated"], 2, "{r:#}");
    let r = migrate(
        &st,
        &[src.join("tr.mbox").to_str().unwrap(), "--account", "tr"],
    );
    assert_eq!(r["migrated"], 2, "{r:#}");
    let p = problems(&r);
    assert!(
        p.iter()
            .any(|(f, why)| f.contains("tr.mbox") && why.contains("truncated")),
        "{p:?}"
    );
    let files_before = message_files(&st);
    let aliases = d.path().join("aliases");
    let r = migrate(
        &st,
        &[
            src.join("spool").to_str().unwrap(),
            "--users",
            "--create-accounts",
            "--forward",
            "--forward-style",
            "aliases",
            "--forward-to",
            "{user}@store.example",
            "--aliases-file",
            aliases.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (
            r["migrated"].as_u64(),
            r["accounts"].as_array().unwrap().len()
        ),
        (Some(4), 2),
        "{r:#}"
    );
    assert_eq!(
        message_files(&st) - files_before,
        3,
        "one file for alice's and carol's copy"
    );
    assert_eq!(
        std::fs::read_to_string(&aliases).unwrap(),
        "alice: alice@store.example\ncarol: carol@store.example\n"
    );
    ok(
        &st,
        &["user", "modify", "carol", "--password-stdin"],
        b"pw\n",
    );
    let r = migrate(&st, &[md.to_str().unwrap(), "--account", "md"]);
    assert_eq!(r["migrated"], 3, "{r:#}");
    let p = problems(&r);
    assert!(
        p.iter()
            .any(|(f, why)| f.contains("4.M4.h") && why.contains("vanished")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(f, why)| f.contains("dovecot-uidlist") && why.contains("UIDVALIDITY")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(f, why)| f.contains("dovecot-uidlist") && why.contains("UID 5 given twice")),
        "{p:?}"
    );

    // The MessageStore folder kept UW-IMAP's UIDVALIDITY, the UIDs, the
    // flags and keywords.
    let v: Value =
        serde_json::from_str(&ok(&st, &["folder", "show", "rd", "INBOX", "--json"], b"")).unwrap();
    assert_eq!(v["uidvalidity"], 1234567);
    let m = v["messages"].as_array().unwrap();
    assert_eq!(
        (m[0]["uid"].as_u64(), m[1]["uid"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        m[0]["flags"],
        serde_json::json!(["\\Seen", "\\Answered", "\\Flagged", "$Work"])
    );
    assert_eq!(m[0]["internal_date"], "2026-12-05 09:35:39 UTC");

    // Nothing twice, and the sources untouched.
    for (s, a) in [
        ("rd.mbox", "rd"),
        ("cl.mbox", "cl"),
        ("tr.mbox", "tr"),
        ("Maildir", "md"),
    ] {
        let r = migrate(&st, &[src.join(s).to_str().unwrap(), "--account", a]);
        assert_eq!(r["migrated"], 0, "{a}: {r:#}");
    }
    let r = migrate(&st, &[src.join("spool").to_str().unwrap(), "--users"]);
    assert_eq!(r["migrated"], 0, "{r:#}");
    assert!(snapshot(&src) == before, "the source changed");
    // --forward for a system user: a .forward in the home directory.
    let home = d.path().join("home/cl");
    std::fs::create_dir_all(&home).unwrap();
    let passwd = d.path().join("passwd");
    std::fs::write(
        &passwd,
        format!("cl:x:65534:65534::{}:/bin/sh\n", home.display()),
    )
    .unwrap();
    let r = migrate(
        &st,
        &[
            src.join("cl.mbox").to_str().unwrap(),
            "--account",
            "cl",
            "--forward",
            "--forward-to",
            "{user}@new.example",
            "--passwd-file",
            passwd.to_str().unwrap(),
        ],
    );
    assert_eq!(r["migrated"], 0, "{r:#}");
    assert_eq!(
        std::fs::read_to_string(home.join(".forward")).unwrap(),
        "cl@new.example\n"
    );
    let v = popstore(&st, &["verify"], b"");
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));

    // The bytes, over POP3.
    let config = d.path().join("popstore.toml");
    std::fs::write(
        &config,
        "[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
         imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n",
    )
    .unwrap();
    let mut port = None;
    let _server = ServeProcess::start_until(&st, &config, "info", |line| {
        port = port.or(listening(line, "POP3"));
        port.is_some()
    });
    let port = port.unwrap().port();
    let rd = pop3(port, "rd");
    assert_eq!(
        rd["sha256"][0],
        crlf_sha("Subject: one\n\nFrom quoted\n>From twice\nmid\nFrom not after a blank line\n")
    );
    assert_eq!(rd["sha256"][1], crlf_sha("Subject: two\n\ntwo\n"));
    let cl = pop3(port, "cl");
    assert_eq!(cl["uidl"][0], "legacy-uidl-1");
    assert_eq!(
        cl["sha256"][0],
        crlf_sha(&format!("Subject: c1\nX-UIDL: legacy-uidl-1\n\n{b1}"))
    );
    // A message without a final line end gets one on the wire (RFC 1939).
    assert_eq!(cl["sha256"][1], crlf_sha("Subject: c2\n\nabc\n"));
    let tr = pop3(port, "tr");
    assert_eq!(tr["sha256"][1], crlf_sha("Subject: t2\n\ncut sho\n"));
    let carol = pop3(port, "carol");
    assert_eq!(carol["uidl"].as_array().unwrap().len(), 3);
    assert_eq!(carol["sha256"][2], crlf_sha("Subject: for alice\n\nhi\n"));
    let md = pop3(port, "md");
    assert_eq!(md["uidl"].as_array().unwrap().len(), 3);
}

#[test]
fn a_200_mb_message_and_a_dry_run() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["user", "add", "big"], b"");
    let path = d.path().join("big.mbox");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        write!(f, "{F1}Subject: big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n").unwrap();
        let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n";
        for _ in 0..(200 << 20) / line.len() {
            f.write_all(line).unwrap();
        }
        write!(f, "\n{F2}Subject: small\n\nx\n").unwrap();
    }
    let r = migrate(
        &st,
        &[path.to_str().unwrap(), "--account", "big", "--dry-run"],
    );
    assert_eq!(r["migrated"], 2, "{r:#}");
    let v: Value = serde_json::from_str(&ok(&st, &["user", "show", "big", "--json"], b"")).unwrap();
    assert_eq!(v["messages"], 0, "a dry run stores nothing");
    let r = migrate(&st, &[path.to_str().unwrap(), "--account", "big"]);
    assert_eq!(r["migrated"], 2, "{r:#}");
    assert!(r["bytes"].as_u64().unwrap() > 200 << 20);
    let v: Value = serde_json::from_str(&ok(&st, &["user", "show", "big", "--json"], b"")).unwrap();
    assert_eq!(v["messages"], 2);
}

#[test]
fn into_a_folder_that_has_mail_messages_get_new_uids() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    ok(&st, &["user", "add", "busy", "--store-type", "imap"], b"");
    ok(
        &st,
        &["deliver", "--to", "busy"],
        b"Subject: already here\r\n\r\nx\r\n",
    );
    let md = d.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("cur/1.M1.h:2,S"), "Subject: a\n\na\n").unwrap();
    std::fs::write(md.join("dovecot-uidlist"), "3 V77 N8\n7 :1.M1.h\n").unwrap();
    let before: Value = serde_json::from_str(&ok(
        &st,
        &["folder", "show", "busy", "INBOX", "--json"],
        b"",
    ))
    .unwrap();
    let r = migrate(&st, &[md.to_str().unwrap(), "--account", "busy"]);
    let f = &r["accounts"][0]["folders"][0];
    assert_eq!(
        (
            f["migrated"].as_u64(),
            f["uidvalidity_kept"].as_bool(),
            f["uids_kept"].as_u64()
        ),
        (Some(1), Some(false), Some(0)),
        "{r:#}"
    );
    let v: Value = serde_json::from_str(&ok(
        &st,
        &["folder", "show", "busy", "INBOX", "--json"],
        b"",
    ))
    .unwrap();
    assert_eq!(
        v["uidvalidity"], before["uidvalidity"],
        "a folder with mail keeps its UIDVALIDITY"
    );
    let uids: Vec<u64> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(uids, [1, 2]);
}
