//! The account's managed Sieve script, `popstore-web`: the vacation
//! notice and the simple filters of the web pages, generated as Sieve so
//! the engine's rules (RFC 5230, RFC 3834) apply. Its settings are kept
//! as JSON in its first line, so the pages show what was saved.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The managed script's name.
pub const SCRIPT: &str = "popstore-web";

const MARK: &str = "# popstore-web settings: ";

/// The vacation notice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Vacation {
    /// Replies are sent.
    pub enabled: bool,
    /// The replies' subject (`""`: the engine's default).
    pub subject: String,
    /// The replies' text.
    pub text: String,
    /// First day (`YYYY-MM-DD`), or `""`.
    pub start: String,
    /// Last day (`YYYY-MM-DD`), or `""`.
    pub end: String,
    /// More addresses of the user (mail to them is answered too).
    pub addresses: Vec<String>,
    /// Days between two replies to one sender (at least 1).
    pub days: u32,
}

/// One simple filter: if a header test holds, an action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    /// `from`, `to`, `subject`, or another header name.
    pub header: String,
    /// `contains`, `is` or `matches`.
    pub test: String,
    /// The value compared.
    pub value: String,
    /// `fileinto`, `discard`, `redirect`, `seen` or `stop`.
    pub action: String,
    /// The folder or address of the action.
    pub argument: String,
    /// Stop after this filter.
    pub stop: bool,
}

/// Everything the managed script holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Managed {
    /// The vacation notice.
    pub vacation: Vacation,
    /// The filters, in order.
    pub filters: Vec<Filter>,
    /// The user's own script that runs after these (`include :personal
    /// :optional`): the one that was active when the web pages first
    /// saved theirs, so it keeps running; `""`: none.
    pub include: String,
}

/// A Sieve string: quoted, with `"` and `\` escaped.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl Managed {
    /// Reads the settings back from a managed script.
    pub fn from_script(text: &str) -> Managed {
        text.lines()
            .next()
            .and_then(|l| l.strip_prefix(MARK))
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }

    /// Checks the settings; what is wrong, for people.
    pub fn check(&self) -> Result<(), String> {
        let v = &self.vacation;
        for d in [&v.start, &v.end] {
            if !d.is_empty() && !valid_date(d) {
                return Err(format!("the date {d:?} is not YYYY-MM-DD"));
            }
        }
        if v.enabled && v.text.trim().is_empty() {
            return Err("a vacation notice needs a text".into());
        }
        for f in &self.filters {
            if !matches!(f.test.as_str(), "contains" | "is" | "matches") {
                return Err(format!("unknown test {:?}", f.test));
            }
            if !matches!(
                f.action.as_str(),
                "fileinto" | "discard" | "redirect" | "seen" | "stop"
            ) {
                return Err(format!("unknown action {:?}", f.action));
            }
            if f.header.trim().is_empty()
                || !f.header.chars().all(|c| c.is_ascii_graphic() && c != ':')
            {
                return Err(format!("bad header name {:?}", f.header));
            }
        }
        Ok(())
    }

    /// The Sieve script.
    pub fn script(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut out = format!("{MARK}{json}\r\n");
        out.push_str(if self.include.is_empty() {
            "require [\"fileinto\", \"imap4flags\", \"vacation\", \"date\", \"relational\"];\r\n"
        } else {
            "require [\"fileinto\", \"imap4flags\", \"vacation\", \"date\", \"relational\", \"include\"];\r\n"
        });
        for f in &self.filters {
            let mut actions = match f.action.as_str() {
                "fileinto" => format!("fileinto {};", q(&f.argument)),
                "discard" => "discard;".into(),
                "redirect" => format!("redirect {};", q(&f.argument)),
                "seen" => "addflag \"\\\\Seen\";".into(),
                _ => "stop;".into(),
            };
            if f.stop && f.action != "stop" {
                actions.push_str(" stop;");
            }
            out.push_str(&format!(
                "if header :{} {} {} {{ {actions} }}\r\n",
                f.test,
                q(&f.header.to_ascii_lowercase()),
                q(&f.value)
            ));
        }
        let v = &self.vacation;
        if v.enabled {
            let mut conds = Vec::new();
            if !v.start.is_empty() {
                conds.push(format!(
                    "currentdate :value \"ge\" \"date\" {}",
                    q(&v.start)
                ));
            }
            if !v.end.is_empty() {
                conds.push(format!("currentdate :value \"le\" \"date\" {}", q(&v.end)));
            }
            let mut cmd = format!("vacation :days {}", v.days.max(1));
            if !v.subject.is_empty() {
                cmd.push_str(&format!(" :subject {}", q(&v.subject)));
            }
            if !v.addresses.is_empty() {
                let list: Vec<String> = v.addresses.iter().map(|a| q(a)).collect();
                cmd.push_str(&format!(" :addresses [{}]", list.join(", ")));
            }
            cmd.push_str(&format!(" {};", q(&v.text)));
            if conds.is_empty() {
                out.push_str(&cmd);
                out.push_str("\r\n");
            } else {
                out.push_str(&format!("if allof ({}) {{ {cmd} }}\r\n", conds.join(", ")));
            }
        }
        if !self.include.is_empty() {
            out.push_str(&format!(
                "include :personal :optional {};\r\n",
                q(&self.include)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_compiles_and_reads_back() {
        let m = Managed {
            vacation: Vacation {
                enabled: true,
                subject: "Away \"now\"".into(),
                text: "Back on Monday.\nBye".into(),
                start: "2026-01-01".into(),
                end: "2026-12-31".into(),
                addresses: vec!["joe@example.org".into()],
                days: 7,
            },
            filters: vec![Filter {
                header: "Subject".into(),
                test: "contains".into(),
                value: "[list]".into(),
                action: "fileinto".into(),
                argument: "Lists".into(),
                stop: true,
            }],
            include: "my \"own\"".into(),
        };
        m.check().unwrap();
        let s = m.script();
        crate::sieve::compile(&s, &crate::sieve::Limits::default()).unwrap();
        assert_eq!(Managed::from_script(&s), m);
    }
}
