//! The harness of the hostile-client tests: a real store, `popstore serve`
//! (LMTP and POP3 on loopback ports the system picks), a raw LMTP client
//! (hostile input needs exact bytes), and Python's poplib to read back.
#![allow(dead_code)] // each test file uses a part

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::common::{ServeProcess, ok, popstore};

/// A store with accounts `alice` and `bob` (passwords `alice-pw`,
/// `bob-pw`) and `popstore serve` on it.
pub struct Node {
    /// First, so the server is killed before its store is removed.
    server: ServeProcess,
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    pub lmtp: SocketAddr,
    pub pop3: SocketAddr,
}

/// A new store with `alice` and `bob`.
pub fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    for user in ["alice", "bob"] {
        ok(
            &store,
            &["user", "add", user, "--password-stdin"],
            format!("{user}-pw\n").as_bytes(),
        );
    }
    (dir, store)
}

impl Node {
    /// A new store served with `extra` appended to the configuration.
    pub fn start(extra: &str) -> Node {
        let (dir, store) = store();
        Node::serve(dir, store, extra)
    }

    /// Serves `store` (LMTP and POP3 only) with `extra` configuration.
    pub fn serve(dir: tempfile::TempDir, store: PathBuf, extra: &str) -> Node {
        let config = dir.path().join("popstore.toml");
        std::fs::write(
            &config,
            format!(
                "[listen]\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
                 imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
                 [lmtp]\nhostname = \"lmtp.test\"\n{extra}"
            ),
        )
        .unwrap();
        let (server, lmtp, pop3) = ServeProcess::start_lmtp_pop3(&store, &config);
        Node {
            server,
            dir,
            store,
            lmtp,
            pop3,
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// The number of messages `user` holds (`user show --json`).
    pub fn messages(&self, user: &str) -> i64 {
        let json = ok(&self.store, &["user", "show", user, "--json"], b"");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["messages"].as_i64().unwrap()
    }

    /// Every message of `user`'s maildrop, read with Python's poplib
    /// (which undoes the dot-stuffing), lines joined with CRLF.
    pub fn retrieve(&self, user: &str) -> Vec<Vec<u8>> {
        let script = r#"
import poplib, sys, json
c = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=30)
c.user(sys.argv[3]); c.pass_(sys.argv[4])
n = len(c.list()[1])
out = [b"\r\n".join(c.retr(i)[1]).hex() for i in range(1, n + 1)]
c.quit()
print(json.dumps(out))
"#;
        let o = Command::new("python3")
            .args(["-c", script])
            .arg(self.pop3.ip().to_string())
            .arg(self.pop3.port().to_string())
            .args([user, &format!("{user}-pw")])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Vec<String> = serde_json::from_slice(&o.stdout).unwrap();
        v.iter().map(|h| hex(h)).collect()
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A raw LMTP client: exact bytes out, reply lines in.
pub struct Lmtp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Lmtp {
    /// Connects, reads the greeting and sends LHLO.
    pub fn connect(addr: SocketAddr) -> Lmtp {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.set_nodelay(true).unwrap();
        let mut c = Lmtp {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        };
        assert!(c.reply().starts_with("220 "));
        c.send(b"LHLO client.test\r\n");
        assert!(c.reply().starts_with("250 "));
        c
    }

    /// Sends bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// One line; empty at end of input.
    pub fn line(&mut self) -> String {
        let mut l = String::new();
        let _ = self.reader.read_line(&mut l);
        l
    }

    /// One whole reply (the last line of a multi-line one).
    pub fn reply(&mut self) -> String {
        loop {
            let l = self.line();
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return l;
            }
        }
    }

    /// Sends a command line and returns its reply.
    pub fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// Every reply until the server closes the connection.
    pub fn rest(&mut self) -> Vec<String> {
        let mut v = Vec::new();
        loop {
            let l = self.line();
            if l.is_empty() {
                return v;
            }
            v.push(l);
        }
    }
}

/// `popstore deliver` with `args`: (exit code, stderr).
pub fn deliver(store: &Path, args: &[&str], message: &[u8]) -> (i32, String) {
    let mut all = vec!["deliver"];
    all.extend_from_slice(args);
    let o = popstore(store, &all, message);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The first file or directory named `name` (any case) below `dir`.
pub fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.file_name().is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            return Some(p);
        }
        if p.is_dir()
            && let Some(f) = find(&p, name)
        {
            return Some(f);
        }
    }
    None
}
