//! The trace headers of final delivery (RFC 5321 4.4) through the real
//! binary: a message sent over LMTP (Python's smtplib) to two accounts and
//! a forwarding with an external target. Each account's copy (fetched with
//! poplib) is `Return-Path:` and `Received:` on top of the bytes sent, the
//! same bytes for both (one file); the precomputed IMAP answers count them;
//! the relayed copy (at an aiosmtpd sink) has the `Received:` line only.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ServeProcess, Sink};

const MSG: &[u8] = b"From: me@example.org\r\nSubject: traced\r\n\r\nhello\r\n";

fn lmtp_send(addr: std::net::SocketAddr, from: &str, to: &[&str], msg: &[u8]) {
    common::require("python3", &["--version"]);
    let script = "import smtplib, sys\n\
        c = smtplib.LMTP(sys.argv[1], int(sys.argv[2]), local_hostname='client.test')\n\
        r = c.sendmail(sys.argv[3], sys.argv[4].split(','), sys.stdin.buffer.read())\n\
        assert not r, r\n\
        c.quit()\n";
    use std::io::Write;
    let mut c = Command::new("python3")
        .args(["-c", script, "127.0.0.1", &addr.port().to_string(), from])
        .arg(to.join(","))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(msg).unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn pop3_all(addr: std::net::SocketAddr, user: &str) -> Vec<Vec<u8>> {
    let script = "import poplib, sys, json\n\
        c = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=30)\n\
        c.user(sys.argv[3]); c.pass_(sys.argv[4])\n\
        n = len(c.list()[1])\n\
        print(json.dumps([(b'\\r\\n'.join(c.retr(i)[1]) + b'\\r\\n').hex() for i in range(1, n + 1)]))\n\
        c.quit()\n";
    let o = Command::new("python3")
        .args(["-c", script, "127.0.0.1", &addr.port().to_string(), user])
        .arg(format!("{user}-pw"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<String> = serde_json::from_slice(&o.stdout).unwrap();
    v.iter()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

fn message_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().map_while(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            message_files(&p, out);
        } else if p
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.to_ascii_lowercase().ends_with(".msg"))
        {
            out.push(p);
        }
    }
}

#[test]
fn final_delivery_adds_return_path_and_received_relaying_only_received() {
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    std::fs::create_dir(&sink_dir).unwrap();
    let sink = Sink::start(&sink_dir);
    let store = dir.path().join("store");
    let conf = dir.path().join("popstore.toml");
    std::fs::write(
        &conf,
        format!(
            "[listen]\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
             imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\n\
             web = \"off\"\n[lmtp]\nhostname = \"mx.popstore.test\"\n\
             [relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n",
            sink.port
        ),
    )
    .unwrap();
    common::ok(&store, &["init"], b"");
    for u in ["alice", "bob"] {
        common::ok(
            &store,
            &["user", "add", u, "--password-stdin"],
            format!("{u}-pw\n").as_bytes(),
        );
    }
    common::ok(&store, &["forward", "add", "sales", "carol@far.test"], b"");
    let (_server, lmtp, pop3) = ServeProcess::start_lmtp_pop3(&store, &conf);
    lmtp_send(
        lmtp,
        "me@example.org",
        &["alice@localhost", "bob@localhost", "sales@localhost"],
        MSG,
    );

    let alice = pop3_all(pop3, "alice");
    let bob = pop3_all(pop3, "bob");
    assert_eq!((alice.len(), bob.len()), (1, 1));
    assert_eq!(
        alice[0], bob[0],
        "one copy, the same bytes for every recipient"
    );
    assert_eq!(common::trace::strip(&alice[0], "me@example.org"), MSG);
    let text = String::from_utf8_lossy(&alice[0]);
    assert!(
        text.contains(
            "Received: from client.test ([127.0.0.1])\r\n\tby mx.popstore.test (popstore) with LMTP id "
        ),
        "{text}"
    );

    // The precomputed IMAP answers are those of the stored bytes.
    let mut files = Vec::new();
    message_files(&store, &mut files);
    assert_eq!(files.len(), 1, "one message file");
    let o = Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("inspect")
        .arg(&files[0])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let imap = &v["value"]["header"]["imap"];
    let (_, pre) = popstore::mime::precompute(&alice[0]);
    assert_eq!(imap["rfc822_size"], alice[0].len(), "{imap}");
    assert_eq!(imap["rfc822_size"], pre.size, "{imap}");
    let head = alice[0].windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(imap["parts"][0]["header_length"], head, "{imap}");

    // The forwarded copy: this hop's Received line, no Return-Path.
    assert_eq!(sink.count(), 1);
    let (relayed, env) = sink.message(1);
    assert_eq!(env["from"], "me@example.org");
    assert_eq!(env["to"], serde_json::json!(["carol@far.test"]));
    let received_len = alice[0].len() - MSG.len() - "Return-Path: <me@example.org>\r\n".len();
    let received = &alice[0][alice[0].len() - MSG.len() - received_len..alice[0].len() - MSG.len()];
    assert_eq!(&relayed[..received_len], received, "the same Received line");
    assert_eq!(&relayed[received_len..], MSG);
}

#[test]
fn deliver_writes_the_trace_headers_and_the_null_sender() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    common::ok(&store, &["init"], b"");
    common::ok(&store, &["user", "add", "ann"], b"");
    common::ok(&store, &["deliver", "--to", "ann"], MSG);
    let mut files = Vec::new();
    message_files(&store, &mut files);
    let o = Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("inspect")
        .arg(&files[0])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let body = v["value"]["body"].as_str().unwrap().as_bytes();
    assert_eq!(common::trace::strip(body, ""), MSG);
    assert!(
        String::from_utf8_lossy(body).contains(" (popstore) via deliver id "),
        "{v}"
    );
}
