//! Splitting a command's or test's arguments into tagged and positional
//! ones and checking their types, for the compiler.

use super::error::SieveError;
use super::ir::Value;
use super::parser::{Arg, PosArg};

/// What a tag takes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// Nothing.
    None,
    /// A single string.
    Str,
    /// A string list (a single string is a list of one).
    List,
    /// A number.
    Num,
}

/// A tag that was given, with its parameter.
#[derive(Debug, Clone)]
pub struct GivenTag {
    /// The tag name.
    pub name: String,
    /// Its offset.
    pub at: usize,
    /// Its parameter.
    pub param: Option<Arg>,
}

/// The arguments once split.
#[derive(Debug)]
pub struct Split {
    /// Tagged arguments in order.
    pub tags: Vec<GivenTag>,
    /// Positional arguments in order.
    pub pos: Vec<PosArg>,
}

/// Context for string conversion: the script and which extensions apply.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The script text (for positions).
    pub src: &'a str,
    /// `variables` was required.
    pub variables: bool,
    /// `encoded-character` was required.
    pub encoded: bool,
}

impl Ctx<'_> {
    /// An error at `at`.
    pub fn err(&self, at: usize, m: &str) -> SieveError {
        SieveError::at(self.src, at, m)
    }

    /// Turns a string into a [`Value`].
    pub fn value(&self, s: &str) -> Value {
        let raw = if self.encoded {
            super::encoded::decode(s)
        } else {
            s.to_string()
        };
        let vars = self.variables && raw.contains("${");
        Value { raw, vars }
    }

    /// Splits `args` with the tag table `allowed` (name, parameter).
    pub fn split(
        &self,
        what: &str,
        args: &[PosArg],
        allowed: &[(&str, Param)],
    ) -> Result<Split, SieveError> {
        let mut tags: Vec<GivenTag> = Vec::new();
        let mut pos = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if let Arg::Tag(t) = &a.arg {
                if !pos.is_empty() {
                    return Err(self.err(
                        a.at,
                        &format!("{what}: tag :{t} after positional arguments"),
                    ));
                }
                let Some((_, p)) = allowed.iter().find(|(n, _)| n == t) else {
                    return Err(self.err(a.at, &format!("{what}: unknown tag :{t}")));
                };
                if tags.iter().any(|g| &g.name == t) {
                    return Err(self.err(a.at, &format!("{what}: tag :{t} given twice")));
                }
                let param = match p {
                    Param::None => None,
                    _ => {
                        let Some(n) = args.get(i) else {
                            return Err(
                                self.err(a.at, &format!("{what}: tag :{t} needs an argument"))
                            );
                        };
                        i += 1;
                        let ok = matches!(
                            (p, &n.arg),
                            (Param::Str, Arg::Str(_))
                                | (Param::List, Arg::Str(_) | Arg::List(_))
                                | (Param::Num, Arg::Number(_))
                        );
                        if !ok {
                            let want = match p {
                                Param::Str => "a string",
                                Param::List => "a string list",
                                _ => "a number",
                            };
                            return Err(self.err(n.at, &format!("{what}: tag :{t} needs {want}")));
                        }
                        Some(n.arg.clone())
                    }
                };
                tags.push(GivenTag {
                    name: t.clone(),
                    at: a.at,
                    param,
                });
            } else {
                pos.push(a.clone());
            }
        }
        Ok(Split { tags, pos })
    }

    /// Checks the positional arguments against `kinds` (Str, List, Num).
    pub fn positional(
        &self,
        what: &str,
        at: usize,
        pos: &[PosArg],
        kinds: &[Param],
    ) -> Result<(), SieveError> {
        if pos.len() != kinds.len() {
            let a = pos.get(kinds.len()).map(|p| p.at).unwrap_or(at);
            return Err(self.err(
                a,
                &format!(
                    "{what}: expected {} positional argument(s), found {}",
                    kinds.len(),
                    pos.len()
                ),
            ));
        }
        for (p, k) in pos.iter().zip(kinds) {
            let ok = matches!(
                (k, &p.arg),
                (Param::Str, Arg::Str(_))
                    | (Param::List, Arg::Str(_) | Arg::List(_))
                    | (Param::Num, Arg::Number(_))
            );
            if !ok {
                let want = match k {
                    Param::Str => "a string",
                    Param::List => "a string list",
                    Param::Num => "a number",
                    Param::None => "nothing",
                };
                return Err(self.err(p.at, &format!("{what}: argument must be {want}")));
            }
        }
        Ok(())
    }

    /// A string argument as a value.
    pub fn str_of(&self, a: &Arg) -> Value {
        match a {
            Arg::Str(s) => self.value(s),
            Arg::List(l) => self.value(l.first().map(String::as_str).unwrap_or("")),
            _ => self.value(""),
        }
    }

    /// A string-list argument as values.
    pub fn list_of(&self, a: &Arg) -> Vec<Value> {
        match a {
            Arg::Str(s) => vec![self.value(s)],
            Arg::List(l) => l.iter().map(|s| self.value(s)).collect(),
            _ => Vec::new(),
        }
    }
}

/// The raw string of a string argument.
pub fn raw_str(a: &Arg) -> &str {
    match a {
        Arg::Str(s) => s,
        _ => "",
    }
}
