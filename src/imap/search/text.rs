//! Text for SEARCH's string keys: RFC 2047 encoded words in header values,
//! quoted-printable and base64 bodies, charsets through `encoding_rs`, and
//! the case folding both sides of a substring match go through.
//!
//! Matching is by substring on folded text (RFC 9051 section 6.4.4: "case
//! insensitive substring"): both the needle and the haystack are lowered
//! with Unicode's simple lowercase mapping, and runs of white space
//! (including unfolded header line breaks) become one space.

use encoding_rs::Encoding;

/// Folds `s` for matching: lowercase, every run of white space one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The comparison form of `i;unicode-casemap` (RFC 5051), which SORT and
/// THREAD compare (RFC 5256): each character's simple upper case (a
/// stand-in for titlecase, equal outside a few digraphs), then the NFKD
/// decomposition; compared as bytes.
pub fn casemap(s: &str) -> String {
    let upper: String = s
        .chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect();
    icu_normalizer::DecomposingNormalizerBorrowed::new_nfkd()
        .normalize(&upper)
        .into_owned()
}

/// Whether folded `hay` contains folded `needle` (an empty needle always
/// matches).
pub fn contains(hay: &str, needle: &str) -> bool {
    needle.is_empty() || memchr::memmem::find(hay.as_bytes(), needle.as_bytes()).is_some()
}

