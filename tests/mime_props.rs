//! Property tests of the precompute entry point on hostile input: no panic,
//! ranges inside the stored form, deep nesting capped, round trip through
//! the message file's IMAP section. (The same checks run under libFuzzer in
//! `fuzz/fuzz_targets/mime_precompute.rs`.)

use popstore::mime;
use proptest::prelude::*;

fn check(data: &[u8]) {
    let (stored, pre) = mime::precompute(data);
    assert_eq!(pre.size, stored.len() as u64);
    for e in &pre.parts {
        assert!(e.header.start <= e.header.end && e.header.end <= pre.size);
        assert!(e.body.start <= e.body.end && e.body.end <= pre.size);
        if let Some(m) = &e.message {
            assert!(m.header.end <= pre.size && m.text.end <= pre.size);
        }
    }
    let back = mime::stored::from_imap_data(&pre.to_imap_data(), pre.dot_lines.clone())
        .expect("own section reads back");
    assert_eq!(back, pre);
}

/// Lines drawn from MIME's vocabulary, so the scanner's paths get exercised.
fn mime_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Content-Type: multipart/mixed; boundary=a".to_string()),
        Just("Content-Type: multipart/digest; boundary=\"b\"".to_string()),
        Just("Content-Type: message/rfc822".to_string()),
        Just("Content-Type: text/plain; name*0=x; name*1*=y%20".to_string()),
        Just("Content-Transfer-Encoding: base64".to_string()),
        Just("MIME-Version: 1.0".to_string()),
        Just("From: \"A (b\" <a@b>, G: c@d;, (x".to_string()),
        Just("--a".to_string()),
        Just("--a--".to_string()),
        Just("--b".to_string()),
        Just("".to_string()),
        Just(" continued".to_string()),
        Just(".dot".to_string()),
        "[ -~]{0,20}",
    ]
}

proptest! {
    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        check(&data);
    }

    #[test]
    fn mime_shaped(lines in proptest::collection::vec(mime_line(), 0..60), lf in any::<bool>()) {
        let eol = if lf { "\n" } else { "\r\n" };
        check(lines.join(eol).as_bytes());
    }
}

#[test]
fn deep_nesting_is_capped() {
    // 5000 nested multiparts and 5000 nested messages: linear work, capped depth.
    let mut m = String::new();
    for i in 0..5000 {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
        ));
    }
    for _ in 0..5000 {
        m.push_str("Content-Type: message/rfc822\r\n\r\n");
    }
    m.push_str("text\r\n");
    let (_, pre) = mime::precompute(m.as_bytes());
    let depth = pre.parts.iter().map(|p| p.path.len()).max().unwrap_or(0);
    assert!(depth <= mime::scan::MAX_NESTING + 1, "depth {depth}");
    check(m.as_bytes());
}

#[test]
fn many_parts_are_capped() {
    let mut m = String::from("Content-Type: multipart/mixed; boundary=x\r\n\r\n");
    for _ in 0..20_000 {
        m.push_str("--x\r\n\r\np\r\n");
    }
    let (_, pre) = mime::precompute(m.as_bytes());
    assert!(pre.parts.len() <= mime::scan::MAX_PARTS + 2);
}
