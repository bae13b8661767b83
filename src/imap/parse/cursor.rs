//! The byte cursor the grammar rules read a framed command with: one
//! function per lexical rule of RFC 9051 section 9 (and RFC 3501 section
//! 9), none of which panics or reads past the end.

use std::num::NonZeroU32;

use super::ParseError;
use crate::imap::types::{Date, DateTime, Flag, MONTHS, SeqNum, SeqRange, SeqSet, days_from_civil};

/// A read position in one framed command (its literals inline).
#[derive(Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Parenthesis depth now open (bounded by `max_depth`).
    pub depth: usize,
    /// The deepest nesting allowed.
    pub max_depth: usize,
    /// Names are UTF-8 (UTF8=ACCEPT / IMAP4rev2).
    pub utf8: bool,
}

/// Result of a grammar rule.
pub type PResult<T> = Result<T, ParseError>;

/// `ATOM-CHAR`: any CHAR except atom-specials.
pub fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// `ASTRING-CHAR`: ATOM-CHAR or `]`.
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// `list-char`: ATOM-CHAR, list-wildcards, resp-specials.
pub fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8], max_depth: usize, utf8: bool) -> Self {
        Cursor {
            buf,
            pos: 0,
            depth: 0,
            max_depth,
            utf8,
        }
    }

    /// A syntax error at the current position.
    pub fn err(&self, what: impl Into<String>) -> ParseError {
        ParseError::bad(what)
    }

    /// The next byte, without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Whether the command line ends here (only CRLF is left).
    pub fn at_end(&self) -> bool {
        self.buf.get(self.pos..) == Some(b"\r\n") || self.pos >= self.buf.len()
    }

    /// Consumes `b` if it comes next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Requires `b` next.
    pub fn expect(&mut self, b: u8) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.err(format!("expected {:?}", b as char)))
        }
    }

    /// `SP`
    pub fn sp(&mut self) -> PResult<()> {
        self.expect(b' ')
    }

    /// The final CRLF: nothing may follow the command.
    pub fn end(&mut self) -> PResult<()> {
        if self.buf.get(self.pos..) == Some(b"\r\n") {
            self.pos += 2;
            Ok(())
        } else {
            Err(self.err("unexpected characters at the end of the command"))
        }
    }

    /// Opens a parenthesis, counting the nesting depth.
    pub fn open(&mut self) -> PResult<()> {
        self.expect(b'(')?;
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(ParseError::limit("parentheses nested too deeply"));
        }
        Ok(())
    }

    /// Closes a parenthesis.
    pub fn close(&mut self) -> PResult<()> {
        self.expect(b')')?;
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    /// Consumes `word` case-insensitively if it comes next and is not
    /// followed by another atom character.
    pub fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        match self.buf.get(self.pos..end) {
            Some(s) if s.eq_ignore_ascii_case(word.as_bytes()) => {
                if self
                    .buf
                    .get(end)
                    .is_some_and(|&b| is_atom_char(b) && b != b'[')
                {
                    return false;
                }
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    /// Consumes exactly `s` (case-insensitive), with no word-boundary check.
    pub fn tag_ci(&mut self, s: &str) -> bool {
        let end = self.pos + s.len();
        match self.buf.get(self.pos..end) {
            Some(x) if x.eq_ignore_ascii_case(s.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    /// Takes bytes while `f` holds.
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    /// `atom` as text.
    pub fn atom(&mut self) -> PResult<String> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            return Err(self.err("expected an atom"));
        }
        Ok(String::from_utf8_lossy(a).into_owned())
    }

    /// `number` (up to 2^32-1).
    pub fn number(&mut self) -> PResult<u32> {
        let n = self.number64()?;
        u32::try_from(n).map_err(|_| self.err("number too large"))
    }

    /// `number64` (up to 2^63-1).
    pub fn number64(&mut self) -> PResult<u64> {
        let d = self.take_while(|b| b.is_ascii_digit());
        if d.is_empty() {
            return Err(self.err("expected a number"));
        }
        let mut n: u64 = 0;
        for &b in d {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .filter(|&n| n <= i64::MAX as u64)
                .ok_or_else(|| self.err("number too large"))?;
        }
        Ok(n)
    }

    /// `nz-number`
    pub fn nz_number(&mut self) -> PResult<NonZeroU32> {
        NonZeroU32::new(self.number()?).ok_or_else(|| self.err("zero is not allowed here"))
    }

    /// `mod-sequence-value` (1 to 2^63-1) or, with `allow_zero`,
    /// `mod-sequence-valzer`.
    pub fn modseq(&mut self, allow_zero: bool) -> PResult<u64> {
        let n = self.number64()?;
        if n == 0 && !allow_zero {
            return Err(self.err("a mod-sequence is never zero"));
        }
        Ok(n)
    }

    /// `quoted`: `"` with `\"` and `\\` escapes; 8-bit UTF-8 allowed.
    pub fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b @ (b'"' | b'\\')) => {
                            out.push(b);
                            self.pos += 1;
                        }
                        _ => return Err(self.err("bad escape in a quoted string")),
                    }
                }
                Some(b'\r' | b'\n' | 0) | None => {
                    return Err(self.err("unterminated quoted string"));
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// `literal` (`{n}`, `{n+}`, `{n-}` then CRLF and n bytes); with
    /// `allow8`, also `literal8` (`~{n}`). Returns the bytes and whether
    /// it was a literal8.
    pub fn literal(&mut self, allow8: bool) -> PResult<(&'a [u8], bool)> {
        let binary = allow8 && self.eat(b'~');
        self.expect(b'{')?;
        let n = self.number64()?;
        let _ = self.eat(b'+') || self.eat(b'-');
        self.expect(b'}')?;
        if !self.tag_ci("\r\n") {
            return Err(self.err("a literal's size must end the line"));
        }
        let n = usize::try_from(n).map_err(|_| self.err("literal too large"))?;
        let data = self
            .buf
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| self.err("literal shorter than announced"))?;
        self.pos += n;
        if !binary && data.contains(&0) {
            return Err(self.err("NUL in a literal (use literal8)"));
        }
        Ok((data, binary))
    }

    /// `string`: quoted or literal.
    pub fn string(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal(false)?.0.to_vec()),
            _ => Err(self.err("expected a string")),
        }
    }

    /// `astring`: 1*ASTRING-CHAR or string.
    pub fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let utf8 = self.utf8;
                let a = self.take_while(|b| is_astring_char(b) || (utf8 && b >= 0x80));
                if a.is_empty() {
                    return Err(self.err("expected an astring"));
                }
                Ok(a.to_vec())
            }
        }
    }

    /// `astring` as UTF-8 text (lossy for other bytes).
    pub fn astring_text(&mut self) -> PResult<String> {
        Ok(String::from_utf8_lossy(&self.astring()?).into_owned())
    }

    /// `nstring`: NIL or string.
    pub fn nstring(&mut self) -> PResult<Option<Vec<u8>>> {
        if self.keyword("NIL") {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// `list-mailbox`: 1*list-char or string.
    pub fn list_mailbox(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let utf8 = self.utf8;
                let a = self.take_while(|b| is_list_char(b) || (utf8 && b >= 0x80));
                if a.is_empty() {
                    return Err(self.err("expected a mailbox pattern"));
                }
                Ok(a.to_vec())
            }
        }
    }

    /// `flag` (`\Answered`..., `\Word`, keyword); `\*` only when `perm`.
    pub fn flag(&mut self, perm: bool) -> PResult<Flag> {
        let start = self.pos;
        let backslash = self.eat(b'\\');
        if backslash && perm && self.eat(b'*') {
            return Ok(Flag::Wildcard);
        }
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            self.pos = start;
            return Err(self.err("expected a flag"));
        }
        let text = String::from_utf8_lossy(&self.buf[start..self.pos]);
        Ok(Flag::from_text(&text))
    }

    /// `flag-list`: `(` [flag *(SP flag)] `)`.
    pub fn flag_list(&mut self) -> PResult<Vec<Flag>> {
        self.paren_list(true, |c| c.flag(false))
    }

    /// `seq-number`: nz-number or `*`.
    fn seq_number(&mut self) -> PResult<SeqNum> {
        if self.eat(b'*') {
            Ok(SeqNum::Largest)
        } else {
            Ok(SeqNum::Value(self.nz_number()?))
        }
    }

    /// `sequence-set` or `$` (`seq-last-command`, RFC 5182).
    pub fn seq_set(&mut self) -> PResult<SeqSet> {
        if self.eat(b'$') {
            return Ok(SeqSet::Saved);
        }
        let mut ranges = Vec::new();
        loop {
            let from = self.seq_number()?;
            let to = if self.eat(b':') {
                self.seq_number()?
            } else {
                from
            };
            ranges.push(SeqRange { from, to });
            if !self.eat(b',') {
                break;
            }
        }
        Ok(SeqSet::Ranges(ranges))
    }

    /// `date` of SEARCH: `date-text` or `"date-text"`, `d-Mon-yyyy`.
    pub fn date(&mut self) -> PResult<Date> {
        let quoted = self.eat(b'"');
        let day = self.take_while(|b| b.is_ascii_digit());
        if day.is_empty() || day.len() > 2 {
            return Err(self.err("bad date"));
        }
        let day: u8 = day.iter().fold(0, |a, &b| a * 10 + (b - b'0'));
        self.expect(b'-')?;
        let month = self.month()?;
        self.expect(b'-')?;
        let year = self.take_while(|b| b.is_ascii_digit());
        if year.len() != 4 {
            return Err(self.err("bad year"));
        }
        let year: u16 = year.iter().fold(0, |a, &b| a * 10 + u16::from(b - b'0'));
        if quoted {
            self.expect(b'"')?;
        }
        if day == 0 || day > 31 {
            return Err(self.err("bad day"));
        }
        Ok(Date { year, month, day })
    }

    fn month(&mut self) -> PResult<u8> {
        for (i, m) in MONTHS.iter().enumerate() {
            if self.tag_ci(m) {
                return Ok(i as u8 + 1);
            }
        }
        Err(self.err("bad month"))
    }

    fn digits(&mut self, n: usize) -> PResult<u32> {
        let d = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.err("bad date-time"))?;
        if !d.iter().all(u8::is_ascii_digit) {
            return Err(self.err("bad date-time"));
        }
        self.pos += n;
        Ok(d.iter().fold(0, |a, &b| a * 10 + u32::from(b - b'0')))
    }

    /// `date-time`: `"dd-Mon-yyyy hh:mm:ss +zzzz"` (day space-padded or
    /// two digits).
    pub fn date_time(&mut self) -> PResult<DateTime> {
        self.expect(b'"')?;
        let day = if self.eat(b' ') {
            self.digits(1)?
        } else {
            self.digits(2)?
        };
        self.expect(b'-')?;
        let month = self.month()?;
        self.expect(b'-')?;
        let year = self.digits(4)?;
        self.sp()?;
        let h = self.digits(2)?;
        self.expect(b':')?;
        let m = self.digits(2)?;
        self.expect(b':')?;
        let s = self.digits(2)?;
        self.sp()?;
        let sign: i32 = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Err(self.err("bad zone"));
        };
        let zone = self.digits(4)?;
        self.expect(b'"')?;
        if day == 0 || day > 31 || h > 23 || m > 59 || s > 60 || zone % 100 > 59 {
            return Err(self.err("bad date-time"));
        }
        let offset_minutes = sign * (zone / 100 * 60 + zone % 100) as i32;
        let days = days_from_civil(i64::from(year), u32::from(month), day);
        let unix = days * 86400 + i64::from(h * 3600 + m * 60 + s) - i64::from(offset_minutes) * 60;
        Ok(DateTime {
            unix,
            offset_minutes,
        })
    }

    /// A parenthesized list of `item`s separated by SP; `allow_empty`
    /// accepts `()`.
    pub fn paren_list<T>(
        &mut self,
        allow_empty: bool,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.open()?;
        let mut out = Vec::new();
        if self.peek() == Some(b')') {
            if !allow_empty {
                return Err(self.err("empty list"));
            }
        } else {
            loop {
                out.push(item(self)?);
                if !self.eat(b' ') {
                    break;
                }
            }
        }
        self.close()?;
        Ok(out)
    }

    /// Goes back to an earlier position (from [`Cursor::pos`]).
    pub fn rewind(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }
}
