//! The leaf parts of a message for the view page: text shown as text,
//! HTML sanitised, everything else (and every part marked as an
//! attachment) offered as a download with `Content-Disposition:
//! attachment`, never shown as markup from the message's origin.

use crate::sieve::util::{Field, base64, param, quoted_printable, split_head, split_multipart};

/// Nesting deeper than this is not walked.
const MAX_DEPTH: usize = 16;

/// One leaf part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Its charset (`us-ascii` when not given).
    pub charset: String,
    /// The file name it gives, if any.
    pub filename: Option<String>,
    /// Marked `Content-Disposition: attachment`.
    pub attachment: bool,
    /// The decoded content.
    pub data: Vec<u8>,
}

impl Leaf {
    /// Shown inline on the page (text or HTML, not an attachment).
    pub fn inline(&self) -> bool {
        !self.attachment && matches!(self.content_type.as_str(), "text/plain" | "text/html")
    }

    /// A safe file name for the download.
    pub fn download_name(&self, n: usize) -> String {
        let name: String = self
            .filename
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
            .take(100)
            .collect();
        match name.trim() {
            "" => format!("part-{n}"),
            n => n.to_string(),
        }
    }
}

fn get(fields: &[Field], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.raw.clone())
}

fn walk(fields: &[Field], body: &[u8], depth: usize, out: &mut Vec<Leaf>) {
    let ct = get(fields, "content-type").unwrap_or_else(|| "text/plain".into());
    let mut mime_type = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !mime_type.contains('/') {
        mime_type = "text/plain".into();
    }
    if mime_type.starts_with("multipart/")
        && depth < MAX_DEPTH
        && let Some(b) = param(&ct, "boundary")
    {
        for sub in split_multipart(body, &b) {
            let (f, sbody) = split_head(sub);
            walk(&f, sbody, depth + 1, out);
        }
        return;
    }
    let disposition = get(fields, "content-disposition").unwrap_or_default();
    let attachment = disposition
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("attachment");
    let filename = param(&disposition, "filename").or_else(|| param(&ct, "name"));
    let data = match get(fields, "content-transfer-encoding")
        .map(|c| c.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("base64") => base64(body),
        Some("quoted-printable") => quoted_printable(body, false),
        _ => body.to_vec(),
    };
    out.push(Leaf {
        charset: param(&ct, "charset").unwrap_or_else(|| "us-ascii".into()),
        content_type: mime_type,
        filename: filename.map(|f| crate::sieve::util::decode_words(&f)),
        attachment,
        data,
    });
}

/// The leaf parts of a whole message, in order.
pub fn leaves(raw: &[u8]) -> Vec<Leaf> {
    let (fields, body) = split_head(raw);
    let mut out = Vec::new();
    walk(&fields, body, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_found_and_named_safely() {
        let m = b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npre\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n\
            Content-Disposition: attachment; filename=\"../../e<v>il.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            aGk=\r\n--b--\r\n";
        let l = leaves(m);
        assert_eq!(l.len(), 2);
        assert!(l[0].inline());
        assert_eq!(l[0].data, b"hello");
        assert!(!l[1].inline() && l[1].attachment);
        assert_eq!(l[1].data, b"hi");
        assert_eq!(l[1].download_name(2), "....evil.pdf");
    }
}
