//! Several IMAP clients on one folder, on two `serve` processes sharing
//! the store, append, flag, copy, move and expunge at random (a seeded
//! sequence), each keeping its own model of the folder from nothing but
//! the untagged responses it gets. After every step a client checks its
//! model against a full `FETCH 1:* (UID FLAGS)`: no client may ever see a
//! state that contradicts what the others did, and no EXPUNGE may come
//! during FETCH or STORE (RFC 9051 7.5.1).

mod common;
#[path = "imap/served.rs"]
mod served;

use std::collections::BTreeSet;

use served::{Raw, Served};

/// A message as a client knows it.
#[derive(Debug, Clone, Default)]
struct Known {
    uid: Option<u32>,
    flags: Option<BTreeSet<String>>,
}

struct Client {
    raw: Raw,
    model: Vec<Known>,
    name: String,
    tags: u32,
}

fn flags_of(s: &str) -> BTreeSet<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// `UID n` and `FLAGS (...)` of a FETCH response's items.
fn items(rest: &str) -> (Option<u32>, Option<BTreeSet<String>>) {
    let uid = rest
        .split("UID ")
        .nth(1)
        .and_then(|x| x.split([' ', ')']).next())
        .and_then(|x| x.parse().ok());
    let flags = rest
        .split("FLAGS (")
        .nth(1)
        .and_then(|x| x.split(')').next())
        .map(flags_of);
    (uid, flags)
}

/// Lines with literals joined into the response they belong to (the
/// literal's bytes left out).
fn joined(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut it = lines.into_iter();
    while let Some(mut l) = it.next() {
        while let Some(n) = l
            .trim_end()
            .strip_suffix('}')
            .and_then(|x| x.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok())
        {
            l = l.trim_end().to_string();
            let mut left = n;
            while left > 0 {
                let Some(part) = it.next() else { break };
                left = left.saturating_sub(part.len());
            }
            l.push_str(&it.next().unwrap_or_default());
        }
        out.push(l);
    }
    out
}

impl Client {
    fn new(addr: std::net::SocketAddr, name: &str, qresync: bool) -> Client {
        let (mut raw, _) = Raw::connect(addr);
        let r = raw.cmd("l", "LOGIN sue sue-pw");
        assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
        let mut c = Client {
            raw,
            model: Vec::new(),
            name: name.into(),
            tags: 0,
        };
        if qresync {
            c.run("ENABLE QRESYNC", true);
        }
        c.run("SELECT INBOX", true);
        // Learn the UIDs (a QRESYNC client must, to follow VANISHED).
        c.check();
        c
    }

    /// Runs a command, applying every untagged response to the model;
    /// `expunge_ok`: the command may carry EXPUNGE. The tagged line.
    fn run(&mut self, cmd: &str, expunge_ok: bool) -> String {
        self.tags += 1;
        let tag = format!("{}{}", self.name, self.tags);
        let lines = joined(self.raw.cmd(&tag, cmd));
        let last = lines.last().cloned().unwrap_or_default();
        for l in &lines[..lines.len().saturating_sub(1)] {
            self.apply(l, expunge_ok, cmd);
        }
        assert!(last.starts_with(&tag), "{}: {cmd}: {lines:?}", self.name);
        last
    }

    fn apply(&mut self, l: &str, expunge_ok: bool, cmd: &str) {
        let who = &self.name;
        let Some(rest) = l.strip_prefix("* ") else {
            return;
        };
        if let Some(set) = rest.strip_prefix("VANISHED ") {
            assert!(expunge_ok, "{who}: VANISHED during {cmd}: {l}");
            assert!(
                !set.starts_with('('),
                "{who}: EARLIER outside SELECT/FETCH: {l}"
            );
            for r in set.trim_end().split(',') {
                let (a, b) = r.split_once(':').unwrap_or((r, r));
                let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                let before = self.model.len();
                self.model
                    .retain(|k| !k.uid.is_some_and(|u| (a.min(b)..=a.max(b)).contains(&u)));
                assert!(
                    self.model.len() < before,
                    "{who}: VANISHED of unknown UIDs: {l}"
                );
            }
            return;
        }
        let mut words = rest.splitn(3, ' ');
        let (Some(n), Some(kind)) = (words.next(), words.next()) else {
            return;
        };
        let Ok(n) = n.parse::<usize>() else { return };
        match kind.trim_end() {
            "EXISTS" => {
                assert!(n >= self.model.len(), "{who}: EXISTS shrank: {l}");
                self.model.resize(n, Known::default());
            }
            "EXPUNGE" => {
                assert!(expunge_ok, "{who}: EXPUNGE during {cmd}: {l}");
                assert!(n >= 1 && n <= self.model.len(), "{who}: {l}");
                self.model.remove(n - 1);
            }
            "FETCH" => {
                assert!(
                    n >= 1 && n <= self.model.len(),
                    "{who}: {l} of {}",
                    self.model.len()
                );
                let (uid, flags) = items(words.next().unwrap_or(""));
                let k = &mut self.model[n - 1];
                if let (Some(u), Some(known)) = (uid, k.uid) {
                    assert_eq!(u, known, "{who}: message {n} renumbered: {l}");
                }
                if uid.is_some() {
                    k.uid = uid;
                }
                if flags.is_some() {
                    k.flags = flags;
                }
            }
            _ => {}
        }
    }

