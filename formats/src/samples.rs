//! Sample values of every file kind (minimal, typical, maximal), for
//! tests, the conformance fixtures' generator and other crates' tests.
//! Every value here encodes without error.

use crate::container::UnknownRecord;
use crate::descriptor::{NameStyle, RootRoles, StoreDescriptor, StoreFlags, StoreRoot};
use crate::folder::{
    ExpungeLog, ExpungedMessage, ExpungedSet, FolderEntry, FolderIndex, SystemFlags,
};
use crate::folder_journal::{Append, Change, FlagChange, FolderJournal, JournalBase};
use crate::forward::{ForwardFlags, Forwarding, ForwardingDb};
use crate::groups::{Group, GroupTree};
use crate::imap::{ImapData, Part, PartFlags};
use crate::journal::MessageJournal;
use crate::layout::{Fanout, MessageId};
use crate::mailboxes::{AclEntry, Mailbox, MailboxFlags, MailboxList, SpecialUse};
use crate::message::{MessageFile, MessageFlags, MessageHeader};
use crate::msglist::{Entry, EntryFlags, MessageList};
use crate::profile::{
    AccountFlags, Counters, CramMd5, Identity, Profile, Quota, ScramSha256, StoreType, Times,
    Vacation, VacationFlags, Verifiers,
};
use crate::types::{HexBytes, Secret, TextBytes};
use crate::vacation::{Sent, VacationState};

/// 2026-11-22T12:00:00Z, the time every sample uses.
pub const T0: i64 = 1_795_348_800;

fn unknown() -> UnknownRecord {
    UnknownRecord {
        rtype: 0x7F01,
        data: HexBytes(b"future".to_vec()),
    }
}

fn root0() -> StoreRoot {
    StoreRoot {
        index: 0,
        roles: RootRoles::USERS | RootRoles::MESSAGES,
        label: "MAIN".into(),
        linux_dir: String::new(),
        openvms_dir: String::new(),
    }
}

/// Store descriptors: minimal, typical, maximal.
pub fn descriptors() -> [StoreDescriptor; 3] {
    let min = StoreDescriptor {
        store_id: HexBytes(vec![0; 16]),
        created: 0,
        fanout: Fanout {
            levels: 0,
            width: 2,
        },
        name_style: NameStyle::LOGIN,
        max_name_len: 32,
        flags: StoreFlags::default(),
        charset: "utf-8".into(),
        roots: vec![root0()],
        domains: vec![],
        unknown: vec![],
    };
    let typical = StoreDescriptor {
        store_id: HexBytes((1..=16).collect()),
        created: T0,
        fanout: Fanout::default(),
        ..min.clone()
    };
    let max = StoreDescriptor {
        store_id: HexBytes(vec![0xff; 16]),
        created: i64::MAX,
        fanout: Fanout {
            levels: 2,
            width: 4096,
        },
        name_style: NameStyle::EMAIL,
        max_name_len: 255,
        flags: StoreFlags::USER_DOMAINS | StoreFlags::NO_FORWARD_OVERRIDE | StoreFlags(0x100),
        charset: "iso-8859-1".into(),
        roots: vec![
            root0(),
            StoreRoot {
                index: 1,
                roles: RootRoles::MESSAGES,
                label: "DISK2".into(),
                linux_dir: "/srv/popstore2".into(),
                openvms_dir: "DKA200:[POPSTORE]".into(),
            },
        ],
        domains: vec!["example.com".into(), "example.org".into()],
        unknown: vec![unknown()],
    };
    [min, typical, max]
}

