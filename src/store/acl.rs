//! RFC 4314 access control lists, evaluated without the store: the rights
//! letters, the identifiers (`anyone`, account names, `$group`, each
//! possibly negative), and [`rights`], what an account may do in a folder.
//!
//! The rules (SPEC.md 9.2):
//! - A user's rights are the union of the rights of the positive entries
//!   that name them (their own name, `anyone`, `$group` for each group
//!   they are a member of, nested groups included), less the union of the
//!   negative entries (`-name`, `-anyone`, `-$group`) that name them
//!   (RFC 4314 2: "the "w" right is to be removed from users matching the
//!   identifier "fred", even though the user "fred" might have the "w"
//!   right as a consequence of some other identifier").
//! - The owner of a personal folder holds every right, whatever the list
//!   says; public folders have no owner.
//! - The obsolete `c` and `d` (RFC 4314 2.1.1) are taken as the first
//!   group of that section takes them, as its examples do: `c` = `kx`,
//!   `d` = `et`. They are never stored; [`Rights::imap_letters`] adds them
//!   to MYRIGHTS and ACL answers when a member right is present.
//!
//! The IMAP server calls [`rights`] (through `Store::folder_rights`) for
//! every command RFC 4314 4 guards; delivery to `post+folder` asks for
//! [`Rights::POST`].

use std::fmt;

use popstore_formats::mailboxes::AclEntry;

use super::groups::{GroupName, GroupTree};

/// A set of RFC 4314 standard rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Rights(u16);

/// The standard rights in their stored order (RFC 4314 2.1).
const LETTERS: [char; 11] = ['l', 'r', 's', 'w', 'i', 'p', 'k', 'x', 't', 'e', 'a'];

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// `l`: the folder is visible to LIST, SUBSCRIBE.
    pub const LOOKUP: Rights = Rights(1);
    /// `r`: SELECT, EXAMINE, STATUS.
    pub const READ: Rights = Rights(1 << 1);
    /// `s`: keep `\Seen` across sessions.
    pub const SEEN: Rights = Rights(1 << 2);
    /// `w`: set flags other than `\Seen` and `\Deleted`.
    pub const WRITE: Rights = Rights(1 << 3);
    /// `i`: APPEND, COPY into the folder.
    pub const INSERT: Rights = Rights(1 << 4);
    /// `p`: send mail to the folder's submission address (`post+folder`).
    pub const POST: Rights = Rights(1 << 5);
    /// `k`: create folders below it.
    pub const CREATE: Rights = Rights(1 << 6);
    /// `x`: delete the folder, rename it away.
    pub const DELETE_FOLDER: Rights = Rights(1 << 7);
    /// `t`: set or clear `\Deleted`.
    pub const DELETE_MESSAGES: Rights = Rights(1 << 8);
    /// `e`: EXPUNGE.
    pub const EXPUNGE: Rights = Rights(1 << 9);
    /// `a`: administer (SETACL, DELETEACL, GETACL, LISTRIGHTS).
    pub const ADMIN: Rights = Rights(1 << 10);
    /// Every standard right, `lrswipkxtea`.
    pub const ALL: Rights = Rights((1 << 11) - 1);
    /// The members of the obsolete `c` right: `k` and `x`.
    pub const OBSOLETE_C: Rights = Rights(Self::CREATE.0 | Self::DELETE_FOLDER.0);
    /// The members of the obsolete `d` right: `e` and `t`.
    pub const OBSOLETE_D: Rights = Rights(Self::EXPUNGE.0 | Self::DELETE_MESSAGES.0);

    /// Parses a rights string: letters from `lrswipkxtea` plus the
    /// obsolete `c` and `d` (expanded). Upper-case letters and unknown
    /// rights are refused (RFC 4314 3.1: "an unrecognized right MUST
    /// cause the command to return the BAD response").
    pub fn parse(s: &str) -> Result<Rights, AclError> {
        let mut r = Rights::NONE;
        for c in s.chars() {
            r = r | match c {
                'c' => Self::OBSOLETE_C,
                'd' => Self::OBSOLETE_D,
                _ => match LETTERS.iter().position(|l| *l == c) {
                    Some(i) => Rights(1 << i),
                    None if c.is_ascii_uppercase() => {
                        return Err(AclError::UppercaseRight(c));
                    }
                    None => return Err(AclError::UnknownRight(c)),
                },
            };
        }
        Ok(r)
    }

    /// Reads the rights of a stored entry: the known letters; others
    /// (written by a newer version) grant nothing.
    pub fn from_stored(s: &str) -> Rights {
        s.chars()
            .filter_map(|c| Rights::parse(&c.to_string()).ok())
            .fold(Rights::NONE, |a, b| a | b)
    }

    /// True when every right of `other` is in `self`.
    pub fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when no right is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rights of `self` that are not in `other`.
    pub fn without(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }

    /// The stored form: the letters in the order `lrswipkxtea`.
    pub fn letters(self) -> String {
        LETTERS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, c)| *c)
            .collect()
    }

    /// The form of MYRIGHTS and ACL answers: the letters, then `c` when
    /// `k` or `x` is present and `d` when `e` or `t` is (RFC 4314 2.1.1).
    pub fn imap_letters(self) -> String {
        let mut s = self.letters();
        if self.0 & Self::OBSOLETE_C.0 != 0 {
            s.push('c');
        }
        if self.0 & Self::OBSOLETE_D.0 != 0 {
            s.push('d');
        }
        s
    }
}

