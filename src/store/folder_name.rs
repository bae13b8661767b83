//! MessageStore folder names: the one stored form, and the two forms IMAP
//! clients send.
//!
//! - **Stored form** (SPEC.md 9, `MAILBOX` records): UTF-8, levels joined
//!   by `/`, `INBOX` spelled in capitals whatever the client typed
//!   (RFC 3501 5.1: INBOX is case-insensitive; no other name is).
//! - **IMAP4rev1** clients send modified UTF-7 (RFC 3501 5.1.3):
//!   [`FolderName::from_utf7`] decodes it strictly, [`FolderName::to_utf7`]
//!   encodes it.
//! - **IMAP4rev2** and `UTF8=ACCEPT` clients send UTF-8 (RFC 9051 5.1,
//!   RFC 6855): [`FolderName::new`].
//!
//! So `Entw&APw-rfe` from one client and `Entwürfe` from another name the
//! same folder. Hand-written because both directions must be exact and
//! strict: a decoder that accepts two spellings of one name would let a
//! client create two folders that look the same.

use std::fmt;

/// The hierarchy separator of the stored form (and of the IMAP server).
pub const SEPARATOR: char = '/';

/// The longest folder name, in bytes of the stored form.
pub const MAX_NAME_BYTES: usize = 1000;

/// The deepest hierarchy (levels of a name).
pub const MAX_LEVELS: usize = 64;

/// The longest level, in bytes.
pub const MAX_LEVEL_BYTES: usize = 255;

/// Why a folder name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderNameError {
    /// Nothing at all.
    #[error("the folder name is empty")]
    Empty,
    /// `a//b`, `/a`, `a/`.
    #[error("the folder name has an empty level (a separator at the start, at the end or twice)")]
    EmptyLevel,
    /// More than [`MAX_NAME_BYTES`].
    #[error("the folder name is longer than {MAX_NAME_BYTES} bytes")]
    TooLong,
    /// A level longer than [`MAX_LEVEL_BYTES`].
    #[error("a level of the folder name is longer than {MAX_LEVEL_BYTES} bytes")]
    LevelTooLong,
    /// More than [`MAX_LEVELS`] levels.
    #[error("the folder name has more than {MAX_LEVELS} levels")]
    TooDeep,
    /// A control character, or `*` / `%` (IMAP's LIST wildcards).
    #[error("the folder name contains {0:?}, which folder names may not contain")]
    BadCharacter(char),
    /// Not valid modified UTF-7.
    #[error("the folder name is not valid modified UTF-7 (RFC 3501 5.1.3): {0}")]
    BadUtf7(&'static str),
}

/// A valid folder name in its stored form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct FolderName(String);

impl FolderName {
    /// `INBOX`.
    pub fn inbox() -> FolderName {
        FolderName("INBOX".into())
    }

    /// Checks a UTF-8 name (IMAP4rev2, `UTF8=ACCEPT`, the CLI, Sieve's
    /// `fileinto`) and gives its stored form.
    pub fn new(name: &str) -> Result<FolderName, FolderNameError> {
        if name.is_empty() {
            return Err(FolderNameError::Empty);
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(FolderNameError::TooLong);
        }
        if let Some(c) = name
            .chars()
            .find(|c| c.is_control() || matches!(c, '*' | '%'))
        {
            return Err(FolderNameError::BadCharacter(c));
        }
        let mut levels = 0;
        for level in name.split(SEPARATOR) {
            levels += 1;
            if level.is_empty() {
                return Err(FolderNameError::EmptyLevel);
            }
            if level.len() > MAX_LEVEL_BYTES {
                return Err(FolderNameError::LevelTooLong);
            }
        }
        if levels > MAX_LEVELS {
            return Err(FolderNameError::TooDeep);
        }
        let (first, rest) = match name.split_once(SEPARATOR) {
            Some((f, r)) => (f, Some(r)),
            None => (name, None),
        };
        if first.eq_ignore_ascii_case("INBOX") {
            return Ok(FolderName(match rest {
                Some(r) => format!("INBOX{SEPARATOR}{r}"),
                None => "INBOX".into(),
            }));
        }
        Ok(FolderName(name.to_owned()))
    }

