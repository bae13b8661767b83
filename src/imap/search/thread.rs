//! THREAD (RFC 5256 section 3): ORDEREDSUBJECT and REFERENCES.
//!
//! REFERENCES follows the RFC's steps 1 to 7 over an arena of
//! containers. Every walk of the tree is iterative (explicit stacks), so
//! a reply chain thousands of messages deep costs no stack depth here.

use std::collections::HashMap;

use crate::imap::write::data::ThreadNode;

use super::SearchError;
use super::budget::Budget;
use super::meta::Meta;

/// A thread container: a message (index into the metas) or a dummy.
#[derive(Debug, Clone, Default)]
struct C {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// ORDEREDSUBJECT: threads of equal base subject, each thread's later
/// messages children of its first; threads by the date of their first.
pub fn ordered_subject(metas: &[Meta]) -> Vec<ThreadNode> {
    let mut order: Vec<(String, &Meta)> = metas.iter().map(|m| (m.subject.key(), m)).collect();
    order.sort_by(|a, b| (&a.0, a.1.sent, a.1.seq).cmp(&(&b.0, b.1.sent, b.1.seq)));
    let mut threads: Vec<(i64, u32, ThreadNode)> = Vec::new();
    let mut last_key: Option<String> = None;
    for (key, m) in order {
        let leaf = ThreadNode {
            id: Some(m.seq),
            children: Vec::new(),
        };
        match (&last_key, threads.last_mut()) {
            (Some(k), Some(t)) if *k == key => t.2.children.push(leaf),
            _ => threads.push((m.sent, m.seq, leaf)),
        }
        last_key = Some(key);
    }
    threads.sort_by_key(|t| (t.0, t.1));
    threads.into_iter().map(|t| t.2).collect()
}

struct Arena<'a> {
    c: Vec<C>,
    metas: &'a [Meta],
}

impl Arena<'_> {
    fn new_container(&mut self) -> usize {
        self.c.push(C::default());
        self.c.len() - 1
    }

    /// Whether `a` is `b` or one of its ancestors (a container without
    /// children is nobody's ancestor: the common case costs no walk).
    fn is_ancestor(&self, a: usize, mut b: usize) -> bool {
        if a != b && self.c[a].children.is_empty() {
            return false;
        }
        loop {
            if a == b {
                return true;
            }
            match self.c[b].parent {
                Some(p) => b = p,
                None => return false,
            }
        }
    }

    fn unlink(&mut self, ch: usize) {
        if let Some(p) = self.c[ch].parent.take() {
            self.c[p].children.retain(|&x| x != ch);
        }
    }

    fn link(&mut self, p: usize, ch: usize) {
        self.c[ch].parent = Some(p);
        self.c[p].children.push(ch);
    }

    /// (sent date, sequence number) of a container: its message's, or its
    /// first child's (children already sorted).
    fn date_key(&self, mut n: usize) -> (i64, u32) {
        loop {
            if let Some(i) = self.c[n].msg {
                return (self.metas[i].sent, self.metas[i].seq);
            }
            match self.c[n].children.first() {
                Some(&f) => n = f,
                None => return (i64::MAX, u32::MAX),
            }
        }
    }

    /// The message that speaks for a container: its own or its first
    /// child's.
    fn speaker(&self, mut n: usize) -> Option<&Meta> {
        loop {
            if let Some(i) = self.c[n].msg {
                return Some(&self.metas[i]);
            }
            n = *self.c[n].children.first()?;
        }
    }

    /// Containers below `roots` children first (post-order).
    fn post_order(&self, roots: &[usize]) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.c.len());
        let mut stack: Vec<(usize, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((n, done)) = stack.pop() {
            if done {
                out.push(n);
            } else {
                stack.push((n, true));
                stack.extend(self.c[n].children.iter().rev().map(|&ch| (ch, false)));
            }
        }
        out
    }

    fn sort_siblings(&mut self, list: &mut [usize]) {
        let mut keyed: Vec<((i64, u32), usize)> =
            list.iter().map(|&n| (self.date_key(n), n)).collect();
        keyed.sort_by_key(|k| k.0);
        for (slot, (_, n)) in list.iter_mut().zip(keyed) {
            *slot = n;
        }
    }
}

