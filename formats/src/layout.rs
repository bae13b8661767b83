//! Where every file of a store lives (SPEC.md, "Path and name mapping").
//!
//! Paths are computed, never looked up: the fanout hash (FNV-1a 32 over the
//! canonical name) and the name encoding are fixed by the spec, so Linux
//! and OpenVMS hosts compute the same [`StorePath`] for the same account.

use crate::path::{Ods2Name, StorePath};

/// FNV-1a, 32 bits: offset basis 0x811C9DC5, prime 0x01000193.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The canonical form of an account (or forwarding) name: Unicode lower
/// case (`str::to_lowercase`). Names differing only in case are one name.
pub fn canonical_name(name: &str) -> String {
    name.to_lowercase()
}

/// Longest prefix kept before the hash suffix of an over-long name.
const HASHED_PREFIX_MAX: usize = 29;

/// Encodes a canonical name as an ODS-2 file or directory name.
///
/// Bytes `a-z 0-9 _ -` become their upper-case characters; every other
/// byte of the UTF-8 form becomes `$` and two upper-case hex digits. When
/// the result is longer than 39 characters, it is cut after at most 29
/// characters (never inside a `$XX`) and `$$` plus the 8 upper-case hex
/// digits of `fnv1a32(canonical)` are appended. `$$` never occurs in the
/// reversible form, so [`decode_name`] knows which form it holds. Returns
/// `None` for the empty name.
pub fn encode_name(canonical: &str) -> Option<Ods2Name> {
    if canonical.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::with_capacity(canonical.len());
    for b in canonical.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => {
                parts.push(char::from(b.to_ascii_uppercase()).to_string())
            }
            _ => parts.push(format!("${b:02X}")),
        }
    }
    let full: String = parts.concat();
    let s = if full.len() <= crate::path::ODS2_MAX {
        full
    } else {
        let mut prefix = String::new();
        for p in &parts {
            if prefix.len() + p.len() > HASHED_PREFIX_MAX {
                break;
            }
            prefix.push_str(p);
        }
        format!("{prefix}$${:08X}", fnv1a32(canonical.as_bytes()))
    };
    Ods2Name::new(&s).ok()
}

/// Decodes a name made by [`encode_name`]; `None` for the hashed form or a
/// name that is not a valid encoding.
pub fn decode_name(name: &Ods2Name) -> Option<String> {
    let s = name.as_str();
    if s.contains("$$") {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let hex = s.get(i + 1..i + 3)?;
            if hex.bytes().any(|c| c.is_ascii_lowercase()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i].to_ascii_lowercase());
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Directory fanout: `levels` directories of `width` entries each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fanout {
    /// Directory levels, 0 to 3.
    pub levels: u8,
    /// Entries per level, 2 to 4096.
    pub width: u16,
}

impl Default for Fanout {
    /// Two levels of 256.
    fn default() -> Self {
        Fanout {
            levels: 2,
            width: 256,
        }
    }
}

impl Fanout {
    /// True when the parameters are within the spec's bounds.
    pub fn is_valid(self) -> bool {
        self.levels <= 3
            && (2..=4096).contains(&self.width)
            && u64::from(self.width).pow(u32::from(self.levels)) <= 1 << 32
    }

    /// The fanout directory names for hash `h`: level i is
    /// `(h / width^i) % width` in upper-case hex, zero-padded to the
    /// number of hex digits of `width - 1`.
    pub fn dirs(self, h: u32) -> Vec<Ods2Name> {
        let digits = format!("{:X}", self.width.saturating_sub(1)).len();
        let w = u64::from(self.width.max(2));
        let mut v = u64::from(h);
        (0..self.levels)
            .map(|_| {
                let d = v % w;
                v /= w;
                Ods2Name::new(&format!("{d:0digits$X}")).expect("hex digits are ODS-2 characters")
            })
            .collect()
    }
}

/// A message file's identity: 64 bits. The top 8 bits are the index of
/// the store root that holds the file; the store engine makes the rest
/// unique (for example time and a node number). JSON: the file name
/// (`"M00001JC000001"`); a number is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

impl serde::Serialize for MessageId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.file_name().as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MessageId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            N(u64),
            S(String),
        }
        match Repr::deserialize(d)? {
            Repr::N(n) => Ok(MessageId(n)),
            Repr::S(s) => MessageId::from_file_name(&s)
                .ok_or_else(|| <D::Error as serde::de::Error>::custom("not a message file name")),
        }
    }
}

