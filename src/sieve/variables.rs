//! The variables extension (RFC 5229): names, `${...}` expansion, the
//! match variables `${0}`..`${9}`, and the modifiers of `set`.

use std::collections::{HashMap, HashSet};

use super::ir::Modifier;
use super::matching::quote_wildcard;

/// `identifier *("." identifier)` as RFC 5229 3 defines variable names.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            let mut c = p.chars();
            matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
                && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        })
}

/// The variables of one run.
#[derive(Debug, Default, Clone)]
pub struct Vars {
    /// Named variables, lower-cased names.
    pub named: HashMap<String, String>,
    /// `${0}`..`${9}` from the last successful `:matches`.
    pub matched: Vec<String>,
    /// Longest value kept, in bytes.
    pub max_size: usize,
    /// Variables shared between scripts (RFC 6609 `global`).
    pub globals: HashMap<String, String>,
    /// The names the current script declared `global`.
    pub global_names: HashSet<String>,
}

/// Cuts `s` to at most `max` bytes at a character boundary.
pub fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut i = max;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        s.truncate(i);
    }
    s
}

impl Vars {
    /// Expands the `${name}` and `${N}` references of `s`; unknown
    /// variables are empty, malformed references stay as written.
    pub fn expand(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let tail = &rest[i + 2..];
            match tail.find('}') {
                Some(j) if is_ref(&tail[..j]) => {
                    out.push_str(&self.get(&tail[..j]));
                    rest = &tail[j + 1..];
                }
                _ => {
                    out.push_str("${");
                    rest = tail;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The value of one variable (by name or number).
    pub fn get(&self, name: &str) -> String {
        if name.bytes().all(|b| b.is_ascii_digit()) {
            let n: usize = name.parse().unwrap_or(usize::MAX);
            return self.matched.get(n).cloned().unwrap_or_default();
        }
        let lower = name.to_ascii_lowercase();
        if let Some(g) = lower.strip_prefix("global.") {
            return self.globals.get(g).cloned().unwrap_or_default();
        }
        if self.global_names.contains(&lower) {
            return self.globals.get(&lower).cloned().unwrap_or_default();
        }
        self.named.get(&lower).cloned().unwrap_or_default()
    }

    /// Sets a named variable (cut to the size limit).
    pub fn set(&mut self, name: &str, value: String) {
        let v = cut(value, self.max_size);
        let lower = name.to_ascii_lowercase();
        if let Some(g) = lower.strip_prefix("global.") {
            self.globals.insert(g.to_string(), v);
        } else if self.global_names.contains(&lower) {
            self.globals.insert(lower, v);
        } else {
            self.named.insert(lower, v);
        }
    }
}

fn is_ref(s: &str) -> bool {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) || valid_name(s)
}

/// Applies `set` modifiers (already sorted, highest precedence first).
pub fn apply(mods: &[Modifier], mut v: String) -> String {
    for m in mods {
        v = match m {
            Modifier::Lower => v.to_lowercase(),
            Modifier::Upper => v.to_uppercase(),
            Modifier::LowerFirst => first(&v, |c| c.to_lowercase().collect()),
            Modifier::UpperFirst => first(&v, |c| c.to_uppercase().collect()),
            Modifier::QuoteWildcard => quote_wildcard(&v),
            Modifier::Length => v.chars().count().to_string(),
        };
    }
    v
}

fn first(s: &str, f: impl Fn(char) -> String) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(x) => f(x) + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_modifies() {
        let mut v = Vars {
            max_size: 10,
            ..Vars::default()
        };
        v.set("Name", "World".into());
        v.matched = vec!["all".into(), "one".into()];
        assert_eq!(
            v.expand("Hi ${name} ${1}${2} ${bad-ref} ${"),
            "Hi World one ${bad-ref} ${"
        );
        v.set("long", "0123456789abc".into());
        assert_eq!(v.get("long"), "0123456789");
        let mut m = vec![Modifier::UpperFirst, Modifier::Lower];
        m.sort_by_key(|m| std::cmp::Reverse(m.precedence()));
        assert_eq!(apply(&m, "hELLO".into()), "Hello");
        assert_eq!(apply(&[Modifier::Length], "héllo".into()), "5");
    }
}
