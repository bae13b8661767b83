//! The trace headers final delivery adds (`Return-Path:` and popstore's
//! `Received:`, README.md "Trace headers"): checked field by field, then
//! taken off so that the rest can be compared byte for byte with what was
//! sent.

/// Checks that `stored` begins with `Return-Path: <sender>` and one
/// popstore `Received:` field, exactly as delivery writes them, and
/// returns what follows them.
pub fn strip<'a>(stored: &'a [u8], sender: &str) -> &'a [u8] {
    let rp = format!("Return-Path: <{sender}>\r\n");
    assert!(
        stored.starts_with(rp.as_bytes()),
        "no `{}` on top: {:?}",
        rp.trim_end(),
        String::from_utf8_lossy(&stored[..stored.len().min(200)])
    );
    let rest = &stored[rp.len()..];
    // The Received field: its first line and the folded (TAB) ones.
    let mut end = 0;
    for (i, line) in rest.split_inclusive(|b| *b == b'\n').enumerate() {
        if i > 0 && !line.starts_with(b"\t") {
            break;
        }
        end += line.len();
    }
    let field = std::str::from_utf8(&rest[..end]).expect("Received is ASCII");
    check_received(field);
    &rest[end..]
}

/// The `Received:` field's form (RFC 5321 4.4): `from` the client (LMTP
/// only), `by` the host `(popstore)`, `with LMTP` or `via deliver`, an
/// `id`, no `for` clause (one copy for every recipient), and the date.
pub fn check_received(field: &str) {
    let lines: Vec<&str> = field.split_inclusive("\r\n").collect();
    assert!(lines.iter().all(|l| l.ends_with("\r\n")), "{field:?}");
    let one = field.replace("\r\n\t", " ");
    let one = one.trim_end();
    let (clauses, date) = one.rsplit_once("; ").expect("a date after ';'");
    assert!(date.ends_with(" +0000"), "{field:?}");
    assert_eq!(date.split(' ').count(), 6, "{field:?}");
    let words: Vec<&str> = clauses.split(' ').collect();
    assert_eq!(words[0], "Received:", "{field:?}");
    let by = words.iter().position(|w| *w == "by").expect("by");
    // `from NAME (ADDRESS)` or `from [ADDRESS]` for LMTP, nothing else.
    assert!(by == 1 || words[1] == "from", "{field:?}");
    assert_eq!(words[by + 2], "(popstore)", "{field:?}");
    let tail = &words[by + 3..];
    assert_eq!(tail.len(), 4, "{field:?}");
    let protocol = if by == 1 {
        ["via", "deliver"]
    } else {
        ["with", "LMTP"]
    };
    assert_eq!(tail[..2], protocol, "{field:?}");
    assert_eq!(tail[2], "id", "{field:?}");
    assert!(tail[3].chars().all(|c| c.is_ascii_hexdigit()), "{field:?}");
    assert!(
        !words.contains(&"for"),
        "no per-recipient clause: {field:?}"
    );
}

/// `text` (a message as a client saved it: CRLF or LF line ends) with LF
/// line ends, without delivery's trace fields wherever they are (the
/// `Return-Path:` field and the folded `Received:` field naming
/// `(popstore)`) and without the fields starting with one of `drop` (what
/// the client itself added).
pub fn without_trace(text: &[u8], drop: &[&str]) -> String {
    let text = String::from_utf8_lossy(text).replace("\r\n", "\n");
    // Lines grouped into fields (a line and its continuation lines).
    let mut fields: Vec<Vec<&str>> = Vec::new();
    for l in text.lines() {
        match fields.last_mut() {
            Some(f) if l.starts_with(' ') || l.starts_with('\t') => f.push(l),
            _ => fields.push(vec![l]),
        }
    }
    let trace = |f: &[&str]| {
        f[0].starts_with("Return-Path: ")
            || (f[0].starts_with("Received: ") && f.iter().any(|l| l.contains("(popstore)")))
    };
    fields
        .iter()
        .filter(|f| !trace(f) && !drop.iter().any(|d| f[0].starts_with(d)))
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}
