//! POP3 with real clients against the real binary: mail delivered with
//! `popstore deliver`, then fetched from `popstore serve` with Python's
//! poplib, curl and fetchmail over real sockets; each test compares the
//! fetched bytes with what was delivered. (The clients come from
//! `ci/install-deps.sh`.)

#[path = "pop3/binary.rs"]
mod binary;
mod common;
#[path = "pop3/harness.rs"]
mod harness;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use binary::Served;
use harness::{messages, need};

/// A served store; `deliver_all` gives a user the three test messages.
fn start() -> Served {
    let (dir, store) = Served::store();
    Served::serve(dir, store)
}

fn deliver_all(s: &Served, user: &str) -> Vec<Vec<u8>> {
    let msgs = messages();
    for m in &msgs {
        Served::deliver(&s.store, &[user], m);
    }
    msgs
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pop3/poplib_client.py")
}

/// Runs the poplib client; returns its JSON summary.
fn poplib(mode: &str, addr: SocketAddr, user: &str, out: &Path, delete: bool) -> serde_json::Value {
    need("python3");
    std::fs::create_dir_all(out).unwrap();
    let o = Command::new("python3")
        .arg(script())
        .args([
            mode,
            "127.0.0.1",
            &addr.port().to_string(),
            user,
            &format!("{user}-pw"),
        ])
        .arg(out)
        .env("DELETE", if delete { "1" } else { "0" })
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "poplib {mode} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn assert_fetched(out: &Path, expected: &[Vec<u8>]) {
    for (i, m) in expected.iter().enumerate() {
        let stored = std::fs::read(out.join(format!("{}.eml", i + 1))).unwrap();
        // `popstore deliver` without --from: the null sender.
        let got = common::trace::strip(&stored, "");
        assert!(
            got == *m,
            "message {} differs ({} vs {} bytes)",
            i + 1,
            got.len(),
            m.len()
        );
    }
}

fn caps(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn poplib_every_login_method_fetches_exact_bytes() {
    let server = start();
    for (mode, addr, user) in [
        ("userpass", server.pop3, "ann"),
        ("apop", server.pop3, "bob"),
        ("plain", server.pop3, "cy"),
        ("login", server.pop3, "ann"),
        ("scram", server.pop3, "bob"),
        ("stls", server.pop3, "cy"),
        ("ssl", server.pop3s, "ann"),
    ] {
        let msgs = deliver_all(&server, user);
        let out = server.dir.path().join(mode);
        let delete = mode != "login";
        let summary = poplib(mode, addr, user, &out, delete);
        assert_fetched(&out, &msgs);
        let login = summary["login"].as_str().unwrap();
        assert!(login.starts_with("+OK"), "{mode}: {login}");
        let before = caps(&summary, "capa_before");
        let after = caps(&summary, "capa_after");
        assert!(
            before.contains(&"SASL".to_string()) && !after.contains(&"SASL".to_string()),
            "{mode}"
        );
        assert_eq!(
            before.contains(&"STLS".to_string()),
            mode != "ssl",
            "{mode}: {before:?}"
        );
        assert!(after.contains(&"IMPLEMENTATION".to_string()), "{mode}");
        let top = summary["top"].as_array().unwrap();
        assert_eq!(top.last().unwrap(), ".leading dot", "{mode}");
        if delete {
            assert!(
                server.messages(user) == 0,
                "{mode}: QUIT committed the deletions"
            );
        } else {
            assert_eq!(server.messages(user), 3);
            // Clean up for the next mode using this user.
            let summary = poplib("userpass", server.pop3, user, &out, true);
            assert!(summary["quit"].as_str().unwrap().contains("maildrop empty"));
        }
    }
}

#[test]
fn two_sessions_on_one_maildrop_get_in_use() {
    let server = start();
    deliver_all(&server, "ann");
    let out = server.dir.path().join("inuse");
    let summary = poplib("inuse", server.pop3, "ann", &out, false);
    assert_eq!(
        summary["second"].as_str().unwrap(),
        "-ERR [IN-USE] maildrop is in use by another session"
    );
}

#[test]
fn dropped_connection_commits_nothing() {
    let server = start();
    let msgs = deliver_all(&server, "ann");
    let out = server.dir.path().join("drop");
    poplib("drop", server.pop3, "ann", &out, false);
    // The server ends the dropped session when it sees the close; until
    // then a new login gets [IN-USE]. Retry until it is released.
    let deadline = Instant::now() + Duration::from_secs(20);
    let summary = loop {
        let o = Command::new("python3")
            .arg(script())
            .args([
                "userpass",
                "127.0.0.1",
                &server.pop3.port().to_string(),
                "ann",
                "ann-pw",
            ])
            .arg(&out)
            .output()
            .unwrap();
        if o.status.success() {
            break serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
        }
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("[IN-USE]"), "{err}");
        assert!(Instant::now() < deadline, "the dropped session never ended");
    };
    assert_eq!(
        summary["uidl"].as_array().unwrap().len(),
        3,
        "DELE without QUIT kept"
    );
    assert_fetched(&out, &msgs);
    assert_eq!(server.messages("ann"), 3);
}

