//! Reading a Unix mail spool (mbox) for POP3: where each message is, its
//! bytes as POP3 sends them, and a UIDL that stays the same across
//! sessions.
//!
//! A message begins with a `From ` line at the start of the file or after
//! an empty line, as Debian's MTAs write them (Postfix and Exim end each
//! message with an empty line and quote body lines that begin `From `).
//! Body lines `>From `, `>>From `... lose one `>` (mboxrd; for mboxo this
//! undoes the only quoting there is).

use sha2::{Digest, Sha256};

/// One message of the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where its `From ` line begins in the spool.
    pub start: usize,
    /// Where it ends (the next message's `From ` line, or the end).
    pub end: usize,
    /// Its size as POP3 sends it (CRLF lines, unquoted).
    pub size: u64,
    /// Its UIDL: the `X-UIDL:` header when there is a usable one, else a
    /// digest of the message (its `From ` line included).
    pub uidl: String,
}

/// The messages of `spool`, in order.
pub fn split(spool: &[u8]) -> Vec<Message> {
    let mut starts = Vec::new();
    if spool.starts_with(b"From ") {
        starts.push(0);
    }
    for i in memchr::memmem::find_iter(spool, b"\n\nFrom ") {
        starts.push(i + 2);
    }
    let mut out: Vec<Message> = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(spool.len());
        let raw = &spool[start..end];
        let content = pop3_bytes(raw);
        let mut uidl = x_uidl(&content).unwrap_or_else(|| hex(&Sha256::digest(raw)[..16]));
        // Two identical messages (From line and all): still two UIDLs.
        let mut n = 1;
        let base = uidl.clone();
        while out.iter().any(|m| m.uidl == uidl) {
            n += 1;
            uidl = format!("{base}-{n}");
        }
        out.push(Message {
            start,
            end,
            size: content.len() as u64,
            uidl,
        });
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The message as POP3 sends it: without its `From ` line and the empty
/// line that separates it from the next, `>From` unquoted, CRLF lines.
pub fn pop3_bytes(raw: &[u8]) -> Vec<u8> {
    let body = match memchr::memchr(b'\n', raw) {
        Some(i) if raw.starts_with(b"From ") => &raw[i + 1..],
        _ => raw,
    };
    // The separator: the last empty line before the next `From `.
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let mut out = Vec::with_capacity(body.len() + body.len() / 32);
    for line in body.split_inclusive(|b| *b == b'\n') {
        let quoted = line.iter().take_while(|b| **b == b'>').count();
        let line = if quoted > 0 && line[quoted..].starts_with(b"From ") {
            &line[1..]
        } else {
            line
        };
        match line.strip_suffix(b"\n") {
            Some(l) => {
                out.extend_from_slice(l.strip_suffix(b"\r").unwrap_or(l));
                out.extend_from_slice(b"\r\n");
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// The value of an `X-UIDL:` header usable as a POP3 UIDL (1 to 70
/// printable characters, RFC 1939).
fn x_uidl(msg: &[u8]) -> Option<String> {
    for line in msg.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        if line.len() > 7 && line[..7].eq_ignore_ascii_case(b"x-uidl:") {
            let v = std::str::from_utf8(&line[7..]).ok()?.trim();
            let ok = (1..=70).contains(&v.len()) && v.bytes().all(|b| (0x21..=0x7e).contains(&b));
            return ok.then(|| v.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPOOL: &[u8] =
        b"From a@b Sat Dec  5 10:00:00 2026\nSubject: one\n\nbody\n>From here\n>>From there\n\n\
From c@d Sat Dec  5 10:01:00 2026\nX-UIDL: kept-uidl\nSubject: two\n\ntext, From inside a line\n\n";

    #[test]
    fn messages_and_their_pop3_bytes() {
        let m = split(SPOOL);
        assert_eq!(m.len(), 2, "{m:?}");
        let one = pop3_bytes(&SPOOL[m[0].start..m[0].end]);
        assert_eq!(
            one,
            b"Subject: one\r\n\r\nbody\r\nFrom here\r\n>From there\r\n"
        );
        assert_eq!(m[0].size, one.len() as u64);
        assert_eq!(m[1].uidl, "kept-uidl");
        assert_eq!(m[0].uidl.len(), 32);
        assert_eq!(m[0].start, 0);
        assert_eq!(m[1].end, SPOOL.len());
    }

    #[test]
    fn uidls_are_stable_and_unique() {
        let twice = [SPOOL, SPOOL].concat();
        let a = split(&twice);
        let b = split(&twice);
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        assert_ne!(a[0].uidl, a[2].uidl);
        assert_eq!(a[2].uidl, format!("{}-2", a[0].uidl));
        // Appending mail does not change the UIDLs before it.
        let more = [SPOOL, b"From x@y Sat Dec  5 11:00:00 2026\n\nnew\n\n"].concat();
        assert_eq!(split(&more)[..2], split(SPOOL)[..]);
        assert!(split(b"").is_empty());
    }
}
