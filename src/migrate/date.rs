//! The dates sources give: the asctime date of an mbox `From ` line and
//! IMAP's INTERNALDATE (`05-Dec-2026 09:35:39 +0000`).

use crate::imap::types::{MONTHS, days_from_civil};

fn month(s: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .map(|i| i as u32 + 1)
}

fn hms(s: &str) -> Option<i64> {
    let mut p = s.split(':');
    let h: i64 = p.next()?.parse().ok()?;
    let m: i64 = p.next()?.parse().ok()?;
    let sec: i64 = p.next().map_or(Some(0), |x| x.parse().ok())?;
    (h < 24 && m < 60 && sec < 61 && p.next().is_none()).then_some(h * 3600 + m * 60 + sec)
}

/// `+hhmm` / `-hhmm` in seconds east of UTC.
fn zone(s: &str) -> Option<i64> {
    let (sign, d) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if d.len() != 4 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = d.parse().ok()?;
    Some(sign * ((n / 100) * 3600 + (n % 100) * 60))
}

/// The date of an mbox `From ` line's rest (after the sender):
/// `Sat Dec  5 09:35:39 2026`, optionally with seconds left out, a
/// numeric zone before or after the year, or `remote from HOST` after.
/// A date without a zone is taken as UTC.
pub fn from_line_date(rest: &str) -> Option<i64> {
    let w: Vec<&str> = rest.split_whitespace().collect();
    // Find "Mon DD HH:MM[:SS]" anywhere after a weekday.
    let i = w.iter().position(|t| month(t).is_some())?;
    let mon = month(w[i])?;
    let day: u32 = w.get(i + 1)?.parse().ok()?;
    let secs = hms(w.get(i + 2)?)?;
    let mut tz = 0;
    let mut year = None;
    for t in w.iter().skip(i + 3).take(3) {
        if let Some(z) = zone(t) {
            tz = z;
        } else if year.is_none()
            && t.len() == 4
            && let Ok(y) = t.parse::<i64>()
        {
            year = Some(y);
        }
    }
    let year = year?;
    if !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, mon, day) * 86400 + secs - tz)
}

/// IMAP's INTERNALDATE: `05-Dec-2026 09:35:39 +0000` (day may be
/// space-padded).
pub fn internal_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once(' ')?;
    let rest = rest.trim_start();
    let date = date.trim();
    let mut d = date.split('-');
    let day: u32 = d.next()?.trim().parse().ok()?;
    let mon = month(d.next()?)?;
    let year: i64 = d.next()?.parse().ok()?;
    let (time, z) = rest.split_once(' ')?;
    Some(days_from_civil(year, mon, day) * 86400 + hms(time)? - zone(z.trim())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lines() {
        // 2026-12-05 09:35:39 UTC
        let t = 1_796_463_339;
        assert_eq!(from_line_date("Sat Dec  5 09:35:39 2026"), Some(t));
        assert_eq!(
            from_line_date("Sat Dec 5 09:35:39 2026 remote from x"),
            Some(t)
        );
        assert_eq!(from_line_date("Sat Dec 5 10:35:39 +0100 2026"), Some(t));
        assert_eq!(from_line_date("Sat Dec 5 09:35 2026"), Some(t - 39));
        assert_eq!(from_line_date("is here"), None);
        assert_eq!(internal_date("05-Dec-2026 10:35:39 +0100"), Some(t));
        assert_eq!(internal_date(" 5-Dec-2026 09:35:39 +0000"), Some(t));
    }
}
