//! IMAP sessions that see each other, against the real binary: IDLE
//! reporting an LMTP delivery, two sessions on one folder seeing each
//! other's flag changes and expunges by RFC 9051 7.5.1's rules (no EXPUNGE
//! during FETCH or STORE, numbers never changing behind a session's back),
//! CONDSTORE and QRESYNC resynchronisation, and bad input answered while
//! the server keeps serving.

mod common;
#[path = "imap/served.rs"]
mod served;

use served::{Raw, Served, need_python, python};

fn message(n: usize) -> Vec<u8> {
    format!("From: a@b.example\r\nSubject: m{n}\r\n\r\nbody {n}\r\n").into_bytes()
}

fn login(s: &Served, user: &str) -> Raw {
    login_at(s.imap, user)
}

fn login_at(addr: std::net::SocketAddr, user: &str) -> Raw {
    let (mut c, greeting) = Raw::connect(addr);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let r = c.cmd("l", &format!("LOGIN {user} {user}-pw"));
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    c
}

fn has(lines: &[String], what: &str) -> bool {
    lines.iter().any(|l| l.contains(what))
}

const IDLE: &str = r#"
import json, sys
from imapclient import IMAPClient
c = IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False)
c.login("sue", "sue-pw")
c.select_folder("INBOX")
c.idle()
print("idling", flush=True)
sys.stdout.flush()
got = []
for _ in range(30):
    got += c.idle_check(timeout=1)
    if any(r[1] == b"EXISTS" for r in got):
        break
c.idle_done()
c.logout()
print(json.dumps({"got": [[str(x) for x in r] for r in got]}))
"#;

#[test]
fn idle_reports_a_message_delivered_over_lmtp() {
    if !need_python("imapclient") {
        return;
    }
    use std::io::BufRead;
    let s = Served::start("");
    s.deliver("sue", &message(1));
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(IDLE)
        .arg(s.imap.port().to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "idling");
    s.deliver("sue", &message(2));
    line.clear();
    out.read_line(&mut line).unwrap();
    assert!(child.wait().unwrap().success());
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let got = v["got"].to_string();
    assert!(got.contains("[\"2\",\"b'EXISTS'\"]"), "{got}");
}

#[test]
fn two_sessions_see_each_others_flags_and_expunges_without_renumbering() {
    let s = Served::start("");
    for n in 1..=3 {
        s.deliver("sue", &message(n));
    }
    let mut a = login(&s, "sue");
    let mut b = login(&s, "sue");
    assert!(has(&a.cmd("a1", "SELECT INBOX"), "* 3 EXISTS"));
    assert!(has(&b.cmd("b1", "SELECT INBOX"), "* 3 EXISTS"));

    // A flags message 2; B hears it on its next command.
    a.cmd("a2", "STORE 2 +FLAGS (\\Flagged)");
    let r = b.cmd("b2", "NOOP");
    assert!(has(&r, "* 2 FETCH (UID 2 FLAGS (\\Flagged))"), "{r:?}");

    // A deletes and expunges message 1.
    a.cmd("a3", "STORE 1 +FLAGS.SILENT (\\Deleted)");
    let r = a.cmd("a4", "EXPUNGE");
    assert!(has(&r, "* 1 EXPUNGE"), "{r:?}");

    // B's FETCH gets no EXPUNGE and keeps its numbers: 3 is still UID 3.
    let r = b.cmd("b3", "FETCH 3 (UID)");
    assert!(!has(&r, "EXPUNGE"), "{r:?}");
    assert!(has(&r, "* 3 FETCH (UID 3)"), "{r:?}");
    // STORE neither.
    let r = b.cmd("b4", "STORE 3 +FLAGS (\\Seen)");
    assert!(!has(&r, "EXPUNGE"), "{r:?}");
    assert!(has(&r, "* 3 FETCH (FLAGS (\\Seen))"), "{r:?}");
    // NOOP may: now B learns, and its numbers shift.
    let r = b.cmd("b5", "NOOP");
    assert!(has(&r, "* 1 EXPUNGE"), "{r:?}");
    let r = b.cmd("b6", "FETCH 2 (UID FLAGS)");
    assert!(has(&r, "* 2 FETCH (UID 3 FLAGS (\\Seen))"), "{r:?}");

    // A delivery reaches both as EXISTS.
    s.deliver("sue", &message(4));
    assert!(has(&a.cmd("a5", "NOOP"), "* 3 EXISTS"));
    assert!(has(&b.cmd("b7", "NOOP"), "* 3 EXISTS"));
    // And A saw B's \Seen.
    let r = a.cmd("a6", "FETCH 1:* (FLAGS)");
    assert!(has(&r, "* 2 FETCH (FLAGS (\\Seen))"), "{r:?}");
}

