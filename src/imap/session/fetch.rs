//! FETCH and UID FETCH (RFC 9051 6.4.5, RFC 3516 BINARY, RFC 7162
//! CHANGEDSINCE/VANISHED): FLAGS, UID, INTERNALDATE, RFC822.SIZE and
//! MODSEQ from the folder view; ENVELOPE, BODY, BODYSTRUCTURE from the
//! message file's precomputed answers; sections as slices of the mapped
//! file. A section fetched without PEEK sets `\Seen` first (one STORE for
//! the whole command), and those messages' FLAGS go out with them.

use std::collections::HashSet;
use std::sync::Arc;

use popstore_formats::folder::SystemFlags;

use super::sections::{self, Data};
use super::updates::flags_of;
use super::{Response, Session, Slice};
use crate::imap::parse::{FetchAttr, FetchItems, FetchModifiers};
use crate::imap::types::{DateTime, SeqSet};
use crate::imap::write::{self, Code, Status, fetch::Fetch};
use crate::mime::Precomputed;
use crate::store::folders::FlagOp;
use crate::store::layout::MessageId;
use crate::store::{FolderMessage, MessageView};

/// Below this, section bytes are copied into the response rather than
/// sent as a slice of the file.
const INLINE: usize = 4096;

fn sets_seen(a: &FetchAttr) -> bool {
    matches!(
        a,
        FetchAttr::BodySection { peek: false, .. }
            | FetchAttr::Binary { peek: false, .. }
            | FetchAttr::Rfc822
            | FetchAttr::Rfc822Text
    )
}

fn needs_file(a: &FetchAttr) -> bool {
    !matches!(
        a,
        FetchAttr::Flags
            | FetchAttr::InternalDate
            | FetchAttr::Rfc822Size
            | FetchAttr::Uid
            | FetchAttr::ModSeq
    )
}

/// The file of the message the last FETCH ended on, kept for the next
/// FETCH: clients fetch a message's structure and then its body in two
/// commands, and the second then needs no open, map or parse.
#[derive(Debug)]
pub(super) struct Recent {
    id: MessageId,
    opened: Opened,
}

/// One message's file, opened when an item needs it.
#[derive(Debug)]
struct Opened {
    view: Arc<MessageView>,
    pre: Option<Precomputed>,
}

impl Opened {
    fn pre(&mut self) -> &Precomputed {
        let view = &self.view;
        self.pre.get_or_insert_with(|| sections::precomputed(view))
    }
}

