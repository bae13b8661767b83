//! Fuzzes the Sieve lexer, parser and checker: any input compiles or gives
//! an error whose line and column lie inside the input; a script that
//! compiles also runs over a small message without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore::sieve::{self, Env, Limits, Message};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let limits = Limits::default();
    match sieve::compile(src, &limits) {
        Err(e) => {
            assert!(e.line >= 1 && e.line <= src.split('\n').count());
            assert!(e.column >= 1);
        }
        Ok(script) => {
            let msg = Message::parse(
                b"From: a@example.com\r\nTo: b+x@example.org\r\nSubject: s\r\nDate: Tue, 3 Mar 2026 10:12:45 +0100\r\n\r\nbody\r\n",
                "a@example.com",
                "b+x@example.org",
            );
            let exists = |_: &str| true;
            let env = Env { now: 0, local_offset: 0, limits: &limits, mailbox_exists: &exists, separator: '+' };
            let _ = sieve::run(&script, &msg, &env);
        }
    }
});
