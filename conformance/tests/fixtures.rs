//! The conformance runner: every committed fixture is read and compared
//! with its expectation; valid fixtures must be rewritten to the same
//! bytes, invalid ones must give their error (code and offset). On a
//! mismatch the produced bytes or JSON are written beside the fixture as
//! `*.actual` for diffing, and the test fails. Fixtures are never
//! regenerated here. Files in a `torn/` folder end in a torn tail: they
//! must read, show the tail's length, and rewrite to the file without it.
//! Files in a `read-only/` folder hold what no writer writes (a block
//! skip): they must read, and their rewrite must read to the same value.

use std::path::Path;

use popstore_conformance::{bin_files, error_expectation, expectation, fixtures_dir, to_pretty};
use popstore_formats::{AnyFile, FileKind};

fn check(bin: &Path, failures: &mut Vec<String>) {
    let name = bin.display().to_string();
    let bytes = std::fs::read(bin).expect("fixture readable");
    let json_path = bin.with_extension("json");
    let Ok(text) = std::fs::read_to_string(&json_path) else {
        failures.push(format!("{name}: no expectation file beside it"));
        return;
    };
    let want: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            failures.push(format!("{name}: expectation is not JSON: {e}"));
            return;
        }
    };
    let folder = |n: &str| {
        bin.parent()
            .is_some_and(|p| p.file_name().is_some_and(|f| f == n))
    };
    let (invalid, torn, read_only) = (folder("invalid"), folder("torn"), folder("read-only"));
    let actual_json = bin.with_extension("json.actual");
    match (AnyFile::decode(&bytes), invalid) {
        (Ok(v), false) => {
            let got = expectation(&v);
            if got != want {
                let _ = std::fs::write(&actual_json, to_pretty(&got));
                failures.push(format!(
                    "{name}: decoded value differs from the expectation (see {})",
                    actual_json.display()
                ));
            }
            let tail = v.torn_tail() as usize;
            if torn != (tail > 0) {
                failures.push(format!(
                    "{name}: torn tail of {tail} bytes, but the file is {}in a torn/ folder",
                    if torn { "" } else { "not " }
                ));
            }
            let kept = &bytes[..bytes.len().saturating_sub(tail)];
            if read_only {
                match v.encode().map(|out| AnyFile::decode(&out).map(|w| w == v)) {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) => failures.push(format!("{name}: rewrite reads differently")),
                    Ok(Err(e)) => failures.push(format!("{name}: rewrite does not read: {e}")),
                    Err(e) => failures.push(format!("{name}: rewrite failed: {e}")),
                }
                return;
            }
            match v.encode() {
                Ok(out) if out == kept => {}
                Ok(out) => {
                    let p = bin.with_extension("bin.actual");
                    let _ = std::fs::write(&p, &out);
                    failures.push(format!(
                        "{name}: rewrite differs from the fixture{} (see {})",
                        if torn { " without its torn tail" } else { "" },
                        p.display()
                    ));
                }
                Err(e) => failures.push(format!("{name}: rewrite failed: {e}")),
            }
        }
        (Err(e), true) => {
            let got = error_expectation(&e);
            if got["code"] != want["code"] || got["offset"] != want["offset"] {
                let _ = std::fs::write(&actual_json, to_pretty(&got));
                failures.push(format!(
                    "{name}: expected error {} at {}, got {e}",
                    want["code"], want["offset"]
                ));
            }
        }
        (Ok(_), true) => failures.push(format!("{name}: invalid case read without error")),
        (Err(e), false) => failures.push(format!("{name}: valid fixture refused: {e}")),
    }
}

