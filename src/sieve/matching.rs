//! Match types (`:is`, `:contains`, `:matches`, relational `:count` and
//! `:value`) and comparators (`i;octet`, `i;ascii-casemap`,
//! `i;ascii-numeric`), RFC 5228 2.7, RFC 4790 9, RFC 5231.

use std::cmp::Ordering;

/// A comparator (RFC 4790).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `i;octet`: bytes as they are.
    Octet,
    /// `i;ascii-casemap`: ASCII letters folded (the default).
    AsciiCasemap,
    /// `i;ascii-numeric`: leading decimal digits as a number; a string
    /// without leading digits is positive infinity.
    AsciiNumeric,
}

/// A relational operator (RFC 5231 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
}

impl Rel {
    /// Parses `"gt"` etc. (case-insensitive).
    pub fn parse(s: &str) -> Option<Rel> {
        Some(match s.to_ascii_lowercase().as_str() {
            "gt" => Rel::Gt,
            "ge" => Rel::Ge,
            "lt" => Rel::Lt,
            "le" => Rel::Le,
            "eq" => Rel::Eq,
            "ne" => Rel::Ne,
            _ => return None,
        })
    }

    /// Whether `ord` (value compared with key) satisfies the operator.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            Rel::Gt => ord == Ordering::Greater,
            Rel::Ge => ord != Ordering::Less,
            Rel::Lt => ord == Ordering::Less,
            Rel::Le => ord != Ordering::Greater,
            Rel::Eq => ord == Ordering::Equal,
            Rel::Ne => ord != Ordering::Equal,
        }
    }
}

/// The match type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// `:is` (the default)
    Is,
    /// `:contains`
    Contains,
    /// `:matches` (`*` and `?` wildcards, `\` quotes)
    Matches,
    /// `:count` (relational)
    Count(Rel),
    /// `:value` (relational)
    Value(Rel),
}

/// A match type with its comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The match type.
    pub kind: MatchKind,
    /// The comparator.
    pub cmp: Comparator,
}

impl Default for Match {
    fn default() -> Self {
        Match {
            kind: MatchKind::Is,
            cmp: Comparator::AsciiCasemap,
        }
    }
}

/// `i;ascii-numeric` value: `None` is positive infinity.
fn numeric(s: &str) -> Option<u128> {
    let digits: &str = &s[..s.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    if trimmed.len() > 38 {
        return Some(u128::MAX);
    }
    Some(trimmed.parse().unwrap_or(0))
}

impl Comparator {
    /// Parses a comparator name.
    pub fn parse(s: &str) -> Option<Comparator> {
        Some(match s.to_ascii_lowercase().as_str() {
            "i;octet" => Comparator::Octet,
            "i;ascii-casemap" => Comparator::AsciiCasemap,
            "i;ascii-numeric" => Comparator::AsciiNumeric,
            _ => return None,
        })
    }

    /// Orders `a` against `b`.
    pub fn order(self, a: &str, b: &str) -> Ordering {
        match self {
            Comparator::Octet => a.as_bytes().cmp(b.as_bytes()),
            Comparator::AsciiCasemap => a
                .bytes()
                .map(|c| c.to_ascii_uppercase())
                .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
            Comparator::AsciiNumeric => match (numeric(a), numeric(b)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => x.cmp(&y),
            },
        }
    }

    fn eq_char(self, a: char, b: char) -> bool {
        match self {
            Comparator::AsciiCasemap => a.eq_ignore_ascii_case(&b),
            _ => a == b,
        }
    }

    /// `:contains` (substring); i;ascii-numeric has no substring operation
    /// and the compiler refuses that pair.
    pub fn contains(self, hay: &str, needle: &str) -> bool {
        match self {
            Comparator::AsciiCasemap => hay
                .to_ascii_lowercase()
                .contains(&needle.to_ascii_lowercase()),
            _ => hay.contains(needle),
        }
    }
}

/// A piece of a `:matches` pattern.
#[derive(Debug, Clone, PartialEq)]
enum Pat {
    Lit(char),
    One,
    Star,
}

fn pattern(key: &str) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut it = key.chars();
    while let Some(c) = it.next() {
        out.push(match c {
            '\\' => match it.next() {
                Some(n) => Pat::Lit(n),
                None => Pat::Lit('\\'),
            },
            '*' => Pat::Star,
            '?' => Pat::One,
            c => Pat::Lit(c),
        });
    }
    out
}