impl std::ops::BitOr for Rights {
    type Output = Rights;
    fn bitor(self, o: Rights) -> Rights {
        Rights(self.0 | o.0)
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letters())
    }
}

impl serde::Serialize for Rights {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.letters())
    }
}

/// A change of one identifier's rights, as SETACL gives it: `+rights`
/// adds, `-rights` removes, plain rights replace (RFC 4314 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightsChange {
    /// Replace the identifier's rights.
    Set(Rights),
    /// Add to them.
    Add(Rights),
    /// Remove from them.
    Remove(Rights),
}

impl RightsChange {
    /// Parses SETACL's third argument.
    pub fn parse(s: &str) -> Result<RightsChange, AclError> {
        Ok(if let Some(r) = s.strip_prefix('+') {
            RightsChange::Add(Rights::parse(r)?)
        } else if let Some(r) = s.strip_prefix('-') {
            RightsChange::Remove(Rights::parse(r)?)
        } else {
            RightsChange::Set(Rights::parse(s)?)
        })
    }

    /// The rights after the change of `old`.
    pub fn apply(self, old: Rights) -> Rights {
        match self {
            RightsChange::Set(r) => r,
            RightsChange::Add(r) => old | r,
            RightsChange::Remove(r) => old.without(r),
        }
    }
}

/// Who an ACL entry names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// `anyone`: everybody, including senders who have no account.
    Anyone,
    /// `$group`: the members of a management group and of its subgroups.
    Group(GroupName),
    /// An account, by its stored name (lower case).
    User(String),
}

/// An ACL identifier: a subject, positive or negative (`-` before it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identifier {
    /// Rights taken away rather than granted.
    pub negative: bool,
    /// Whom the entry names.
    pub subject: Subject,
}

impl Identifier {
    /// Parses an identifier: `anyone`, `$group`, or an account name (case
    /// folded; the caller checks that it names an account), each possibly
    /// after `-`.
    pub fn parse(raw: &str) -> Result<Identifier, AclError> {
        let t = raw.trim();
        let (negative, rest) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let subject = if rest.eq_ignore_ascii_case("anyone") {
            Subject::Anyone
        } else if let Some(g) = rest.strip_prefix('$') {
            Subject::Group(GroupName::new(g).map_err(|_| AclError::BadIdentifier(raw.to_string()))?)
        } else if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AclError::BadIdentifier(raw.to_string()));
        } else {
            Subject::User(rest.to_lowercase())
        };
        Ok(Identifier { negative, subject })
    }

    /// True when the entry names `user` (`None`: someone with no account
    /// here) with the group memberships given.
    fn names(&self, user: Option<&str>, groups: &[GroupName]) -> bool {
        match &self.subject {
            Subject::Anyone => true,
            Subject::Group(g) => groups.contains(g),
            Subject::User(u) => user.is_some_and(|x| x.eq_ignore_ascii_case(u)),
        }
    }
}

