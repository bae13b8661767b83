//! Account names: case-insensitive, in one of two styles, from a
//! configurable character set; subaddresses; wildcards.
//!
//! - [`NameStyle::Local`]: an account is named by a local part (`john`);
//!   the domain of a recipient address is ignored. With user domains on,
//!   `john@example.org` names `john` in the namespace of `example.org`, a
//!   namespace that exists when its default account `default@example.org`
//!   does.
//! - [`NameStyle::Address`]: an account is named by a full address
//!   (`john@example.org`); only the template is named `default`.
//!
//! Names are stored folded to lower case. A local part holds at most 32
//! bytes in the store's character set; `+` is the subaddress separator and
//! never part of a name.

use std::fmt;

use encoding_rs::Encoding;

/// Longest local part, in bytes of the store's character set (PMDF's limit).
pub const MAX_LOCAL: usize = 32;
/// Longest domain, in characters.
pub const MAX_DOMAIN: usize = 253;
/// The name of the template account.
pub const DEFAULT_ACCOUNT: &str = "default";

/// How accounts are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameStyle {
    /// Local part only (`john`), optionally with user domains.
    #[default]
    Local,
    /// Full address (`john@example.org`).
    Address,
}

/// The naming rules of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRules {
    /// The name style.
    pub style: NameStyle,
    /// With [`NameStyle::Local`]: user domains, each with its own namespace
    /// and default account.
    pub user_domains: bool,
    /// The character set of names: `us-ascii`, or any WHATWG label that
    /// encoding_rs knows (`utf-8`, `iso-8859-1`, ...).
    pub charset: Charset,
}

impl Default for NameRules {
    fn default() -> Self {
        Self {
            style: NameStyle::Local,
            user_domains: false,
            charset: Charset::ascii(),
        }
    }
}

/// The character set account names must be representable in.
#[derive(Clone, PartialEq, Eq)]
pub struct Charset {
    label: String,
    encoding: Option<&'static Encoding>,
}

impl fmt::Debug for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl Charset {
    /// Plain ASCII.
    pub fn ascii() -> Self {
        Self {
            label: "us-ascii".into(),
            encoding: None,
        }
    }

    /// Looks a character set up by its label (`us-ascii`, `utf-8`,
    /// `iso-8859-1`, ...).
    pub fn for_label(label: &str) -> Option<Self> {
        let l = label.trim().to_ascii_lowercase();
        if l == "us-ascii" || l == "ascii" {
            return Some(Self::ascii());
        }
        let encoding = Encoding::for_label(l.as_bytes())?;
        Some(Self {
            label: encoding.name().to_ascii_lowercase(),
            encoding: Some(encoding),
        })
    }

    /// The canonical label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The length of `s` in this character set, or `None` when a character
    /// has no representation in it.
    pub fn encoded_len(&self, s: &str) -> Option<usize> {
        match self.encoding {
            None => s.is_ascii().then_some(s.len()),
            Some(e) => {
                let (bytes, _, errors) = e.encode(s);
                (!errors).then_some(bytes.len())
            }
        }
    }
}

/// A valid account name, folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AccountName(String);

/// Why a string is not a valid account name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("empty account name")]
    Empty,
    /// The local part is too long.
    #[error("account name {0:?} is longer than {MAX_LOCAL} bytes")]
    TooLong(String),
    /// A character is not allowed in names.
    #[error("account name {0:?}: character {1:?} is not allowed")]
    BadChar(String, char),
    /// A character has no representation in the store's character set.
    #[error("account name {0:?} is not representable in the store's character set {1}")]
    Charset(String, String),
    /// The domain part is malformed.
    #[error("account name {0:?}: bad domain")]
    BadDomain(String),
    /// The style needs a domain (address style) or forbids one.
    #[error("account name {0:?}: {1}")]
    Style(String, &'static str),
}

fn local_char_ok(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '\'' | '$' | '&' | '#' | '~' | '=')
}

fn check_domain(full: &str, d: &str) -> Result<(), NameError> {
    let ok = !d.is_empty()
        && d.len() <= MAX_DOMAIN
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !d.contains("..")
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(NameError::BadDomain(full.to_string()))
    }
}

