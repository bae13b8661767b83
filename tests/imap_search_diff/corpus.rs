//! The messages the SEARCH/SORT/THREAD tests use (`tests/imap_search.rs`
//! and the Dovecot differential `tests/imap_search_dovecot.rs`).

#![allow(dead_code)] // each test uses part of it

use popstore_formats::folder::SystemFlags;

/// A message, its flags, keywords and INTERNALDATE.
pub type Entry = (Vec<u8>, SystemFlags, Vec<String>, i64);

const DAY: i64 = 86_400;

/// Seconds since the epoch of a UTC date and time.
pub fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    popstore::imap::types::days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60
}

/// The corpus: (message, flags, keywords, INTERNALDATE). Sequence numbers
/// are 1..=9; UIDs are one more (a first message is expunged).
pub fn corpus() -> Vec<Entry> {
    let big = "z".repeat(70);
    let big = (0..80).map(|_| format!("{big}\r\n")).collect::<String>();
    let m = |s: &str| s.replace('\n', "\r\n").into_bytes();
    vec![
        (
            m("From: \"Alice Example\" <alice@example.org>\nTo: Bob <bob@example.net>\nSubject: Lunch plans\nDate: Mon, 3 Feb 2020 10:00:00 +0000\nMessage-ID: <m1@example.org>\n\nShall we have lunch at noon?\n"),
            SystemFlags(0),
            vec![],
            at(2020, 2, 3, 10, 1),
        ),
        (
            m("From: Bob <bob@example.net>\nTo: alice@example.org\nSubject: Re: Lunch plans\nDate: Mon, 3 Feb 2020 11:00:00 +0000\nMessage-ID: <m2@example.net>\nIn-Reply-To: <m1@example.org>\nReferences: <m1@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nThe caf=C3=A9 is=\n fine.\n"),
            SystemFlags(SystemFlags::SEEN.0 | SystemFlags::ANSWERED.0),
            vec![],
            at(2020, 2, 3, 11, 1),
        ),
        (
            m("From: Carol <carol@example.com>\nTo: alice@example.org\nCc: Dave <dave@example.com>\nSubject: =?ISO-8859-1?Q?R=E9sum=E9?= attached\nDate: Fri, 1 Jan 2021 23:30:00 -0800\nMessage-ID: <m3@example.com>\n\nSee my CV.\n"),
            SystemFlags::FLAGGED,
            vec!["$Work".into()],
            at(2021, 1, 2, 8, 0),
        ),
        (
            m("From: dave@example.com\nTo: carol@example.com\nSubject: Greetings\nDate: Sat, 2 Jan 2021 07:00:00 +0100\nMessage-ID: <m4@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nR3LDvMOfZSBhdXMgQmVybGlu\n--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nc2VjcmV0d29yZA==\n--b1--\n"),
            SystemFlags::DELETED,
            vec![],
            at(2021, 1, 2, 9, 0),
        ),
        (
            m("From: Erin <erin@example.org>\nTo: alice@example.org\nSubject: Fwd: [list] Lunch plans (fwd)\nDate: Tue, 4 Feb 2020 08:00:00 +0000\n\nforwarded text\n"),
            SystemFlags::DRAFT,
            vec![],
            at(2020, 2, 4, 8, 1),
        ),
        (
            format!("From: Frank <frank@example.org>\r\nTo: alice@example.org\r\nSubject: Big one\r\nDate: Wed, 5 Feb 2020 12:00:00 +0000\r\nMessage-ID: <m6@example.org>\r\nX-Tracking: abc-123\r\n\r\n{big}").into_bytes(),
            SystemFlags(0),
            vec![],
            at(2020, 2, 5, 12, 1),
        ),
        (
            [
                m("From: Gina <gina@example.org>\nTo: alice@example.org\nSubject: naive\nDate: Thu, 6 Feb 2020 12:00:00 +0000\nMessage-ID: <m7@example.org>\nReferences: <m6@example.org> <missing@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nA na"),
                b"\xefve question.\r\n".to_vec(),
            ]
            .concat(),
            SystemFlags(0),
            vec![],
            at(2020, 2, 6, 12, 1),
        ),
        (
            m("From: Hal <hal@example.org>\nTo: alice@example.org\nSubject: Forwarded message\nDate: Fri, 7 Feb 2020 12:00:00 +0000\nMessage-ID: <m8@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b2\"\n\n--b2\nContent-Type: text/plain\n\nsee attached\n--b2\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: Inner secret\n\ninner body text\n--b2--\n"),
            SystemFlags(0),
            vec![],
            at(2020, 2, 7, 12, 1),
        ),
        (
            m("From: Ivy <ivy@example.org>\nTo: alice@example.org\nSubject: undated\nMessage-ID: <m9@example.org>\nIn-Reply-To: <missing@example.org>\n\nno date here\n"),
            SystemFlags(0),
            vec![],
            at(2019, 12, 31, 12, 0),
        ),
    ]
}

