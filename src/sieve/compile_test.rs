//! The compiler's half for tests: match types, comparators, address parts,
//! `:index`, body transforms and date zones.

use super::args::{GivenTag, Param, Split, raw_str};
use super::compile::Compiler;
use super::error::SieveError;
use super::ir::{AddrPart, BodyTransform, Index, Test, Zone};
use super::matching::{Comparator, Match, MatchKind, Rel};
use super::parser::{Arg, TestNode};

const MATCH_TAGS: &[(&str, Param)] = &[
    ("comparator", Param::Str),
    ("is", Param::None),
    ("contains", Param::None),
    ("matches", Param::None),
    ("count", Param::Str),
    ("value", Param::Str),
];

const ADDR_TAGS: &[(&str, Param)] = &[
    ("all", Param::None),
    ("localpart", Param::None),
    ("domain", Param::None),
    ("user", Param::None),
    ("detail", Param::None),
];

const INDEX_TAGS: &[(&str, Param)] = &[("index", Param::Num), ("last", Param::None)];

impl Compiler<'_> {
    fn tags(&self, extra: &[&[(&'static str, Param)]]) -> Vec<(&'static str, Param)> {
        let mut v: Vec<(&'static str, Param)> = MATCH_TAGS.to_vec();
        for e in extra {
            v.extend_from_slice(e);
        }
        v
    }

    /// The match type and comparator of a test.
    fn matcher(&self, sp: &Split) -> Result<Match, SieveError> {
        let ctx = self.ctx;
        let mut m = Match::default();
        let mut seen: Option<&GivenTag> = None;
        let mut kind_at = 0;
        for t in &sp.tags {
            let kind = match t.name.as_str() {
                "is" => MatchKind::Is,
                "contains" => MatchKind::Contains,
                "matches" => MatchKind::Matches,
                "count" | "value" => {
                    self.need("relational", t.at, &format!(":{}", t.name))?;
                    let op = t.param.as_ref().map(raw_str).unwrap_or("");
                    let Some(rel) = Rel::parse(op) else {
                        return Err(ctx.err(t.at, &format!("invalid relational operator \"{op}\"")));
                    };
                    if t.name == "count" {
                        MatchKind::Count(rel)
                    } else {
                        MatchKind::Value(rel)
                    }
                }
                "comparator" => {
                    let name = t.param.as_ref().map(raw_str).unwrap_or("");
                    let Some(c) = Comparator::parse(name) else {
                        return Err(ctx.err(t.at, &format!("unknown comparator \"{name}\"")));
                    };
                    if c == Comparator::AsciiNumeric {
                        self.need(
                            "comparator-i;ascii-numeric",
                            t.at,
                            "comparator i;ascii-numeric",
                        )?;
                    }
                    m.cmp = c;
                    continue;
                }
                _ => continue,
            };
            if let Some(prev) = seen {
                return Err(ctx.err(
                    t.at,
                    &format!("match types :{} and :{} together", prev.name, t.name),
                ));
            }
            seen = Some(t);
            kind_at = t.at;
            m.kind = kind;
        }
        if m.cmp == Comparator::AsciiNumeric
            && matches!(m.kind, MatchKind::Contains | MatchKind::Matches)
        {
            return Err(ctx.err(
                kind_at,
                "comparator i;ascii-numeric does not support substring matches",
            ));
        }
        Ok(m)
    }

    fn addr_part(&self, sp: &Split) -> Result<AddrPart, SieveError> {
        let mut part = None;
        for t in &sp.tags {
            let p = match t.name.as_str() {
                "all" => AddrPart::All,
                "localpart" => AddrPart::Local,
                "domain" => AddrPart::Domain,
                "user" | "detail" => {
                    self.need("subaddress", t.at, &format!(":{}", t.name))?;
                    if t.name == "user" {
                        AddrPart::User
                    } else {
                        AddrPart::Detail
                    }
                }
                _ => continue,
            };
            if part.is_some() {
                return Err(self.ctx.err(t.at, "two address parts"));
            }
            part = Some(p);
        }
        Ok(part.unwrap_or(AddrPart::All))
    }

    fn index(&self, sp: &Split) -> Result<Option<Index>, SieveError> {
        let mut idx = None;
        let mut last = None;
        for t in &sp.tags {
            match (t.name.as_str(), &t.param) {
                ("index", Some(Arg::Number(n))) => {
                    self.need("index", t.at, ":index")?;
                    if *n == 0 {
                        return Err(self.ctx.err(t.at, ":index must be 1 or more"));
                    }
                    idx = Some(*n);
                }
                ("last", _) => last = Some(t.at),
                _ => {}
            }
        }
        match (idx, last) {
            (None, Some(at)) => Err(self.ctx.err(at, ":last without :index")),
            (Some(n), l) => Ok(Some(Index {
                n,
                last: l.is_some(),
            })),
            (None, None) => Ok(None),
        }
    }

    /// Compiles one test.
    pub(super) fn test(&self, n: &TestNode) -> Result<Test, SieveError> {
        let ctx = self.ctx;
        let name = n.name.as_str();
        let no_tests = |t: &TestNode| -> Result<(), SieveError> {
            if t.tests.is_empty() {
                Ok(())
            } else {
                Err(ctx.err(t.tests[0].at, &format!("{} takes no nested test", t.name)))
            }
        };
        let idx_tags: &'static [(&'static str, Param)] = INDEX_TAGS;
        Ok(match name {
            "true" | "false" => {
                no_tests(n)?;
                ctx.positional(name, n.at, &ctx.split(name, &n.args, &[])?.pos, &[])?;
                if name == "true" {
                    Test::True
                } else {
                    Test::False
                }
            }
            "not" => {
                ctx.positional(name, n.at, &ctx.split(name, &n.args, &[])?.pos, &[])?;
                if n.tests.len() != 1 {
                    return Err(ctx.err(n.at, "not needs exactly one test"));
                }
                Test::Not(Box::new(self.test(&n.tests[0])?))
            }
            "allof" | "anyof" => {
                ctx.positional(name, n.at, &ctx.split(name, &n.args, &[])?.pos, &[])?;
                if n.tests.is_empty() {
                    return Err(ctx.err(n.at, &format!("{name} needs a test list")));
                }
                let ts = n
                    .tests
                    .iter()
                    .map(|t| self.test(t))
                    .collect::<Result<Vec<_>, _>>()?;
                if name == "allof" {
                    Test::AllOf(ts)
                } else {
                    Test::AnyOf(ts)
                }
            }
            "exists" => {
                no_tests(n)?;
                let sp = ctx.split(name, &n.args, &[])?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List])?;
                Test::Exists(ctx.list_of(&sp.pos[0].arg))
            }
            "size" => {
                no_tests(n)?;
                let sp = ctx.split(
                    name,
                    &n.args,
                    &[("over", Param::None), ("under", Param::None)],
                )?;
                ctx.positional(name, n.at, &sp.pos, &[Param::Num])?;
                if sp.tags.len() != 1 {
                    return Err(ctx.err(n.at, "size needs exactly one of :over and :under"));
                }
                let limit = match sp.pos[0].arg {
                    Arg::Number(l) => l,
                    _ => 0,
                };
                Test::Size {
                    over: sp.tags[0].name == "over",
                    limit,
                }
            }
            "header" => {
                no_tests(n)?;
                let sp = ctx.split(name, &n.args, &self.tags(&[idx_tags]))?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List, Param::List])?;
                Test::Header {
                    m: self.matcher(&sp)?,
                    names: ctx.list_of(&sp.pos[0].arg),
                    keys: ctx.list_of(&sp.pos[1].arg),
                    index: self.index(&sp)?,
                }
            }
            "address" | "envelope" => {
                no_tests(n)?;
                let extra: Vec<&'static [(&'static str, Param)]> = if name == "address" {
                    vec![ADDR_TAGS, idx_tags]
                } else {
                    self.need("envelope", n.at, "envelope")?;
                    vec![ADDR_TAGS]
                };
                let sp = ctx.split(name, &n.args, &self.tags(&extra))?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List, Param::List])?;
                let m = self.matcher(&sp)?;
                let part = self.addr_part(&sp)?;
                let names = ctx.list_of(&sp.pos[0].arg);
                let keys = ctx.list_of(&sp.pos[1].arg);
                if name == "address" {
                    Test::Address {
                        m,
                        part,
                        names,
                        keys,
                        index: self.index(&sp)?,
                    }
                } else {
                    for v in &names {
                        let l = v.raw.to_ascii_lowercase();
                        if !v.vars && l != "from" && l != "to" {
                            return Err(ctx.err(
                                sp.pos[0].at,
                                &format!("envelope: unknown envelope part \"{}\"", v.raw),
                            ));
                        }
                    }
                    Test::Envelope {
                        m,
                        part,
                        names,
                        keys,
                    }
                }
            }
            "body" => {
                no_tests(n)?;
                self.need("body", n.at, "body")?;
                let t: &'static [(&'static str, Param)] = &[
                    ("raw", Param::None),
                    ("content", Param::List),
                    ("text", Param::None),
                ];
                let sp = ctx.split(name, &n.args, &self.tags(&[t]))?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List])?;
                let mut transform = None;
                for g in &sp.tags {
                    let tr = match g.name.as_str() {
                        "raw" => BodyTransform::Raw,
                        "text" => BodyTransform::Text,
                        "content" => BodyTransform::Content(
                            g.param.as_ref().map(|p| ctx.list_of(p)).unwrap_or_default(),
                        ),
                        _ => continue,
                    };
                    if transform.is_some() {
                        return Err(ctx.err(g.at, "body: two transforms"));
                    }
                    transform = Some(tr);
                }
                Test::Body {
                    m: self.matcher(&sp)?,
                    transform: transform.unwrap_or(BodyTransform::Text),
                    keys: ctx.list_of(&sp.pos[0].arg),
                }
            }
            "date" | "currentdate" => {
                no_tests(n)?;
                self.need("date", n.at, name)?;
                let z: &'static [(&'static str, Param)] =
                    &[("zone", Param::Str), ("originalzone", Param::None)];
                let mut extra: Vec<&'static [(&'static str, Param)]> = vec![&z[..1]];
                if name == "date" {
                    extra = vec![z, idx_tags];
                }
                let sp = ctx.split(name, &n.args, &self.tags(&extra))?;
                let mut zone = Zone::Local;
                for g in &sp.tags {
                    let nz = match g.name.as_str() {
                        "zone" => {
                            let v = g
                                .param
                                .as_ref()
                                .map(|p| ctx.str_of(p))
                                .unwrap_or(ctx.value(""));
                            // An invalid zone is ignored at run time (as Pigeonhole does).
                            Zone::Fixed(v)
                        }
                        "originalzone" => Zone::Original,
                        _ => continue,
                    };
                    if zone != Zone::Local {
                        return Err(ctx.err(g.at, ":zone and :originalzone together"));
                    }
                    zone = nz;
                }
                let (header, part, keys) = if name == "date" {
                    ctx.positional(name, n.at, &sp.pos, &[Param::Str, Param::Str, Param::List])?;
                    (Some(ctx.str_of(&sp.pos[0].arg)), &sp.pos[1], &sp.pos[2])
                } else {
                    ctx.positional(name, n.at, &sp.pos, &[Param::Str, Param::List])?;
                    (None, &sp.pos[0], &sp.pos[1])
                };
                // An unknown date part makes the test false (as Pigeonhole does).
                let pv = ctx.str_of(&part.arg);
                Test::Date {
                    m: self.matcher(&sp)?,
                    zone,
                    header,
                    part: pv,
                    keys: ctx.list_of(&keys.arg),
                    index: if name == "date" {
                        self.index(&sp)?
                    } else {
                        None
                    },
                }
            }
            "string" => {
                no_tests(n)?;
                self.need("variables", n.at, "string")?;
                let sp = ctx.split(name, &n.args, &self.tags(&[]))?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List, Param::List])?;
                Test::String {
                    m: self.matcher(&sp)?,
                    sources: ctx.list_of(&sp.pos[0].arg),
                    keys: ctx.list_of(&sp.pos[1].arg),
                }
            }
            "hasflag" => {
                no_tests(n)?;
                self.need("imap4flags", n.at, "hasflag")?;
                let sp = ctx.split(name, &n.args, &self.tags(&[]))?;
                let (vars, keys) = if sp.pos.len() == 2 {
                    ctx.positional(name, n.at, &sp.pos, &[Param::List, Param::List])?;
                    self.need("variables", n.at, "hasflag with variables")?;
                    (ctx.list_of(&sp.pos[0].arg), ctx.list_of(&sp.pos[1].arg))
                } else {
                    ctx.positional(name, n.at, &sp.pos, &[Param::List])?;
                    (Vec::new(), ctx.list_of(&sp.pos[0].arg))
                };
                Test::HasFlag {
                    m: self.matcher(&sp)?,
                    vars,
                    keys,
                }
            }
            "mailboxexists" => {
                no_tests(n)?;
                self.need("mailbox", n.at, name)?;
                let sp = ctx.split(name, &n.args, &[])?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List])?;
                Test::MailboxExists(ctx.list_of(&sp.pos[0].arg))
            }
            other => return Err(ctx.err(n.at, &format!("unknown test \"{other}\""))),
        })
    }
}
