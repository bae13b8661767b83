//! mbox files and spools (`/var/mail/USER`): mboxo, mboxrd and mboxcl2.
//!
//! - Messages start at a `From ` line that follows an empty line (or
//!   begins the file) and carries a date; any other `From ` line is body
//!   text, whatever the variant.
//! - mboxcl2: a valid `Content-Length` (the body ends at the end of the
//!   file or just before an empty line and a `From ` line) gives the
//!   body; no unquoting. mboxrd: `>From `, `>>From `... lose one `>`.
//!   mboxo: only `>From ` loses its `>`. `auto` takes mboxcl2 when every
//!   message has a valid `Content-Length`, else mboxrd.
//! - `Status` (`R`: `\Seen`) and `X-Status` (`A` answered, `F` flagged,
//!   `T` draft, `D` deleted) give flags, `X-Keywords` keywords, `X-UID`
//!   and `X-IMAPbase`/`X-IMAP` the UIDs and UIDVALIDITY (kept when valid:
//!   non-zero and ascending). These headers and `Content-Length` are the
//!   old store's bookkeeping, hidden by its IMAP server: they are not
//!   migrated. `X-UIDL` is kept and gives the POP3 UIDL.
//! - UW-IMAP's first pseudo-message ("DON'T DELETE THIS MESSAGE --
//!   FOLDER INTERNAL DATA") is dropped.
//!
//! The file is read once into memory and scanned once: the cost is
//! linear in its size, whatever the size of one message.

use memchr::memmem;
use popstore_formats::folder::SystemFlags;

use super::{Body, Problem, SourceMessage};

/// The mbox variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum Variant {
    /// mboxcl2 when every message has a valid Content-Length, else mboxrd.
    Auto,
    /// `From ` quoted as `>From `, only that unquoted.
    Mboxo,
    /// `>*From ` quoted with one more `>`.
    Mboxrd,
    /// Content-Length framing, no quoting.
    Mboxcl2,
}

/// What an mbox file holds.
#[derive(Debug, Default)]
pub struct Mbox {
    /// The folder's UIDVALIDITY (X-IMAPbase / X-IMAP), when valid.
    pub uidvalidity: Option<u32>,
    /// The messages, in file order.
    pub messages: Vec<SourceMessage>,
    /// What was wrong.
    pub problems: Vec<Problem>,
    /// The variant read.
    pub variant: Option<Variant>,
}

const PSEUDO: &str = "DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA";

/// Headers of the old store's bookkeeping, not migrated.
const HIDDEN: &[&str] = &[
    "status",
    "x-status",
    "x-keywords",
    "x-uid",
    "x-imapbase",
    "x-imap",
    "content-length",
];

/// One message's place in the file.
struct Raw {
    /// Offset of its `From ` line.
    from: usize,
    /// Offset of its header.
    start: usize,
    /// End of its bytes (separator excluded).
    end: usize,
    /// Its `From ` line's rest.
    from_line: String,
    /// Framed by Content-Length.
    by_length: bool,
}

fn line_end(data: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1)
}

/// A `From ` line with a date: a separator.
fn is_separator(line: &[u8]) -> Option<String> {
    let l = line.strip_prefix(b"From ")?;
    let text = String::from_utf8_lossy(l).trim_end().to_string();
    let rest = text.split_once(' ').map_or("", |x| x.1);
    super::date::from_line_date(rest).is_some().then_some(text)
}

/// The offsets of the separators (From lines after an empty line).
fn separators(data: &[u8]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    let finder = memmem::Finder::new(b"\nFrom ");
    if let Some(s) = is_separator(&data[..line_end(data, 0)]) {
        out.push((0, s));
    }
    while let Some(i) = finder.find(&data[at..]) {
        let pos = at + i + 1;
        at = pos;
        let prev_empty = pos >= 2
            && (data[pos - 2] == b'\n' || (pos >= 3 && &data[pos - 3..pos - 1] == b"\n\r"));
        if !prev_empty {
            continue;
        }
        if let Some(s) = is_separator(&data[pos..line_end(data, pos)]) {
            out.push((pos, s));
        }
    }
    out
}

/// The header block of a message starting at `start`: its end (after the
/// empty line) and its lines' (name, value, line range).
fn header_end(data: &[u8], start: usize) -> usize {
    let mut at = start;
    while at < data.len() {
        let e = line_end(data, at);
        let l = &data[at..e];
        if l == b"\n" || l == b"\r\n" {
            return e;
        }
        at = e;
    }
    data.len()
}

/// Header fields: (lower-case name, unfolded value, byte range).
fn fields(h: &[u8]) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out: Vec<(String, String, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    while at < h.len() {
        let e = line_end(h, at);
        let line = &h[at..e];
        if (line.first() == Some(&b' ') || line.first() == Some(&b'\t'))
            && let Some(last) = out.last_mut()
        {
            last.1.push(' ');
            last.1.push_str(String::from_utf8_lossy(line).trim());
            last.2.end = e;
        } else if let Some(c) = memchr::memchr(b':', line) {
            let name = String::from_utf8_lossy(&line[..c])
                .trim()
                .to_ascii_lowercase();
            let value = String::from_utf8_lossy(&line[c + 1..]).trim().to_string();
            out.push((name, value, at..e));
        }
        at = e;
    }
    out
}

