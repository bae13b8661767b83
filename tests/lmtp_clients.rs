//! The LMTP server over real sockets (TCP and Unix), driven by real
//! clients: Python's smtplib.LMTP and swaks. The store behind it is an
//! in-memory `Delivery`; the delivered bytes are compared with the sent ones.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use common::{MemoryDelivery, TestServer, lmtp_config, require, write_file};
use popstore::config::Listen;

/// A message with a leading-dot line (dot-stuffing) and UTF-8 in the body.
const MESSAGE: &[u8] = b"From: Sender <s@example.org>\r\nTo: a@example.org\r\nSubject: test\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHello.\r\n.leading dot\r\n..two dots\r\n\xc3\xa9t\xc3\xa9\r\n.\tdot and tab\r\nlast line\r\n";

fn smtplib(target: &str, from: &str, to: &str, message: &Path) -> serde_json::Value {
    require("python3", &["-c", "import smtplib, json"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/lmtp_smtplib.py");
    let out = Command::new("python3")
        .arg(script)
        .args([target, from, to])
        .arg(message)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "smtplib client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the client")
}

fn codes(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect()
}

#[test]
fn smtplib_lmtp_gets_a_reply_per_recipient_and_the_bytes_arrive_intact() {
    let dir = tempfile::tempdir().unwrap();
    let msg = write_file(dir.path(), "msg.eml", MESSAGE);
    let store = MemoryDelivery::new(&["alice", "bob"]);
    let server = TestServer::start(lmtp_config(), store.clone());

    let r = smtplib(
        &server.lmtp_tcp(),
        "s@example.org",
        "alice@example.org,nobody@example.org,full@example.org,dis@example.org,Bob@example.org",
        &msg,
    );
    assert_eq!(r["lhlo"], 250);
    let features: Vec<&str> = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in ["pipelining", "enhancedstatuscodes", "8bitmime", "size"] {
        assert!(features.contains(&f), "{f} not advertised: {features:?}");
    }
    assert_eq!(r["mail"][0], 250);
    assert_eq!(codes(&r["rcpt"]), [250, 550, 552, 550, 250]);
    assert!(r["rcpt"][1][1].as_str().unwrap().starts_with("5.1.1"));
    assert!(r["rcpt"][2][1].as_str().unwrap().starts_with("5.2.2"));
    assert!(r["rcpt"][3][1].as_str().unwrap().starts_with("5.2.1"));
    assert_eq!(codes(&r["data"]), [250, 250]);
    assert!(
        r["data"][0][1]
            .as_str()
            .unwrap()
            .contains("<alice@example.org>")
    );
    assert!(
        r["data"][1][1]
            .as_str()
            .unwrap()
            .contains("<Bob@example.org>")
    );
    assert_eq!(r["quit"], 221);

    let boxes = store.mailboxes();
    assert_eq!(boxes.len(), 2);
    assert_eq!(boxes["alice@example.org"], vec![MESSAGE.to_vec()]);
    assert_eq!(boxes["Bob@example.org"], vec![MESSAGE.to_vec()]);
    let d = store.delivered.lock().unwrap();
    assert_eq!(d[0].0.mail_from, "s@example.org");
    assert!(d[0].0.body_8bit);
    assert_eq!(d[0].0.client, "client.test ([127.0.0.1])");
    drop(d);
    server.stop().unwrap();
}

#[test]
fn smtplib_lmtp_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let msg = write_file(dir.path(), "msg.eml", MESSAGE);
    let socket = dir.path().join("lmtp.sock");
    let mut config = lmtp_config();
    config.listen.lmtp = Listen::Unix(socket.clone());
    let store = MemoryDelivery::new(&["alice"]);
    let server = TestServer::start(config, store.clone());

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o666, "socket_mode applies");
    let r = smtplib(socket.to_str().unwrap(), "", "alice@x.test", &msg);
    assert_eq!(codes(&r["rcpt"]), [250]);
    assert_eq!(codes(&r["data"]), [250]);
    assert_eq!(store.mailboxes()["alice@x.test"], vec![MESSAGE.to_vec()]);
    assert_eq!(store.delivered.lock().unwrap()[0].0.mail_from, "");
    server.stop().unwrap();
    assert!(!socket.exists(), "the socket file is removed at shutdown");
}

/// swaks ends the data with CRLF.CRLF after the file's content, so the
/// file holds the message without its last CRLF.
fn swaks_message(dir: &Path) -> String {
    let body = MESSAGE.strip_suffix(b"\r\n").unwrap();
    format!("@{}", write_file(dir, "swaks.eml", body).display())
}

