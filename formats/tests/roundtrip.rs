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
    check(&samples::folder_indexes_v1_1());
    check(&samples::mailbox_lists());
    check(&samples::forwardings());
    check(&samples::group_trees());
    check(&samples::vacation_states());
    check(&samples::messages());
}

/// The folder journal likewise: a prefix that ends after the BASE record
/// reads as the whole records before the cut; a shorter one is refused.
#[test]
fn folder_journals_round_trip_and_read_every_prefix() {
    use popstore_formats::folder_journal::{FolderJournal, HEAD_LEN};
    use popstore_formats::record::var_records;
    for v in samples::folder_journals() {
        let bytes = v.encode().expect("sample encodes");
        assert_eq!(FileKind::detect(&bytes), Some(FileKind::FOLDER_JOURNAL));
        assert_eq!(FolderJournal::decode(&bytes).expect("decodes"), v);
        let ends: Vec<usize> = var_records(&bytes)
            .map(|r| {
                let r = r.unwrap();
                r.offset + 2 + r.data.len() + r.data.len() % 2
            })
            .collect();
        assert_eq!(ends[1], HEAD_LEN);
        for cut in 0..=bytes.len() {
            let r = FolderJournal::decode(&bytes[..cut]);
            if cut < HEAD_LEN {
                assert!(r.is_err(), "prefix of {cut} bytes accepted");
                continue;
            }
            let j = r.unwrap_or_else(|e| panic!("prefix of {cut} bytes: {e}"));
            let whole = ends.iter().rev().find(|e| **e <= cut).copied().unwrap();
            assert_eq!(j.torn_tail, (cut - whole) as u64, "cut at {cut}");
            assert_eq!(j.encode().unwrap(), &bytes[..whole], "cut at {cut}");
        }
    }
}

/// A journal grows by appends, so its prefixes are not all refused: one
/// that ends after the JOURNAL record reads as the whole records before
/// the cut, the rest a torn tail.
#[test]
fn journals_round_trip_and_read_every_prefix() {
    use popstore_formats::journal::MessageJournal;
    use popstore_formats::record::var_records;
    for v in samples::message_journals() {
        let bytes = v.encode().expect("sample encodes");
        assert_eq!(FileKind::detect(&bytes), Some(FileKind::MESSAGE_JOURNAL));
        let back = MessageJournal::decode(&bytes).expect("sample decodes");
        assert_eq!(back, v);
        assert_eq!(back.encode().unwrap(), bytes);
        // Ends of the whole records: header, JOURNAL, then one per record.
        let ends: Vec<usize> = var_records(&bytes)
            .map(|r| {
                let r = r.unwrap();
                r.offset + 2 + r.data.len() + r.data.len() % 2
            })
            .collect();
        for cut in 0..=bytes.len() {
            let r = MessageJournal::decode(&bytes[..cut]);
            if cut < ends[1] {
                assert!(r.is_err(), "prefix of {cut} bytes accepted");
                continue;
            }
            let j = r.unwrap_or_else(|e| panic!("prefix of {cut} bytes: {e}"));
            let whole = ends.iter().rev().find(|e| **e <= cut).copied().unwrap();
            assert_eq!(j.torn_tail, (cut - whole) as u64, "cut at {cut}");
            assert_eq!(j.encode().unwrap(), &bytes[..whole], "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(MessageJournal::decode(&extra).unwrap().torn_tail, 1);
    }
}
