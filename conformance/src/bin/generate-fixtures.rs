//! Writes the fixtures and the sample store that are not there yet.
//! Never overwrites: committed fixtures are history.
//!
//!     cargo run -p popstore-conformance --bin generate-fixtures

use std::process::ExitCode;

use popstore_conformance::fixtures_dir;
use popstore_conformance::generate::{expectation_text, v1_0, write_new};
use popstore_conformance::generate_rules::rules;
use popstore_conformance::generate_v2::v2_0;
use popstore_conformance::generate_v2_1::v2_1;
use popstore_conformance::generate_v2_2::v2_2;
use popstore_conformance::generate_v2_3::v2_3;
use popstore_conformance::generate_v2_4::v2_4;
use popstore_conformance::generate_v2_5::v2_5;

fn main() -> ExitCode {
    let dir = fixtures_dir();
    let (mut written, mut kept) = (0, 0);
    for f in v1_0()
        .into_iter()
        .chain(v2_0())
        .chain(v2_1())
        .chain(rules())
        .chain(v2_2())
        .chain(v2_3())
        .chain(v2_4())
        .chain(v2_5())
    {
        let text = match expectation_text(&f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let bin = dir.join(format!("{}.bin", f.rel));
        let json = dir.join(format!("{}.json", f.rel));
        for (p, b) in [(&bin, &f.bytes[..]), (&json, text.as_bytes())] {
            match write_new(p, b) {
                Ok(true) => written += 1,
                Ok(false) => kept += 1,
                Err(e) => {
                    eprintln!("{}: {e}", p.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    let store = popstore_conformance::sample_store_dir();
    for (rel, bytes) in popstore_conformance::sample::files() {
        match write_new(&store.join(&rel), &bytes) {
            Ok(true) => written += 1,
            Ok(false) => kept += 1,
            Err(e) => {
                eprintln!("{rel}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("fixtures and sample store: {written} files written, {kept} already present (kept)");
    ExitCode::SUCCESS
}