/// Account profiles: minimal, typical, maximal.
pub fn profiles() -> [Profile; 3] {
    let min = Profile {
        identity: Identity {
            username: "a".into(),
            store_type: StoreType::POP,
            ..Identity::default()
        },
        ..Profile::default()
    };
    let typical = Profile {
        identity: Identity {
            username: "John".into(),
            owner: "John Smith".into(),
            group: "sales".into(),
            domain: String::new(),
            store_type: StoreType::POP,
            flags: AccountFlags::default(),
        },
        times: Times {
            created: Some(T0),
            last_password_change: Some(T0),
            last_connect: Some(T0 + 60),
            last_disconnect: Some(T0 + 65),
            last_billing: None,
        },
        counters: Counters {
            total_connect_seconds: 5,
            total_connections: 1,
            message_count: 2,
            received_messages: 3,
            received_bytes: 4096,
            quota_used: 2048,
            ..Counters::default()
        },
        quota: Quota {
            primary: Some(10_000_000),
            overdraft: Some(1_000_000),
        },
        verifiers: Verifiers {
            argon2id: Some(Secret(
                b"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_vec(),
            )),
            ..Verifiers::default()
        },
        ..Profile::default()
    };
    let max = Profile {
        identity: Identity {
            username: "Jürgen.Müller@example.com".into(),
            owner: "Jürgen Müller".into(),
            group: "engineering".into(),
            domain: "example.com".into(),
            store_type: StoreType::IMAP,
            flags: AccountFlags(0xFF) | AccountFlags(0x1_0000),
        },
        private: Some(HexBytes(b"site data \x00\x01".to_vec())),
        times: Times {
            created: Some(i64::MIN + 1),
            last_password_change: Some(-1),
            last_connect: Some(i64::MAX),
            last_disconnect: Some(0),
            last_billing: Some(T0),
        },
        counters: Counters {
            total_connect_seconds: u64::MAX,
            total_connections: u64::MAX - 1,
            past_block_days: 7,
            message_count: 1,
            received_messages: 2,
            received_bytes: 3,
            quota_used: 4,
        },
        quota: Quota {
            primary: Some(u64::MAX - 1),
            overdraft: None,
        },
        verifiers: Verifiers {
            argon2id: Some(Secret(b"$argon2id$v=19$m=65536,t=3,p=4$AAAA$BBBB".to_vec())),
            scram_sha_256: Some(ScramSha256 {
                iterations: 4096,
                salt: HexBytes((0..16).collect()),
                stored_key: Secret([0x11; 32]),
                server_key: Secret([0x22; 32]),
            }),
            cram_md5: Some(CramMd5 {
                inner: Secret([0x33; 16]),
                outer: Secret([0x44; 16]),
            }),
            apop: Some(Secret(b"tanstaaf".to_vec())),
        },
        vacation: Some(Vacation {
            flags: VacationFlags::ENABLED,
            start: Some(T0),
            end: None,
            interval_seconds: 7 * 86400,
            subject: "Away".into(),
            text: "I am away until Monday.\r\n".into(),
            addresses: vec!["jm@example.com".into(), "juergen@example.org".into()],
        }),
        sieve_script: Some("main".into()),
        message_limit: None,
        unknown: vec![unknown()],
    };
    [min, typical, max]
}

/// The `n`th sample list or journal entry.
fn entry(n: u64, flags: EntryFlags) -> Entry {
    Entry {
        message: MessageId(0x0000_0193_0000_0000 + n),
        size: 300 + n,
        delivered: Some(T0 + n as i64),
        flags,
        uidl: format!("!!!!{n:05}"),
    }
}

/// Message lists: minimal, typical, maximal.
pub fn message_lists() -> [MessageList; 3] {
    let min = MessageList::default();
    let typical = MessageList {
        next_uidl: 3,
        entries: vec![entry(1, EntryFlags::SEEN), entry(2, EntryFlags::default())],
        released: Vec::new(),
        unknown: vec![],
    };
    let mut long = entry(3, EntryFlags(0xFFFF_FFFF));
    long.uidl = "~".repeat(70);
    long.delivered = None;
    long.message = MessageId(u64::MAX);
    let max = MessageList {
        next_uidl: u64::MAX,
        entries: vec![entry(1, EntryFlags::DELETED), long],
        released: Vec::new(),
        unknown: vec![unknown()],
    };
    [min, typical, max]
}

