//! Values shared by the command parser and the response writer: sequence
//! sets, flags, mailbox arguments, dates, sections.

use std::num::NonZeroU32;

use crate::store::folder_name::{FolderName, FolderNameError};

/// One end of a range in a sequence set: a number or `*` (the largest
/// number in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNum {
    /// A message sequence number or UID.
    Value(NonZeroU32),
    /// `*`
    Largest,
}

impl SeqNum {
    /// The number, with `*` standing for `largest` (0 when the mailbox is
    /// empty, so `1:*` on an empty mailbox is empty).
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqNum::Value(n) => n.get(),
            SeqNum::Largest => largest,
        }
    }
}

/// `seq-range`: `a:b` in either order, or a single number (`a` equal `b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeqRange {
    /// First end as written.
    pub from: SeqNum,
    /// Second end as written (equal to `from` for a single number).
    pub to: SeqNum,
}

impl SeqRange {
    /// The range as inclusive `(low, high)` once `*` is known; `None` when
    /// it uses `*` and `largest` is 0 (the mailbox is empty: `1:*` matches
    /// nothing).
    pub fn bounds(&self, largest: u32) -> Option<(u32, u32)> {
        if largest == 0 && (self.from == SeqNum::Largest || self.to == SeqNum::Largest) {
            return None;
        }
        let a = self.from.resolve(largest);
        let b = self.to.resolve(largest);
        Some((a.min(b), a.max(b)))
    }
}

/// `sequence-set`, or `$` (RFC 5182 SEARCHRES: the saved search result).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SeqSet {
    /// Ranges in the order given (never empty).
    Ranges(Vec<SeqRange>),
    /// `$`
    Saved,
}

impl SeqSet {
    /// Whether `n` lies in the set, given the largest number in use; `$`
    /// never matches here (the session substitutes its saved result).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        match self {
            SeqSet::Saved => false,
            SeqSet::Ranges(r) => r
                .iter()
                .filter_map(|r| r.bounds(largest))
                .any(|(lo, hi)| lo <= n && n <= hi),
        }
    }
}

/// A message flag or keyword (`flag`, `flag-fetch`, `flag-perm`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Seen`
    Seen,
    /// `\Draft`
    Draft,
    /// `\Recent` (IMAP4rev1 only; FETCH output)
    Recent,
    /// `\*` in PERMANENTFLAGS: new keywords may be created.
    Wildcard,
    /// Another `\Word` (flag-extension), without the backslash.
    Extension(String),
    /// A keyword (an atom), as given.
    Keyword(String),
}

impl Flag {
    /// Parses the text of a flag (`\Seen`, `$Forwarded`), case-insensitive
    /// for system flags.
    pub fn from_text(s: &str) -> Flag {
        match s.strip_prefix('\\') {
            Some(rest) => match rest.to_ascii_lowercase().as_str() {
                "answered" => Flag::Answered,
                "flagged" => Flag::Flagged,
                "deleted" => Flag::Deleted,
                "seen" => Flag::Seen,
                "draft" => Flag::Draft,
                "recent" => Flag::Recent,
                "*" => Flag::Wildcard,
                _ => Flag::Extension(rest.to_owned()),
            },
            None => Flag::Keyword(s.to_owned()),
        }
    }

    /// The flag as it is written on the wire.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Flag::Answered => "\\Answered".into(),
            Flag::Flagged => "\\Flagged".into(),
            Flag::Deleted => "\\Deleted".into(),
            Flag::Seen => "\\Seen".into(),
            Flag::Draft => "\\Draft".into(),
            Flag::Recent => "\\Recent".into(),
            Flag::Wildcard => "\\*".into(),
            Flag::Extension(s) => format!("\\{s}").into(),
            Flag::Keyword(s) => s.as_str().into(),
        }
    }
}

/// A mailbox argument as the client sent it: the raw bytes of the astring,
/// and whether UTF8=ACCEPT (or IMAP4rev2) was on, which decides how
/// [`MailboxArg::folder_name`] reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxArg {
    /// The astring's bytes (quotes and escapes removed).
    pub raw: Vec<u8>,
    /// Names are UTF-8 (UTF8=ACCEPT or IMAP4rev2 enabled), else modified
    /// UTF-7.
    pub utf8: bool,
}

impl MailboxArg {
    /// The folder's stored name; errors map to `NO [CANNOT]` or BAD.
    pub fn folder_name(&self) -> Result<FolderName, FolderNameError> {
        let s =
            std::str::from_utf8(&self.raw).map_err(|_| FolderNameError::BadUtf7("not UTF-8"))?;
        if self.utf8 {
            // RFC 9051 / 6855: UTF-8 names; a client may still send an
            // mUTF-7 name that decodes (RFC 9051 6.3.9 allows accepting it).
            FolderName::new(s)
        } else {
            FolderName::from_utf7(s)
        }
    }

    /// The raw bytes as text when they are UTF-8 (list patterns, logs).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.raw).ok()
    }
}

/// `date-time` of APPEND and INTERNALDATE: seconds since the epoch (UTC)
/// and the zone offset as written, in minutes east.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// The zone as given (`+0100` is 60).
    pub offset_minutes: i32,
}

/// A calendar date of SEARCH (`date`: `1-Feb-1994`), days since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
}

/// Month names of IMAP dates.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `section-part`/`section-text` of BODY[...] and BINARY[...].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section {
    /// Part numbers (`1.2.3`), empty for the whole message.
    pub part: Vec<NonZeroU32>,
    /// What of the part.
    pub text: Option<SectionText>,
}

/// `section-msgtext` / `section-text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (list)`
    HeaderFields(Vec<String>),
    /// `HEADER.FIELDS.NOT (list)`
    HeaderFieldsNot(Vec<String>),
    /// `TEXT`
    Text,
    /// `MIME` (only after a part number)
    Mime,
}
