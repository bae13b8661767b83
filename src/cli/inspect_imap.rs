//! `popstore inspect --imap FILE` and `popstore inspect --imap --raw MESSAGE`:
//! the two lines `ENVELOPE (...)` and `BODYSTRUCTURE (...)` exactly as a
//! FETCH response carries them (literals included), for a stored message
//! file (from its precomputed IMAP section) or for a raw RFC 5322 message
//! (what delivery would precompute).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use popstore_formats::AnyFile;

use crate::mime::{self, Precomputed};

/// Prints the ENVELOPE and BODYSTRUCTURE lines for `file`.
pub fn run(file: &Path, raw: bool) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("popstore inspect: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let pre = if raw {
        mime::precompute(&bytes).1
    } else {
        match stored(&bytes) {
            Ok(p) => p,
            Err(msg) => {
                eprintln!("popstore inspect: {}: {msg}", file.display());
                return ExitCode::from(1);
            }
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(b"ENVELOPE ");
    out.extend_from_slice(&pre.envelope);
    out.extend_from_slice(b"\nBODYSTRUCTURE ");
    out.extend_from_slice(&pre.bodystructure);
    out.push(b'\n');
    match std::io::stdout().write_all(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("popstore inspect: {e}");
            ExitCode::from(1)
        }
    }
}

/// The answers of a stored message file: its IMAP section, or (for a file
/// written without one, or with one that breaks the writer's rules of
/// SPEC.md 13.4) computed from its body.
fn stored(bytes: &[u8]) -> Result<Precomputed, String> {
    let file = match AnyFile::decode(bytes) {
        Ok(AnyFile::Message(m)) => m,
        Ok(other) => return Err(format!("a {:?} file, not a message file", other.kind())),
        Err(e) => return Err(e.to_string()),
    };
    let imap = &file.header.imap;
    if imap.envelope.is_none() && imap.bodystructure.is_none() {
        eprintln!("popstore inspect: no precomputed IMAP section; computed from the body");
        return Ok(mime::analyze(&file.body.0));
    }
    let body_len = file.body.0.len() as u64;
    let section = consistent(imap, body_len).and_then(|()| {
        mime::stored::from_imap_data(imap, file.info.dot_lines.clone()).map_err(|e| e.to_string())
    });
    match section {
        Ok(pre) => Ok(pre),
        Err(why) => {
            eprintln!(
                "popstore inspect: the precomputed IMAP section is not usable ({why}); \
                 computed from the body"
            );
            Ok(mime::analyze(&file.body.0))
        }
    }
}

/// The writer's rules of SPEC.md 13.4 a server relies on before it serves
/// from the precomputed section: RFC822.SIZE is the body length, and every
/// part's ranges lie inside the body.
fn consistent(imap: &popstore_formats::imap::ImapData, body_len: u64) -> Result<(), String> {
    if imap.rfc822_size != Some(body_len) {
        return Err(format!(
            "RFC822.SIZE {:?} is not the body length {body_len}",
            imap.rfc822_size
        ));
    }
    for p in &imap.parts {
        for (o, l) in [
            (p.header_offset, p.header_length),
            (p.body_offset, p.body_length),
        ] {
            if o.checked_add(l).is_none_or(|end| end > body_len) {
                return Err(format!("part {:?} reaches outside the body", p.path));
            }
        }
    }
    Ok(())
}
