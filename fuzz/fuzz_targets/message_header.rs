//! Fuzz target: the message-file header reader (what servers run at open).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, info)) = popstore_formats::message::read_header(data) {
        // The body range it reports lies inside the file.
        assert!(info.range().end <= data.len());
    }
});
