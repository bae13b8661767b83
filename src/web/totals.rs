//! The store's totals (accounts, messages, bytes), counted per group by
//! one walk of every profile and kept with the time of the count.
//!
//! A walk reads each account's profile and message list: about 1.5 s for
//! 100,000 accounts on a warm cache, much more on a cold one. So the
//! managers' dashboard shows the last count at once, with its age, and
//! starts a new one in the background when that count is older than
//! [`REFRESH_AFTER`]; `/api/v1/summary` counts again unless its caller says
//! an older count will do. One count runs at a time: a request that needs
//! a fresh count while one is running waits for the next.
//!
//! The count is per group, so one walk answers every manager: a manager's
//! totals are the sums over the groups within its reach.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::Store;
use crate::store::groups::{Actor, GroupName, GroupTree};
use crate::web::blocking;
use crate::web::error::ApiError;

/// The dashboard recounts in the background when its count is older.
pub const REFRESH_AFTER: Duration = Duration::from_secs(60);

/// The sums of one group.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sums {
    /// Accounts.
    pub accounts: u64,
    /// Messages held.
    pub messages: u64,
    /// Bytes held.
    pub bytes: u64,
    /// Accounts whose files could not be read (`verify` says why).
    pub unreadable: u64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.accounts += o.accounts;
        self.messages += o.messages;
        self.bytes += o.bytes;
        self.unreadable += o.unreadable;
    }
}

/// One count of the whole store.
#[derive(Debug)]
pub struct Count {
    /// When the walk began (to tell a count that began after a question).
    began: Instant,
    /// When the walk began, Unix seconds.
    pub at: i64,
    /// How long the walk took.
    pub took: Duration,
    /// The sums per group (`None`: no group, or a profile that could not
    /// be read, which only a manager of every group sees).
    groups: HashMap<Option<GroupName>, Sums>,
}

impl Count {
    /// Counts the store: every profile, and each account's messages as
    /// `user show` counts them. Damaged accounts are counted apart.
    pub fn take(store: &Store) -> crate::store::Result<Count> {
        let began = Instant::now();
        let at = crate::store::now();
        let mut groups: HashMap<Option<GroupName>, Sums> = HashMap::new();
        for p in store.profiles() {
            let p = match p {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "web: the store's totals skip a damaged profile");
                    groups.entry(None).or_default().unreadable += 1;
                    continue;
                }
            };
            let sums = groups.entry(p.group_name()).or_default();
            match store.info(p) {
                Ok(i) => {
                    sums.accounts += 1;
                    sums.messages += i.messages;
                    sums.bytes += i.usage;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "web: the store's totals skip a damaged account");
                    sums.unreadable += 1;
                }
            }
        }
        Ok(Count {
            began,
            at,
            took: began.elapsed(),
            groups,
        })
    }

    /// The sums over the groups `actor` may manage.
    pub fn for_actor(&self, tree: &GroupTree, actor: &Actor) -> Sums {
        let mut s = Sums::default();
        for (g, sums) in &self.groups {
            if actor.may_manage(tree, g.as_ref()) {
                s.add(sums);
            }
        }
        s
    }

    /// How old the count is.
    pub fn age(&self) -> Duration {
        self.began.elapsed()
    }
}

/// The last count, shared by a web service's requests.
#[derive(Debug, Default)]
pub struct Totals {
    last: Mutex<Option<Arc<Count>>>,
    /// Held while a walk runs.
    counting: tokio::sync::Mutex<()>,
}

