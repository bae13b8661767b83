//! Evaluating tests: what each test looks at in the message, and the
//! comparison of those values with the keys.

use super::address;
use super::date::{self, DateTime};
use super::error::RuntimeError;
use super::interp::Run;
use super::ir::{AddrPart, BodyTransform, Index, Test, Value, Zone};
use super::matching::{self, Match, MatchKind};

fn pick(mut vals: Vec<String>, idx: Option<Index>) -> Vec<String> {
    match idx {
        None => vals,
        Some(Index { n, last }) => {
            let n = n as usize;
            if n == 0 || n > vals.len() {
                return Vec::new();
            }
            let i = if last { vals.len() - n } else { n - 1 };
            vec![vals.swap_remove(i)]
        }
    }
}

impl Run<'_> {
    /// Compares `values` with `keys`; sets the match variables after a
    /// successful `:matches`.
    fn compare(
        &mut self,
        m: Match,
        values: &[String],
        keys: &[Value],
    ) -> Result<bool, RuntimeError> {
        let keys = self.ex_list(keys);
        if let MatchKind::Count(rel) = m.kind {
            let count = values.len().to_string();
            self.step(keys.len() as u64)?;
            return Ok(keys.iter().any(|k| rel.holds(m.cmp.order(&count, k))));
        }
        for v in values {
            for k in &keys {
                self.step(1 + (v.len() as u64 / 64))?;
                if m.kind == MatchKind::Matches {
                    let mut steps = 0;
                    let budget = self.remaining_steps();
                    let caps = matching::wildcard(m.cmp, v, k, &mut steps, budget);
                    self.step(steps)?;
                    if let Some(caps) = caps {
                        let mut mv = vec![v.clone()];
                        mv.extend(caps.into_iter().take(9));
                        self.vars.matched = mv;
                        return Ok(true);
                    }
                } else if matching::simple(m, v, k) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn addr_part(&self, a: &str, part: AddrPart) -> Option<String> {
        let sep = self.env.separator;
        Some(match part {
            AddrPart::All => a.to_string(),
            AddrPart::Local => address::local_part(a).to_string(),
            AddrPart::Domain => address::domain(a).to_string(),
            AddrPart::User => address::user_detail(address::local_part(a), sep)
                .0
                .to_string(),
            AddrPart::Detail => address::user_detail(address::local_part(a), sep)
                .1?
                .to_string(),
        })
    }

    fn zone_of(&self, zone: &Zone, dt: DateTime) -> DateTime {
        match zone {
            Zone::Original => dt,
            Zone::Local => DateTime {
                unix: dt.unix,
                offset: self.env.local_offset,
            },
            Zone::Fixed(z) => DateTime {
                unix: dt.unix,
                offset: date::parse_zone(&self.ex(z)).unwrap_or(self.env.local_offset),
            },
        }
    }

    /// Evaluates a test.
    pub(super) fn test(&mut self, t: &Test) -> Result<bool, RuntimeError> {
        self.step(1)?;
        let msg = self.msg;
        Ok(match t {
            Test::True => true,
            Test::False => false,
            Test::Not(t) => !self.test(t)?,
            Test::AllOf(ts) => {
                for t in ts {
                    if !self.test(t)? {
                        return Ok(false);
                    }
                }
                true
            }
            Test::AnyOf(ts) => {
                for t in ts {
                    if self.test(t)? {
                        return Ok(true);
                    }
                }
                false
            }
            Test::Exists(names) => self
                .ex_list(names)
                .iter()
                .all(|n| !msg.header_raw(n).is_empty()),
            Test::Size { over, limit } => {
                if *over {
                    msg.size > *limit
                } else {
                    msg.size < *limit
                }
            }
            Test::Header {
                m,
                names,
                keys,
                index,
            } => {
                let mut vals = Vec::new();
                for n in self.ex_list(names) {
                    vals.extend(pick(msg.header(&n), *index));
                }
                self.compare(*m, &vals, keys)?
            }
            Test::Address {
                m,
                part,
                names,
                keys,
                index,
            } => {
                let mut vals = Vec::new();
                for n in self.ex_list(names) {
                    for f in pick(msg.header(&n), *index) {
                        for a in address::parse_list(&f) {
                            vals.extend(self.addr_part(&a, *part));
                        }
                    }
                }
                self.compare(*m, &vals, keys)?
            }
            Test::Envelope {
                m,
                part,
                names,
                keys,
            } => {
                let mut vals = Vec::new();
                for n in self.ex_list(names) {
                    let a = match n.to_ascii_lowercase().as_str() {
                        "from" => msg.env_from.clone(),
                        "to" => msg.env_to.clone(),
                        _ => continue,
                    };
                    if a.is_empty() {
                        // The null reverse-path matches "" whatever the
                        // address part (RFC 5228 5.4).
                        vals.push(String::new());
                    } else {
                        vals.extend(self.addr_part(&a, *part));
                    }
                }
                self.compare(*m, &vals, keys)?
            }
            Test::Body { m, transform, keys } => {
                let vals: Vec<String> = match transform {
                    BodyTransform::Raw => vec![String::from_utf8_lossy(&msg.body).into_owned()],
                    BodyTransform::Text => msg
                        .parts()
                        .into_iter()
                        .filter(|p| p.content_type.starts_with("text/"))
                        .map(|p| p.text)
                        .collect(),
                    BodyTransform::Content(types) => {
                        let types = self.ex_list(types);
                        msg.parts()
                            .into_iter()
                            .filter(|p| {
                                types.iter().any(|t| {
                                    let t = t.to_ascii_lowercase();
                                    t.is_empty()
                                        || p.content_type == t
                                        || (!t.contains('/')
                                            && p.content_type.split('/').next() == Some(t.as_str()))
                                })
                            })
                            .map(|p| p.text)
                            .collect()
                    }
                };
                self.compare(*m, &vals, keys)?
            }
            Test::Date {
                m,
                zone,
                header,
                part,
                keys,
                index,
            } => {
                let part = self.ex(part);
                let dates: Vec<DateTime> = match header {
                    None => vec![DateTime {
                        unix: self.env.now,
                        offset: 0,
                    }],
                    Some(h) => {
                        let h = self.ex(h);
                        let raw = pick(msg.header(&h), *index);
                        raw.iter()
                            .filter_map(|v| {
                                let v = if h.eq_ignore_ascii_case("received") {
                                    v.rsplit(';').next().unwrap_or("")
                                } else {
                                    v
                                };
                                date::parse(v)
                            })
                            .collect()
                    }
                };
                let vals: Vec<String> = dates
                    .into_iter()
                    .filter_map(|d| {
                        let z = if header.is_none() && *zone == Zone::Original {
                            Zone::Local
                        } else {
                            zone.clone()
                        };
                        date::part(self.zone_of(&z, d), &part)
                    })
                    .collect();
                self.compare(*m, &vals, keys)?
            }
            Test::String { m, sources, keys } => {
                let mut vals = self.ex_list(sources);
                if let MatchKind::Count(_) = m.kind {
                    vals.retain(|s| !s.is_empty());
                }
                self.compare(*m, &vals, keys)?
            }
            Test::HasFlag { m, vars, keys } => {
                let mut vals: Vec<String> = Vec::new();
                if vars.is_empty() {
                    vals = self.flags.clone();
                } else {
                    for v in self.ex_list(vars) {
                        super::interp::add_flags(&mut vals, &[self.vars.get(&v)]);
                    }
                }
                self.compare(*m, &vals, keys)?
            }
            Test::MailboxExists(names) => {
                let names = self.ex_list(names);
                names.iter().all(|n| (self.env.mailbox_exists)(n))
            }
        })
    }
}
