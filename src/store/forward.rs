//! Forwarding with PMDF semantics.
//!
//! The forwarding database maps a name (which need not be an account) to
//! one or more addresses, local or external. Forwarding a real account
//! stops delivery to it unless the account is listed in its own
//! forwarding. An entry made without override cannot forward an existing
//! account: it is refused when added, and ignored should the account be
//! created later. Loops are detected and refused.

use std::collections::BTreeSet;

use super::name::{AccountName, Subaddress};

/// One forwarding: a name and where its mail goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ForwardEntry {
    /// The forwarded name, lower case (`john` or `john@example.org`).
    pub name: String,
    /// The targets, as given.
    pub targets: Vec<String>,
    /// The entry applies even when an account of that name exists.
    pub override_account: bool,
}

/// What the resolver needs to know about the store. Each answer may be
/// [`ForwardError::Unavailable`]: the store could not be read, so nobody
/// knows whether the name exists (never "no such user").
pub trait ForwardLookup {
    /// The forwarding entry stored under `key` (lower case).
    fn forwarding(&self, key: &str) -> Result<Option<ForwardEntry>, ForwardError>;
    /// The existing account an address denotes, if any (subaddress
    /// already removed).
    fn account(&self, address: &str) -> Result<Option<AccountName>, ForwardError>;
    /// True when mail for `domain` is delivered here.
    fn is_local_domain(&self, domain: &str) -> Result<bool, ForwardError>;
}

/// Where a recipient's mail goes after forwarding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Accounts of this store, each once, in first-seen order.
    pub local: Vec<AccountName>,
    /// External addresses for the SMTP relay, each once.
    pub external: Vec<String>,
    /// The subaddress detail of the original recipient.
    pub detail: Option<String>,
}

/// Why a recipient cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// No account and no forwarding for the address.
    #[error("no such user: {0}")]
    Unknown(String),
    /// Forwarding goes round in a circle.
    #[error("forwarding loop: {0}")]
    Loop(String),
    /// Forwarding chains deeper than the limit.
    #[error("forwarding of {0} is nested too deeply")]
    TooDeep(String),
    /// The store could not be read (an account's profile, the forwarding
    /// database): a temporary failure. The text is for the log only (it
    /// may name host paths).
    #[error("the store cannot be read: {0}")]
    Unavailable(String),
}

/// Longest chain of forwardings followed.
pub const MAX_DEPTH: usize = 16;

/// The forwarding keys an address may be stored under, most specific
/// first: the full address, then (for a local or absent domain) the local
/// part.
pub fn keys_for(lookup: &dyn ForwardLookup, sub: &Subaddress) -> Result<Vec<String>, ForwardError> {
    let mut keys = vec![sub.base()];
    if let Some(d) = &sub.domain
        && lookup.is_local_domain(d)?
    {
        keys.push(sub.local.clone());
    }
    Ok(keys)
}

fn is_local_target(lookup: &dyn ForwardLookup, sub: &Subaddress) -> Result<bool, ForwardError> {
    Ok(match &sub.domain {
        None => true,
        Some(d) => {
            lookup.is_local_domain(d)?
                || lookup.account(&sub.base())?.is_some()
                || lookup.forwarding(&sub.base())?.is_some()
        }
    })
}

/// Resolves a recipient address through the forwarding database.
pub fn resolve(lookup: &dyn ForwardLookup, address: &str) -> Result<Resolution, ForwardError> {
    let sub = Subaddress::parse(address);
    let mut res = Resolution {
        detail: sub.detail.clone(),
        ..Resolution::default()
    };
    let mut path = Vec::new();
    walk(lookup, &sub, &mut path, &mut res)?;
    if res.local.is_empty() && res.external.is_empty() {
        return Err(ForwardError::Unknown(address.trim().to_string()));
    }
    Ok(res)
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn walk(
    lookup: &dyn ForwardLookup,
    sub: &Subaddress,
    path: &mut Vec<String>,
    res: &mut Resolution,
) -> Result<(), ForwardError> {
    let account = lookup.account(&sub.base())?;
    let mut entry = None;
    for k in keys_for(lookup, sub)? {
        if let Some(e) = lookup.forwarding(&k)? {
            entry = Some(e);
            break;
        }
    }
    let entry = entry.filter(|e| e.override_account || account.is_none());
    let Some(entry) = entry else {
        if let Some(a) = account {
            push_unique(&mut res.local, a);
        }
        return Ok(());
    };
    if path.contains(&entry.name) {
        path.push(entry.name.clone());
        return Err(ForwardError::Loop(path.join(" -> ")));
    }
    if path.len() >= MAX_DEPTH {
        return Err(ForwardError::TooDeep(path[0].clone()));
    }
    path.push(entry.name.clone());
    for t in &entry.targets {
        let ts = Subaddress::parse(t);
        if !is_local_target(lookup, &ts)? {
            push_unique(&mut res.external, t.trim().to_string());
            continue;
        }
        let t_account = lookup.account(&ts.base())?;
        let is_self = ts.base() == entry.name
            || ts.local == entry.name
            || (t_account.is_some() && t_account == account);
        if is_self {
            // Listed in its own forwarding: the account keeps receiving.
            if let Some(a) = &account {
                push_unique(&mut res.local, a.clone());
            }
            continue;
        }
        walk(lookup, &ts, path, res)?;
    }
    path.pop();
    Ok(())
}

/// Checks that adding `entry` to the database would create no loop, by
/// resolving every name the new entry can reach.
pub fn check_new_entry(
    lookup: &dyn ForwardLookup,
    entry: &ForwardEntry,
) -> Result<(), ForwardError> {
    struct With<'a> {
        inner: &'a dyn ForwardLookup,
        entry: &'a ForwardEntry,
    }
    impl ForwardLookup for With<'_> {
        fn forwarding(&self, key: &str) -> Result<Option<ForwardEntry>, ForwardError> {
            if key == self.entry.name {
                Ok(Some(self.entry.clone()))
            } else {
                self.inner.forwarding(key)
            }
        }
        fn account(&self, address: &str) -> Result<Option<AccountName>, ForwardError> {
            self.inner.account(address)
        }
        fn is_local_domain(&self, domain: &str) -> Result<bool, ForwardError> {
            self.inner.is_local_domain(domain)
        }
    }
    let w = With {
        inner: lookup,
        entry,
    };
    let sub = Subaddress::parse(&entry.name);
    let mut res = Resolution::default();
    walk(&w, &sub, &mut Vec::new(), &mut res).map(|_| ())
}