#[test]
fn condstore_and_qresync_resynchronise_a_client() {
    let s = Served::start("");
    for n in 1..=4 {
        s.deliver("sue", &message(n));
    }
    let mut a = login(&s, "sue");
    let r = a.cmd("a1", "ENABLE QRESYNC");
    assert!(has(&r, "* ENABLED QRESYNC"), "{r:?}");
    let r = a.cmd("a2", "SELECT INBOX (CONDSTORE)");
    let hms = r
        .iter()
        .find_map(|l| l.split("HIGHESTMODSEQ ").nth(1))
        .and_then(|x| x.split(']').next())
        .map(|x| x.parse::<u64>().unwrap())
        .expect("HIGHESTMODSEQ in SELECT");
    let uv = r
        .iter()
        .find_map(|l| l.split("UIDVALIDITY ").nth(1))
        .and_then(|x| x.split(']').next())
        .unwrap()
        .to_string();
    // UNCHANGEDSINCE: a change since makes the STORE fail for that one.
    a.cmd("a3", "STORE 1 +FLAGS (\\Answered)");
    let r = a.cmd(
        "a4",
        &format!("STORE 1,2 (UNCHANGEDSINCE {hms}) +FLAGS (\\Flagged)"),
    );
    assert!(has(&r, "[MODIFIED 1]"), "{r:?}");
    assert!(has(&r, "* 2 FETCH (FLAGS (\\Flagged) MODSEQ"), "{r:?}");
    a.cmd("a5", "STORE 3 +FLAGS.SILENT (\\Deleted)");
    a.cmd("a6", "EXPUNGE");
    a.cmd("a7", "LOGOUT");

    // A client back with what it knew: VANISHED (EARLIER) and the changes.
    let mut b = login(&s, "sue");
    b.cmd("b1", "ENABLE QRESYNC");
    let r = b.cmd("b2", &format!("SELECT INBOX (QRESYNC ({uv} {hms} 1:4))"));
    assert!(has(&r, "* VANISHED (EARLIER) 3"), "{r:?}");
    assert!(has(&r, "FETCH (UID 1 FLAGS (\\Answered) MODSEQ"), "{r:?}");
    assert!(has(&r, "FETCH (UID 2 FLAGS (\\Flagged) MODSEQ"), "{r:?}");
    assert!(!has(&r, "UID 4 FLAGS"), "unchanged: {r:?}");
    // CHANGEDSINCE with VANISHED.
    let r = b.cmd(
        "b3",
        &format!("UID FETCH 1:* (FLAGS) (CHANGEDSINCE {hms} VANISHED)"),
    );
    assert!(has(&r, "* VANISHED (EARLIER) 3"), "{r:?}");
    assert!(!has(&r, "UID 4 "), "{r:?}");
    // Another session's expunge arrives as VANISHED, not EXPUNGE.
    let mut c = login(&s, "sue");
    c.cmd("c1", "SELECT INBOX");
    c.cmd("c2", "UID STORE 4 +FLAGS.SILENT (\\Deleted)");
    c.cmd("c3", "UID EXPUNGE 4");
    let r = b.cmd("b4", "NOOP");
    assert!(has(&r, "* VANISHED 4"), "{r:?}");
    assert!(!has(&r, "EXPUNGE"), "{r:?}");
}

