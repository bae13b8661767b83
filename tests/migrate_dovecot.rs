//! `popstore migrate` from a store Dovecot (Debian's) wrote and serves:
//! a private Dovecot on loopback (tests/migrate/dovecot_source.py) gets
//! mail over LMTP, flags, keywords and folders over IMAP, and lists its
//! INBOX over POP3; then its Maildir, and the same mailbox pulled over
//! IMAP (once through a proxy that drops the connection mid-FETCH), go
//! into popstore accounts. Afterwards Python's poplib lists the UIDLs
//! Dovecot's POP3 gave with the same bytes, the MessageStore folders have
//! Dovecot's UIDVALIDITY, UIDs, flags, keywords, internal dates and
//! sizes, and a second run changes nothing.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{ServeProcess, listening, ok, popstore};
use serde_json::Value;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrate/dovecot_source.py")
}

/// The Dovecot of the old store, stopped when dropped.
struct Dovecot {
    child: Child,
    expected: Value,
}

impl Dovecot {
    fn start(work: &Path) -> Dovecot {
        common::require("dovecot", &["--version"]);
        let mut child = Command::new("python3")
            .arg(script())
            .arg("serve")
            .arg(work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("READY"), "dovecot_source.py: {line:?}");
        let expected =
            serde_json::from_slice(&std::fs::read(work.join("expected.json")).unwrap()).unwrap();
        Dovecot { child, expected }
    }

    fn port(&self, what: &str) -> u16 {
        self.expected["ports"][what].as_u64().unwrap() as u16
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // EOF: the script stops Dovecot
        let _ = self.child.wait();
    }
}

/// `popstore migrate ARGS --json`: the report.
fn migrate(st: &Path, args: &[&str], stdin: &[u8]) -> Value {
    let mut a = vec!["migrate"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = popstore(st, &a, stdin);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "migrate {args:?} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap()
}

/// A POP3 maildrop as poplib reads it (UIDLs, digests of the RETR bytes).
fn pop3(port: u16, user: &str, pw: &str) -> Value {
    let o = Command::new("python3")
        .arg(script())
        .args(["pop3", &port.to_string(), user, pw])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_object_mut().unwrap().remove("sizes");
    v
}

/// Dovecot's folders as the test compares them (no bodies).
fn expected_folders(d: &Dovecot) -> Value {
    let mut e = d.expected["imap"].clone();
    for (_, f) in e.as_object_mut().unwrap() {
        for m in f["messages"].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("sha256");
        }
    }
    e
}

/// A MessageStore account's folders in the same form.
fn folders(st: &Path, account: &str, names: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for n in names {
        let v: Value =
            serde_json::from_str(&ok(st, &["folder", "show", account, n, "--json"], b"")).unwrap();
        let msgs: Vec<Value> = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let mut fl: Vec<String> = m["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect();
                fl.sort();
                serde_json::json!({"uid": m["uid"], "flags": fl, "date": m["internal_date"], "size": m["size"]})
            })
            .collect();
        out.insert(
            n.to_string(),
            serde_json::json!({"uidvalidity": v["uidvalidity"], "messages": msgs}),
        );
    }
    Value::Object(out)
}

/// A loopback proxy to `to`: its first connection is cut just after the
/// server starts sending a message body (`BODY[] {`); later ones pass.
fn dropping_proxy(to: u16) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (n, c) in l.incoming().enumerate() {
            let Ok(client) = c else { return };
            let server = TcpStream::connect(("127.0.0.1", to)).unwrap();
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut s2);
                let _ = s2.shutdown(std::net::Shutdown::Write);
            });
            let (mut client, mut server) = (client, server);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1];
                while server.read(&mut buf).unwrap_or(0) == 1 {
                    seen.push(buf[0]);
                    if client.write_all(&buf).is_err() {
                        break;
                    }
                    if n == 0 && seen.ends_with(b"BODY[] {") {
                        let _ = client.shutdown(std::net::Shutdown::Both);
                        let _ = server.shutdown(std::net::Shutdown::Both);
                        break;
                    }
                }
                let _ = client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

fn count(report: &Value, field: &str) -> u64 {
    report[field].as_u64().unwrap()
}

