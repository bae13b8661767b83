//! What SPEC.md says a reader must answer for a file: written from the
//! SPEC's rules alone (sections 3.1, 4, 5, 7.1, 8.1 and 13.4), without the
//! reader's code, so that comparing the two tests the reader against the
//! SPEC. It predicts everything decided by framing, checksums, lengths and
//! fixed fields; what depends on a typed record's fields (a bad record, a
//! duplicate, a missing record, a rule of the kind) it predicts only as
//! "a typed-stage error somewhere in this range", which the SPEC's order
//! puts after the frame is known good.

/// The error codes of the typed stage (SPEC.md 4, steps 7 and 8).
pub const TYPED: [&str; 4] = [
    "bad-record",
    "duplicate-record",
    "missing-record",
    "bad-value",
];

/// What a reader must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// A typed-stage error at an offset in this range is also acceptable
    /// (the typed records it covers are read before `result` is decided).
    pub typed: Option<(usize, usize)>,
    /// Otherwise: the file reads, with a torn tail of this many bytes, or
    /// this error (code, offset).
    pub result: Result<u64, (&'static str, usize)>,
}

fn err(code: &'static str, at: usize) -> Outcome {
    Outcome {
        typed: None,
        result: Err((code, at)),
    }
}

/// CRC-32 as SPEC.md 2 defines it (ISO-HDLC, reflected 0xEDB88320).
pub fn crc32(bytes: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut c = 0xFFFF_FFFFu32;
    for b in bytes {
        c = table[((c ^ u32::from(*b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// The magics of section 4's table with the newest major version of each
/// (the descriptor: 2, section 5).
const STRUCTURED: [(&[u8; 4], u16); 11] = [
    (b"PSSD", 2),
    (b"PSPR", 1),
    (b"PSML", 1),
    (b"PSMJ", 1),
    (b"PSFJ", 1),
    (b"PSFI", 1),
    (b"PSMB", 1),
    (b"PSFW", 1),
    (b"PSGR", 1),
    (b"PSVS", 1),
    (b"PSPU", 1),
];

/// The incompatible features SPEC.md 5 names: id-message-dirs,
/// list-journal, folder-journal, folder-freed, share-index.
const KNOWN_FEATURES: u32 = 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x10_0000 | 0x20_0000;

/// One framing step of section 3.1 at `p` in a file (or area) ending at
/// `end`: `Ok(Some((n, next)))` a record of n data bytes whose successor
/// starts at next, `Ok(None)` a skip to `next`, or the error.
enum Step {
    Record { n: usize, next: usize },
    Skip { next: usize },
    Fail(&'static str),
}

fn step(b: &[u8], p: usize, end: usize) -> Step {
    if p + 2 > end {
        return Step::Fail("truncated");
    }
    let n = usize::from(u16_at(b, p));
    if n == 0xFFFF {
        let next = (p / 512 + 1) * 512;
        return if next > end {
            Step::Fail("truncated")
        } else {
            Step::Skip { next }
        };
    }
    if n > 32767 {
        return Step::Fail("overlong-record");
    }
    let next = p + 2 + n + n % 2;
    if next > end {
        return Step::Fail("truncated");
    }
    Step::Record { n, next }
}

/// The prediction for `b`, read as `AnyFile::decode` reads (the kind
/// recognised by its magic, SPEC.md 4 step 1); `None` for a file this
/// predictor cannot judge.
pub fn predict(b: &[u8]) -> Option<Outcome> {
    if b.is_empty() {
        return Some(err("truncated", 0));
    }
    if b.len() >= 4 && &b[..4] == b"PSMF" {
        return Some(message(b));
    }
    let Some((magic, max)) = (b.len() >= 6 && b[..2] == [8, 0])
        .then(|| STRUCTURED.iter().find(|(m, _)| m[..] == b[2..6]))
        .flatten()
    else {
        return Some(err("bad-magic", 0));
    };
    if b.len() < 10 {
        return Some(err("truncated", b.len()));
    }
    let major = u16_at(b, 6);
    if major > *max {
        return Some(err("future-version", 6));
    }
    if major == 0 {
        return Some(err("bad-value", 6));
    }
    match &magic[..] {
        b"PSFJ" => Some(journal(b, true)),
        b"PSMJ" => Some(journal(b, false)),
        b"PSSD" if major >= 2 => {
            if b.len() < 50 {
                return Some(err("truncated", b.len()));
            }
            if b[12..14] != [1, 0] {
                return Some(err("bad-value", 12));
            }
            let f = u32_at(b, 46) & 0xFFFF_0000;
            if f == 0 || f & !KNOWN_FEATURES != 0 {
                return Some(err("future-version", 6));
            }
            Some(structured(b))
        }
        _ => Some(structured(b)),
    }
}

/// Section 4, steps 4 to 8.
fn structured(b: &[u8]) -> Outcome {
    let mut p = 10;
    let mut typed = 0u64;
    loop {
        if p == b.len() {
            return err("truncated", b.len());
        }
        match step(b, p, b.len()) {
            Step::Fail(code) => return err(code, p),
            Step::Skip { next } => p = next,
            Step::Record { n, next } => {
                if n < 2 {
                    return err("bad-record", p + 2);
                }
                if u16_at(b, p + 2) != 0 {
                    typed += 1;
                    p = next;
                    continue;
                }
                if n != 10 {
                    return err("bad-record", p + 2);
                }
                if u32_at(b, p + 8) != crc32(&b[..p]) {
                    return err("bad-checksum", p + 8);
                }
                if u64::from(u32_at(b, p + 4)) != typed {
                    return err("bad-value", p + 4);
                }
                if next < b.len() {
                    return err("trailing-garbage", next);
                }
                return Outcome {
                    typed: Some((10, p + 3)),
                    result: Ok(0),
                };
            }
        }
    }
}

/// Sections 7.1 and 8.1: the message-list journal and (`base_at_10`) the
/// folder journal, whose BASE record's count word must be at 10.
fn journal(b: &[u8], base_at_10: bool) -> Outcome {
    if base_at_10 && b.len() >= 12 && u16_at(b, 10) == 0xFFFF && 512 <= b.len() {
        return err("missing-record", 10);
    }
    // (count word, error) of the first record that is not whole and
    // checked; the type code of the first whole record.
    let mut p = 10;
    let mut first: Option<u16> = None;
    let mut first_at = 0;
    let mut failure = None;
    while p < b.len() {
        match step(b, p, b.len()) {
            Step::Fail(code) => {
                failure = Some((p, code, p));
                break;
            }
            Step::Skip { next } => p = next,
            Step::Record { n, next } => {
                if n < 6 {
                    failure = Some((p, "bad-record", p + 2));
                    break;
                }
                let data = &b[p + 2..p + 2 + n];
                if u32_at(data, n - 4) != crc32(&data[..n - 4]) {
                    failure = Some((p, "bad-checksum", p + 2 + n - 4));
                    break;
                }
                if first.is_none() {
                    first = Some(u16_at(data, 0));
                    first_at = p + 2;
                }
                p = next;
            }
        }
    }
    let Some(t) = first else {
        // No whole record: the first is never torn.
        return match failure {
            Some((_, code, at)) => err(code, at),
            None => err("truncated", 10),
        };
    };
    if t != 1 {
        return err("missing-record", first_at);
    }
    let Some((start, code, at)) = failure else {
        return Outcome {
            typed: Some((10, b.len())),
            result: Ok(0),
        };
    };
    let typed = Some((10, start));
    if whole_after(b, start + 2) {
        Outcome {
            typed,
            result: Err((code, at)),
        }
    } else {
        Outcome {
            typed,
            result: Ok((b.len() - start) as u64),
        }
    }
}

/// A whole, checked record (count 6 to 32767, its data in the file, the
/// last 4 bytes the CRC-32 of the others) at an even offset ≥ `from`.
fn whole_after(b: &[u8], from: usize) -> bool {
    let mut q = from + from % 2;
    while q + 2 <= b.len() {
        let n = usize::from(u16_at(b, q));
        if (6..=32767).contains(&n) && q + 2 + n <= b.len() {
            let data = &b[q + 2..q + 2 + n];
            if u32_at(data, n - 4) == crc32(&data[..n - 4]) {
                return true;
            }
        }
        q += 2;
    }
    false
}

/// Section 13.4: the message file.
fn message(b: &[u8]) -> Outcome {
    if b.len() < 8 {
        return err("truncated", b.len());
    }
    let major = u16_at(b, 4);
    if major > 1 {
        return err("future-version", 4);
    }
    if major == 0 {
        return err("bad-value", 4);
    }
    if !b.len().is_multiple_of(512) {
        return err("odd-length", b.len() - b.len() % 512);
    }
    let h = u32_at(b, 8) as usize;
    if h == 0 {
        return err("bad-value", 8);
    }
    let r = u32_at(b, 56) as usize;
    if r > h * 512 - 64 {
        return err("bad-value", 56);
    }
    let l = u64_at(b, 16);
    let expected = (h as u64)
        .saturating_add(l.div_ceil(512))
        .saturating_mul(512);
    if (b.len() as u64) < expected {
        return err("truncated", b.len());
    }
    if (b.len() as u64) > expected {
        return err("trailing-garbage", expected as usize);
    }
    if u32_at(b, 60) != 0 {
        return err("bad-value", 60);
    }
    if u32_at(b, 48) != !u32_at(b, 44) {
        return err("bad-checksum", 44);
    }
    let area_end = 64 + r;
    let mut p = 64;
    let mut typed = 0u64;
    let mut end_seen = false;
    let mut dots: Vec<u64> = Vec::new();
    let mut dots_ok = true;
    while p < area_end {
        match step(b, p, area_end) {
            Step::Fail(code) => return err(code, p),
            Step::Skip { next } => p = next,
            Step::Record { n, next } => {
                if end_seen {
                    return err("bad-value", p + 2);
                }
                if n < 2 {
                    return err("bad-record", p + 2);
                }
                let t = u16_at(b, p + 2);
                if t == 3 {
                    // DOT_LINES: list16<u64>.
                    let d = &b[p + 4..p + 2 + n];
                    let c = if d.len() >= 2 {
                        usize::from(u16_at(d, 0))
                    } else {
                        0
                    };
                    if d.len() == 2 + 8 * c {
                        dots.extend((0..c).map(|i| u64_at(d, 2 + 8 * i)));
                    } else {
                        dots_ok = false;
                    }
                }
                if t != 0 {
                    typed += 1;
                    p = next;
                    continue;
                }
                if n != 10 {
                    return err("bad-record", p + 2);
                }
                let mut covered = b[..p].to_vec();
                covered[44..52].fill(0);
                if u32_at(b, p + 8) != crc32(&covered) {
                    return err("bad-checksum", p + 8);
                }
                if u64::from(u32_at(b, p + 4)) != typed {
                    return err("bad-value", p + 4);
                }
                end_seen = true;
                p = next;
            }
        }
    }
    if !end_seen {
        return err("truncated", area_end);
    }
    if let Some(i) = b[area_end..h * 512].iter().position(|x| *x != 0) {
        return err("bad-value", area_end + i);
    }
    let typed = Some((64, area_end));
    let outcome = |result| Outcome { typed, result };
    let start = h * 512;
    let body = &b[start..start + l as usize];
    if crc32(body) != u32_at(b, 52) {
        return outcome(Err(("bad-checksum", start)));
    }
    if let Some(i) = b[start + body.len()..].iter().position(|x| *x != 0) {
        return outcome(Err(("bad-value", start + body.len() + i)));
    }
    let crlf = body.windows(2).filter(|w| w == b"\r\n").count() as u64;
    let lines = crlf + u64::from(!body.is_empty() && !body.ends_with(b"\r\n"));
    if lines != u64_at(b, 24) {
        return outcome(Err(("bad-value", 24)));
    }
    let want: Vec<u64> = (0..body.len())
        .filter(|i| body[*i] == b'.' && (*i == 0 || body[..*i].ends_with(b"\r\n")))
        .map(|i| i as u64)
        .collect();
    if !dots_ok {
        // A DOT_LINES record that does not parse is a typed-stage error.
        return Outcome {
            typed,
            result: Err(("bad-record", usize::MAX)),
        };
    }
    if want != dots {
        return outcome(Err(("bad-value", 64)));
    }
    outcome(Ok(0))
}