impl Session {
    pub(super) fn fetch(
        &mut self,
        tag: &str,
        uid: bool,
        set: &SeqSet,
        items: FetchItems,
        modifiers: &FetchModifiers,
    ) -> Response {
        let attrs = match items {
            FetchItems::Macro(m) => m.expand(),
            FetchItems::Attrs(a) => a,
        };
        if modifiers.vanished && !(uid && modifiers.changed_since.is_some() && self.enabled.qresync)
        {
            return self.bad(tag, "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC");
        }
        let want_modseq = attrs.contains(&FetchAttr::ModSeq) || modifiers.changed_since.is_some();
        if want_modseq {
            self.enabled.condstore = true;
        }
        let Some(sel) = self.selected.as_mut() else {
            return self.bad(tag, "no mailbox selected");
        };
        let ix = match sel.indexes(set, uid) {
            Ok(ix) => ix,
            Err(why) => return self.bad(tag, why),
        };
        let mut r = Response::new();
        if modifiers.vanished
            && let (Some(cs), SeqSet::Ranges(_)) = (modifiers.changed_since, set)
        {
            let largest = sel.folder.uidnext().saturating_sub(1);
            if let Some(v) = sel.folder.vanished_since(cs) {
                let v: Vec<u32> = v
                    .into_iter()
                    .filter(|u| set.contains(*u, largest))
                    .collect();
                if !v.is_empty() {
                    write::data::vanished(&mut r.text, true, &v);
                }
            }
        }
        // \Seen first, for every message a section is fetched of.
        let mut seen_now: HashSet<u32> = HashSet::new();
        if !sel.read_only && sel.may.bits.contains(SystemFlags::SEEN) && attrs.iter().any(sets_seen)
        {
            let unseen: Vec<u32> = ix
                .iter()
                .filter_map(|&i| sel.message(i))
                .filter(|m| !m.flags.contains(SystemFlags::SEEN))
                .map(|m| m.uid)
                .collect();
            if !unseen.is_empty() {
                match self.store.store_flags(
                    &mut sel.folder,
                    &unseen,
                    FlagOp::Add,
                    SystemFlags::SEEN,
                    &[],
                    None,
                ) {
                    Ok(o) => seen_now.extend(o.changed),
                    Err(e) => return self.store_error(tag, &e),
                }
            }
        }
        let file = attrs.iter().any(needs_file);
        for &i in &ix {
            let Some(m) = sel.message(i) else { continue };
            if modifiers.changed_since.is_some_and(|cs| m.modseq <= cs) {
                continue;
            }
            let mut opened = None;
            if file {
                match self.recent.take() {
                    Some(r) if r.id == m.message => opened = Some(r.opened),
                    _ => match self.store.open_message(m.message) {
                        Ok(v) => {
                            opened = Some(Opened {
                                view: Arc::new(v),
                                pre: None,
                            })
                        }
                        Err(e) => {
                            tracing::error!("imap: FETCH: cannot read a message: {e}");
                            continue;
                        }
                    },
                }
            }
            let told_flags = seen_now.contains(&m.uid) || attrs.contains(&FetchAttr::Flags);
            let extra_flags = seen_now.contains(&m.uid) && !attrs.contains(&FetchAttr::Flags);
            if let Err(code) = write_message(
                &mut r,
                i as u32 + 1,
                &m,
                &attrs,
                uid,
                want_modseq,
                extra_flags,
                opened.as_mut(),
            ) {
                r.tagged(tag, Status::No, Some(code), "cannot decode the part");
                return r;
            }
            if told_flags {
                sel.told(i, m.modseq);
            }
            if let Some(opened) = opened {
                self.recent = Some(Recent {
                    id: m.message,
                    opened,
                });
            }
        }
        // No EXPUNGE during FETCH; UID FETCH may have them.
        self.sync(&mut r, uid);
        r.tagged(tag, Status::Ok, None, "FETCH completed");
        r
    }
}