    /// Decodes a modified UTF-7 name (IMAP4rev1), strictly: a name has
    /// exactly one spelling (printable ASCII is never encoded, adjacent
    /// encoded runs are one run, no padding bits are set).
    pub fn from_utf7(name: &str) -> Result<FolderName, FolderNameError> {
        FolderName::new(&decode_utf7(name)?)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in modified UTF-7, for IMAP4rev1 clients.
    pub fn to_utf7(&self) -> String {
        encode_utf7(&self.0)
    }

    /// Whether this is INBOX itself.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }

    /// The levels of the name.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.0.split(SEPARATOR)
    }

    /// The name one level up, or `None` at the top.
    pub fn parent(&self) -> Option<FolderName> {
        self.0
            .rsplit_once(SEPARATOR)
            .map(|(p, _)| FolderName(p.to_owned()))
    }

    /// Every name above this one, the top first (`a`, `a/b` for `a/b/c`).
    pub fn ancestors(&self) -> Vec<FolderName> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(i) = self.0[at..].find(SEPARATOR) {
            out.push(FolderName(self.0[..at + i].to_owned()));
            at += i + 1;
        }
        out
    }

    /// Whether `other` lies below this name (`a/b` is below `a`, `ab` is not).
    pub fn is_ancestor_of(&self, other: &FolderName) -> bool {
        other.0.len() > self.0.len()
            && other.0.starts_with(&self.0)
            && other.0[self.0.len()..].starts_with(SEPARATOR)
    }

    /// This name with the prefix `from` replaced by `to` (for a rename of
    /// `from` that carries its inferiors along); `None` when this name is
    /// not `from` or below it.
    pub fn moved(&self, from: &FolderName, to: &FolderName) -> Option<FolderName> {
        if self == from {
            return Some(to.clone());
        }
        if !from.is_ancestor_of(self) {
            return None;
        }
        FolderName::new(&format!("{}{}", to.0, &self.0[from.0.len()..])).ok()
    }
}

impl fmt::Display for FolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Modified BASE64 of RFC 3501 5.1.3 (RFC 2152's with `,` for `/`).
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64_value(c: u8) -> Option<u32> {
    B64.iter().position(|&b| b == c).map(|p| p as u32)
}

/// Decodes modified UTF-7 text (a name or an IMAP LIST pattern) without
/// checking it as a name.
pub fn decode_utf7(s: &str) -> Result<String, FolderNameError> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut last_was_run = false;
    while i < bytes.len() {
        let c = bytes[i];
        if !(0x20..=0x7e).contains(&c) {
            return Err(FolderNameError::BadUtf7(
                "only printable US-ASCII may appear unencoded",
            ));
        }
        if c != b'&' {
            out.push(char::from(c));
            i += 1;
            last_was_run = false;
            continue;
        }
        let end = s[i + 1..]
            .find('-')
            .map(|e| i + 1 + e)
            .ok_or(FolderNameError::BadUtf7(
                "an encoded run is not closed by '-'",
            ))?;
        let run = &bytes[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            last_was_run = false;
            continue;
        }
        if last_was_run {
            return Err(FolderNameError::BadUtf7(
                "two encoded runs side by side (they must be one)",
            ));
        }
        out.push_str(&decode_run(run)?);
        last_was_run = true;
    }
    Ok(out)
}

/// Decodes the base64 of one `&...-` run into UTF-16 and then text.
fn decode_run(run: &[u8]) -> Result<String, FolderNameError> {
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in run {
        let v = b64_value(c).ok_or(FolderNameError::BadUtf7("not a modified BASE64 character"))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 16 {
            bits -= 16;
            units.push(((acc >> bits) & 0xFFFF) as u16);
        }
    }
    if bits >= 6 || acc & ((1 << bits) - 1) != 0 {
        return Err(FolderNameError::BadUtf7(
            "an encoded run ends inside a character or with bits set",
        ));
    }
    let text = String::from_utf16(&units)
        .map_err(|_| FolderNameError::BadUtf7("an unpaired UTF-16 surrogate"))?;
    if text.chars().any(|c| (' '..='~').contains(&c)) {
        return Err(FolderNameError::BadUtf7(
            "printable US-ASCII must not be encoded",
        ));
    }
    if text.is_empty() {
        return Err(FolderNameError::BadUtf7("an empty encoded run"));
    }
    Ok(text)
}

