//! Fuzzes the precompute entry point: any bytes must give answers without a
//! panic, every section range inside the stored form, and the message-file
//! IMAP section must convert back to the same answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore::mime;

fuzz_target!(|data: &[u8]| {
    let (stored, pre) = mime::precompute(data);
    assert_eq!(pre.size, stored.len() as u64);
    for e in &pre.parts {
        assert!(e.header.start <= e.header.end && e.header.end <= pre.size);
        assert!(e.body.start <= e.body.end && e.body.end <= pre.size);
    }
    let back = mime::stored::from_imap_data(&pre.to_imap_data(), pre.dot_lines.clone())
        .expect("own section reads back");
    assert_eq!(back, pre);
});
