//! The canonical stored form: every bare LF becomes CRLF and every NUL
//! becomes 0x80 (IMAP literals may not carry NUL; Dovecot sends 0x80 too);
//! nothing else changes (bare CR and 8-bit bytes are kept, no line break
//! is added at the end). This is what IMAP and POP3 send, so RFC822.SIZE
//! is its length.

use std::borrow::Cow;

/// Returns `raw` with every LF not preceded by CR turned into CRLF and
/// every NUL into 0x80; borrows when there is nothing to change.
pub fn canonicalize(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = bare_lfs(raw);
    if bare == 0 && memchr::memchr(0, raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + bare);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(if b == 0 { 0x80 } else { b });
        prev = b;
    }
    Cow::Owned(out)
}

/// The length of the canonical form of `raw`, without building it.
pub fn canonical_len(raw: &[u8]) -> u64 {
    (raw.len() + bare_lfs(raw)) as u64
}

/// The number of LFs not preceded by CR.
fn bare_lfs(raw: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', raw)
        .filter(|&i| i == 0 || raw[i - 1] != b'\r')
        .count()
}

/// Offsets of every line of `data` that begins with `.` (the lines POP3
/// must dot-stuff), the first line included.
pub fn dot_lines(data: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    if data.first() == Some(&b'.') {
        out.push(0);
    }
    for i in memchr::memchr_iter(b'\n', data) {
        if data.get(i + 1) == Some(&b'.') {
            out.push(i as u64 + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_line_ends() {
        assert_eq!(&*canonicalize(b"a\nb\r\nc\rd\n"), b"a\r\nb\r\nc\rd\r\n");
        assert!(matches!(canonicalize(b"a\r\n"), Cow::Borrowed(_)));
        assert_eq!(canonical_len(b"\n\n"), 4);
        assert_eq!(&*canonicalize(b"\n"), b"\r\n");
        assert_eq!(&*canonicalize(b"a\0b"), b"a\x80b");
    }

    #[test]
    fn dots() {
        assert_eq!(dot_lines(b".a\r\nb\r\n..\r\n"), vec![0, 7]);
    }
}
