//! The message bouncer against the real binary: mail delivered with
//! `popstore deliver`, some of it read over POP3 (Python's poplib), then
//! `popstore bounce` (and `serve`'s own pass) with the clock moved past the
//! `[expire]` policy. Notices go through the `[relay]` to an SMTP sink
//! (aiosmtpd) and are read back with Python's `email` package.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ServeProcess, Sink, listening};

const DAY: i64 = 86_400;

/// A store with ann, bob and cy (passwords NAME-pw) and a configuration:
/// the relay at `sink` (if any), `[expire]` as given, POP3 on a free port.
struct Site {
    _dir: tempfile::TempDir,
    store: PathBuf,
    conf: PathBuf,
}

impl Site {
    fn new(expire: &str, sink: Option<&Sink>) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let conf = dir.path().join("popstore.toml");
        let relay = sink.map_or(String::new(), |s| {
            format!(
                "[relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n",
                s.port
            )
        });
        std::fs::write(
            &conf,
            format!(
                "[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
                 imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\n\
                 web = \"off\"\n[lmtp]\nhostname = \"mx.popstore.test\"\n{relay}[expire]\n{expire}\n"
            ),
        )
        .unwrap();
        let site = Site {
            _dir: dir,
            store,
            conf,
        };
        site.ok(&["init"], b"");
        for u in ["ann", "bob", "cy"] {
            site.ok(
                &["user", "add", u, "--password-stdin"],
                format!("{u}-pw\n").as_bytes(),
            );
        }
        site
    }

    fn run(&self, args: &[&str], stdin: &[u8]) -> std::process::Output {
        use std::io::Write;
        let mut c = Command::new(env!("CARGO_BIN_EXE_popstore"))
            .arg("--store")
            .arg(&self.store)
            .arg("--config")
            .arg(&self.conf)
            .args(args)
            .env_remove("POPSTORE_BOUNCE_NOW")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(stdin).unwrap();
        c.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: &[u8]) -> String {
        let o = self.run(args, stdin);
        assert!(
            o.status.success(),
            "popstore {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    fn deliver(&self, from: Option<&str>, to: &[&str], msg: &[u8]) {
        let mut args = vec!["deliver"];
        if let Some(f) = from {
            args.extend(["--from", f]);
        }
        for t in to {
            args.extend(["--to", t]);
        }
        self.ok(&args, msg);
    }

    fn messages(&self, user: &str) -> i64 {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok(&["user", "show", user, "--json"], b"")).unwrap();
        v["messages"].as_i64().unwrap()
    }

    fn message_files(&self) -> usize {
        fn walk(p: &Path, n: &mut usize) {
            for e in std::fs::read_dir(p).unwrap().map_while(Result::ok) {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, n);
                } else if path
                    .file_name()
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.to_ascii_uppercase().contains(".MSG"))
                {
                    *n += 1;
                }
            }
        }
        let mut n = 0;
        walk(&self.store, &mut n);
        n
    }

    /// `popstore bounce --json --now T [--dry-run]`: its report.
    fn bounce(&self, now: i64, dry_run: bool) -> serde_json::Value {
        let t = now.to_string();
        let mut args = vec!["bounce", "--json", "--now", &t];
        if dry_run {
            args.push("--dry-run");
        }
        serde_json::from_str(&self.ok(&args, b"")).unwrap()
    }

    fn serve(&self, env: &[(&str, &str)], until: &str) -> (ServeProcess, std::net::SocketAddr) {
        let mut pop3 = None;
        let s = ServeProcess::start_with_env(&self.store, &self.conf, "info", env, |line| {
            pop3 = pop3.or(listening(line, "POP3"));
            pop3.is_some() && (until.is_empty() || line.contains(until))
        });
        (s, pop3.unwrap())
    }
}

fn python() -> &'static str {
    common::require("python3", &["--version"]);
    "python3"
}

