//! Differential test of the Sieve engine against Pigeonhole's `sieve-test`
//! (Debian's dovecot-sieve): every case under `tests/sieve-cases/` runs
//! through both, and the normalised action lists must agree.
//!
//! A case file is a Sieve script whose first comment lines name the
//! message (`# msg:`, a file in `messages/`) and the envelope (`# from:`,
//! `# to:`). Where Pigeonhole is wrong by the RFC (or lacks an extension)
//! the case pins the RFC result with `# expect:` lines and
//! `tests/sieve-cases/EXCEPTIONS.md` says why; those cases are compared
//! with their expectation only.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use popstore::sieve::{self, Action, Env, Limits, Location, Message, ScriptLoader};

/// Included scripts come from `tests/sieve-cases/scripts/{personal,global}`,
/// the same files Pigeonhole reads.
struct CaseScripts;

impl ScriptLoader for CaseScripts {
    fn load(&self, location: Location, name: &str) -> Option<String> {
        let dir = match location {
            Location::Personal => "personal",
            Location::Global => "global",
        };
        std::fs::read_to_string(
            cases_dir()
                .join("scripts")
                .join(dir)
                .join(format!("{name}.sieve")),
        )
        .ok()
    }
}

struct Case {
    id: String,
    script: String,
    msg: String,
    from: String,
    to: String,
    expect: Option<Vec<String>>,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sieve-cases")
}

fn load_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(cases_dir())
        .expect("tests/sieve-cases")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("messages") && !p.ends_with("scripts"))
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .expect("case dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "sieve"))
        {
            let script = std::fs::read_to_string(&f).expect("case file");
            let field = |k: &str| {
                script
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("# {k}: ")).map(str::to_string))
                    .unwrap_or_default()
            };
            let expect: Vec<String> = script
                .lines()
                .filter_map(|l| l.strip_prefix("# expect: ").map(str::to_string))
                .collect();
            let ext = d
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let name = f
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            out.push(Case {
                id: format!("{ext}/{name}"),
                msg: field("msg"),
                from: field("from"),
                to: field("to"),
                expect: (!expect.is_empty()).then_some(expect),
                script,
            });
        }
    }
    out
}

fn flags_str(f: &[String]) -> String {
    if f.is_empty() {
        return String::new();
    }
    let mut v: Vec<String> = f.iter().map(|x| x.to_ascii_lowercase()).collect();
    v.sort();
    v.dedup();
    format!(" flags={}", v.join(" "))
}

/// Our engine's result, normalised.
fn ours(c: &Case, msg: &[u8]) -> Vec<String> {
    // Pigeonhole's default configuration has no maximum vacation period.
    let limits = Limits {
        vacation_max_period: u64::MAX,
        ..Limits::default()
    };
    let script = match sieve::compile_with(&c.script, &limits, &CaseScripts) {
        Ok(s) => s,
        Err(_) => return vec!["compile-error".into()],
    };
    let m = Message::parse(msg, &c.from, &c.to);
    let exists = |n: &str| ["INBOX", "Work", "Archive"].contains(&n);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let env = Env {
        now,
        local_offset: 0,
        limits: &limits,
        mailbox_exists: &exists,
        separator: '+',
    };
    let out = match sieve::run(&script, &m, &env) {
        Ok(o) => o,
        Err(_) => return vec!["runtime-error".into()],
    };
    let mut v: Vec<String> = out
        .all()
        .iter()
        .map(|a| match a {
            Action::Keep { flags, .. } => format!("store INBOX{}", flags_str(flags)),
            Action::Fileinto { mailbox, flags, .. } => {
                format!("store {mailbox}{}", flags_str(flags))
            }
            Action::Discard => "discard".into(),
            Action::Redirect { address, .. } => format!("redirect {address}"),
            // sieve-test prints control characters as '?'.
            Action::Reject { reason } => format!("reject {}", reason.replace("\r\n", "??")),
            Action::Ereject { reason } => format!("ereject {}", reason.replace("\r\n", "\\n")),
            Action::Vacation(v) => format!(
                "vacation seconds={} subject={} from={} reason={}",
                v.seconds,
                v.subject.clone().unwrap_or_default(),
                v.from.clone().unwrap_or_default(),
                v.reason.replace("\r\n", "\\n")
            ),
        })
        .collect();
    v.sort();
    v
}

