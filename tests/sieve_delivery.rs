//! Delivery semantics of Sieve outcomes: implicit keep, folders, refusal,
//! redirect loop protection, and vacation replies under RFC 3834/5230.

use popstore::sieve::plan::{self, AccountKind, Folder, Input, REDIRECT_HEADER};
use popstore::sieve::vacation::{MemoryTracker, User};
use popstore::sieve::{self, Env, Limits, Message};

const MSG: &str = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Meeting tomorrow\r\nMessage-ID: <m1@example.com>\r\nReferences: <m0@example.com>\r\n\r\nHello\r\n";
const NOW: i64 = 1_780_000_000;

fn run_plan(
    script: &str,
    raw: &str,
    from: &str,
    kind: AccountKind,
    tracker: &mut MemoryTracker,
    now: i64,
) -> plan::Plan {
    let limits = Limits::default();
    let s = sieve::compile(script, &limits).expect("script compiles");
    let msg = Message::parse(raw.as_bytes(), from, "bob@example.org");
    let exists = |_: &str| true;
    let env = Env {
        now,
        local_offset: 0,
        limits: &limits,
        mailbox_exists: &exists,
        separator: '+',
    };
    let own = vec!["robert@example.org".to_string()];
    plan::plan(
        sieve::run(&s, &msg, &env),
        Input {
            msg: &msg,
            user: User {
                recipient: "bob@example.org",
                own: &own,
            },
            kind,
            now,
            tracker,
        },
    )
}

fn simple(script: &str) -> plan::Plan {
    run_plan(
        script,
        MSG,
        "alice@example.com",
        AccountKind::MessageStore,
        &mut MemoryTracker::default(),
        NOW,
    )
}

#[test]
fn implicit_keep_and_discard() {
    let p = simple("");
    assert_eq!(p.stores.len(), 1);
    assert_eq!(p.stores[0].folder, Folder::Inbox);
    assert!(simple("discard;").stores.is_empty());
}

#[test]
fn runtime_error_falls_back_to_implicit_keep() {
    let p = simple(
        "redirect \"a@x.org\"; redirect \"b@x.org\"; redirect \"c@x.org\"; redirect \"d@x.org\"; redirect \"e@x.org\";",
    );
    assert!(p.forwards.is_empty());
    assert_eq!(p.stores.len(), 1);
    assert!(p.notes[0].contains("runtime error"), "{:?}", p.notes);
}

#[test]
fn fileinto_goes_to_folders_or_the_single_maildrop() {
    let script = "require [\"fileinto\",\"imap4flags\"]; fileinto :flags \"\\\\Seen\" \"Work\"; fileinto \"Archive\";";
    let p = simple(script);
    assert_eq!(
        p.stores
            .iter()
            .map(|s| s.folder.clone())
            .collect::<Vec<_>>(),
        vec![
            Folder::Named("Work".into()),
            Folder::Named("Archive".into())
        ]
    );
    assert_eq!(p.stores[0].flags, vec!["\\Seen".to_string()]);
    let p = run_plan(
        script,
        MSG,
        "alice@example.com",
        AccountKind::Popstore,
        &mut MemoryTracker::default(),
        NOW,
    );
    assert_eq!(p.stores.len(), 1, "a popstore account has one maildrop");
    assert_eq!(p.stores[0].folder, Folder::Inbox);
}

#[test]
fn reject_refuses_with_550_5_7_1_and_stores_nothing() {
    let p = simple("require \"reject\"; reject \"I do not want this.\";");
    assert!(p.stores.is_empty());
    assert_eq!(
        p.refusal.expect("refusal").to_string(),
        "550 5.7.1 I do not want this."
    );
    let p = simple("require \"ereject\"; ereject text:\nno\nthanks\n.\n;");
    assert_eq!(
        p.refusal.expect("refusal").to_string(),
        "550 5.7.1 no thanks"
    );
}

#[test]
fn redirect_keeps_the_sender_and_marks_the_message() {
    let p = simple("redirect \"carol@example.net\";");
    assert!(p.stores.is_empty());
    assert_eq!(p.forwards.len(), 1);
    assert_eq!(p.forwards[0].to, "carol@example.net");
    assert_eq!(p.forwards[0].mail_from, "alice@example.com");
    assert_eq!(
        p.forwards[0].prepend,
        format!("{REDIRECT_HEADER}: <bob@example.org>\r\n")
    );
}

#[test]
fn redirect_loop_is_dropped_and_the_message_kept() {
    let looped = format!("{REDIRECT_HEADER}: <bob@example.org>\r\n{MSG}");
    let p = run_plan(
        "redirect \"carol@example.net\";",
        &looped,
        "alice@example.com",
        AccountKind::MessageStore,
        &mut MemoryTracker::default(),
        NOW,
    );
    assert!(p.forwards.is_empty());
    assert_eq!(p.stores.len(), 1, "nothing is lost");
    assert!(p.notes.iter().any(|n| n.contains("loop")));
}

