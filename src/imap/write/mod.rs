//! Server responses (RFC 9051 section 7 and the extensions' responses),
//! written byte-exact into a `Vec<u8>` the session sends.
//!
//! [`status`] writes tagged and untagged `OK`/`NO`/`BAD`/`PREAUTH`/`BYE`
//! with a [`Code`]; [`data`] writes the untagged data responses and
//! [`fetch`] the FETCH responses. Mailbox names go out in modified UTF-7, or UTF-8 when the
//! session enabled UTF8=ACCEPT or IMAP4rev2 ([`mailbox`]).

#[cfg(test)]
mod codec_check;
pub mod data;
pub mod fetch;
pub mod strings;
#[cfg(test)]
mod tests;

pub use strings::{astring, mailbox, nstring, string};

use crate::imap::types::Flag;

/// The condition of a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
    /// `PREAUTH` (greeting only)
    Preauth,
    /// `BYE`
    Bye,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::Preauth => "PREAUTH",
            Status::Bye => "BYE",
        }
    }
}

/// A response code (`resp-text-code`) of RFC 9051 section 7.1 and the
/// extensions popstore offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// `ALERT`
    Alert,
    /// `BADCHARSET (charsets)`
    BadCharset(Vec<String>),
    /// `CAPABILITY caps`
    Capability(Vec<String>),
    /// `PARSE`
    Parse,
    /// `PERMANENTFLAGS (flags)`
    PermanentFlags(Vec<Flag>),
    /// `READ-ONLY`
    ReadOnly,
    /// `READ-WRITE`
    ReadWrite,
    /// `TRYCREATE`
    TryCreate,
    /// `UIDNEXT n`
    UidNext(u32),
    /// `UIDVALIDITY n`
    UidValidity(u32),
    /// `UNSEEN n` (IMAP4rev1)
    Unseen(u32),
    /// `HIGHESTMODSEQ n` (RFC 7162)
    HighestModSeq(u64),
    /// `NOMODSEQ`
    NoModSeq,
    /// `MODIFIED set` (numbers, written compactly)
    Modified(Vec<u32>),
    /// `APPENDUID uidvalidity uids` (UIDPLUS)
    AppendUid {
        /// Destination UIDVALIDITY.
        uidvalidity: u32,
        /// New UIDs in order.
        uids: Vec<u32>,
    },
    /// `COPYUID uidvalidity source-uids dest-uids` (UIDPLUS)
    CopyUid {
        /// Destination UIDVALIDITY.
        uidvalidity: u32,
        /// Source UIDs in order.
        source: Vec<u32>,
        /// Destination UIDs, pairwise.
        dest: Vec<u32>,
    },
    /// `UIDNOTSTICKY`
    UidNotSticky,
    /// `CLOSED` (QRESYNC)
    Closed,
    /// `ALREADYEXISTS` (RFC 5530)
    AlreadyExists,
    /// `NONEXISTENT`
    NonExistent,
    /// `NOPERM`
    NoPerm,
    /// `OVERQUOTA`
    OverQuota,
    /// `UNAVAILABLE`
    Unavailable,
    /// `AUTHENTICATIONFAILED`
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED`
    AuthorizationFailed,
    /// `EXPIRED`
    Expired,
    /// `PRIVACYREQUIRED`
    PrivacyRequired,
    /// `CONTACTADMIN`
    ContactAdmin,
    /// `LIMIT`
    Limit,
    /// `CANNOT`
    Cannot,
    /// `INUSE`
    InUse,
    /// `EXPUNGEISSUED`
    ExpungeIssued,
    /// `CORRUPTION`
    Corruption,
    /// `SERVERBUG`
    ServerBug,
    /// `CLIENTBUG`
    ClientBug,
    /// `NOTSAVED`
    NotSaved,
    /// `HASCHILDREN`
    HasChildren,
    /// `TOOBIG` (RFC 7888)
    TooBig,
    /// `USEATTR` (RFC 6154)
    UseAttr,
    /// `UNKNOWN-CTE` (RFC 3516)
    UnknownCte,
    /// `COMPRESSIONACTIVE` (RFC 4978)
    CompressionActive,
}

impl Code {
    /// Appends the code without brackets.
    pub fn write(&self, out: &mut Vec<u8>) {
        let simple = match self {
            Code::Alert => "ALERT",
            Code::Parse => "PARSE",
            Code::ReadOnly => "READ-ONLY",
            Code::ReadWrite => "READ-WRITE",
            Code::TryCreate => "TRYCREATE",
            Code::NoModSeq => "NOMODSEQ",
            Code::UidNotSticky => "UIDNOTSTICKY",
            Code::Closed => "CLOSED",
            Code::AlreadyExists => "ALREADYEXISTS",
            Code::NonExistent => "NONEXISTENT",
            Code::NoPerm => "NOPERM",
            Code::OverQuota => "OVERQUOTA",
            Code::Unavailable => "UNAVAILABLE",
            Code::AuthenticationFailed => "AUTHENTICATIONFAILED",
            Code::AuthorizationFailed => "AUTHORIZATIONFAILED",
            Code::Expired => "EXPIRED",
            Code::PrivacyRequired => "PRIVACYREQUIRED",
            Code::ContactAdmin => "CONTACTADMIN",
            Code::Limit => "LIMIT",
            Code::Cannot => "CANNOT",
            Code::InUse => "INUSE",
            Code::ExpungeIssued => "EXPUNGEISSUED",
            Code::Corruption => "CORRUPTION",
            Code::ServerBug => "SERVERBUG",
            Code::ClientBug => "CLIENTBUG",
            Code::NotSaved => "NOTSAVED",
            Code::HasChildren => "HASCHILDREN",
            Code::TooBig => "TOOBIG",
            Code::UseAttr => "USEATTR",
            Code::UnknownCte => "UNKNOWN-CTE",
            Code::CompressionActive => "COMPRESSIONACTIVE",
            _ => "",
        };
        if !simple.is_empty() {
            out.extend_from_slice(simple.as_bytes());
            return;
        }
        match self {
            Code::BadCharset(cs) => {
                out.extend_from_slice(b"BADCHARSET");
                if !cs.is_empty() {
                    out.extend_from_slice(b" (");
                    for (i, c) in cs.iter().enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        astring(out, c.as_bytes());
                    }
                    out.push(b')');
                }
            }
            Code::Capability(caps) => {
                out.extend_from_slice(b"CAPABILITY");
                for c in caps {
                    out.push(b' ');
                    out.extend_from_slice(c.as_bytes());
                }
            }
            Code::PermanentFlags(flags) => {
                out.extend_from_slice(b"PERMANENTFLAGS ");
                flag_list(out, flags);
            }
            Code::UidNext(n) => push_fmt(out, format_args!("UIDNEXT {n}")),
            Code::UidValidity(n) => push_fmt(out, format_args!("UIDVALIDITY {n}")),
            Code::Unseen(n) => push_fmt(out, format_args!("UNSEEN {n}")),
            Code::HighestModSeq(n) => push_fmt(out, format_args!("HIGHESTMODSEQ {n}")),
            Code::Modified(set) => {
                out.extend_from_slice(b"MODIFIED ");
                number_set(out, set);
            }
            Code::AppendUid { uidvalidity, uids } => {
                push_fmt(out, format_args!("APPENDUID {uidvalidity} "));
                number_set(out, uids);
            }
            Code::CopyUid {
                uidvalidity,
                source,
                dest,
            } => {
                push_fmt(out, format_args!("COPYUID {uidvalidity} "));
                number_set(out, source);
                out.push(b' ');
                number_set(out, dest);
            }
            _ => {}
        }
    }
}

fn push_fmt(out: &mut Vec<u8>, args: std::fmt::Arguments) {
    use std::io::Write;
    let _ = out.write_fmt(args);
}

/// Appends `text` as `resp-text`: CR, LF and NUL become spaces; an empty
/// text becomes `completed` (RFC 3501's `text` is never empty).
pub fn text(out: &mut Vec<u8>, t: &str) {
    if t.is_empty() {
        out.extend_from_slice(b"completed");
        return;
    }
    out.extend(t.bytes().map(|b| {
        if matches!(b, b'\r' | b'\n' | 0) {
            b' '
        } else {
            b
        }
    }));
}

/// A status response: `tag` (`None` for `*`) SP condition [SP "[" code
/// "]"] SP text CRLF.
pub fn status(out: &mut Vec<u8>, tag: Option<&str>, status: Status, code: Option<&Code>, t: &str) {
    out.extend_from_slice(tag.unwrap_or("*").as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.name().as_bytes());
    out.push(b' ');
    if let Some(code) = code {
        out.push(b'[');
        code.write(out);
        out.extend_from_slice(b"] ");
    }
    text(out, t);
    out.extend_from_slice(b"\r\n");
}

/// A continuation request: `+ text` CRLF (`+ ` alone for empty text).
pub fn continuation(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(b"+ ");
    out.extend(t.bytes().filter(|b| !matches!(b, b'\r' | b'\n')));
    out.extend_from_slice(b"\r\n");
}

/// A continuation carrying base64 data (a SASL challenge).
pub fn continuation_base64(out: &mut Vec<u8>, b64: &str) {
    continuation(out, b64);
}

/// `(flag flag ...)`
pub fn flag_list(out: &mut Vec<u8>, flags: &[Flag]) {
    out.push(b'(');
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(f.as_text().as_bytes());
    }
    out.push(b')');
}

/// A set of numbers as a compact `sequence-set`, keeping the order given
/// (ascending runs of consecutive numbers become `a:b`), as UIDPLUS needs
/// for its pairwise source and destination sets.
pub fn number_set(out: &mut Vec<u8>, nums: &[u32]) {
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        let mut j = i;
        while j + 1 < nums.len() && nums[j].checked_add(1) == Some(nums[j + 1]) {
            j += 1;
        }
        if i > 0 {
            out.push(b',');
        }
        if j > i {
            push_fmt(out, format_args!("{start}:{}", nums[j]));
        } else {
            push_fmt(out, format_args!("{start}"));
        }
        i = j + 1;
    }
}
