//! The sample store (`stores/sample/`, Linux layout): accounts in nested
//! groups, a `default` account, forwardings, one message shared by three
//! popstore recipients, a MessageStore user with several folders. Made
//! once by `generate-fixtures`; `popstore verify` finds it clean.

use std::collections::BTreeMap;

use popstore_formats::StoreFile;
use popstore_formats::descriptor::{NameStyle, RootRoles, StoreDescriptor, StoreFlags, StoreRoot};
use popstore_formats::folder::{FolderEntry, FolderIndex, SystemFlags};
use popstore_formats::forward::{ForwardFlags, Forwarding, ForwardingDb};
use popstore_formats::groups::{Group, GroupTree};
use popstore_formats::imap::ImapData;
use popstore_formats::layout::{Fanout, Layout, MessageId, UserDir, linux_relative};
use popstore_formats::mailboxes::{Mailbox, MailboxFlags, MailboxList, SpecialUse};
use popstore_formats::message::{MessageFile, MessageHeader};
use popstore_formats::msglist::{Entry, EntryFlags, MessageList};
use popstore_formats::profile::{
    AccountFlags, Counters, Identity, Profile, Quota, StoreType, Times, Vacation, VacationFlags,
    Verifiers,
};
use popstore_formats::samples::T0;
use popstore_formats::types::{HexBytes, Secret};
use popstore_formats::vacation::{Sent, VacationState};

/// The sample store's descriptor.
pub fn descriptor() -> StoreDescriptor {
    StoreDescriptor {
        store_id: HexBytes(b"popstore-sample!".to_vec()),
        created: T0,
        fanout: Fanout::default(),
        name_style: NameStyle::LOGIN,
        max_name_len: 32,
        flags: StoreFlags::default(),
        charset: "utf-8".into(),
        roots: vec![StoreRoot {
            index: 0,
            roles: RootRoles::USERS | RootRoles::MESSAGES,
            label: "SAMPLE".into(),
            linux_dir: String::new(),
            openvms_dir: String::new(),
        }],
        domains: vec![],
        unknown: vec![],
    }
}

fn body(from: &str, to: &str, subject: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\n\
         Message-ID: <{subject}@example.org>\r\n\r\n{text}"
    )
    .into_bytes()
}

fn message(n: u64, recipients: &[&str], subject: &str, text: &str) -> (MessageId, MessageFile) {
    let b = body(
        "Bob <bob@example.org>",
        &recipients.join(", "),
        subject,
        text,
    );
    let m = MessageFile::new(
        MessageHeader {
            created: T0 + n as i64,
            recipient_count: recipients.len() as u32,
            ref_count: recipients.len() as u32,
            channel: "lmtp".into(),
            env_from: "bob@example.org".into(),
            message_id: format!("<{subject}@example.org>"),
            recipients: recipients
                .iter()
                .map(|r| format!("{r}@example.com"))
                .collect(),
            imap: ImapData {
                rfc822_size: Some(b.len() as u64),
                ..ImapData::default()
            },
            ..MessageHeader::default()
        },
        b,
    );
    (MessageId(0x0000_0193_0000_0000 + n), m)
}

fn profile(name: &str, owner: &str, group: &str, st: StoreType, sizes: &[u64]) -> Profile {
    Profile {
        identity: Identity {
            username: name.into(),
            owner: owner.into(),
            group: group.into(),
            domain: String::new(),
            store_type: st,
            flags: AccountFlags::default(),
        },
        times: Times {
            created: Some(T0 - 86400),
            last_password_change: Some(T0 - 86400),
            ..Times::default()
        },
        counters: Counters {
            message_count: sizes.len() as u64,
            received_messages: sizes.len() as u64,
            received_bytes: sizes.iter().sum(),
            quota_used: sizes.iter().sum(),
            ..Counters::default()
        },
        quota: Quota {
            primary: Some(10_000_000),
            overdraft: Some(1_000_000),
        },
        verifiers: Verifiers {
            argon2id: Some(Secret(
                format!("$argon2id$v=19$m=19456,t=2,p=1$c2FtcGxl${name}").into_bytes(),
            )),
            ..Verifiers::default()
        },
        ..Profile::default()
    }
}

