//! The client side of RFC 5804's grammar, read from a byte buffer: a
//! command is a name and arguments (quoted strings, literals, numbers)
//! up to CRLF, and a literal's octets may hold anything, CRLF included.
//! The parser says "need more bytes" until a whole command is there, and
//! enforces the size limits before buffering more.
//!
//! ```text
//! command     = atom *(SP argument) CRLF
//! argument    = string / number
//! string      = quoted / literal-c2s
//! quoted      = DQUOTE *(QUOTED-CHAR / "\" ( DQUOTE / "\" )) DQUOTE
//! literal-c2s = "{" number "+}" CRLF *OCTET   ; "{" number "}" accepted too
//! ```

/// One argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A quoted string or a literal, as bytes.
    Str(Vec<u8>),
    /// A number.
    Num(u64),
    /// An atom (only the command name is one).
    Atom(String),
}

/// A syntax error: the reply says `msg`; the input up to `skip` bytes is
/// dropped (through the end of the bad line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    /// What is wrong.
    pub msg: String,
    /// Bytes to drop.
    pub skip: usize,
    /// The input cannot be resynchronised (a literal too large to skip):
    /// the connection must close.
    pub fatal: bool,
}

/// The limits a command is read under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest line outside literals.
    pub max_line: usize,
    /// The largest literal.
    pub max_literal: usize,
}

/// A whole command when the buffer holds one: its words and the bytes it
/// took. `Ok(None)`: more bytes are needed.
pub fn command(buf: &[u8], limits: Limits) -> Result<Option<(Vec<Arg>, usize)>, Bad> {
    let mut args = Vec::new();
    let mut i = 0;
    let mut line_start = 0;
    let bad = |msg: &str, from: usize| -> Bad {
        let skip = memchr::memchr(b'\n', &buf[from..]).map_or(buf.len(), |n| from + n + 1);
        Bad {
            msg: msg.to_string(),
            skip,
            fatal: false,
        }
    };
    // More bytes are needed, unless the line is too long already.
    let more = |line_start: usize| {
        if buf.len() - line_start > limits.max_line {
            Err(Bad {
                msg: "line too long".into(),
                skip: buf.len(),
                fatal: true,
            })
        } else {
            Ok(None)
        }
    };
    loop {
        if i - line_start > limits.max_line {
            return Err(Bad {
                msg: "line too long".into(),
                skip: buf.len(),
                fatal: true,
            });
        }
        let Some(&b) = buf.get(i) else {
            return Ok(None);
        };
        match b {
            b' ' | b'\t' => i += 1,
            b'\r' => {
                match buf.get(i + 1) {
                    None => return Ok(None),
                    Some(b'\n') => {}
                    Some(_) => return Err(bad("bare CR", i)),
                }
                return Ok(Some((args, i + 2)));
            }
            b'\n' => return Ok(Some((args, i + 1))),
            b'"' => {
                let mut s = Vec::new();
                let mut j = i + 1;
                loop {
                    match buf.get(j) {
                        None => return Ok(None),
                        Some(b'"') => break,
                        Some(b'\\') => match buf.get(j + 1) {
                            None => return Ok(None),
                            Some(&c @ (b'"' | b'\\')) => {
                                s.push(c);
                                j += 2;
                            }
                            Some(_) => return Err(bad("bad escape in a quoted string", i)),
                        },
                        Some(b'\r' | b'\n' | 0) => {
                            return Err(bad("CR, LF or NUL in a quoted string", i));
                        }
                        Some(&c) => {
                            s.push(c);
                            j += 1;
                        }
                    }
                    if j - i > limits.max_line {
                        return Err(bad("quoted string too long", i));
                    }
                }
                args.push(Arg::Str(s));
                i = j + 1;
            }
            b'{' => {
                let Some(close) = memchr::memchr(b'}', &buf[i..]).map(|n| i + n) else {
                    if buf.len() - i > 24 {
                        return Err(bad("bad literal", i));
                    }
                    return Ok(None);
                };
                let inner = &buf[i + 1..close];
                let digits = inner.strip_suffix(b"+").unwrap_or(inner);
                let n: usize = std::str::from_utf8(digits)
                    .ok()
                    .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| bad("bad literal length", i))?;
                let data = match (buf.get(close + 1), buf.get(close + 2)) {
                    (Some(b'\r'), Some(b'\n')) => close + 3,
                    (Some(b'\n'), _) => close + 2,
                    (None, _) | (Some(b'\r'), None) => return Ok(None),
                    _ => return Err(bad("a literal's length must end its line", i)),
                };
                if n > limits.max_literal {
                    return Err(Bad {
                        msg: format!("literal too large (limit {} octets)", limits.max_literal),
                        skip: buf.len(),
                        fatal: true,
                    });
                }
                if buf.len() < data + n {
                    return Ok(None);
                }
                args.push(Arg::Str(buf[data..data + n].to_vec()));
                i = data + n;
                line_start = i;
            }
            c if c.is_ascii_digit() && !args.is_empty() => {
                let end = buf[i..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .map_or(buf.len(), |n| i + n);
                if end == buf.len() {
                    return more(line_start);
                }
                let n = std::str::from_utf8(&buf[i..end])
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| bad("number too large", i))?;
                args.push(Arg::Num(n));
                i = end;
            }
            c if c.is_ascii_alphabetic() && args.is_empty() => {
                let end = buf[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric())
                    .map_or(buf.len(), |n| i + n);
                if end == buf.len() {
                    return more(line_start);
                }
                let word = String::from_utf8_lossy(&buf[i..end]).to_ascii_uppercase();
                args.push(Arg::Atom(word));
                i = end;
            }
            _ => return Err(bad("syntax error", i)),
        }
    }
}

