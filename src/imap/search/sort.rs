//! SORT (RFC 5256 section 3, RFC 5957 DISPLAYFROM/DISPLAYTO): the
//! matching messages ordered by the criteria, ties by sequence number.

use std::cmp::Ordering;

use crate::imap::parse::{SortCriterion, SortKey};

use super::meta::{Meta, Need};

/// Whether the criteria read the message header.
pub fn need(criteria: &[SortCriterion]) -> Need {
    if criteria
        .iter()
        .all(|c| matches!(c.key, SortKey::Arrival | SortKey::Size))
    {
        Need::View
    } else {
        Need::Header
    }
}

fn by_key(key: SortKey, a: &Meta, b: &Meta) -> Ordering {
    match key {
        SortKey::Arrival => a.arrival.cmp(&b.arrival),
        SortKey::Size => a.size.cmp(&b.size),
        SortKey::Date => a.sent.cmp(&b.sent),
        SortKey::Subject => a.subject.key().cmp(&b.subject.key()),
        SortKey::From => a.from.cmp(&b.from),
        SortKey::To => a.to.cmp(&b.to),
        SortKey::Cc => a.cc.cmp(&b.cc),
        SortKey::DisplayFrom => a.display_from.cmp(&b.display_from),
        SortKey::DisplayTo => a.display_to.cmp(&b.display_to),
    }
}

/// Orders `metas` by `criteria`; equal messages keep sequence order.
pub fn sort_metas(metas: &mut [Meta], criteria: &[SortCriterion]) {
    // Subject keys are computed once, not at every comparison.
    let subjects: Option<Vec<String>> = criteria
        .iter()
        .any(|c| c.key == SortKey::Subject)
        .then(|| metas.iter().map(|m| m.subject.key()).collect());
    let mut order: Vec<usize> = (0..metas.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&metas[i], &metas[j]);
        for c in criteria {
            let o = match (&subjects, c.key) {
                (Some(s), SortKey::Subject) => s[i].cmp(&s[j]),
                _ => by_key(c.key, a, b),
            };
            let o = if c.reverse { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.seq.cmp(&b.seq)
    });
    let sorted: Vec<Meta> = order.iter().map(|&i| metas[i].clone()).collect();
    metas.clone_from_slice(&sorted);
}
