//! `popstore migrate`: mail from the stores people run (mbox files and
//! spools, Maildir and Maildir++, a remote IMAP server) into popstore
//! accounts and MessageStore folders, keeping what clients depend on:
//! POP3 UIDLs, UIDVALIDITY and UIDs (in a new folder), flags, keywords,
//! internal dates, and every byte of every message.
//!
//! - Sources ([`mbox`], [`maildir`] with [`uidlist`], [`imap`]) read the
//!   old store, never change it, and hand folders and messages to a
//!   [`plan::Migrator`], which writes through the store API
//!   (`crate::store::import`) in batches and records what it migrated in
//!   a [`state`] file, so a second run adds nothing twice.
//! - What went where and every problem (with the file and the reason) is
//!   in the [`report`]; a bad message never stops the run.

pub mod date;
pub mod forward;
pub mod imap;
pub mod maildir;
pub mod mbox;
pub mod plan;
pub mod report;
pub mod source;
pub mod state;
pub mod uidlist;

use popstore_formats::folder::SystemFlags;

/// Where a message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// In memory already (an mbox message, an IMAP literal).
    Bytes(Vec<u8>),
    /// A file read when the message is migrated (Maildir): it may vanish
    /// meanwhile, which is reported.
    File(std::path::PathBuf),
}

/// One message of a source folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMessage {
    /// Its bytes.
    pub body: Body,
    /// System flags.
    pub flags: SystemFlags,
    /// Keywords.
    pub keywords: Vec<String>,
    /// INTERNALDATE (seconds since 1970), when the source knows it.
    pub internal_date: Option<i64>,
    /// The UID the old store gave it (within the folder's UIDVALIDITY).
    pub uid: Option<u32>,
    /// The POP3 UIDL the old store gave it (INBOX).
    pub uidl: Option<String>,
    /// What makes it the same message in a second run (a file name, a
    /// UID with its UIDVALIDITY); `None`: its digest.
    pub key: Option<String>,
    /// Where it is, for the report (a file, `file:offset`, a URL).
    pub origin: String,
}

impl SourceMessage {
    /// A message with these bytes and nothing else known.
    pub fn new(body: Body, origin: String) -> SourceMessage {
        SourceMessage {
            body,
            flags: SystemFlags::default(),
            keywords: Vec::new(),
            internal_date: None,
            uid: None,
            uidl: None,
            key: None,
            origin,
        }
    }
}

/// Something the run could not do with one message or file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file (or `file:offset`, a URL) concerned.
    pub file: String,
    /// What was wrong, and what was done about it.
    pub reason: String,
}

impl Problem {
    /// A problem with `file`.
    pub fn new(file: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            reason: reason.into(),
        }
    }
}

/// Fills a POP3 UIDL format as Dovecot's `pop3_uidl_format` does:
/// `%u` the UID, `%v` the UIDVALIDITY, `%f` the Maildir file's base
/// name; `%08Xu` (width, zero padding, `X` for hexadecimal, which
/// Dovecot's `var_expand` writes in lower case) as in Dovecot's default
/// `%08Xu%08Xv`. `None` when a value it needs is
/// unknown.
pub fn uidl_from_format(
    format: &str,
    uid: Option<u32>,
    uidvalidity: Option<u32>,
    file: Option<&str>,
) -> Option<String> {
    let mut out = String::new();
    let mut it = format.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = it.peek() {
            if d.is_ascii_digit() || d == 'X' || d == 'x' {
                spec.push(d);
                it.next();
            } else {
                break;
            }
        }
        let hex = spec.contains('X') || spec.contains('x');
        let digits: String = spec.chars().filter(char::is_ascii_digit).collect();
        let width: usize = digits.parse().unwrap_or(0);
        let zero = digits.starts_with('0');
        let v = match it.next()? {
            'u' => u64::from(uid?),
            'v' => u64::from(uidvalidity?),
            'f' => {
                out.push_str(file?);
                continue;
            }
            '%' => {
                out.push('%');
                continue;
            }
            _ => return None,
        };
        let s = if hex { format!("{v:x}") } else { v.to_string() };
        let pad = if zero { '0' } else { ' ' };
        for _ in s.len()..width {
            out.push(pad);
        }
        out.push_str(&s);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::uidl_from_format;

    #[test]
    fn dovecot_default_uidl_format() {
        assert_eq!(
            uidl_from_format("%08Xu%08Xv", Some(10), Some(0x5f00_0001), None).as_deref(),
            Some("0000000a5f000001")
        );
        assert_eq!(
            uidl_from_format("UID%u-%v", Some(3), Some(77), None).as_deref(),
            Some("UID3-77")
        );
        assert_eq!(
            uidl_from_format("%f", None, None, Some("123.M1")).as_deref(),
            Some("123.M1")
        );
        assert_eq!(uidl_from_format("%u", None, Some(1), None), None);
    }
}
