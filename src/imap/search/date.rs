//! Dates: the `Date:` header (RFC 5322 section 3.3, read leniently, with
//! the obsolete zones and two-digit years of section 4.3) and the calendar
//! days SEARCH compares.

use crate::imap::types::{Date, days_from_civil};

/// A `Date:` header value as SEARCH and SORT use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentDate {
    /// The calendar day as written, time and zone ignored (RFC 3501
    /// SENTBEFORE/SENTON/SENTSINCE), in days since 1970-01-01.
    pub day: i64,
    /// The instant, seconds since the epoch (UTC), for SORT DATE.
    pub unix: i64,
}

/// Days since the epoch of a SEARCH date.
pub fn search_day(d: Date) -> i64 {
    days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day))
}

/// The UTC calendar day of an instant (INTERNALDATE keeps no zone here).
pub fn unix_day(unix: i64) -> i64 {
    unix.div_euclid(86_400)
}

fn month(s: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let l = s.get(..3)?.to_ascii_lowercase();
    M.iter().position(|m| *m == l).map(|i| i as u32 + 1)
}

fn zone(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 5 && matches!(b[0], b'+' | b'-') && b[1..].iter().all(u8::is_ascii_digit) {
        let h: i64 = s[1..3].parse().ok()?;
        let m: i64 = s[3..5].parse().ok()?;
        let v = h * 60 + m;
        return Some(if b[0] == b'-' { -v } else { v });
    }
    Some(match s.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -300,
        "EDT" => -240,
        "CST" => -360,
        "CDT" => -300,
        "MST" => -420,
        "MDT" => -360,
        "PST" => -480,
        "PDT" => -420,
        _ => return None,
    })
}

/// Parses a `Date:` value: `[day-name ","] day month year hh:mm[:ss]
/// zone`, comments and extra white space allowed; an unknown or missing
/// zone is read as UTC (RFC 5322 4.3 says to treat it as `-0000`). `None`
/// when the day, month or year cannot be read.
pub fn parse_date(value: &[u8]) -> Option<SentDate> {
    let text = String::from_utf8_lossy(value);
    // Drop comments (not nested deeper than one level in practice).
    let mut clean = String::with_capacity(text.len());
    let mut depth = 0u32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => clean.push(if c == ',' { ' ' } else { c }),
            _ => {}
        }
    }
    let mut words = clean.split_whitespace().peekable();
    if words
        .peek()
        .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
    {
        words.next();
    }
    let day: u32 = words.next()?.parse().ok()?;
    let mon = month(words.next()?)?;
    let year_s = words.next()?;
    let mut year: i64 = year_s.parse().ok()?;
    if year_s.len() <= 2 {
        year += if year < 50 { 2000 } else { 1900 };
    } else if year_s.len() == 3 {
        year += 1900;
    }
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, mon, day);
    let mut secs = 0i64;
    let mut off = 0i64;
    if let Some(t) = words.next() {
        let mut parts = t.split(':').map(|p| p.parse::<i64>().ok());
        let h = parts.next().flatten().unwrap_or(0);
        let m = parts.next().flatten().unwrap_or(0);
        let s = parts.next().flatten().unwrap_or(0);
        if (0..24).contains(&h) && (0..60).contains(&m) && (0..61).contains(&s) {
            secs = h * 3600 + m * 60 + s;
        }
        if let Some(z) = words.next() {
            off = zone(z).unwrap_or(0);
        }
    }
    Some(SentDate {
        day: days,
        unix: days * 86_400 + secs - off * 60,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_dates() {
        // RFC 5322 appendix A.1.1.
        let d = parse_date(b"Fri, 21 Nov 1997 09:55:06 -0600").unwrap();
        assert_eq!(d.day, days_from_civil(1997, 11, 21));
        assert_eq!(d.unix, 880_127_706);
        // Late in the day west of UTC: the day is the one written.
        let d = parse_date(b"Tue, 1 Jul 2003 23:30:00 -0700 (PDT)").unwrap();
        assert_eq!(d.day, days_from_civil(2003, 7, 1));
        assert_eq!(unix_day(d.unix), days_from_civil(2003, 7, 2));
        // Obsolete forms (RFC 5322 4.3): two-digit years, named zones.
        let d = parse_date(b"21 Nov 97 09:55 EST").unwrap();
        assert_eq!(d.day, days_from_civil(1997, 11, 21));
        assert_eq!(d.unix, 880_124_100);
        assert!(parse_date(b"yesterday").is_none());
        assert!(parse_date(b"").is_none());
    }
}
