//! Property tests of every reader and writer: writing then reading is the
//! identity (and rewriting gives the same bytes); arbitrary bytes, and
//! damaged valid files, never make a reader panic.

use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;

use popstore_formats::container::UnknownRecord;
use popstore_formats::descriptor::{
    INCOMPAT_FLAGS, KNOWN_INCOMPAT, NameStyle, RootRoles, StoreDescriptor, StoreFlags, StoreRoot,
};
use popstore_formats::folder::{FolderEntry, FolderIndex, SystemFlags};
use popstore_formats::forward::{ForwardFlags, Forwarding, ForwardingDb};
use popstore_formats::groups::{Group, GroupTree};
use popstore_formats::imap::{ImapData, Part, PartFlags};
use popstore_formats::journal::MessageJournal;
use popstore_formats::layout::{Fanout, MessageId};
use popstore_formats::mailboxes::{AclEntry, Mailbox, MailboxFlags, MailboxList, SpecialUse};
use popstore_formats::message::{MessageFile, MessageFlags, MessageHeader, read_header};
use popstore_formats::msglist::{Entry, EntryFlags, MessageList, Released};
use popstore_formats::profile::{
    AccountFlags, Counters, CramMd5, Identity, Profile, Quota, ScramSha256, StoreType, Times,
    Vacation, VacationFlags, Verifiers,
};
use popstore_formats::types::{HexBytes, Secret, TextBytes};
use popstore_formats::vacation::{Sent, VacationState};
use popstore_formats::{AnyFile, StoreFile, samples};

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn time() -> impl Strategy<Value = Option<i64>> {
    option::of(any::<i64>().prop_filter("MIN is never", |t| *t != i64::MIN))
}

fn limit() -> impl Strategy<Value = Option<u64>> {
    option::of(any::<u64>().prop_filter("MAX is none", |v| *v != u64::MAX))
}

fn unknown() -> impl Strategy<Value = Vec<UnknownRecord>> {
    vec(
        (0x7000u16..0x7FFF, bytes(20)).prop_map(|(rtype, d)| UnknownRecord {
            rtype,
            data: HexBytes(d),
        }),
        0..3,
    )
}

fn descriptor() -> impl Strategy<Value = StoreDescriptor> {
    (
        vec(any::<u8>(), 16),
        any::<i64>(),
        (0u8..=2, 2u16..=4096),
        (any::<u16>(), any::<u16>(), any::<u32>(), text()),
        btree_set(1u8..=255, 0..3),
        vec(text(), 0..3),
        unknown(),
    )
        .prop_map(
            |(
                id,
                created,
                (levels, width),
                (style, max, flags, charset),
                extra,
                domains,
                unknown,
            )| {
                let root = |index: u8| StoreRoot {
                    index,
                    roles: RootRoles(u32::from(index) | 1),
                    label: format!("R{index}"),
                    linux_dir: format!("/srv/{index}"),
                    openvms_dir: String::new(),
                };
                let mut roots = vec![root(0)];
                roots.extend(extra.into_iter().map(root));
                StoreDescriptor {
                    store_id: HexBytes(id),
                    created,
                    fanout: Fanout { levels, width },
                    name_style: NameStyle(style),
                    max_name_len: max,
                    // Unknown incompatible features are refused by design;
                    // the known one may be on or off.
                    flags: StoreFlags(flags & !(INCOMPAT_FLAGS & !KNOWN_INCOMPAT)),
                    charset,
                    roots,
                    domains,
                    unknown,
                }
            },
        )
}

