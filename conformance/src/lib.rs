//! The conformance suite: golden fixtures of every file kind and version,
//! a readable expectation beside each, invalid cases with the error each
//! must give, and a sample store.
//!
//! Layout: `fixtures/v<major>.<minor>/<kind>/<name>.bin` with
//! `<name>.json` (the decoded value's JSON view), and
//! `fixtures/v<major>.<minor>/<kind>/invalid/<name>.bin` with `<name>.json`
//! (`{"code", "offset", "message"}`). A kind that can end in a torn tail
//! (the message-list and folder journals) also has `<kind>/torn/<name>.bin`: valid
//! files whose expectation shows the tail's length, and whose rewrite is
//! the file without it. Files in a `read-only/` folder are valid files no
//! writer produces (a block skip, SPEC.md 3.1): they must read to their
//! expectation, and their rewrite must read to the same value. Fixtures are history: they are made
//! once by `generate-fixtures` (which never overwrites a file) and never
//! rewritten; the runner (`tests/fixtures.rs`) only reads them.

use std::path::{Path, PathBuf};

use popstore_formats::AnyFile;

pub mod generate;
pub mod generate_rules;
pub mod generate_v2;
pub mod generate_v2_1;
pub mod generate_v2_2;
pub mod generate_v2_3;
pub mod generate_v2_4;
pub mod generate_v2_5;
pub mod sample;

/// The fixtures folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The sample store.
pub fn sample_store_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("stores")
        .join("sample")
}

/// The expectation of a valid fixture: the decoded value's JSON view.
pub fn expectation(file: &AnyFile) -> serde_json::Value {
    serde_json::json!({
        "kind": file.kind(),
        "value": file,
    })
}

/// The expectation of an invalid fixture.
pub fn error_expectation(e: &popstore_formats::Error) -> serde_json::Value {
    serde_json::json!({
        "code": e.kind.code(),
        "offset": e.offset,
        "message": e.to_string(),
    })
}

/// Pretty JSON with a final newline, as the expectation files hold it.
pub fn to_pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Every `.bin` file below `dir`, sorted.
pub fn bin_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "bin") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
