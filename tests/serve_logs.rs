//! `[log] format = "json"`: the real `popstore serve` writes one JSON
//! object per line on standard error, and one line per session at its end
//! (protocol, client, user, outcome, duration, bytes, commands) that never
//! holds a password.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{LineClient, ServeProcess, ok};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "Sekrit-Tr0mbone-42";
const WRONG: &str = "Wr0ng-Kazoo-17";

/// The address of a JSON "`what` listening" line.
fn listening(line: &str, what: &str) -> Option<SocketAddr> {
    let v: Value = serde_json::from_str(line).ok()?;
    if v["message"] != format!("{what} listening") {
        return None;
    }
    v["listen"].as_str()?.parse().ok()
}

#[test]
fn json_log_has_one_line_per_session_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    ok(
        &store,
        &["user", "add", "alice", "--password-stdin"],
        format!("{PASSWORD}\n").as_bytes(),
    );
    let config = common::write_file(
        dir.path(),
        "popstore.toml",
        b"[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
          imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
          [log]\nformat = \"json\"\n",
    );
    let mut pop3 = None;
    let serve = ServeProcess::start_until(&store, &config, "info", |line| {
        pop3 = pop3.or(listening(line, "POP3"));
        pop3.is_some()
    });
    let pop3 = pop3.unwrap();

    let (mut c, greeting) = LineClient::connect(pop3, TIMEOUT);
    assert!(greeting.starts_with("+OK"), "{greeting}");
    let mut sent = 0;
    let mut cmd = |c: &mut LineClient, line: &str| {
        sent += line.len() + 2;
        c.cmd(line)
    };
    assert!(cmd(&mut c, "USER alice").starts_with("+OK"));
    assert!(cmd(&mut c, &format!("PASS {WRONG}")).starts_with("-ERR"));
    assert!(cmd(&mut c, "USER alice").starts_with("+OK"));
    assert!(cmd(&mut c, &format!("PASS {PASSWORD}")).starts_with("+OK"));
    assert!(cmd(&mut c, "STAT").starts_with("+OK 0 0"));
    assert!(cmd(&mut c, "QUIT").starts_with("+OK"));
    assert_eq!(c.line(), "", "the server closed the session");

    serve.signal("-TERM");
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");

    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let sessions: Vec<&Value> = lines.iter().filter(|v| v["message"] == "session").collect();
    assert_eq!(sessions.len(), 1, "{log}");
    let s = sessions[0];
    assert_eq!(s["protocol"], "pop3", "{s}");
    assert_eq!(s["user"], "alice", "{s}");
    assert_eq!(s["outcome"], "closed", "{s}");
    assert_eq!(s["commands"], 6, "{s}");
    assert_eq!(s["bytes_in"], sent as u64, "{s}");
    assert!(s["bytes_out"].as_u64().unwrap() > 0, "{s}");
    assert!(s["duration_ms"].is_u64(), "{s}");
    assert_eq!(s["level"], "INFO", "{s}");
    let client = s["client"].as_str().unwrap();
    assert!(client.starts_with("127.0.0.1:"), "{s}");
    // Neither password, right or wrong, appears anywhere.
    assert!(!log.contains(PASSWORD), "{log}");
    assert!(!log.contains(WRONG), "{log}");
}

/// Waits (bounded) until the server's log holds `n` session lines; gives
/// them.
fn session_lines(serve: &ServeProcess, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let lines: Vec<Value> = serve
            .log()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["message"] == "session")
            .collect();
        if lines.len() >= n || std::time::Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn imap_sessions_log_one_line_each_with_their_outcome_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    ok(
        &store,
        &[
            "user",
            "add",
            "alice",
            "--store-type",
            "imap",
            "--password-stdin",
        ],
        format!("{PASSWORD}\n").as_bytes(),
    );
    let config = common::write_file(
        dir.path(),
        "popstore.toml",
        b"[listen]\nlmtp = \"off\"\npop3 = \"off\"\npop3s = \"off\"\n\
          imap = \"127.0.0.1:0\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
          [log]\nformat = \"json\"\n\
          [imap]\nallow_plaintext_auth = true\n",
    );
    let mut imap = None;
    let serve = ServeProcess::start_until(&store, &config, "info", |line| {
        imap = imap.or(listening(line, "IMAP"));
        imap.is_some()
    });
    let imap = imap.unwrap();

    // 1: a wrong password, the right one, SELECT, LOGOUT.
    let (mut c, greeting) = LineClient::connect(imap, TIMEOUT);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let mut sent = 0;
    let mut cmd = |c: &mut LineClient, tag: &str, line: &str| {
        sent += line.len() + 2;
        let mut reply = c.cmd(line);
        while !reply.starts_with(tag) {
            assert!(!reply.is_empty(), "closed before {tag}'s reply");
            reply = c.line();
        }
        reply
    };
    assert!(cmd(&mut c, "a ", &format!("a LOGIN alice {WRONG}")).starts_with("a NO"));
    let r = cmd(&mut c, "b ", &format!("b LOGIN alice {PASSWORD}"));
    assert!(r.starts_with("b OK"), "{r}");
    assert!(cmd(&mut c, "c ", "c SELECT INBOX").starts_with("c OK"));
    assert!(cmd(&mut c, "d ", "d LOGOUT").starts_with("d OK"));
    assert_eq!(c.line(), "", "the server closed the session");
    drop(c);
    let first = session_lines(&serve, 1);

    // 2: logged in, then the client goes away.
    let (mut c, _) = LineClient::connect(imap, TIMEOUT);
    assert!(
        c.cmd(&format!("a LOGIN alice {PASSWORD}"))
            .starts_with("a OK")
    );
    drop(c);
    let second = session_lines(&serve, 2);

    // 3: still open when the server stops.
    let (mut c, _) = LineClient::connect(imap, TIMEOUT);
    assert!(c.cmd("a CAPABILITY").starts_with("* CAPABILITY"));
    assert!(c.line().starts_with("a OK"));
    serve.signal("-TERM");
    assert!(c.line().starts_with("* BYE"));
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");

    let sessions: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "session")
        .collect();
    assert_eq!(sessions.len(), 3, "{log}");
    assert_eq!(first.len(), 1, "{log}");
    assert_eq!(second.len(), 2, "{log}");
    let s = &sessions[0];
    assert_eq!(s["protocol"], "imap", "{s}");
    assert_eq!(s["user"], "alice", "{s}");
    assert_eq!(s["outcome"], "logout", "{s}");
    assert_eq!(s["commands"], 4, "{s}");
    assert_eq!(s["bytes_in"], sent as u64, "{s}");
    assert!(s["bytes_out"].as_u64().unwrap() > 0, "{s}");
    assert!(
        s["client"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{s}"
    );
    let s = &sessions[1];
    assert_eq!(
        (&s["user"], &s["outcome"]),
        (&"alice".into(), &"disconnected".into()),
        "{s}"
    );
    assert_eq!(s["commands"], 1, "{s}");
    let s = &sessions[2];
    assert_eq!(
        (&s["user"], &s["outcome"]),
        (&"".into(), &"shutdown".into()),
        "{s}"
    );
    assert_eq!(s["commands"], 1, "{s}");
    assert!(!log.contains(PASSWORD), "{log}");
    assert!(!log.contains(WRONG), "{log}");
}
