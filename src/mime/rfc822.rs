//! The RFC 5322 / RFC 2045 lexical layer used to read structured header
//! values (addresses, Content-Type, parameters), with the same lenient
//! recovery as Dovecot's `rfc822-parser.c`, so that malformed values give
//! the same answers.
//!
//! Every function returns [`Step`]: more input follows, end of input, or an
//! error. Each consumes input on every loop turn, so all work is linear.

/// Result of a lexical step, like the C convention 1 / 0 / -1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Parsed; more input follows.
    More,
    /// Parsed; the input is exhausted.
    End,
    /// Malformed input.
    Err,
}

impl Step {
    /// True for [`Step::More`].
    pub fn more(self) -> bool {
        self == Step::More
    }
}

/// RFC 5322 `atext`, plus every 8-bit byte (accepted as text).
pub fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80 || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// A MIME `token` byte other than `.`: `atext` without `/`, `?` and `=`.
fn is_token_char(b: u8) -> bool {
    is_atext(b) && b != b'/' && b != b'?' && b != b'='
}

/// A cursor over a header value.
#[derive(Debug)]
pub struct Parser<'a> {
    /// The value being read.
    pub data: &'a [u8],
    /// Current position in `data`.
    pub pos: usize,
    /// The text of the last comment skipped, when collecting comments.
    pub last_comment: Option<Vec<u8>>,
}

impl<'a> Parser<'a> {
    /// A parser over `data`; `comments` keeps the last comment's text.
    pub fn new(data: &'a [u8], comments: bool) -> Self {
        Parser {
            data,
            pos: 0,
            last_comment: comments.then(Vec::new),
        }
    }

    /// The current byte, if any.
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// True when the current byte is `b`.
    pub fn at(&self, b: u8) -> bool {
        self.peek() == Some(b)
    }

