//! The account profile, `ACCOUNT.PRF` in the user's subtree (SPEC.md,
//! "Account profile"): one structure for popstore and MessageStore accounts.

use crate::codec::{
    Enc, PResult, array, bytes16, limit, list16, parse_record, str16, time, u16le, u32le, u64le,
};
use crate::container::{
    Container, UnknownRecord, once, read_container, required, write_container_version,
};
use crate::error::{Error, ErrorKind, WriteError};
use crate::kind::{FileKind, StoreFile};
use crate::types::{HexBytes, Secret};

/// Record types of the account profile.
pub mod rtype {
    /// Identity, store type, flags (required).
    pub const ACCOUNT: u16 = 0x0001;
    /// Site-defined private data.
    pub const PRIVATE: u16 = 0x0002;
    /// Timestamps (required).
    pub const TIMES: u16 = 0x0003;
    /// Accounting counters (required).
    pub const COUNTERS: u16 = 0x0004;
    /// Quota and overdraft (required).
    pub const QUOTA: u16 = 0x0005;
    /// Message-count limit (version 1.1, RFC 9208 RES-MESSAGE).
    pub const MESSAGE_QUOTA: u16 = 0x0006;
    /// Argon2id verifier (PHC string).
    pub const ARGON2ID: u16 = 0x0010;
    /// SCRAM-SHA-256 keys.
    pub const SCRAM_SHA_256: u16 = 0x0011;
    /// CRAM-MD5 context.
    pub const CRAM_MD5: u16 = 0x0012;
    /// APOP secret (plaintext-equivalent; only with the `apop` flag).
    pub const APOP: u16 = 0x0013;
    /// Vacation settings.
    pub const VACATION: u16 = 0x0020;
    /// Name of the active Sieve script.
    pub const SIEVE: u16 = 0x0021;
}

crate::open_enum! {
    /// Which store holds the account's mail.
    pub struct StoreType(u16) {
        /// popstore: a message list of references to shared message files.
        POP = 1, "pop";
        /// MessageStore: folders with indexes.
        IMAP = 2, "imap";
        /// The host's own mailbox (PMDF's NATIVE).
        NATIVE = 3, "native";
    }
}

crate::open_flags! {
    /// Account flags (PMDF's six, and more).
    pub struct AccountFlags(u32) {
        /// New mail refused; stored mail still readable.
        DISMAIL = 0x01, "dismail";
        /// No login; mail still accepted.
        DISUSER = 0x02, "disuser";
        /// Only managers change the password.
        LOCKPWD = 0x04, "lockpwd";
        /// May manage accounts in its group and below.
        MANAGE = 0x08, "manage";
        /// Set by migration.
        MIGRATED = 0x10, "migrated";
        /// Password checked outside the store.
        PWD_ELSEWHERE = 0x20, "pwd-elsewhere";
        /// The password has expired.
        PWD_EXPIRED = 0x40, "pwd-expired";
        /// APOP is enabled (the APOP record may be present).
        APOP = 0x80, "apop";
    }
}

crate::open_flags! {
    /// Vacation flags.
    pub struct VacationFlags(u32) {
        /// The vacation notice is on.
        ENABLED = 1, "enabled";
    }
}

/// Identity and kind of the account.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Account name as created (case kept; compared case-insensitively).
    pub username: String,
    /// Owner (full name).
    pub owner: String,
    /// Management group (empty: WORLD).
    pub group: String,
    /// User domain (empty: the default namespace).
    pub domain: String,
    /// Which store holds the mail.
    pub store_type: StoreType,
    /// Flags.
    pub flags: AccountFlags,
}

impl Identity {
    /// The account's name (SPEC.md 6): the username when it holds a
    /// domain (`user@domain`, what popstore writes) or the domain field is
    /// empty, else `username@domain` (a profile that keeps the domain
    /// apart). Case as stored; its canonical form (14.3) names the path.
    pub fn account_name(&self) -> String {
        if self.domain.is_empty() || self.username.contains('@') {
            self.username.clone()
        } else {
            format!("{}@{}", self.username, self.domain)
        }
    }

