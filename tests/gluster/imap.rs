//! A raw IMAP client for the two-node tests: tagged commands, IDLE, and
//! waits for an untagged response bounded by a deadline (the read timeout
//! follows the time left, so nothing sleeps).
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long a wait for another node's change may take before the test
/// fails (generous: the time it took is printed, never asserted).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// One IMAP connection.
pub struct Imap {
    r: BufReader<TcpStream>,
    w: TcpStream,
    tags: u32,
    /// Who this is in messages ("B INBOX").
    pub name: String,
}

impl Imap {
    /// Connects and logs in with LOGIN.
    pub fn login(addr: SocketAddr, user: &str, password: &str, name: &str) -> Imap {
        let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{name}: connect: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut c = Imap {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            tags: 0,
            name: name.to_string(),
        };
        let greeting = c.line().expect("greeting");
        assert!(greeting.starts_with("* OK"), "{name}: {greeting}");
        c.ok(&format!("LOGIN {user} {password}"));
        c
    }

    /// One line without CRLF; a literal it announces is read and put
    /// after it as text, so a response is one string. `None` when the
    /// read timed out or the connection ended.
    fn line(&mut self) -> Option<String> {
        let mut l = Vec::new();
        match self.r.read_until(b'\n', &mut l) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let mut out = String::from_utf8_lossy(&l)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        while let Some(n) = literal_len(&out) {
            let mut bytes = vec![0; n];
            self.r.read_exact(&mut bytes).ok()?;
            out.push_str(&String::from_utf8_lossy(&bytes));
            let mut rest = Vec::new();
            self.r.read_until(b'\n', &mut rest).ok()?;
            out.push_str(String::from_utf8_lossy(&rest).trim_end_matches(['\r', '\n']));
        }
        Some(out)
    }

    /// Sends a command; every line up to and with the tagged reply.
    pub fn cmd(&mut self, cmd: &str) -> Vec<String> {
        self.tags += 1;
        let tag = format!("t{}", self.tags);
        self.w
            .write_all(format!("{tag} {cmd}\r\n").as_bytes())
            .unwrap();
        let mut out = Vec::new();
        loop {
            let l = self
                .line()
                .unwrap_or_else(|| panic!("{}: {cmd}: no reply; got {out:?}", self.name));
            let done = l.starts_with(&format!("{tag} "));
            out.push(l);
            if done {
                return out;
            }
        }
    }

    /// Like [`Imap::cmd`], asserting the tagged reply is OK.
    pub fn ok(&mut self, cmd: &str) -> Vec<String> {
        let r = self.cmd(cmd);
        let last = r.last().unwrap();
        assert!(
            last.split_whitespace().nth(1) == Some("OK"),
            "{}: {cmd}: {r:?}",
            self.name
        );
        r
    }

    /// Starts IDLE (waits for the continuation).
    pub fn idle(&mut self) {
        self.tags += 1;
        self.w
            .write_all(format!("t{} IDLE\r\n", self.tags).as_bytes())
            .unwrap();
        let l = self.line().expect("IDLE continuation");
        assert!(l.starts_with('+'), "{}: IDLE: {l}", self.name);
    }

    /// Ends IDLE: the untagged lines that came before the tagged OK.
    pub fn done(&mut self) -> Vec<String> {
        self.w.write_all(b"DONE\r\n").unwrap();
        let tag = format!("t{} ", self.tags);
        let mut out = Vec::new();
        loop {
            let l = self.line().expect("IDLE's tagged reply");
            if l.starts_with(&tag) {
                assert!(l.contains(" OK"), "{}: IDLE: {l}", self.name);
                return out;
            }
            out.push(l);
        }
    }

    /// Reads untagged responses (in IDLE, say) until one satisfies
    /// `want`, for at most [`DEADLINE`]; every line read, and how long it
    /// took. Panics at the deadline, naming what came.
    pub fn wait_for(&mut self, what: &str, want: impl Fn(&str) -> bool) -> (Vec<String>, Duration) {
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            assert!(
                !left.is_zero(),
                "{}: no {what} within {DEADLINE:?}; got {seen:?}",
                self.name
            );
            self.w.set_read_timeout(Some(left)).unwrap();
            let l = self.line();
            self.w
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            let Some(l) = l else {
                assert!(
                    start.elapsed() >= DEADLINE,
                    "{}: the connection ended waiting for {what}; got {seen:?}",
                    self.name
                );
                continue;
            };
            let hit = want(&l);
            seen.push(l);
            if hit {
                let took = start.elapsed();
                eprintln!("{}: {what} after {took:?}", self.name);
                return (seen, took);
            }
        }
    }

    /// `UID FETCH 1:* (UID FLAGS BODY.PEEK[])` of the selected folder:
    /// (UID, flags, bytes) in order.
    pub fn contents(&mut self) -> Vec<(u32, String, Vec<u8>)> {
        self.tags += 1;
        let tag = format!("t{}", self.tags);
        self.w
            .write_all(format!("{tag} UID FETCH 1:* (UID FLAGS BODY.PEEK[])\r\n").as_bytes())
            .unwrap();
        let mut out = Vec::new();
        loop {
            let mut l = Vec::new();
            self.r.read_until(b'\n', &mut l).unwrap();
            let text = String::from_utf8_lossy(&l).into_owned();
            if text.starts_with(&format!("{tag} ")) {
                assert!(text.contains(" OK"), "{}: UID FETCH: {text}", self.name);
                return out;
            }
            let Some(n) = literal_len(text.trim_end()) else {
                continue; // another untagged response
            };
            let mut body = vec![0; n];
            self.r.read_exact(&mut body).unwrap();
            let mut rest = Vec::new();
            self.r.read_until(b'\n', &mut rest).unwrap();
            let all = text + &String::from_utf8_lossy(&rest);
            let uid = all
                .split("UID ")
                .nth(1)
                .and_then(|x| x.split([' ', ')']).next())
                .and_then(|x| x.parse().ok())
                .unwrap_or_else(|| panic!("{}: no UID in {all}", self.name));
            let flags = all
                .split("FLAGS (")
                .nth(1)
                .and_then(|x| x.split(')').next())
                .unwrap_or_default()
                .to_string();
            out.push((uid, flags, body));
        }
    }

    /// LOGOUT.
    pub fn logout(mut self) {
        self.cmd("LOGOUT");
    }
}

/// `n` when the line ends with a literal's announcement `{n}`.
fn literal_len(l: &str) -> Option<usize> {
    l.strip_suffix('}')
        .and_then(|x| x.rsplit_once('{'))
        .and_then(|(_, n)| n.trim_end_matches('+').parse().ok())
}
