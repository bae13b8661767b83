//! Content-* header values: type/subtype, parameters (RFC 2045) with
//! RFC 2231 continuations merged the way Dovecot's `rfc2231-parser.c`
//! merges them, Content-Transfer-Encoding, Content-Disposition and
//! Content-Language.

use super::rfc822::{Parser, Step};

/// One parameter, name and value as the server shows them.
pub type Param = (Vec<u8>, Vec<u8>);

/// A parsed `type/subtype`, or failure; then the text read so far.
pub type TypeResult = (Result<(Vec<u8>, Vec<u8>), ()>, Vec<u8>);

/// `type "/" subtype`, followed by the end or `;`. On failure returns
/// what Dovecot keeps: a type running to the end of the value (`text`),
/// else nothing (the scanner and BODYSTRUCTURE show `"text" ""`, `"" ""`).
pub fn content_type(p: &mut Parser<'_>) -> TypeResult {
    let mut ty = Vec::new();
    if p.skip_lwsp() != Step::More {
        return (Err(()), ty);
    }
    match p.mime_token(&mut ty) {
        Step::More if !ty.is_empty() => {}
        Step::More => return (Err(()), Vec::new()),
        _ => return (Err(()), ty),
    }
    if !p.at(b'/') {
        return (Err(()), Vec::new());
    }
    p.pos += 1;
    if p.skip_lwsp() != Step::More {
        return (Err(()), Vec::new());
    }
    let mut sub = Vec::new();
    let r = p.mime_token(&mut sub);
    if r == Step::Err || sub.is_empty() || (r == Step::More && !p.at(b';')) {
        return (Err(()), Vec::new());
    }
    let mut full = ty.clone();
    full.push(b'/');
    full.extend_from_slice(&sub);
    (Ok((ty, sub)), full)
}