#[test]
fn bad_input_gets_its_reply_and_the_server_serves_on() {
    let s = Served::start("");
    s.deliver("sue", &message(1));
    let mut c = login(&s, "sue");
    // A literal no server takes.
    c.send(b"t1 APPEND INBOX {4294967295}\r\n");
    let r = c.until("t1");
    assert!(has(&r, "t1 BAD [TOOBIG]"), "{r:?}");
    // Unbalanced parentheses.
    let r = c.cmd("t2", "FETCH 1 (FLAGS UID");
    assert!(has(&r, "t2 BAD"), "{r:?}");
    let r = c.cmd("t3", "SELECT INBOX");
    assert!(r.last().unwrap().starts_with("t3 OK"), "{r:?}");
    // UIDs that never existed: nothing, and OK.
    let r = c.cmd("t4", "UID FETCH 1000:2000 (FLAGS)");
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("t4 OK"), "{r:?}");
    // A message number that does not exist is BAD.
    let r = c.cmd("t5", "FETCH 7 (FLAGS)");
    assert!(r.last().unwrap().starts_with("t5 BAD"), "{r:?}");
    // Invalid modified UTF-7.
    let r = c.cmd("t6", "CREATE &Jjo");
    assert!(has(&r, "t6 NO [CANNOT]"), "{r:?}");
    let r = c.cmd("t7", "CREATE &AGEAYgBj-");
    assert!(has(&r, "t7 NO [CANNOT]"), "{r:?}");
    // Deep nesting within the line limit.
    let mut deep = b"t8 FETCH 1 ".to_vec();
    deep.extend(std::iter::repeat_n(b'(', 10_000));
    deep.extend_from_slice(b"\r\n");
    c.send(&deep);
    let r = c.until("t8");
    assert!(has(&r, "t8 BAD"), "{r:?}");
    // `1:*` on an empty folder.
    c.cmd("t9", "CREATE Empty");
    c.cmd("t10", "SELECT Empty");
    let r = c.cmd("t11", "FETCH 1:* (FLAGS)");
    assert!(r.last().unwrap().starts_with("t11 OK"), "{r:?}");
    // A literal announced and never sent: the client gives up; others are
    // served meanwhile.
    c.send(b"t12 LOGIN {5}\r\n");
    let r = c.line();
    assert!(r.starts_with("+ "), "{r}");
    let mut other = login(&s, "sue");
    let r = other.cmd("o1", "STATUS INBOX (MESSAGES)");
    assert!(has(&r, "* STATUS INBOX (MESSAGES 1)"), "{r:?}");
    // 100,000 nested parentheses: over the line limit, refused and closed.
    let mut deep = b"o2 FETCH 1 ".to_vec();
    deep.extend(std::iter::repeat_n(b'(', 100_000));
    deep.extend_from_slice(b"\r\n");
    other.send(&deep);
    let r = other.until("o2");
    assert!(has(&r, "o2 BAD [TOOBIG]"), "{r:?}");
    // The server serves on.
    let mut third = login(&s, "sue");
    let r = third.cmd("p1", "NOOP");
    assert!(r.last().unwrap().starts_with("p1 OK"), "{r:?}");
}

const AUTH: &str = r#"
import imaplib, json, sys
r = {}
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
try:
    M.login("sue", "wrong")
except Exception as e:
    r["bad"] = str(e)
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
r["cram"] = M.login_cram_md5("sue", "sue-pw")[0]
M.logout()
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
import base64
r["plain"] = M.authenticate("PLAIN", lambda _: b"\0sue\0sue-pw")[0]
M.logout()
print(json.dumps(r))
"#;

#[test]
fn sasl_logins_and_a_failure_with_its_response_code() {
    if !need_python("imaplib") {
        return;
    }
    let s = Served::start("[imap]\nauth_failure_delay_ms = 1\n");
    let v = python(AUTH, &[s.imap.port().to_string()]);
    assert!(
        v["bad"].as_str().unwrap().contains("AUTHENTICATIONFAILED"),
        "{v}"
    );
    assert_eq!(v["cram"], "OK", "{v}");
    assert_eq!(v["plain"], "OK", "{v}");
}

/// On a local file system IDLE waits on inotify for its folder: with both
/// polls set to an hour, a delivery still reaches the idling session (the
/// read below waits for it, bounded by the connection's 30 s timeout).
/// Fails when IDLE only polls.
#[test]
fn idle_is_woken_by_a_delivery_without_polling() {
    let s = Served::start("[imap]\nidle_poll_ms = 3600000\nidle_watch_poll_ms = 3600000\n");
    let mut c = login(&s, "sue");
    c.cmd("a", "SELECT INBOX");
    for round in 1..=2 {
        c.send(format!("b{round} IDLE\r\n").as_bytes());
        assert!(c.line().starts_with("+ "));
        s.deliver("sue", &message(round));
        let l = c.line();
        assert!(
            l.starts_with(&format!("* {round} EXISTS")),
            "round {round}: {l:?}"
        );
        c.send(b"DONE\r\n");
        loop {
            let l = c.line();
            assert!(!l.is_empty(), "connection closed");
            if l.starts_with(&format!("b{round} ")) {
                assert!(l.contains("OK"), "{l}");
                break;
            }
        }
    }
}

#[test]
fn autologout_ends_an_idle_that_never_says_done() {
    let s = Served::start("[imap]\nidle_timeout_secs = 2\n");
    let mut c = login(&s, "sue");
    c.cmd("a", "SELECT INBOX");
    c.send(b"b IDLE\r\n");
    assert!(c.line().starts_with("+ "));
    // No DONE: the server says goodbye and closes (not a timing check:
    // the read waits until it does).
    let mut rest = Vec::new();
    loop {
        let l = c.line();
        if l.is_empty() {
            break;
        }
        rest.push(l);
    }
    assert!(
        rest.iter()
            .any(|l| l.starts_with("* BYE") && l.contains("autologout")),
        "{rest:?}"
    );
    // Others are served.
    let mut d = login(&s, "sue");
    assert!(d.cmd("c", "NOOP").last().unwrap().starts_with("c OK"));
}

