//! Envelope addresses as an MTA gives them (RFC 5321 section 4.1.2): the
//! `<path>` of LMTP's `MAIL FROM` and `RCPT TO`, and the recipients of
//! `popstore deliver` / `validate`. One parser for both, so the same
//! address means the same account whichever way the mail comes.
//!
//! A quoted local part is the same address as its unquoted form when it
//! needs no quoting (`"alice"@localhost` is `alice@localhost`, and so is
//! `"al\ice"@localhost`); [`Mailbox::canonical`] writes that form. A local
//! part that does need quotes keeps them (and names no account, whose
//! names never need them). Source routes (`<@relay:user@host>`) are
//! ignored in a reverse path, as RFC 5321 asks, and refused in a forward
//! path: a store relays nowhere.

use std::fmt;

/// Why an address is refused; [`AddressError::reply`] gives the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// Not an address (`501 5.1.3` for a recipient, `5.1.7` for a sender).
    Syntax(&'static str),
    /// A source route in a forward path (`553 5.7.1`).
    SourceRoute,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::Syntax(why) => f.write_str(why),
            AddressError::SourceRoute => {
                f.write_str("source routes are not accepted; give the mailbox alone")
            }
        }
    }
}

impl AddressError {
    /// The reply code and enhanced status code for a recipient.
    pub fn reply(&self) -> (u16, (u8, u16, u16)) {
        match self {
            AddressError::Syntax(_) => (501, (5, 1, 3)),
            AddressError::SourceRoute => (553, (5, 7, 1)),
        }
    }
}

/// A mailbox: the local part (quotes and escapes removed) and the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The local part as its characters, without quoting.
    pub local: String,
    /// The domain (or address literal) as written; `None` for a bare
    /// local part (`Postmaster`, or a name given to `popstore deliver`).
    pub domain: Option<String>,
}

/// RFC 5322 `atext`, with any non-ASCII character (RFC 6531).
fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// `Dot-string = Atom *("." Atom)`.
fn is_dot_string(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext))
}

/// `Domain = sub-domain *("." sub-domain)` (labels of letters, digits and
/// inner hyphens), or an address literal `[...]`.
fn is_domain(d: &str) -> bool {
    if let Some(lit) = d.strip_prefix('[') {
        return lit.strip_suffix(']').is_some_and(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '[' | ']' | '\\'))
        });
    }
    d.len() <= 255
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

impl Mailbox {
    /// Parses `local-part@domain` or a bare local part.
    ///
    /// `Local-part = Dot-string / Quoted-string`; in a quoted string,
    /// `\x` stands for `x`.
    pub fn parse(s: &str) -> Result<Mailbox, AddressError> {
        let (local, rest) = if let Some(q) = s.strip_prefix('"') {
            let mut local = String::new();
            let mut chars = q.char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err(AddressError::Syntax("unterminated quoted string")),
                    Some((i, '"')) => break i + 2,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) if !c.is_control() => local.push(c),
                        _ => return Err(AddressError::Syntax("bad escape in quoted string")),
                    },
                    Some((_, c)) if c.is_control() => {
                        return Err(AddressError::Syntax("control character in address"));
                    }
                    Some((_, c)) => local.push(c),
                }
            };
            (local, &s[end..])
        } else {
            let end = s.find('@').unwrap_or(s.len());
            let local = &s[..end];
            if !is_dot_string(local) {
                return Err(AddressError::Syntax(if local.is_empty() {
                    "empty local part"
                } else {
                    "bad local part (quote it)"
                }));
            }
            (local.to_string(), &s[end..])
        };
        if local.is_empty() {
            return Err(AddressError::Syntax("empty local part"));
        }
        let domain = match rest.strip_prefix('@') {
            None if rest.is_empty() => None,
            None => return Err(AddressError::Syntax("text after the local part")),
            Some(d) if is_domain(d) => Some(d.to_string()),
            Some(_) => return Err(AddressError::Syntax("bad domain")),
        };
        Ok(Mailbox { local, domain })
    }

    /// The address in its one canonical form: the local part unquoted when
    /// it needs no quotes (else quoted, with `"` and `\` escaped), the
    /// domain in lower case.
    pub fn canonical(&self) -> String {
        let local = if is_dot_string(&self.local) {
            self.local.clone()
        } else {
            let mut q = String::from('"');
            for c in self.local.chars() {
                if c == '"' || c == '\\' {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        };
        match &self.domain {
            Some(d) => format!("{local}@{}", d.to_lowercase()),
            None => local,
        }
    }
}

/// Which path is parsed: routes are ignored in one and refused in the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// `MAIL FROM`: `<>` allowed, a source route ignored.
    Reverse,
    /// `RCPT TO`: a mailbox required, a source route refused.
    Forward,
}

