//! Fuzz target: the message-list journal reader. Any input: an error or a
//! value, never a panic; a value read writes (without its torn tail) and
//! reads back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore_formats::StoreFile;
use popstore_formats::journal::MessageJournal;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut v) = MessageJournal::decode(data) {
        let bytes = v.encode().expect("a value read can be written");
        let back = MessageJournal::decode(&bytes).expect("what was written reads");
        v.torn_tail = 0;
        assert_eq!(back, v);
    }
});