fn profile() -> impl Strategy<Value = Profile> {
    let identity = (text(), text(), text(), text(), any::<u16>(), any::<u32>()).prop_map(
        |(username, owner, group, domain, st, flags)| Identity {
            username,
            owner,
            group,
            domain,
            store_type: StoreType(st),
            flags: AccountFlags(flags),
        },
    );
    let times = (time(), time(), time(), time(), time()).prop_map(|(a, b, c, d, e)| Times {
        created: a,
        last_password_change: b,
        last_connect: c,
        last_disconnect: d,
        last_billing: e,
    });
    let counters = vec(any::<u64>(), 7).prop_map(|c| Counters {
        total_connect_seconds: c[0],
        total_connections: c[1],
        past_block_days: c[2],
        message_count: c[3],
        received_messages: c[4],
        received_bytes: c[5],
        quota_used: c[6],
    });
    let verifiers = (
        option::of(bytes(60)),
        option::of((
            any::<u32>(),
            bytes(20),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
        )),
        option::of((any::<[u8; 16]>(), any::<[u8; 16]>())),
        option::of(bytes(20)),
    )
        .prop_map(|(a, s, c, p)| Verifiers {
            argon2id: a.map(Secret),
            scram_sha_256: s.map(|(iterations, salt, k1, k2)| ScramSha256 {
                iterations,
                salt: HexBytes(salt),
                stored_key: Secret(k1),
                server_key: Secret(k2),
            }),
            cram_md5: c.map(|(i, o)| CramMd5 {
                inner: Secret(i),
                outer: Secret(o),
            }),
            apop: p.map(Secret),
        });
    let vacation = option::of(
        (
            any::<u32>(),
            time(),
            time(),
            any::<u64>(),
            text(),
            text(),
            vec(text(), 0..3),
        )
            .prop_map(
                |(f, start, end, interval_seconds, subject, text, addresses)| Vacation {
                    flags: VacationFlags(f),
                    start,
                    end,
                    interval_seconds,
                    subject,
                    text,
                    addresses,
                },
            ),
    );
    (
        identity,
        option::of(bytes(30)),
        times,
        counters,
        (limit(), limit()),
        verifiers,
        vacation,
        option::of(text()),
        unknown(),
    )
        .prop_map(
            |(
                mut identity,
                private,
                times,
                counters,
                (p, o),
                verifiers,
                vacation,
                sieve,
                unknown,
            )| {
                // The APOP secret exists only with the APOP flag.
                identity
                    .flags
                    .set(AccountFlags::APOP, verifiers.apop.is_some());
                Profile {
                    identity,
                    private: private.map(HexBytes),
                    times,
                    counters,
                    quota: Quota {
                        primary: p,
                        overdraft: o,
                    },
                    verifiers,
                    vacation,
                    sieve_script: sieve,
                    message_limit: None,
                    unknown,
                }
            },
        )
}

fn message_list() -> impl Strategy<Value = MessageList> {
    (
        any::<u64>(),
        vec((any::<u64>(), any::<u64>(), time(), any::<u32>()), 0..6),
        vec((time(), vec(any::<u64>(), 1..5)), 0..3),
        unknown(),
    )
        .prop_map(|(next_uidl, es, rel, unknown)| MessageList {
            next_uidl,
            entries: es
                .into_iter()
                .enumerate()
                .map(|(i, (m, size, delivered, f))| Entry {
                    message: MessageId(m),
                    size,
                    delivered,
                    flags: EntryFlags(f),
                    uidl: format!("!!!!{i:05}"),
                })
                .collect(),
            released: rel
                .into_iter()
                .map(|(time, ids)| Released {
                    time,
                    messages: ids.into_iter().map(MessageId).collect(),
                })
                .collect(),
            unknown,
        })
}

fn folder_index() -> impl Strategy<Value = FolderIndex> {
    (
        any::<u32>(),
        1u32..,
        vec(text(), 0..4),
        btree_set(1u32..1_000_000, 0..6),
        vec(
            (
                any::<u32>(),
                any::<i64>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
            ),
            6,
        ),
        text(),
        unknown(),
    )
        .prop_map(
            |(folder_id, uidvalidity, keywords, uids, fields, name, unknown)| {
                let nk = keywords.len() as u16;
                let entries: Vec<FolderEntry> = uids
                    .iter()
                    .zip(fields)
                    .map(|(uid, (f, date, size, modseq, msg))| FolderEntry {
                        uid: *uid,
                        flags: SystemFlags(f),
                        internal_date: date,
                        size,
                        modseq: modseq / 2,
                        message: MessageId(msg),
                        keywords: (0..nk).filter(|k| (f >> k) & 1 == 1).collect(),
                    })
                    .collect();
                FolderIndex {
                    folder_id,
                    uidvalidity,
                    uidnext: uids.iter().max().map_or(1, |m| m + 1),
                    highestmodseq: entries.iter().map(|e| e.modseq).max().unwrap_or(0),
                    name,
                    keywords,
                    entries,
                    expunges: None,
                    unknown,
                }
            },
        )
}

