//! `popstore init`: create a store; and the helpers every management
//! command shares (open the store, act as a manager, read passwords,
//! report errors with the right exit code).

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::store::groups::Actor;
use crate::store::name::NameStyle;
use crate::store::password::Secret;
use crate::store::{Settings, Store, StoreError};

/// Options of `popstore init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// How accounts are named: by local part (`john`) or full address.
    #[arg(long, value_enum, default_value = "local")]
    pub name_style: NameStyleArg,
    /// User domains (local style): `user@domain` accounts in per-domain
    /// namespaces, each with its own `default@domain` template.
    #[arg(long)]
    pub user_domains: bool,
    /// Character set of account names (`us-ascii`, `utf-8`, `iso-8859-1`...).
    #[arg(long, default_value = "us-ascii")]
    pub charset: String,
    /// An existing account cannot be forwarded (PMDF's no-override).
    #[arg(long)]
    pub no_forward_override: bool,
}

/// `--name-style` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NameStyleArg {
    /// Local part only.
    Local,
    /// Full address.
    Address,
}

/// A failure at the CLI's edge: message and exit code.
#[derive(Debug)]
pub struct Failure {
    /// The one-line message.
    pub message: String,
    /// The exit code (1 refused or not found, 2 bad arguments).
    pub code: u8,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::BadName(_) | StoreError::Invalid(_) | StoreError::FolderName(_) => 2,
            _ => 1,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

impl Failure {
    /// A refusal (exit 1).
    pub fn refused(m: impl Into<String>) -> Self {
        Failure {
            message: m.into(),
            code: 1,
        }
    }

    /// A bad argument (exit 2).
    pub fn usage(m: impl Into<String>) -> Self {
        Failure {
            message: m.into(),
            code: 2,
        }
    }
}

/// Prints a failure as `popstore: message` and gives its exit code.
pub fn finish(r: Result<(), Failure>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("popstore: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// The platform for a store directory on this host.
pub fn platform_for(dir: &Path) -> Arc<dyn popstore_platform::Platform> {
    crate::host::native(vec![dir.to_path_buf()])
}

/// Opens the store in `dir`.
pub fn open_store(dir: &Path) -> Result<Arc<Store>, Failure> {
    if !dir.is_dir() {
        return Err(Failure::refused(format!(
            "no store at {} (run `popstore init` first)",
            dir.display()
        )));
    }
    Ok(Arc::new(Store::open(platform_for(dir))?))
}

/// Reads lines of stdin on demand (the `--as` manager password first,
/// then a `--password-stdin` password).
#[derive(Debug, Default)]
pub struct Stdin {
    lines: Option<std::io::Lines<std::io::StdinLock<'static>>>,
}

impl Stdin {
    /// The next line of stdin without its line end.
    pub fn line(&mut self, what: &str) -> Result<Secret, Failure> {
        let lines = self
            .lines
            .get_or_insert_with(|| std::io::stdin().lock().lines());
        match lines.next() {
            Some(Ok(l)) => Ok(Secret::new(l.trim_end_matches('\r').to_string())),
            _ => Err(Failure::usage(format!("expected {what} on standard input"))),
        }
    }
}

/// A new password: from stdin with `--password-stdin`, else prompted
/// twice on the terminal without echo; `None` when neither is possible
/// and `required` is false.
pub fn new_password(
    stdin_flag: bool,
    input: &mut Stdin,
    required: bool,
) -> Result<Option<Secret>, Failure> {
    if stdin_flag {
        let p = input.line("the password")?;
        if p.expose().is_empty() {
            return Err(Failure::usage("empty password"));
        }
        return Ok(Some(p));
    }
    if !std::io::stdin().is_terminal() {
        return if required {
            Err(Failure::usage(
                "no terminal to prompt for the password: use --password-stdin",
            ))
        } else {
            Ok(None)
        };
    }
    let a = rpassword::prompt_password("New password: ")
        .map_err(|e| Failure::refused(format!("cannot read the password: {e}")))?;
    if a.is_empty() {
        return if required {
            Err(Failure::usage("empty password"))
        } else {
            Ok(None)
        };
    }
    let b = rpassword::prompt_password("Again: ")
        .map_err(|e| Failure::refused(format!("cannot read the password: {e}")))?;
    if a != b {
        return Err(Failure::usage("the passwords differ"));
    }
    Ok(Some(Secret::new(a)))
}

/// The actor: the administrator, or with `--as NAME` that MANAGE
/// account, its password read as the first line of stdin.
pub fn actor(store: &Store, as_name: Option<&str>, input: &mut Stdin) -> Result<Actor, Failure> {
    match as_name {
        None => Ok(Actor::Admin),
        Some(n) => {
            let pw = input.line("the password of the --as account")?;
            store
                .manager(n, &pw)
                .map_err(|e| Failure::refused(format!("cannot act as {n}: {e}")))
        }
    }
}

/// Runs `popstore init`.
pub fn run(dir: &Path, a: InitArgs) -> ExitCode {
    finish(init(dir, a))
}

fn init(dir: &Path, a: InitArgs) -> Result<(), Failure> {
    let settings = Settings {
        name_style: match a.name_style {
            NameStyleArg::Local => NameStyle::Local,
            NameStyleArg::Address => NameStyle::Address,
        },
        user_domains: a.user_domains,
        no_forward_override: a.no_forward_override,
        charset: a.charset,
        ..Settings::default()
    };
    settings.rules()?;
    if a.user_domains && settings.name_style == NameStyle::Address {
        return Err(Failure::usage(
            "--user-domains goes with --name-style local",
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::refused(format!("cannot create {}: {e}", dir.display())))?;
    Store::init(platform_for(dir), settings)?;
    println!("initialised store at {}", dir.display());
    // A self-signed TLS pair at the default `[tls]` paths, so POP3S and
    // STLS work out of the box (replace it with a real certificate).
    let host = crate::config::system_hostname();
    let mut names = vec![host.clone()];
    if host != "localhost" {
        names.push("localhost".into());
    }
    let (cert, key) = (dir.join("tls/cert.pem"), dir.join("tls/key.pem"));
    if crate::tls::ensure_self_signed(&cert, &key, &names)
        .map_err(|e| Failure::refused(e.to_string()))?
    {
        println!(
            "generated a self-signed TLS certificate: {}",
            cert.display()
        );
    }
    Ok(())
}
