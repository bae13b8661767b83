//! Every sample value encodes, decodes to itself, and re-encodes to the
//! same bytes; every strict prefix of its bytes is refused.

use popstore_formats::samples;
use popstore_formats::{FileKind, StoreFile};

fn check<T: StoreFile + PartialEq + std::fmt::Debug>(values: &[T]) {
    for v in values {
        let bytes = v.encode().expect("sample encodes");
        assert_eq!(FileKind::detect(&bytes), Some(T::KIND));
        let back = T::decode(&bytes).expect("sample decodes");
        assert_eq!(&back, v);
        assert_eq!(back.encode().unwrap(), bytes);
        for cut in 0..bytes.len() {
            assert!(
                T::decode(&bytes[..cut]).is_err(),
                "{:?} prefix of {cut} bytes accepted",
                T::KIND
            );
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(T::decode(&extra).is_err());
    }
}

#[test]
fn every_kind_round_trips() {
    check(&samples::descriptors());
    check(&samples::profiles());
    check(&samples::message_lists());
    check(&samples::folder_indexes());
    check(&samples::mailbox_lists());
    check(&samples::forwardings());
    check(&samples::group_trees());
    check(&samples::vacation_states());
    check(&samples::messages());
}