const STARTTLS_PIPELINED: &str = r#"
import json, socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
greeting = f.readline()
# LOGIN pipelined in the clear after STARTTLS: it must be discarded.
s.sendall(b"a STARTTLS\r\nb LOGIN sue sue-pw\r\n")
ok = f.readline()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
g = t.makefile("rb")
t.sendall(b"c CAPABILITY\r\n")
lines = []
while True:
    l = g.readline().decode()
    lines.append(l)
    if l.startswith("c ") or not l:
        break
print(json.dumps({"ok": ok.decode(), "after": lines}))
"#;

#[test]
fn bytes_pipelined_after_starttls_are_discarded() {
    if !need_python("ssl") {
        return;
    }
    let s = Served::start("");
    let v = python(STARTTLS_PIPELINED, &[s.imap.port().to_string()]);
    assert!(v["ok"].as_str().unwrap().starts_with("a OK"), "{v}");
    let after = v["after"].to_string();
    assert!(
        !after.contains("b OK") && !after.contains("b NO"),
        "{after}"
    );
    // Still not logged in: the capabilities offer AUTH=, not IMAP's
    // post-login set.
    assert!(
        after.contains("AUTH=PLAIN") && after.contains("c OK"),
        "{after}"
    );
}

const COMPRESS: &str = r#"
import json, socket, sys, zlib
def session(port):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"a LOGIN sue sue-pw\r\n")
    while not f.readline().startswith(b"a "):
        pass
    s.sendall(b"b COMPRESS DEFLATE\r\n")
    ok = f.readline().decode()
    return s, ok
port = int(sys.argv[1])
r = {}
s, r["ok"] = session(port)
c = zlib.compressobj(wbits=-15); d = zlib.decompressobj(wbits=-15)
s.sendall(c.compress(b"c SELECT INBOX\r\nd FETCH 1 (BODY.PEEK[])\r\ne LOGOUT\r\n") + c.flush(zlib.Z_SYNC_FLUSH))
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += d.decompress(chunk)
r["plain"] = got.decode("latin-1")
# A bomb: a thousandfold and more.
s, _ = session(port)
c = zlib.compressobj(9, wbits=-15)
bomb = c.compress(b"x" * (200 * 1024 * 1024)) + c.flush(zlib.Z_SYNC_FLUSH)
r["bomb_size"] = len(bomb)
try:
    s.sendall(bomb)
except OSError:
    pass
d = zlib.decompressobj(wbits=-15)
got = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += d.decompress(chunk)
except OSError:
    pass
r["bomb"] = got.decode("latin-1")
print(json.dumps(r))
"#;

#[test]
fn compress_deflate_serves_and_a_bomb_is_cut_off() {
    if !need_python("zlib") {
        return;
    }
    let s = Served::start("");
    s.deliver("sue", &message(1));
    let v = python(COMPRESS, &[s.imap.port().to_string()]);
    assert!(v["ok"].as_str().unwrap().starts_with("b OK"), "{v}");
    let plain = v["plain"].as_str().unwrap();
    assert!(plain.contains("c OK [READ-WRITE]"), "{plain}");
    assert!(plain.contains("Subject: m1\r\n\r\nbody 1\r\n"), "{plain}");
    assert!(plain.contains("e OK LOGOUT"), "{plain}");
    // The bomb (200 MB in a few hundred KB) gets a BAD or BYE and a close,
    // and the server serves on.
    let bomb = v["bomb"].as_str().unwrap();
    assert!(bomb.contains("BAD") || bomb.contains("BYE"), "{bomb}");
    let mut c = login(&s, "sue");
    assert!(c.cmd("z", "NOOP").last().unwrap().starts_with("z OK"));
}

#[test]
fn sessions_on_two_serve_processes_see_each_other() {
    let s = Served::start("");
    for n in 1..=2 {
        s.deliver("sue", &message(n));
    }
    let (_other, imap2) = s.another();
    let mut a = login(&s, "sue");
    let mut b = login_at(imap2, "sue");
    a.cmd("a1", "SELECT INBOX");
    b.cmd("b1", "SELECT INBOX");
    a.cmd("a2", "STORE 1 +FLAGS.SILENT (\\Deleted)");
    a.cmd("a3", "EXPUNGE");
    let r = b.cmd("b2", "NOOP");
    assert!(has(&r, "* 1 EXPUNGE"), "{r:?}");
    // B idles on the other process; a delivery through the first reaches it.
    b.send(b"b3 IDLE\r\n");
    assert!(b.line().starts_with("+ "));
    s.deliver("sue", &message(3));
    let l = b.line();
    assert_eq!(l, "* 2 EXISTS\r\n");
    b.send(b"DONE\r\n");
    let r = b.until("b3");
    assert!(r.last().unwrap().starts_with("b3 OK"), "{r:?}");
}
