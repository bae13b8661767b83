//! Makes the fixtures added with format 2.2: the POP3 UIDL map of a
//! converted account (`PSPU`, SPEC.md 9.1; valid and invalid cases). Used
//! by the `generate-fixtures` binary, which never overwrites a file.

use popstore_formats::container::write_container;
use popstore_formats::pop_uidls::{PopUidls, rtype};
use popstore_formats::{FileKind, StoreFile, samples};

use crate::generate::{Fixture, structured_invalid};

/// The version folder of these fixtures.
const V: &str = "v2.2";

/// A map file made of `records` (record data: type code and fields),
/// whether or not they keep the rules.
fn raw(records: &[Vec<u8>]) -> Vec<u8> {
    write_container(PopUidls::MAGIC, records).expect("records")
}

fn map(folder: u32, uv: u32) -> Vec<u8> {
    let mut v = rtype::MAP.to_le_bytes().to_vec();
    v.extend_from_slice(&folder.to_le_bytes());
    v.extend_from_slice(&uv.to_le_bytes());
    v
}

fn row(uid: u32, message: u64, uidl: &str) -> Vec<u8> {
    let mut v = rtype::UIDL.to_le_bytes().to_vec();
    v.extend_from_slice(&uid.to_le_bytes());
    v.extend_from_slice(&message.to_le_bytes());
    v.extend_from_slice(&(uidl.len() as u16).to_le_bytes());
    v.extend_from_slice(uidl.as_bytes());
    v
}

/// Every fixture first made for format version 2.2.
pub fn v2_2() -> Vec<Fixture> {
    let d = FileKind::POP_UIDLS.name().unwrap_or("unknown");
    let maps = samples::pop_uidls();
    let mut out = Vec::new();
    let mut push = |rel: String, bytes: Vec<u8>, invalid: bool| {
        out.push(Fixture {
            rel,
            bytes,
            invalid,
        })
    };
    for (name, m) in ["minimal", "typical", "maximal"].iter().zip(&maps) {
        push(
            format!("{V}/{d}/{name}"),
            m.encode().expect("samples encode"),
            false,
        );
    }
    let typical = maps[1].encode().expect("typical");
    for (name, bytes) in structured_invalid(FileKind::POP_UIDLS, &typical) {
        push(format!("{V}/{d}/invalid/{name}"), bytes, true);
    }
    let rules: [(&str, Vec<Vec<u8>>); 6] = [
        ("uidvalidity-zero", vec![map(1, 0)]),
        ("folder-zero", vec![map(0, 7)]),
        (
            "uids-out-of-order",
            vec![map(1, 7), row(2, 1, "a.2"), row(1, 2, "a.1")],
        ),
        ("uid-zero", vec![map(1, 7), row(0, 1, "a.0")]),
        (
            "uidl-repeated",
            vec![map(1, 7), row(1, 1, "same"), row(2, 2, "same")],
        ),
        ("uidl-with-a-space", vec![map(1, 7), row(1, 1, "a b")]),
    ];
    for (name, recs) in rules {
        push(format!("{V}/{d}/invalid/{name}"), raw(&recs), true);
    }
    out
}