fn list(entries: &[(MessageId, &MessageFile)]) -> MessageList {
    MessageList {
        next_uidl: entries.len() as u64 + 1,
        entries: entries
            .iter()
            .enumerate()
            .map(|(i, (id, m))| Entry {
                message: *id,
                size: m.info.length,
                delivered: Some(m.header.created),
                flags: if i == 0 {
                    EntryFlags::SEEN
                } else {
                    EntryFlags::default()
                },
                uidl: format!("!!!!{:05}", i + 1),
            })
            .collect(),
        released: Vec::new(),
        unknown: vec![],
    }
}

fn folder(id: u32, name: &str, msgs: &[(MessageId, &MessageFile)]) -> FolderIndex {
    FolderIndex {
        folder_id: id,
        uidvalidity: 1_795_000_000 + id,
        uidnext: msgs.len() as u32 + 1,
        highestmodseq: msgs.len() as u64,
        name: name.into(),
        keywords: if msgs.is_empty() {
            vec![]
        } else {
            vec!["$Forwarded".into()]
        },
        entries: msgs
            .iter()
            .enumerate()
            .map(|(i, (mid, m))| FolderEntry {
                uid: i as u32 + 1,
                flags: SystemFlags::SEEN,
                internal_date: m.header.created,
                size: m.info.length,
                modseq: i as u64 + 1,
                message: *mid,
                keywords: if i == 0 { vec![0] } else { vec![] },
            })
            .collect(),
        expunges: None,
        unknown: vec![],
    }
}

/// Writes an account's profile and message list; returns its subtree.
fn user(
    out: &mut BTreeMap<String, Vec<u8>>,
    layout: &Layout,
    name: &str,
    p: Profile,
    l: Option<MessageList>,
) -> UserDir {
    let dir = layout.user_dir(name).expect("sample names are valid");
    out.insert(linux_relative(&dir.profile()), p.encode().unwrap());
    if let Some(l) = l {
        out.insert(linux_relative(&dir.message_list()), l.encode().unwrap());
    }
    dir
}