impl NameRules {
    /// Validates an account name as an admin gives it, folding case.
    pub fn account(&self, raw: &str) -> Result<AccountName, NameError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let (local, domain) = match s.split_once('@') {
            Some((l, d)) => (l, Some(d)),
            None => (s.as_str(), None),
        };
        if local.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(c) = local.chars().find(|c| !local_char_ok(*c)) {
            return Err(NameError::BadChar(raw.to_string(), c));
        }
        let len = self
            .charset
            .encoded_len(local)
            .ok_or_else(|| NameError::Charset(raw.to_string(), self.charset.label().into()))?;
        if len > MAX_LOCAL {
            return Err(NameError::TooLong(raw.to_string()));
        }
        match (self.style, domain) {
            (_, Some(d)) => {
                if self.style == NameStyle::Local && !self.user_domains {
                    return Err(NameError::Style(
                        raw.to_string(),
                        "this store names accounts by local part only (no @domain)",
                    ));
                }
                check_domain(raw, d)?;
            }
            (NameStyle::Address, None) if local != DEFAULT_ACCOUNT => {
                return Err(NameError::Style(
                    raw.to_string(),
                    "this store names accounts by full address (user@domain)",
                ));
            }
            _ => {}
        }
        Ok(AccountName(s))
    }

    /// The template account for `name`: `default`, or with user domains
    /// `default@DOMAIN` for a name in a domain.
    pub fn default_for(&self, name: &AccountName) -> AccountName {
        match (self.style, self.user_domains, name.domain()) {
            (NameStyle::Local, true, Some(d)) => AccountName(format!("{DEFAULT_ACCOUNT}@{d}")),
            _ => AccountName(DEFAULT_ACCOUNT.to_string()),
        }
    }

    /// The account names a recipient address may denote, most specific
    /// first, with its subaddress: `John+Lists@Example.org` gives
    /// (`john@example.org`, `john` when user domains are on; `john` in
    /// local style; `john@example.org` in address style) and `lists`.
    pub fn candidates(
        &self,
        address: &str,
    ) -> Result<(Vec<AccountName>, Option<String>), NameError> {
        let sub = Subaddress::parse(address);
        let mut out = Vec::new();
        match (self.style, &sub.domain) {
            (NameStyle::Address, _) => out.push(self.account(&sub.base())?),
            (NameStyle::Local, Some(d)) if self.user_domains => {
                out.push(self.account(&format!("{}@{d}", sub.local))?);
                out.push(self.account(&sub.local)?);
            }
            (NameStyle::Local, _) => out.push(self.account(&sub.local)?),
        }
        Ok((out, sub.detail))
    }
}