    /// True when the input is exhausted.
    pub fn eof(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn state(&self) -> Step {
        if self.eof() { Step::End } else { Step::More }
    }

    /// Skips a comment starting at `(`, nested comments and `\` escapes
    /// included; keeps its text (minus escapes and line breaks) when
    /// collecting comments.
    fn skip_comment(&mut self) -> Step {
        if let Some(c) = self.last_comment.as_mut() {
            c.clear();
        }
        self.pos += 1;
        let mut level = 1u32;
        let mut start = self.pos;
        while self.pos < self.data.len() {
            match self.data[self.pos] {
                b'(' => level += 1,
                b')' => {
                    level -= 1;
                    if level == 0 {
                        if let Some(c) = self.last_comment.as_mut() {
                            c.extend_from_slice(&self.data[start..self.pos]);
                        }
                        self.pos += 1;
                        return self.state();
                    }
                }
                b'\n' => {
                    // Folding: the line break is not part of the text.
                    if let Some(c) = self.last_comment.as_mut() {
                        let mut end = self.pos;
                        if end > start && self.data[end - 1] == b'\r' {
                            end -= 1;
                        }
                        c.extend_from_slice(&self.data[start..end]);
                        start = self.pos + 1;
                    }
                }
                b'\\' => {
                    if let Some(c) = self.last_comment.as_mut() {
                        c.extend_from_slice(&self.data[start..self.pos]);
                    }
                    start = self.pos + 1;
                    self.pos += 1;
                    if self.pos >= self.data.len() {
                        break;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        // Unterminated: what was kept at line breaks and backslashes stays.
        Step::Err
    }

    /// Skips white space, line breaks and comments.
    pub fn skip_lwsp(&mut self) -> Step {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' => {
                    if self.skip_comment() == Step::Err {
                        return Step::Err;
                    }
                }
                _ => break,
            }
        }
        self.state()
    }

    /// `quoted-string`, starting at `"`: appends the content with escapes
    /// and folding line breaks removed, then skips white space.
    pub fn quoted_string(&mut self, out: &mut Vec<u8>) -> Step {
        // Unterminated: what was read up to its last line break or
        // backslash stays, as in Dovecot.
        self.quoted_string_inner(out).1
    }

    fn quoted_string_inner(&mut self, out: &mut Vec<u8>) -> (bool, Step) {
        self.pos += 1;
        let mut start = self.pos;
        while self.pos < self.data.len() {
            match self.data[self.pos] {
                b'"' => {
                    out.extend_from_slice(&self.data[start..self.pos]);
                    self.pos += 1;
                    return (true, self.skip_lwsp());
                }
                b'\n' => {
                    let mut end = self.pos;
                    if end > start && self.data[end - 1] == b'\r' {
                        end -= 1;
                    }
                    out.extend_from_slice(&self.data[start..end]);
                    start = self.pos + 1;
                }
                b'\\' => {
                    out.extend_from_slice(&self.data[start..self.pos]);
                    self.pos += 1;
                    if self.pos >= self.data.len() {
                        return (false, Step::Err);
                    }
                    start = self.pos;
                }
                _ => {}
            }
            self.pos += 1;
        }
        (false, Step::Err)
    }

    /// A run of `atext` and `.` (possibly empty), then white space.
    pub fn atom_or_dot(&mut self, out: &mut Vec<u8>) -> Step {
        let start = self.pos;
        while self.peek().is_some_and(|b| is_atext(b) || b == b'.') {
            self.pos += 1;
        }
        out.extend_from_slice(&self.data[start..self.pos]);
        if self.eof() {
            return Step::End;
        }
        self.skip_lwsp()
    }

    /// `atom`: one or more `atext`, then white space.
    pub fn atom(&mut self, out: &mut Vec<u8>) -> Step {
        if !self.peek().is_some_and(is_atext) {
            return Step::Err;
        }
        let start = self.pos;
        while self.peek().is_some_and(is_atext) {
            self.pos += 1;
        }
        out.extend_from_slice(&self.data[start..self.pos]);
        if self.eof() {
            return Step::End;
        }
        self.skip_lwsp()
    }

    /// `dot-atom`, with white space allowed around the dots.
    pub fn dot_atom(&mut self, out: &mut Vec<u8>) -> Step {
        if !self.peek().is_some_and(is_atext) {
            return Step::Err;
        }
        let mut start = self.pos;
        self.pos += 1;
        while self.pos < self.data.len() {
            if is_atext(self.data[self.pos]) {
                self.pos += 1;
                continue;
            }
            out.extend_from_slice(&self.data[start..self.pos]);
            let r = self.skip_lwsp();
            if r != Step::More {
                return r;
            }
            if !self.at(b'.') {
                return Step::More;
            }
            self.pos += 1;
            out.push(b'.');
            let r = self.skip_lwsp();
            if r != Step::More {
                return r;
            }
            start = self.pos;
        }
        out.extend_from_slice(&self.data[start..self.pos]);
        Step::End
    }

    /// A MIME `token` (atext without tspecials, plus `.`), possibly empty,
    /// then white space.
    pub fn mime_token(&mut self, out: &mut Vec<u8>) -> Step {
        let start = self.pos;
        while self.peek().is_some_and(|b| is_token_char(b) || b == b'.') {
            self.pos += 1;
        }
        out.extend_from_slice(&self.data[start..self.pos]);
        if self.eof() {
            return Step::End;
        }
        self.skip_lwsp()
    }

    /// `phrase`: words (atoms or quoted strings) joined by single spaces.
    pub fn phrase(&mut self, out: &mut Vec<u8>) -> Step {
        if self.eof() {
            return Step::End;
        }
        if self.at(b'.') {
            return Step::Err;
        }
        loop {
            let r = if self.at(b'"') {
                self.quoted_string(out)
            } else {
                self.atom_or_dot(out)
            };
            if r != Step::More {
                return r;
            }
            match self.peek() {
                Some(b) if is_atext(b) || b == b'"' || b == b'.' => out.push(b' '),
                _ => break,
            }
        }
        self.skip_lwsp()
    }

    /// `domain` after `@`: a dot-atom or a `[domain-literal]`.
    pub fn domain(&mut self, out: &mut Vec<u8>) -> Step {
        self.pos += 1;
        if self.skip_lwsp() != Step::More {
            return Step::Err;
        }
        if self.at(b'[') {
            self.domain_literal(out)
        } else {
            self.dot_atom(out)
        }
    }

    fn domain_literal(&mut self, out: &mut Vec<u8>) -> Step {
        let mut start = self.pos;
        self.pos += 1;
        while self.pos < self.data.len() {
            match self.data[self.pos] {
                b'[' => return Step::Err,
                b'\\' => {
                    // The backslash stays in the output.
                    self.pos += 1;
                    if self.pos >= self.data.len() {
                        return Step::Err;
                    }
                }
                b']' => {
                    self.pos += 1;
                    out.extend_from_slice(&self.data[start..self.pos]);
                    return self.skip_lwsp();
                }
                b'\n' => {
                    let mut end = self.pos;
                    if end > start && self.data[end - 1] == b'\r' {
                        end -= 1;
                    }
                    out.extend_from_slice(&self.data[start..end]);
                    start = self.pos + 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Step::Err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_joins_words() {
        let mut p = Parser::new(b"Joe (x) \"Q. Pub\\\"lic\" <a@b>", false);
        let mut out = Vec::new();
        assert_eq!(p.phrase(&mut out), Step::More);
        assert_eq!(out, b"Joe Q. Pub\"lic");
        assert!(p.at(b'<'));
    }

    #[test]
    fn comments_are_kept() {
        let mut p = Parser::new(b"  (a (nested) \\) c)x", true);
        assert_eq!(p.skip_lwsp(), Step::More);
        assert_eq!(p.last_comment.as_deref(), Some(&b"a (nested) ) c"[..]));
    }

    #[test]
    fn unterminated() {
        assert_eq!(Parser::new(b"(abc", false).skip_lwsp(), Step::Err);
        assert_eq!(
            Parser::new(b"\"abc", false).quoted_string(&mut Vec::new()),
            Step::Err
        );
    }
}