/// Parses `<path>` at the start of `s`: the canonical address (empty for
/// `<>`) and what follows the `>` (the parameters).
///
/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`, `Reverse-path = Path / "<>"`.
pub fn parse_path(s: &str, kind: PathKind) -> Result<(String, &str), AddressError> {
    let Some(inner) = s.strip_prefix('<') else {
        return Err(AddressError::Syntax("it must be written in angle brackets"));
    };
    // The closing '>', outside a quoted string.
    let mut in_quotes = false;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in inner.char_indices() {
        if escaped {
            escaped = false;
        } else if in_quotes {
            match c {
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_quotes = true,
                '>' => {
                    end = Some(i);
                    break;
                }
                ' ' | '\t' | '<' => {
                    return Err(AddressError::Syntax("space or '<' outside quotes"));
                }
                _ => {}
            }
        }
    }
    let Some(end) = end else {
        return Err(AddressError::Syntax("no closing '>'"));
    };
    let mut address = &inner[..end];
    let after = &inner[end + 1..];
    if !(after.is_empty() || after.starts_with(' ')) {
        return Err(AddressError::Syntax("text after '>'"));
    }
    if address.is_empty() {
        return match kind {
            PathKind::Reverse => Ok((String::new(), after)),
            PathKind::Forward => Err(AddressError::Syntax("empty")),
        };
    }
    if address.starts_with('@') {
        // `A-d-l = At-domain *( "," At-domain )`, then ':'.
        let Some(colon) = address.find(':') else {
            return Err(AddressError::Syntax("a source route without ':'"));
        };
        let route_ok = address[..colon]
            .split(',')
            .all(|h| h.strip_prefix('@').is_some_and(is_domain));
        if !route_ok {
            return Err(AddressError::Syntax("bad source route"));
        }
        if kind == PathKind::Forward {
            return Err(AddressError::SourceRoute);
        }
        address = &address[colon + 1..];
    }
    Ok((Mailbox::parse(address)?.canonical(), after))
}

/// A recipient given outside LMTP (`popstore deliver --to`, `validate`):
/// a mailbox, in angle brackets or not; its canonical form.
pub fn parse_recipient(s: &str) -> Result<String, AddressError> {
    let s = s.trim();
    if s.starts_with('<') {
        match parse_path(s, PathKind::Forward)? {
            (a, "") => Ok(a),
            _ => Err(AddressError::Syntax("text after '>'")),
        }
    } else {
        Ok(Mailbox::parse(s)?.canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwd(s: &str) -> Result<String, AddressError> {
        parse_path(s, PathKind::Forward).map(|(a, _)| a)
    }

    #[test]
    fn quoted_local_parts_that_need_no_quotes_are_the_plain_address() {
        assert_eq!(fwd("<\"alice\"@localhost>").unwrap(), "alice@localhost");
        assert_eq!(fwd("<\"al\\ice\"@LocalHost>").unwrap(), "alice@localhost");
        assert_eq!(fwd("<\"a.b+x\"@h>").unwrap(), "a.b+x@h");
        assert_eq!(fwd("<Alice@Example.ORG>").unwrap(), "Alice@example.org");
        assert_eq!(fwd("<\"a b\"@h>").unwrap(), "\"a b\"@h");
        assert_eq!(fwd("<\"a\\\"b\"@h>").unwrap(), "\"a\\\"b\"@h");
        assert_eq!(fwd("<\"a..b\"@h>").unwrap(), "\"a..b\"@h");
        assert_eq!(
            fwd("<\"john smith>\"@foo.edu>").unwrap(),
            "\"john smith>\"@foo.edu"
        );
        assert_eq!(fwd("<Postmaster>").unwrap(), "Postmaster");
        assert_eq!(fwd("<a@[127.0.0.1]>").unwrap(), "a@[127.0.0.1]");
        assert_eq!(parse_recipient(" \"bob\"@x ").unwrap(), "bob@x");
        assert_eq!(parse_recipient("<bob>").unwrap(), "bob");
    }

    #[test]
    fn source_routes_are_refused_for_recipients_and_dropped_for_senders() {
        assert_eq!(fwd("<@r1,@r2:a@b.c>"), Err(AddressError::SourceRoute));
        assert_eq!(
            parse_path("<@r1,@r2:a@b.c> X", PathKind::Reverse).unwrap(),
            ("a@b.c".to_string(), " X")
        );
        assert_eq!(parse_path("<>", PathKind::Reverse).unwrap().0, "");
        assert_eq!(AddressError::SourceRoute.reply(), (553, (5, 7, 1)));
    }

    #[test]
    fn odd_forms_are_syntax_errors() {
        for bad in [
            "a@b",
            "<>",
            "<a@b",
            "<a b@c>",
            "<a@b>x",
            "<@b>",
            "<a@>",
            "<@r1,r2:a@b>",
            "<@r1 a@b>",
            "<\"a@b>",
            "<\"a\"b@c>",
            "<a..b@c>",
            "<.a@c>",
            "<a.@c>",
            "<a@b@c>",
            "<a@-b.c>",
            "<a@b..c>",
            "<a@b.c.>",
            "<a@b_c>",
            "<a@[1.2.3.4>",
            "<\"a\\\"@b>",
        ] {
            let r = fwd(bad);
            assert!(matches!(r, Err(AddressError::Syntax(_))), "{bad}: {r:?}");
        }
        assert!(matches!(
            parse_recipient("<a@b> c"),
            Err(AddressError::Syntax(_))
        ));
        assert!(matches!(parse_recipient(""), Err(AddressError::Syntax(_))));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_canonical_forms_parse_back(s in "<[\"a-z@.\\\\ :,<>\\[\\]é]{0,20}>") {
            if let Ok((a, _)) = parse_path(&s, PathKind::Forward) {
                let again = parse_path(&format!("<{a}>"), PathKind::Forward).unwrap().0;
                proptest::prop_assert_eq!(a, again);
            }
        }
    }
}
