use super::*;

fn bytes(m: &SourceMessage) -> &[u8] {
    match &m.body {
        Body::Bytes(b) => b,
        Body::File(_) => panic!("file"),
    }
}

const F1: &str = "From a@example.org Sat Dec  5 09:35:39 2026\n";
const F2: &str = "From b@example.org Sat Dec  5 10:00:00 2026\n";

#[test]
fn mboxrd_unquotes_one_level_and_keeps_unquoted_from_in_body() {
    let data = format!(
        "{F1}Subject: one\nStatus: RO\nX-Status: AF\nX-Keywords: $Work Later\n\nbody\n>From here\n>>From there\nFrom nobody in particular\n\n{F2}Subject: two\n\nsecond\n"
    );
    let b = read(data.as_bytes(), Variant::Mboxrd, "f");
    assert_eq!(b.messages.len(), 2, "{:?}", b.problems);
    assert_eq!(
        bytes(&b.messages[0]),
        b"Subject: one\n\nbody\nFrom here\n>From there\nFrom nobody in particular\n"
    );
    assert_eq!(
        b.messages[0].flags,
        SystemFlags::SEEN | SystemFlags::ANSWERED | SystemFlags::FLAGGED
    );
    assert_eq!(b.messages[0].keywords, ["$Work", "Later"]);
    assert_eq!(b.messages[0].internal_date, Some(1_796_463_339));
    assert_eq!(bytes(&b.messages[1]), b"Subject: two\n\nsecond\n");
    let o = read(data.as_bytes(), Variant::Mboxo, "f");
    assert!(
        bytes(&o.messages[0]).ends_with(b"From here\n>>From there\nFrom nobody in particular\n")
    );
}

#[test]
fn mboxcl2_uses_content_length_and_keeps_from_lines() {
    let body = format!("x\n\n{F2}>From y\n");
    let data = format!(
        "{F1}Subject: one\nContent-Length: {}\n\n{body}\n{F2}Subject: two\nContent-Length: 3\n\nabc\n",
        body.len()
    );
    let b = read(data.as_bytes(), Variant::Auto, "f");
    assert_eq!(b.variant, Some(Variant::Mboxcl2));
    assert_eq!(b.messages.len(), 2);
    assert_eq!(
        bytes(&b.messages[0]),
        format!("Subject: one\n\n{body}").as_bytes()
    );
    assert_eq!(bytes(&b.messages[1]), b"Subject: two\n\nabc");
}

#[test]
fn truncated_content_length_is_reported_and_migrated() {
    let data = format!(
        "{F1}Subject: one\nContent-Length: 3\n\nabc\n{F2}Subject: two\nContent-Length: 500\n\nshort\n"
    );
    let b = read(data.as_bytes(), Variant::Auto, "f");
    assert_eq!(b.messages.len(), 2);
    assert!(
        b.problems[0].reason.contains("truncated"),
        "{:?}",
        b.problems
    );
    assert_eq!(bytes(&b.messages[1]), b"Subject: two\n\nshort\n");
}

#[test]
fn uw_pseudo_message_dropped_and_uids_kept() {
    let data = format!(
        "{F1}Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\nX-IMAP: 1700000000 0000000010 $Work\n\nx\n\n{F2}X-UID: 3\nSubject: a\n\na\n\n{F2}X-UID: 2\nSubject: b\n\nb\n"
    );
    let b = read(data.as_bytes(), Variant::Auto, "f");
    assert_eq!(b.uidvalidity, Some(1_700_000_000));
    assert_eq!(b.messages.len(), 2);
    assert_eq!(b.messages[0].uid, Some(3));
    assert_eq!(b.messages[1].uid, None, "not ascending");
    assert_eq!(b.problems.len(), 1);
}

#[test]
fn no_final_newline_reported() {
    let data = format!("{F1}Subject: one\n\ncut he");
    let b = read(data.as_bytes(), Variant::Auto, "f");
    assert_eq!(b.messages.len(), 1);
    assert_eq!(bytes(&b.messages[0]), b"Subject: one\n\ncut he");
    assert_eq!(b.problems.len(), 1);
}
