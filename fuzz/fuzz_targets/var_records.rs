//! Fuzz target: RMS VAR record framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore_formats::record::{var_records, write_var};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let mut all = Vec::new();
    for r in var_records(data) {
        match r {
            Ok(r) => {
                write_var(&mut out, r.data).expect("a record read can be written");
                all.push(r.data.to_vec());
            }
            Err(_) => return,
        }
    }
    let again: Vec<Vec<u8>> = var_records(&out).map(|r| r.unwrap().data.to_vec()).collect();
    assert_eq!(again, all);
});
