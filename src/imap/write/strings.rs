//! Strings on the wire: `astring`, `string`, `nstring`, mailbox names.

use crate::imap::parse::cursor::is_astring_char;
use crate::mime::imap_string::{append_literal, append_quoted};
use crate::store::folder_name::FolderName;

/// Appends a `string`: quoted when every byte may be quoted (printable
/// ASCII; UTF-8 too when `utf8`), else a literal.
pub fn string_utf8(out: &mut Vec<u8>, s: &[u8], utf8: bool) {
    let quotable = s
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) || (utf8 && b >= 0x80))
        && (!utf8 || std::str::from_utf8(s).is_ok());
    if quotable {
        append_quoted(out, s);
    } else {
        append_literal(out, s);
    }
}

/// Appends a `string` (quoted when possible, else a literal).
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    string_utf8(out, s, false);
}

/// Appends an `nstring`: `NIL` for `None`.
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// Appends an `astring`: an atom when it is one (and not `NIL`), else a
/// string.
pub fn astring(out: &mut Vec<u8>, s: &[u8]) {
    astring_utf8(out, s, false);
}

fn astring_utf8(out: &mut Vec<u8>, s: &[u8], utf8: bool) {
    if !s.is_empty() && s.iter().all(|&b| is_astring_char(b)) && !s.eq_ignore_ascii_case(b"NIL") {
        out.extend_from_slice(s);
    } else {
        string_utf8(out, s, utf8);
    }
}

/// Appends a mailbox name: UTF-8 (quoted, or a literal when it must) when
/// `utf8`, else modified UTF-7; an atom when it can be.
pub fn mailbox(out: &mut Vec<u8>, name: &FolderName, utf8: bool) {
    if utf8 {
        astring_utf8(out, name.as_str().as_bytes(), true);
    } else {
        astring(out, name.to_utf7().as_bytes());
    }
}

/// Appends an IMAP8 literal (`~{n}`) when the data holds NUL, else an
/// ordinary literal (BINARY responses, RFC 3516 section 4.3).
pub fn literal8(out: &mut Vec<u8>, data: &[u8]) {
    if data.contains(&0) {
        out.push(b'~');
    }
    append_literal(out, data);
}

/// The head of a literal of `len` bytes (`{len}` CRLF, or `~{len}` CRLF),
/// for data the session sends next straight from the message file.
pub fn literal_head(out: &mut Vec<u8>, len: u64, binary: bool) {
    if binary {
        out.push(b'~');
    }
    out.extend_from_slice(format!("{{{len}}}\r\n").as_bytes());
}
