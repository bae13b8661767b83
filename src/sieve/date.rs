//! Dates for the date extension (RFC 5260): reading RFC 5322 date-time
//! values, converting between zones, and the date parts.

/// A moment with the zone it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// The zone offset in minutes east of UTC.
    pub offset: i32,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Parses a zone `+hhmm` / `-hhmm` into minutes east of UTC.
pub fn parse_zone(z: &str) -> Option<i32> {
    let b = z.as_bytes();
    if b.len() != 5 || !(b[0] == b'+' || b[0] == b'-') || !b[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let h: i32 = z[1..3].parse().ok()?;
    let m: i32 = z[3..5].parse().ok()?;
    if m > 59 {
        return None;
    }
    let v = h * 60 + m;
    Some(if b[0] == b'-' { -v } else { v })
}

/// Parses an RFC 5322 `date-time` (comments and obsolete zone names
/// accepted).
pub fn parse(s: &str) -> Option<DateTime> {
    // Drop comments and the day name.
    let mut clean = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => clean.push(c),
            _ => {}
        }
    }
    let clean = match clean.find(',') {
        Some(i) => clean[i + 1..].to_string(),
        None => clean,
    };
    let mut w = clean.split_whitespace();
    let day: u32 = w.next()?.parse().ok()?;
    let mon = w.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| mon.starts_with(m))? as u32 + 1;
    let ys = w.next()?;
    let mut year: i64 = ys.parse().ok()?;
    if ys.len() <= 2 {
        year += if year < 50 { 2000 } else { 1900 };
    } else if ys.len() == 3 {
        year += 1900;
    }
    let time = w.next()?;
    let mut t = time.split(':');
    let hour: i64 = t.next()?.parse().ok()?;
    let min: i64 = t.next()?.parse().ok()?;
    let sec: i64 = t.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    if day == 0 || day > 31 || hour > 23 || min > 59 || sec > 60 || !(0..=9999).contains(&year) {
        return None;
    }
    let zone = w.next().unwrap_or("-0000");
    let offset = parse_zone(zone).or_else(|| {
        Some(match zone.to_ascii_uppercase().as_str() {
            "UT" | "GMT" | "Z" => 0,
            "EST" => -300,
            "EDT" => -240,
            "CST" => -360,
            "CDT" => -300,
            "MST" => -420,
            "MDT" => -360,
            "PST" => -480,
            "PDT" => -420,
            _ => 0,
        })
    })?;
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec;
    Some(DateTime {
        unix: local - i64::from(offset) * 60,
        offset,
    })
}

fn zone_str(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.abs();
    format!("{sign}{:02}{:02}", a / 60, a % 60)
}

/// The value of a date part (RFC 5260 4.2) of `dt` in its own zone.
pub fn part(dt: DateTime, name: &str) -> Option<String> {
    let local = dt.unix + i64::from(dt.offset) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    Some(match name.to_ascii_lowercase().as_str() {
        "year" => format!("{y:04}"),
        "month" => format!("{m:02}"),
        "day" => format!("{d:02}"),
        "date" => format!("{y:04}-{m:02}-{d:02}"),
        // Modified Julian Day: days since 1858-11-17.
        "julian" => format!("{}", days + 40_587),
        "hour" => format!("{hh:02}"),
        "minute" => format!("{mm:02}"),
        "second" => format!("{ss:02}"),
        "time" => format!("{hh:02}:{mm:02}:{ss:02}"),
        "iso8601" => {
            // RFC 3339 form; UTC is written "Z" (as Pigeonhole does).
            let z = zone_str(dt.offset);
            let z = if dt.offset == 0 {
                "Z".to_string()
            } else {
                format!("{}:{}", &z[..3], &z[3..])
            };
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{z}")
        }
        "std11" => format!(
            "{}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} {}",
            DAYS[(days + 4).rem_euclid(7) as usize],
            capital(MONTHS[(m - 1) as usize]),
            zone_str(dt.offset)
        ),
        "zone" => zone_str(dt.offset),
        "weekday" => format!("{}", (days + 4).rem_euclid(7)),
        _ => return None,
    })
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_splits_a_date() {
        let d = parse("Tue, 1 Apr 1997 09:06:31 -0800 (PST)").expect("date");
        assert_eq!(part(d, "date").as_deref(), Some("1997-04-01"));
        assert_eq!(part(d, "time").as_deref(), Some("09:06:31"));
        assert_eq!(part(d, "weekday").as_deref(), Some("2"));
        assert_eq!(part(d, "zone").as_deref(), Some("-0800"));
        let utc = DateTime {
            unix: d.unix,
            offset: 0,
        };
        assert_eq!(part(utc, "hour").as_deref(), Some("17"));
        assert_eq!(part(utc, "julian").as_deref(), Some("50539"));
        assert_eq!(
            part(utc, "iso8601").as_deref(),
            Some("1997-04-01T17:06:31Z")
        );
    }
}