fn mailbox_list() -> impl Strategy<Value = MailboxList> {
    (
        vec((any::<u16>(), any::<u32>()), 0..5),
        vec(text(), 0..3),
        vec((text(), text()), 0..3),
        prop_oneof![Just(0u32), any::<u32>()],
        unknown(),
    )
        .prop_map(
            |(mbs, subscriptions, acls, last_uidvalidity, unknown)| MailboxList {
                last_uidvalidity,
                next_folder_id: mbs.len() as u32 + 1,
                mailboxes: mbs
                    .iter()
                    .enumerate()
                    .map(|(i, (su, f))| Mailbox {
                        folder_id: i as u32 + 1,
                        special_use: SpecialUse(*su),
                        flags: MailboxFlags(*f),
                        name: format!("Folder{i}"),
                    })
                    .collect(),
                subscriptions,
                acls: acls
                    .into_iter()
                    .map(|(identifier, rights)| AclEntry {
                        folder_id: 1,
                        identifier,
                        rights,
                    })
                    .collect(),
                unknown,
            },
        )
}

fn forwarding() -> impl Strategy<Value = ForwardingDb> {
    (
        btree_set("\\PC{1,10}", 0..5),
        vec((any::<u32>(), vec(text(), 1..3)), 5),
        unknown(),
    )
        .prop_map(|(names, rest, unknown)| ForwardingDb {
            entries: names
                .into_iter()
                .zip(rest)
                .map(|(name, (f, addresses))| Forwarding {
                    flags: ForwardFlags(f),
                    name,
                    addresses,
                })
                .collect(),
            unknown,
        })
}

fn groups() -> impl Strategy<Value = GroupTree> {
    (vec((any::<usize>(), text()), 0..6), unknown()).prop_map(|(gs, unknown)| GroupTree {
        groups: gs
            .iter()
            .enumerate()
            .map(|(i, (p, description))| Group {
                name: format!("g{i}"),
                parent: if i == 0 || p % 3 == 0 {
                    String::new()
                } else {
                    format!("g{}", p % i)
                },
                description: description.clone(),
            })
            .collect(),
        unknown,
    })
}

fn vacation_state() -> impl Strategy<Value = VacationState> {
    (vec((any::<i64>(), text()), 0..4), unknown()).prop_map(|(s, unknown)| VacationState {
        sent: s
            .into_iter()
            .map(|(last_sent, address)| Sent { last_sent, address })
            .collect(),
        unknown,
    })
}

fn message() -> impl Strategy<Value = MessageFile> {
    let part = (
        vec(any::<u32>(), 0..3),
        vec(any::<u64>(), 5),
        limit(),
        any::<u32>(),
    )
        .prop_map(|(path, v, decoded_size, f)| Part {
            path,
            header_offset: v[0],
            header_length: v[1],
            body_offset: v[2],
            body_length: v[3],
            body_lines: v[4],
            decoded_size,
            flags: PartFlags(f),
        });
    let imap = (
        option::of(any::<u64>()),
        option::of(bytes(40)),
        option::of(bytes(40)),
        option::of(bytes(40)),
        vec(part, 0..3),
    )
        .prop_map(|(rfc822_size, e, b, bs, parts)| ImapData {
            rfc822_size,
            envelope: e.map(TextBytes),
            body: b.map(TextBytes),
            bodystructure: bs.map(TextBytes),
            parts,
        });
    // Bodies made of lines, some starting with a dot, some bare bytes.
    let body = vec(
        prop_oneof![
            Just(b".\r\n".to_vec()),
            Just(b"..x\r\n".to_vec()),
            Just(b"\r\n".to_vec()),
            bytes(600),
        ],
        0..6,
    )
    .prop_map(|v| v.concat());
    (
        (any::<u32>(), any::<i64>(), any::<u32>(), any::<u32>()),
        (text(), text(), text(), text()),
        vec(text(), 0..4),
        imap,
        unknown(),
        body,
    )
        .prop_map(
            |(
                (f, created, rc, refc),
                (channel, env_from, envelope_id, message_id),
                recipients,
                imap,
                unknown,
                body,
            )| {
                MessageFile::new(
                    MessageHeader {
                        flags: MessageFlags(f),
                        created,
                        recipient_count: rc,
                        ref_count: refc,
                        channel,
                        env_from,
                        envelope_id,
                        message_id,
                        recipients,
                        imap,
                        unknown,
                    },
                    body,
                )
            },
        )
}

