//! Replaying scripted IMAP exchanges (the RFC example sessions) against
//! the real server: a client that reads whole responses (literals
//! included), and a matcher for the example's lines.
//!
//! Patterns are the example's lines with two wildcards: `<n>` stands for a
//! number that depends on the store's state (UIDVALIDITY, UIDNEXT, sizes,
//! modification sequences) and `<*>` for any text (the human-readable text
//! after a status response, which RFC 9051 7.1 leaves to the server). The
//! contents of `FLAGS (...)` / `PERMANENTFLAGS (...)` lists and the items
//! of a `STATUS` response are compared as sets, since their order is the
//! server's choice.
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// An IMAP connection that reads responses whole.
pub struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    /// Connects; the client and the greeting.
    pub fn connect(addr: SocketAddr) -> (Client, String) {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut c = Client {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        };
        let g = c.response();
        (c, g)
    }

    /// Connects and logs in as `user` (password `USER-pw`).
    pub fn login(addr: SocketAddr, user: &str) -> Client {
        let (mut c, g) = Client::connect(addr);
        assert!(g.starts_with("* OK"), "{g}");
        let r = c.cmd(&format!("l0 LOGIN {user} {user}-pw"));
        assert!(r.last().unwrap().starts_with("l0 OK"), "{r:?}");
        c
    }

    /// The next response, literals inlined as `{n}\r\n<bytes>`, without
    /// the final CRLF; "" at the end of the connection.
    pub fn response(&mut self) -> String {
        let mut out = Vec::new();
        loop {
            let mut l = Vec::new();
            if self.r.read_until(b'\n', &mut l).unwrap_or(0) == 0 {
                break;
            }
            let n = literal_len(&l);
            out.extend_from_slice(&l);
            match n {
                Some(n) => {
                    let mut lit = vec![0; n];
                    self.r.read_exact(&mut lit).unwrap();
                    out.extend_from_slice(&lit);
                }
                None => break,
            }
        }
        while out.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            out.pop();
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Sends bytes as they are.
    pub fn send(&mut self, b: &[u8]) {
        self.w.write_all(b).unwrap();
    }

    /// A second handle on the socket, for a writer thread.
    pub fn writer(&self) -> TcpStream {
        self.w.try_clone().unwrap()
    }

    /// Sends a line (CRLF added).
    pub fn line(&mut self, l: &str) {
        self.send(format!("{l}\r\n").as_bytes());
    }

    /// Sends `line` (its first word is the tag) and reads up to the tagged
    /// response.
    pub fn cmd(&mut self, line: &str) -> Vec<String> {
        self.line(line);
        self.until(line.split(' ').next().unwrap())
    }

    /// Responses up to the one tagged `tag` (or the end of the connection).
    pub fn until(&mut self, tag: &str) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.response();
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

    /// Appends `msg` to `folder` with `flags` (a LITERAL+ literal);
    /// panics unless OK.
    pub fn append(&mut self, folder: &str, flags: &str, msg: &[u8]) {
        self.send(format!("ap APPEND {folder} ({flags}) {{{}+}}\r\n", msg.len()).as_bytes());
        self.send(msg);
        self.send(b"\r\n");
        let r = self.until("ap");
        assert!(r.last().unwrap().starts_with("ap OK"), "{r:?}");
    }

    /// The other end closed the connection (reads nothing more).
    pub fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        self.r.read_to_end(&mut rest).is_ok() && rest.is_empty()
    }
}

fn literal_len(l: &[u8]) -> Option<usize> {
    let l = l.strip_suffix(b"\r\n").or(l.strip_suffix(b"\n"))?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&l[open + 1..]).ok()?.parse().ok()
}

/// Whether `s` matches pattern `p` (`<n>`: digits, `<*>`: anything).
pub fn glob(p: &str, s: &str) -> bool {
    if let Some(rest) = p.strip_prefix("<*>") {
        return (0..=s.len()).any(|i| s.is_char_boundary(i) && glob(rest, &s[i..]));
    }
    if let Some(rest) = p.strip_prefix("<n>") {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        return (1..=digits).any(|i| glob(rest, &s[i..]));
    }
    match (p.chars().next(), s.chars().next()) {
        (None, None) => true,
        (Some(a), Some(b)) if a == b => glob(&p[a.len_utf8()..], &s[b.len_utf8()..]),
        _ => false,
    }
}