impl fmt::Display for Identifier {
    /// The stored form: `anyone`, `$group` or the name, after `-` when
    /// negative.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        match &self.subject {
            Subject::Anyone => f.write_str("anyone"),
            Subject::Group(g) => write!(f, "${g}"),
            Subject::User(u) => f.write_str(u),
        }
    }
}

/// Why an ACL change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// An upper-case rights letter (RFC 4314 2).
    #[error("upper-case rights are not allowed: {0:?}")]
    UppercaseRight(char),
    /// A letter that is not a right this store knows.
    #[error("the {0:?} right is not supported (rights: lrswipkxtea, and c, d)")]
    UnknownRight(char),
    /// Not an identifier.
    #[error("bad ACL identifier {0:?}: use anyone, an account name or $group, possibly after -")]
    BadIdentifier(String),
    /// A user or group that does not exist.
    #[error("ACL identifier {0:?} names no account or group of this store")]
    NoSuchIdentifier(String),
}

/// The groups `group` makes an account a member of: the group itself and
/// every group above it (a member of a subgroup is a member of the group).
pub fn memberships(tree: &GroupTree, group: Option<&GroupName>) -> Vec<GroupName> {
    let mut out = Vec::new();
    let mut cur = group;
    while let Some(g) = cur {
        if out.contains(g) {
            break; // a cycle in a damaged file
        }
        out.push(g.clone());
        cur = tree.parent(g);
    }
    out
}

/// The rights `user` (`None`: no account of this store, as the sender of
/// mail may be) has in a folder whose ACL is `acl` (entries of other
/// folders are ignored by the caller), given the groups the user is a
/// member of ([`memberships`]). `owner` is the folder's owner (`None` for
/// a public folder), who holds every right.
pub fn rights(
    acl: &[AclEntry],
    owner: Option<&str>,
    user: Option<&str>,
    groups: &[GroupName],
) -> Rights {
    if let (Some(o), Some(u)) = (owner, user)
        && o.eq_ignore_ascii_case(u)
    {
        return Rights::ALL;
    }
    let (mut granted, mut denied) = (Rights::NONE, Rights::NONE);
    for e in acl {
        let Ok(id) = Identifier::parse(&e.identifier) else {
            continue;
        };
        if !id.names(user, groups) {
            continue;
        }
        let r = Rights::from_stored(&e.rights);
        if id.negative {
            denied = denied | r;
        } else {
            granted = granted | r;
        }
    }
    granted.without(denied)
}

/// LISTRIGHTS (RFC 4314 3.4, 3.7): the rights `user` is always granted
/// on a folder owned by `owner`, and the rights it may be granted, each
/// group being granted as one (none are tied here, so each letter is a
/// group, `c` and `d` by themselves as 2.1.1 asks). The owner is always
/// granted everything.
pub fn listrights(owner: Option<&str>, user: &Identifier) -> (Rights, Vec<String>) {
    let is_owner = matches!((&user.subject, owner), (Subject::User(u), Some(o))
        if !user.negative && u.eq_ignore_ascii_case(o));
    if is_owner {
        return (Rights::ALL, Vec::new());
    }
    let mut optional: Vec<String> = LETTERS.iter().map(char::to_string).collect();
    optional.extend(["c".to_string(), "d".to_string()]);
    (Rights::NONE, optional)
}

#[cfg(test)]
mod tests;