fn round_trip<T: StoreFile + PartialEq + std::fmt::Debug>(v: &T) -> Result<(), TestCaseError> {
    let b = v.encode().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back = T::decode(&b).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, v);
    prop_assert_eq!(back.encode().unwrap(), b);
    Ok(())
}

// Cases: proptest's default (256), or PROPTEST_CASES.
proptest! {
    #[test]
    fn descriptors_round_trip(v in descriptor()) { round_trip(&v)?; }
    #[test]
    fn profiles_round_trip(v in profile()) { round_trip(&v)?; }
    #[test]
    fn message_lists_round_trip(v in message_list()) { round_trip(&v)?; }
    #[test]
    fn message_journals_round_trip(l in message_list()) {
        let j = MessageJournal {
            base: l.next_uidl,
            entries: l.entries,
            unknown: l.unknown,
            torn_tail: 0,
        };
        round_trip(&j)?;
    }
    #[test]
    fn folder_indexes_round_trip(v in folder_index()) { round_trip(&v)?; }
    #[test]
    fn mailbox_lists_round_trip(v in mailbox_list()) { round_trip(&v)?; }
    #[test]
    fn forwardings_round_trip(v in forwarding()) { round_trip(&v)?; }
    #[test]
    fn group_trees_round_trip(v in groups()) { round_trip(&v)?; }
    #[test]
    fn vacation_states_round_trip(v in vacation_state()) { round_trip(&v)?; }
    #[test]
    fn messages_round_trip(v in message()) {
        round_trip(&v)?;
        let b = v.encode().unwrap();
        let (h, info) = read_header(&b).unwrap();
        prop_assert_eq!(&h, &v.header);
        prop_assert_eq!(&b[info.range()], &v.body.0[..]);
    }

    /// Arbitrary bytes, also behind every kind's valid first bytes.
    #[test]
    fn arbitrary_bytes_never_panic(b in bytes(2000), kind in 0usize..11) {
        let _ = AnyFile::decode(&b);
        let _ = read_header(&b);
        let prefix: &[&[u8]] = &[
            b"\x08\x00PSSD\x01\x00\x00\x00", b"\x08\x00PSPR\x01\x00\x00\x00",
            b"\x08\x00PSML\x01\x00\x00\x00", b"\x08\x00PSFI\x01\x00\x00\x00",
            b"\x08\x00PSMB\x01\x00\x00\x00", b"\x08\x00PSFW\x01\x00\x00\x00",
            b"\x08\x00PSGR\x01\x00\x00\x00", b"\x08\x00PSVS\x01\x00\x00\x00",
            b"PSMF\x01\x00\x00\x00", b"\x08\x00PSMJ\x01\x00\x00\x00",
            b"\x08\x00PSFJ\x01\x00\x00\x00",
        ];
        let mut f = prefix[kind].to_vec();
        f.extend_from_slice(&b);
        let _ = AnyFile::decode(&f);
        let _ = popstore_formats::annotate::annotate(&f);
    }

    /// Valid files with a few bytes changed, or cut: an error or a value,
    /// never a panic; a value read re-encodes.
    #[test]
    fn damaged_files_never_panic(
        which in 0usize..36,
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut files: Vec<Vec<u8>> = Vec::new();
        files.extend(samples::descriptors().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::profiles().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::message_lists().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::folder_indexes().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::mailbox_lists().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::forwardings().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::group_trees().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::vacation_states().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::messages().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::message_journals().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::folder_journals().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::folder_indexes_v1_1().iter().map(|v| v.encode().unwrap()));
        let mut f = files[which].clone();
        for (i, b) in &edits {
            let i = i.index(f.len());
            f[i] = *b;
        }
        if let Ok(v) = AnyFile::decode(&f) {
            prop_assert!(v.encode().is_ok());
        }
        let n = cut.index(f.len() + 1);
        let _ = AnyFile::decode(&f[..n]);
    }
}
