//! The real `popstore` binary for the IMAP tests: a fresh store with the
//! MessageStore accounts `sue` and `tom` (password `NAME-pw`), `popstore
//! serve` with LMTP, IMAP and IMAPS on loopback ports chosen by the system,
//! delivery over LMTP, and Python clients (imaplib, imapclient) run as
//! `python3 -c` scripts that print JSON.
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::common::{ServeProcess, listening, ok};

/// A store and `popstore serve` on it.
pub struct Served {
    /// First, so the server is killed before its store is removed.
    server: ServeProcess,
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    pub lmtp: SocketAddr,
    pub imap: SocketAddr,
    pub imaps: SocketAddr,
}

impl Served {
    /// A new store with `sue` and `tom`, served; `extra` is configuration
    /// text added after `[listen]`.
    pub fn start(extra: &str) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        ok(&store, &["init"], b"");
        for user in ["sue", "tom"] {
            ok(
                &store,
                &[
                    "user",
                    "add",
                    user,
                    "--store-type",
                    "imap",
                    "--cram-md5",
                    "--password-stdin",
                ],
                format!("{user}-pw\n").as_bytes(),
            );
        }
        let config = dir.path().join("popstore.toml");
        std::fs::write(
            &config,
            format!(
                "[listen]\nlmtp = \"127.0.0.1:0\"\npop3 = \"off\"\npop3s = \"off\"\n\
                 imap = \"127.0.0.1:0\"\nimaps = \"127.0.0.1:0\"\npoppassd = \"off\"\n\
                 managesieve = \"off\"\nweb = \"off\"\n{extra}"
            ),
        )
        .unwrap();
        let (mut lmtp, mut imap, mut imaps) = (None, None, None);
        let server = ServeProcess::start_until(&store, &config, "info", |line| {
            lmtp = lmtp.or(listening(line, "LMTP"));
            imap = imap.or(listening(line, "IMAP"));
            imaps = imaps.or(listening(line, "IMAPS"));
            lmtp.is_some() && imap.is_some() && imaps.is_some()
        });
        Served {
            server,
            dir,
            store,
            lmtp: lmtp.unwrap(),
            imap: imap.unwrap(),
            imaps: imaps.unwrap(),
        }
    }

    /// Delivers `message` to `user` over LMTP; panics unless accepted.
    pub fn deliver(&self, user: &str, message: &[u8]) {
        let s = TcpStream::connect(self.lmtp).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        let mut line = String::new();
        let mut expect = |r: &mut BufReader<TcpStream>, code: &str| loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with(code), "LMTP: wanted {code}, got {line:?}");
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        };
        expect(&mut r, "220");
        for (cmd, code) in [
            ("LHLO test".to_string(), "250"),
            ("MAIL FROM:<a@b.example>".to_string(), "250"),
            (format!("RCPT TO:<{user}>"), "250"),
            ("DATA".to_string(), "354"),
        ] {
            w.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
            expect(&mut r, code);
        }
        let mut data = Vec::new();
        for l in message.split_inclusive(|&b| b == b'\n') {
            if l.starts_with(b".") {
                data.push(b'.');
            }
            data.extend_from_slice(l);
        }
        data.extend_from_slice(b".\r\nQUIT\r\n");
        w.write_all(&data).unwrap();
        expect(&mut r, "250");
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest);
    }

    /// A second `popstore serve` on the same store (another process, as
    /// another node would be): its IMAP address.
    pub fn another(&self) -> (ServeProcess, SocketAddr) {
        let config = self.dir.path().join("popstore.toml");
        let mut imap = None;
        let server = ServeProcess::start_until(&self.store, &config, "info", |line| {
            imap = imap.or(listening(line, "IMAP"));
            imap.is_some()
        });
        (server, imap.unwrap())
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.server.id()
    }

    /// The server's log.
    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// Skips the test (with a note) unless `python3 -c "import MODULE"` works;
/// under CI the module must be there.
pub fn need_python(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 module {module} is missing (ci/install-deps.sh installs it)"
        );
        eprintln!("skipped: python3 module {module} is missing");
    }
    ok
}

/// Runs `python3 -c script args...`; its standard output as JSON.
pub fn python(script: &str, args: &[String]) -> serde_json::Value {
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// A raw IMAP connection: lines out, lines in.
pub struct Raw {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Raw {
    /// Connects and reads the greeting.
    pub fn connect(addr: SocketAddr) -> (Raw, String) {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Raw {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        };
        let g = c.line();
        (c, g)
    }

    /// The next line ("" at the end of the connection).
    pub fn line(&mut self) -> String {
        let mut l = Vec::new();
        let _ = self.r.read_until(b'\n', &mut l);
        String::from_utf8_lossy(&l).into_owned()
    }

    /// Exactly `n` bytes (a literal's data).
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.r.read_exact(&mut v).unwrap();
        v
    }

    /// Sends bytes as they are.
    pub fn send(&mut self, b: &[u8]) {
        self.w.write_all(b).unwrap();
    }

    /// Sends `tag cmd` and reads up to the tagged reply: every line.
    pub fn cmd(&mut self, tag: &str, cmd: &str) -> Vec<String> {
        self.send(format!("{tag} {cmd}\r\n").as_bytes());
        self.until(tag)
    }

    /// Reads lines up to the one starting with `tag `.
    pub fn until(&mut self, tag: &str) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line();
            if l.is_empty() {
                return out;
            }
            let done = l.starts_with(&format!("{tag} "));
            out.push(l);
            if done {
                return out;
            }
        }
    }
}