/// Bytes in `charset` (a MIME or IMAP charset label) as text; unknown
/// charsets and invalid sequences are read leniently (replacement
/// characters; bytes of an unknown charset as UTF-8).
pub fn to_text(bytes: &[u8], charset: Option<&[u8]>) -> String {
    let enc = charset
        .and_then(Encoding::for_label)
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _) = enc.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Decodes base64 leniently: characters outside the alphabet are
/// skipped, `=` ends the data.
pub fn base64(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
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
        acc = ((acc << 6) | u32::from(v)) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Decodes quoted-printable leniently (`underscore`: `_` is a space, as
/// in RFC 2047 Q words); a bad `=` is kept as it is.
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
            // A soft line break at the very end of the data.
            if j == s.len() && !underscore {
                i = j;
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

/// A body decoded per its Content-Transfer-Encoding (7bit, 8bit, binary
/// and unknown encodings as they are).
pub fn decode_transfer(cte: Option<&[u8]>, body: &[u8]) -> Vec<u8> {
    match cte {
        Some(c) if c.eq_ignore_ascii_case(b"base64") => base64(body),
        Some(c) if c.eq_ignore_ascii_case(b"quoted-printable") => quoted_printable(body, false),
        _ => body.to_vec(),
    }
}

/// A header value with RFC 2047 encoded words decoded and every white
/// space run (folding included) as one space; white space between two
/// encoded words is dropped (RFC 2047 section 6.2). Like Dovecot, encoded
/// words are recognised anywhere, even inside a word or a parameter
/// (`name==?UTF-8?B?...?=`). Other bytes are read as UTF-8 (RFC 6532),
/// leniently.
pub fn decode_header(value: &[u8]) -> String {
    fn push_raw(out: &mut String, raw: &[u8]) {
        out.push_str(&String::from_utf8_lossy(raw));
    }
    let mut out = String::with_capacity(value.len());
    let (mut i, mut raw_start) = (0, 0);
    let mut last_word_end = None;
    while let Some(k) = memchr::memmem::find(&value[i..], b"=?") {
        let at = i + k;
        let Some((text, used)) = encoded_word(&value[at..]) else {
            i = at + 2;
            continue;
        };
        let between = &value[raw_start..at];
        let only_ws = between
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        if !(last_word_end == Some(raw_start) && only_ws) {
            push_raw(&mut out, between);
        }
        out.push_str(&text);
        i = at + used;
        raw_start = i;
        last_word_end = Some(i);
    }
    push_raw(&mut out, &value[raw_start..]);
    let mut collapsed = String::with_capacity(out.len());
    let mut space = false;
    for c in out.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if !space {
                collapsed.push(' ');
            }
            space = true;
        } else {
            collapsed.push(c);
            space = false;
        }
    }
    collapsed
}

/// One `=?charset?enc?text?=` at the start of `s`: its text and length.
fn encoded_word(s: &[u8]) -> Option<(String, usize)> {
    let body = s.strip_prefix(b"=?")?;
    let q1 = memchr::memchr(b'?', body)?;
    // RFC 2231 language suffix: `charset*lang`.
    let charset = body[..q1].split(|&b| b == b'*').next().unwrap_or(b"");
    let rest = &body[q1 + 1..];
    let q2 = memchr::memchr(b'?', rest)?;
    let enc = &rest[..q2];
    let text_start = &rest[q2 + 1..];
    let end = memchr::memmem::find(text_start, b"?=")?;
    let text = &text_start[..end];
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc {
        b"B" | b"b" => base64(text),
        b"Q" | b"q" => quoted_printable(text, true),
        _ => return None,
    };
    let used = 2 + q1 + 1 + q2 + 1 + end + 2;
    Some((to_text(&bytes, Some(charset)), used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_rfc2047_section_8() {
        // RFC 2047 section 8, "Examples".
        assert_eq!(decode_header(b"=?ISO-8859-1?Q?a?="), "a");
        assert_eq!(decode_header(b"=?ISO-8859-1?Q?a?= b"), "a b");
        assert_eq!(
            decode_header(b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="),
            "ab"
        );
        assert_eq!(
            decode_header(b"=?ISO-8859-1?Q?a?=  \r\n   =?ISO-8859-1?Q?b?="),
            "ab"
        );
        assert_eq!(decode_header(b"=?ISO-8859-1?Q?a_b?="), "a b");
        assert_eq!(
            decode_header(b"=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="),
            "a b"
        );
        assert_eq!(
            decode_header(b"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
            "Keith Moore <moore@cs.utk.edu>"
        );
        assert_eq!(
            decode_header(b"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>"),
            "Andr\u{e9} Pirard <PIRARD@vm1.ulg.ac.be>"
        );
        assert_eq!(
            decode_header(b"=?utf-8?B?w6lsw6h2ZQ==?="),
            "\u{e9}l\u{e8}ve"
        );
        assert_eq!(decode_header(b"plain =?bogus"), "plain =?bogus");
        // Anywhere in a word, as Dovecot decodes (a parameter value).
        assert_eq!(
            decode_header(b"x; name==?UTF-8?B?Y2Fmw6kudHh0?="),
            "x; name=caf\u{e9}.txt"
        );
        assert_eq!(decode_header(b"a \t\r\n b"), "a b");
    }

    #[test]
    fn folding_and_bodies() {
        assert_eq!(
            fold("Hello\r\n\tWORLD  \u{c9}t\u{c9}"),
            "hello world \u{e9}t\u{e9}"
        );
        assert!(contains(&fold("Ab Cd"), &fold("B c")));
        assert!(contains("x", ""));
        assert_eq!(
            quoted_printable(b"caf=C3=A9 =\r\nok", false),
            "caf\u{e9} ok".as_bytes()
        );
        assert_eq!(base64(b"aGVs\r\nbG8="), b"hello");
        assert_eq!(quoted_printable(b"end=", false), b"end");
        assert_eq!(quoted_printable(b"a = b", false), b"a = b");
        assert_eq!(to_text(b"caf\xe9", Some(b"iso-8859-1")), "caf\u{e9}");
        assert_eq!(to_text(b"\x82\xa0", Some(b"shift_jis")), "\u{3042}");
        // RFC 5051: "\u{e9}" titlecases to "\u{c9}", which decomposes to
        // "E" and U+0301; "\u{df}" and the ligature "\u{fb01}" have no
        // one-character title case, and the ligature decomposes to "fi".
        assert_eq!(casemap("\u{e9}lody"), "E\u{301}LODY");
        assert_eq!(casemap("stra\u{df}e \u{fb01}"), "STRA\u{df}E fi");
    }
}
