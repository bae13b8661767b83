//! Property test: random commands, written by a small test-only command
//! writer, parse back equal (and equal again when fed byte by byte).

use std::num::NonZeroU32;

use proptest::prelude::*;

use super::tests::run;
use super::*;
use crate::auth::Secret;
use crate::imap::types::{
    Date, DateTime, Flag, MailboxArg, Section, SectionText, SeqNum, SeqRange, SeqSet,
};
use crate::imap::write::{data::date_time, flag_list};

// ---- the test-only command writer ----

fn w_astring(out: &mut Vec<u8>, s: &[u8]) {
    if !s.is_empty() && s.iter().all(|&b| cursor::is_astring_char(b)) {
        out.extend_from_slice(s);
    } else if s.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        crate::mime::imap_string::append_quoted(out, s);
    } else {
        // Alternate synchronizing and non-synchronizing literals.
        let plus = if s.len().is_multiple_of(2) { "+" } else { "" };
        out.extend_from_slice(format!("{{{}{plus}}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s);
    }
}

fn w_set(out: &mut Vec<u8>, set: &SeqSet) {
    let num = |out: &mut Vec<u8>, n: &SeqNum| match n {
        SeqNum::Value(v) => out.extend_from_slice(v.to_string().as_bytes()),
        SeqNum::Largest => out.push(b'*'),
    };
    match set {
        SeqSet::Saved => out.push(b'$'),
        SeqSet::Ranges(r) => {
            for (i, r) in r.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                num(out, &r.from);
                if r.to != r.from {
                    out.push(b':');
                    num(out, &r.to);
                }
            }
        }
    }
}

fn w_list<T>(out: &mut Vec<u8>, items: &[T], mut f: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'(');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        f(out, x);
    }
    out.push(b')');
}

fn w_date(out: &mut Vec<u8>, d: &Date) {
    out.extend_from_slice(
        format!(
            "{}-{}-{}",
            d.day,
            crate::imap::types::MONTHS[d.month as usize - 1],
            d.year
        )
        .as_bytes(),
    );
}

fn w_section(out: &mut Vec<u8>, s: &Section) {
    crate::imap::write::fetch::section_spec(out, s);
}

fn w_attr(out: &mut Vec<u8>, a: &FetchAttr) {
    let part = |out: &mut Vec<u8>, p: &[NonZeroU32]| {
        w_section(
            out,
            &Section {
                part: p.to_vec(),
                text: None,
            },
        );
    };
    let partial = |out: &mut Vec<u8>, p: &Option<Partial>| {
        if let Some(p) = p {
            out.extend_from_slice(format!("<{}.{}>", p.origin, p.count).as_bytes());
        }
    };
    match a {
        FetchAttr::Envelope => out.extend_from_slice(b"ENVELOPE"),
        FetchAttr::Flags => out.extend_from_slice(b"FLAGS"),
        FetchAttr::InternalDate => out.extend_from_slice(b"INTERNALDATE"),
        FetchAttr::Rfc822Size => out.extend_from_slice(b"RFC822.SIZE"),
        FetchAttr::Rfc822 => out.extend_from_slice(b"RFC822"),
        FetchAttr::Rfc822Header => out.extend_from_slice(b"RFC822.HEADER"),
        FetchAttr::Rfc822Text => out.extend_from_slice(b"RFC822.TEXT"),
        FetchAttr::Body => out.extend_from_slice(b"BODY"),
        FetchAttr::BodyStructure => out.extend_from_slice(b"BODYSTRUCTURE"),
        FetchAttr::Uid => out.extend_from_slice(b"UID"),
        FetchAttr::ModSeq => out.extend_from_slice(b"MODSEQ"),
        FetchAttr::BodySection {
            peek,
            section,
            partial: p,
        } => {
            out.extend_from_slice(if *peek { b"BODY.PEEK[" } else { b"BODY[" });
            w_section(out, section);
            out.push(b']');
            partial(out, p);
        }
        FetchAttr::Binary {
            peek,
            part: pt,
            partial: p,
        } => {
            out.extend_from_slice(if *peek { b"BINARY.PEEK[" } else { b"BINARY[" });
            part(out, pt);
            out.push(b']');
            partial(out, p);
        }
        FetchAttr::BinarySize(pt) => {
            out.extend_from_slice(b"BINARY.SIZE[");
            part(out, pt);
            out.push(b']');
        }
    }
}