/// Pigeonhole's printed result, normalised the same way.
fn pigeonhole_parse(out: &str) -> Vec<String> {
    if out.contains("failed to compile sieve script") {
        return vec!["compile-error".into()];
    }
    if out.contains("final result: failed") {
        return vec!["runtime-error".into()];
    }
    let mut v: Vec<String> = Vec::new();
    let mut lines = out.lines().peekable();
    let mut reason: Option<String> = None;
    while let Some(l) = lines.next() {
        if let Some(r) = l.strip_prefix(" * ") {
            if let Some(f) = r.strip_prefix("store message in folder: ") {
                v.push(format!("store {f}"));
            } else if r == "discard" {
                v.push("discard".into());
            } else if let Some(a) = r.strip_prefix("redirect message to: ") {
                v.push(format!(
                    "redirect {}",
                    a.trim_start_matches('<').trim_end_matches('>')
                ));
            } else if let Some(t) = r.strip_prefix("reject message with reason: ") {
                let mut t = t.to_string();
                while let Some(n) = lines.peek() {
                    if n.starts_with(" * ") || n.starts_with("Implicit keep:") || n.is_empty() {
                        break;
                    }
                    t.push_str("\\n");
                    t.push_str(n);
                    lines.next();
                }
                v.push(format!("reject {t}"));
            } else if r.starts_with("send vacation message") {
                let (mut secs, mut subj, mut from) = (String::new(), String::new(), String::new());
                for n in lines.by_ref() {
                    if let Some(x) = n.trim().strip_prefix("=> seconds : ") {
                        secs = x.to_string();
                    } else if let Some(x) = n.trim().strip_prefix("=> subject : ") {
                        subj = x.to_string();
                    } else if let Some(x) = n.trim().strip_prefix("=> from    : ") {
                        from = x.to_string();
                    } else if n == "START MESSAGE" {
                        let mut body: Vec<&str> = Vec::new();
                        for b in lines.by_ref() {
                            if b == "END MESSAGE" {
                                break;
                            }
                            body.push(b);
                        }
                        reason = Some(body.join("\\n"));
                        break;
                    }
                }
                v.push(format!(
                    "vacation seconds={secs} subject={subj} from={from} reason={}",
                    reason.take().unwrap_or_default()
                ));
            }
        } else if let Some(f) = l.trim().strip_prefix("+ add IMAP flags: ")
            && let Some(last) = v.last_mut()
        {
            let fl: Vec<String> = f.split_whitespace().map(str::to_string).collect();
            last.push_str(&flags_str(&fl));
        }
    }
    v.sort();
    v
}

