//! Templates that map an account name to a name another system knows: a
//! login name (`/etc/passwd`, PAM, a checkpassword program), an LDAP
//! filter value or a DN. Each value is escaped for where it goes.

/// A template: `%u` is the account name, `%n` its local part (before the
/// last `@`), `%d` its domain (empty when it has none); `%Lu`, `%Ln`, `%Ld`
/// the same in lower case; `%%` a percent sign. Other text is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field { field: Field, lower: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    User,
    Local,
    Domain,
}

impl Template {
    /// Parses a template; names the first bad `%` sequence.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            let mut next = chars.next();
            let lower = next == Some('L');
            if lower {
                next = chars.next();
            }
            let field = match next {
                Some('%') if !lower => {
                    text.push('%');
                    continue;
                }
                Some('u') => Field::User,
                Some('n') => Field::Local,
                Some('d') => Field::Domain,
                _ => {
                    return Err(format!(
                        "`{s}`: `%` must be followed by u, n, d (or Lu, Ln, Ld) or %"
                    ));
                }
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Field { field, lower });
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template(pieces))
    }

    /// True when the template names the account at all.
    pub fn uses_name(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Piece::Field { .. }))
    }

    /// The template with `user` put in, each value passed through `escape`.
    pub fn render(&self, user: &str, escape: impl Fn(&str) -> String) -> String {
        let (local, domain) = match user.rsplit_once('@') {
            Some((l, d)) => (l, d),
            None => (user, ""),
        };
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field { field, lower } => {
                    let v = match field {
                        Field::User => user,
                        Field::Local => local,
                        Field::Domain => domain,
                    };
                    if *lower {
                        out.push_str(&escape(&v.to_lowercase()));
                    } else {
                        out.push_str(&escape(v));
                    }
                }
            }
        }
        out
    }

    /// The template with `user` put in, unescaped.
    pub fn plain(&self, user: &str) -> String {
        self.render(user, str::to_string)
    }
}

impl std::str::FromStr for Template {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Template::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_escapes() {
        let t = Template::parse("uid=%n,dc=%Ld,o=%u%%").unwrap();
        assert_eq!(
            t.plain("Ann@Example.ORG"),
            "uid=Ann,dc=example.org,o=Ann@Example.ORG%"
        );
        assert_eq!(Template::parse("%Ln").unwrap().plain("BOB"), "bob");
        assert_eq!(Template::parse("%d").unwrap().plain("bob"), "");
        let quoted = t.render("a,b", |v| v.replace(',', "\\,"));
        assert_eq!(quoted, "uid=a\\,b,dc=,o=a\\,b%");
        assert!(Template::parse("%x").is_err());
        assert!(Template::parse("tail%").is_err());
        assert!(Template::parse("%L%").is_err());
        assert!(!Template::parse("fixed").unwrap().uses_name());
    }
}
