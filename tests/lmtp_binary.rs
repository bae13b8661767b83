//! The real `popstore` binary with the real store: `serve` taking mail over
//! LMTP from smtplib.LMTP and swaks, forwarding (local and through the
//! relay to an SMTP server), `user show --json` counts, SIGTERM/SIGINT
//! shutdown, and `deliver` / `validate` exit codes.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ServeProcess, Sink, ok, popstore, require, write_file};

fn messages(store: &Path, user: &str) -> i64 {
    let json = ok(store, &["user", "show", user, "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["messages"].as_i64().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(dir: &Path, lmtp: &str, extra: &str) -> PathBuf {
    write_file(
        dir,
        "popstore.toml",
        format!(
            "[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"{lmtp}\"\npop3 = \"off\"\npop3s = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
             [lmtp]\nhostname = \"lmtp.test\"\n{extra}"
        )
        .as_bytes(),
    )
}

const MESSAGE: &[u8] = b"From: s@example.org\r\nSubject: real store\r\n\r\nline one\r\n.dot line\r\n\xc3\xa9t\xc3\xa9\r\n";

#[test]
fn serve_takes_mail_from_smtplib_and_swaks_into_the_real_store() {
    require("swaks", &["--version"]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    ok(
        &store,
        &["user", "add", "alice", "--password-stdin"],
        b"pw\n",
    );
    ok(&store, &["user", "add", "bob", "--password-stdin"], b"pw\n");
    ok(&store, &["forward", "add", "sales", "alice", "bob"], b"");
    ok(
        &store,
        &["forward", "add", "away", "friend@remote.test"],
        b"",
    );

    let sink_dir = dir.path().join("sink");
    std::fs::create_dir(&sink_dir).unwrap();
    let sink = Sink::start(&sink_dir);
    let port = free_port();
    let conf = config(
        dir.path(),
        &format!("127.0.0.1:{port}"),
        &format!(
            "[relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n",
            sink.port
        ),
    );
    let serve = ServeProcess::start(&store, &conf, "info");
    let target = format!("127.0.0.1:{port}");

    // smtplib.LMTP: a reply per recipient, at RCPT and after DATA.
    let msg = write_file(dir.path(), "msg.eml", MESSAGE);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/lmtp_smtplib.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            &target,
            "s@example.org",
            "alice@localhost,nobody@localhost,sales@localhost,away@localhost",
        ])
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x[0].as_i64().unwrap())
            .collect()
    };
    assert_eq!(codes(&r["rcpt"]), [250, 550, 250, 250], "{r}");
    assert!(
        r["rcpt"][1][1].as_str().unwrap().starts_with("5.1.1"),
        "{r}"
    );
    assert_eq!(codes(&r["data"]), [250, 250, 250], "{r}");

    // swaks, pipelined, to bob.
    let body = write_file(
        dir.path(),
        "swaks.eml",
        MESSAGE.strip_suffix(b"\r\n").unwrap(),
    );
    let out = Command::new("swaks")
        .args([
            "--protocol",
            "LMTP",
            "--server",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args([
            "--pipeline",
            "--from",
            "s@example.org",
            "--to",
            "bob@localhost",
        ])
        .arg("--data")
        .arg(format!("@{}", body.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("250 2.1.5 <bob@localhost> delivered"),
        "{text}"
    );

    // alice: direct and through sales in one transaction, one copy; bob:
    // sales, then swaks.
    assert_eq!(messages(&store, "alice"), 1);
    assert_eq!(messages(&store, "bob"), 2);
    // Every copy holds the message as sent (after the store's trace header).
    let s = popstore::cli::init::open_store(&store).unwrap();
    for user in ["alice", "bob"] {
        let mut md = s.open_maildrop(&s.name(user).unwrap()).unwrap();
        for i in 0..md.entries().len() {
            let view = md.message(i).unwrap().unwrap();
            let body = view.body();
            assert!(
                body.ends_with(MESSAGE),
                "{user} {i}: {}",
                String::from_utf8_lossy(body)
            );
        }
        md.abandon().unwrap();
    }

    // The forwarding to an external address went through the relay intact.
    assert_eq!(sink.count(), 1);
    let (bytes, env) = sink.message(1);
    assert!(
        bytes.ends_with(MESSAGE),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(env["to"], serde_json::json!(["friend@remote.test"]));

    // SIGTERM: an idle session is told, the server exits 0.
    let mut idle = TcpStream::connect(&target).unwrap();
    let mut reader = BufReader::new(idle.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 lmtp.test"), "{line}");
    idle.write_all(b"LHLO t\r\n").unwrap();
    serve.signal("-TERM");
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert!(
        rest.ends_with("421 4.3.2 lmtp.test Service shutting down\r\n"),
        "{rest}"
    );
    let (status, log) = serve.wait();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn serve_creates_a_missing_store_and_stops_on_sigint_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("new-store");
    let socket = dir.path().join("lmtp.sock");
    let conf = config(dir.path(), &format!("unix:{}", socket.display()), "");
    let serve = ServeProcess::start(&store, &conf, "info");
    assert!(store.is_dir());
    assert!(socket.exists());
    let mut c = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    let mut greeting = [0u8; 4];
    c.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"220 ");
    drop(c);
    serve.signal("-INT");
    let (status, log) = serve.wait();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("created a new store"), "{log}");
    assert!(!socket.exists(), "the socket is removed at exit");
    // The store it made is a store the other commands use.
    ok(
        &store,
        &["user", "add", "alice", "--password-stdin"],
        b"pw\n",
    );
}

#[test]
fn serve_reports_a_port_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = popstore(&store, &["serve", "--lmtp", &addr, "--pop3", "off"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen for LMTP on {addr}")),
        "{err}"
    );
}

#[test]
fn deliver_and_validate_use_sysexits_with_the_real_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    ok(
        &store,
        &["user", "add", "alice", "--password-stdin"],
        b"pw\n",
    );
    ok(
        &store,
        &[
            "user",
            "add",
            "small",
            "--password-stdin",
            "--quota",
            "1k",
            "--overdraft",
            "none",
        ],
        b"pw\n",
    );
    ok(
        &store,
        &[
            "user",
            "add",
            "carol",
            "--password-stdin",
            "--flags",
            "DISMAIL",
        ],
        b"pw\n",
    );

    let v = popstore(&store, &["validate", "alice", "nobody", "carol"], b"");
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(
        text.starts_with("alice: deliverable\nnobody: 550 5.1.1"),
        "{text}"
    );
    assert!(text.contains("carol: 550 5.2.1"), "{text}");
    assert_eq!(v.status.code(), Some(67), "the first failure: unknown user");
    assert_eq!(
        popstore(&store, &["validate", "alice"], b"").status.code(),
        Some(0)
    );
    assert_eq!(
        popstore(&store, &["validate", "carol"], b"").status.code(),
        Some(77)
    );
    assert_eq!(
        popstore(&store, &["validate", "small", "--size", "5000"], b"")
            .status
            .code(),
        Some(73)
    );

    // LF line ends and an mbox From_ line, as MTAs pipe them.
    let piped = b"From s@example.org Sun Nov 22 12:00:00 2026\nSubject: piped\n\nhello\n";
    let d = popstore(
        &store,
        &["deliver", "--from", "s@example.org", "--to", "alice"],
        piped,
    );
    assert_eq!(
        d.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&d.stderr)
    );
    assert_eq!(messages(&store, "alice"), 1);

    let d = popstore(&store, &["deliver", "--to", "nobody"], b"x\n");
    assert_eq!(d.status.code(), Some(67));
    assert!(String::from_utf8_lossy(&d.stderr).contains("<nobody>: 550 5.1.1"));

    let big = vec![b'x'; 5000];
    let d = popstore(&store, &["deliver", "--to", "small"], &big);
    assert_eq!(
        d.status.code(),
        Some(73),
        "{}",
        String::from_utf8_lossy(&d.stderr)
    );
    let temp = config(dir.path(), "off", "quota_failure = \"temporary\"\n");
    let d = popstore(
        &store,
        &[
            "--config",
            temp.to_str().unwrap(),
            "deliver",
            "--to",
            "small",
        ],
        &big,
    );
    assert_eq!(
        d.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&d.stderr)
    );

    // Too big for [lmtp] max_message_size.
    let tiny = config(dir.path(), "off", "max_message_size = 100\n");
    let d = popstore(
        &store,
        &[
            "--config",
            tiny.to_str().unwrap(),
            "deliver",
            "--to",
            "alice",
        ],
        &big,
    );
    assert_eq!(d.status.code(), Some(65));
    assert_eq!(messages(&store, "alice"), 1);

    // No store: a temporary failure, so the MTA keeps the mail.
    let none = dir.path().join("none");
    assert_eq!(
        popstore(&none, &["deliver", "--to", "alice"], b"x\n")
            .status
            .code(),
        Some(75)
    );
    assert_eq!(popstore(&store, &["deliver"], b"").status.code(), Some(64));
}
