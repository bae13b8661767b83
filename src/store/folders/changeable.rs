//! The flags of a message a user may set and clear in a folder, by the
//! user's rights there (RFC 4314 4): `s` the `\Seen` flag, `t` the
//! `\Deleted` flag, `w` every other flag and keyword. IMAP's STORE and
//! APPEND change only these; a copy or move carries only these to its
//! target ([`Store::copy_to`](crate::store::Store::copy_to)).

use popstore_formats::folder::SystemFlags;

use super::super::acl::Rights;

/// The flags a user with some rights may set and clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changeable {
    /// The system flags.
    pub bits: SystemFlags,
    /// Keywords (and every system flag but `\Seen` and `\Deleted`).
    pub keywords: bool,
}

impl Changeable {
    /// Every flag (the user's own folders).
    pub const ALL: Changeable = Changeable {
        bits: SystemFlags(
            SystemFlags::SEEN.0
                | SystemFlags::DELETED.0
                | SystemFlags::ANSWERED.0
                | SystemFlags::FLAGGED.0
                | SystemFlags::DRAFT.0,
        ),
        keywords: true,
    };

    /// The flags `rights` free.
    pub fn of(rights: Rights) -> Changeable {
        let mut bits = 0;
        if rights.contains(Rights::SEEN) {
            bits |= SystemFlags::SEEN.0;
        }
        if rights.contains(Rights::DELETE_MESSAGES) {
            bits |= SystemFlags::DELETED.0;
        }
        let keywords = rights.contains(Rights::WRITE);
        if keywords {
            bits |= SystemFlags::ANSWERED.0 | SystemFlags::FLAGGED.0 | SystemFlags::DRAFT.0;
        }
        Changeable {
            bits: SystemFlags(bits),
            keywords,
        }
    }

    /// Every flag.
    pub fn all(self) -> bool {
        self.keywords
            && self.bits.0 & (SystemFlags::SEEN.0 | SystemFlags::DELETED.0)
                == SystemFlags::SEEN.0 | SystemFlags::DELETED.0
    }

    /// `bits` and `keywords` without what may not be changed.
    pub fn filter(self, bits: SystemFlags, keywords: &[String]) -> (SystemFlags, Vec<String>) {
        let kw = if self.keywords {
            keywords.to_vec()
        } else {
            Vec::new()
        };
        (SystemFlags(bits.0 & self.bits.0), kw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_right_frees_its_flags() {
        let r = |s: &str| Rights::parse(s).unwrap();
        let s = Changeable::of(r("lrs"));
        assert_eq!(s.bits, SystemFlags::SEEN);
        assert!(!s.keywords && !s.all());
        let t = Changeable::of(r("lrt"));
        assert_eq!(t.bits, SystemFlags::DELETED);
        let w = Changeable::of(r("lrw"));
        assert!(w.keywords && !w.all());
        assert_eq!(
            w.filter(
                SystemFlags(SystemFlags::SEEN.0 | SystemFlags::FLAGGED.0),
                &["$x".into()]
            ),
            (SystemFlags::FLAGGED, vec!["$x".to_string()])
        );
        assert!(Changeable::of(r("lrswt")).all());
        assert_eq!(Changeable::of(Rights::ALL), Changeable::ALL);
        assert_eq!(
            s.filter(SystemFlags::DELETED, &["$x".into()]),
            (SystemFlags(0), Vec::new())
        );
    }
}
