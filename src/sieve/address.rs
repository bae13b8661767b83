//! Addresses in header fields (RFC 5322 3.4, loosely): enough to take the
//! mailboxes out of `From:`, `To:` and the like, and to split an address
//! into local part, domain, user and detail (RFC 5233).

/// Whether `s` looks like one `local@domain` mailbox (for `redirect`).
pub fn valid_mailbox(s: &str) -> bool {
    let l = parse_list(s);
    l.len() == 1 && l[0].contains('@') && !l[0].starts_with('@') && !l[0].ends_with('@')
}

/// The addresses (`local@domain`, or a bare local part) of an address
/// list, without display names, comments and group syntax.
pub fn parse_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new(); // text outside angle brackets
    let mut angle: Option<String> = None;
    let mut in_angle = false;
    let mut chars = s.chars().peekable();
    let flush = |cur: &mut String, angle: &mut Option<String>, out: &mut Vec<String>| {
        let a = match angle.take() {
            Some(a) => a,
            None => cur.split_whitespace().collect::<Vec<_>>().join(""),
        };
        let a = a.trim().to_string();
        // Drop a source route (`@a,@b:user@host`).
        let a = match (a.starts_with('@'), a.find(':')) {
            (true, Some(i)) => a[i + 1..].to_string(),
            _ => a,
        };
        if !a.is_empty() {
            out.push(a);
        }
        cur.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut q = String::from('"');
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            q.push(e);
                        }
                        continue;
                    }
                    q.push(d);
                    if d == '"' {
                        break;
                    }
                }
                if in_angle {
                    if let Some(a) = angle.as_mut() {
                        a.push_str(&q);
                    }
                } else {
                    cur.push_str(&q);
                }
            }
            '(' => {
                let mut depth = 1;
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                cur.push(' ');
            }
            '<' => {
                in_angle = true;
                angle = Some(String::new());
            }
            '>' => in_angle = false,
            ':' if !in_angle => cur.clear(), // group name
            ';' if !in_angle => flush(&mut cur, &mut angle, &mut out),
            ',' if !in_angle => flush(&mut cur, &mut angle, &mut out),
            c => {
                if in_angle {
                    if let Some(a) = angle.as_mut() {
                        a.push(c);
                    }
                } else {
                    cur.push(c);
                }
            }
        }
    }
    flush(&mut cur, &mut angle, &mut out);
    out.into_iter()
        .map(|a| {
            // Unquote a quoted local part.
            match a.rfind('@') {
                Some(i) if a.starts_with('"') => format!("{}{}", a[..i].trim_matches('"'), &a[i..]),
                _ => a,
            }
        })
        .collect()
}

/// The local part of an address (all of it when there is no `@`).
pub fn local_part(a: &str) -> &str {
    match a.rfind('@') {
        Some(i) => &a[..i],
        None => a,
    }
}

/// The domain of an address (empty when there is no `@`).
pub fn domain(a: &str) -> &str {
    match a.rfind('@') {
        Some(i) => &a[i + 1..],
        None => "",
    }
}

/// The user and detail of a local part split at the first `sep`
/// (RFC 5233); the detail is `None` when there is no separator.
pub fn user_detail(local: &str, sep: char) -> (&str, Option<&str>) {
    match local.find(sep) {
        Some(i) => (&local[..i], Some(&local[i + sep.len_utf8()..])),
        None => (local, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_with_names_groups_and_comments() {
        assert_eq!(
            parse_list("\"Doe, J\" <j@x.org>, k@y.org (K), undisclosed:;"),
            vec!["j@x.org", "k@y.org"]
        );
        assert_eq!(parse_list("g: a@b.c, d@e.f;"), vec!["a@b.c", "d@e.f"]);
        assert_eq!(parse_list("<>"), Vec::<String>::new());
        assert!(valid_mailbox("a@b.c"));
        assert!(!valid_mailbox("a b"));
        assert_eq!(user_detail("ken+sieve", '+'), ("ken", Some("sieve")));
    }
}
