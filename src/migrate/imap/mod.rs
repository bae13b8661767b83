//! A remote IMAP server as a source (`imap://USER@HOST:PORT`, password on
//! standard input): every folder LIST shows, each read with EXAMINE (the
//! source is never changed, not even `\Seen`), its UIDVALIDITY, and each
//! message's UID, flags, keywords, INTERNALDATE and bytes (`BODY.PEEK[]`).
//!
//! `imaps://` is TLS from the first byte (port 993), `imap://` STARTTLS
//! (port 143), which is required unless plaintext is asked for (loopback
//! tests). A connection that drops is opened again and the folder goes on
//! where it was (the UIDVALIDITY must not have changed); after
//! [`RETRIES`] drops in a row without progress the folder is reported
//! and the run goes on. A second run fetches only what the first did not
//! migrate (the state keys are `imap:UIDVALIDITY:UID`).

mod conn;
pub mod value;

use std::collections::{BTreeMap, HashSet};

use popstore_formats::folder::SystemFlags;

use self::conn::{Conn, Target};
use self::value::{Value, code_number, values};
use super::plan::Migrator;
use super::source::ReadOptions;
use super::{Body, Problem, SourceMessage};
use crate::store::folder_name::FolderName;

/// Reconnections in a row without a message migrated before a folder is
/// given up.
pub const RETRIES: u32 = 5;

/// Messages per `UID FETCH` of bodies.
const CHUNK: usize = 50;

/// An `imap://` or `imaps://` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// The login name.
    pub user: String,
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// `imaps://`.
    pub implicit_tls: bool,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Url {
    /// Parses `imap://USER@HOST[:PORT][/]` (USER may be %-encoded).
    pub fn parse(s: &str) -> Result<Url, String> {
        let (implicit_tls, rest) = if let Some(r) = s.strip_prefix("imaps://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("imap://") {
            (false, r)
        } else {
            return Err(format!("{s}: not an imap:// or imaps:// URL"));
        };
        let rest = rest.trim_end_matches('/');
        let (user, hostport) = rest
            .rsplit_once('@')
            .ok_or_else(|| format!("{s}: the URL needs USER@HOST"))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => {
                (h, p.parse().map_err(|_| format!("{s}: bad port {p:?}"))?)
            }
            _ => (hostport, if implicit_tls { 993 } else { 143 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if user.is_empty() || host.is_empty() {
            return Err(format!("{s}: the URL needs USER@HOST"));
        }
        Ok(Url {
            user: percent_decode(user),
            host: host.to_string(),
            port,
            implicit_tls,
        })
    }

    fn shown(&self, folder: &str) -> String {
        let s = if self.implicit_tls { "imaps" } else { "imap" };
        format!("{s}://{}@{}:{}/{folder}", self.user, self.host, self.port)
    }
}

/// One message's data before its bytes are fetched.
#[derive(Debug, Clone, Default)]
struct Meta {
    flags: SystemFlags,
    keywords: Vec<String>,
    date: Option<i64>,
}

/// The FETCH items of an untagged `* n FETCH (...)` response.
fn fetch_items(r: &[u8]) -> Option<Vec<Value>> {
    let v = values(r.strip_prefix(b"* ")?);
    match v.as_slice() {
        [Value::Atom(_), Value::Atom(f), Value::List(items), ..]
            if f.eq_ignore_ascii_case("FETCH") =>
        {
            Some(items.clone())
        }
        _ => None,
    }
}

fn item<'a>(items: &'a [Value], name: &str) -> Option<&'a Value> {
    items
        .chunks(2)
        .find(|kv| kv[0].text().is_some_and(|k| k.eq_ignore_ascii_case(name)))
        .and_then(|kv| kv.get(1))
}

fn meta_of(items: &[Value]) -> Meta {
    let mut m = Meta::default();
    if let Some(Value::List(fl)) = item(items, "FLAGS") {
        for f in fl.iter().filter_map(Value::text) {
            let flag = match f.to_ascii_lowercase().as_str() {
                "\\seen" => SystemFlags::SEEN,
                "\\answered" => SystemFlags::ANSWERED,
                "\\flagged" => SystemFlags::FLAGGED,
                "\\deleted" => SystemFlags::DELETED,
                "\\draft" => SystemFlags::DRAFT,
                _ if f.starts_with('\\') => continue, // \Recent and the like
                _ => {
                    m.keywords.push(f);
                    continue;
                }
            };
            m.flags = m.flags | flag;
        }
    }
    m.date = item(items, "INTERNALDATE")
        .and_then(Value::text)
        .and_then(|d| super::date::internal_date(&d));
    m
}

