//! Nested management groups and the reach of a manager.
//!
//! A MANAGE account manages the accounts of its own group and of every
//! group below it; a MANAGE account in no group (a WORLD manager) manages
//! all accounts and alone creates, changes and deletes groups.

use std::collections::BTreeMap;

/// A group name: 1 to 32 characters from `a-z 0-9 . - _`, lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct GroupName(String);

impl GroupName {
    /// Validates a group name (folding case).
    pub fn new(raw: &str) -> Result<Self, GroupError> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if ok {
            Ok(GroupName(s))
        } else {
            Err(GroupError::BadName(raw.to_string()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for GroupName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Errors of group operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// Not a valid group name.
    #[error("bad group name {0:?}: use 1 to 32 characters a-z 0-9 . - _")]
    BadName(String),
    /// The group does not exist.
    #[error("no such group: {0}")]
    Unknown(String),
    /// The group exists already.
    #[error("group {0} exists already")]
    Exists(String),
    /// The group still has subgroups.
    #[error("group {0} still has subgroups")]
    HasChildren(String),
    /// The change would make a group its own ancestor.
    #[error("group {0} cannot be placed below itself")]
    Cycle(String),
}

/// The group tree: each group with its parent (none for a top group).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupTree {
    parents: BTreeMap<GroupName, Option<GroupName>>,
}

impl GroupTree {
    /// Builds a tree from (group, parent) pairs as stored.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (GroupName, Option<GroupName>)>) -> Self {
        GroupTree {
            parents: pairs.into_iter().collect(),
        }
    }

    /// Every (group, parent) pair, sorted by group.
    pub fn pairs(&self) -> impl Iterator<Item = (&GroupName, Option<&GroupName>)> {
        self.parents.iter().map(|(g, p)| (g, p.as_ref()))
    }

    /// True when the group exists.
    pub fn contains(&self, g: &GroupName) -> bool {
        self.parents.contains_key(g)
    }

    /// The parent of a group.
    pub fn parent(&self, g: &GroupName) -> Option<&GroupName> {
        self.parents.get(g).and_then(Option::as_ref)
    }

    /// Adds a group below `parent` (or at the top).
    pub fn add(&mut self, g: GroupName, parent: Option<GroupName>) -> Result<(), GroupError> {
        if self.contains(&g) {
            return Err(GroupError::Exists(g.0));
        }
        if let Some(p) = &parent
            && !self.contains(p)
        {
            return Err(GroupError::Unknown(p.0.clone()));
        }
        self.parents.insert(g, parent);
        Ok(())
    }

    /// Moves a group below another parent (or to the top).
    pub fn set_parent(
        &mut self,
        g: &GroupName,
        parent: Option<GroupName>,
    ) -> Result<(), GroupError> {
        if !self.contains(g) {
            return Err(GroupError::Unknown(g.0.clone()));
        }
        if let Some(p) = &parent {
            if !self.contains(p) {
                return Err(GroupError::Unknown(p.0.clone()));
            }
            if self.is_within(p, g) {
                return Err(GroupError::Cycle(g.0.clone()));
            }
        }
        self.parents.insert(g.clone(), parent);
        Ok(())
    }

    /// Removes a group that has no subgroups (accounts in it are the
    /// caller's business).
    pub fn remove(&mut self, g: &GroupName) -> Result<(), GroupError> {
        if !self.contains(g) {
            return Err(GroupError::Unknown(g.0.clone()));
        }
        if self.parents.values().any(|p| p.as_ref() == Some(g)) {
            return Err(GroupError::HasChildren(g.0.clone()));
        }
        self.parents.remove(g);
        Ok(())
    }

    /// True when `g` is `ancestor` or lies below it.
    pub fn is_within(&self, g: &GroupName, ancestor: &GroupName) -> bool {
        let mut cur = Some(g);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            steps += 1;
            if steps > self.parents.len() {
                return false; // a cycle in a damaged file: no reach
            }
            cur = self.parent(c);
        }
        false
    }
}

/// Who is acting: the store's administrator (local file access, full
/// power) or a MANAGE account logged in with `--as`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The administrator running the CLI on the store directly.
    Admin,
    /// A MANAGE account, with its group (`None`: a WORLD manager).
    Manager {
        /// The manager's account name.
        name: String,
        /// The manager's group.
        group: Option<GroupName>,
    },
}

impl Actor {
    /// True for the administrator and WORLD managers.
    pub fn is_world(&self) -> bool {
        matches!(self, Actor::Admin | Actor::Manager { group: None, .. })
    }

    /// True when this actor may manage an account in `group`.
    pub fn may_manage(&self, tree: &GroupTree, group: Option<&GroupName>) -> bool {
        match self {
            Actor::Admin | Actor::Manager { group: None, .. } => true,
            Actor::Manager {
                group: Some(mine), ..
            } => group.is_some_and(|g| tree.is_within(g, mine)),
        }
    }

    /// True when this actor may create, change and delete groups.
    pub fn may_change_groups(&self) -> bool {
        self.is_world()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> GroupName {
        GroupName::new(s).unwrap()
    }

    fn tree() -> GroupTree {
        let mut t = GroupTree::default();
        t.add(g("staff"), None).unwrap();
        t.add(g("sales"), Some(g("staff"))).unwrap();
        t.add(g("emea"), Some(g("sales"))).unwrap();
        t.add(g("students"), None).unwrap();
        t
    }

    #[test]
    fn managers_reach_their_group_and_below() {
        let t = tree();
        let m = Actor::Manager {
            name: "boss".into(),
            group: Some(g("sales")),
        };
        assert!(m.may_manage(&t, Some(&g("sales"))));
        assert!(m.may_manage(&t, Some(&g("emea"))));
        assert!(!m.may_manage(&t, Some(&g("staff"))));
        assert!(!m.may_manage(&t, Some(&g("students"))));
        assert!(!m.may_manage(&t, None));
        assert!(!m.may_change_groups());
        let w = Actor::Manager {
            name: "root".into(),
            group: None,
        };
        assert!(w.may_manage(&t, None) && w.may_manage(&t, Some(&g("emea"))));
        assert!(w.may_change_groups());
        assert!(Actor::Admin.may_change_groups());
    }

    #[test]
    fn tree_refuses_cycles_unknown_parents_and_busy_deletes() {
        let mut t = tree();
        assert_eq!(
            t.add(g("x"), Some(g("nope"))),
            Err(GroupError::Unknown("nope".into()))
        );
        assert_eq!(
            t.add(g("sales"), None),
            Err(GroupError::Exists("sales".into()))
        );
        assert_eq!(
            t.set_parent(&g("staff"), Some(g("emea"))),
            Err(GroupError::Cycle("staff".into()))
        );
        assert_eq!(
            t.remove(&g("sales")),
            Err(GroupError::HasChildren("sales".into()))
        );
        t.remove(&g("emea")).unwrap();
        t.remove(&g("sales")).unwrap();
        assert!(!t.contains(&g("sales")));
        assert!(GroupName::new("bad name").is_err());
    }
}
