//! Writes a synthetic store (Linux layout) for measuring `popstore verify`:
//! N popstore accounts with M messages each, every message shared by two
//! consecutive accounts. Reference counts and usage are exact, so verify
//! finds it clean.
//!
//!     cargo run --release -p popstore-conformance --example big_store -- DIR 10000 4
//!     time popstore verify --store DIR

use std::path::Path;

use popstore_conformance::sample::descriptor;
use popstore_formats::StoreFile;
use popstore_formats::imap::ImapData;
use popstore_formats::layout::{Layout, MessageId, linux_relative};
use popstore_formats::message::{MessageFile, MessageHeader};
use popstore_formats::msglist::{Entry, EntryFlags, MessageList};
use popstore_formats::profile::{Counters, Identity, Profile, StoreType};

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("a file has a parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(n), Some(m)) = (
        args.get(1),
        args.get(2).and_then(|s| s.parse::<u64>().ok()),
        args.get(3).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: big_store DIR ACCOUNTS MESSAGES_PER_ACCOUNT");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let d = descriptor();
    let layout: Layout = d.layout();
    write(
        dir,
        &linux_relative(&Layout::descriptor()),
        &d.encode().unwrap(),
    );
    // Message j of account i is shared with account i+1 (cyclically):
    // id = i * m + j, referenced by accounts i and i+1.
    let mut bodies = Vec::new();
    for k in 0..m {
        let mut b = format!("From: a@example.org\r\nSubject: message {k}\r\n\r\n").into_bytes();
        b.extend(
            std::iter::repeat_n(b"0123456789abcdef\r\n".as_slice(), 40 + k as usize).flatten(),
        );
        bodies.push(b);
    }
    for i in 0..n {
        for j in 0..m {
            let id = MessageId::new(0, i * m + j + 1);
            let body = bodies[j as usize].clone();
            let f = MessageFile::new(
                MessageHeader {
                    created: 1_795_348_800,
                    recipient_count: 2,
                    ref_count: if n > 1 { 2 } else { 1 },
                    channel: "lmtp".into(),
                    env_from: "a@example.org".into(),
                    recipients: vec![format!("u{i}@x"), format!("u{}@x", (i + 1) % n)],
                    imap: ImapData {
                        rfc822_size: Some(body.len() as u64),
                        ..ImapData::default()
                    },
                    ..MessageHeader::default()
                },
                body,
            );
            write(
                dir,
                &linux_relative(&layout.message_file(id)),
                &f.encode().unwrap(),
            );
        }
    }
    for i in 0..n {
        let mut entries = Vec::new();
        let prev = (i + n - 1) % n;
        let owners: Vec<u64> = if n > 1 { vec![prev, i] } else { vec![i] };
        for o in owners {
            for j in 0..m {
                entries.push(Entry {
                    message: MessageId::new(0, o * m + j + 1),
                    size: bodies[j as usize].len() as u64,
                    delivered: Some(1_795_348_800),
                    flags: EntryFlags::default(),
                    uidl: format!("!!!!{o}-{j}"),
                });
            }
        }
        let used: u64 = entries.iter().map(|e| e.size).sum();
        let name = format!("u{i}");
        let p = Profile {
            identity: Identity {
                username: name.clone(),
                store_type: StoreType::POP,
                ..Identity::default()
            },
            counters: Counters {
                message_count: entries.len() as u64,
                quota_used: used,
                ..Counters::default()
            },
            ..Profile::default()
        };
        let u = layout.user_dir(&name).expect("valid name");
        write(dir, &linux_relative(&u.profile()), &p.encode().unwrap());
        let l = MessageList {
            next_uidl: 1,
            entries,
            released: Vec::new(),
            unknown: vec![],
        };
        write(
            dir,
            &linux_relative(&u.message_list()),
            &l.encode().unwrap(),
        );
    }
    println!(
        "wrote {n} accounts and {} message files under {}",
        n * m,
        dir.display()
    );
}