/// `s` with the contents of every `FLAGS (...)` list and the items of a
/// `* STATUS name (...)` response sorted.
pub fn normalise(s: &str) -> String {
    let mut out = s.to_string();
    for key in ["FLAGS (", "PERMANENTFLAGS ("] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key) {
            let start = from + i + key.len();
            let Some(len) = out[start..].find(')') else {
                break;
            };
            let mut words: Vec<&str> = out[start..start + len].split(' ').collect();
            words.sort_unstable();
            let sorted = words.join(" ");
            out.replace_range(start..start + len, &sorted);
            from = start + len;
        }
    }
    for key in ["* LIST (", "* LSUB ("] {
        if let Some(rest) = out.strip_prefix(key)
            && let Some(len) = rest.find(')')
        {
            let mut words: Vec<&str> = rest[..len].split(' ').collect();
            words.sort_unstable();
            out = format!("{key}{}{}", words.join(" "), &rest[len..]);
        }
    }
    if out.starts_with("* STATUS ")
        && out.ends_with(')')
        && let Some(open) = out.rfind('(')
    {
        let inner = &out[open + 1..out.len() - 1];
        let words: Vec<&str> = inner.split(' ').collect();
        let mut pairs: Vec<String> = words.chunks(2).map(|p| p.join(" ")).collect();
        pairs.sort_unstable();
        out = format!("{}({})", &out[..open], pairs.join(" "));
    }
    out
}

/// Checks the responses `got` to one command against the example's
/// `want` (the tagged line last): each untagged pattern matches a
/// different response, in any order unless `ordered`; responses no
/// pattern claims must match one of `extra` (responses the example's
/// server did not send but ours may; the caller says why).
pub fn check(cmd: &str, got: &[String], want: &[&str], extra: &[&str], ordered: bool) {
    let show = || format!("{cmd}\n got: {got:#?}\nwant: {want:#?}\nextra: {extra:?}");
    let (Some(tagged), Some(want_tagged)) = (got.last(), want.last()) else {
        panic!("no responses: {}", show());
    };
    assert!(
        glob(&normalise(want_tagged), &normalise(tagged)),
        "tagged response differs: {}",
        show()
    );
    let got = &got[..got.len() - 1];
    let want = &want[..want.len() - 1];
    let mut used = vec![false; got.len()];
    let mut next = 0;
    for w in want {
        let w = normalise(w);
        let start = if ordered { next } else { 0 };
        let found = (start..got.len()).find(|&i| !used[i] && glob(&w, &normalise(&got[i])));
        let Some(i) = found else {
            panic!("no response matches {w:?}: {}", show());
        };
        used[i] = true;
        next = i + 1;
    }
    for (i, g) in got.iter().enumerate() {
        if !used[i] {
            assert!(
                extra.iter().any(|e| glob(&normalise(e), &normalise(g))),
                "unexpected response {g:?}: {}",
                show()
            );
        }
    }
}

/// Sends `cmd` and checks its responses (see [`check`]), unordered.
pub fn ex(c: &mut Client, cmd: &str, want: &[&str]) -> Vec<String> {
    ex_extra(c, cmd, want, &[])
}

/// [`ex`] with responses the example did not show that ours may send.
pub fn ex_extra(c: &mut Client, cmd: &str, want: &[&str], extra: &[&str]) -> Vec<String> {
    let got = c.cmd(cmd);
    check(cmd, &got, want, extra, false);
    got
}

/// [`ex`] where the untagged responses must come in the example's order.
pub fn ex_ordered(c: &mut Client, cmd: &str, want: &[&str]) -> Vec<String> {
    let got = c.cmd(cmd);
    check(cmd, &got, want, &[], true);
    got
}

#[test]
fn the_matcher_matches() {
    assert!(glob("* <n> EXISTS", "* 172 EXISTS"));
    assert!(!glob("* <n> EXISTS", "*  EXISTS"));
    assert!(glob("a OK <*>", "a OK SELECT completed"));
    assert!(glob(
        "* OK [PERMANENTFLAGS (\\Deleted \\*)]<*>",
        "* OK [PERMANENTFLAGS (\\Deleted \\*)] x"
    ));
    assert_eq!(
        normalise("* 1 FETCH (FLAGS (\\Seen \\Deleted))"),
        "* 1 FETCH (FLAGS (\\Deleted \\Seen))"
    );
    assert_eq!(
        normalise("* STATUS x (UIDNEXT 4 MESSAGES 2)"),
        "* STATUS x (MESSAGES 2 UIDNEXT 4)"
    );
}