/// Message-list journals: minimal (the base alone), typical (the typical
/// list's next deliveries: its base is that list's next UIDL), maximal.
pub fn message_journals() -> [MessageJournal; 3] {
    let min = MessageJournal {
        base: 1,
        ..MessageJournal::default()
    };
    let typical = MessageJournal {
        base: 3,
        entries: vec![
            entry(3, EntryFlags::default()),
            entry(4, EntryFlags::default()),
            entry(5, EntryFlags::SEEN),
        ],
        ..MessageJournal::default()
    };
    let mut long = entry(7, EntryFlags(0xFFFF_FFFF));
    long.uidl = "~".repeat(70);
    long.delivered = None;
    long.message = MessageId(u64::MAX);
    let mut wide = entry(6, EntryFlags::SEEN | EntryFlags::DELETED);
    wide.uidl = format!("{}.{}", MessageId(u64::MAX - 1).file_name(), u64::MAX - 2);
    wide.message = MessageId(u64::MAX - 1);
    wide.size = u64::MAX;
    let max = MessageJournal {
        base: u64::MAX - 2,
        entries: vec![wide, long],
        unknown: vec![unknown()],
        torn_tail: 0,
    };
    [min, typical, max]
}

/// Folder indexes: minimal, typical, maximal.
pub fn folder_indexes() -> [FolderIndex; 3] {
    let min = FolderIndex {
        folder_id: 1,
        uidvalidity: 1,
        uidnext: 1,
        name: "INBOX".into(),
        ..FolderIndex::default()
    };
    let entry = |uid: u32, flags, keywords| FolderEntry {
        uid,
        flags,
        internal_date: T0 + i64::from(uid),
        size: 1000 + u64::from(uid),
        modseq: u64::from(uid),
        message: MessageId(0x0000_0193_0000_0000 + u64::from(uid)),
        keywords,
    };
    let typical = FolderIndex {
        folder_id: 2,
        uidvalidity: 1_795_348_800,
        uidnext: 4,
        highestmodseq: 5,
        name: "Work/2026".into(),
        keywords: vec!["$Forwarded".into(), "Important".into()],
        entries: vec![
            entry(1, SystemFlags::SEEN, vec![]),
            entry(3, SystemFlags::SEEN | SystemFlags::FLAGGED, vec![1]),
        ],
        expunges: None,
        unknown: vec![],
    };
    let max = FolderIndex {
        folder_id: u32::MAX,
        uidvalidity: u32::MAX,
        uidnext: u32::MAX,
        highestmodseq: u64::MAX,
        name: "Archiv/Ärger".into(),
        keywords: vec!["$Junk".into(), "$NotJunk".into(), "Büro".into()],
        entries: vec![
            entry(1, SystemFlags(0x3F), vec![0, 1, 2]),
            FolderEntry {
                internal_date: i64::MIN,
                size: u64::MAX,
                modseq: u64::MAX,
                flags: SystemFlags(0xFFFF_FFFF),
                ..entry(u32::MAX - 1, SystemFlags::default(), vec![2, 2])
            },
        ],
        expunges: None,
        unknown: vec![unknown()],
    };
    [min, typical, max]
}

/// Folder indexes of version 1.1, which keep their expunges: minimal (a
/// new folder: floor 0, nothing expunged), typical (the typical index of
/// [`folder_indexes`] with the typical journal of [`folder_journals`]
/// folded in: its floor is the old HIGHESTMODSEQ, its history the
/// journal's expunge), maximal.
pub fn folder_indexes_v1_1() -> [FolderIndex; 3] {
    let [min, typical, max] = folder_indexes();
    let min = FolderIndex {
        expunges: Some(ExpungeLog::default()),
        ..min
    };
    let [_, journal, _] = folder_journals();
    let typical = crate::fold::fold(&typical, &journal)
        .expect("the typical journal belongs to the typical index")
        .index;
    let gone = |uid: u32, id: u64| ExpungedMessage {
        uid,
        message: MessageId(id),
    };
    let max = FolderIndex {
        expunges: Some(ExpungeLog {
            floor: u64::MAX - 2,
            sets: vec![
                ExpungedSet {
                    modseq: u64::MAX - 1,
                    messages: vec![gone(2, 0x0000_0193_0000_0002), gone(3, 0)],
                },
                ExpungedSet {
                    modseq: u64::MAX,
                    messages: vec![gone(u32::MAX - 2, u64::MAX)],
                },
            ],
        }),
        ..max
    };
    [min, typical, max]
}