    /// True when the username holds a domain and the domain field names
    /// another one (compared without regard to case): a profile `verify`
    /// reports (SPEC.md 6).
    pub fn domain_conflict(&self) -> bool {
        match self.username.rsplit_once('@') {
            Some((_, d)) if !self.domain.is_empty() => {
                d.to_lowercase() != self.domain.to_lowercase()
            }
            _ => false,
        }
    }
}

/// Timestamps, seconds since the Unix epoch; `None` = never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Times {
    /// Account created.
    pub created: Option<i64>,
    /// Last password change.
    pub last_password_change: Option<i64>,
    /// Last connect.
    pub last_connect: Option<i64>,
    /// Last disconnect.
    pub last_disconnect: Option<i64>,
    /// Last billing.
    pub last_billing: Option<i64>,
}

/// Accounting counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Total connect time, seconds.
    pub total_connect_seconds: u64,
    /// Total connections.
    pub total_connections: u64,
    /// Past block days (storage accounting).
    pub past_block_days: u64,
    /// Messages held (popstore).
    pub message_count: u64,
    /// Messages received, ever.
    pub received_messages: u64,
    /// Bytes received, ever.
    pub received_bytes: u64,
    /// Bytes held (quota used).
    pub quota_used: u64,
}

/// Quota and overdraft in bytes; `None` = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Quota {
    /// Primary quota.
    pub primary: Option<u64>,
    /// Overdraft above the primary quota.
    pub overdraft: Option<u64>,
}

impl Quota {
    /// The quota rule: a message of `size` bytes is accepted when the
    /// account is under its primary quota and the message won't take it
    /// past primary + overdraft. `None` limits are unlimited.
    pub fn admits(&self, used: u64, size: u64) -> bool {
        let Some(primary) = self.primary else {
            return true;
        };
        if used >= primary {
            return false;
        }
        match self.overdraft {
            None => true,
            Some(o) => used.saturating_add(size) <= primary.saturating_add(o),
        }
    }
}

/// SCRAM-SHA-256 keys (RFC 7677).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScramSha256 {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// Salt.
    pub salt: HexBytes,
    /// StoredKey = H(ClientKey).
    pub stored_key: Secret<[u8; 32]>,
    /// ServerKey.
    pub server_key: Secret<[u8; 32]>,
}

/// CRAM-MD5 context: the HMAC-MD5 inner and outer MD5 states after one
/// block of key ^ ipad / key ^ opad (A, B, C, D words, little-endian).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CramMd5 {
    /// Inner state.
    pub inner: Secret<[u8; 16]>,
    /// Outer state.
    pub outer: Secret<[u8; 16]>,
}

/// Password verifiers. Never a plain password, except the APOP secret,
/// present only when APOP is enabled for the account.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Verifiers {
    /// Argon2id PHC string (`$argon2id$v=19$m=...`).
    pub argon2id: Option<Secret<Vec<u8>>>,
    /// SCRAM-SHA-256 keys.
    pub scram_sha_256: Option<ScramSha256>,
    /// CRAM-MD5 context.
    pub cram_md5: Option<CramMd5>,
    /// APOP secret (plaintext-equivalent).
    pub apop: Option<Secret<Vec<u8>>>,
}

/// Vacation notice settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Vacation {
    /// Flags.
    pub flags: VacationFlags,
    /// First day in effect (`None`: now).
    pub start: Option<i64>,
    /// Last day in effect (`None`: until turned off).
    pub end: Option<i64>,
    /// Seconds before the same sender is answered again.
    pub interval_seconds: u64,
    /// Subject of the notice.
    pub subject: String,
    /// Text of the notice.
    pub text: String,
    /// Further addresses of the user (a notice answers mail to any).
    pub addresses: Vec<String>,
}

/// The minor version of a profile with a MESSAGE_QUOTA record (a profile
/// without one is written as 1.0, byte for byte as before).
pub const MINOR_MESSAGE_QUOTA: u16 = 1;

