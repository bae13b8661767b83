//! The encoded-character extension (RFC 5228 2.4.2.4): `${hex:...}` and
//! `${unicode:...}` in strings, decoded when the script is compiled.
//! A malformed encoding is left as it is.

/// Decodes every well-formed `${hex:..}` / `${unicode:..}` in `s`.
pub fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match one(tail) {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &tail[used..];
            }
            None => {
                out.push_str("${");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes one encoding at the start of `s` (which starts with `${`):
/// returns the text and the bytes used.
fn one(s: &str) -> Option<(String, usize)> {
    let close = s.find('}')?;
    let inner = &s[2..close];
    let colon = inner.find(':')?;
    let (kind, body) = (inner[..colon].to_ascii_lowercase(), &inner[colon + 1..]);
    let words = body
        .split([' ', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty());
    if body.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
        return None;
    }
    let text = match kind.as_str() {
        "hex" => {
            let mut bytes = Vec::new();
            for w in words {
                if w.len() > 2 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                bytes.push(u8::from_str_radix(w, 16).ok()?);
            }
            String::from_utf8(bytes).ok()?
        }
        "unicode" => {
            let mut t = String::new();
            for w in words {
                if w.len() > 6 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                t.push(char::from_u32(u32::from_str_radix(w, 16).ok()?)?);
            }
            t
        }
        _ => return None,
    };
    Some((text, close + 1))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_hex_and_unicode_and_leaves_bad_ones() {
        assert_eq!(decode("${hex:24 24}"), "$$");
        assert_eq!(decode("a${unicode:263a}b"), "a\u{263a}b");
        assert_eq!(decode("${hex:zz}"), "${hex:zz}");
        assert_eq!(decode("${HEX: 41 }${x}"), "A${x}");
    }
}