const VAC: &str = "require \"vacation\"; vacation :days 2 \"I am away.\";";

#[test]
fn vacation_reply_follows_rfc_3834() {
    let p = simple(VAC);
    assert_eq!(p.stores.len(), 1, "vacation keeps the implicit keep");
    assert_eq!(p.replies.len(), 1);
    let r = &p.replies[0];
    assert_eq!(r.mail_from, "", "auto replies use the null sender");
    assert_eq!(r.rcpt_to, vec!["alice@example.com".to_string()]);
    let text = String::from_utf8(r.data.clone()).expect("utf-8");
    for want in [
        "From: bob@example.org\r\n",
        "To: <alice@example.com>\r\n",
        "Subject: Auto: Meeting tomorrow\r\n",
        "In-Reply-To: <m1@example.com>\r\n",
        "References: <m0@example.com> <m1@example.com>\r\n",
        "Auto-Submitted: auto-replied",
        "\r\n\r\nI am away.\r\n",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
}

#[test]
fn vacation_subject_and_from_arguments() {
    let p = simple(
        "require \"vacation\"; vacation :subject \"Abwesend: Büro\" :from \"Bob <bob@example.org>\" \"x\";",
    );
    let text = String::from_utf8(p.replies[0].data.clone()).expect("utf-8");
    assert!(text.contains("Subject: =?utf-8?b?"), "{text}");
    assert!(text.contains("From: Bob <bob@example.org>\r\n"), "{text}");
}

#[test]
fn vacation_once_per_sender_per_period() {
    let mut t = MemoryTracker::default();
    let send = |t: &mut MemoryTracker, from: &str, now: i64| {
        run_plan(VAC, MSG, from, AccountKind::MessageStore, t, now)
            .replies
            .len()
    };
    assert_eq!(send(&mut t, "alice@example.com", NOW), 1);
    assert_eq!(
        send(&mut t, "alice@example.com", NOW + 3600),
        0,
        "within two days"
    );
    assert_eq!(
        send(&mut t, "ALICE@example.com", NOW + 3600),
        0,
        "same sender, other case"
    );
    assert_eq!(
        send(&mut t, "dave@example.com", NOW + 3600),
        1,
        "another sender"
    );
    assert_eq!(
        send(&mut t, "alice@example.com", NOW + 2 * 86_400 + 1),
        1,
        "after the period"
    );
}

#[test]
fn vacation_never_to_lists_bots_bounces_or_self() {
    let cases: &[(&str, &str)] = &[
        ("Auto-Submitted: auto-replied\r\n", "alice@example.com"),
        ("Auto-Submitted: auto-generated\r\n", "alice@example.com"),
        ("Precedence: bulk\r\n", "alice@example.com"),
        ("Precedence: list\r\n", "alice@example.com"),
        ("Precedence: junk\r\n", "alice@example.com"),
        ("List-Id: <x.lists.example.com>\r\n", "alice@example.com"),
        (
            "List-Unsubscribe: <mailto:x@example.com>\r\n",
            "alice@example.com",
        ),
        ("", ""),
        ("", "MAILER-DAEMON@example.com"),
        ("", "owner-list@example.com"),
        ("", "list-request@example.com"),
        ("", "bob@example.org"),
        ("", "robert@example.org"),
    ];
    for (extra, from) in cases {
        let raw = format!("{extra}{MSG}");
        let p = run_plan(
            VAC,
            &raw,
            from,
            AccountKind::MessageStore,
            &mut MemoryTracker::default(),
            NOW,
        );
        assert!(p.replies.is_empty(), "replied for {extra:?} from {from:?}");
        assert!(
            p.notes
                .iter()
                .any(|n| n.starts_with("vacation reply not sent")),
            "{:?}",
            p.notes
        );
    }
    let ok = format!("Auto-Submitted: no\r\n{MSG}");
    let p = run_plan(
        VAC,
        &ok,
        "alice@example.com",
        AccountKind::MessageStore,
        &mut MemoryTracker::default(),
        NOW,
    );
    assert_eq!(p.replies.len(), 1, "Auto-Submitted: no is a person");
}

#[test]
fn vacation_needs_the_user_among_the_recipients() {
    let raw = MSG.replace("To: Bob <bob@example.org>", "To: someone@example.org");
    let p = run_plan(
        VAC,
        &raw,
        "alice@example.com",
        AccountKind::MessageStore,
        &mut MemoryTracker::default(),
        NOW,
    );
    assert!(p.replies.is_empty());
    let with_addr = "require \"vacation\"; vacation :addresses \"someone@example.org\" \"x\";";
    let p = run_plan(
        with_addr,
        &raw,
        "alice@example.com",
        AccountKind::MessageStore,
        &mut MemoryTracker::default(),
        NOW,
    );
    assert_eq!(p.replies.len(), 1, ":addresses adds the user's addresses");
}