/// An account profile.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// Identity, store type and flags.
    pub identity: Identity,
    /// Site-defined private data.
    pub private: Option<HexBytes>,
    /// Timestamps.
    pub times: Times,
    /// Counters.
    pub counters: Counters,
    /// Quota.
    pub quota: Quota,
    /// Password verifiers.
    pub verifiers: Verifiers,
    /// Vacation settings.
    pub vacation: Option<Vacation>,
    /// Name of the active Sieve script.
    pub sieve_script: Option<String>,
    /// The most messages the account may hold (version 1.1: the
    /// MESSAGE_QUOTA record); `None` (and every 1.0 profile) unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_limit: Option<u64>,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

fn identity(i: &[u8]) -> PResult<'_, Identity> {
    let (i, store_type) = u16le(i)?;
    let (i, flags) = u32le(i)?;
    let (i, username) = str16(i)?;
    let (i, owner) = str16(i)?;
    let (i, group) = str16(i)?;
    let (i, domain) = str16(i)?;
    Ok((
        i,
        Identity {
            username,
            owner,
            group,
            domain,
            store_type: StoreType(store_type),
            flags: AccountFlags(flags),
        },
    ))
}

fn times(i: &[u8]) -> PResult<'_, Times> {
    let (i, created) = time(i)?;
    let (i, last_password_change) = time(i)?;
    let (i, last_connect) = time(i)?;
    let (i, last_disconnect) = time(i)?;
    let (i, last_billing) = time(i)?;
    Ok((
        i,
        Times {
            created,
            last_password_change,
            last_connect,
            last_disconnect,
            last_billing,
        },
    ))
}

fn counters(i: &[u8]) -> PResult<'_, Counters> {
    let (i, total_connect_seconds) = u64le(i)?;
    let (i, total_connections) = u64le(i)?;
    let (i, past_block_days) = u64le(i)?;
    let (i, message_count) = u64le(i)?;
    let (i, received_messages) = u64le(i)?;
    let (i, received_bytes) = u64le(i)?;
    let (i, quota_used) = u64le(i)?;
    Ok((
        i,
        Counters {
            total_connect_seconds,
            total_connections,
            past_block_days,
            message_count,
            received_messages,
            received_bytes,
            quota_used,
        },
    ))
}

fn quota(i: &[u8]) -> PResult<'_, Quota> {
    let (i, primary) = limit(i)?;
    let (i, overdraft) = limit(i)?;
    Ok((i, Quota { primary, overdraft }))
}

fn scram(i: &[u8]) -> PResult<'_, ScramSha256> {
    let (i, iterations) = u32le(i)?;
    let (i, salt) = bytes16(i)?;
    let (i, stored_key) = array::<32>(i)?;
    let (i, server_key) = array::<32>(i)?;
    Ok((
        i,
        ScramSha256 {
            iterations,
            salt: HexBytes(salt.to_vec()),
            stored_key: Secret(stored_key),
            server_key: Secret(server_key),
        },
    ))
}

fn cram(i: &[u8]) -> PResult<'_, CramMd5> {
    let (i, inner) = array::<16>(i)?;
    let (i, outer) = array::<16>(i)?;
    Ok((
        i,
        CramMd5 {
            inner: Secret(inner),
            outer: Secret(outer),
        },
    ))
}

fn secret(i: &[u8]) -> PResult<'_, Secret<Vec<u8>>> {
    let (i, b) = bytes16(i)?;
    Ok((i, Secret(b.to_vec())))
}

fn vacation(i: &[u8]) -> PResult<'_, Vacation> {
    let (i, flags) = u32le(i)?;
    let (i, start) = time(i)?;
    let (i, end) = time(i)?;
    let (i, interval_seconds) = u64le(i)?;
    let (i, subject) = str16(i)?;
    let (i, text) = str16(i)?;
    let (i, addresses) = list16(i, 2, str16)?;
    Ok((
        i,
        Vacation {
            flags: VacationFlags(flags),
            start,
            end,
            interval_seconds,
            subject,
            text,
            addresses,
        },
    ))
}