fn w_key(out: &mut Vec<u8>, k: &SearchKey) {
    use SearchKey as K;
    let word = |out: &mut Vec<u8>, w: &str| out.extend_from_slice(w.as_bytes());
    let with_str = |out: &mut Vec<u8>, w: &str, s: &[u8]| {
        out.extend_from_slice(w.as_bytes());
        out.push(b' ');
        w_astring(out, s);
    };
    let with_date = |out: &mut Vec<u8>, w: &str, d: &Date| {
        out.extend_from_slice(w.as_bytes());
        out.push(b' ');
        w_date(out, d);
    };
    match k {
        K::And(keys) => w_list(out, keys, w_key),
        K::All => word(out, "ALL"),
        K::Answered => word(out, "ANSWERED"),
        K::Deleted => word(out, "DELETED"),
        K::Draft => word(out, "DRAFT"),
        K::Flagged => word(out, "FLAGGED"),
        K::New => word(out, "NEW"),
        K::Old => word(out, "OLD"),
        K::Recent => word(out, "RECENT"),
        K::Seen => word(out, "SEEN"),
        K::Unanswered => word(out, "UNANSWERED"),
        K::Undeleted => word(out, "UNDELETED"),
        K::Undraft => word(out, "UNDRAFT"),
        K::Unflagged => word(out, "UNFLAGGED"),
        K::Unseen => word(out, "UNSEEN"),
        K::Bcc(s) => with_str(out, "BCC", s),
        K::Body(s) => with_str(out, "BODY", s),
        K::Cc(s) => with_str(out, "CC", s),
        K::From(s) => with_str(out, "FROM", s),
        K::Subject(s) => with_str(out, "SUBJECT", s),
        K::Text(s) => with_str(out, "TEXT", s),
        K::To(s) => with_str(out, "TO", s),
        K::Header(n, s) => {
            with_str(out, "HEADER", n.as_bytes());
            out.push(b' ');
            w_astring(out, s);
        }
        K::Keyword(s) => with_str(out, "KEYWORD", s.as_bytes()),
        K::Unkeyword(s) => with_str(out, "UNKEYWORD", s.as_bytes()),
        K::Before(d) => with_date(out, "BEFORE", d),
        K::On(d) => with_date(out, "ON", d),
        K::Since(d) => with_date(out, "SINCE", d),
        K::SentBefore(d) => with_date(out, "SENTBEFORE", d),
        K::SentOn(d) => with_date(out, "SENTON", d),
        K::SentSince(d) => with_date(out, "SENTSINCE", d),
        K::Larger(n) => word(out, &format!("LARGER {n}")),
        K::Smaller(n) => word(out, &format!("SMALLER {n}")),
        K::Older(n) => word(out, &format!("OLDER {n}")),
        K::Younger(n) => word(out, &format!("YOUNGER {n}")),
        K::Uid(s) => {
            word(out, "UID ");
            w_set(out, s);
        }
        K::Seq(s) => w_set(out, s),
        K::Not(k) => {
            word(out, "NOT ");
            w_key(out, k);
        }
        K::Or(a, b) => {
            word(out, "OR ");
            w_key(out, a);
            out.push(b' ');
            w_key(out, b);
        }
        K::ModSeq { entry, modseq } => {
            word(out, "MODSEQ ");
            if let Some((name, kind)) = entry {
                crate::mime::imap_string::append_quoted(out, name);
                out.push(b' ');
                word(out, kind);
                out.push(b' ');
            }
            word(out, &modseq.to_string());
        }
    }
}

fn w_program(out: &mut Vec<u8>, k: &SearchKey) {
    let SearchKey::And(keys) = k else {
        unreachable!()
    };
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        w_key(out, k);
    }
}