/// Section data into the response: inline or as a slice of the file.
fn put(r: &mut Response, at: usize, opened: &Opened, d: &Data) {
    if let Data::Range(range) = d {
        r.slices.push(Slice {
            at,
            message: Arc::clone(&opened.view),
            range: range.clone(),
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn write_message(
    r: &mut Response,
    seq: u32,
    m: &FolderMessage,
    attrs: &[FetchAttr],
    uid: bool,
    modseq: bool,
    extra_flags: bool,
    mut opened: Option<&mut Opened>,
) -> Result<(), Code> {
    let mut slices: Vec<(usize, Data)> = Vec::new();
    {
        let mut w = Fetch::begin(&mut r.text, seq);
        if uid && !attrs.contains(&FetchAttr::Uid) {
            w.uid(m.uid);
        }
        for a in attrs {
            match a {
                FetchAttr::Uid => {
                    w.uid(m.uid);
                }
                FetchAttr::Flags => {
                    w.flags(&flags_of(m));
                }
                FetchAttr::InternalDate => {
                    w.internal_date(DateTime {
                        unix: m.internal_date,
                        offset_minutes: 0,
                    });
                }
                FetchAttr::Rfc822Size => {
                    w.rfc822_size(m.size);
                }
                FetchAttr::ModSeq => {}
                _ => {
                    let Some(o) = opened.as_deref_mut() else {
                        continue;
                    };
                    let body_len = o.view.body().len();
                    let view = Arc::clone(&o.view);
                    let body = view.body();
                    let pre = o.pre();
                    match a {
                        FetchAttr::Envelope => {
                            w.raw("ENVELOPE", &pre.envelope);
                        }
                        FetchAttr::Body => {
                            w.raw("BODY", &pre.body);
                        }
                        FetchAttr::BodyStructure => {
                            w.raw("BODYSTRUCTURE", &pre.bodystructure);
                        }
                        FetchAttr::Rfc822 | FetchAttr::Rfc822Header | FetchAttr::Rfc822Text => {
                            let (name, sec) = match a {
                                FetchAttr::Rfc822 => ("RFC822", mime_full()),
                                FetchAttr::Rfc822Header => ("RFC822.HEADER", mime_text(true)),
                                _ => ("RFC822.TEXT", mime_text(false)),
                            };
                            let d = sections::body_section(pre, body, &sec);
                            let len = data_len(&d);
                            if let Data::Owned(v) = &d {
                                w.rfc822(name, v);
                            } else if len <= INLINE {
                                w.rfc822(name, slice(body, &d));
                            } else {
                                w.rfc822_literal_head(name, len as u64);
                                slices.push((w.position(), d));
                            }
                        }
                        FetchAttr::BodySection {
                            section, partial, ..
                        } => {
                            let d = sections::body_section(pre, body, section).partial(*partial);
                            let origin = partial.map(|p| p.origin);
                            match &d {
                                Data::Nil => {
                                    w.body_section(section, origin, None);
                                }
                                Data::Owned(v) => {
                                    w.body_section(section, origin, Some(v));
                                }
                                Data::Range(rg) if rg.len() <= INLINE => {
                                    w.body_section(section, origin, Some(&body[rg.clone()]));
                                }
                                Data::Range(rg) => {
                                    w.body_section_literal_head(section, origin, rg.len() as u64);
                                    slices.push((w.position(), d));
                                }
                            }
                        }
                        FetchAttr::Binary { part, partial, .. } => {
                            let p: Vec<u32> = part.iter().map(|n| n.get()).collect();
                            let Some(d) = sections::binary_section(pre, body, &p) else {
                                return Err(Code::UnknownCte);
                            };
                            let d = d.partial(*partial);
                            let origin = partial.map(|p| p.origin);
                            match &d {
                                Data::Range(rg) if rg.len() > INLINE => {
                                    let nul = body[rg.clone()].contains(&0);
                                    w.binary_literal_head(part, origin, rg.len() as u64, nul);
                                    slices.push((w.position(), d));
                                }
                                _ => {
                                    let bytes: &[u8] = match &d {
                                        Data::Owned(v) => v,
                                        Data::Range(rg) => &body[rg.clone()],
                                        Data::Nil => &[],
                                    };
                                    w.binary(part, origin, bytes);
                                }
                            }
                        }
                        FetchAttr::BinarySize(part) => {
                            let p: Vec<u32> = part.iter().map(|n| n.get()).collect();
                            let Some(n) = sections::binary_size(pre, body, &p) else {
                                return Err(Code::UnknownCte);
                            };
                            w.binary_size(part, n);
                        }
                        _ => {}
                    }
                    let _ = body_len;
                }
            }
        }
        if extra_flags {
            w.flags(&flags_of(m));
        }
        if modseq {
            w.modseq(m.modseq);
        }
        w.end();
    }
    if let Some(o) = opened {
        for (at, d) in &slices {
            put(r, *at, o, d);
        }
    }
    Ok(())
}

fn data_len(d: &Data) -> usize {
    match d {
        Data::Range(r) => r.len(),
        Data::Owned(v) => v.len(),
        Data::Nil => 0,
    }
}

fn slice<'a>(body: &'a [u8], d: &Data) -> &'a [u8] {
    match d {
        Data::Range(r) => &body[r.clone()],
        _ => &[],
    }
}

fn mime_full() -> crate::imap::types::Section {
    crate::imap::types::Section::default()
}

fn mime_text(header: bool) -> crate::imap::types::Section {
    use crate::imap::types::SectionText;
    crate::imap::types::Section {
        part: Vec::new(),
        text: Some(if header {
            SectionText::Header
        } else {
            SectionText::Text
        }),
    }
}
