//! What a user's rights on the selected folder let them change (RFC 4314
//! 2.1 and 4): `s` the `\Seen` flag (also set by FETCH of a body), `t`
//! the `\Deleted` flag, `w` every other flag and keyword, `e` EXPUNGE
//! (also CLOSE's). A folder is selected read-write when the user holds
//! any of the four. A STORE changes only the flags the user may change:
//! the others are left as they are, silently, as Cyrus does; a STORE
//! that asks only for changes the user may not make is refused with
//! `[NOPERM]`.

use crate::store::acl::Rights;
/// The flags a user may set and clear, by rights (the store's, since a
/// COPY carries only those to its target).
pub(super) use crate::store::folders::Changeable;

/// Whether the folder may be selected read-write with `rights`: the user
/// holds one of the rights that change something in a selected folder.
pub(super) fn writable(rights: Rights) -> bool {
    let changing = Rights::SEEN | Rights::WRITE | Rights::DELETE_MESSAGES | Rights::EXPUNGE;
    !rights.without(Rights::ALL.without(changing)).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changing_right_makes_it_writable() {
        let r = |s: &str| Rights::parse(s).unwrap();
        assert!(!writable(r("lr")));
        assert!(!writable(r("lrip")));
        for w in ["lrs", "lrw", "lrt", "lre"] {
            assert!(writable(r(w)), "{w}");
        }
    }
}