/// One `; attribute = value`: `None` at the end, `Some(Err)` when
/// malformed, else the pair.
fn content_param(p: &mut Parser<'_>) -> Option<Result<Param, ()>> {
    if p.eof() {
        return None;
    }
    if !p.at(b';') {
        return Some(Err(()));
    }
    p.pos += 1;
    if p.skip_lwsp() != Step::More {
        return Some(Err(()));
    }
    let mut key = Vec::new();
    if p.mime_token(&mut key) != Step::More {
        return Some(Err(()));
    }
    if p.skip_lwsp() != Step::More || !p.at(b'=') {
        return Some(Err(()));
    }
    p.pos += 1;
    let mut value = Vec::new();
    let r = p.skip_lwsp();
    let r = if r != Step::More {
        r
    } else if p.at(b'"') {
        p.quoted_string(&mut value)
    } else if p.at(b'=') {
        // Broken input seen in the wild: name==?utf-8?b?...?=
        while let Some(b) = p.peek() {
            if matches!(b, b';' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            value.push(b);
            p.pos += 1;
        }
        Step::More
    } else {
        p.mime_token(&mut value)
    };
    if r == Step::Err {
        Some(Err(()))
    } else {
        Some(Ok((key, value)))
    }
}

struct Rfc2231 {
    key: Vec<u8>,
    idx: u32,
    extended: bool,
    value: Vec<u8>,
}

/// All parameters after the type (or disposition): plain ones in order,
/// then RFC 2231 ones merged per name (sorted by name), as Dovecot does.
pub fn parameters(p: &mut Parser<'_>) -> Vec<Param> {
    let mut result = Vec::new();
    let mut ext: Vec<Rfc2231> = Vec::new();
    // Dovecot keeps the index of the previous `name*N` for a bare `name*`.
    let mut idx_state = 0u32;
    while let Some(r) = content_param(p) {
        let (key, value) = match r {
            Ok(kv) => kv,
            Err(()) => {
                if p.eof() {
                    break;
                }
                p.pos += 1;
                continue;
            }
        };
        let Some(star) = key.iter().position(|&b| b == b'*') else {
            result.push((key, value));
            continue;
        };
        let mut i = star;
        if i + 1 < key.len() {
            i += 1;
            idx_state = 0;
            while i < key.len() && key[i].is_ascii_digit() {
                idx_state = idx_state
                    .wrapping_mul(10)
                    .wrapping_add(u32::from(key[i] - b'0'));
                i += 1;
            }
        }
        let extended = i < key.len() && key[i] == b'*';
        if extended {
            i += 1;
        }
        if i == key.len() {
            ext.push(Rfc2231 {
                key: key[..star].to_vec(),
                idx: idx_state,
                extended,
                value,
            });
        } else {
            result.push((key, value));
        }
    }
    if ext.is_empty() {
        return result;
    }
    ext.sort_by(|a, b| {
        a.key
            .to_ascii_lowercase()
            .cmp(&b.key.to_ascii_lowercase())
            .then(a.idx.cmp(&b.idx))
    });
    let mut i = 0;
    while i < ext.len() {
        let mut j = i;
        let mut ok = true;
        let mut have_extended = false;
        let mut next_idx = 0u32;
        while j < ext.len() && ext[j].key.eq_ignore_ascii_case(&ext[i].key) {
            if ext[j].idx != next_idx {
                ok = false;
            }
            have_extended |= ext[j].extended;
            next_idx = next_idx.wrapping_add(1);
            j += 1;
        }
        if !ok {
            for e in &ext[i..j] {
                let mut key = e.key.clone();
                key.extend_from_slice(format!("*{}", e.idx).as_bytes());
                if e.extended {
                    key.push(b'*');
                }
                result.push((key, e.value.clone()));
            }
        } else {
            let mut value = Vec::new();
            if !ext[i].extended && have_extended {
                value.extend_from_slice(b"''");
            }
            for e in &ext[i..j] {
                if !e.extended && have_extended {
                    for &b in &e.value {
                        if b == b'%' {
                            value.extend_from_slice(b"%25");
                        } else {
                            value.push(b);
                        }
                    }
                } else {
                    value.extend_from_slice(&e.value);
                }
            }
            let mut key = ext[i].key.clone();
            if have_extended {
                key.push(b'*');
            }
            result.push((key, value));
        }
        i = j;
    }
    result
}

/// Content-Transfer-Encoding: one token and nothing else, else absent.
pub fn transfer_encoding(value: &[u8]) -> Option<Vec<u8>> {
    let mut p = Parser::new(value, false);
    p.skip_lwsp();
    let mut tok = Vec::new();
    if p.mime_token(&mut tok) != Step::Err && p.skip_lwsp() == Step::End && !tok.is_empty() {
        Some(tok)
    } else {
        None
    }
}

/// Content-Disposition: the disposition token and its parameters.
pub fn disposition(value: &[u8]) -> Option<(Vec<u8>, Vec<Param>)> {
    let mut p = Parser::new(value, false);
    p.skip_lwsp();
    let mut tok = Vec::new();
    if p.mime_token(&mut tok) == Step::Err {
        return None;
    }
    let params = parameters(&mut p);
    Some((tok, params))
}

/// Content-Language: a comma-separated list of tags.
pub fn languages(value: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut p = Parser::new(value, false);
    let mut langs = Vec::new();
    p.skip_lwsp();
    while !p.eof() {
        let mut tok = Vec::new();
        if p.mime_token(&mut tok) == Step::Err {
            break;
        }
        langs.push(tok);
        if !p.at(b',') {
            break;
        }
        p.pos += 1;
        p.skip_lwsp();
    }
    (!langs.is_empty()).then_some(langs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<Param>) {
        let mut p = Parser::new(v, false);
        p.skip_lwsp();
        let (r, _) = content_type(&mut p);
        let (t, s) = r.unwrap_or_default();
        (t, s, parameters(&mut p))
    }

    #[test]
    fn simple() {
        let (t, s, ps) = parse(b"Text/Plain; charset=\"utf-8\"; format=flowed");
        assert_eq!((t.as_slice(), s.as_slice()), (&b"Text"[..], &b"Plain"[..]));
        assert_eq!(ps[0], (b"charset".to_vec(), b"utf-8".to_vec()));
        assert_eq!(ps[1], (b"format".to_vec(), b"flowed".to_vec()));
    }

    #[test]
    fn rfc2231_merge() {
        let (_, _, ps) = parse(b"application/x; name*1=\"b%c\"; name*0*=utf-8''a%20; x=y");
        assert_eq!(ps[0], (b"x".to_vec(), b"y".to_vec()));
        assert_eq!(ps[1], (b"name*".to_vec(), b"utf-8''a%20b%25c".to_vec()));
        let (_, _, ps) = parse(b"application/x; name*0=a; name*2=c");
        assert_eq!(ps[0].0, b"name*0");
        assert_eq!(ps[1].0, b"name*2");
    }

    #[test]
    fn no_subtype() {
        let mut p = Parser::new(b"text", false);
        let (r, partial) = content_type(&mut p);
        assert!(r.is_err());
        assert_eq!(partial, b"text");
    }
}