#[test]
fn three_recipients_of_one_message_each_delete_it() {
    let server = start();
    let msg = &messages()[0];
    Served::deliver(&server.store, &["ann", "bob", "cy"], msg);
    assert_eq!(server.message_files(), 1, "one file for three recipients");
    for (i, user) in ["ann", "bob", "cy"].into_iter().enumerate() {
        let out = server.dir.path().join(format!("shared-{user}"));
        poplib("userpass", server.pop3, user, &out, true);
        assert_fetched(&out, std::slice::from_ref(msg));
        assert_eq!(server.messages(user), 0);
        let left = if i < 2 { 1 } else { 0 };
        assert_eq!(server.message_files(), left, "after {user} deleted it");
    }
}

fn curl(args: &[&str]) -> Vec<u8> {
    need("curl");
    let o = Command::new("curl")
        .args(["-s", "-S", "--max-time", "60"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn curl_fetches_over_pop3_stls_and_pop3s() {
    let server = start();
    let msgs = deliver_all(&server, "ann");
    let plain = format!("pop3://127.0.0.1:{}", server.pop3.port());
    let implicit = format!("pop3s://127.0.0.1:{}", server.pop3s.port());
    let mut stored = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let n = i + 1;
        let got = curl(&["-u", "ann:ann-pw", &format!("{plain}/{n}")]);
        assert!(common::trace::strip(&got, "") == *m, "pop3:// message {n}");
        let tls = curl(&[
            "--ssl-reqd",
            "-k",
            "-u",
            "ann:ann-pw",
            &format!("{plain}/{n}"),
        ]);
        assert!(tls == got, "pop3:// STLS message {n}");
        let tls = curl(&["-k", "-u", "ann:ann-pw", &format!("{implicit}/{n}")]);
        assert!(tls == got, "pop3s:// message {n}");
        stored.push(got);
    }
    let list = String::from_utf8(curl(&["-u", "ann:ann-pw", &format!("{plain}/")])).unwrap();
    let sizes: Vec<String> = stored
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}\r\n", i + 1, m.len()))
        .collect();
    assert_eq!(list, sizes.concat());
    let sasl = curl(&[
        "--login-options",
        "AUTH=CRAM-MD5",
        "-u",
        "ann:ann-pw",
        &format!("{plain}/1"),
    ]);
    assert!(sasl == stored[0], "curl with a SASL mechanism");
}

#[test]
fn fetchmail_fetches_into_an_mbox() {
    need("fetchmail");
    let server = start();
    for (name, addr, ssl) in [("plain", server.pop3, false), ("pop3s", server.pop3s, true)] {
        let msgs = deliver_all(&server, "ann");
        let home = server.dir.path().join(format!("fetchmail-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        let mbox = home.join("mbox");
        let rc = home.join("fetchmailrc");
        let tls = if ssl {
            "ssl no sslcertck"
        } else {
            "sslproto '' "
        };
        std::fs::write(
            &rc,
            format!(
                "set no syslog\npoll 127.0.0.1 protocol POP3 port {port}:\n  user \"ann\" there with password \"ann-pw\" is root here\n  {tls}\n  mda \"/bin/sh -c 'cat >> {mbox}'\"\n  no rewrite\n",
                port = addr.port(),
                mbox = mbox.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
        let o = Command::new("fetchmail")
            .arg("-f")
            .arg(&rc)
            .args(["--nodetach", "--pidfile"])
            .arg(home.join("pid"))
            .env("HOME", &home)
            .env("FETCHMAILHOME", &home)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "fetchmail ({name}) failed: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let got = std::fs::read(&mbox).unwrap();
        for m in &msgs {
            // fetchmail hands the MDA LF line ends; the rest is unchanged.
            let lf: Vec<u8> = String::from_utf8_lossy(m)
                .replace("\r\n", "\n")
                .into_bytes();
            let lf = if std::str::from_utf8(m).is_ok() {
                lf
            } else {
                strip_cr(m)
            };
            assert!(
                memfind(&got, &lf),
                "{name}: a message is missing from the mbox or altered"
            );
        }
        assert!(
            server.messages("ann") == 0,
            "{name}: fetchmail deleted what it fetched"
        );
    }
}

fn strip_cr(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.len());
    for (i, &b) in m.iter().enumerate() {
        if !(b == b'\r' && m.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