fn uid(out: &mut Vec<u8>, uid: bool) {
    if uid {
        out.extend_from_slice(b"UID ");
    }
}

/// Writes a command as a client would.
fn encode(cmd: &Command) -> Vec<u8> {
    use CommandBody as B;
    let mut o = format!("{} ", cmd.tag).into_bytes();
    let out = &mut o;
    let sp = |out: &mut Vec<u8>| out.push(b' ');
    match &cmd.body {
        B::Noop => out.extend_from_slice(b"NOOP"),
        B::Login { user, password } => {
            out.extend_from_slice(b"LOGIN ");
            w_astring(out, user.as_bytes());
            sp(out);
            w_astring(out, password.expose());
        }
        B::Enable(caps) => {
            out.extend_from_slice(b"ENABLE");
            for c in caps {
                out.extend_from_slice(format!(" {c}").as_bytes());
            }
        }
        B::Select {
            mailbox,
            read_only,
            params,
        } => {
            out.extend_from_slice(if *read_only { b"EXAMINE " } else { b"SELECT " });
            w_astring(out, &mailbox.raw);
            let mut ps: Vec<Vec<u8>> = Vec::new();
            if params.condstore {
                ps.push(b"CONDSTORE".to_vec());
            }
            if let Some(q) = &params.qresync {
                let mut p = format!("QRESYNC ({} {}", q.uidvalidity, q.modseq).into_bytes();
                if let Some(k) = &q.known_uids {
                    p.push(b' ');
                    w_set(&mut p, k);
                }
                if let Some((a, b)) = &q.seq_match {
                    p.extend_from_slice(b" (");
                    w_set(&mut p, a);
                    p.push(b' ');
                    w_set(&mut p, b);
                    p.push(b')');
                }
                p.push(b')');
                ps.push(p);
            }
            if !ps.is_empty() {
                sp(out);
                w_list(out, &ps, |o, p| o.extend_from_slice(p));
            }
        }
        B::Status { mailbox, items } => {
            out.extend_from_slice(b"STATUS ");
            w_astring(out, &mailbox.raw);
            sp(out);
            w_list(out, items, |o, i| o.extend_from_slice(i.name().as_bytes()));
        }
        B::Append { mailbox, messages } => {
            out.extend_from_slice(b"APPEND ");
            w_astring(out, &mailbox.raw);
            for m in messages {
                sp(out);
                if !m.flags.is_empty() {
                    flag_list(out, &m.flags);
                    sp(out);
                }
                if let Some(d) = m.date {
                    date_time(out, d);
                    sp(out);
                }
                if m.utf8 {
                    out.extend_from_slice(b"UTF8 (");
                }
                if m.binary {
                    out.push(b'~');
                }
                out.extend_from_slice(format!("{{{}}}\r\n", m.data.len()).as_bytes());
                out.extend_from_slice(&m.data);
                if m.utf8 {
                    out.push(b')');
                }
            }
        }
        B::Search {
            uid: u,
            charset,
            returns,
            key,
        } => {
            uid(out, *u);
            out.extend_from_slice(b"SEARCH ");
            if let Some(r) = returns {
                out.extend_from_slice(b"RETURN ");
                w_list(out, r, |o, r| {
                    o.extend_from_slice(format!("{r:?}").to_uppercase().as_bytes())
                });
                sp(out);
            }
            if let Some(c) = charset {
                out.extend_from_slice(format!("CHARSET {c} ").as_bytes());
            }
            w_program(out, key);
        }
        B::Fetch {
            uid: u,
            set,
            items,
            modifiers,
        } => {
            uid(out, *u);
            out.extend_from_slice(b"FETCH ");
            w_set(out, set);
            sp(out);
            match items {
                FetchItems::Macro(m) => {
                    out.extend_from_slice(format!("{m:?}").to_uppercase().as_bytes())
                }
                FetchItems::Attrs(a) if a.len() == 1 => w_attr(out, &a[0]),
                FetchItems::Attrs(a) => w_list(out, a, w_attr),
            }
            if let Some(c) = modifiers.changed_since {
                out.extend_from_slice(format!(" (CHANGEDSINCE {c}").as_bytes());
                if modifiers.vanished {
                    out.extend_from_slice(b" VANISHED");
                }
                out.push(b')');
            }
        }
        B::Store {
            uid: u,
            set,
            unchanged_since,
            mode,
            silent,
            flags,
        } => {
            uid(out, *u);
            out.extend_from_slice(b"STORE ");
            w_set(out, set);
            if let Some(m) = unchanged_since {
                out.extend_from_slice(format!(" (UNCHANGEDSINCE {m})").as_bytes());
            }
            sp(out);
            out.extend_from_slice(match mode {
                StoreMode::Add => b"+",
                StoreMode::Remove => b"-",
                StoreMode::Replace => &b""[..],
            });
            out.extend_from_slice(if *silent { b"FLAGS.SILENT " } else { b"FLAGS " });
            flag_list(out, flags);
        }
        B::Copy {
            uid: u,
            set,
            mailbox,
        }
        | B::Move {
            uid: u,
            set,
            mailbox,
        } => {
            uid(out, *u);
            out.extend_from_slice(if matches!(cmd.body, B::Copy { .. }) {
                b"COPY "
            } else {
                b"MOVE "
            });
            w_set(out, set);
            sp(out);
            w_astring(out, &mailbox.raw);
        }
        B::List {
            selection,
            reference,
            patterns,
            returns,
        } => {
            out.extend_from_slice(b"LIST ");
            if !selection.is_empty() {
                w_list(out, selection, |o, s| {
                    o.extend_from_slice(
                        match s {
                            ListSelect::Subscribed => "SUBSCRIBED",
                            ListSelect::Remote => "REMOTE",
                            ListSelect::RecursiveMatch => "RECURSIVEMATCH",
                            ListSelect::SpecialUse => "SPECIAL-USE",
                        }
                        .as_bytes(),
                    )
                });
                sp(out);
            }
            w_astring(out, &reference.raw);
            sp(out);
            w_list(out, patterns, |o, p| w_astring(o, &p.raw));
            if !returns.is_empty() {
                out.extend_from_slice(b" RETURN ");
                w_list(out, returns, |o, r| match r {
                    ListReturn::Subscribed => o.extend_from_slice(b"SUBSCRIBED"),
                    ListReturn::Children => o.extend_from_slice(b"CHILDREN"),
                    ListReturn::SpecialUse => o.extend_from_slice(b"SPECIAL-USE"),
                    ListReturn::Status(items) => {
                        o.extend_from_slice(b"STATUS ");
                        w_list(o, items, |o, i| o.extend_from_slice(i.name().as_bytes()));
                    }
                });
            }
        }
        B::SetAcl {
            mailbox,
            identifier,
            rights,
        } => {
            out.extend_from_slice(b"SETACL ");
            w_astring(out, &mailbox.raw);
            sp(out);
            w_astring(out, identifier.as_bytes());
            sp(out);
            w_astring(out, rights.as_bytes());
        }
        B::SetQuota { root, limits } => {
            out.extend_from_slice(b"SETQUOTA ");
            w_astring(out, root.as_bytes());
            sp(out);
            w_list(out, limits, |o, (n, l)| {
                o.extend_from_slice(format!("{n} {l}").as_bytes())
            });
        }
        B::UidExpunge(set) => {
            out.extend_from_slice(b"UID EXPUNGE ");
            w_set(out, set);
        }
        other => unimplemented!("{other:?}"),
    }
    out.extend_from_slice(b"\r\n");
    o
}

