//! The sample store: every file reads, and the generator still makes the
//! committed bytes (the sample is history, like the fixtures).

use popstore_conformance::{sample, sample_store_dir};
use popstore_formats::AnyFile;

#[test]
fn every_sample_file_reads_and_matches_its_generator() {
    let dir = sample_store_dir();
    let files = sample::files();
    assert_eq!(files.len(), 26);
    for (rel, bytes) in &files {
        let on_disk = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(AnyFile::decode(&on_disk).is_ok(), "{rel} does not read");
        assert!(
            on_disk == *bytes,
            "{rel}: generator output differs from the committed file"
        );
    }
}