/// Crockford base-32 digits (no I, L, O, U): all ODS-2 characters.
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl MessageId {
    /// The id of a file on root `root`; `unique` supplies the low 56 bits
    /// (its top 8 bits are ignored).
    pub fn new(root: u8, unique: u64) -> MessageId {
        MessageId((u64::from(root) << 56) | (unique & 0x00FF_FFFF_FFFF_FFFF))
    }

    /// The store root that holds the file.
    pub fn root(self) -> u8 {
        (self.0 >> 56) as u8
    }

    /// The file name: `M` and 13 Crockford base-32 digits of the id, most
    /// significant first (the first digit holds the top 4 bits).
    pub fn file_name(self) -> Ods2Name {
        let mut s = String::with_capacity(14);
        s.push('M');
        for i in (0..13).rev() {
            let d = (self.0 >> (i * 5)) & 31;
            s.push(char::from(BASE32[d as usize]));
        }
        Ods2Name::new(&s).expect("base-32 digits are ODS-2 characters")
    }

    /// The id a file name spells, if it is one.
    pub fn from_file_name(name: &str) -> Option<MessageId> {
        let digits = name.strip_prefix('M').or_else(|| name.strip_prefix('m'))?;
        if digits.len() != 13 {
            return None;
        }
        let mut v: u64 = 0;
        for (i, c) in digits.bytes().enumerate() {
            let d = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u64;
            if i == 0 && d > 15 {
                return None;
            }
            v = (v << 5) | d;
        }
        Some(MessageId(v))
    }
}

fn n(s: &str) -> Ods2Name {
    Ods2Name::new(s).expect("fixed names are ODS-2 names")
}

/// File types of the store's files.
pub mod types {
    /// Store descriptor.
    pub const DESCRIPTOR: &str = "PSD";
    /// Account profile.
    pub const PROFILE: &str = "PRF";
    /// popstore message list.
    pub const MESSAGE_LIST: &str = "PML";
    /// Message-list journal.
    pub const MESSAGE_JOURNAL: &str = "PMJ";
    /// MessageStore mailbox list.
    pub const MAILBOX_LIST: &str = "PMB";
    /// A converted account's POP3 UIDL map (`POPUIDLS.PPU`, SPEC.md 9.1).
    pub const POP_UIDLS: &str = "PPU";
    /// MessageStore folder index.
    pub const FOLDER_INDEX: &str = "PFI";
    /// MessageStore folder journal (feature `folder-journal`).
    pub const FOLDER_JOURNAL: &str = "PFJ";
    /// Forwarding database.
    pub const FORWARDING: &str = "PSF";
    /// Group tree.
    pub const GROUPS: &str = "PSG";
    /// Vacation-tracking state.
    pub const VACATION_STATE: &str = "PVS";
    /// Sieve script (owned by the Sieve module).
    pub const SIEVE: &str = "SIV";
    /// A share-index entry (empty; SPEC.md 9.3).
    pub const SHARE: &str = "SHR";
    /// Message file.
    pub const MESSAGE: &str = "MSG";
    /// Suffix of a file type while a replacement is being written.
    pub const TEMP_SUFFIX: &str = "_NEW";
}

/// The directory of user subtrees, below a root.
pub const USERS_DIR: &str = "USERS";
/// The directory of message files, below a root.
pub const MESSAGES_DIR: &str = "MESSAGES";
/// The folder-index directory inside a user subtree.
pub const FOLDERS_DIR: &str = "FOLDERS";
/// The Sieve-script directory inside a user subtree.
pub const SIEVE_DIR: &str = "SIEVE";
/// The directory of the public folders' subtree, below the first users
/// root (SPEC.md 14.4).
pub const PUBLIC_DIR: &str = "PUBLIC";
/// The share index's directory on root 0 (feature `share-index`, SPEC.md
/// 9.3): one empty file per account that shares a folder.
pub const SHARES_DIR: &str = "SHARES";
/// The name of the pseudo-account that holds the public folders: its
/// profile, mailbox list and folder indexes live in `[PUBLIC]` as a
/// user's live in their subtree. No account name can be spelled so (the
/// brackets are not name characters), so it never meets a real account.
pub const PUBLIC_ACCOUNT: &str = "[public]";

