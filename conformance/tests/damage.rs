//! Damaged files: every valid fixture (the seeds) cut at every length,
//! with every byte changed, and with a 0xFFFF block skip inserted at every
//! even offset, then random mixes of those; each is read as `inspect`
//! and `verify` read (`AnyFile::decode`), and the answer must be the one
//! SPEC.md predicts: the predictor in `predict/` is written from the
//! SPEC's rules alone, not from the readers' code. An error must be one
//! the SPEC names, at the offset its rules give.

mod predict;

use proptest::prelude::*;

use popstore_conformance::{bin_files, fixtures_dir};
use popstore_formats::AnyFile;

/// Every valid fixture (not in an `invalid/` folder) the predictor covers.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(load_seeds)
}

fn load_seeds() -> Vec<(String, Vec<u8>)> {
    bin_files(&fixtures_dir())
        .into_iter()
        .filter(|p| p.parent().and_then(|d| d.file_name()) != Some("invalid".as_ref()))
        .map(|p| {
            let name = p
                .strip_prefix(fixtures_dir())
                .unwrap_or(&p)
                .display()
                .to_string();
            (name, std::fs::read(&p).expect("fixture"))
        })
        .filter(|(_, b)| predict::predict(b).is_some())
        .collect()
}

/// Why `bytes` read differently from the prediction, if they did.
fn mismatch(bytes: &[u8]) -> Option<String> {
    let want = predict::predict(bytes)?;
    let got = AnyFile::decode(bytes);
    let ok = match &got {
        Ok(v) => want.result == Ok(v.torn_tail()),
        Err(e) => {
            let (code, offset) = (e.kind.code(), e.offset as usize);
            want.result == Err((code, offset))
                || want.typed.is_some_and(|(lo, hi)| {
                    predict::TYPED.contains(&code) && (lo..hi).contains(&offset)
                })
        }
    };
    let got = match got {
        Ok(v) => format!("read, torn tail {}", v.torn_tail()),
        Err(e) => format!("{} at {}: {e}", e.kind.code(), e.offset),
    };
    (!ok).then(|| format!("predicted {want:?}, got {got}"))
}

/// The offsets damaged in `seed`: all of them in a file of up to 4 KiB;
/// in a larger one its first and last 1 KiB and every 61st between (the
/// random mixes below reach the rest).
fn positions(len: usize) -> Vec<usize> {
    if len <= 4096 {
        return (0..len).collect();
    }
    (0..len)
        .filter(|i| *i < 1024 || *i >= len - 1024 || i % 61 == 0)
        .collect()
}

/// The damages of one kind applied to `seed`.
fn damaged(seed: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let at = positions(seed.len());
    for &n in &at {
        out.push((format!("cut at {n}"), seed[..n].to_vec()));
    }
    for &i in &at {
        for x in [0x01, 0x80, 0xFF] {
            let mut m = seed.to_vec();
            m[i] ^= x;
            out.push((format!("byte {i} xor {x:#x}"), m));
        }
    }
    for i in at
        .iter()
        .copied()
        .chain([seed.len()])
        .filter(|i| i % 2 == 0)
    {
        let mut m = seed.to_vec();
        m.splice(i..i, [0xFF, 0xFF]);
        out.push((format!("skip inserted at {i}"), m.clone()));
        if seed.starts_with(b"PSMF") && i + 2 <= seed.len() {
            // A message file keeps its length: the skip replaces 2 bytes.
            let mut m = seed.to_vec();
            m[i..i + 2].copy_from_slice(&[0xFF, 0xFF]);
            out.push((format!("skip written at {i}"), m));
        }
    }
    out
}

#[test]
fn the_predictor_reads_every_valid_fixture_as_valid() {
    let seeds = seeds();
    assert!(seeds.len() >= 30, "only {} seeds", seeds.len());
    for (name, b) in seeds {
        let p = predict::predict(b).expect("covered");
        assert!(p.result.is_ok(), "{name}: predicted {p:?}");
        assert_eq!(mismatch(b), None, "{name}");
    }
}

#[test]
fn every_single_damage_gives_what_the_spec_predicts() {
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for (name, seed) in seeds() {
        for (what, bytes) in damaged(seed) {
            checked += 1;
            if let Some(m) = mismatch(&bytes) {
                failures.push(format!("{name}, {what}: {m}"));
            }
        }
    }
    assert!(checked > 10_000, "only {checked} damaged files");
    let shown: Vec<_> = failures.iter().take(40).collect();
    assert!(
        failures.is_empty(),
        "{} of {checked} damaged files read otherwise than SPEC.md predicts:\n{}",
        failures.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// One damage: cut, change a byte, insert a skip (at an even offset).
#[derive(Debug, Clone)]
enum Damage {
    Cut(usize),
    Xor(usize, u8),
    Skip(usize),
}

fn apply(b: &mut Vec<u8>, d: &Damage) {
    if b.is_empty() {
        return;
    }
    match *d {
        Damage::Cut(n) => b.truncate(n % (b.len() + 1)),
        Damage::Xor(i, x) => {
            let n = b.len();
            b[i % n] ^= x.max(1);
        }
        Damage::Skip(i) => {
            let at = (i % (b.len() + 1)) & !1;
            b.splice(at..at, [0xFF, 0xFF]);
        }
    }
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Cut),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Damage::Xor(i, x)),
        any::<usize>().prop_map(Damage::Skip),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mixed_damage_gives_what_the_spec_predicts(
        seed in any::<prop::sample::Index>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let seeds = seeds();
        let (name, seed) = &seeds[seed.index(seeds.len())];
        let mut b = seed.clone();
        for d in &damages {
            apply(&mut b, d);
        }
        prop_assert_eq!(mismatch(&b), None, "{} after {:?}", name, damages);
    }
}
