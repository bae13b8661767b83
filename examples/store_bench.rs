//! Store engine benchmarks (run by `bench/accounts.sh`; not a test).
//!
//! `store_bench lookup DIR N [LOOKUPS]`: makes a store in DIR with N
//! accounts (the profiles are written straight to the Linux layout without
//! an fsync each, to keep the setup short; lookups don't care how they
//! were written), then times LOOKUPS random account validations
//! (`check_recipient`, what LMTP does at RCPT TO) and profile reads.
//!
//! `store_bench deliver DIR MESSAGES RECIPIENTS SIZE`: times in-process
//! single-copy deliveries through the engine on the Linux backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use popstore::delivery::{AcceptedRecipient, Delivery, Envelope};
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Profile, Settings, Store, StoreType};
use popstore_formats::StoreFile;
use popstore_formats::layout::linux_relative;

fn store_at(dir: &Path) -> Store {
    let fs = Arc::new(popstore_platform_linux::linux(vec![dir.to_path_buf()]));
    match Store::open(fs.clone()) {
        Ok(s) => s,
        Err(_) => {
            std::fs::create_dir_all(dir).expect("create the store directory");
            Store::init(fs, Settings::default()).expect("init")
        }
    }
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn lookup(dir: PathBuf, n: u64, lookups: u64) {
    let store = store_at(&dir);
    let t = Instant::now();
    let mut made = 0u64;
    for i in 0..n {
        let name = store.name(&format!("u{i}")).expect("name");
        let path = dir.join(linux_relative(&store.paths().profile(&name)));
        if path.exists() {
            continue;
        }
        let p = Profile::template(&name, StoreType::Pop);
        let bytes = popstore::store::disk::profile_to(&p)
            .encode()
            .expect("encode");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, bytes).expect("write");
        made += 1;
    }
    eprintln!("setup: {made} profiles written in {:.1?}", t.elapsed());
    let env = Envelope::default();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    // Cold: random names of the whole store, each most likely read from
    // disk for the first time (how much of the tree the OS caches is what
    // differs between store sizes).
    let t = Instant::now();
    for _ in 0..lookups {
        let i = xorshift(&mut seed) % n;
        store
            .check_recipient(&env, &format!("u{i}@localhost"), 4096)
            .expect("known account");
    }
    let cold = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    // Warm: a working set of 10,000 active accounts (the same size in
    // every store), touched once, then random lookups within it: the
    // engine's own cost of a lookup, which the hashed tree keeps constant.
    let ws = n.min(10_000);
    let stride = n / ws;
    let pick = |k: u64| format!("u{}@localhost", (k % ws) * stride);
    for k in 0..ws {
        store
            .check_recipient(&env, &pick(k), 4096)
            .expect("known account");
    }
    let t = Instant::now();
    for _ in 0..lookups {
        store
            .check_recipient(&env, &pick(xorshift(&mut seed)), 4096)
            .expect("known account");
    }
    let warm = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    let t = Instant::now();
    for _ in 0..lookups {
        let k = xorshift(&mut seed) % ws;
        assert!(
            store
                .check_recipient(&env, &format!("nobody{k}"), 1)
                .is_err()
        );
    }
    let unknown = t.elapsed().as_secs_f64() * 1e6 / lookups as f64;
    println!(
        "accounts={n} lookups={lookups} validate_warm_us={warm:.1} validate_cold_us={cold:.1} unknown_us={unknown:.1}"
    );
}

fn deliver(dir: PathBuf, messages: u64, rcpts: u64, size: usize) {
    let store = store_at(&dir);
    for i in 0..rcpts {
        let _ = store.create_account(&Actor::Admin, &format!("r{i}"), &AccountChanges::default());
    }
    let env = Envelope {
        mail_from: "bench@example.org".into(),
        channel: "bench".into(),
        ..Envelope::default()
    };
    let mut msg = b"Subject: bench\r\n\r\n".to_vec();
    while msg.len() < size {
        msg.extend_from_slice(
            b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu\r\n",
        );
    }
    msg.truncate(size);
    let to: Vec<AcceptedRecipient> = (0..rcpts)
        .map(|i| {
            store
                .check_recipient(&env, &format!("r{i}"), size as u64)
                .expect("rcpt")
        })
        .collect();
    let t = Instant::now();
    for _ in 0..messages {
        let r = store.deliver(&env, &to, &msg);
        assert!(r.iter().all(|r| r.is_ok()));
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "messages={messages} recipients={rcpts} size={size} msgs_per_s={:.1} seconds={s:.2}",
        messages as f64 / s
    );
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let num = |i: usize, d: u64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match a.get(1).map(String::as_str) {
        Some("lookup") if a.len() >= 4 => {
            lookup(PathBuf::from(&a[2]), num(3, 10_000), num(4, 20_000))
        }
        Some("deliver") if a.len() >= 3 => deliver(
            PathBuf::from(&a[2]),
            num(3, 1000),
            num(4, 1),
            num(5, 4096) as usize,
        ),
        _ => {
            eprintln!(
                "usage: store_bench lookup DIR N [LOOKUPS] | deliver DIR MESSAGES RECIPIENTS SIZE"
            );
            std::process::exit(2);
        }
    }
}