fn uid_of(items: &[Value]) -> Option<u32> {
    item(items, "UID")?.text()?.parse().ok()
}

/// A connection, logged in.
fn session(t: &Target, url: &Url, password: &str) -> Result<Conn, String> {
    let mut c = Conn::open(t)?;
    c.login(&url.user, password)
        .map_err(|e| format!("login: {e}"))?;
    Ok(c)
}

/// The selectable folders: (name on the server, stored name), INBOX first.
fn folders(c: &mut Conn) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    c.command("LIST \"\" \"*\"", |r| {
        let Some(rest) = r.strip_prefix(b"* ") else {
            return;
        };
        let v = values(rest);
        let [Value::Atom(kind), Value::List(flags), delim, name, ..] = v.as_slice() else {
            return;
        };
        if !kind.eq_ignore_ascii_case("LIST") {
            return;
        }
        let noselect = flags.iter().filter_map(Value::text).any(|f| {
            f.eq_ignore_ascii_case("\\Noselect") || f.eq_ignore_ascii_case("\\NonExistent")
        });
        let Some(wire) = name.text() else { return };
        if noselect {
            return;
        }
        let stored = match delim.text().filter(|d| d.len() == 1) {
            Some(d) => wire.replace(&d, "/"),
            None => wire.clone(),
        };
        out.push((wire, stored));
    })?;
    out.sort_by_key(|(_, s)| (!s.eq_ignore_ascii_case("INBOX"), s.clone()));
    Ok(out)
}

/// Migrates every folder of the server at `url`.
pub fn migrate(m: &mut Migrator, url: &Url, opts: &ReadOptions) {
    let shown = url.shown("");
    let Some(password) = opts.password.clone() else {
        m.report.incomplete = true;
        m.problems.push(Problem::new(
            shown,
            "no password (give it on standard input)",
        ));
        return;
    };
    let t = Target {
        host: url.host.clone(),
        port: url.port,
        implicit_tls: url.implicit_tls,
        plaintext: opts.insecure,
        ca_file: opts.ca_file.clone(),
    };
    let mut conn = match session(&t, url, &password) {
        Ok(c) => c,
        Err(e) => {
            m.report.incomplete = true;
            m.problems.push(Problem::new(shown, e));
            return;
        }
    };
    let list = match folders(&mut conn) {
        Ok(l) => l,
        Err(e) => {
            m.report.incomplete = true;
            m.problems.push(Problem::new(shown, format!("LIST: {e}")));
            return;
        }
    };
    for (wire, stored) in list {
        let name = if stored.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_string()
        } else {
            match FolderName::from_utf7(&stored) {
                Ok(f) => f.as_str().to_string(),
                Err(_) => stored.clone(),
            }
        };
        let mut f = FolderRun {
            url,
            t: &t,
            password: &password,
            wire: &wire,
            name: &name,
            opts,
        };
        if let Err(e) = f.run(m, &mut conn) {
            m.report.incomplete = true;
            m.problems.push(Problem::new(url.shown(&wire), e));
            m.end_folder();
            match session(&t, url, &password) {
                Ok(c) => conn = c,
                Err(e) => {
                    m.report.incomplete = true;
                    m.problems.push(Problem::new(
                        shown,
                        format!("the rest of the server left out: {e}"),
                    ));
                    return;
                }
            }
        }
    }
    let _ = conn.command("LOGOUT", |_| {});
}

/// One folder's run.
struct FolderRun<'a> {
    url: &'a Url,
    t: &'a Target,
    password: &'a str,
    wire: &'a str,
    name: &'a str,
    opts: &'a ReadOptions,
}