#[test]
fn a_dovecot_store_comes_along_with_its_uidls_uids_flags_and_bytes() {
    common::require("python3", &["--version"]);
    let d = tempfile::tempdir().unwrap();
    let dove = Dovecot::start(&d.path().join("dovecot"));
    let maildir = dove.expected["maildir"].as_str().unwrap().to_string();
    let names = ["INBOX", "Archive", "Archive/2026", "Café"];
    let want = expected_folders(&dove);
    let st = d.path().join("s");
    ok(&st, &["init"], b"");
    for (u, t) in [
        ("pa", "pop"),
        ("ma", "imap"),
        ("ia", "imap"),
        ("dr", "imap"),
        ("ts", "imap"),
    ] {
        ok(
            &st,
            &["user", "add", u, "--store-type", t, "--password-stdin"],
            b"pw\n",
        );
    }

    // A dry run changes nothing, not even the account it would create.
    let r = migrate(
        &st,
        &[
            &maildir,
            "--account",
            "newbie",
            "--create-accounts",
            "--dry-run",
        ],
        b"",
    );
    assert_eq!(count(&r, "migrated"), 7, "{r:#}");
    assert!(
        !popstore(&st, &["user", "show", "newbie"], b"")
            .status
            .success()
    );

    // The Maildir into a popstore account (INBOX) and a MessageStore one.
    let r = migrate(
        &st,
        &[&format!("maildir:{maildir}"), "--account", "pa"],
        b"",
    );
    let inbox = &r["accounts"][0]["folders"][0];
    assert_eq!(
        (inbox["migrated"].as_u64(), inbox["uidls_kept"].as_u64()),
        (Some(7), Some(7)),
        "{r:#}"
    );
    assert!(
        r["accounts"][0]["folders"][1]["skipped"].is_string(),
        "{r:#}"
    );
    let r = migrate(&st, &[&maildir, "--account", "ma"], b"");
    assert_eq!(count(&r, "migrated"), 11, "{r:#}");
    assert_eq!(folders(&st, "ma", &names), want);

    // The same mailbox over IMAP, and once more through a dropping proxy.
    let url = format!("imap://olduser@127.0.0.1:{}", dove.port("imap"));
    let r = migrate(&st, &[&url, "--account", "ia", "--insecure"], b"old-pw\n");
    assert_eq!(count(&r, "migrated"), 11, "{r:#}");
    assert_eq!(folders(&st, "ia", &names), want);
    let proxy = dropping_proxy(dove.port("imap"));
    let url2 = format!("imap://olduser@127.0.0.1:{proxy}");
    let r = migrate(&st, &[&url2, "--account", "dr", "--insecure"], b"old-pw\n");
    assert_eq!(count(&r, "migrated"), 11, "{r:#}");
    assert!(
        r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["reason"].as_str().unwrap().contains("connected again")),
        "{r:#}"
    );
    assert_eq!(folders(&st, "dr", &names), want);

    // TLS by default: STARTTLS on imap://, refused with a certificate
    // nobody trusts, fine with the one given; TLS from the start on imaps://.
    let out = popstore(&st, &["migrate", &url, "--account", "ts"], b"old-pw\n");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ca = d.path().join("dovecot/cert.pem");
    let r = migrate(
        &st,
        &[&url, "--account", "ts", "--ca-file", ca.to_str().unwrap()],
        b"old-pw\n",
    );
    assert_eq!(count(&r, "migrated"), 11, "{r:#}");
    let url_tls = format!("imaps://olduser@127.0.0.1:{}", dove.port("imaps"));
    let r = migrate(
        &st,
        &[
            &url_tls,
            "--account",
            "ts",
            "--ca-file",
            ca.to_str().unwrap(),
        ],
        b"old-pw\n",
    );
    assert_eq!(
        (count(&r, "migrated"), count(&r, "already")),
        (0, 11),
        "{r:#}"
    );
    assert_eq!(folders(&st, "ts", &names), want);

    // Second runs add nothing.
    for (src, acct, input) in [
        (&maildir, "pa", &b""[..]),
        (&maildir, "ma", b""),
        (&url, "ia", b"old-pw\n"),
    ] {
        let r = migrate(&st, &[src, "--account", acct, "--insecure"], input);
        assert_eq!(
            (count(&r, "migrated"), count(&r, "failed")),
            (0, 0),
            "{acct}: {r:#}"
        );
    }
    assert_eq!(folders(&st, "ma", &names), want);
    let v = popstore(&st, &["verify"], b"");
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));

    // POP3: Dovecot's UIDLs and bytes, from every account.
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
    let mut old = dove.expected["pop3"].clone();
    old.as_object_mut().unwrap().remove("sizes");
    for acct in ["pa", "ma", "ia", "dr", "ts"] {
        assert_eq!(pop3(port, acct, "pw"), old, "POP3 of {acct}");
    }
    // The old store is as it was (EXAMINE and BODY.PEEK: no \Seen set).
    let o = Command::new("python3")
        .arg(script())
        .args(["imap", &dove.port("imap").to_string(), "olduser", "old-pw"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(after, dove.expected["imap"], "the source changed");
    // The popstore account made a MessageStore account keeps them too.
    ok(&st, &["user", "convert", "pa", "--to", "imap"], b"");
    assert_eq!(pop3(port, "pa", "pw"), old, "POP3 of pa after user convert");
}
