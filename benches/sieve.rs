//! Scripts executed per second: a 30-rule script over a 10 KiB message.
//! Run with `cargo bench --bench sieve`; the figure is the reciprocal of
//! the time per iteration (one parse of the message and one run).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use popstore::sieve::{self, Env, Limits, Message};

fn script() -> String {
    let mut s = String::from(
        "require [\"fileinto\",\"envelope\",\"body\",\"variables\",\"relational\",\"imap4flags\",\
         \"subaddress\",\"date\",\"comparator-i;ascii-numeric\",\"copy\",\"vacation\"];\n",
    );
    let rules = [
        "if header :contains \"subject\" \"invoice-{n}\" { fileinto \"Invoices/{n}\"; stop; }",
        "if address :domain :is \"from\" \"partner{n}.example\" { fileinto \"Partners\"; }",
        "if header :matches \"list-id\" \"*<list{n}.*>\" { fileinto \"Lists/${1}\"; }",
        "if header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"{n}0\" { addflag \"$Junk{n}\"; }",
        "if envelope :detail :is \"to\" \"tag{n}\" { fileinto \"Tag{n}\"; }",
        "if body :contains \"unsubscribe-{n}\" { fileinto \"Bulk\"; }",
        "if anyof (header :is \"x-mailer\" \"bot{n}\", exists \"x-bot-{n}\") { discard; }",
        "if date :value \"lt\" \"date\" \"year\" \"19{n}\" { addflag \"old\"; }",
        "if allof (header :contains \"from\" \"boss{n}\", not header :contains \"subject\" \"fyi\") { addflag \"\\\\Flagged\"; }",
        "if size :over {n}00K { fileinto \"Large\"; }",
    ];
    for n in 0..30 {
        s.push_str(&rules[n % rules.len()].replace("{n}", &format!("{}", n + 10)));
        s.push('\n');
    }
    s.push_str("if header :contains \"subject\" \"holiday\" { vacation :days 7 \"away\"; }\n");
    s
}

fn message() -> Vec<u8> {
    let mut m = String::from(
        "Return-Path: <alice@example.com>\r\nReceived: from a by b; Tue, 3 Mar 2026 10:15:30 +0100\r\n\
         Date: Tue, 3 Mar 2026 10:12:45 +0100\r\nFrom: Alice <alice@example.com>\r\n\
         To: Bob <bob+work@example.org>\r\nSubject: Quarterly numbers\r\nX-Spam-Score: 3\r\n\
         Message-ID: <bench@example.com>\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
    );
    let mut i = 0;
    while m.len() < 10 * 1024 {
        m.push_str(&format!(
            "Line {i}: the quarterly numbers look fine, nothing to report here.\r\n"
        ));
        i += 1;
    }
    m.into_bytes()
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let src = script();
    let compiled = sieve::compile(&src, &limits).expect("the benchmark script compiles");
    let raw = message();
    let exists = |_: &str| true;
    let mut g = c.benchmark_group("sieve");
    g.throughput(Throughput::Elements(1));
    g.bench_function("30 rules, 10 KiB message", |b| {
        b.iter(|| {
            let msg = Message::parse(&raw, "alice@example.com", "bob+work@example.org");
            let env = Env {
                now: 1_780_000_000,
                local_offset: 0,
                limits: &limits,
                mailbox_exists: &exists,
                separator: '+',
            };
            sieve::run(&compiled, &msg, &env).expect("runs")
        })
    });
    g.bench_function("compile 30 rules", |b| {
        b.iter(|| sieve::compile(&src, &limits).expect("compiles"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