impl FolderRun<'_> {
    /// EXAMINEs the folder: its UIDVALIDITY.
    fn examine(&self, c: &mut Conn) -> Result<Option<u32>, String> {
        let mut uv = None;
        c.command(&format!("EXAMINE {}", Conn::mailbox_arg(self.wire)), |r| {
            if let Some(v) = code_number(r, "UIDVALIDITY") {
                uv = Some(v);
            }
        })?;
        Ok(uv.filter(|v| *v != 0))
    }

    fn run(&mut self, m: &mut Migrator, conn: &mut Conn) -> Result<(), String> {
        let uv = self.examine(conn)?;
        let mut metas: BTreeMap<u32, Meta> = BTreeMap::new();
        conn.command("UID FETCH 1:* (UID FLAGS INTERNALDATE)", |r| {
            if let Some(items) = fetch_items(r)
                && let Some(uid) = uid_of(&items)
            {
                metas.insert(uid, meta_of(&items));
            }
        })?;
        m.begin_folder(self.name, &self.url.shown(self.wire), uv);
        if let Some(p) = m.progress() {
            p.inc_length(metas.len() as u64);
        }
        let key = |uid: u32| format!("imap:{}:{uid}", uv.unwrap_or(0));
        let mut todo: Vec<u32> = Vec::new();
        for uid in metas.keys() {
            if !m.skip_known(&key(*uid), uv.map(|_| *uid)) {
                todo.push(*uid);
            }
        }
        let mut done: HashSet<u32> = HashSet::new();
        let mut failures = 0;
        while done.len() < todo.len() {
            let left: Vec<u32> = todo.iter().copied().filter(|u| !done.contains(u)).collect();
            let before = done.len();
            match self.fetch(conn, m, &left, &metas, uv, &mut done) {
                Ok(()) => {
                    let missing: Vec<u32> =
                        left.iter().copied().filter(|u| !done.contains(u)).collect();
                    for u in &missing {
                        m.problems.push(Problem::new(
                            format!("{} UID {u}", self.url.shown(self.wire)),
                            "the server gave no BODY[] (expunged meanwhile?): not migrated",
                        ));
                        done.insert(*u);
                    }
                }
                Err(e) if e.starts_with("connection:") => {
                    failures = if done.len() > before { 1 } else { failures + 1 };
                    if failures > RETRIES {
                        return Err(format!("{e}; gave up after {RETRIES} reconnections"));
                    }
                    m.problems.push(Problem::new(
                        self.url.shown(self.wire),
                        format!(
                            "{e}: connected again, the folder goes on at the message it stopped"
                        ),
                    ));
                    *conn = session(self.t, self.url, self.password)?;
                    if self.examine(conn)? != uv {
                        return Err("UIDVALIDITY changed while reconnecting: the rest of the folder left out".into());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        m.end_folder();
        Ok(())
    }

    /// Fetches the bodies of `uids`, chunk by chunk, into the migrator.
    fn fetch(
        &self,
        conn: &mut Conn,
        m: &mut Migrator,
        uids: &[u32],
        metas: &BTreeMap<u32, Meta>,
        uv: Option<u32>,
        done: &mut HashSet<u32>,
    ) -> Result<(), String> {
        for chunk in uids.chunks(CHUNK) {
            let set: Vec<String> = chunk.iter().map(u32::to_string).collect();
            let cmd = format!("UID FETCH {} (UID BODY.PEEK[])", set.join(","));
            conn.command(&cmd, |r| {
                let Some(items) = fetch_items(r) else { return };
                let (Some(uid), Some(Value::Str(body))) = (uid_of(&items), item(&items, "BODY[]"))
                else {
                    return;
                };
                if !done.insert(uid) {
                    return;
                }
                let meta = metas.get(&uid).cloned().unwrap_or_default();
                let mut msg = SourceMessage::new(
                    Body::Bytes(body.clone()),
                    format!("{} UID {uid}", self.url.shown(self.wire)),
                );
                msg.flags = meta.flags;
                msg.keywords = meta.keywords;
                msg.internal_date = meta.date;
                msg.uid = uv.map(|_| uid);
                msg.uidl = super::uidl_from_format(&self.opts.uidl_format, Some(uid), uv, None);
                msg.key = Some(format!("imap:{}:{uid}", uv.unwrap_or(0)));
                m.message(msg);
            })?;
        }
        Ok(())
    }
}