/// Computes the path of every file of one store, from the parameters in
/// its descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Directory fanout of user subtrees and message files.
    pub fanout: Fanout,
    /// The roots holding user subtrees, in descriptor order (at least one).
    pub user_roots: Vec<u8>,
    /// Message directories come from bits 24..55 of the id rather than
    /// the hash of the file name (descriptor feature `id-message-dirs`).
    pub id_message_dirs: bool,
    /// Message lists have a journal of appended references (descriptor
    /// feature `list-journal`, SPEC.md 7.1).
    pub list_journal: bool,
    /// Folder indexes have a journal of changes (descriptor feature
    /// `folder-journal`, SPEC.md 8.1).
    pub folder_journal: bool,
    /// An expunge of index entries is paid for by a FREED record in the
    /// folder journal, not by lowering the profile's usage (descriptor
    /// feature `folder-freed`, SPEC.md 8.1).
    pub folder_freed: bool,
    /// `ROOT0:[SHARES]` names every account that shares a folder
    /// (descriptor feature `share-index`, SPEC.md 9.3).
    pub share_index: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            fanout: Fanout::default(),
            user_roots: vec![0],
            id_message_dirs: false,
            list_journal: false,
            folder_journal: false,
            folder_freed: false,
            share_index: false,
        }
    }
}

/// A user's subtree: the root and directories that hold all their files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserDir {
    /// Store root.
    pub root: u8,
    /// `USERS`, the fanout directories, the encoded name.
    pub dirs: Vec<Ods2Name>,
}

impl UserDir {
    /// A file directly in the subtree.
    pub fn file(&self, name: &str, ftype: &str) -> StorePath {
        self.file_in(&[], n(name), ftype)
    }

    fn file_in(&self, sub: &[&str], name: Ods2Name, ftype: &str) -> StorePath {
        let mut dirs = self.dirs.clone();
        dirs.extend(sub.iter().map(|s| n(s)));
        StorePath {
            root: self.root,
            dirs,
            name,
            ftype: n(ftype),
        }
    }

    /// The account profile: `ACCOUNT.PRF`.
    pub fn profile(&self) -> StorePath {
        self.file("ACCOUNT", types::PROFILE)
    }
    /// The popstore message list: `MESSAGES.PML`.
    pub fn message_list(&self) -> StorePath {
        self.file("MESSAGES", types::MESSAGE_LIST)
    }

    /// The message list's journal: `MESSAGES.PMJ`.
    pub fn message_journal(&self) -> StorePath {
        self.file("MESSAGES", types::MESSAGE_JOURNAL)
    }
    /// The MessageStore mailbox list: `MAILBOXES.PMB`.
    pub fn mailbox_list(&self) -> StorePath {
        self.file("MAILBOXES", types::MAILBOX_LIST)
    }
    /// The vacation-tracking state: `VACATION.PVS`.
    pub fn vacation_state(&self) -> StorePath {
        self.file("VACATION", types::VACATION_STATE)
    }
    /// A folder index: `[.FOLDERS]Fxxxxxxxx.PFI` (folder id in 8 hex digits).
    pub fn folder_index(&self, folder_id: u32) -> StorePath {
        self.file_in(
            &[FOLDERS_DIR],
            n(&format!("F{folder_id:08X}")),
            types::FOLDER_INDEX,
        )
    }
    /// A folder index's journal: `[.FOLDERS]Fxxxxxxxx.PFJ`, beside the
    /// index (feature `folder-journal`, SPEC.md 8.1).
    pub fn folder_journal(&self, folder_id: u32) -> StorePath {
        self.file_in(
            &[FOLDERS_DIR],
            n(&format!("F{folder_id:08X}")),
            types::FOLDER_JOURNAL,
        )
    }
    /// A Sieve script: `[.SIEVE]<encoded script name>.SIV`; `None` for an
    /// empty name.
    pub fn sieve_script(&self, script: &str) -> Option<StorePath> {
        let name = encode_name(&canonical_name(script))?;
        Some(self.file_in(&[SIEVE_DIR], name, types::SIEVE))
    }
}

impl Layout {
    /// The store descriptor: `ROOT0:[000000]POPSTORE.PSD`.
    pub fn descriptor() -> StorePath {
        top("POPSTORE", types::DESCRIPTOR)
    }
    /// The group tree: `ROOT0:[000000]GROUPS.PSG`.
    pub fn groups() -> StorePath {
        top("GROUPS", types::GROUPS)
    }
    /// The forwarding database: `ROOT0:[000000]FORWARD.PSF`.
    pub fn forwarding() -> StorePath {
        top("FORWARD", types::FORWARDING)
    }