/// REFERENCES (RFC 5256 section 3, steps 1 to 7).
pub fn references(metas: &[Meta], budget: &Budget) -> Result<Vec<ThreadNode>, SearchError> {
    let mut a = Arena {
        c: Vec::with_capacity(metas.len() * 2),
        metas,
    };
    let mut table: HashMap<&str, usize> = HashMap::new();
    // (1) Containers, linked by References (or In-Reply-To).
    for (i, m) in metas.iter().enumerate() {
        budget.tick()?;
        let me = match m.message_id.as_deref() {
            Some(id) => match table.get(id) {
                Some(&c) if a.c[c].msg.is_none() => c,
                // A duplicate Message-ID: a unique one instead.
                Some(_) => a.new_container(),
                None => {
                    let c = a.new_container();
                    table.insert(id, c);
                    c
                }
            },
            None => a.new_container(),
        };
        a.c[me].msg = Some(i);
        let mut refs = Vec::with_capacity(m.references.len());
        for r in &m.references {
            budget.tick()?;
            let c = match table.get(r.as_str()) {
                Some(&c) => c,
                None => {
                    let c = a.new_container();
                    table.insert(r.as_str(), c);
                    c
                }
            };
            refs.push(c);
        }
        // (1B) Each reference the parent of the next, unless linked already
        // or a loop would result.
        for w in refs.windows(2) {
            budget.tick()?;
            let (p, ch) = (w[0], w[1]);
            if a.c[ch].parent.is_none() && !a.is_ancestor(ch, p) {
                a.link(p, ch);
            }
        }
        // (1C) The last reference is this message's parent.
        a.unlink(me);
        if let Some(&p) = refs.last()
            && !a.is_ancestor(me, p)
        {
            a.link(p, me);
        }
    }
    drop(table);
    // (2) The root set.
    let roots: Vec<usize> = (0..a.c.len())
        .filter(|&n| a.c[n].parent.is_none())
        .collect();
    // (3) Prune dummies, children first.
    for n in a.post_order(&roots) {
        budget.tick()?;
        let kids = std::mem::take(&mut a.c[n].children);
        let mut out = Vec::with_capacity(kids.len());
        for ch in kids {
            if a.c[ch].msg.is_none() {
                // An empty dummy at this level has no children left to
                // keep after its own pruning: promote them.
                out.extend(std::mem::take(&mut a.c[ch].children));
            } else {
                out.push(ch);
            }
        }
        for &ch in &out {
            a.c[ch].parent = Some(n);
        }
        a.c[n].children = out;
    }
    let mut top: Vec<usize> = Vec::with_capacity(roots.len());
    for r in roots {
        if a.c[r].msg.is_some() {
            top.push(r);
            continue;
        }
        match a.c[r].children.len() {
            0 => {}
            1 => {
                let only = a.c[r].children[0];
                a.c[only].parent = None;
                top.push(only);
            }
            _ => top.push(r),
        }
    }
    // (4) Sort the root set by date (dummies by their sorted first child).
    for &r in &top {
        if a.c[r].msg.is_none() {
            let mut kids = std::mem::take(&mut a.c[r].children);
            a.sort_siblings(&mut kids);
            a.c[r].children = kids;
        }
    }
    a.sort_siblings(&mut top);
    // (5) Merge threads with the same base subject.
    let mut subjects: HashMap<String, usize> = HashMap::new();
    let mut pos: HashMap<usize, usize> = top.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    for &r in &top {
        let Some(s) = a.speaker(r) else { continue };
        let key = s.subject.key();
        if key.is_empty() {
            continue;
        }
        let dummy = a.c[r].msg.is_none();
        match subjects.get(&key) {
            None => {
                subjects.insert(key, r);
            }
            Some(&old) => {
                let old_dummy = a.c[old].msg.is_none();
                let old_reply = a.speaker(old).is_some_and(|m| m.subject.reply);
                if !old_dummy && (dummy || (old_reply && !s.subject.reply)) {
                    subjects.insert(key, r);
                }
            }
        }
    }
    let mut slots: Vec<Option<usize>> = top.iter().map(|&n| Some(n)).collect();
    for i in 0..slots.len() {
        budget.tick()?;
        let Some(r) = slots[i] else { continue };
        let Some(s) = a.speaker(r) else { continue };
        let (key, reply) = (s.subject.key(), s.subject.reply);
        if key.is_empty() {
            continue;
        }
        let Some(&old) = subjects.get(&key) else {
            continue;
        };
        if old == r {
            continue;
        }
        let dummy = a.c[r].msg.is_none();
        let old_dummy = a.c[old].msg.is_none();
        let old_reply = a.speaker(old).is_some_and(|m| m.subject.reply);
        if dummy && old_dummy {
            let kids = std::mem::take(&mut a.c[r].children);
            for k in kids {
                a.link(old, k);
            }
        } else if old_dummy || (reply && !old_reply) {
            a.link(old, r);
        } else {
            let d = a.new_container();
            let at = pos[&old];
            a.link(d, old);
            a.link(d, r);
            slots[at] = Some(d);
            pos.insert(d, at);
            subjects.insert(key, d);
        }
        slots[i] = None;
    }
    let mut top: Vec<usize> = slots.into_iter().flatten().collect();
    // (6) Sort every set of siblings by date, youngest sets first.
    for n in a.post_order(&top) {
        budget.tick()?;
        let mut kids = std::mem::take(&mut a.c[n].children);
        a.sort_siblings(&mut kids);
        a.c[n].children = kids;
    }
    a.sort_siblings(&mut top);
    // (7) The tree, built children first.
    let mut built: Vec<Option<ThreadNode>> = vec![None; a.c.len()];
    for n in a.post_order(&top) {
        let children = a.c[n]
            .children
            .iter()
            .filter_map(|&ch| built[ch].take())
            .collect();
        built[n] = Some(ThreadNode {
            id: a.c[n].msg.map(|i| metas[i].seq),
            children,
        });
    }
    Ok(top.iter().filter_map(|&r| built[r].take()).collect())
}