fn encode_utf7(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<u16>| {
        if pending.is_empty() {
            return;
        }
        out.push('&');
        let (mut acc, mut bits) = (0u32, 0u32);
        for u in pending.drain(..) {
            acc = (acc << 16) | u32::from(u);
            bits += 16;
            while bits >= 6 {
                bits -= 6;
                out.push(char::from(B64[((acc >> bits) & 63) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(B64[((acc << (6 - bits)) & 63) as usize]));
        }
        out.push('-');
    };
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3501_examples_and_inbox() {
        // RFC 3501 5.1.3's example.
        let n = FolderName::from_utf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap();
        assert_eq!(
            n.as_str(),
            "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}"
        );
        assert_eq!(n.to_utf7(), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(
            FolderName::from_utf7("Entw&APw-rfe").unwrap(),
            FolderName::new("Entwürfe").unwrap()
        );
        assert_eq!(FolderName::new("a&b").unwrap().to_utf7(), "a&-b");
        assert_eq!(FolderName::from_utf7("a&-b").unwrap().as_str(), "a&b");
        assert_eq!(FolderName::new("inbox").unwrap(), FolderName::inbox());
        assert_eq!(
            FolderName::new("Inbox/Work").unwrap().as_str(),
            "INBOX/Work"
        );
        assert_eq!(FolderName::new("Inboxes").unwrap().as_str(), "Inboxes");
        // Outside the BMP: a surrogate pair.
        let emoji = FolderName::new("mail \u{1F4E7}").unwrap();
        assert_eq!(FolderName::from_utf7(&emoji.to_utf7()).unwrap(), emoji);
    }

    #[test]
    fn strict_decoding_gives_one_spelling_per_name() {
        for bad in [
            "&AGE-",              // 'a' encoded
            "&U,BTFw-&ZeVnLIqe-", // two runs side by side
            "&U,BTF-",            // bits set / inside a character
            "&U,BTFw",            // not closed
            "&2D0-",              // an unpaired surrogate
            "&Jjo!-",             // not BASE64
            "caf\u{e9}",          // 8-bit unencoded
            "&&-",                // '&' inside a run
        ] {
            assert!(
                matches!(FolderName::from_utf7(bad), Err(FolderNameError::BadUtf7(_))),
                "{bad}: {:?}",
                FolderName::from_utf7(bad)
            );
        }
    }

    #[test]
    fn names_are_checked() {
        use FolderNameError::*;
        assert_eq!(FolderName::new(""), Err(Empty));
        for bad in ["/a", "a/", "a//b"] {
            assert_eq!(FolderName::new(bad), Err(EmptyLevel), "{bad}");
        }
        assert_eq!(FolderName::new("a*"), Err(BadCharacter('*')));
        assert_eq!(FolderName::new("a%b"), Err(BadCharacter('%')));
        assert_eq!(FolderName::new("a\tb"), Err(BadCharacter('\t')));
        assert_eq!(FolderName::new(&"x".repeat(1001)), Err(TooLong));
        assert_eq!(FolderName::new(&"x".repeat(256)), Err(LevelTooLong));
        let deep = vec!["d"; 100].join("/");
        assert_eq!(FolderName::new(&deep), Err(TooDeep));
        assert!(FolderName::new(&vec!["d"; 64].join("/")).is_ok());
        assert!(FolderName::new(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn hierarchy() {
        let n = FolderName::new("a/b/c").unwrap();
        assert_eq!(n.parent().unwrap().as_str(), "a/b");
        let up: Vec<String> = n.ancestors().iter().map(|a| a.to_string()).collect();
        assert_eq!(up, ["a", "a/b"]);
        let a = FolderName::new("a").unwrap();
        assert!(a.is_ancestor_of(&n));
        assert!(!a.is_ancestor_of(&FolderName::new("ab/c").unwrap()));
        assert!(!a.is_ancestor_of(&a));
        let to = FolderName::new("x/y").unwrap();
        assert_eq!(n.moved(&a, &to).unwrap().as_str(), "x/y/b/c");
        assert_eq!(FolderName::new("ab").unwrap().moved(&a, &to), None);
    }

    proptest::proptest! {
        #[test]
        fn utf7_round_trips(s in "[a-zA-Z0-9 &~.\\-_\u{a0}-\u{2fff}\u{1F300}-\u{1F5FF}]{1,40}") {
            if let Ok(n) = FolderName::new(&s) {
                let wire = n.to_utf7();
                proptest::prop_assert!(wire.bytes().all(|b| (0x20..=0x7e).contains(&b)));
                proptest::prop_assert_eq!(FolderName::from_utf7(&wire).unwrap(), n);
            }
        }
    }
}
