//! Codecs for the popstore on-disk format. `SPEC.md` beside this crate is
//! normative; this crate mirrors it. No I/O, no host byte order, no unsafe.
#![forbid(unsafe_code)]

pub mod path;
pub mod record;