/// Folder journals: minimal (the BASE of the minimal index alone),
/// typical (changes to the typical index of [`folder_indexes`]: two
/// appends, a flag change, an expunge), maximal (extreme values, an
/// unknown record).
pub fn folder_journals() -> [FolderJournal; 3] {
    let [min_index, typical_index, _] = folder_indexes();
    let min = FolderJournal::new(JournalBase::of_index(&min_index));
    let msg = |uid: u32| MessageId(0x0000_0193_0000_0000 + u64::from(uid));
    let append = |uid: u32, modseq: u64, keywords: &[&str]| Append {
        uid,
        flags: SystemFlags::default(),
        internal_date: T0 + i64::from(uid),
        size: 1000 + u64::from(uid),
        modseq,
        message: msg(uid),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
    };
    let typical = FolderJournal {
        base: JournalBase::of_index(&typical_index),
        changes: vec![
            Change::Append(append(4, 6, &["Important"])),
            Change::Flags(FlagChange {
                uid: 1,
                flags: SystemFlags::SEEN | SystemFlags::ANSWERED,
                modseq: 7,
                keywords: vec!["$Forwarded".into()],
            }),
            Change::Append(append(5, 8, &["$Junk"])),
            Change::Expunge(ExpungedSet {
                modseq: 9,
                messages: vec![ExpungedMessage {
                    uid: 3,
                    message: msg(3),
                }],
            }),
        ],
        torn_tail: 0,
    };
    let top = u32::MAX - 1;
    let max = FolderJournal {
        base: JournalBase {
            uidvalidity: u32::MAX,
            uidnext: top,
            highestmodseq: u64::MAX - 4,
        },
        changes: vec![
            Change::Append(Append {
                flags: SystemFlags(0xFFFF_FFFF),
                internal_date: i64::MIN,
                size: u64::MAX,
                message: MessageId(u64::MAX),
                keywords: vec!["Büro".into(), "$Junk".into(), "k".repeat(100)],
                ..append(top, u64::MAX - 3, &[])
            }),
            Change::Flags(FlagChange {
                uid: top,
                flags: SystemFlags::default(),
                modseq: u64::MAX - 2,
                keywords: vec![],
            }),
            Change::Unknown(unknown()),
            Change::Expunge(ExpungedSet {
                modseq: u64::MAX,
                messages: vec![
                    ExpungedMessage {
                        uid: 1,
                        message: MessageId(0),
                    },
                    ExpungedMessage {
                        uid: top,
                        message: MessageId(u64::MAX),
                    },
                ],
            }),
        ],
        torn_tail: 0,
    };
    [min, typical, max]
}