    /// NOOP, then the model must equal a full FETCH.
    fn check(&mut self) {
        self.run("NOOP", true);
        let before = self.model.clone();
        self.tags += 1;
        let tag = format!("{}{}", self.name, self.tags);
        let lines = self.raw.cmd(&tag, "FETCH 1:* (UID FLAGS)");
        let fetched: Vec<&String> = lines.iter().filter(|l| l.contains(" FETCH (")).collect();
        assert_eq!(
            fetched.len(),
            before.len(),
            "{}: the model has {} messages, the folder {}",
            self.name,
            before.len(),
            fetched.len()
        );
        for l in &lines[..lines.len() - 1] {
            self.apply(l, false, "FETCH");
        }
        for (i, (b, now)) in before.iter().zip(&self.model).enumerate() {
            if b.uid.is_some() {
                assert_eq!(b.uid, now.uid, "{}: message {}", self.name, i + 1);
            }
            if b.flags.is_some() {
                assert_eq!(b.flags, now.flags, "{}: flags of {}", self.name, i + 1);
            }
        }
        let uids: Vec<u32> = self.model.iter().map(|k| k.uid.unwrap()).collect();
        assert!(
            uids.windows(2).all(|w| w[0] < w[1]),
            "{}: {uids:?}",
            self.name
        );
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

#[test]
fn clients_on_two_processes_never_contradict_each_other() {
    for seed in [
        0x9e37_79b9_7f4a_7c15,
        0x2545_f491_4f6c_dd1d,
        0x0123_4567_89ab_cdef,
    ] {
        run(seed, 120);
    }
}

fn run(seed: u64, steps: usize) {
    let s = Served::start("");
    for n in 0..6 {
        s.deliver("sue", format!("Subject: seed {n}\r\n\r\nx\r\n").as_bytes());
    }
    let (_other, imap2) = s.another();
    let mut setup = Client::new(s.imap, "s", false);
    setup.run("CREATE Other", true);
    // e and f use QRESYNC: expunges come to them as VANISHED.
    let mut clients: Vec<Client> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .enumerate()
        .map(|(i, n)| Client::new(if i % 2 == 0 { s.imap } else { imap2 }, n, i >= 4))
        .collect();
    let mut rng = Rng(seed);
    let flags = ["\\Seen", "\\Flagged", "\\Answered", "$Work"];
    for step in 0..steps {
        let i = rng.below(clients.len());
        let c = &mut clients[i];
        let n = c.model.len();
        let seq = rng.below(n) + 1;
        let flag = flags[rng.below(flags.len())];
        match rng.below(9) {
            _ if n == 0 => {
                c.run("APPEND INBOX {16+}\r\nSubject: new\r\n\r\n", true);
            }
            0 => {
                let r = c.run(&format!("STORE {seq} +FLAGS ({flag})"), false);
                assert!(r.contains("OK"), "{r}");
            }
            1 => {
                let r = c.run(&format!("STORE {seq} -FLAGS.SILENT ({flag})"), false);
                assert!(r.contains("OK"), "{r}");
                if let Some(f) = c.model[seq - 1].flags.as_mut() {
                    f.remove(flag);
                }
            }
            2 => {
                c.run(&format!("COPY {seq} Other"), true);
            }
            3 => {
                c.run(&format!("MOVE {seq} Other"), true);
            }
            4 => {
                c.run(&format!("STORE {seq} +FLAGS (\\Deleted)"), false);
                c.run("EXPUNGE", true);
            }
            5 => {
                let body = format!("Subject: step {step}\r\n\r\nbody\r\n");
                c.run(&format!("APPEND INBOX {{{}+}}\r\n{body}", body.len()), true);
            }
            6 => {
                // Sets \Seen, and says so.
                let r = c.run(&format!("FETCH {seq} (BODY[TEXT])"), false);
                assert!(r.contains("OK"), "{r}");
            }
            7 => {
                if let Some(uid) = c.model[seq - 1].uid {
                    c.run(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"), true);
                    // (UID commands may carry expunges: find it again.)
                    if let Some(f) = c
                        .model
                        .iter_mut()
                        .find(|k| k.uid == Some(uid))
                        .and_then(|k| k.flags.as_mut())
                    {
                        f.insert("\\Deleted".into());
                    }
                    c.run(&format!("UID EXPUNGE {uid}"), true);
                }
            }
            _ => s.deliver(
                "sue",
                format!("Subject: lmtp {step}\r\n\r\ny\r\n").as_bytes(),
            ),
        }
        c.check();
        // Another client, unprompted, must agree too.
        let j = rng.below(clients.len());
        clients[j].check();
    }
    for c in &mut clients {
        c.check();
    }
    let sizes: Vec<usize> = clients.iter().map(|c| c.model.len()).collect();
    assert!(sizes.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");
}