// ---- strategies ----

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[A-Za-z0-9_.-]{1,10}".prop_map(String::into_bytes),
        "[ -~]{0,12}".prop_map(String::into_bytes),
        proptest::collection::vec(1u8..=255, 0..20),
    ]
}

fn utf8_text() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9]{1,8}", "[ -~]{0,10}", "\\PC{0,6}"]
}

fn mailbox() -> impl Strategy<Value = MailboxArg> {
    bytes().prop_map(|raw| MailboxArg { raw, utf8: false })
}

fn nz() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn seq_set() -> impl Strategy<Value = SeqSet> {
    let num = prop_oneof![nz().prop_map(SeqNum::Value), Just(SeqNum::Largest)];
    prop_oneof![
        1 => Just(SeqSet::Saved),
        9 => proptest::collection::vec((num.clone(), num), 1..5)
            .prop_map(|v| SeqSet::Ranges(v.into_iter().map(|(from, to)| SeqRange { from, to }).collect())),
    ]
}

fn atom() -> impl Strategy<Value = String> {
    "[A-Za-z$][A-Za-z0-9_-]{0,8}"
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        "[A-Z][a-z]{1,6}".prop_filter_map("system", |s| match Flag::from_text(&format!("\\{s}")) {
            f @ Flag::Extension(_) => Some(f),
            _ => None,
        }),
        atom().prop_map(Flag::Keyword),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (1970u16..2200, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| Date { year, month, day })
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Seen),
        Just(K::Unseen),
        Just(K::Deleted),
        Just(K::Recent),
        Just(K::New),
        bytes().prop_map(K::Subject),
        bytes().prop_map(K::Text),
        bytes().prop_map(K::From),
        (atom(), bytes()).prop_map(|(n, v)| K::Header(n, v)),
        atom().prop_map(K::Keyword),
        date().prop_map(K::Since),
        date().prop_map(K::SentBefore),
        any::<u32>().prop_map(|n| K::Larger(n.into())),
        any::<u32>().prop_map(K::Younger),
        seq_set().prop_map(K::Uid),
        seq_set().prop_map(K::Seq),
        (0u64..i64::MAX as u64).prop_map(|modseq| K::ModSeq {
            entry: None,
            modseq
        }),
        (
            "/flags/[a-z\\\\]{1,6}",
            prop_oneof![Just("priv"), Just("shared"), Just("all")],
            0u64..1 << 40
        )
            .prop_map(|(n, k, modseq)| K::ModSeq {
                entry: Some((n.into_bytes(), k.into())),
                modseq
            }),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            proptest::collection::vec(inner, 1..4).prop_map(K::And),
        ]
    })
}