/// Every file of the sample store: Linux path below the store directory,
/// and bytes.
pub fn files() -> BTreeMap<String, Vec<u8>> {
    let d = descriptor();
    let layout: Layout = d.layout();
    let mut out = BTreeMap::new();
    out.insert(linux_relative(&Layout::descriptor()), d.encode().unwrap());

    let g = |name: &str, parent: &str, description: &str| Group {
        name: name.into(),
        parent: parent.into(),
        description: description.into(),
    };
    let groups = GroupTree {
        groups: vec![
            g("staff", "", "All staff"),
            g("sales", "staff", "Sales"),
            g("emea", "sales", "Sales, Europe"),
            g("support", "staff", "Support"),
        ],
        unknown: vec![],
    };
    out.insert(linux_relative(&Layout::groups()), groups.encode().unwrap());

    let f = |name: &str, to: &[&str]| Forwarding {
        flags: ForwardFlags::default(),
        name: name.into(),
        addresses: to.iter().map(|s| (*s).into()).collect(),
    };
    let fw = ForwardingDb {
        entries: vec![
            f("mary", &["mary", "mary@home.example"]),
            f("postmaster", &["john"]),
            f("sales", &["john", "mary", "boss@example.org"]),
        ],
        unknown: vec![],
    };
    out.insert(linux_relative(&Layout::forwarding()), fw.encode().unwrap());

    // Messages. M1 is shared by three popstore recipients.
    let (id1, m1) = message(
        1,
        &["john", "mary", "pete"],
        "shared",
        "For all three of you.\r\n",
    );
    let (id2, m2) = message(
        2,
        &["john"],
        "john-only",
        "Just for John.\r\n.signature\r\n",
    );
    let (id3, m3) = message(3, &["sue"], "inbox", "Sue's inbox message.\r\n");
    let (id4, m4) = message(4, &["sue"], "work", "Quarterly report.\r\n");
    let (id5, m5) = message(5, &["sue"], "sent", "Sent by Sue (a copy).\r\n");
    let (id6, m6) = message(6, &["j.smith"], "smith", "Hello J.\r\n");
    for (id, m) in [
        (id1, &m1),
        (id2, &m2),
        (id3, &m3),
        (id4, &m4),
        (id5, &m5),
        (id6, &m6),
    ] {
        out.insert(
            linux_relative(&layout.message_file(id)),
            m.encode().unwrap(),
        );
    }
    let size = |m: &MessageFile| m.info.length;

    // popstore accounts.
    let mut default = profile("default", "Template account", "", StoreType::POP, &[]);
    default.verifiers = Verifiers::default();
    user(
        &mut out,
        &layout,
        "default",
        default,
        Some(MessageList::default()),
    );
    user(
        &mut out,
        &layout,
        "john",
        profile(
            "john",
            "John Smith",
            "sales",
            StoreType::POP,
            &[size(&m1), size(&m2)],
        ),
        Some(list(&[(id1, &m1), (id2, &m2)])),
    );
    let mut mary = profile("Mary", "Mary Jones", "emea", StoreType::POP, &[size(&m1)]);
    mary.identity.flags = AccountFlags::MANAGE;
    mary.vacation = Some(Vacation {
        flags: VacationFlags::ENABLED,
        start: Some(T0),
        end: Some(T0 + 7 * 86400),
        interval_seconds: 7 * 86400,
        subject: "Away".into(),
        text: "Back next week.\r\n".into(),
        addresses: vec![],
    });
    let mary_dir = user(&mut out, &layout, "mary", mary, Some(list(&[(id1, &m1)])));
    let vs = VacationState {
        sent: vec![Sent {
            last_sent: T0 + 1,
            address: "bob@example.org".into(),
        }],
        unknown: vec![],
    };
    out.insert(
        linux_relative(&mary_dir.vacation_state()),
        vs.encode().unwrap(),
    );
    user(
        &mut out,
        &layout,
        "pete",
        profile(
            "pete",
            "Pete Brown",
            "support",
            StoreType::POP,
            &[size(&m1)],
        ),
        Some(list(&[(id1, &m1)])),
    );
    user(
        &mut out,
        &layout,
        "j.smith",
        profile("J.Smith", "Jo Smith", "staff", StoreType::POP, &[size(&m6)]),
        Some(list(&[(id6, &m6)])),
    );

    // A MessageStore user with several folders.
    let sue_sizes = [size(&m3), size(&m4), size(&m5)];
    let mut sue = profile("sue", "Sue White", "support", StoreType::IMAP, &sue_sizes);
    sue.counters.message_count = 0;
    sue.sieve_script = Some("main".into());
    let sue_dir = user(&mut out, &layout, "sue", sue, None);
    let mb = |id, su, flags, name: &str| Mailbox {
        folder_id: id,
        special_use: su,
        flags,
        name: name.into(),
    };
    let none = MailboxFlags::default();
    let mboxes = MailboxList {
        next_folder_id: 6,
        mailboxes: vec![
            mb(1, SpecialUse::NONE, none, "INBOX"),
            mb(2, SpecialUse::NONE, MailboxFlags::NOSELECT, "Work"),
            mb(3, SpecialUse::NONE, none, "Work/2026"),
            mb(4, SpecialUse::SENT, none, "Sent"),
            mb(5, SpecialUse::TRASH, none, "Trash"),
        ],
        subscriptions: vec!["INBOX".into(), "Work/2026".into(), "Sent".into()],
        acls: vec![],
        last_uidvalidity: 0,
        unknown: vec![],
    };
    out.insert(
        linux_relative(&sue_dir.mailbox_list()),
        mboxes.encode().unwrap(),
    );
    for f in [
        folder(1, "INBOX", &[(id3, &m3)]),
        folder(3, "Work/2026", &[(id4, &m4)]),
        folder(4, "Sent", &[(id5, &m5)]),
        folder(5, "Trash", &[]),
    ] {
        out.insert(
            linux_relative(&sue_dir.folder_index(f.folder_id)),
            f.encode().unwrap(),
        );
    }
    out
}
