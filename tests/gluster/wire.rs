//! Plain LMTP and POP3 clients over TCP for the shared-store test, and the
//! test messages (each names its id in its subject).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Test message `id`: a few lines (one starting with a dot), so its bytes
/// are its own.
pub fn message(id: u64) -> Vec<u8> {
    let mut m =
        format!("Subject: gluster {id}\r\nMessage-ID: <{id}@gluster.test>\r\n\r\n").into_bytes();
    for i in 0..(id % 17) {
        m.extend_from_slice(format!("line {i} of message {id}\r\n").as_bytes());
    }
    m.extend_from_slice(format!(".dot line\r\nend of {id}\r\n").as_bytes());
    m
}

/// The id of a stored message (after the store's trace header).
pub fn id_of(body: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(body);
    let at = text.find("Subject: gluster ")? + "Subject: gluster ".len();
    text[at..].split("\r\n").next()?.parse().ok()
}

/// A line-oriented connection.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Conn {
            r: BufReader::new(s.try_clone()?),
            w: s,
        })
    }

    /// One line without its CRLF; an error at end of stream.
    fn line(&mut self) -> std::io::Result<String> {
        let mut l = String::new();
        if self.r.read_line(&mut l)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(l.trim_end_matches(['\r', '\n']).to_string())
    }

    /// A whole (possibly multi-line) SMTP reply: its last line.
    fn reply(&mut self) -> std::io::Result<String> {
        loop {
            let l = self.line()?;
            if l.as_bytes().get(3) != Some(&b'-') {
                return Ok(l);
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.w.write_all(bytes)
    }
}

/// Dot-stuffs `m` and adds the end-of-data line.
fn stuffed(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.len() + 8);
    let mut at_start = true;
    for &b in m {
        if at_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_start = b == b'\n';
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// An LMTP client session.
pub struct Lmtp(Conn);

impl Lmtp {
    /// Connects and says LHLO.
    pub fn connect(addr: SocketAddr) -> std::io::Result<Lmtp> {
        let mut c = Conn::open(addr)?;
        c.reply()?;
        c.send(b"LHLO gluster.test\r\n")?;
        c.reply()?;
        Ok(Lmtp(c))
    }

    /// Delivers message `id` to `rcpts` (local parts): the recipients
    /// answered 250 after the data. An error when the connection breaks
    /// (the server was killed) before every reply came; a refusal of a
    /// command is a panic (nothing here should be refused).
    pub fn deliver(&mut self, id: u64, rcpts: &[&str]) -> std::io::Result<Vec<String>> {
        let c = &mut self.0;
        let mut cmd = String::from("MAIL FROM:<s@gluster.test>\r\n");
        for u in rcpts {
            cmd.push_str(&format!("RCPT TO:<{u}@localhost>\r\n"));
        }
        cmd.push_str("DATA\r\n");
        c.send(cmd.as_bytes())?;
        for _ in 0..rcpts.len() + 2 {
            let l = c.reply()?;
            assert!(
                l.starts_with('2') || l.starts_with('3'),
                "message {id}: refused: {l}"
            );
        }
        c.send(&stuffed(&message(id)))?;
        let mut acked = Vec::new();
        for u in rcpts {
            let l = c.reply()?;
            if l.starts_with("250 ") {
                acked.push(u.to_string());
            } else {
                eprintln!("message {id} for {u}: {l}");
            }
        }
        Ok(acked)
    }
}

/// A POP3 client session (USER/PASS over plain TCP on loopback).
pub struct Pop3(Conn);

impl Pop3 {
    /// Connects and logs in: the `-ERR` line when the server refuses.
    pub fn login(addr: SocketAddr, user: &str, password: &str) -> Result<Pop3, String> {
        let mut c = Conn::open(addr).map_err(|e| e.to_string())?;
        let ok = |c: &mut Conn, cmd: String| -> Result<(), String> {
            if !cmd.is_empty() {
                c.send(cmd.as_bytes()).map_err(|e| e.to_string())?;
            }
            let l = c.line().map_err(|e| e.to_string())?;
            if l.starts_with("+OK") { Ok(()) } else { Err(l) }
        };
        ok(&mut c, String::new())?;
        ok(&mut c, format!("USER {user}\r\n"))?;
        ok(&mut c, format!("PASS {password}\r\n"))?;
        Ok(Pop3(c))
    }

    fn command(&mut self, cmd: &str) -> String {
        self.0.send(format!("{cmd}\r\n").as_bytes()).unwrap();
        let l = self.0.line().unwrap();
        assert!(l.starts_with("+OK"), "{cmd}: {l}");
        l
    }

    /// The lines of a multi-line answer, dot-unstuffed.
    fn multi(&mut self, cmd: &str) -> Vec<Vec<u8>> {
        self.command(cmd);
        let mut out = Vec::new();
        loop {
            let mut l = Vec::new();
            self.0.r.read_until(b'\n', &mut l).unwrap();
            assert!(l.ends_with(b"\r\n"), "{cmd}: cut short");
            if l == b".\r\n" {
                return out;
            }
            if l.starts_with(b"..") {
                l.remove(0);
            }
            out.push(l);
        }
    }

    /// UIDL: (message number, unique id) for every message.
    pub fn uidl(&mut self) -> Vec<(usize, String)> {
        self.multi("UIDL")
            .iter()
            .map(|l| {
                let l = String::from_utf8_lossy(l);
                let mut w = l.split_whitespace();
                let n = w.next().unwrap().parse().unwrap();
                (n, w.next().unwrap().to_string())
            })
            .collect()
    }

    /// RETR: the message's bytes.
    pub fn retr(&mut self, n: usize) -> Vec<u8> {
        self.multi(&format!("RETR {n}")).concat()
    }

    /// DELE.
    pub fn dele(&mut self, n: usize) {
        self.command(&format!("DELE {n}"));
    }

    /// QUIT: `Ok` when the server committed the session.
    pub fn quit(mut self) -> Result<(), String> {
        self.0.send(b"QUIT\r\n").map_err(|e| e.to_string())?;
        let l = self.0.line().map_err(|e| e.to_string())?;
        if l.starts_with("+OK") { Ok(()) } else { Err(l) }
    }
}
