//! Tokens of RFC 5228 section 8.1, read with nom.
//!
//! The lexer turns the script into a flat list of [`Token`]s, each with the
//! byte offset where it starts, so the parser can report line and column.
//! Comments (`#...` and `/* ... */`) and white space are skipped here.

use nom::{
    IResult, Parser,
    bytes::complete::{tag_no_case, take_until, take_while, take_while1},
    character::complete::{digit1, one_of},
    combinator::{opt, recognize},
    sequence::pair,
};

use super::error::SieveError;

/// One token of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`
    Ident(String),
    /// `tag = ":" identifier`, without the colon.
    Tag(String),
    /// `number = 1*DIGIT [ QUANTIFIER ]`, the quantifier applied.
    Number(u64),
    /// `quoted-string / multi-line`, unescaped.
    Str(String),
    /// One of `[ ] ( ) { } , ;`.
    Punct(char),
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its byte offset in the script.
    pub at: usize,
}

/// `white-space = 1*(SP / CRLF / HTAB) / comment`; returns the rest.
fn skip_ws(mut s: &str) -> Result<&str, (usize, &'static str)> {
    loop {
        let t = s.trim_start_matches([' ', '\t', '\r', '\n']);
        if let Some(r) = t.strip_prefix('#') {
            s = match r.find('\n') {
                Some(i) => &r[i + 1..],
                None => "",
            };
        } else if let Some(r) = t.strip_prefix("/*") {
            let found: IResult<&str, &str> = take_until("*/").parse(r);
            match found {
                Ok((rest, _)) => s = &rest[2..],
                Err(_) => return Err((0, "unterminated bracket comment")),
            }
        } else {
            return Ok(t);
        }
    }
}

/// `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`
fn identifier(s: &str) -> IResult<&str, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(s)
}

/// `number = 1*DIGIT [ QUANTIFIER ]`, `QUANTIFIER = "K" / "M" / "G"`
fn number(s: &str) -> IResult<&str, (&str, Option<char>)> {
    pair(digit1, opt(one_of("KMGkmg"))).parse(s)
}

/// `quoted-string = DQUOTE quoted-text DQUOTE`; a backslash quotes the
/// next character (RFC 5228 2.4.2: any escaped character stands for itself).
fn quoted(s: &str) -> Result<(&str, String), &'static str> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((&s[i + 1..], out)),
            '\\' => match chars.next() {
                Some((_, c2)) => out.push(c2),
                None => break,
            },
            _ => out.push(c),
        }
    }
    Err("unterminated quoted string")
}

/// `multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF)
/// *(multiline-literal / multiline-dotstart) "." CRLF`
fn multiline(s: &str) -> Result<(&str, String), (usize, &'static str)> {
    let head: IResult<&str, &str> = take_while(|c| c == ' ' || c == '\t').parse(s);
    let Ok((mut r, _)) = head else {
        return Err((0, "bad multi-line string"));
    };
    if r.starts_with('#') || r.starts_with("\r\n") || r.starts_with('\n') {
        r = match r.find('\n') {
            Some(i) => &r[i + 1..],
            None => return Err((0, "unterminated multi-line string")),
        };
    } else {
        return Err((s.len() - r.len(), "expected end of line after text:"));
    }
    let mut out = String::new();
    loop {
        if r.is_empty() {
            return Err((s.len(), "unterminated multi-line string (no \".\" line)"));
        }
        let (line, next) = match r.find('\n') {
            Some(i) => (&r[..=i], &r[i + 1..]),
            None => (r, ""),
        };
        let bare = line.trim_end_matches('\n').trim_end_matches('\r');
        if bare == "." {
            return Ok((next, out));
        }
        let line = line.strip_prefix('.').unwrap_or(line);
        // Lines end in CRLF inside the value (RFC 5228 2.4.2).
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        out.push_str(content);
        if line.ends_with('\n') {
            out.push_str("\r\n");
        }
        r = next;
    }
}

/// Splits a whole script into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, SieveError> {
    let mut out = Vec::new();
    let mut s = src;
    let at = |rest: &str| src.len() - rest.len();
    loop {
        s = skip_ws(s).map_err(|(_, m)| SieveError::at(src, at(s), m))?;
        if s.is_empty() {
            return Ok(out);
        }
        let start = at(s);
        let c = s.chars().next().unwrap_or(' ');
        if "[](){},;".contains(c) {
            out.push(Token {
                tok: Tok::Punct(c),
                at: start,
            });
            s = &s[1..];
        } else if c == '"' {
            let (rest, v) = quoted(&s[1..]).map_err(|m| SieveError::at(src, start, m))?;
            out.push(Token {
                tok: Tok::Str(v),
                at: start,
            });
            s = rest;
        } else if c == ':' {
            let (rest, id) = identifier(&s[1..])
                .map_err(|_| SieveError::at(src, start, "expected a tag name after ':'"))?;
            out.push(Token {
                tok: Tok::Tag(id.to_ascii_lowercase()),
                at: start,
            });
            s = rest;
        } else if c.is_ascii_digit() {
            let (rest, (digits, q)) =
                number(s).map_err(|_| SieveError::at(src, start, "bad number"))?;
            let mul: u64 = match q.map(|q| q.to_ascii_uppercase()) {
                Some('K') => 1 << 10,
                Some('M') => 1 << 20,
                Some('G') => 1 << 30,
                _ => 1,
            };
            let n = digits
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(mul))
                .filter(|n| *n <= u32::MAX as u64 * 2)
                .ok_or_else(|| SieveError::at(src, start, "number too large"))?;
            out.push(Token {
                tok: Tok::Number(n),
                at: start,
            });
            s = rest;
        } else if let Ok((rest, id)) = identifier(s) {
            let text: IResult<&str, &str> = tag_no_case("text:").parse(s);
            if let Ok((r2, _)) = text {
                let (rest2, v) =
                    multiline(r2).map_err(|(o, m)| SieveError::at(src, at(r2) + o, m))?;
                out.push(Token {
                    tok: Tok::Str(v),
                    at: start,
                });
                s = rest2;
            } else {
                out.push(Token {
                    tok: Tok::Ident(id.to_ascii_lowercase()),
                    at: start,
                });
                s = rest;
            }
        } else {
            return Err(SieveError::at(
                src,
                start,
                &format!("unexpected character {c:?}"),
            ));
        }
    }
}