#[test]
fn every_fixture_matches_its_expectation() {
    let bins = bin_files(&fixtures_dir());
    assert!(
        !bins.is_empty(),
        "no fixtures under {}",
        fixtures_dir().display()
    );
    let mut failures = Vec::new();
    for b in &bins {
        check(b, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The version folders (`v1.0`, `v2.0`, ...), oldest first.
fn versions() -> Vec<(u32, u32, String)> {
    let mut out: Vec<(u32, u32, String)> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures folder")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (ma, mi) = name.strip_prefix('v')?.split_once('.')?;
            Some((ma.parse().ok()?, mi.parse().ok()?, name))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_kind_has_minimal_typical_maximal_and_invalid_cases() {
    let versions = versions();
    for kind in FileKind::ALL {
        let kind_name = kind.name().unwrap_or("?");
        // The kind's cases live in the version where it first appears.
        let Some(dir) = versions
            .iter()
            .map(|(_, _, v)| fixtures_dir().join(v).join(kind_name))
            .find(|d| d.join("minimal.bin").is_file())
        else {
            panic!("{kind:?} has no minimal fixture in any version");
        };
        for n in ["minimal", "typical", "maximal"] {
            assert!(dir.join(format!("{n}.bin")).is_file(), "{kind:?} lacks {n}");
        }
        let invalid = bin_files(&dir.join("invalid"));
        // A journal grows by appends: bytes after its last whole record
        // are a torn tail (its torn/ cases), not trailing garbage.
        let appended = [FileKind::MESSAGE_JOURNAL, FileKind::FOLDER_JOURNAL].contains(&kind);
        let mut cases = vec![
            "bad-magic",
            "future-major-version",
            "overlong-record-length",
        ];
        if !appended {
            cases.push("trailing-garbage");
        }
        for case in cases {
            assert!(
                invalid
                    .iter()
                    .any(|p| p.file_stem().is_some_and(|s| s == case)),
                "{kind:?} lacks invalid case {case}"
            );
        }
        if appended {
            let torn = bin_files(&dir.join("torn"));
            for case in [
                "cut-inside-count-word",
                "cut-inside-record",
                "last-record-bad-crc",
            ] {
                assert!(
                    torn.iter()
                        .any(|p| p.file_stem().is_some_and(|s| s == case)),
                    "{kind:?} lacks torn case {case}"
                );
            }
        }
        assert!(
            invalid
                .iter()
                .any(|p| p.to_string_lossy().contains("truncated-at-")),
            "{kind:?} lacks truncation cases"
        );
        assert!(
            invalid
                .iter()
                .any(|p| p.to_string_lossy().contains("checksum")),
            "{kind:?} lacks a bad checksum case"
        );
    }
}

#[test]
fn a_wrong_expectation_is_caught() {
    // The runner itself: a damaged copy of a valid fixture must fail.
    let src = fixtures_dir().join("v1.0/profile/typical.bin");
    let dir = std::env::temp_dir().join(format!("popstore-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("typical.bin");
    let mut bytes = std::fs::read(&src).unwrap();
    std::fs::write(&bin, &bytes).unwrap();
    std::fs::copy(src.with_extension("json"), bin.with_extension("json")).unwrap();
    let mut failures = Vec::new();
    check(&bin, &mut failures);
    assert!(failures.is_empty(), "{failures:?}");
    bytes[20] ^= 1;
    std::fs::write(&bin, &bytes).unwrap();
    check(&bin, &mut failures);
    assert_eq!(failures.len(), 1, "{failures:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_tail_is_accepted_only_in_a_torn_folder() {
    let src = fixtures_dir().join("v2.0/message-journal/torn/cut-inside-record.bin");
    let base = std::env::temp_dir().join(format!("popstore-conf-torn-{}", std::process::id()));
    for (folder, want) in [("torn", 0), ("elsewhere", 1)] {
        let dir = base.join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("case.bin");
        std::fs::copy(&src, &bin).unwrap();
        std::fs::copy(src.with_extension("json"), bin.with_extension("json")).unwrap();
        let mut failures = Vec::new();
        check(&bin, &mut failures);
        assert_eq!(failures.len(), want, "{folder}: {failures:?}");
    }
    let _ = std::fs::remove_dir_all(&base);
}

/// The error codes of SPEC.md section 4.
const CODES: [&str; 11] = [
    "truncated",
    "bad-magic",
    "future-version",
    "bad-checksum",
    "overlong-record",
    "odd-length",
    "trailing-garbage",
    "bad-record",
    "missing-record",
    "duplicate-record",
    "bad-value",
];

/// One row of SPEC.md's rule tables that names invalid fixtures.
struct RuleRow {
    /// The row as written.
    text: String,
    /// The error codes it names.
    codes: Vec<String>,
    /// Its offset, when the cell after the error is a number.
    offset: Option<u64>,
    /// The fixtures it names.
    fixtures: Vec<String>,
}

/// The rows of SPEC.md's rule tables (4.1, 7.1, 13.4) that name invalid
/// fixtures.
fn spec_rule_rows() -> Vec<RuleRow> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = std::fs::read_to_string(root.join("formats/SPEC.md")).expect("SPEC.md");
    let mut rows = Vec::new();
    for line in spec.lines().filter(|l| l.starts_with('|')) {
        let quoted: Vec<String> = line
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        let fixtures: Vec<String> = quoted
            .iter()
            .filter(|q| q.starts_with('v') && q.contains("/invalid/"))
            .cloned()
            .collect();
        if fixtures.is_empty() {
            continue;
        }
        let codes = quoted
            .iter()
            .filter(|q| CODES.contains(&q.as_str()))
            .cloned()
            .collect();
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let offset = cells
            .iter()
            .position(|c| CODES.iter().any(|code| c.contains(&format!("`{code}`"))))
            .and_then(|i| cells.get(i + 1))
            .and_then(|c| c.parse().ok());
        rows.push(RuleRow {
            text: line.to_owned(),
            codes,
            offset,
            fixtures,
        });
    }
    rows
}

#[test]
fn every_rule_in_the_spec_has_its_fixture() {
    let rows = spec_rule_rows();
    assert!(
        rows.len() >= 60,
        "only {} rule rows found in SPEC.md",
        rows.len()
    );
    let mut failures = Vec::new();
    for RuleRow {
        text: row,
        codes,
        offset,
        fixtures,
    } in &rows
    {
        for f in fixtures {
            let json = fixtures_dir().join(format!("{f}.json"));
            if !fixtures_dir().join(format!("{f}.bin")).is_file() {
                failures.push(format!("{f}: named in SPEC.md but missing ({row})"));
                continue;
            }
            let want: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&json).unwrap_or_default())
                    .unwrap_or_default();
            let code = want["code"].as_str().unwrap_or("?");
            // A row naming no code ("as section 4", "its own error") only
            // needs its fixture to be an invalid case.
            if !codes.is_empty() && !codes.iter().any(|c| c == code) {
                failures.push(format!("{f}: gives {code}, SPEC.md says {codes:?} ({row})"));
            }
            // A row whose offset is a number pins it.
            if let Some(o) = offset
                && want["offset"].as_u64() != Some(*o)
            {
                failures.push(format!(
                    "{f}: at {}, SPEC.md says {o} ({row})",
                    want["offset"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_error_code_has_an_invalid_fixture() {
    let mut seen = std::collections::BTreeSet::new();
    for b in bin_files(&fixtures_dir()) {
        if b.parent()
            .is_some_and(|p| p.file_name().is_some_and(|f| f == "invalid"))
        {
            let text = std::fs::read_to_string(b.with_extension("json")).unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if let Some(c) = v["code"].as_str() {
                seen.insert(c.to_owned());
            }
        }
    }
    for c in CODES {
        assert!(seen.contains(c), "no invalid fixture gives {c}");
    }
}