    /// The share index's entry of the account `name` (any case):
    /// `ROOT0:[SHARES]<encoded name>.SHR` (SPEC.md 9.3). `None` for the
    /// empty name.
    pub fn share_entry(name: &str) -> Option<StorePath> {
        let mut p = top("X", types::SHARE);
        p.dirs.push(n(SHARES_DIR));
        p.name = encode_name(&canonical_name(name))?;
        Some(p)
    }

    /// The subtree named by an encoded account name (a share-index entry's
    /// name, SPEC.md 9.3): the hash is the name's own for the hashed form
    /// (its last 8 hex digits), else that of the decoded name. `None` for
    /// a name that is neither form.
    pub fn subtree_of(&self, encoded: &Ods2Name) -> Option<UserDir> {
        let s = encoded.as_str();
        let h = match s.split_once("$$") {
            Some((_, hex))
                if hex.len() == 8
                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                    && !hex.bytes().any(|b| b.is_ascii_lowercase()) =>
            {
                u32::from_str_radix(hex, 16).ok()?
            }
            Some(_) => return None,
            None => fnv1a32(decode_name(encoded)?.as_bytes()),
        };
        let root = match self.user_roots.len() {
            0 => 0,
            k => self.user_roots[h as usize % k],
        };
        let mut dirs = vec![n(USERS_DIR)];
        dirs.extend(self.fanout.dirs(h));
        dirs.push(encoded.clone());
        Some(UserDir { root, dirs })
    }

    /// The subtree of the account `name` (any case; `user@domain` for an
    /// account of a user domain). `None` for the empty name. The public
    /// folders' pseudo-account [`PUBLIC_ACCOUNT`] has [`Layout::public_dir`].
    pub fn user_dir(&self, name: &str) -> Option<UserDir> {
        let canonical = canonical_name(name);
        if canonical == PUBLIC_ACCOUNT {
            return Some(self.public_dir());
        }
        let enc = encode_name(&canonical)?;
        let h = fnv1a32(canonical.as_bytes());
        let root = match self.user_roots.len() {
            0 => 0,
            k => self.user_roots[h as usize % k],
        };
        let mut dirs = vec![n(USERS_DIR)];
        dirs.extend(self.fanout.dirs(h));
        dirs.push(enc);
        Some(UserDir { root, dirs })
    }

    /// The public folders' subtree: `ROOTu:[PUBLIC]`, u the first users
    /// root. It holds the files of a MessageStore account (profile of
    /// [`PUBLIC_ACCOUNT`], mailbox list, `[.FOLDERS]`), named as in a
    /// user's subtree.
    pub fn public_dir(&self) -> UserDir {
        UserDir {
            root: self.user_roots.first().copied().unwrap_or(0),
            dirs: vec![n(PUBLIC_DIR)],
        }
    }

    /// The message file with id `id`: `ROOTr:[MESSAGES.h1.h2]Mxxxxxxxxxxxxx.MSG`,
    /// the directories from the hash of the file name, or (feature
    /// `id-message-dirs`) from bits 24..55 of the id.
    pub fn message_file(&self, id: MessageId) -> StorePath {
        let name = id.file_name();
        let mut dirs = vec![n(MESSAGES_DIR)];
        let key = if self.id_message_dirs {
            (id.0 >> 24) as u32
        } else {
            fnv1a32(name.as_str().as_bytes())
        };
        dirs.extend(self.fanout.dirs(key));
        StorePath {
            root: id.root(),
            dirs,
            name,
            ftype: n(types::MESSAGE),
        }
    }
}

/// The name a replacement of `p` is written under before it is renamed
/// over `p` (SPEC.md, "Crash consistency"): the type with `_NEW` appended.
pub fn temp_path(p: &StorePath) -> StorePath {
    let mut t = p.clone();
    let ftype = format!("{}{}", p.ftype.as_str(), types::TEMP_SUFFIX);
    t.ftype = Ods2Name::new(&ftype).unwrap_or_else(|_| p.ftype.clone());
    t
}

fn top(name: &str, ftype: &str) -> StorePath {
    StorePath {
        root: 0,
        dirs: Vec::new(),
        name: n(name),
        ftype: n(ftype),
    }
}

