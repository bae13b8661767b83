//! What a user's rights on the selected folder let them change (RFC 4314
//! 2.1 and 4): `s` the `\Seen` flag (also set by FETCH of a body), `t`
//! the `\Deleted` flag, `w` every other flag and keyword, `e` EXPUNGE
//! (also CLOSE's). A folder is selected read-write when the user holds
//! any of the four. A STORE changes only the flags the user may change:
//! the others are left as they are, silently, as Cyrus does; a STORE
//! that asks only for changes the user may not make is refused with
//! `[NOPERM]`.

use popstore_formats::folder::SystemFlags;

use crate::store::acl::Rights;

/// Whether the folder may be selected read-write with `rights`: the user
/// holds one of the rights that change something in a selected folder.
pub(super) fn writable(rights: Rights) -> bool {
    let changing = Rights::SEEN | Rights::WRITE | Rights::DELETE_MESSAGES | Rights::EXPUNGE;
    !rights.without(Rights::ALL.without(changing)).is_empty()
}

/// The flags a user with `rights` may set and clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Changeable {
    /// The system flags.
    pub bits: SystemFlags,
    /// Keywords (and every system flag but `\Seen` and `\Deleted`).
    pub keywords: bool,
}

impl Changeable {
    pub(super) fn of(rights: Rights) -> Changeable {
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
    pub(super) fn all(self) -> bool {
        self.keywords
            && self.bits.0 & (SystemFlags::SEEN.0 | SystemFlags::DELETED.0)
                == SystemFlags::SEEN.0 | SystemFlags::DELETED.0
    }

    /// `bits` and `keywords` without what may not be changed.
    pub(super) fn filter(
        self,
        bits: SystemFlags,
        keywords: &[String],
    ) -> (SystemFlags, Vec<String>) {
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
        assert!(!writable(r("lr")));
        assert!(!writable(r("lrip")));
        for w in ["lrs", "lrw", "lrt", "lre"] {
            assert!(writable(r(w)), "{w}");
        }
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
        assert_eq!(
            s.filter(SystemFlags::DELETED, &["$x".into()]),
            (SystemFlags(0), Vec::new())
        );
    }
}