impl AccountName {
    /// The name, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local part.
    pub fn local(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(l, _)| l)
    }

    /// The domain, when the name has one.
    pub fn domain(&self) -> Option<&str> {
        self.0.split_once('@').map(|(_, d)| d)
    }

    /// True for a template account (`default` or `default@DOMAIN`).
    pub fn is_default(&self) -> bool {
        self.local() == DEFAULT_ACCOUNT
    }

    /// Builds a name without validation, from a name read back from the
    /// store (already validated when it was written).
    pub fn from_stored(s: &str) -> Self {
        AccountName(s.to_lowercase())
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A recipient address split into local part, subaddress detail and domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subaddress {
    /// The local part without the detail, lower case.
    pub local: String,
    /// The text after the first `+`, as given.
    pub detail: Option<String>,
    /// The domain, lower case.
    pub domain: Option<String>,
}

impl Subaddress {
    /// Splits `user+detail@domain` (angle brackets and blanks trimmed).
    pub fn parse(address: &str) -> Self {
        let a = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = match a.rsplit_once('@') {
            Some((l, d)) => (l, Some(d.to_lowercase())),
            None => (a, None),
        };
        let (base, detail) = match local.split_once('+') {
            Some((b, d)) => (b, Some(d.to_string())),
            None => (local, None),
        };
        Subaddress {
            local: base.to_lowercase(),
            detail,
            domain,
        }
    }

    /// `local@domain` (or `local`) without the detail.
    pub fn base(&self) -> String {
        match &self.domain {
            Some(d) => format!("{}@{d}", self.local),
            None => self.local.clone(),
        }
    }
}

/// A case-insensitive wildcard pattern: `*` matches any run of characters,
/// `%` exactly one (the OpenVMS wildcards PMDF used), `?` is a synonym of `%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(Vec<char>);

impl Pattern {
    /// A pattern from text.
    pub fn new(p: &str) -> Self {
        Pattern(p.to_lowercase().chars().collect())
    }

    /// True when the text has wildcard characters.
    pub fn is_wild(p: &str) -> bool {
        p.contains(['*', '%', '?'])
    }

    /// True when the pattern matches every name (`*`).
    pub fn matches_all(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|&c| c == '*')
    }

    /// True when `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let n: Vec<char> = name.to_lowercase().chars().collect();
        let p = &self.0;
        // Iterative glob with backtracking to the last star.
        let (mut pi, mut ni) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ni < n.len() {
            if pi < p.len() && (p[pi] == '%' || p[pi] == '?' || p[pi] == n[ni]) {
                pi += 1;
                ni += 1;
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, ni));
                pi += 1;
            } else if let Some((sp, sn)) = star {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|c| *c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> NameRules {
        NameRules::default()
    }

    #[test]
    fn names_fold_case_and_check_characters() {
        let r = local();
        assert_eq!(r.account(" John.Doe ").unwrap().as_str(), "john.doe");
        assert_eq!(r.account(""), Err(NameError::Empty));
        assert!(matches!(r.account("a+b"), Err(NameError::BadChar(_, '+'))));
        assert!(matches!(r.account("a b"), Err(NameError::BadChar(_, ' '))));
        assert!(matches!(r.account("a/b"), Err(NameError::BadChar(_, '/'))));
        assert!(r.account(&"x".repeat(32)).is_ok());
        assert!(matches!(
            r.account(&"x".repeat(33)),
            Err(NameError::TooLong(_))
        ));
        assert!(matches!(
            r.account("john@example.org"),
            Err(NameError::Style(..))
        ));
    }

    #[test]
    fn charset_decides_what_names_may_hold() {
        let ascii = local();
        assert!(matches!(ascii.account("jörg"), Err(NameError::Charset(..))));
        let latin1 = NameRules {
            charset: Charset::for_label("iso-8859-1").unwrap(),
            ..local()
        };
        assert_eq!(latin1.account("Jörg").unwrap().as_str(), "jörg");
        assert!(matches!(
            latin1.account("日本"),
            Err(NameError::Charset(..))
        ));
        let utf8 = NameRules {
            charset: Charset::for_label("utf-8").unwrap(),
            ..local()
        };
        assert!(utf8.account("日本").is_ok());
        // 11 characters of 3 bytes each: 33 bytes, too long in UTF-8.
        assert!(matches!(
            utf8.account(&"日".repeat(11)),
            Err(NameError::TooLong(_))
        ));
        assert!(Charset::for_label("no-such-charset").is_none());
    }

    #[test]
    fn address_style_needs_a_domain() {
        let r = NameRules {
            style: NameStyle::Address,
            ..local()
        };
        assert_eq!(r.account("J@Ex.ORG").unwrap().as_str(), "j@ex.org");
        assert!(matches!(r.account("john"), Err(NameError::Style(..))));
        assert!(r.account("default").is_ok());
        assert!(matches!(
            r.account("j@ex..org"),
            Err(NameError::BadDomain(_))
        ));
        let (c, d) = r.candidates("<J+Box@Ex.Org>").unwrap();
        assert_eq!(c, vec![r.account("j@ex.org").unwrap()]);
        assert_eq!(d.as_deref(), Some("Box"));
    }

    #[test]
    fn user_domains_have_their_own_default() {
        let r = NameRules {
            user_domains: true,
            ..local()
        };
        let n = r.account("john@a.example").unwrap();
        assert_eq!(r.default_for(&n).as_str(), "default@a.example");
        assert_eq!(
            r.default_for(&r.account("john").unwrap()).as_str(),
            "default"
        );
        let (c, _) = r.candidates("john@a.example").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].as_str(), "john@a.example");
        assert_eq!(c[1].as_str(), "john");
    }

    #[test]
    fn subaddresses_split_at_the_first_plus() {
        let s = Subaddress::parse("<Ann+Lists+x@Host.Example>");
        assert_eq!(s.local, "ann");
        assert_eq!(s.detail.as_deref(), Some("Lists+x"));
        assert_eq!(s.domain.as_deref(), Some("host.example"));
        assert_eq!(s.base(), "ann@host.example");
        let (c, d) = local().candidates("ann+x@any.where").unwrap();
        assert_eq!(c[0].as_str(), "ann");
        assert_eq!(d.as_deref(), Some("x"));
    }

    #[test]
    fn wildcards_match_case_insensitively() {
        assert!(Pattern::new("J*").matches("john"));
        assert!(Pattern::new("*").matches(""));
        assert!(Pattern::new("j%hn").matches("JOHN"));
        assert!(!Pattern::new("j%hn").matches("jhn"));
        assert!(Pattern::new("*o*n").matches("john"));
        assert!(!Pattern::new("*x*").matches("john"));
        assert!(Pattern::is_wild("a*") && !Pattern::is_wild("abc"));
    }
}