/// A string as the server sends it: quoted when it can be, else a
/// literal (`{n}` CRLF octets).
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    let quotable = s.len() <= 1024 && !s.iter().any(|&c| matches!(c, b'\r' | b'\n' | 0));
    if quotable {
        out.push(b'"');
        for &c in s {
            if c == b'"' || c == b'\\' {
                out.push(b'\\');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        max_line: 200,
        max_literal: 100,
    };

    fn whole(s: &[u8]) -> Vec<Arg> {
        let (args, used) = command(s, L).unwrap().unwrap();
        assert_eq!(used, s.len());
        args
    }

    #[test]
    fn commands_with_strings_literals_and_numbers() {
        assert_eq!(
            whole(b"putScript \"a \\\"b\\\"\" {5+}\r\nx\r\ny}\r\n"),
            [
                Arg::Atom("PUTSCRIPT".into()),
                Arg::Str(b"a \"b\"".to_vec()),
                Arg::Str(b"x\r\ny}".to_vec())
            ]
        );
        assert_eq!(
            whole(b"HAVESPACE \"s\" 1234\r\n"),
            [
                Arg::Atom("HAVESPACE".into()),
                Arg::Str(b"s".to_vec()),
                Arg::Num(1234)
            ]
        );
        assert_eq!(whole(b"LOGOUT\r\n"), [Arg::Atom("LOGOUT".into())]);
        assert_eq!(whole(b"{3}\r\nabc\r\n"), [Arg::Str(b"abc".to_vec())]);
    }

    #[test]
    fn needs_more_until_the_command_is_whole() {
        let full = b"PUTSCRIPT \"n\" {4+}\r\nkeep\r\n";
        for cut in 0..full.len() {
            assert_eq!(command(&full[..cut], L), Ok(None), "{cut}");
        }
    }

    #[test]
    fn errors_skip_the_line_and_limits_hold() {
        let e = command(b"GETSCRIPT \"a\\x\"\r\nNOOP\r\n", L).unwrap_err();
        assert_eq!((e.skip, e.fatal), (17, false));
        let e = command(b"PUTSCRIPT \"n\" {101+}\r\n", L).unwrap_err();
        assert!(e.fatal && e.msg.contains("too large"));
        let e = command(&[b'x'; 300], L).unwrap_err();
        assert!(e.fatal);
    }

    #[test]
    fn strings_quoted_or_literal() {
        let mut out = Vec::new();
        string(&mut out, b"a\"b\\");
        string(&mut out, b"x\r\ny");
        assert_eq!(out, b"\"a\\\"b\\\\\"{4}\r\nx\r\ny");
    }
}
