//! Account flags with PMDF's meanings, and their `NO-` forms.

use std::fmt;

/// The usage flags of an account, as a bit set (bit values are those of
/// the profile's flags field; unknown bits survive a rewrite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(pub u32);

impl Flags {
    /// New mail is refused (and returned); stored mail stays readable.
    pub const DISMAIL: Flags = Flags(1 << 0);
    /// No login; mail is still accepted.
    pub const DISUSER: Flags = Flags(1 << 1);
    /// Only managers change the password.
    pub const LOCKPWD: Flags = Flags(1 << 2);
    /// May manage accounts (in its group and below; everywhere when in no group).
    pub const MANAGE: Flags = Flags(1 << 3);
    /// Set by migration.
    pub const MIGRATED: Flags = Flags(1 << 4);
    /// The password is checked outside the store (e.g. system passwords).
    pub const PWD_ELSEWHERE: Flags = Flags(1 << 5);

    /// Every named flag, with its name.
    pub const NAMED: [(&'static str, Flags); 6] = [
        ("DISMAIL", Flags::DISMAIL),
        ("DISUSER", Flags::DISUSER),
        ("LOCKPWD", Flags::LOCKPWD),
        ("MANAGE", Flags::MANAGE),
        ("MIGRATED", Flags::MIGRATED),
        ("PWD_ELSEWHERE", Flags::PWD_ELSEWHERE),
    ];

    /// True when every bit of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets or clears the bits of `other`.
    pub fn set(&mut self, other: Flags, on: bool) {
        if on {
            self.0 |= other.0
        } else {
            self.0 &= !other.0
        }
    }

    /// The names of the set flags (unknown bits as `0x..`).
    pub fn names(self) -> Vec<String> {
        let mut out: Vec<String> = Flags::NAMED
            .iter()
            .filter(|(_, f)| self.contains(*f))
            .map(|(n, _)| n.to_string())
            .collect();
        let known = Flags::NAMED.iter().fold(0, |a, (_, f)| a | f.0);
        if self.0 & !known != 0 {
            out.push(format!("0x{:x}", self.0 & !known));
        }
        out
    }
}

impl fmt::Display for Flags {
    /// Comma-separated names, `none` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.names();
        if n.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&n.join(","))
        }
    }
}

/// A change to flags: those to set and those to clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagChange {
    /// Flags to set.
    pub set: Flags,
    /// Flags to clear (the `NO-` forms).
    pub clear: Flags,
}

/// Why a flag list is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown flag {0:?} (known: DISMAIL, DISUSER, LOCKPWD, MANAGE, MIGRATED, PWD_ELSEWHERE, each with a NO- form)"
)]
pub struct FlagError(pub String);

impl FlagChange {
    /// Parses `DISMAIL,NO-MANAGE,nolockpwd`: names separated by commas,
    /// case-insensitive, `NO-`/`NO` prefix clears, `-` or `_` alike.
    pub fn parse(list: &str) -> Result<Self, FlagError> {
        let mut ch = FlagChange::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let up = item.to_ascii_uppercase().replace('-', "_");
            let lookup = |n: &str| Flags::NAMED.iter().find(|(k, _)| *k == n).map(|(_, f)| *f);
            if let Some(f) = lookup(&up) {
                ch.set.set(f, true);
                ch.clear.set(f, false);
            } else if let Some(f) = up
                .strip_prefix("NO_")
                .or_else(|| up.strip_prefix("NO"))
                .and_then(lookup)
            {
                ch.clear.set(f, true);
                ch.set.set(f, false);
            } else {
                return Err(FlagError(item.to_string()));
            }
        }
        Ok(ch)
    }

    /// Applies the change to `flags`.
    pub fn apply(self, flags: Flags) -> Flags {
        Flags((flags.0 | self.set.0) & !self.clear.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_and_no_forms() {
        let c = FlagChange::parse("dismail, NO-MANAGE,nolockpwd,pwd-elsewhere").unwrap();
        assert!(c.set.contains(Flags::DISMAIL));
        assert!(c.set.contains(Flags::PWD_ELSEWHERE));
        assert!(c.clear.contains(Flags::MANAGE));
        assert!(c.clear.contains(Flags::LOCKPWD));
        let f = c.apply(Flags(Flags::MANAGE.0 | Flags::DISUSER.0));
        assert_eq!(f.to_string(), "DISMAIL,DISUSER,PWD_ELSEWHERE");
        assert_eq!(FlagChange::parse("bogus"), Err(FlagError("bogus".into())));
    }

    #[test]
    fn unknown_bits_are_kept_and_shown() {
        let f = Flags(Flags::MANAGE.0 | 0x100);
        assert_eq!(f.to_string(), "MANAGE,0x100");
        assert_eq!(FlagChange::default().apply(f), f);
    }
}