/// The Linux spelling of a path below its root's host directory:
/// `dir/.../name.type`, lower case.
pub fn linux_relative(p: &StorePath) -> String {
    let mut s = String::new();
    for d in &p.dirs {
        s.push_str(&d.as_str().to_ascii_lowercase());
        s.push('/');
    }
    s.push_str(&p.name.as_str().to_ascii_lowercase());
    s.push('.');
    s.push_str(&p.ftype.as_str().to_ascii_lowercase());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a32_test_vectors() {
        assert_eq!(fnv1a32(b""), 0x811C_9DC5);
        assert_eq!(fnv1a32(b"a"), 0xE40C_292C);
        assert_eq!(fnv1a32(b"foobar"), 0xBF9C_F968);
        assert_eq!(fnv1a32(b"john"), 0xE720_AD1C);
    }

    #[test]
    fn encodes_names_reversibly_or_with_a_hash() {
        let e = |s: &str| encode_name(s).unwrap().as_str().to_owned();
        assert_eq!(e("john"), "JOHN");
        assert_eq!(e("j.smith@example.com"), "J$2ESMITH$40EXAMPLE$2ECOM");
        assert_eq!(e("jürgen"), "J$C3$BCRGEN");
        let long = "a-very-long-user-name-that-does-not-fit@example.org";
        let h = e(long);
        assert!(h.len() <= 39 && h.contains("$$"), "{h}");
        assert_eq!(decode_name(&encode_name(long).unwrap()), None);
        for s in ["john", "j.smith@example.com", "jürgen", "$", "a$24b"] {
            assert_eq!(decode_name(&encode_name(s).unwrap()).as_deref(), Some(s));
        }
        assert!(encode_name("").is_none());
    }

    /// A share-index entry names its account's subtree, in both forms of
    /// the encoding (SPEC.md 9.3).
    #[test]
    fn share_entries_lead_to_their_subtrees() {
        let l = Layout {
            user_roots: vec![0, 1],
            ..Layout::default()
        };
        let e = Layout::share_entry("John").unwrap();
        assert_eq!(e.to_string(), "ROOT0:[SHARES]JOHN.SHR");
        assert_eq!(linux_relative(&e), "shares/john.shr");
        let long = "a-very-long-user-name-that-does-not-fit@example.org";
        for name in ["john", "j.smith@example.com", long] {
            let e = Layout::share_entry(name).unwrap();
            assert_eq!(l.subtree_of(&e.name), l.user_dir(name), "{name}");
        }
        assert_eq!(l.subtree_of(&n("A$$1234567")), None, "7 hex digits");
        assert_eq!(l.subtree_of(&n("A$ZZ")), None, "not an encoding");
    }

    /// SPEC.md 14.5's worked example of `id-message-dirs`.
    #[test]
    fn id_message_dirs_follow_the_worked_example() {
        let l = Layout {
            id_message_dirs: true,
            ..Layout::default()
        };
        let p = l.message_file(MessageId(0x0012_3456_00AB_CDEF));
        let dirs: Vec<&str> = p.dirs.iter().map(|d| d.as_str()).collect();
        assert_eq!(dirs, ["MESSAGES", "00", "56"]);
    }

    #[test]
    fn paths_follow_the_spec() {
        let l = Layout::default();
        let u = l.user_dir("John").unwrap();
        // fnv1a32("john") = 0xE720AD1C: level 0 = 0x1C, level 1 = 0xAD.
        assert_eq!(
            u.profile().to_string(),
            "ROOT0:[USERS.1C.AD.JOHN]ACCOUNT.PRF"
        );
        assert_eq!(linux_relative(&u.profile()), "users/1c/ad/john/account.prf");
        assert_eq!(
            u.folder_index(1).to_string(),
            "ROOT0:[USERS.1C.AD.JOHN.FOLDERS]F00000001.PFI"
        );
        assert_eq!(
            Layout::descriptor().to_string(),
            "ROOT0:[000000]POPSTORE.PSD"
        );
        let public = l.user_dir(PUBLIC_ACCOUNT).unwrap();
        assert_eq!(public, l.public_dir());
        assert_eq!(
            public.mailbox_list().to_string(),
            "ROOT0:[PUBLIC]MAILBOXES.PMB"
        );
        assert_eq!(
            linux_relative(&public.folder_journal(2)),
            "public/folders/f00000002.pfj"
        );
        let two = Layout {
            user_roots: vec![2, 3],
            ..Layout::default()
        };
        assert_eq!(two.public_dir().root, 2);
        let id = MessageId(0x0100_0000_0000_002A);
        assert_eq!(id.file_name().as_str(), "M020000000001A");
        assert_eq!(MessageId::from_file_name("M020000000001A"), Some(id));
        assert_eq!(l.message_file(id).root, 1);
        let f = Fanout {
            levels: 3,
            width: 4096,
        };
        assert!(!f.is_valid());
        assert!(
            Fanout {
                levels: 2,
                width: 4096
            }
            .is_valid()
        );
    }
}
