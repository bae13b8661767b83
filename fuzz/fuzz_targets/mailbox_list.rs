//! Fuzz target: the mailbox list reader. Any input: an error or a
//! value, never a panic; a value read writes and reads back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore_formats::StoreFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = <popstore_formats::mailboxes::MailboxList>::decode(data) {
        let bytes = v.encode().expect("a value read can be written");
        let back = <popstore_formats::mailboxes::MailboxList>::decode(&bytes).expect("what was written reads");
        assert_eq!(back, v);
    }
});