fn client(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

/// Logs `user` in over POP3, RETRs the messages `read`, QUITs; gives the
/// CAPA EXPIRE arguments before and after login.
fn pop3_read(addr: std::net::SocketAddr, user: &str, read: &str) -> serde_json::Value {
    let o = Command::new(python())
        .arg(client("pop3_read.py"))
        .args([
            "127.0.0.1",
            &addr.port().to_string(),
            user,
            &format!("{user}-pw"),
            read,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A notice as Python's email package reads it.
fn parse_dsn(path: &Path) -> serde_json::Value {
    let o = Command::new(python())
        .arg(client("dsn_parse.py"))
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const UNREAD: &[u8] = b"From: bob@remote.test\r\nSubject: unread one\r\n\r\nplease read me\r\n";
const READ: &[u8] = b"From: carol@remote.test\r\nSubject: read one\r\n\r\nseen\r\n";
const NULL: &[u8] = b"From: MAILER-DAEMON@remote.test\r\nSubject: a bounce\r\n\r\nx\r\n";
const REPORT: &[u8] = b"From: eve@remote.test\r\nSubject: a report\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n";
const SHARED: &[u8] = b"From: dave@remote.test\r\nSubject: to both\r\n\r\nshared\r\n";

#[test]
fn expired_unread_mail_goes_back_once_and_read_mail_is_deleted() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_dir.path());
    let site = Site::new(
        "days = 3\ninterval = 0\noverrides = [{ account = \"cy\", days = \"never\" }]",
        Some(&sink),
    );
    site.deliver(Some("bob@remote.test"), &["ann"], UNREAD);
    site.deliver(Some("carol@remote.test"), &["ann"], READ);
    site.deliver(None, &["ann"], NULL);
    site.deliver(Some("eve@remote.test"), &["ann"], REPORT);
    site.deliver(Some("dave@remote.test"), &["ann", "bob"], SHARED);
    site.deliver(Some("bob@remote.test"), &["cy"], UNREAD);
    assert_eq!(site.message_files(), 6);

    // ann reads message 2, bob his only one; CAPA says the policy.
    let (server, pop3) = site.serve(&[], "");
    let ann = pop3_read(pop3, "ann", "2");
    assert_eq!(ann["expire_before"], serde_json::json!(["3", "USER"]));
    assert_eq!(ann["expire_after"], serde_json::json!(["3"]));
    let bob = pop3_read(pop3, "bob", "1");
    assert_eq!(bob["expire_after"], serde_json::json!(["3"]));
    let cy = pop3_read(pop3, "cy", "");
    assert_eq!(cy["expire_after"], serde_json::json!(["NEVER"]));
    drop(server);

    // Not yet expired: nothing happens.
    let r = site.bounce(now() + 2 * DAY, false);
    assert_eq!(
        (r["returned"].as_i64(), r["deleted"].as_i64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(site.messages("ann"), 5);

    // A dry run says what a pass would do and does nothing.
    let later = now() + 4 * DAY;
    let r = site.bounce(later, true);
    assert_eq!(r["returned"], 2, "{r}");
    assert_eq!(r["deleted"], 4, "{r}");
    assert!(
        r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["account"] != "cy"),
        "cy keeps everything: {r}"
    );
    assert_eq!(sink.count(), 0);
    assert_eq!(site.messages("ann"), 5);

    let r = site.bounce(later, false);
    assert_eq!(
        (r["returned"].as_i64(), r["deleted"].as_i64()),
        (Some(2), Some(4)),
        "{r}"
    );
    assert_eq!(r["failed"], 0, "{r}");
    let reasons: Vec<(String, String)> = r["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["sender"].as_str().unwrap().to_string(),
                m["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (sender, reason) in [
        ("bob@remote.test", "unread"),
        ("carol@remote.test", "read"),
        ("", "no-return"),
        ("eve@remote.test", "no-return"),
        ("dave@remote.test", "unread"),
        ("dave@remote.test", "read"),
    ] {
        assert!(
            reasons.contains(&(sender.to_string(), reason.to_string())),
            "{sender} {reason}: {reasons:?}"
        );
    }
    assert_eq!((site.messages("ann"), site.messages("bob")), (0, 0));
    assert_eq!(site.messages("cy"), 1, "a `never` account keeps its mail");
    assert_eq!(
        site.message_files(),
        1,
        "the shared file went with its last reference"
    );

    // Exactly one notice per unread message, from the null sender.
    assert_eq!(sink.count(), 2);
    let mut to_senders = Vec::new();
    for n in 1..=2 {
        let (_, env) = sink.message(n);
        assert_eq!(env["from"], "<>", "{env}");
        let to = env["to"][0].as_str().unwrap().to_string();
        let dsn = parse_dsn(&sink_dir.path().join(format!("{n}.eml")));
        assert_eq!(dsn["content_type"], "multipart/report", "{dsn}");
        assert_eq!(dsn["report_type"], "delivery-status", "{dsn}");
        assert_eq!(dsn["defects"], serde_json::json!([]), "{dsn}");
        assert_eq!(dsn["auto_submitted"], "auto-replied", "{dsn}");
        let parts = dsn["parts"].as_array().unwrap();
        let types: Vec<&str> = parts
            .iter()
            .map(|p| p["content_type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "text/plain",
                "message/delivery-status",
                "text/rfc822-headers"
            ],
            "{dsn}"
        );
        let blocks = parts[1]["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["Reporting-MTA"], "dns; mx.popstore.test", "{dsn}");
        assert_eq!(
            blocks[1]["Final-Recipient"], "rfc822; ann@mx.popstore.test",
            "{dsn}"
        );
        assert_eq!(blocks[1]["Action"], "failed", "{dsn}");
        assert_eq!(blocks[1]["Status"], "5.4.7", "{dsn}");
        // (the email package gives the part's lines with LF ends)
        let headers = parts[2]["text"].as_str().unwrap().replace("\r\n", "\n");
        let original = if to == "bob@remote.test" {
            UNREAD
        } else {
            SHARED
        };
        let head = std::str::from_utf8(original)
            .unwrap()
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .replace("\r\n", "\n");
        assert!(headers.contains(&head), "the original header: {headers}");
        assert!(
            headers.starts_with(&format!("Return-Path: <{to}>\n")),
            "{headers}"
        );
        assert!(
            !headers.contains("please read me") && !headers.contains("shared\n"),
            "{headers}"
        );
        to_senders.push(to);
    }
    to_senders.sort();
    assert_eq!(to_senders, ["bob@remote.test", "dave@remote.test"]);

    // A second pass finds nothing more.
    let r = site.bounce(later, false);
    assert_eq!(
        (r["returned"].as_i64(), r["deleted"].as_i64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(sink.count(), 2);
}

#[test]
fn a_never_policy_keeps_everything_and_capa_says_so() {
    let site = Site::new("days = \"never\"\ninterval = 60\noverrides = []", None);
    site.deliver(Some("bob@remote.test"), &["ann"], UNREAD);
    site.deliver(None, &["ann"], NULL);
    let r = site.bounce(now() + 3650 * DAY, false);
    assert_eq!(r["messages"], serde_json::json!([]), "{r}");
    assert_eq!(site.messages("ann"), 2);
    let (_server, pop3) = site.serve(&[], "");
    let ann = pop3_read(pop3, "ann", "");
    assert_eq!(ann["expire_before"], serde_json::json!(["NEVER"]));
    assert_eq!(ann["expire_after"], serde_json::json!(["NEVER"]));
}

#[test]
fn serve_runs_the_bouncer_on_its_interval() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_dir.path());
    let site = Site::new("days = 1\ninterval = 3600\noverrides = []", Some(&sink));
    site.deliver(Some("bob@remote.test"), &["ann"], UNREAD);
    site.deliver(None, &["bob"], NULL);
    let later = (now() + 2 * DAY).to_string();
    let (server, pop3) = site.serve(&[("POPSTORE_BOUNCE_NOW", &later)], "bounce: pass complete");
    let log = server.log();
    assert!(
        log.contains("returned=1") && log.contains("deleted=1"),
        "{log}"
    );
    assert_eq!(sink.count(), 1);
    assert_eq!((site.messages("ann"), site.messages("bob")), (0, 0));
    // No USER tag without per-account policies.
    let ann = pop3_read(pop3, "ann", "");
    assert_eq!(ann["expire_before"], serde_json::json!(["1"]));
}

#[test]
fn a_messagestore_inbox_expires_by_its_seen_flag() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_dir.path());
    let site = Site::new("days = 2\ninterval = 0\noverrides = []", Some(&sink));
    site.ok(
        &[
            "user",
            "add",
            "ms",
            "--store-type",
            "imap",
            "--password-stdin",
        ],
        b"ms-pw\n",
    );
    site.deliver(Some("bob@remote.test"), &["ms"], UNREAD);
    site.deliver(Some("carol@remote.test"), &["ms"], READ);
    // POP3 serves INBOX; RETR sets \Seen at QUIT.
    let (server, pop3) = site.serve(&[], "");
    pop3_read(pop3, "ms", "2");
    drop(server);
    let inbox = || -> serde_json::Value {
        serde_json::from_str(&site.ok(&["folder", "show", "ms", "INBOX", "--json"], b"")).unwrap()
    };
    assert_eq!(inbox()["unseen"], 1);
    let r = site.bounce(now() + 3 * DAY, false);
    assert_eq!(
        (r["returned"].as_i64(), r["deleted"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert!(
        r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["message"].as_str().unwrap().starts_with("INBOX ")),
        "{r}"
    );
    assert_eq!(inbox()["messages"], serde_json::json!([]));
    assert_eq!(site.message_files(), 0);
    assert_eq!(sink.count(), 1);
    let (_, env) = sink.message(1);
    assert_eq!(env["to"], serde_json::json!(["bob@remote.test"]));
}

#[test]
fn without_a_relay_unread_mail_stays_for_the_next_pass() {
    let site = Site::new("days = 1\ninterval = 0\noverrides = []", None);
    site.deliver(Some("bob@remote.test"), &["ann"], UNREAD);
    site.deliver(None, &["ann"], NULL);
    let t = (now() + 2 * DAY).to_string();
    let o = site.run(&["bounce", "--json", "--now", &t], b"");
    assert_eq!(o.status.code(), Some(1), "a notice that failed is an error");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (r["failed"].as_i64(), r["deleted"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let failed = r["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["sender"] == "bob@remote.test")
        .unwrap();
    assert!(failed["error"].as_str().unwrap().contains("relay"), "{r}");
    assert_eq!(site.messages("ann"), 1, "kept until it can be returned");
}
