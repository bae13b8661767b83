//! Fuzz target: kind detection, every reader, and the byte annotator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore_formats::AnyFile;

fuzz_target!(|data: &[u8]| {
    if AnyFile::decode(data).is_ok() {
        let spans = popstore_formats::annotate::annotate(data).expect("valid files annotate");
        let covered: usize = spans.iter().map(|s| s.len).sum();
        assert_eq!(covered, data.len());
    }
});
