//! The rights evaluation against RFC 4314's examples.

use super::*;

fn g(s: &str) -> GroupName {
    GroupName::new(s).unwrap()
}

fn acl(pairs: &[(&str, &str)]) -> Vec<AclEntry> {
    pairs
        .iter()
        .map(|(id, r)| {
            let id = Identifier::parse(id).unwrap();
            AclEntry {
                folder_id: 2,
                identifier: id.to_string(),
                rights: Rights::parse(r).unwrap().letters(),
            }
        })
        .collect()
}

/// The same set of letters, whatever the order.
fn same(a: &str, b: &str) -> bool {
    let mut x: Vec<char> = a.chars().collect();
    let mut y: Vec<char> = b.chars().collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

#[test]
fn obsolete_rights_expand_as_the_rfc_examples_do() {
    // 2.1.1: "SeTacl INBOX/Drafts David lrswida" -> "David lrswideta".
    let david = Rights::parse("lrswida").unwrap();
    assert_eq!(david.letters(), "lrswitea");
    assert!(same(&david.imap_letters(), "lrswideta"));
    // "Setacl INBOX/Drafts Byron lrswikda" -> "Byron lrswikcdeta".
    let byron = Rights::parse("lrswikda").unwrap();
    assert!(same(&byron.imap_letters(), "lrswikcdeta"));
    // 3.1: Chris lrswi, then "+cda" -> "lrswicdakxet".
    let chris = RightsChange::parse("+cda")
        .unwrap()
        .apply(Rights::parse("lrswi").unwrap());
    assert!(same(&chris.imap_letters(), "lrswicdakxet"));
    // 3.5: "MYRIGHTS INBOX rwiptsldaex": every member of d and c given.
    let mine = Rights::parse("rwiptsldaex").unwrap();
    assert!(mine.contains(Rights::OBSOLETE_D) && mine.contains(Rights::DELETE_FOLDER));
    assert_eq!(Rights::ALL.imap_letters(), "lrswipkxteacd");
}

#[test]
fn unknown_and_uppercase_rights_are_refused() {
    // 3.1: "John lrQswicda" -> BAD uppercase; "lrqswicda" -> BAD q.
    assert_eq!(
        Rights::parse("lrQswicda"),
        Err(AclError::UppercaseRight('Q'))
    );
    assert_eq!(Rights::parse("lrqswicda"), Err(AclError::UnknownRight('q')));
    assert_eq!(Rights::parse("1"), Err(AclError::UnknownRight('1')));
    assert_eq!(Rights::parse(""), Ok(Rights::NONE));
    assert_eq!(
        RightsChange::parse("-w")
            .unwrap()
            .apply(Rights::ALL)
            .letters(),
        "lrsipkxtea"
    );
    // A stored letter a newer version wrote grants nothing.
    assert_eq!(Rights::from_stored("lr9z"), Rights::parse("lr").unwrap());
}

#[test]
fn identifiers_parse_and_print_back() {
    for s in [
        "anyone",
        "-anyone",
        "fred",
        "-fred",
        "$team",
        "-$team",
        "a@b.example",
    ] {
        assert_eq!(Identifier::parse(s).unwrap().to_string(), s);
    }
    assert_eq!(Identifier::parse("Fred").unwrap().to_string(), "fred");
    assert_eq!(
        Identifier::parse("ANYONE").unwrap().subject,
        Subject::Anyone
    );
    for bad in ["", "-", "$", "$bad name", "a b"] {
        assert!(Identifier::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn negative_rights_remove_what_other_entries_grant() {
    // 3.2: "ACL INBOX Fred rwipslxetad -Fred wetd $team w".
    let l = acl(&[("fred", "rwipslxetad"), ("-fred", "wetd"), ("$team", "w")]);
    let team = [g("team")];
    let fred = rights(&l, None, Some("fred"), &team);
    assert!(same(&fred.letters(), "ripslxa"), "{fred}");
    assert_eq!(rights(&l, None, Some("ann"), &team).letters(), "w");
    assert_eq!(rights(&l, None, Some("ann"), &[]), Rights::NONE);
    // "DeleteAcl INBOX Fred" leaves "-Fred wetd $team w": nothing for fred.
    let l = acl(&[("-fred", "wetd"), ("$team", "w")]);
    assert_eq!(rights(&l, None, Some("fred"), &team), Rights::NONE);
    // 2: "-fred" with "w" removes w from fred "even though the user fred
    // might have the w right as a consequence of some other identifier".
    let l = acl(&[("anyone", "lrw"), ("-fred", "w")]);
    assert_eq!(rights(&l, None, Some("fred"), &[]).letters(), "lr");
    assert_eq!(rights(&l, None, Some("ann"), &[]).letters(), "lrw");
    assert_eq!(rights(&l, None, None, &[]).letters(), "lrw");
    let l = acl(&[("anyone", "lrp"), ("-anyone", "p"), ("ann", "p")]);
    assert_eq!(rights(&l, None, Some("ann"), &[]).letters(), "lr");
}

#[test]
fn the_owner_holds_every_right_and_others_follow_the_list() {
    let l = acl(&[("-ann", "lrswipkxtea"), ("bob", "lr")]);
    assert_eq!(rights(&l, Some("ann"), Some("ann"), &[]), Rights::ALL);
    assert_eq!(rights(&l, Some("ann"), Some("bob"), &[]).letters(), "lr");
    assert_eq!(rights(&l, Some("ann"), None, &[]), Rights::NONE);
    // Entries for other folders are the caller's to leave out; an entry
    // that does not parse grants nothing.
    let junk = vec![AclEntry {
        folder_id: 2,
        identifier: "a b".into(),
        rights: "lr".into(),
    }];
    assert_eq!(rights(&junk, None, Some("a b"), &[]), Rights::NONE);
}

#[test]
fn members_of_subgroups_are_members_of_the_group() {
    let mut t = GroupTree::default();
    t.add(g("staff"), None).unwrap();
    t.add(g("sales"), Some(g("staff"))).unwrap();
    t.add(g("emea"), Some(g("sales"))).unwrap();
    t.add(g("students"), None).unwrap();
    let emea = memberships(&t, Some(&g("emea")));
    assert_eq!(emea, [g("emea"), g("sales"), g("staff")]);
    assert!(memberships(&t, None).is_empty());
    let l = acl(&[("$staff", "lrp"), ("-$students", "p"), ("$sales", "i")]);
    assert_eq!(rights(&l, None, Some("eve"), &emea).letters(), "lrip");
    let staff = memberships(&t, Some(&g("staff")));
    assert_eq!(rights(&l, None, Some("sam"), &staff).letters(), "lrp");
    let students = memberships(&t, Some(&g("students")));
    assert_eq!(rights(&l, None, Some("stu"), &students), Rights::NONE);
}

#[test]
fn listrights_grants_the_owner_everything_and_others_each_right() {
    // 3.4: "LISTRIGHTS archive/imap anyone" -> "" then the optional rights.
    let (required, optional) = listrights(Some("sue"), &Identifier::parse("anyone").unwrap());
    assert_eq!(required, Rights::NONE);
    assert_eq!(optional.concat(), "lrswipkxteacd");
    let (required, optional) = listrights(Some("sue"), &Identifier::parse("Sue").unwrap());
    assert_eq!((required, optional.len()), (Rights::ALL, 0));
    let (required, _) = listrights(None, &Identifier::parse("sue").unwrap());
    assert_eq!(required, Rights::NONE);
}