fn content_length(data: &[u8], start: usize) -> Option<(usize, usize)> {
    let he = header_end(data, start);
    let f = fields(&data[start..he]);
    let n: usize = f
        .iter()
        .find(|(n, _, _)| n == "content-length")?
        .1
        .parse()
        .ok()?;
    Some((he, n))
}

/// Whether a Content-Length body ending at `end` is followed by the end
/// of the file or an (empty line and) separator.
fn length_fits(data: &[u8], end: usize) -> bool {
    if end > data.len() {
        return false;
    }
    let rest = &data[end..];
    let rest = rest
        .strip_prefix(b"\r\n")
        .or_else(|| rest.strip_prefix(b"\n"))
        .unwrap_or(rest);
    rest.is_empty() || is_separator(&rest[..line_end(rest, 0)]).is_some()
}

/// Splits `data` into messages.
fn split(
    data: &[u8],
    variant: Variant,
    problems: &mut Vec<Problem>,
    file: &str,
) -> (Vec<Raw>, Variant) {
    let seps = separators(data);
    let mut raws = Vec::new();
    // Content-Length framing first, when asked or possible.
    if matches!(variant, Variant::Auto | Variant::Mboxcl2) && !seps.is_empty() {
        let mut at = 0;
        let mut ok = true;
        while at < data.len() {
            let Some(from_line) = is_separator(&data[at..line_end(data, at)]) else {
                ok = false;
                break;
            };
            let start = line_end(data, at);
            let Some((he, n)) = content_length(data, start) else {
                ok = false;
                break;
            };
            if !length_fits(data, he + n) {
                if he + n > data.len() && raws.len() + 1 >= seps.len() {
                    problems.push(Problem::new(
                        format!("{file}:{at}"),
                        format!(
                            "truncated: Content-Length {n} but the file ends {} bytes after the header; the part there is migrated",
                            data.len() - he
                        ),
                    ));
                    raws.push(Raw {
                        from: at,
                        start,
                        end: data.len(),
                        from_line,
                        by_length: true,
                    });
                    at = data.len();
                    continue;
                }
                ok = false;
                break;
            }
            raws.push(Raw {
                from: at,
                start,
                end: he + n,
                from_line,
                by_length: true,
            });
            let mut next = he + n;
            if data[next..].starts_with(b"\r\n") {
                next += 2;
            } else if data[next..].starts_with(b"\n") {
                next += 1;
            }
            at = next;
        }
        if ok {
            return (raws, Variant::Mboxcl2);
        }
        if variant == Variant::Mboxcl2 {
            problems.push(Problem::new(
                file,
                "Content-Length missing or wrong: messages split at From lines instead",
            ));
        }
        raws.clear();
    }
    let variant = match variant {
        Variant::Auto | Variant::Mboxcl2 => Variant::Mboxrd,
        v => v,
    };
    if seps.first().is_none_or(|(p, _)| *p != 0) {
        let upto = seps.first().map_or(data.len(), |s| s.0);
        if data[..upto].iter().any(|b| !b.is_ascii_whitespace()) {
            problems.push(Problem::new(
                format!("{file}:0"),
                format!("{upto} bytes before the first From line are not a message: left out"),
            ));
        }
    }
    for (k, (pos, line)) in seps.iter().enumerate() {
        let start = line_end(data, *pos);
        let mut end = seps.get(k + 1).map_or(data.len(), |s| s.0);
        // The empty line before the next separator (or at the end) is
        // the separator's.
        if data[start..end].ends_with(b"\r\n\r\n") {
            end -= 2;
        } else if data[start..end].ends_with(b"\n\n") {
            end -= 1;
        }
        raws.push(Raw {
            from: *pos,
            start,
            end,
            from_line: line.clone(),
            by_length: false,
        });
    }
    (raws, variant)
}

/// The message's bytes without the hidden headers, unquoted per variant.
fn clean(
    data: &[u8],
    r: &Raw,
    variant: Variant,
    f: &[(String, String, std::ops::Range<usize>)],
) -> Vec<u8> {
    let he = header_end(data, r.start).min(r.end);
    let mut out = Vec::with_capacity(r.end - r.start);
    let mut at = 0;
    let head = &data[r.start..he];
    for (name, _, range) in f {
        if HIDDEN.contains(&name.as_str()) {
            out.extend_from_slice(&head[at..range.start]);
            at = range.end;
        }
    }
    out.extend_from_slice(&head[at..]);
    let body = &data[he..r.end];
    if r.by_length || variant == Variant::Mboxcl2 {
        out.extend_from_slice(body);
        return out;
    }
    let mut at = 0;
    while at < body.len() {
        let e = line_end(body, at);
        let line = &body[at..e];
        let quoted = match variant {
            Variant::Mboxo => line.starts_with(b">From "),
            _ => {
                let n = line.iter().take_while(|b| **b == b'>').count();
                n > 0 && line[n..].starts_with(b"From ")
            }
        };
        out.extend_from_slice(if quoted { &line[1..] } else { line });
        at = e;
    }
    out
}

