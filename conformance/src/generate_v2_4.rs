//! Makes the fixtures added with format 2.4: the account profile 1.1 with
//! the MESSAGE_QUOTA record (SPEC.md 6; RFC 9208 RES-MESSAGE), and the
//! same profile as a 1.0 writer rewrites it (the record kept as unknown,
//! the version 1.0). Used by the `generate-fixtures` binary, which never
//! overwrites a file.

use popstore_formats::container::FIRST_RECORD;
use popstore_formats::container::write_container_version;
use popstore_formats::record::var_records;
use popstore_formats::{FileKind, StoreFile, samples};

use crate::generate::Fixture;

/// The version folder of these fixtures.
const V: &str = "v2.4";

/// Every fixture first made for format version 2.4.
pub fn v2_4() -> Vec<Fixture> {
    let d = FileKind::PROFILE.name().unwrap_or("unknown");
    let mut p = samples::profiles()[1].clone();
    p.message_limit = Some(1000);
    let v11 = p.encode().expect("profile encodes");
    // A 1.0 writer keeps the record it does not know and writes 1.0: the
    // same records under version 1.0.
    let mut recs: Vec<Vec<u8>> = var_records(&v11[FIRST_RECORD..])
        .flatten()
        .map(|r| r.data.to_vec())
        .collect();
    recs.pop(); // the end record
    let rewritten = write_container_version(*b"PSPR", (1, 0), &recs).expect("container");
    vec![
        Fixture {
            rel: format!("{V}/{d}/message-quota"),
            bytes: v11,
            invalid: false,
        },
        Fixture {
            rel: format!("{V}/{d}/read-only/message-quota-rewritten-by-a-1.0-writer"),
            bytes: rewritten,
            invalid: false,
        },
    ]
}