/// Mailbox lists: minimal, typical, maximal.
pub fn mailbox_lists() -> [MailboxList; 3] {
    let mb = |id, su, name: &str| Mailbox {
        folder_id: id,
        special_use: su,
        flags: MailboxFlags::default(),
        name: name.into(),
    };
    let min = MailboxList {
        next_folder_id: 1,
        ..MailboxList::default()
    };
    let typical = MailboxList {
        next_folder_id: 5,
        mailboxes: vec![
            mb(1, SpecialUse::NONE, "INBOX"),
            mb(2, SpecialUse::NONE, "Work/2026"),
            mb(3, SpecialUse::SENT, "Sent"),
            mb(4, SpecialUse::TRASH, "Trash"),
        ],
        subscriptions: vec!["INBOX".into(), "Work/2026".into(), "Sent".into()],
        acls: vec![AclEntry {
            folder_id: 2,
            identifier: "john".into(),
            rights: "lrs".into(),
        }],
        last_uidvalidity: 0,
        unknown: vec![],
    };
    let max = MailboxList {
        next_folder_id: u32::MAX,
        mailboxes: vec![
            mb(1, SpecialUse::NONE, "INBOX"),
            Mailbox {
                flags: MailboxFlags::NOSELECT | MailboxFlags(0x80),
                ..mb(2, SpecialUse(99), "Archiv")
            },
            mb(u32::MAX - 1, SpecialUse::ARCHIVE, "Archiv/Ärger"),
        ],
        subscriptions: vec!["Gone".into()],
        acls: vec![
            AclEntry {
                folder_id: 1,
                identifier: "anyone".into(),
                rights: "p".into(),
            },
            AclEntry {
                folder_id: 1,
                identifier: "-bob".into(),
                rights: "lrswipkxtea".into(),
            },
        ],
        last_uidvalidity: 0,
        unknown: vec![unknown()],
    };
    [min, typical, max]
}

/// Forwarding databases: minimal, typical, maximal.
pub fn forwardings() -> [ForwardingDb; 3] {
    let f = |name: &str, to: &[&str]| Forwarding {
        flags: ForwardFlags::default(),
        name: name.into(),
        addresses: to.iter().map(|s| (*s).into()).collect(),
    };
    let typical = ForwardingDb {
        entries: vec![
            f("postmaster", &["john"]),
            f("sales", &["john", "mary", "boss@example.org"]),
        ],
        unknown: vec![],
    };
    let max = ForwardingDb {
        entries: vec![
            Forwarding {
                flags: ForwardFlags(0xFFFF_FFFF),
                ..f("a", &["b"])
            },
            f("jürgen@example.com", &["jürgen", "juergen@example.net"]),
        ],
        unknown: vec![unknown()],
    };
    [ForwardingDb::default(), typical, max]
}

/// Group trees: minimal, typical, maximal.
pub fn group_trees() -> [GroupTree; 3] {
    let g = |name: &str, parent: &str, d: &str| Group {
        name: name.into(),
        parent: parent.into(),
        description: d.into(),
    };
    let typical = GroupTree {
        groups: vec![
            g("staff", "", "All staff"),
            g("sales", "staff", "Sales"),
            g("emea", "sales", "Sales, Europe"),
        ],
        unknown: vec![],
    };
    let max = GroupTree {
        groups: vec![
            g("a", "", ""),
            g("b", "a", "Bürö"),
            g("c", "b", ""),
            g("d", "a", ""),
        ],
        unknown: vec![unknown()],
    };
    [GroupTree::default(), typical, max]
}

/// Vacation states: minimal, typical, maximal.
pub fn vacation_states() -> [VacationState; 3] {
    let typical = VacationState {
        sent: vec![Sent {
            last_sent: T0,
            address: "bob@example.org".into(),
        }],
        unknown: vec![],
    };
    let max = VacationState {
        sent: vec![
            Sent {
                last_sent: i64::MIN,
                address: String::new(),
            },
            Sent {
                last_sent: i64::MAX,
                address: "ärger@example.org".into(),
            },
        ],
        unknown: vec![unknown()],
    };
    [VacationState::default(), typical, max]
}

/// A small message, as delivered over LMTP.
pub const TYPICAL_BODY: &[u8] = b"From: Bob <bob@example.org>\r\n\
To: john@example.com\r\n\
Subject: Hello\r\n\
Message-ID: <1@example.org>\r\n\
\r\n\
Hi John,\r\n\
.dot line\r\n\
..two dots\r\n\
Bye.\r\n";

