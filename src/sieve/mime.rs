//! A minimal MIME splitter and decoders (RFC 2045, 2046, 2047) for the
//! body test and for header values; nothing more than Sieve needs.

use super::message::split_head;

/// A leaf part of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `type/subtype`, lower-cased (`text/plain` when absent).
    pub content_type: String,
    /// The decoded content.
    pub text: String,
}

/// Decodes base64, skipping anything outside the alphabet.
pub fn base64(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Decodes quoted-printable (`underscore` turns `_` into a space, as in
/// RFC 2047 Q words).
pub fn quoted_printable(s: &[u8], underscore: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'=' {
            if let (Some(a), Some(b)) = (
                s.get(i + 1).and_then(|&a| hexval(a)),
                s.get(i + 2).and_then(|&b| hexval(b)),
            ) {
                out.push(a * 16 + b);
                i += 3;
                continue;
            }
            // Soft line break: `=` then optional white space then EOL.
            let mut j = i + 1;
            while j < s.len() && (s[j] == b' ' || s[j] == b'\t') {
                j += 1;
            }
            if s.get(j) == Some(&b'\r') {
                j += 1;
            }
            if s.get(j) == Some(&b'\n') {
                i = j + 1;
                continue;
            }
            out.push(c);
        } else if underscore && c == b'_' {
            out.push(b' ');
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Converts bytes in `charset` to text (UTF-8, US-ASCII and ISO-8859-1
/// exactly; anything else lossily as UTF-8).
pub fn to_text(bytes: &[u8], charset: &str) -> String {
    let cs = charset.to_ascii_lowercase();
    if cs == "iso-8859-1" || cs == "latin1" || cs == "windows-1252" {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Decodes RFC 2047 encoded words in a header value; white space between
/// two adjacent encoded words is dropped.
pub fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut pending_ws = String::new();
    let mut last_was_word = false;
    while let Some(i) = rest.find("=?") {
        let before = &rest[..i];
        let Some(w) = encoded_word(&rest[i..]) else {
            out.push_str(&pending_ws);
            pending_ws.clear();
            out.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            last_was_word = false;
            continue;
        };
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&w.0);
        rest = &rest[i + w.1..];
        last_was_word = true;
        pending_ws.clear();
    }
    out.push_str(rest);
    out
}

/// One `=?charset?enc?text?=`: its text and length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let body = &s[2..];
    let q1 = body.find('?')?;
    let charset = body[..q1].split('*').next().unwrap_or("");
    let rest = &body[q1 + 1..];
    let q2 = rest.find('?')?;
    let enc = &rest[..q2];
    let text_start = &rest[q2 + 1..];
    let end = text_start.find("?=")?;
    let text = &text_start[..end];
    if text.contains(' ') {
        return None;
    }
    let bytes = match enc {
        "B" | "b" => base64(text.as_bytes()),
        "Q" | "q" => quoted_printable(text.as_bytes(), true),
        _ => return None,
    };
    let used = 2 + q1 + 1 + q2 + 1 + end + 2;
    Some((to_text(&bytes, charset), used))
}

/// A parameter of a structured header value (`boundary`, `charset`).
pub fn param(value: &str, name: &str) -> Option<String> {
    for p in value.split(';').skip(1) {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// The leaf parts of an entity with the given Content-Type and
/// Content-Transfer-Encoding; nested multiparts are walked up to a depth.
pub fn parts(ct: Option<&str>, cte: Option<&str>, body: &[u8], depth: usize) -> Vec<Part> {
    let ct_raw = ct.unwrap_or("text/plain");
    let mime_type = ct_raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mime_type = if mime_type.contains('/') {
        mime_type
    } else {
        "text/plain".to_string()
    };
    if mime_type.starts_with("multipart/")
        && depth < 16
        && let Some(b) = param(ct_raw, "boundary")
    {
        {
            let mut out = Vec::new();
            for sub in split_multipart(body, &b) {
                let (fields, sbody) = split_head(sub);
                let get = |n: &str| {
                    fields
                        .iter()
                        .find(|f| f.name.eq_ignore_ascii_case(n))
                        .map(|f| f.raw.clone())
                };
                out.extend(parts(
                    get("content-type").as_deref().or(Some("text/plain")),
                    get("content-transfer-encoding").as_deref(),
                    sbody,
                    depth + 1,
                ));
            }
            return out;
        }
    }
    if mime_type == "message/rfc822" && depth < 16 {
        let (fields, sbody) = split_head(body);
        let get = |n: &str| {
            fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(n))
                .map(|f| f.raw.clone())
        };
        let mut out = vec![Part {
            content_type: mime_type.clone(),
            text: String::from_utf8_lossy(body).into_owned(),
        }];
        out.extend(parts(
            get("content-type").as_deref(),
            get("content-transfer-encoding").as_deref(),
            sbody,
            depth + 1,
        ));
        return out;
    }
    let decoded = match cte.map(|c| c.trim().to_ascii_lowercase()).as_deref() {
        Some("base64") => base64(body),
        Some("quoted-printable") => quoted_printable(body, false),
        _ => body.to_vec(),
    };
    let charset = param(ct_raw, "charset").unwrap_or_else(|| "us-ascii".into());
    vec![Part {
        content_type: mime_type,
        text: to_text(&decoded, &charset),
    }]
}

/// The bodies between `--boundary` lines (preamble and epilogue dropped).
pub fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delim = format!("--{boundary}");
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i + 1)
            .unwrap_or(body.len());
        let line = &body[pos..end];
        let t = {
            let l = line.strip_suffix(b"\n").unwrap_or(line);
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let mut l = l;
            while let Some(x) = l.strip_suffix(b" ").or_else(|| l.strip_suffix(b"\t")) {
                l = x;
            }
            l
        };
        if t.starts_with(delim.as_bytes()) {
            let tail = &t[delim.len()..];
            if tail.is_empty() || tail == b"--" {
                if let Some(s) = start {
                    // The CRLF before the delimiter belongs to it.
                    let mut e = pos;
                    if e > s && body[e - 1] == b'\n' {
                        e -= 1;
                        if e > s && body[e - 1] == b'\r' {
                            e -= 1;
                        }
                    }
                    out.push(&body[s..e]);
                }
                if tail == b"--" {
                    return out;
                }
                start = Some(end);
            }
        }
        pos = end;
    }
    if let Some(s) = start {
        out.push(&body[s..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders() {
        assert_eq!(base64(b"aGVsbG8="), b"hello");
        assert_eq!(quoted_printable(b"a=3Db=\r\nc", false), b"a=bc");
        assert_eq!(
            decode_words("=?utf-8?q?caf=C3=A9?= =?utf-8?b?IQ==?= x"),
            "café! x"
        );
    }

    #[test]
    fn splits_multipart() {
        let body = b"pre\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n";
        let p = parts(Some("multipart/mixed; boundary=b"), None, body, 0);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].text, "hello");
        assert_eq!(p[1].content_type, "text/html");
    }
}