/// More messages for the thread and sort shapes of the differential test:
/// subject merging, a duplicate Message-ID, a References chain that
/// re-parents, obsolete date zones, groups and encoded display names.
pub fn extras() -> Vec<Entry> {
    let m = |s: &str| s.replace('\n', "\r\n").into_bytes();
    let plain = |s: &str, d: i64| (m(s), SystemFlags(0), Vec::new(), d);
    vec![
        plain(
            "From: Zoe <zoe@example.org>\nTo: list@example.org\nSubject: Re: [list] Greetings\nDate: Sun, 3 Jan 2021 10:00:00 +0000\nMessage-ID: <e1@example.org>\n\nhello back\n",
            at(2021, 1, 3, 10, 1),
        ),
        plain(
            "From: Yan <yan@example.org>\nTo: list@example.org\nSubject: Greetings\nDate: Mon, 4 Jan 2021 10:00:00 +0000\nMessage-ID: <e2@example.org>\n\nanother greeting\n",
            at(2021, 1, 4, 10, 1),
        ),
        plain(
            "From: Xia <xia@example.org>\nTo: list@example.org\nSubject: Re: Greetings\nDate: Tue, 5 Jan 2021 10:00:00 +0000\nMessage-ID: <e3@example.org>\nReferences: <m4@example.com> <e2@example.org>\n\nre both\n",
            at(2021, 1, 5, 10, 1),
        ),
        plain(
            "From: Wes <wes@example.org>\nTo: alice@example.org\nSubject: Lunch plans\nDate: Wed, 6 Jan 2021 10:00:00 +0000\nMessage-ID: <m1@example.org>\n\nsame id as the first\n",
            at(2021, 1, 6, 10, 1),
        ),
        plain(
            "From: Val <val@example.org>\nTo: alice@example.org\nSubject: [fwd: Re: Big one]\nDate: Sun, 09 Feb 2020 10:00:00 EST\nMessage-ID: <e5@example.org>\n\nforward of big\n",
            at(2020, 2, 9, 15, 1),
        ),
        plain(
            "From: Uma <uma@example.org>\nTo: undisclosed-recipients:;\nSubject: \nDate: Mon, 10 Feb 2020 10:00:00 +0000\nMessage-ID: <e6@example.org>\n\nempty subject\n",
            at(2020, 2, 10, 10, 1),
        ),
        plain(
            "From: =?utf-8?B?w4lsb2R5?= <elody@example.org>\nTo: =?iso-8859-1?q?J=FCrgen?= <j@example.org>\nSubject: re: RE: naive\nDate: Tue, 11 Feb 2020 10:00:00 +0000\nMessage-ID: <e7@example.org>\nIn-Reply-To: <m7@example.org>\n\nnaive reply\n",
            at(2020, 2, 11, 10, 1),
        ),
    ]
}
