//! Header lines: splitting a header block into fields, unfolding values.
//!
//! Follows Dovecot's `message-header-parser.c`: a field name runs to the
//! first `:` (trailing white space dropped), the value starts after the
//! colon and its leading white space; continuation lines (starting with
//! SP or TAB) are appended with their line break kept as CRLF, so callers
//! that show values remove CR and LF themselves.

use std::ops::Range;

/// One header field with its unfolded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name as written (no trailing white space).
    pub name: Vec<u8>,
    /// The value: first line after the colon and its leading white space,
    /// then each continuation line (CRLF-joined).
    pub value: Vec<u8>,
}

/// What one header line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The empty line ending the header block.
    End,
    /// A line starting with SP or TAB: the given bytes continue the last field.
    Continuation(Range<usize>),
    /// A new field: name and first-line value ranges.
    Field(Range<usize>, Range<usize>),
}

/// The end of the line starting at `pos` (just past its LF, or the end of
/// input) and the end of its content (before CR LF or LF).
pub fn line_end(data: &[u8], pos: usize) -> (usize, usize) {
    match memchr(b'\n', &data[pos..]) {
        Some(i) => {
            let lf = pos + i;
            let content = if lf > pos && data[lf - 1] == b'\r' {
                lf - 1
            } else {
                lf
            };
            (lf + 1, content)
        }
        None => (data.len(), data.len()),
    }
}

/// Finds `b` in `hay`.
pub fn memchr(b: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(b, hay)
}

/// Classifies the line `data[pos..content_end]` (its line break excluded).
pub fn classify(data: &[u8], pos: usize, content_end: usize, has_newline: bool) -> Line {
    let line = &data[pos..content_end];
    if line.is_empty() && has_newline {
        return Line::End;
    }
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Line::Continuation(pos..content_end);
    }
    match memchr(b':', line) {
        Some(colon) => {
            let mut name_end = pos + colon;
            while name_end > pos && matches!(data[name_end - 1], b' ' | b'\t') {
                name_end -= 1;
            }
            let mut value_start = pos + colon + 1;
            while value_start < content_end && matches!(data[value_start], b' ' | b'\t') {
                value_start += 1;
            }
            Line::Field(pos..name_end, value_start..content_end)
        }
        None => Line::Field(pos..content_end, content_end..content_end),
    }
}

/// Collects the fields of one header block as its lines arrive.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    /// The fields so far, in order.
    pub list: Vec<Field>,
}

impl Fields {
    /// Adds one line (already classified) of `data`.
    pub fn push(&mut self, data: &[u8], line: &Line) {
        match line {
            Line::End => {}
            Line::Field(name, value) => self.list.push(Field {
                name: data[name.clone()].to_vec(),
                value: data[value.clone()].to_vec(),
            }),
            // A continuation holding only white space adds nothing.
            Line::Continuation(r) if data[r.clone()].iter().all(|&b| b == b' ' || b == b'\t') => {}
            Line::Continuation(r) => {
                if let Some(last) = self.list.last_mut() {
                    last.value.extend_from_slice(b"\r\n");
                    last.value.extend_from_slice(&data[r.clone()]);
                }
            }
        }
    }

    /// The value of the first field named `name` (ASCII case-insensitive).
    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.list
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| f.value.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        let data = b"Subject : a\r\n\tb\r\nX\r\n\r\n";
        let mut f = Fields::default();
        let mut pos = 0;
        loop {
            let (next, end) = line_end(data, pos);
            let l = classify(data, pos, end, next > end);
            if l == Line::End {
                break;
            }
            f.push(data, &l);
            pos = next;
        }
        assert_eq!(f.first("subject"), Some(&b"a\r\n\tb"[..]));
        assert_eq!(f.list[1].name, b"X");
    }
}