/// Message files: minimal, typical, maximal.
pub fn messages() -> [MessageFile; 3] {
    let min = MessageFile::new(MessageHeader::default(), Vec::new());
    let typical = MessageFile::new(
        MessageHeader {
            flags: MessageFlags::default(),
            created: T0,
            recipient_count: 1,
            ref_count: 1,
            channel: "lmtp".into(),
            env_from: "bob@example.org".into(),
            envelope_id: String::new(),
            message_id: "<1@example.org>".into(),
            recipients: vec!["john@example.com".into()],
            imap: ImapData {
                rfc822_size: Some(TYPICAL_BODY.len() as u64),
                envelope: Some(TextBytes(
                    b"(NIL \"Hello\" ((\"Bob\" NIL \"bob\" \"example.org\")) \
((\"Bob\" NIL \"bob\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.org\")) \
((NIL NIL \"john\" \"example.com\")) NIL NIL NIL \"<1@example.org>\")"
                        .to_vec(),
                )),
                body: Some(TextBytes(
                    b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 39 4)"
                        .to_vec(),
                )),
                bodystructure: Some(TextBytes(
                    b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 39 4 NIL NIL NIL NIL)"
                        .to_vec(),
                )),
                parts: vec![Part {
                    path: vec![],
                    header_offset: 0,
                    header_length: 98,
                    body_offset: 98,
                    body_length: 39,
                    body_lines: 4,
                    decoded_size: None,
                    flags: PartFlags::default(),
                }],
            },
            unknown: vec![],
        },
        TYPICAL_BODY.to_vec(),
    );
    // Larger than one block, no final CRLF, 8-bit, a dot line at offset 0.
    let mut body = b".starts with a dot\r\n".to_vec();
    for i in 0..40 {
        body.extend_from_slice(format!("line {i} \u{e4}\u{f6}\u{fc}\r\n").as_bytes());
    }
    body.extend_from_slice(b"no final line end");
    let max = MessageFile::new(
        MessageHeader {
            flags: MessageFlags::EIGHT_BIT | MessageFlags(0x8000),
            created: -1,
            recipient_count: 3,
            ref_count: u32::MAX,
            channel: "deliver".into(),
            env_from: String::new(),
            envelope_id: "ENV-1".into(),
            message_id: String::new(),
            recipients: vec!["a@x".into(), "b@x".into(), "c@x".into()],
            imap: ImapData {
                rfc822_size: Some(u64::MAX),
                envelope: Some(TextBytes(Vec::new())),
                body: None,
                bodystructure: Some(TextBytes(b"(\"X\")".to_vec())),
                parts: vec![
                    Part {
                        path: vec![1],
                        decoded_size: Some(12),
                        flags: PartFlags::MESSAGE_RFC822,
                        ..Part::default()
                    },
                    Part {
                        path: vec![1, 2, u32::MAX],
                        header_offset: u64::MAX,
                        flags: PartFlags(0xFFFF_FFFF),
                        ..Part::default()
                    },
                ],
            },
            unknown: vec![unknown()],
        },
        body,
    );
    [min, typical, max]
}

/// POP3 UIDL maps (SPEC.md 9.1): minimal, typical, maximal.
pub fn pop_uidls() -> [crate::pop_uidls::PopUidls; 3] {
    use crate::pop_uidls::{PopUidl, PopUidls};
    let min = PopUidls {
        folder_id: 1,
        uidvalidity: 1,
        ..PopUidls::default()
    };
    let typical = PopUidls {
        folder_id: 1,
        uidvalidity: T0 as u32,
        entries: (1..=3)
            .map(|k| PopUidl {
                uid: k,
                message: MessageId(0x0100_0000_0000_0000 + u64::from(k)),
                uidl: format!("M04000000000{k:X}.{k}"),
            })
            .collect(),
        unknown: Vec::new(),
    };
    let max = PopUidls {
        folder_id: u32::MAX,
        uidvalidity: u32::MAX,
        entries: vec![
            PopUidl {
                uid: 1,
                message: MessageId(u64::MAX),
                uidl: "!".repeat(70),
            },
            PopUidl {
                uid: u32::MAX - 1,
                message: MessageId(0),
                uidl: "~".into(),
            },
        ],
        unknown: vec![crate::container::UnknownRecord {
            rtype: 0x7FFF,
            data: crate::types::HexBytes(vec![1, 2, 3]),
        }],
    };
    [min, typical, max]
}