fn section() -> impl Strategy<Value = Section> {
    let part = proptest::collection::vec(nz(), 0..4);
    let text = prop_oneof![
        Just(None),
        Just(Some(SectionText::Header)),
        Just(Some(SectionText::Text)),
        proptest::collection::vec("[A-Za-z-]{1,8}", 1..3)
            .prop_map(|v| Some(SectionText::HeaderFields(v))),
        proptest::collection::vec("[A-Za-z-]{1,8}", 1..3)
            .prop_map(|v| Some(SectionText::HeaderFieldsNot(v))),
        Just(Some(SectionText::Mime)),
    ];
    (part, text).prop_filter_map("MIME needs a part", |(part, text)| {
        (text != Some(SectionText::Mime) || !part.is_empty()).then_some(Section { part, text })
    })
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    proptest::option::of((any::<u32>(), nz()).prop_map(|(origin, count)| Partial { origin, count }))
}

fn fetch_attr() -> impl Strategy<Value = FetchAttr> {
    prop_oneof![
        Just(FetchAttr::Envelope),
        Just(FetchAttr::Flags),
        Just(FetchAttr::InternalDate),
        Just(FetchAttr::Rfc822Size),
        Just(FetchAttr::Rfc822),
        Just(FetchAttr::Rfc822Header),
        Just(FetchAttr::Rfc822Text),
        Just(FetchAttr::Body),
        Just(FetchAttr::BodyStructure),
        Just(FetchAttr::Uid),
        Just(FetchAttr::ModSeq),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| {
            FetchAttr::BodySection {
                peek,
                section,
                partial,
            }
        }),
        (
            any::<bool>(),
            proptest::collection::vec(nz(), 0..3),
            partial()
        )
            .prop_map(|(peek, part, partial)| FetchAttr::Binary {
                peek,
                part,
                partial
            }),
        proptest::collection::vec(nz(), 0..3).prop_map(FetchAttr::BinarySize),
    ]
}