fn value<'a>(f: &'a [(String, String, std::ops::Range<usize>)], name: &str) -> Option<&'a str> {
    f.iter().find(|(n, _, _)| n == name).map(|x| x.1.as_str())
}

/// What [`read_each`] hands over, in order: the folder's start once,
/// then its messages.
#[derive(Debug)]
pub enum Event {
    /// The folder: its UIDVALIDITY (when valid) and how many messages it
    /// has at most.
    Start {
        /// X-IMAPbase's UIDVALIDITY.
        uidvalidity: Option<u32>,
        /// Messages found (the pseudo-message included).
        count: usize,
    },
    /// One message, its bytes made only now.
    Message(SourceMessage),
}

/// Reads an mbox file's bytes (`file` names it in problems) into an
/// [`Mbox`].
pub fn read(data: &[u8], variant: Variant, file: &str) -> Mbox {
    let mut out = Mbox::default();
    let mut problems = Vec::new();
    out.variant = Some(read_each(data, variant, file, &mut problems, |e| match e {
        Event::Start { uidvalidity, .. } => out.uidvalidity = uidvalidity,
        Event::Message(m) => out.messages.push(m),
    }));
    out.problems = problems;
    out
}

/// Reads an mbox file's bytes, handing each message to `each` as soon as
/// it is made (so a run holds one batch of messages, not the file's
/// copy); gives the variant read.
pub fn read_each(
    data: &[u8],
    variant: Variant,
    file: &str,
    problems: &mut Vec<Problem>,
    mut each: impl FnMut(Event),
) -> Variant {
    let (raws, variant) = split(data, variant, problems, file);
    if !data.is_empty() && !data.ends_with(b"\n") {
        problems.push(Problem::new(
            file,
            "the file does not end with a line end (truncated?): its last message is migrated as it is",
        ));
    }
    let mut uidvalidity = None;
    let mut started = false;
    let mut last_uid = 0u32;
    let mut uidnext = None;
    for (k, r) in raws.iter().enumerate() {
        let he = header_end(data, r.start).min(r.end);
        let f = fields(&data[r.start..he]);
        let origin = format!("{file}:{}", r.from);
        if k == 0 {
            let base = value(&f, "x-imap").or_else(|| value(&f, "x-imapbase"));
            if let Some(b) = base {
                let mut w = b.split_whitespace();
                let uv: Option<u32> = w.next().and_then(|x| x.parse().ok());
                uidnext = w.next().and_then(|x| x.parse::<u32>().ok());
                match uv {
                    Some(v) if v != 0 => uidvalidity = Some(v),
                    _ => problems.push(Problem::new(
                        origin.clone(),
                        format!("X-IMAPbase {b:?}: no valid UIDVALIDITY, a new one is given"),
                    )),
                }
            }
            each(Event::Start {
                uidvalidity,
                count: raws.len(),
            });
            started = true;
            if value(&f, "subject").is_some_and(|s| s.contains(PSEUDO)) {
                continue; // UW-IMAP's folder data, not a message
            }
        }
        let mut m = SourceMessage::new(Body::Bytes(clean(data, r, variant, &f)), origin.clone());
        m.internal_date = r
            .from_line
            .split_once(' ')
            .and_then(|x| super::date::from_line_date(x.1));
        let mut flags = SystemFlags::default();
        if value(&f, "status").is_some_and(|s| s.contains('R')) {
            flags = flags | SystemFlags::SEEN;
        }
        for c in value(&f, "x-status").unwrap_or("").chars() {
            flags = flags
                | match c {
                    'A' => SystemFlags::ANSWERED,
                    'F' => SystemFlags::FLAGGED,
                    'T' => SystemFlags::DRAFT,
                    'D' => SystemFlags::DELETED,
                    _ => SystemFlags::default(),
                };
        }
        m.flags = flags;
        m.keywords = value(&f, "x-keywords")
            .unwrap_or("")
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(u) = value(&f, "x-uid") {
            match u.parse::<u32>() {
                Ok(n) if n > last_uid && uidvalidity.is_some() && uidnext.is_none_or(|x| n < x) => {
                    m.uid = Some(n);
                    last_uid = n;
                }
                _ => problems.push(Problem::new(
                    origin.clone(),
                    format!("X-UID {u:?} is not valid here (0, not ascending, or not below UIDNEXT): a new UID is given"),
                )),
            }
        }
        m.uidl = value(&f, "x-uidl").map(str::to_string);
        each(Event::Message(m));
    }
    if !started {
        each(Event::Start {
            uidvalidity: None,
            count: 0,
        });
    }
    variant
}

#[cfg(test)]
mod tests;
