//! Reading what an IMAP server sends (RFC 9051 section 9, the parts a
//! migration needs): one whole response with its literals, and its values
//! (atoms, quoted strings, literals, parenthesised lists, NIL).

/// One value of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An atom or number (`FETCH`, `\Seen`, `BODY[]`, `42`).
    Atom(String),
    /// A quoted string or a literal, its bytes.
    Str(Vec<u8>),
    /// A parenthesised list.
    List(Vec<Value>),
    /// `NIL`.
    Nil,
}

impl Value {
    /// The text of an atom or string.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Atom(a) => Some(a.clone()),
            Value::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
            _ => None,
        }
    }
}

/// The literal length announced at the end of `line` (`{123}` or
/// `{123+}` before CRLF), if any.
pub fn literal_at_end(line: &[u8]) -> Option<usize> {
    let l = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|b| *b == b'{')?;
    let n = l[open + 1..].strip_suffix(b"+").unwrap_or(&l[open + 1..]);
    if n.is_empty() || !n.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(n).ok()?.parse().ok()
}

/// Parses the values of `input` (a response after its tag, or a part
/// of it) up to its end or an unmatched `)`. Text it cannot read ends
/// the values.
pub fn values(input: &[u8]) -> Vec<Value> {
    let mut p = Parser { s: input, i: 0 };
    p.list_items()
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn list_items(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            while matches!(self.peek(), Some(b' ' | b'\r' | b'\n')) {
                self.i += 1;
            }
            match self.peek() {
                None | Some(b')') => return out,
                Some(_) => match self.value() {
                    Some(v) => out.push(v),
                    None => return out,
                },
            }
        }
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'(' => {
                self.i += 1;
                let v = self.list_items();
                if self.peek() == Some(b')') {
                    self.i += 1;
                }
                Some(Value::List(v))
            }
            b'"' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    let c = self.peek()?;
                    self.i += 1;
                    match c {
                        b'"' => return Some(Value::Str(out)),
                        b'\\' => {
                            out.push(self.peek()?);
                            self.i += 1;
                        }
                        c => out.push(c),
                    }
                }
            }
            b'{' => {
                let close = self.s[self.i..].iter().position(|b| *b == b'}')? + self.i;
                let spec = std::str::from_utf8(&self.s[self.i + 1..close]).ok()?;
                let n: usize = spec.trim_end_matches('+').parse().ok()?;
                let mut start = close + 1;
                if self.s[start..].starts_with(b"\r\n") {
                    start += 2;
                } else if self.s[start..].starts_with(b"\n") {
                    start += 1;
                }
                let end = start.checked_add(n)?;
                let bytes = self.s.get(start..end)?.to_vec();
                self.i = end;
                Some(Value::Str(bytes))
            }
            _ => {
                let start = self.i;
                let mut depth = 0;
                while let Some(c) = self.peek() {
                    match c {
                        b'[' => depth += 1,
                        b']' if depth > 0 => depth -= 1,
                        b' ' | b'(' | b')' | b'\r' | b'\n' if depth == 0 => break,
                        _ => {}
                    }
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
                let a = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                Some(if a.eq_ignore_ascii_case("NIL") {
                    Value::Nil
                } else {
                    Value::Atom(a)
                })
            }
        }
    }
}

/// The number in a response code of `text` (`[UIDVALIDITY 42]`).
pub fn code_number(text: &[u8], code: &str) -> Option<u32> {
    let t = String::from_utf8_lossy(text);
    let at = t.to_ascii_uppercase().find(&format!("[{code} "))?;
    let rest = &t[at + code.len() + 2..];
    rest.split(']').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_with_literal() {
        let r = b"* 1 FETCH (UID 7 FLAGS (\\Seen $Work) INTERNALDATE \"05-Dec-2026 09:35:39 +0000\" BODY[] {5}\r\nab)\r\n)\r\n";
        let v = values(&r[2..]);
        assert_eq!(v[0], Value::Atom("1".into()));
        let Value::List(items) = &v[2] else {
            panic!("{v:?}")
        };
        assert_eq!(items[0], Value::Atom("UID".into()));
        assert_eq!(
            items[3],
            Value::List(vec![
                Value::Atom("\\Seen".into()),
                Value::Atom("$Work".into())
            ])
        );
        assert_eq!(items[6], Value::Atom("BODY[]".into()));
        assert_eq!(items[7], Value::Str(b"ab)\r\n".to_vec()));
        assert_eq!(literal_at_end(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(
            code_number(b"* OK [UIDVALIDITY 1733] ok", "UIDVALIDITY"),
            Some(1733)
        );
    }
}