impl StoreFile for Profile {
    const MAGIC: [u8; 4] = *b"PSPR";
    const KIND: FileKind = FileKind::PROFILE;

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let c: Container<'_> = read_container(bytes, Self::MAGIC)?;
        let (mut id, mut private, mut tm, mut ct, mut qt) = (None, None, None, None, None);
        let mut v = Verifiers::default();
        let (mut vac, mut sieve, mut mq) = (None, None, None);
        let mut unknown = Vec::new();
        let mut apop_at = 0;
        for r in &c.records {
            let at = r.body_offset();
            let t = r.rtype;
            match t {
                rtype::ACCOUNT => once(&mut id, r, parse_record(t, at, r.body, identity)?)?,
                rtype::PRIVATE => once(&mut private, r, {
                    HexBytes(parse_record(t, at, r.body, bytes16)?.to_vec())
                })?,
                rtype::TIMES => once(&mut tm, r, parse_record(t, at, r.body, times)?)?,
                rtype::COUNTERS => once(&mut ct, r, parse_record(t, at, r.body, counters)?)?,
                rtype::QUOTA => once(&mut qt, r, parse_record(t, at, r.body, quota)?)?,
                rtype::ARGON2ID => once(&mut v.argon2id, r, parse_record(t, at, r.body, secret)?)?,
                rtype::SCRAM_SHA_256 => {
                    once(&mut v.scram_sha_256, r, parse_record(t, at, r.body, scram)?)?
                }
                rtype::CRAM_MD5 => once(&mut v.cram_md5, r, parse_record(t, at, r.body, cram)?)?,
                rtype::APOP => {
                    apop_at = r.offset;
                    once(&mut v.apop, r, parse_record(t, at, r.body, secret)?)?
                }
                rtype::VACATION => once(&mut vac, r, parse_record(t, at, r.body, vacation)?)?,
                rtype::SIEVE => once(&mut sieve, r, parse_record(t, at, r.body, str16)?)?,
                rtype::MESSAGE_QUOTA => once(&mut mq, r, parse_record(t, at, r.body, limit)?)?,
                _ => unknown.push(UnknownRecord::from_record(r)),
            }
        }
        let p = Profile {
            identity: required(id, rtype::ACCOUNT, &c)?,
            private,
            times: required(tm, rtype::TIMES, &c)?,
            counters: required(ct, rtype::COUNTERS, &c)?,
            quota: required(qt, rtype::QUOTA, &c)?,
            verifiers: v,
            vacation: vac,
            sieve_script: sieve,
            message_limit: mq.flatten(),
            unknown,
        };
        if p.verifiers.apop.is_some() && !p.identity.flags.contains(AccountFlags::APOP) {
            return Err(Error::new(
                apop_at,
                ErrorKind::BadValue {
                    reason: "APOP secret present but APOP is not enabled".to_owned(),
                },
            ));
        }
        Ok(p)
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        if self.verifiers.apop.is_some() && !self.identity.flags.contains(AccountFlags::APOP) {
            return Err(WriteError::BadValue(
                "APOP secret present but APOP is not enabled".to_owned(),
            ));
        }
        let mut recs = Vec::new();
        let id = &self.identity;
        let mut e = Enc::record(rtype::ACCOUNT);
        e.u16(id.store_type.0).u32(id.flags.0);
        e.str16("username", &id.username)?;
        e.str16("owner", &id.owner)?;
        e.str16("group", &id.group)?;
        e.str16("domain", &id.domain)?;
        recs.push(e.finish("account record")?);
        if let Some(p) = &self.private {
            let mut e = Enc::record(rtype::PRIVATE);
            e.bytes16("private data", &p.0)?;
            recs.push(e.finish("private record")?);
        }
        let t = &self.times;
        let mut e = Enc::record(rtype::TIMES);
        e.time(t.created)
            .time(t.last_password_change)
            .time(t.last_connect)
            .time(t.last_disconnect)
            .time(t.last_billing);
        recs.push(e.finish("times record")?);
        let c = &self.counters;
        let mut e = Enc::record(rtype::COUNTERS);
        e.u64(c.total_connect_seconds)
            .u64(c.total_connections)
            .u64(c.past_block_days)
            .u64(c.message_count)
            .u64(c.received_messages)
            .u64(c.received_bytes)
            .u64(c.quota_used);
        recs.push(e.finish("counters record")?);
        let mut e = Enc::record(rtype::QUOTA);
        e.limit(self.quota.primary).limit(self.quota.overdraft);
        recs.push(e.finish("quota record")?);
        let v = &self.verifiers;
        if let Some(a) = &v.argon2id {
            let mut e = Enc::record(rtype::ARGON2ID);
            e.bytes16("argon2id verifier", a.expose())?;
            recs.push(e.finish("argon2id record")?);
        }
        if let Some(s) = &v.scram_sha_256 {
            let mut e = Enc::record(rtype::SCRAM_SHA_256);
            e.u32(s.iterations);
            e.bytes16("SCRAM salt", &s.salt.0)?;
            e.fixed(s.stored_key.expose()).fixed(s.server_key.expose());
            recs.push(e.finish("SCRAM record")?);
        }
        if let Some(c) = &v.cram_md5 {
            let mut e = Enc::record(rtype::CRAM_MD5);
            e.fixed(c.inner.expose()).fixed(c.outer.expose());
            recs.push(e.finish("CRAM-MD5 record")?);
        }
        if let Some(a) = &v.apop {
            let mut e = Enc::record(rtype::APOP);
            e.bytes16("APOP secret", a.expose())?;
            recs.push(e.finish("APOP record")?);
        }
        if let Some(va) = &self.vacation {
            let mut e = Enc::record(rtype::VACATION);
            e.u32(va.flags.0)
                .time(va.start)
                .time(va.end)
                .u64(va.interval_seconds);
            e.str16("vacation subject", &va.subject)?;
            e.str16("vacation text", &va.text)?;
            e.count16("vacation addresses", va.addresses.len())?;
            for a in &va.addresses {
                e.str16("vacation address", a)?;
            }
            recs.push(e.finish("vacation record")?);
        }
        if let Some(s) = &self.sieve_script {
            let mut e = Enc::record(rtype::SIEVE);
            e.str16("sieve script name", s)?;
            recs.push(e.finish("sieve record")?);
        }
        let mut version = (crate::FORMAT_MAJOR, crate::FORMAT_MINOR);
        if let Some(n) = self.message_limit {
            let mut e = Enc::record(rtype::MESSAGE_QUOTA);
            e.limit(Some(n));
            recs.push(e.finish("message quota record")?);
            version.1 = MINOR_MESSAGE_QUOTA;
        }
        recs.extend(self.unknown.iter().map(UnknownRecord::encode));
        write_container_version(Self::MAGIC, version, &recs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_name_holds_the_domain_once() {
        let id = |u: &str, d: &str| Identity {
            username: u.into(),
            domain: d.into(),
            ..Identity::default()
        };
        assert_eq!(id("john", "").account_name(), "john");
        assert_eq!(id("john", "example.com").account_name(), "john@example.com");
        let full = id("J\u{fc}rgen.M\u{fc}ller@example.com", "example.com");
        assert_eq!(full.account_name(), "J\u{fc}rgen.M\u{fc}ller@example.com");
        assert!(!full.domain_conflict());
        assert!(id("john@example.com", "Example.org").domain_conflict());
        assert!(!id("john@example.com", "EXAMPLE.com").domain_conflict());
    }

    #[test]
    fn quota_rule() {
        let q = Quota {
            primary: Some(100),
            overdraft: Some(10),
        };
        assert!(q.admits(0, 110));
        assert!(!q.admits(0, 111));
        assert!(q.admits(99, 11));
        assert!(!q.admits(100, 1));
        assert!(Quota::default().admits(u64::MAX, u64::MAX));
        let no_overdraft_limit = Quota {
            primary: Some(5),
            overdraft: None,
        };
        assert!(no_overdraft_limit.admits(4, 1000));
    }
}
