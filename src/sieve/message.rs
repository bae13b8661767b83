//! The message as the interpreter sees it: header fields (unfolded, RFC
//! 2047 words decoded), the body, and the envelope. A small MIME splitter
//! finds the parts the body test looks at (RFC 2045/2046), on its own so
//! the engine depends on nothing else in popstore.

use super::mime;

/// One header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name as written.
    pub name: String,
    /// The value, unfolded, leading white space removed, undecoded.
    pub raw: String,
}

/// A parsed message and its envelope.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// The header fields, in order.
    pub fields: Vec<Field>,
    /// The body bytes (after the blank line).
    pub body: Vec<u8>,
    /// The size of the whole message in bytes.
    pub size: u64,
    /// The envelope sender (empty for `<>`).
    pub env_from: String,
    /// The envelope recipient.
    pub env_to: String,
}

/// Splits a header block and body; lines may end in CRLF or LF.
pub fn split_head(raw: &[u8]) -> (Vec<Field>, &[u8]) {
    let mut fields: Vec<Field> = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i + 1)
            .unwrap_or(raw.len());
        let line = &raw[pos..end];
        let text = trim_eol(line);
        if text.is_empty() {
            return (fields, &raw[end..]);
        }
        let s = String::from_utf8_lossy(text);
        if (s.starts_with(' ') || s.starts_with('\t')) && !fields.is_empty() {
            if let Some(f) = fields.last_mut() {
                f.raw.push_str(&s);
            }
        } else if let Some(i) = s.find(':') {
            let name = s[..i].trim_end().to_string();
            if !name.is_empty() && !name.contains(' ') {
                fields.push(Field {
                    name,
                    raw: s[i + 1..].trim_start_matches([' ', '\t']).to_string(),
                });
            } else {
                // Not a header line: the body starts here (no blank line).
                return (fields, &raw[pos..]);
            }
        } else {
            return (fields, &raw[pos..]);
        }
        pos = end;
    }
    (fields, &raw[raw.len()..])
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

impl Message {
    /// Parses `raw` with the envelope sender and recipient.
    pub fn parse(raw: &[u8], env_from: &str, env_to: &str) -> Message {
        let (fields, body) = split_head(raw);
        Message {
            fields,
            body: body.to_vec(),
            size: raw.len() as u64,
            env_from: env_from.to_string(),
            env_to: env_to.to_string(),
        }
    }

    /// Values of the fields named `name` (case-insensitive), decoded
    /// (RFC 2047) and with trailing white space removed.
    pub fn header(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| mime::decode_words(f.raw.trim_end()))
            .collect()
    }

    /// Raw (undecoded) values of the fields named `name`.
    pub fn header_raw(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.raw.trim_end())
            .collect()
    }

    /// The top-level MIME parts for the body test.
    pub fn parts(&self) -> Vec<mime::Part> {
        let ct = self
            .header_raw("content-type")
            .first()
            .map(|s| s.to_string());
        let cte = self
            .header_raw("content-transfer-encoding")
            .first()
            .map(|s| s.to_string());
        mime::parts(ct.as_deref(), cte.as_deref(), &self.body, 0)
    }
}
