//! The base subject of RFC 5256 section 2.1, which SORT SUBJECT and both
//! THREAD algorithms compare.

use super::text::decode_header;

/// A base subject and whether extracting it removed a reply or forward
/// marker (`Re:`, `Fwd:`, a `(fwd)` trailer or a `[fwd: ...]` wrapper),
/// which THREAD=REFERENCES step 5 asks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaseSubject {
    /// The base subject, in its original letter case.
    pub text: String,
    /// A reply or forward marker was removed.
    pub reply: bool,
}

impl BaseSubject {
    /// The key SORT and THREAD compare (`i;unicode-casemap`).
    pub fn key(&self) -> String {
        super::text::casemap(&self.text)
    }
}

fn starts_ci(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)
}

fn wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP` at the start of `s`: its length.
fn blob(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let close = s[1..].iter().position(|&b| b == b'[' || b == b']')? + 1;
    if s[close] != b']' {
        return None;
    }
    let mut n = close + 1;
    while n < s.len() && wsp(s[n]) {
        n += 1;
    }
    Some(n)
}

/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"` at the
/// start of `s`: its length.
fn refwd(s: &[u8]) -> Option<usize> {
    let words: &[&[u8]] = &[b"re", b"fwd", b"fw"];
    for w in words {
        if !starts_ci(s, w) {
            continue;
        }
        let mut n = w.len();
        while n < s.len() && wsp(s[n]) {
            n += 1;
        }
        if let Some(b) = blob(&s[n..])
            && s.get(n + b) == Some(&b':')
        {
            return Some(n + b + 1);
        }
        if s.get(n) == Some(&b':') {
            return Some(n + 1);
        }
    }
    None
}

/// `subj-leader = (*subj-blob subj-refwd) / WSP` at the start of `s`:
/// its length and whether it held a `re`/`fw` marker.
fn leader(s: &[u8]) -> Option<(usize, bool)> {
    if s.first().copied().is_some_and(wsp) {
        return Some((1, false));
    }
    let mut n = 0;
    loop {
        if let Some(r) = refwd(&s[n..]) {
            return Some((n + r, true));
        }
        n += blob(&s[n..])?;
    }
}

/// Extracts the base subject of a raw `Subject:` value (RFC 5256 2.1).
pub fn base_subject(raw: &[u8]) -> BaseSubject {
    // (1) Encoded words decoded, tabs and folding as single spaces
    // (`decode_header` already turns every white space run into one).
    let mut s = decode_header(raw);
    let mut reply = false;
    loop {
        // (2) Trailing "(fwd)" and white space.
        loop {
            let t = s.trim_end_matches([' ', '\t']).len();
            s.truncate(t);
            if s.len() >= 5 && s.as_bytes()[s.len() - 5..].eq_ignore_ascii_case(b"(fwd)") {
                s.truncate(s.len() - 5);
                reply = true;
                continue;
            }
            break;
        }
        // (3)-(5) Leaders and blobs, until neither matches.
        loop {
            let mut changed = false;
            while let Some((n, marker)) = leader(s.as_bytes()) {
                s.drain(..n);
                reply |= marker;
                changed = true;
            }
            if let Some(n) = blob(s.as_bytes())
                && s.as_bytes()[n..].iter().any(|&b| !wsp(b))
            {
                s.drain(..n);
                changed = true;
            }
            if !changed {
                break;
            }
        }
        // (6) "[fwd:" ... "]": unwrap and start again at (2).
        if starts_ci(s.as_bytes(), b"[fwd:") && s.ends_with(']') {
            s.truncate(s.len() - 1);
            s.drain(..5);
            reply = true;
            continue;
        }
        break;
    }
    BaseSubject { text: s, reply }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> String {
        base_subject(s.as_bytes()).text
    }

    #[test]
    fn rfc5256_base_subject() {
        // Section 2.1's rules one by one.
        assert_eq!(base("Re: test"), "test");
        assert_eq!(base("Re: Re: test"), "test");
        assert_eq!(base("RE:test"), "test");
        assert_eq!(base("Fwd: test"), "test");
        assert_eq!(base("Fw: test"), "test");
        assert_eq!(base("re [foo]: test"), "test");
        assert_eq!(base("[list] Re: test"), "test");
        assert_eq!(base("[list] test"), "test");
        // A blob is kept when nothing would remain after it (rule 4).
        assert_eq!(base("[list]"), "[list]");
        assert_eq!(base("[a] [b]"), "[b]");
        assert_eq!(base("test (fwd)"), "test");
        assert_eq!(base("test (FWD) (fwd)  "), "test");
        assert_eq!(base("[fwd: Re: test]"), "test");
        assert_eq!(base("[Fwd: [fwd: test] (fwd)]"), "test");
        assert_eq!(base("  \t test"), "test");
        assert_eq!(base("Re: =?utf-8?Q?caf=C3=A9?="), "caf\u{e9}");
        assert_eq!(base("=?utf-8?Q?Re:_x?="), "x");
        // Not a leader: no colon, or a word merely starting with "re".
        assert_eq!(base("Re test"), "Re test");
        assert_eq!(base("Reply: x"), "Reply: x");
        assert_eq!(base(""), "");
        assert!(base_subject(b"Re: x").reply);
        assert!(base_subject(b"x (fwd)").reply);
        assert!(base_subject(b"[fwd: x]").reply);
        assert!(!base_subject(b"[list] x").reply);
    }
}