/// `:matches` of `value` against the wildcard `key`; on success returns
/// the text each wildcard matched (RFC 5229 3.2), stars taking as little as
/// possible from the left.
///
/// Iterative, with one backtracking point: when a later star is reached,
/// giving an earlier star more text can only reach that later star further
/// right, where the rest was already tried, so only the last star is ever
/// extended. Time is O(key × value); `steps` counts the work, and the match
/// gives up (`None`, with `steps` above `budget`) once it exceeds `budget`.
pub fn wildcard(
    cmp: Comparator,
    value: &str,
    key: &str,
    steps: &mut u64,
    budget: u64,
) -> Option<Vec<String>> {
    let pat = pattern(key);
    let s: Vec<char> = value.chars().collect();
    let mut caps: Vec<(usize, usize)> = Vec::new();
    // The last star: its pattern index, where it starts, where it ends now,
    // and how many captures came before it.
    let mut star: Option<(usize, usize, usize, usize)> = None;
    let (mut pi, mut si) = (0usize, 0usize);
    loop {
        *steps += 1;
        if *steps > budget {
            return None;
        }
        let ok = match pat.get(pi) {
            None if si == s.len() => {
                return Some(
                    caps.iter()
                        .map(|&(a, b)| s[a..b].iter().collect())
                        .collect(),
                );
            }
            None => false,
            Some(Pat::Lit(c)) => {
                let ok = si < s.len() && cmp.eq_char(s[si], *c);
                if ok {
                    pi += 1;
                    si += 1;
                }
                ok
            }
            Some(Pat::One) => {
                let ok = si < s.len();
                if ok {
                    caps.push((si, si + 1));
                    pi += 1;
                    si += 1;
                }
                ok
            }
            Some(Pat::Star) => {
                star = Some((pi, si, si, caps.len()));
                caps.push((si, si));
                pi += 1;
                true
            }
        };
        if !ok {
            // Give the last star one more character, or fail.
            let (sp, start, end, n) = star?;
            if end >= s.len() {
                return None;
            }
            star = Some((sp, start, end + 1, n));
            caps.truncate(n);
            caps.push((start, end + 1));
            pi = sp + 1;
            si = end + 1;
        }
    }
}

/// Compares one value with one key under `:is`, `:contains` or `:value`.
pub fn simple(m: Match, value: &str, key: &str) -> bool {
    match m.kind {
        MatchKind::Is => m.cmp.order(value, key) == Ordering::Equal,
        MatchKind::Contains => m.cmp.contains(value, key),
        MatchKind::Value(rel) => rel.holds(m.cmp.order(value, key)),
        MatchKind::Matches | MatchKind::Count(_) => false,
    }
}

/// Quotes `*`, `?` and `\` (the `:quotewildcard` modifier).
pub fn quote_wildcard(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_capture_leftmost_shortest() {
        let mut n = 0;
        let c = wildcard(
            Comparator::AsciiCasemap,
            "Hello World",
            "h*o*d",
            &mut n,
            u64::MAX,
        );
        assert_eq!(c, Some(vec!["ell".to_string(), " Worl".to_string()]));
        assert!(wildcard(Comparator::Octet, "abc", "A*", &mut n, u64::MAX).is_none());
        assert!(wildcard(Comparator::Octet, "a*c", "a\\*c", &mut n, u64::MAX).is_some());
        assert!(wildcard(Comparator::Octet, "abc", "a\\*c", &mut n, u64::MAX).is_none());
        assert!(wildcard(Comparator::Octet, "", "*", &mut n, u64::MAX).is_some());
        assert!(wildcard(Comparator::Octet, "ab", "???", &mut n, u64::MAX).is_none());
    }

    #[test]
    fn numeric_comparator_treats_non_digits_as_infinity() {
        let c = Comparator::AsciiNumeric;
        assert_eq!(c.order("10", "9"), Ordering::Greater);
        assert_eq!(c.order("007", "7"), Ordering::Equal);
        assert_eq!(c.order("abc", "99999"), Ordering::Greater);
        assert_eq!(c.order("x", "y"), Ordering::Equal);
    }
}
