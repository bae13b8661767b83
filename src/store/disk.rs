//! Conversions between the engine's values and the files of SPEC.md
//! (`popstore_formats`): the profile, the descriptor, the group tree and
//! the forwarding database. Message files and message lists are used as
//! the format crate's types directly.

use popstore_formats::descriptor::{
    NameStyle as FNameStyle, RootRoles, StoreDescriptor, StoreFlags, StoreRoot,
};
use popstore_formats::forward::{ForwardFlags, Forwarding, ForwardingDb};
use popstore_formats::groups::{Group, GroupTree as FGroupTree};
use popstore_formats::layout::Fanout;
use popstore_formats::profile::{AccountFlags, Profile as FProfile, StoreType as FStoreType};
use popstore_formats::types::{HexBytes, Secret};

use super::account::{Profile, StoreType};
use super::engine::Settings;
use super::forward::ForwardEntry;
use super::groups::{GroupName, GroupTree};
use super::name::NameStyle;

/// The engine's profile from the file's.
pub fn profile_from(f: FProfile) -> Profile {
    let id = &f.identity;
    let name = if id.domain.is_empty() || id.username.contains('@') {
        id.username.to_lowercase()
    } else {
        format!("{}@{}", id.username, id.domain).to_lowercase()
    };
    Profile {
        name,
        owner: id.owner.clone(),
        group: (!id.group.is_empty()).then(|| id.group.clone()),
        store_type: if id.store_type == FStoreType::IMAP {
            StoreType::Imap
        } else {
            StoreType::Pop
        },
        flags: id.flags.0 & !AccountFlags::PWD_EXPIRED.0,
        private: f
            .private
            .as_ref()
            .map(|p| String::from_utf8_lossy(&p.0).into_owned())
            .unwrap_or_default(),
        password: f
            .verifiers
            .argon2id
            .as_ref()
            .map(|v| String::from_utf8_lossy(v.expose()).into_owned()),
        pwd_expired: id.flags.contains(AccountFlags::PWD_EXPIRED),
        quota: f.quota.primary.map(|q| q.min(u64::from(u32::MAX)) as u32),
        message_limit: f.message_limit,
        overdraft: f.quota.overdraft.map(|q| q.min(u64::from(u32::MAX)) as u32),
        created: f.times.created.unwrap_or(0),
        last_pwd_change: f.times.last_password_change.unwrap_or(0),
        last_connect: f.times.last_connect.unwrap_or(0),
        last_disconnect: f.times.last_disconnect.unwrap_or(0),
        connect_time: f.counters.total_connect_seconds,
        connections: f.counters.total_connections,
        message_count: f.counters.message_count,
        quota_used: f.counters.quota_used,
        received_messages: f.counters.received_messages,
        received_bytes: f.counters.received_bytes,
        vacation: f.vacation.as_ref().map(|v| v.text.clone()),
        sieve_script: f.sieve_script.clone(),
        raw: Some(Box::new(f)),
    }
}

fn opt_time(t: i64) -> Option<i64> {
    (t != 0).then_some(t)
}

/// The file's profile from the engine's, keeping everything the engine
/// does not model (other verifiers, vacation details, unknown records).
pub fn profile_to(p: &Profile) -> FProfile {
    let mut f = p.raw.as_deref().cloned().unwrap_or_default();
    f.identity.username = p.name.clone();
    f.identity.domain = String::new();
    f.identity.owner = p.owner.clone();
    f.identity.group = p.group.clone().unwrap_or_default();
    f.identity.store_type = match p.store_type {
        StoreType::Pop => FStoreType::POP,
        StoreType::Imap => FStoreType::IMAP,
    };
    let mut flags = AccountFlags(p.flags);
    flags.set(AccountFlags::PWD_EXPIRED, p.pwd_expired);
    if f.verifiers.apop.is_none() {
        flags.set(AccountFlags::APOP, false);
    }
    f.identity.flags = flags;
    f.private = (!p.private.is_empty()).then(|| HexBytes(p.private.as_bytes().to_vec()));
    f.verifiers.argon2id = p.password.as_ref().map(|v| Secret(v.as_bytes().to_vec()));
    f.quota.primary = p.quota.map(u64::from);
    f.quota.overdraft = p.overdraft.map(u64::from);
    f.message_limit = p.message_limit;
    f.times.created = opt_time(p.created);
    f.times.last_password_change = opt_time(p.last_pwd_change);
    f.times.last_connect = opt_time(p.last_connect);
    f.times.last_disconnect = opt_time(p.last_disconnect);
    f.counters.total_connect_seconds = p.connect_time;
    f.counters.total_connections = p.connections;
    f.counters.message_count = p.message_count;
    f.counters.quota_used = p.quota_used;
    f.counters.received_messages = p.received_messages;
    f.counters.received_bytes = p.received_bytes;
    match (&p.vacation, &mut f.vacation) {
        (None, v) => *v = None,
        (Some(t), Some(v)) => v.text = t.clone(),
        (Some(t), v) => {
            *v = Some(popstore_formats::profile::Vacation {
                text: t.clone(),
                ..Default::default()
            })
        }
    }
    f.sieve_script = p.sieve_script.clone();
    f
}

