//! CONDSTORE (RFC 7162 3.1.3): once a client has enabled CONDSTORE, every
//! STORE that changes a message's flags is answered with an untagged
//! FETCH carrying the new MODSEQ, even with `.SILENT` (the client keeps
//! its copy of the mod-sequences current without another FETCH). Found by
//! the Dovecot differential test (tests/imap_dovecot_diff.rs).

mod common;
#[path = "imap/served.rs"]
mod served;

use served::{Raw, Served};

#[test]
fn store_silent_under_condstore_still_reports_the_new_modseq() {
    let s = Served::start("");
    s.deliver("sue", b"Subject: one\r\n\r\nbody\r\n");
    let (mut c, _) = Raw::connect(s.imap);
    c.cmd("a", "LOGIN sue sue-pw");
    c.cmd("b", "ENABLE CONDSTORE");
    c.cmd("c", "SELECT INBOX");
    let r = c.cmd("d", "STORE 1 +FLAGS.SILENT (\\Seen)");
    assert!(r.last().unwrap().starts_with("d OK"), "{r:?}");
    assert!(
        r.iter().any(|l| l.starts_with("* 1 FETCH (")
            && l.contains("MODSEQ (")
            && !l.contains("FLAGS")),
        "no `* 1 FETCH (MODSEQ (n))` after a silent STORE: {r:?}"
    );
    // Without .SILENT the FETCH carries the flags and MODSEQ.
    let r = c.cmd("e", "STORE 1 +FLAGS (\\Flagged)");
    assert!(
        r.iter().any(|l| l.starts_with("* 1 FETCH (")
            && l.contains("MODSEQ (")
            && l.contains("\\Flagged")),
        "{r:?}"
    );
}
