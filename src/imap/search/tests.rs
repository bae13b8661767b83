//! THREAD and SORT over hand-made message data, with RFC 5256's
//! examples.

use super::budget::Budget;
use super::meta::Meta;
use super::subject::base_subject;
use super::thread::{ordered_subject, references};
use crate::imap::parse::{SortCriterion, SortKey};
use crate::imap::write::data::{ThreadNode, thread as write_thread};

fn meta(seq: u32, sent: i64, subject: &str, id: &str, refs: &[&str]) -> Meta {
    Meta {
        seq,
        arrival: sent,
        sent,
        subject: base_subject(subject.as_bytes()),
        message_id: (!id.is_empty()).then(|| id.to_owned()),
        references: refs.iter().map(|s| (*s).to_owned()).collect(),
        ..Meta::default()
    }
}

fn wire(t: &[ThreadNode]) -> String {
    let mut out = Vec::new();
    write_thread(&mut out, t);
    String::from_utf8(out).unwrap()
}

fn far() -> Budget {
    Budget::new(std::time::Instant::now() + std::time::Duration::from_secs(60))
}

#[test]
fn references_rfc5256_section_4_example() {
    // RFC 5256 section 4: "(2)(3 6 (4 23)(44 7 96))": 3 has reply 6,
    // which has replies 4 (with reply 23) and 44 (with reply 7, itself
    // answered by 96).
    let m = vec![
        meta(2, 100, "other", "2@x", &[]),
        meta(3, 200, "topic", "3@x", &[]),
        meta(4, 400, "Re: topic", "4@x", &["3@x", "6@x"]),
        meta(6, 300, "Re: topic", "6@x", &["3@x"]),
        meta(7, 600, "Re: topic", "7@x", &["3@x", "6@x", "44@x"]),
        meta(23, 450, "Re: topic", "23@x", &["3@x", "6@x", "4@x"]),
        meta(44, 500, "Re: topic", "44@x", &["3@x", "6@x"]),
        meta(96, 700, "Re: topic", "96@x", &["44@x", "7@x"]),
    ];
    let t = references(&m, &far()).unwrap();
    assert_eq!(wire(&t), "* THREAD (2)(3 6 (4 23)(44 7 96))\r\n");
}

#[test]
fn references_dummy_parent_and_promotion() {
    // RFC 5256 section 4: "((3)(5))": 3 and 5 answer a message that is
    // not in the mailbox; the dummy stays (two children at the root).
    let m = vec![
        meta(3, 10, "a", "3@x", &["gone@x"]),
        meta(5, 20, "b", "5@x", &["gone@x"]),
    ];
    assert_eq!(
        wire(&references(&m, &far()).unwrap()),
        "* THREAD ((3)(5))\r\n"
    );
    // One child only: the dummy is dropped and the child promoted.
    let m = vec![meta(1, 10, "a", "1@x", &["gone@x"])];
    assert_eq!(wire(&references(&m, &far()).unwrap()), "* THREAD (1)\r\n");
    // Below the root, dummies always go: 1 <- (missing) <- 2.
    let m = vec![
        meta(1, 10, "a", "1@x", &[]),
        meta(2, 20, "x", "2@x", &["1@x", "missing@x"]),
    ];
    assert_eq!(wire(&references(&m, &far()).unwrap()), "* THREAD (1 2)\r\n");
}

#[test]
fn references_subject_merging() {
    // Step 5: a reply whose references are lost joins the thread of its
    // base subject as a child; two originals with one subject get a dummy.
    let m = vec![
        meta(1, 10, "Lunch", "1@x", &[]),
        meta(2, 20, "Re: Lunch", "2@x", &[]),
        meta(3, 30, "Dinner", "3@x", &[]),
        meta(4, 40, "dinner", "4@x", &[]),
        meta(5, 50, "", "5@x", &[]),
        meta(6, 60, "", "6@x", &[]),
    ];
    assert_eq!(
        wire(&references(&m, &far()).unwrap()),
        "* THREAD (1 2)((3)(4))(5)(6)\r\n"
    );
}

#[test]
fn references_loops_duplicates_and_missing_ids() {
    let m = vec![
        // 1 and 2 claim each other as parent: the first link made (2 is
        // 1's parent, from 1's References) stays, no loop is made.
        meta(1, 10, "a", "1@x", &["2@x"]),
        meta(2, 20, "b", "2@x", &["1@x"]),
        // A duplicate Message-ID is a message of its own.
        meta(3, 30, "c", "1@x", &[]),
        // No Message-ID at all.
        meta(4, 40, "d", "", &["3@x"]),
    ];
    assert_eq!(
        wire(&references(&m, &far()).unwrap()),
        "* THREAD (2 1)(3)(4)\r\n"
    );
}

#[test]
fn references_deep_chain_is_iterative() {
    let n = 20_000u32;
    let ids: Vec<String> = (1..=n).map(|i| format!("{i}@x")).collect();
    let m: Vec<Meta> = (1..=n)
        .map(|i| {
            let refs: Vec<&str> = if i > 1 {
                vec![ids[i as usize - 2].as_str()]
            } else {
                vec![]
            };
            meta(i, i64::from(i), "chain", &ids[i as usize - 1], &refs)
        })
        .collect();
    let t = references(&m, &far()).unwrap();
    assert_eq!(t.len(), 1);
    let mut out = Vec::new();
    write_thread(&mut out, &t);
    assert!(out.starts_with(b"* THREAD (1 2 3 "));
    // Dropped without recursion (ThreadNode's Drop).
    drop(t);
}

#[test]
fn references_budget_is_checked() {
    let m: Vec<Meta> = (1..=5000).map(|i| meta(i, 0, "s", "", &[])).collect();
    let past = Budget::new(std::time::Instant::now());
    assert!(matches!(
        references(&m, &past),
        Err(super::SearchError::BudgetExceeded)
    ));
}

#[test]
fn ordered_subject_rfc5256() {
    // RFC 5256 section 3, ORDEREDSUBJECT: later messages of a subject are
    // children of its first; threads by the date of their first message.
    let m = vec![
        meta(1, 50, "beta", "", &[]),
        meta(2, 10, "alpha", "", &[]),
        meta(3, 30, "Re: alpha", "", &[]),
        meta(4, 20, "Fwd: alpha", "", &[]),
        meta(5, 5, "gamma", "", &[]),
        meta(6, 60, "RE: beta", "", &[]),
    ];
    assert_eq!(
        wire(&ordered_subject(&m)),
        "* THREAD (5)(2 (4)(3))(1 6)\r\n"
    );
}

#[test]
fn sort_ties_and_reverse() {
    let mut m = vec![
        meta(1, 30, "b", "", &[]),
        meta(2, 10, "Re: a", "", &[]),
        meta(3, 20, "B", "", &[]),
        meta(4, 20, "a", "", &[]),
    ];
    let by = |reverse, key| SortCriterion { reverse, key };
    super::sort::sort_metas(&mut m, &[by(false, SortKey::Subject)]);
    assert_eq!(m.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 4, 1, 3]);
    super::sort::sort_metas(
        &mut m,
        &[by(true, SortKey::Subject), by(false, SortKey::Date)],
    );
    assert_eq!(m.iter().map(|m| m.seq).collect::<Vec<_>>(), [3, 1, 2, 4]);
    super::sort::sort_metas(&mut m, &[by(true, SortKey::Date)]);
    assert_eq!(m.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 3, 4, 2]);
}