fn command_body() -> impl Strategy<Value = CommandBody> {
    use CommandBody as B;
    let status_items = proptest::collection::vec(
        proptest::sample::select(StatusItem::ALL.map(|(i, _)| i).to_vec()),
        1..4,
    );
    prop_oneof![
        Just(B::Noop),
        (utf8_text(), bytes()).prop_map(|(user, p)| B::Login {
            user,
            password: Secret::new(p)
        }),
        proptest::collection::vec("[A-Z][A-Z0-9=+-]{0,10}", 1..3).prop_map(B::Enable),
        (
            mailbox(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of((
                nz(),
                1u64..1 << 50,
                proptest::option::of(seq_set()),
                proptest::option::of((seq_set(), seq_set()))
            ))
        )
            .prop_map(|(mailbox, read_only, condstore, q)| {
                let qresync = q.map(|(uidvalidity, modseq, known_uids, seq_match)| QResync {
                    uidvalidity,
                    modseq,
                    seq_match: if known_uids.is_some() {
                        seq_match
                    } else {
                        None
                    },
                    known_uids,
                });
                B::Select {
                    mailbox,
                    read_only,
                    params: SelectParams { condstore, qresync },
                }
            }),
        (mailbox(), status_items.clone()).prop_map(|(mailbox, items)| B::Status { mailbox, items }),
        (
            mailbox(),
            proptest::collection::vec(
                (
                    proptest::collection::vec(flag(), 0..3),
                    proptest::option::of((0i64..4_000_000_000, -720i32..720)),
                    proptest::collection::vec(any::<u8>(), 0..40),
                    any::<bool>()
                ),
                1..3
            )
        )
            .prop_map(|(mailbox, msgs)| B::Append {
                mailbox,
                messages: msgs
                    .into_iter()
                    .map(|(flags, date, mut data, binary)| {
                        if !binary {
                            data.retain(|&b| b != 0);
                        }
                        AppendMessage {
                            flags,
                            date: date.map(|(unix, offset_minutes)| DateTime {
                                unix,
                                offset_minutes,
                            }),
                            data,
                            binary,
                            // `UTF8 (...)` always carries a literal8.
                            utf8: binary && date.is_some_and(|(u, _)| u % 2 == 0),
                        }
                    })
                    .collect()
            }),
        (
            any::<bool>(),
            proptest::option::of("[A-Z][A-Z0-9-]{0,8}"),
            proptest::option::of(proptest::collection::vec(
                proptest::sample::select(vec![
                    SearchReturn::Min,
                    SearchReturn::Max,
                    SearchReturn::All,
                    SearchReturn::Count,
                    SearchReturn::Save
                ]),
                0..3
            )),
            proptest::collection::vec(search_key(), 1..4)
        )
            .prop_map(|(uid, charset, returns, keys)| B::Search {
                uid,
                charset,
                returns,
                key: SearchKey::And(keys)
            }),
        (
            any::<bool>(),
            seq_set(),
            prop_oneof![
                proptest::sample::select(vec![FetchMacro::All, FetchMacro::Fast, FetchMacro::Full])
                    .prop_map(FetchItems::Macro),
                proptest::collection::vec(fetch_attr(), 1..5).prop_map(FetchItems::Attrs),
            ],
            proptest::option::of((1u64..1 << 62, any::<bool>()))
        )
            .prop_map(|(uid, set, items, m)| {
                let modifiers = match m {
                    Some((c, v)) => FetchModifiers {
                        changed_since: Some(c),
                        vanished: v && uid,
                    },
                    None => FetchModifiers::default(),
                };
                B::Fetch {
                    uid,
                    set,
                    items,
                    modifiers,
                }
            }),
        (
            any::<bool>(),
            seq_set(),
            proptest::option::of(0u64..1 << 62),
            proptest::sample::select(vec![StoreMode::Add, StoreMode::Remove, StoreMode::Replace]),
            any::<bool>(),
            proptest::collection::vec(flag(), 0..4)
        )
            .prop_map(
                |(uid, set, unchanged_since, mode, silent, flags)| B::Store {
                    uid,
                    set,
                    unchanged_since,
                    mode,
                    silent,
                    flags
                }
            ),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| B::Copy {
            uid,
            set,
            mailbox
        }),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| B::Move {
            uid,
            set,
            mailbox
        }),
        (
            proptest::collection::vec(
                proptest::sample::select(vec![
                    ListSelect::Subscribed,
                    ListSelect::Remote,
                    ListSelect::SpecialUse
                ]),
                0..3
            ),
            any::<bool>(),
            mailbox(),
            proptest::collection::vec(mailbox(), 1..3),
            proptest::collection::vec(
                prop_oneof![
                    Just(ListReturn::Subscribed),
                    Just(ListReturn::Children),
                    Just(ListReturn::SpecialUse),
                    status_items.prop_map(ListReturn::Status)
                ],
                0..3
            )
        )
            .prop_map(|(mut selection, recursive, reference, patterns, returns)| {
                if recursive && selection.iter().any(|s| *s != ListSelect::Remote) {
                    selection.push(ListSelect::RecursiveMatch);
                }
                B::List {
                    selection,
                    reference,
                    patterns,
                    returns,
                }
            }),
        (mailbox(), utf8_text(), "[a-z]{0,8}").prop_map(|(mailbox, identifier, rights)| {
            B::SetAcl {
                mailbox,
                identifier,
                rights,
            }
        }),
        (
            utf8_text(),
            proptest::collection::vec(("[A-Z]{1,8}", 0u64..1 << 62), 0..3)
        )
            .prop_map(|(root, limits)| B::SetQuota { root, limits }),
        seq_set().prop_map(B::UidExpunge),
    ]
}

