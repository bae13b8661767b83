//! IMAP string output (RFC 3501 / RFC 9051 `string`, `nstring`), choosing
//! quoted or literal form the way Dovecot 2.3 does.
//!
//! A value becomes a quoted string unless it holds CR, LF, NUL or an 8-bit
//! byte, in which case it is sent as a synchronizing literal `{n}\r\n...`.

/// Appends `s` as an IMAP `string`: quoted (with `"` and `\` escaped) when
/// every byte is a TEXT-CHAR below 0x80, else a literal.
pub fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter()
        .any(|&b| b == b'\r' || b == b'\n' || b == 0 || b >= 0x80)
    {
        append_literal(out, s);
    } else {
        append_quoted(out, s);
    }
}

/// Appends `s` as an IMAP `nstring`: `NIL` when absent.
pub fn append_nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        None => out.extend_from_slice(b"NIL"),
        Some(s) => append_string(out, s),
    }
}

/// Appends an `nstring` with every CR and LF removed first (header values
/// unfolded for the client).
pub fn append_nstring_nolf(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) if s.iter().any(|&b| b == b'\r' || b == b'\n') => {
            let cleaned: Vec<u8> = s
                .iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n')
                .collect();
            append_string(out, &cleaned);
        }
        other => append_nstring(out, other),
    }
}

/// Appends a quoted string, escaping `"` and `\`.
pub fn append_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends a literal `{n}\r\n` followed by the bytes.
pub fn append_literal(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// Appends text meant for people (a subject, a display name): leading and
/// trailing white space dropped, runs of white space (SP, TAB, CR, LF)
/// folded into one space, NUL shown as 0x80. Plain text goes out quoted;
/// text that needed changes or holds 8-bit bytes goes out as a literal,
/// like Dovecot's `imap_append_string_for_humans`.
pub fn append_string_for_humans(out: &mut Vec<u8>, s: &[u8]) {
    let mut cleaned = Vec::with_capacity(s.len());
    let mut modify = false;
    let mut last_lwsp = true;
    for &b in s {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                if b != b' ' || last_lwsp {
                    modify = true;
                }
                if !last_lwsp {
                    cleaned.push(b' ');
                }
                last_lwsp = true;
            }
            0 => {
                modify = true;
                cleaned.push(0x80);
                last_lwsp = false;
            }
            b'"' | b'\\' => {
                modify = true;
                cleaned.push(b);
                last_lwsp = false;
            }
            _ => {
                if b >= 0x80 {
                    modify = true;
                }
                cleaned.push(b);
                last_lwsp = false;
            }
        }
    }
    if last_lwsp && !cleaned.is_empty() {
        cleaned.pop();
        modify = true;
    }
    if !modify {
        append_quoted(out, s);
    } else if cleaned.is_empty() {
        out.extend_from_slice(b"\"\"");
    } else {
        append_literal(out, &cleaned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    #[test]
    fn quoting() {
        assert_eq!(s(|o| append_string(o, b"a\"b\\")), r#""a\"b\\""#);
        assert_eq!(s(|o| append_string(o, "é".as_bytes())), "{2}\r\né");
        assert_eq!(s(|o| append_nstring(o, None)), "NIL");
        assert_eq!(s(|o| append_nstring_nolf(o, Some(b"a\r\n b"))), "\"a b\"");
    }

    #[test]
    fn humans() {
        assert_eq!(
            s(|o| append_string_for_humans(o, b"hi there")),
            "\"hi there\""
        );
        assert_eq!(s(|o| append_string_for_humans(o, b"  ")), "\"\"");
        assert_eq!(s(|o| append_string_for_humans(o, b"a \t b ")), "{3}\r\na b");
    }
}