fn swaks(args: &[&str]) -> (i32, String) {
    require("swaks", &["--version"]);
    let out = Command::new("swaks")
        .args([
            "--protocol",
            "LMTP",
            "--helo",
            "swaks.test",
            "--timeout",
            "30",
        ])
        .args(args)
        .output()
        .expect("run swaks");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn swaks_lmtp_with_pipelining() {
    let dir = tempfile::tempdir().unwrap();
    let data = swaks_message(dir.path());
    let store = MemoryDelivery::new(&["alice", "bob"]);
    let server = TestServer::start(lmtp_config(), store.clone());
    let addr = server.lmtp_tcp();
    let (host, port) = addr.rsplit_once(':').unwrap();

    let (code, out) = swaks(&[
        "--server",
        host,
        "--port",
        port,
        "--pipeline",
        "--from",
        "s@example.org",
        "--to",
        "alice@example.org,bob@example.org",
        "--data",
        &data,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("250 2.1.5 <alice@example.org> delivered"),
        "{out}"
    );
    assert!(
        out.contains("250 2.1.5 <bob@example.org> delivered"),
        "{out}"
    );
    let boxes = store.mailboxes();
    assert_eq!(boxes["alice@example.org"], vec![MESSAGE.to_vec()], "{out}");
    assert_eq!(boxes["bob@example.org"], vec![MESSAGE.to_vec()]);

    // An unknown recipient is refused at RCPT TO and nothing is delivered.
    let (code, out) = swaks(&[
        "--server",
        host,
        "--port",
        port,
        "--to",
        "nobody@example.org",
        "--data",
        &data,
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("550 5.1.1"), "{out}");
    assert_eq!(store.delivered.lock().unwrap().len(), 2);
    server.stop().unwrap();
}

#[test]
fn swaks_lmtp_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let data = swaks_message(dir.path());
    let socket = dir.path().join("lmtp.sock");
    let mut config = lmtp_config();
    config.listen.lmtp = Listen::Unix(socket.clone());
    let store = MemoryDelivery::new(&["alice"]);
    let server = TestServer::start(config, store.clone());

    let (code, out) = swaks(&[
        "--socket",
        socket.to_str().unwrap(),
        "--to",
        "alice@example.org",
        "--data",
        &data,
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        store.mailboxes()["alice@example.org"],
        vec![MESSAGE.to_vec()]
    );
    server.stop().unwrap();
}

/// A raw client, to watch shutdown and timeouts line by line.
struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    fn connect(addr: &str) -> Raw {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        Raw {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }
    fn line(&mut self) -> String {
        let mut l = String::new();
        self.reader.read_line(&mut l).unwrap();
        l
    }
    fn send(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
    }
    /// Reads lines until a final one (`NNN ` rather than `NNN-`).
    fn reply(&mut self) -> String {
        loop {
            let l = self.line();
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return l;
            }
        }
    }
}

#[test]
fn shutdown_lets_a_transaction_finish_and_closes_idle_sessions() {
    let store = MemoryDelivery::new(&["alice"]);
    let mut server = TestServer::start(lmtp_config(), store.clone());
    let addr = server.lmtp_tcp();

    let mut idle = Raw::connect(&addr);
    assert!(idle.line().starts_with("220 "));
    let mut busy = Raw::connect(&addr);
    assert!(busy.line().starts_with("220 "));
    busy.send("LHLO t\r\nMAIL FROM:<>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
    assert!(busy.reply().starts_with("250"));
    assert!(busy.reply().starts_with("250 2.1.0"));
    assert!(busy.reply().starts_with("250 2.1.5"));
    assert!(busy.reply().starts_with("354"));
    busy.send("Subject: half\r\n");

    server.begin_shutdown();
    assert_eq!(idle.line(), "421 4.3.2 lmtp.test Service shutting down\r\n");
    assert_eq!(idle.line(), "", "then the connection closes");
    // New connections are refused once the listener has stopped.
    let mut refused = false;
    for _ in 0..200 {
        match TcpStream::connect(&addr) {
            Err(_) => {
                refused = true;
                break;
            }
            Ok(_) => std::thread::yield_now(),
        }
    }
    assert!(refused, "the listener still accepts after shutdown");

    busy.send("\r\nbody\r\n.\r\n");
    assert_eq!(busy.line(), "250 2.1.5 <alice@x> delivered\r\n");
    assert_eq!(busy.line(), "421 4.3.2 lmtp.test Service shutting down\r\n");
    server.stop().unwrap();
    assert_eq!(
        store.mailboxes()["alice@x"],
        vec![b"Subject: half\r\n\r\nbody\r\n".to_vec()]
    );
}

#[test]
fn an_idle_client_is_timed_out() {
    let mut config = lmtp_config();
    config.lmtp.command_timeout = 1;
    let server = TestServer::start(config, MemoryDelivery::new(&[]));
    let mut c = Raw::connect(&server.lmtp_tcp());
    assert!(c.line().starts_with("220 "));
    assert_eq!(
        c.line(),
        "421 4.4.2 lmtp.test Timeout, closing connection\r\n"
    );
    server.stop().unwrap();
}

/// With every slot taken, a new connection takes the slot of the session
/// that waits on a client which never completed a command; the busy MTA
/// session goes on.
#[test]
fn a_full_server_closes_a_waiting_session_to_make_room() {
    let mut config = lmtp_config();
    config.lmtp.max_connections = 2;
    config.lmtp.max_connections_per_client = 0;
    let server = TestServer::start(config, MemoryDelivery::new(&["alice"]));
    let addr = server.lmtp_tcp();
    let mut silent = Raw::connect(&addr);
    assert!(silent.line().starts_with("220 "));
    let mut mta = Raw::connect(&addr);
    assert!(mta.line().starts_with("220 "));
    mta.send("LHLO t\r\n");
    assert!(mta.reply().starts_with("250"));
    let mut newcomer = Raw::connect(&addr);
    assert!(newcomer.line().starts_with("220 "));
    assert_eq!(
        silent.line(),
        "421 4.3.2 lmtp.test Server busy, closing a waiting connection: try again later\r\n"
    );
    assert_eq!(silent.line(), "", "then the connection closes");
    mta.send("MAIL FROM:<>\r\nRCPT TO:<alice@x>\r\nQUIT\r\n");
    assert!(mta.reply().starts_with("250 2.1.0"));
    assert!(mta.reply().starts_with("250 2.1.5"));
    assert!(mta.reply().starts_with("221 "));
    newcomer.send("QUIT\r\n");
    assert!(newcomer.reply().starts_with("221 "));
    server.stop().unwrap();
}

#[test]
fn connections_beyond_an_address_share_get_421_and_a_freed_slot_is_reused() {
    let mut config = lmtp_config();
    config.lmtp.max_connections_per_client = 2;
    let server = TestServer::start(config, MemoryDelivery::new(&["alice"]));
    let addr = server.lmtp_tcp();
    let mut a = Raw::connect(&addr);
    assert!(a.line().starts_with("220 "));
    let mut b = Raw::connect(&addr);
    assert!(b.line().starts_with("220 "));
    let mut c = Raw::connect(&addr);
    assert_eq!(
        c.line(),
        "421 4.7.0 lmtp.test Too many connections from your address, try again later\r\n"
    );
    assert_eq!(c.line(), "", "then the connection closes");
    a.send("QUIT\r\n");
    assert!(a.reply().starts_with("221 "));
    assert_eq!(a.line(), "");
    // The slot is free once the session's thread has ended: a later
    // connection is served (retried while the first one winds down).
    let mut served = false;
    for _ in 0..500 {
        let mut d = Raw::connect(&addr);
        if d.line().starts_with("220 ") {
            served = true;
            break;
        }
        std::thread::yield_now();
    }
    assert!(served, "a freed slot was not reused");
    b.send("LHLO t\r\nMAIL FROM:<>\r\nRCPT TO:<alice@x>\r\n");
    assert!(b.reply().starts_with("250"));
    assert!(b.reply().starts_with("250 2.1.0"));
    assert!(b.reply().starts_with("250 2.1.5"));
    b.send("QUIT\r\n");
    assert!(b.reply().starts_with("221 "));
    server.stop().unwrap();
}

/// Many pipelined transactions on parallel connections (the load generator
/// of bench/): every copy arrives, none twice.
#[test]
fn parallel_pipelined_load_delivers_every_copy() {
    require("python3", &["-c", "import multiprocessing, json"]);
    let store = MemoryDelivery::new(&["alice", "bob"]);
    let server = TestServer::start(lmtp_config(), store.clone());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/lmtp_load.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(server.lmtp_tcp())
        .args(["--messages", "300", "--size", "4096", "--connections", "4"])
        .args([
            "--per-connection",
            "40",
            "--rcpt",
            "alice@x",
            "--rcpt",
            "bob@x",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["failures"], 0);
    let boxes = store.mailboxes();
    assert_eq!(boxes["alice@x"].len(), 300);
    assert_eq!(boxes["bob@x"].len(), 300);
    let mut subjects: Vec<&[u8]> = boxes["alice@x"]
        .iter()
        .map(|m| m.split(|b| *b == b'\n').nth(2).unwrap())
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 300, "each message once");
    assert!(boxes["alice@x"].iter().all(|m| m.len() == 4096));
    server.stop().unwrap();
}