fn whole(input: &[u8]) -> Result<Command, String> {
    let mut r = CommandReader::new(Limits::default());
    match run(&mut r, input) {
        Outcome::Command { command, consumed } if consumed == input.len() => Ok(*command),
        other => Err(format!("{other:?}")),
    }
}

proptest! {
    #[test]
    fn written_commands_parse_back_equal(tag in "[A-Za-z0-9]{1,8}", body in command_body()) {
        let cmd = Command { tag, body };
        let bytes = encode(&cmd);
        let parsed = whole(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&cmd), "{}", String::from_utf8_lossy(&bytes));
        // Split at every point into two reads: the same command.
        let mid = bytes.len() / 2;
        let mut r = CommandReader::new(Limits::default());
        let mut buf = bytes[..mid].to_vec();
        loop {
            match r.next(&buf) {
                Outcome::Continue { .. } => continue,
                Outcome::NeedMore => buf.extend_from_slice(&bytes[mid..]),
                Outcome::Command { command, .. } => {
                    prop_assert_eq!(&*command, &cmd);
                    break;
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }

    #[test]
    fn any_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..200), stream in any::<bool>()) {
        let mut r = CommandReader::new(Limits { max_line: 64, max_literal: 32, ..Limits::default() });
        r.stream_append = stream;
        let mut rest = &input[..];
        for _ in 0..100 {
            match r.next(rest) {
                Outcome::Command { consumed, .. } | Outcome::Error { consumed, .. } => {
                    prop_assert!(consumed > 0 && consumed <= rest.len());
                    rest = &rest[consumed..];
                }
                Outcome::AppendMessage { head, consumed, .. } => {
                    prop_assert!(consumed > 0 && consumed <= rest.len());
                    rest = &rest[consumed..];
                    rest = &rest[(head.size as usize).min(rest.len())..];
                }
                Outcome::AppendDone { consumed, .. } => rest = &rest[consumed..],
                Outcome::Continue { .. } => {}
                Outcome::NeedMore => break,
            }
        }
    }
}