fn run_pigeonhole(dir: &Path, cases: &[(usize, &Case)]) -> Vec<(usize, String)> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    let mut out = Vec::new();
    for (i, c) in cases {
        let script = dir.join(format!("case{i}.sieve"));
        let msg = dir.join("messages").join(&c.msg);
        let args: Vec<String> = vec![
            "-c".into(),
            dir.join("dovecot.conf").display().to_string(),
            "-x".into(),
            "+vacation-seconds".into(),
            "-l".into(),
            format!("maildir:{}", dir.join("maildir").display()),
            "-f".into(),
            c.from.clone(),
            "-a".into(),
            c.to.clone(),
            "-r".into(),
            c.to.clone(),
            script.display().to_string(),
            msg.display().to_string(),
        ];
        let mut cmd = if root {
            let mut k = Command::new("runuser");
            k.args(["-u", "nobody", "--", "env"]);
            k.arg(format!("HOME={}", dir.display()));
            k.arg("TZ=UTC").arg("sieve-test");
            k
        } else {
            let mut k = Command::new("env");
            k.arg(format!("HOME={}", dir.display()))
                .arg("TZ=UTC")
                .arg("sieve-test");
            k
        };
        let o = cmd.args(&args).output().expect("running sieve-test");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        out.push((*i, text));
    }
    out
}

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn sieve_cases_agree_with_pigeonhole() {
    let found = Command::new("sh")
        .args(["-c", "command -v sieve-test"])
        .output()
        .map(|o| o.status.success());
    assert!(
        found.unwrap_or(false),
        "sieve-test (Debian package dovecot-sieve) is missing: run ci/install-deps.sh"
    );
    let cases = load_cases();
    assert!(cases.len() >= 300, "only {} cases", cases.len());

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    set_mode(dir, 0o777);
    std::fs::create_dir(dir.join("messages")).expect("mkdir");
    for e in std::fs::read_dir(cases_dir().join("messages"))
        .expect("messages")
        .flatten()
    {
        let to = dir.join("messages").join(e.file_name());
        std::fs::copy(e.path(), &to).expect("copy message");
        set_mode(&to, 0o644);
    }
    for sub in ["maildir", "maildir/cur", "maildir/new", "maildir/tmp"]
        .iter()
        .map(|s| s.to_string())
        .chain(["Work", "Archive"].iter().flat_map(|f| {
            ["", "/cur", "/new", "/tmp"]
                .iter()
                .map(move |s| format!("maildir/.{f}{s}"))
        }))
    {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).expect("maildir");
        set_mode(&p, 0o777);
    }
    // Personal and global script locations for include (RFC 6609).
    for (sub, to) in [("personal", "sv"), ("global", "global")] {
        let d = dir.join(to);
        std::fs::create_dir_all(&d).expect("mkdir");
        set_mode(&d, 0o777);
        for e in std::fs::read_dir(cases_dir().join("scripts").join(sub))
            .expect("scripts")
            .flatten()
        {
            let t = d.join(e.file_name());
            std::fs::copy(e.path(), &t).expect("copy script");
            set_mode(&t, 0o644);
        }
    }
    let conf = dir.join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "plugin {{\n  sieve = file:{0}/sv;active={0}/active.sieve\n  sieve_global = {0}/global\n}}\n",
            dir.display()
        ),
    )
    .expect("write dovecot.conf");
    set_mode(&conf, 0o644);
    for (i, c) in cases.iter().enumerate() {
        let p = dir.join(format!("case{i}.sieve"));
        std::fs::write(&p, &c.script).expect("write case");
        set_mode(&p, 0o644);
    }

    // Pigeonhole: one process per case, four at a time.
    let todo: Vec<(usize, &Case)> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.expect.is_none())
        .collect();
    let chunks: Vec<Vec<(usize, &Case)>> = todo
        .chunks(todo.len().div_ceil(4).max(1))
        .map(|c| c.to_vec())
        .collect();
    let mut theirs: BTreeMap<usize, String> = BTreeMap::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|ch| s.spawn(|| run_pigeonhole(dir, ch)))
            .collect();
        for h in handles {
            theirs.extend(h.join().expect("sieve-test thread"));
        }
    });

    let mut failures = Vec::new();
    let mut per_ext: BTreeMap<String, usize> = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        *per_ext
            .entry(c.id.split('/').next().unwrap_or("").to_string())
            .or_default() += 1;
        let msg = std::fs::read(cases_dir().join("messages").join(&c.msg)).expect("message");
        let mine = ours(c, &msg);
        let want = match &c.expect {
            Some(e) => {
                let mut e = e.clone();
                e.sort();
                e
            }
            None => pigeonhole_parse(theirs.get(&i).map(String::as_str).unwrap_or("")),
        };
        if mine != want {
            failures.push(format!(
                "{}: ours {:?}, {} {:?}\n--- sieve-test said:\n{}",
                c.id,
                mine,
                if c.expect.is_some() {
                    "expected"
                } else {
                    "pigeonhole"
                },
                want,
                theirs.get(&i).map(String::as_str).unwrap_or("(not run)")
            ));
        }
    }
    eprintln!("cases per extension: {per_ext:?}");
    if std::env::var_os("SIEVE_DUMP").is_some() {
        for (i, c) in cases.iter().enumerate() {
            let msg = std::fs::read(cases_dir().join("messages").join(&c.msg)).expect("message");
            eprintln!("DUMP {} {:?}", c.id, ours(c, &msg));
            let _ = i;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
