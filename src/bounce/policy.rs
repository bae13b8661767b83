//! `[expire]`: how long messages stay, site-wide and per group or account,
//! and what POP3's CAPA `EXPIRE` says about it (RFC 2449 6.7).
//!
//! The overrides live in the configuration file, not in the store: they
//! are site policy, like the relay, and need no format change.

use serde::{Deserialize, Serialize};

use crate::pop3::Expire;
use crate::store::groups::{GroupName, GroupTree};

/// A number of days after delivery, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Days {
    /// Messages stay until the user deletes them.
    #[default]
    Never,
    /// Messages expire this many days after delivery (at least 1).
    After(u32),
}

impl Days {
    /// The seconds after delivery, `None` for never.
    pub fn seconds(self) -> Option<i64> {
        match self {
            Days::Never => None,
            Days::After(d) => Some(i64::from(d) * 86_400),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDays {
    N(i64),
    S(String),
}

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bad = || serde::de::Error::custom("give a number of days (1 or more) or \"never\"");
        match RawDays::deserialize(d)? {
            RawDays::S(s) if s.eq_ignore_ascii_case("never") => Ok(Days::Never),
            RawDays::S(s) => s
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(Days::After)
                .ok_or_else(bad),
            RawDays::N(n) => u32::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .map(Days::After)
                .ok_or_else(bad),
        }
    }
}

impl Serialize for Days {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Days::Never => s.serialize_str("never"),
            Days::After(d) => s.serialize_u32(*d),
        }
    }
}

/// One override: a group's (and its subgroups') or an account's policy;
/// it names exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawOverride")]
pub struct Override {
    /// The group it applies to (and the groups below it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The account it applies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Its policy.
    pub days: Days,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    account: Option<String>,
    days: Days,
}

impl TryFrom<RawOverride> for Override {
    type Error = String;
    fn try_from(r: RawOverride) -> Result<Self, String> {
        if r.group.is_some() == r.account.is_some() {
            return Err("each [expire] override names either a `group` or an `account`".into());
        }
        Ok(Override {
            group: r.group,
            account: r.account,
            days: r.days,
        })
    }
}

/// `[expire]`: the message bouncer's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpireConfig {
    /// The site-wide policy.
    pub days: Days,
    /// Seconds between the bouncer's passes inside `serve` (0: none).
    pub interval: u64,
    /// Per-group and per-account policies; an account's wins over its
    /// group's, a group's over its parent's.
    pub overrides: Vec<Override>,
}

impl Default for ExpireConfig {
    fn default() -> Self {
        Self {
            days: Days::Never,
            interval: 3600,
            overrides: Vec::new(),
        }
    }
}

impl ExpireConfig {
    /// The policy of the account `name` in `group`.
    pub fn days_for(&self, name: &str, group: Option<&GroupName>, tree: &GroupTree) -> Days {
        if let Some(o) = self.overrides.iter().find(|o| {
            o.account
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(name))
        }) {
            return o.days;
        }
        let mut g = group.cloned();
        let mut seen = 0;
        while let Some(current) = g {
            if let Some(o) = self.overrides.iter().find(|o| {
                o.group
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(current.as_str()))
            }) {
                return o.days;
            }
            seen += 1;
            if seen > 64 {
                break; // a damaged tree with a cycle
            }
            g = tree.parent(&current).cloned();
        }
        self.days
    }

    /// What CAPA says after login for an account with policy `days`.
    pub fn advertised(days: Days) -> Expire {
        match days {
            Days::Never => Expire::Never,
            Days::After(d) => Expire::Days(d),
        }
    }

    /// What CAPA says before login: the site-wide policy, or with
    /// overrides the shortest of all (`EXPIRE n USER`: the user's may be
    /// longer), and whether it varies by user.
    pub fn advertised_before_login(&self) -> (Expire, bool) {
        if self.overrides.is_empty() {
            return (Self::advertised(self.days), false);
        }
        let shortest = std::iter::once(self.days)
            .chain(self.overrides.iter().map(|o| o.days))
            .filter_map(|d| match d {
                Days::After(n) => Some(n),
                Days::Never => None,
            })
            .min();
        match shortest {
            Some(n) => (Expire::Days(n), true),
            None => (Expire::Never, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml_text: &str) -> ExpireConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn days_or_never() {
        let c = cfg(
            "days = 30\ninterval = 60\noverrides = [{ account = \"ann\", days = \"never\" }, { group = \"staff\", days = 7 }]",
        );
        assert_eq!(c.days, Days::After(30));
        assert_eq!(c.overrides[0].days, Days::Never);
        assert!(toml::from_str::<ExpireConfig>("days = 0\ninterval = 1\noverrides = []").is_err());
        assert!(
            toml::from_str::<ExpireConfig>("days = \"soon\"\ninterval = 1\noverrides = []")
                .is_err()
        );
        for bad in [
            "[{ days = 3 }]",
            "[{ group = \"g\", account = \"a\", days = 3 }]",
        ] {
            let text = format!("days = 3\ninterval = 1\noverrides = {bad}");
            assert!(toml::from_str::<ExpireConfig>(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn account_then_group_then_parents_then_site() {
        let c = cfg(
            "days = 30\ninterval = 60\noverrides = [{ account = \"ann\", days = \"never\" }, { group = \"staff\", days = 7 }]",
        );
        let staff = GroupName::new("staff").unwrap();
        let sub = GroupName::new("interns").unwrap();
        let tree =
            GroupTree::from_pairs([(staff.clone(), None), (sub.clone(), Some(staff.clone()))]);
        assert_eq!(c.days_for("ANN", Some(&staff), &tree), Days::Never);
        assert_eq!(c.days_for("bob", Some(&sub), &tree), Days::After(7));
        assert_eq!(c.days_for("bob", None, &tree), Days::After(30));
        assert_eq!(c.advertised_before_login(), (Expire::Days(7), true));
        let plain = cfg("days = \"never\"\ninterval = 60\noverrides = []");
        assert_eq!(plain.advertised_before_login(), (Expire::Never, false));
    }
}