/// The set of names seen, for listing.
pub fn names(entries: &[ForwardEntry]) -> BTreeSet<&str> {
    entries.iter().map(|e| e.name.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Db {
        fwd: BTreeMap<String, ForwardEntry>,
        accounts: Vec<&'static str>,
    }

    impl Db {
        fn fwd(mut self, name: &str, targets: &[&str], over: bool) -> Self {
            self.fwd.insert(
                name.into(),
                ForwardEntry {
                    name: name.into(),
                    targets: targets.iter().map(|s| s.to_string()).collect(),
                    override_account: over,
                },
            );
            self
        }
    }

    impl ForwardLookup for Db {
        fn forwarding(&self, key: &str) -> Result<Option<ForwardEntry>, ForwardError> {
            if key == "broken" {
                return Err(ForwardError::Unavailable(
                    "/store/forward.psf: truncated".into(),
                ));
            }
            Ok(self.fwd.get(key).cloned())
        }
        fn account(&self, address: &str) -> Result<Option<AccountName>, ForwardError> {
            let local = Subaddress::parse(address);
            if local.local == "damaged" {
                return Err(ForwardError::Unavailable(
                    "/store/damaged: bad magic".into(),
                ));
            }
            let ok = local.domain.as_deref().is_none_or(|d| d == "here.example");
            Ok((ok && self.accounts.contains(&local.local.as_str()))
                .then(|| AccountName::from_stored(&local.local)))
        }
        fn is_local_domain(&self, domain: &str) -> Result<bool, ForwardError> {
            Ok(domain == "here.example")
        }
    }

    fn names(v: &[AccountName]) -> Vec<&str> {
        v.iter().map(|a| a.as_str()).collect()
    }

    #[test]
    fn plain_accounts_and_unknowns() {
        let db = Db {
            accounts: vec!["ann"],
            ..Db::default()
        };
        let r = resolve(&db, "Ann+box@here.example").unwrap();
        assert_eq!(names(&r.local), ["ann"]);
        assert_eq!(r.detail.as_deref(), Some("box"));
        assert_eq!(
            resolve(&db, "bob"),
            Err(ForwardError::Unknown("bob".into()))
        );
    }

    #[test]
    fn forwarded_account_stops_receiving_unless_listed() {
        let db = Db {
            accounts: vec!["ann", "bob"],
            ..Db::default()
        }
        .fwd("ann", &["bob", "ann@far.example"], true);
        let r = resolve(&db, "ann@here.example").unwrap();
        assert_eq!(names(&r.local), ["bob"]);
        assert_eq!(r.external, ["ann@far.example"]);
        let db = db.fwd("ann", &["bob", "ann"], true);
        let r = resolve(&db, "ann").unwrap();
        assert_eq!(names(&r.local), ["bob", "ann"]);
    }

    #[test]
    fn no_override_entries_do_not_touch_existing_accounts() {
        let db = Db {
            accounts: vec!["ann", "bob"],
            ..Db::default()
        }
        .fwd("ann", &["bob"], false)
        .fwd("list", &["ann", "bob", "ann"], false);
        assert_eq!(names(&resolve(&db, "ann").unwrap().local), ["ann"]);
        // A name that is not an account: a list, deduplicated.
        assert_eq!(names(&resolve(&db, "list").unwrap().local), ["ann", "bob"]);
    }

    #[test]
    fn chains_and_loops() {
        let db = Db {
            accounts: vec!["c"],
            ..Db::default()
        }
        .fwd("a", &["b"], false)
        .fwd("b", &["c"], false);
        assert_eq!(names(&resolve(&db, "a").unwrap().local), ["c"]);
        let new = ForwardEntry {
            name: "c".into(),
            targets: vec!["a".into()],
            override_account: true,
        };
        assert!(matches!(
            check_new_entry(&db, &new),
            Err(ForwardError::Loop(_))
        ));
        let fine = ForwardEntry {
            name: "d".into(),
            targets: vec!["a".into(), "x@far.example".into()],
            override_account: false,
        };
        assert_eq!(check_new_entry(&db, &fine), Ok(()));
        let looped = db.fwd("c", &["a"], true);
        assert!(matches!(resolve(&looped, "a"), Err(ForwardError::Loop(_))));
    }

    #[test]
    fn a_store_error_is_never_an_unknown_user() {
        let db = Db {
            accounts: vec!["ann"],
            ..Db::default()
        }
        .fwd("team", &["ann", "damaged"], false);
        for a in ["damaged", "team", "broken", "damaged@here.example"] {
            assert!(
                matches!(resolve(&db, a), Err(ForwardError::Unavailable(_))),
                "{a}"
            );
        }
    }
}