impl Totals {
    fn last(&self) -> Option<Arc<Count>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn keep(&self, c: &Arc<Count>) {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(c));
    }

    /// A count at most `max_age` old: the last one, or one begun after
    /// this call (waiting for a walk that is running, then for one of its
    /// own if that began before).
    pub async fn within(
        &self,
        store: &Arc<Store>,
        max_age: Duration,
    ) -> Result<Arc<Count>, ApiError> {
        let asked = Instant::now();
        if let Some(c) = self.last().filter(|c| c.age() <= max_age) {
            return Ok(c);
        }
        let _walk = self.counting.lock().await;
        if let Some(c) = self.last().filter(|c| c.began >= asked) {
            return Ok(c);
        }
        let store = Arc::clone(store);
        let c = Arc::new(blocking(move || Count::take(&store)).await??);
        self.keep(&c);
        Ok(c)
    }

    /// The last count whatever its age (waiting for the first), and a new
    /// one begun in the background when it is older than `refresh_after`.
    pub async fn latest(
        self: &Arc<Self>,
        store: &Arc<Store>,
        refresh_after: Duration,
    ) -> Result<Arc<Count>, ApiError> {
        let Some(c) = self.last() else {
            return self.within(store, Duration::MAX).await;
        };
        if c.age() > refresh_after {
            let (me, store) = (Arc::clone(self), Arc::clone(store));
            tokio::spawn(async move {
                // A walk already running will do.
                let Ok(_walk) = me.counting.try_lock() else {
                    return;
                };
                match blocking(move || Count::take(&store)).await {
                    Ok(Ok(c)) => me.keep(&Arc::new(c)),
                    Ok(Err(e)) => tracing::warn!(error = %e, "web: counting the store failed"),
                    Err(_) => tracing::warn!("web: counting the store failed"),
                }
            });
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Arc<Store> {
        let fs: Arc<dyn popstore_platform::Platform> =
            Arc::new(popstore_platform::PosixTree::memory(1));
        Arc::new(Store::init(fs, crate::store::Settings::default()).unwrap())
    }

    fn add(s: &Store, name: &str, group: Option<&str>) {
        s.create_account(
            &Actor::Admin,
            name,
            &crate::store::AccountChanges {
                group: Some(group.map(|g| GroupName::new(g).unwrap())),
                ..Default::default()
            },
        )
        .unwrap();
    }

    #[tokio::test]
    async fn one_walk_answers_each_manager_for_its_groups() {
        let s = store();
        s.add_group(&Actor::Admin, "staff", None).unwrap();
        s.add_group(&Actor::Admin, "sales", Some("staff")).unwrap();
        s.add_group(&Actor::Admin, "lab", None).unwrap();
        add(&s, "seller", Some("sales"));
        add(&s, "chief", Some("staff"));
        add(&s, "chemist", Some("lab"));
        let c = Count::take(&s).unwrap();
        let tree = s.group_tree().unwrap();
        let manager = |g: &str| Actor::Manager {
            name: "m".into(),
            group: Some(GroupName::new(g).unwrap()),
        };
        // `default` (no group) and the three.
        assert_eq!(c.for_actor(&tree, &Actor::Admin).accounts, 4);
        assert_eq!(c.for_actor(&tree, &manager("staff")).accounts, 2);
        assert_eq!(c.for_actor(&tree, &manager("sales")).accounts, 1);
        assert_eq!(c.for_actor(&tree, &manager("lab")).accounts, 1);
    }

    #[tokio::test]
    async fn a_fresh_count_sees_an_account_the_last_one_did_not() {
        let s = store();
        let t = Arc::new(Totals::default());
        let first = t.within(&s, Duration::ZERO).await.unwrap();
        let tree = s.group_tree().unwrap();
        assert_eq!(first.for_actor(&tree, &Actor::Admin).accounts, 1);
        add(&s, "ann", None);
        // An old count will do: the last one, without the new account.
        let old = t.latest(&s, Duration::MAX).await.unwrap();
        assert!(Arc::ptr_eq(&old, &first));
        let again = t.within(&s, Duration::from_secs(3600)).await.unwrap();
        assert!(Arc::ptr_eq(&again, &first));
        // None older than now: counted again.
        let fresh = t.within(&s, Duration::ZERO).await.unwrap();
        assert_eq!(fresh.for_actor(&tree, &Actor::Admin).accounts, 2);
    }
}