/// The descriptor a new store gets.
pub fn descriptor_for(s: &Settings, created: i64, store_id: [u8; 16]) -> StoreDescriptor {
    let mut flags = StoreFlags::default();
    flags.set(StoreFlags::USER_DOMAINS, s.user_domains);
    flags.set(StoreFlags::NO_FORWARD_OVERRIDE, s.no_forward_override);
    // New stores place message files by id, so consecutive deliveries
    // share a directory (SPEC.md 14.4; descriptor 2.0).
    flags.set(StoreFlags::ID_MESSAGE_DIRS, true);
    // And append deliveries to a journal beside each message list, so a
    // delivery does not rewrite the list (SPEC.md 7.1).
    flags.set(StoreFlags::LIST_JOURNAL, true);
    // And append folder changes to a journal beside each folder index,
    // so a change costs the same in a folder of any size (SPEC.md 8.1).
    flags.set(StoreFlags::FOLDER_JOURNAL, true);
    // And let an expunge say what it frees in that journal rather than
    // rewrite the profile (SPEC.md 8.1).
    flags.set(StoreFlags::FOLDER_FREED, true);
    // And name the accounts that share folders in `[SHARES]`, so a
    // listing of the folders shared with an account reads those only
    // (SPEC.md 9.3).
    flags.set(StoreFlags::SHARE_INDEX, true);
    StoreDescriptor {
        store_id: HexBytes(store_id.to_vec()),
        created,
        fanout: Fanout::default(),
        name_style: match s.name_style {
            NameStyle::Local => FNameStyle::LOGIN,
            NameStyle::Address => FNameStyle::EMAIL,
        },
        max_name_len: super::name::MAX_LOCAL as u16,
        flags,
        charset: s.charset.clone(),
        roots: vec![StoreRoot {
            index: 0,
            roles: RootRoles(RootRoles::USERS.0 | RootRoles::MESSAGES.0),
            label: "ROOT0".into(),
            linux_dir: String::new(),
            openvms_dir: String::new(),
        }],
        domains: Vec::new(),
        unknown: Vec::new(),
    }
}

/// The stored settings a descriptor holds (run-time policy at defaults).
pub fn settings_from(d: &StoreDescriptor) -> Settings {
    Settings {
        name_style: if d.name_style == FNameStyle::EMAIL {
            NameStyle::Address
        } else {
            NameStyle::Local
        },
        user_domains: d.flags.contains(StoreFlags::USER_DOMAINS),
        no_forward_override: d.flags.contains(StoreFlags::NO_FORWARD_OVERRIDE),
        charset: d.charset.clone(),
        ..Settings::default()
    }
}

/// The engine's group tree from the file's (groups with bad names are
/// left out).
pub fn groups_from(f: &FGroupTree) -> GroupTree {
    GroupTree::from_pairs(f.groups.iter().filter_map(|g| {
        let name = GroupName::new(&g.name).ok()?;
        let parent = if g.parent.is_empty() {
            None
        } else {
            Some(GroupName::new(&g.parent).ok()?)
        };
        Some((name, parent))
    }))
}

/// The file's group tree: every group after its parent; descriptions
/// and unknown records kept from `old`.
pub fn groups_to(t: &GroupTree, old: &FGroupTree) -> FGroupTree {
    let mut out: Vec<Group> = Vec::new();
    let mut left: Vec<(&GroupName, Option<&GroupName>)> = t.pairs().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|(g, p)| {
            let ready = p.is_none_or(|p| out.iter().any(|o| o.name == p.as_str()));
            if ready {
                let description = old
                    .groups
                    .iter()
                    .find(|o| o.name == g.as_str())
                    .map(|o| o.description.clone())
                    .unwrap_or_default();
                out.push(Group {
                    name: g.to_string(),
                    parent: p.map(|p| p.to_string()).unwrap_or_default(),
                    description,
                });
            }
            !ready
        });
        if left.len() == before {
            break; // a cycle cannot be written; GroupTree refuses to make one
        }
    }
    FGroupTree {
        groups: out,
        unknown: old.unknown.clone(),
    }
}

/// The engine's forwardings from the file's.
pub fn forwards_from(f: &ForwardingDb, override_accounts: bool) -> Vec<ForwardEntry> {
    f.entries
        .iter()
        .map(|e| ForwardEntry {
            name: e.name.clone(),
            targets: e.addresses.clone(),
            override_account: override_accounts,
        })
        .collect()
}

/// The file's forwarding database, sorted by name.
pub fn forwards_to(entries: &[ForwardEntry], old: &ForwardingDb) -> ForwardingDb {
    let mut v: Vec<Forwarding> = entries
        .iter()
        .map(|e| Forwarding {
            flags: old
                .lookup(&e.name)
                .map_or(ForwardFlags::default(), |o| o.flags),
            name: e.name.clone(),
            addresses: e.targets.clone(),
        })
        .collect();
    v.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    v.dedup_by(|a, b| a.name == b.name);
    ForwardingDb {
        entries: v,
        unknown: old.unknown.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use popstore_formats::StoreFile;

    #[test]
    fn profiles_round_trip_through_the_format() {
        let mut p = Profile::template(
            &super::super::name::AccountName::from_stored("ann"),
            StoreType::Imap,
        );
        p.owner = "Ann".into();
        p.group = Some("staff".into());
        p.flags = 0x0c;
        p.pwd_expired = true;
        p.quota = Some(1000);
        p.private = "x".into();
        p.password = Some("$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA".into());
        p.received_bytes = 7;
        let bytes = profile_to(&p).encode().unwrap();
        let back = profile_from(FProfile::decode(&bytes).unwrap());
        let mut expect = p.clone();
        expect.raw = back.raw.clone();
        assert_eq!(back, expect);
    }

    #[test]
    fn groups_are_written_parents_first() {
        let mut t = GroupTree::default();
        t.add(GroupName::new("z").unwrap(), None).unwrap();
        t.add(
            GroupName::new("a").unwrap(),
            Some(GroupName::new("z").unwrap()),
        )
        .unwrap();
        let f = groups_to(&t, &FGroupTree::default());
        let bytes = f.encode().unwrap();
        let back = FGroupTree::decode(&bytes).unwrap();
        assert_eq!(back.groups[0].name, "z");
        assert_eq!(groups_from(&back), t);
    }
}
