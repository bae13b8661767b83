//! The group tree, `GROUPS.PSG` at the top of root 0 (SPEC.md, "Group
//! tree"): management groups, nested.

use crate::codec::{Enc, PResult, parse_record, str16};
use crate::container::{Container, UnknownRecord, read_container, write_container};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};

/// Record types of the group tree.
pub mod rtype {
    /// One group.
    pub const GROUP: u16 = 0x0001;
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    /// Name, canonical (lower case), unique.
    pub name: String,
    /// Parent group (empty: directly below WORLD). Appears earlier in the file.
    pub parent: String,
    /// Description for people.
    pub description: String,
}

/// The group tree: every group after its parent, so the file has no cycles.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct GroupTree {
    /// Groups, parents first.
    pub groups: Vec<Group>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

fn group(i: &[u8]) -> PResult<'_, Group> {
    let (i, name) = str16(i)?;
    let (i, parent) = str16(i)?;
    let (i, description) = str16(i)?;
    Ok((
        i,
        Group {
            name,
            parent,
            description,
        },
    ))
}

fn check(before: &[Group], g: &Group) -> Result<(), String> {
    if g.name.is_empty() {
        return Err("a group needs a name".to_owned());
    }
    if before.iter().any(|o| o.name == g.name) {
        return Err(format!("group {:?} appears twice", g.name));
    }
    if !g.parent.is_empty() && !before.iter().any(|o| o.name == g.parent) {
        return Err(format!(
            "group {:?} comes before its parent {:?}",
            g.name, g.parent
        ));
    }
    Ok(())
}

impl GroupTree {
    /// True when `group` is `ancestor` or lies below it ("" is WORLD, the
    /// ancestor of every group).
    pub fn is_within(&self, group: &str, ancestor: &str) -> bool {
        let mut g = group;
        for _ in 0..=self.groups.len() {
            if g == ancestor {
                return true;
            }
            match self.groups.iter().find(|x| x.name == g) {
                Some(x) => g = &x.parent,
                None => return ancestor.is_empty(),
            }
        }
        false
    }
}

impl StoreFile for GroupTree {
    const MAGIC: [u8; 4] = *b"PSGR";
    const KIND: FileKind = FileKind::GROUPS;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let mut t = GroupTree::default();
        for r in &c.records {
            match r.rtype {
                rtype::GROUP => {
                    let g = parse_record(r.rtype, r.body_offset(), r.body, group)?;
                    check(&t.groups, &g)
                        .map_err(|reason| Error::new(r.offset, ErrorKind::BadValue { reason }))?;
                    t.groups.push(g);
                }
                _ => t.unknown.push(UnknownRecord::from_record(r)),
            }
        }
        Ok(t)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        let mut recs = Vec::with_capacity(self.groups.len());
        for (n, g) in self.groups.iter().enumerate() {
            check(&self.groups[..n], g).map_err(WriteError::BadValue)?;
            let mut e = Enc::record(rtype::GROUP);
            e.str16("group name", &g.name)?;
            e.str16("group parent", &g.parent)?;
            e.str16("group description", &g.description)?;
            recs.push(e.finish("group record")?);
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container(Self::MAGIC, &recs)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn within_follows_parents_up_to_world() {
        let t = &crate::samples::group_trees()[1]; // staff > sales > emea
        assert!(t.is_within("emea", "staff"));
        assert!(t.is_within("emea", "emea"));
        assert!(t.is_within("emea", ""));
        assert!(!t.is_within("staff", "sales"));
        assert!(!t.is_within("", "staff"));
    }
}
