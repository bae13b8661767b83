//! SPEC.md's annotated examples are exactly what the fixtures hold: each
//! listing that follows "Fixture `PATH`:" equals `popstore inspect --hex`
//! of that fixture.

use std::path::Path;

use popstore_formats::annotate::{annotate, render};

#[test]
fn spec_listings_match_the_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = std::fs::read_to_string(root.join("formats/SPEC.md")).unwrap();
    let mut checked = 0;
    let mut rest = spec.as_str();
    while let Some(i) = rest.find("Fixture `") {
        rest = &rest[i + "Fixture `".len()..];
        let end = rest.find('`').unwrap();
        let path = &rest[..end];
        let start = rest.find("```text\n").unwrap() + "```text\n".len();
        let stop = start + rest[start..].find("```").unwrap();
        let listing = &rest[start..stop];
        let bytes = std::fs::read(root.join(path)).unwrap();
        let want = render(&bytes, &annotate(&bytes).unwrap());
        assert_eq!(
            listing, want,
            "SPEC.md listing of {path} differs from the fixture"
        );
        checked += 1;
        rest = &rest[stop..];
    }
    assert_eq!(
        checked, 12,
        "one annotated example per file kind, and the folder index of 1.1"
    );
}
