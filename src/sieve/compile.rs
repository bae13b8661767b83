//! The compiler: checks the command tree against RFC 5228 and the required
//! extensions and produces a [`Script`]. Unknown extensions, unknown
//! commands, wrong argument types and misplaced commands are errors here,
//! at upload time, never at delivery.

use std::cell::RefCell;

use super::args::{Ctx, Param, raw_str};
use super::error::SieveError;
use super::include::{Includes, Location, Resolved, ScriptLoader};
use super::ir::{Cmd, FlagOp, Modifier, Script, VacationCmd};
use super::limits::Limits;
use super::parser::{Arg, CommandNode, parse};

/// The extensions this engine implements (the `require` names).
pub const EXTENSIONS: &[&str] = &[
    "fileinto",
    "envelope",
    "encoded-character",
    "copy",
    "body",
    "variables",
    "vacation",
    "vacation-seconds",
    "relational",
    "imap4flags",
    "subaddress",
    "date",
    "index",
    "reject",
    "ereject",
    "mailbox",
    "include",
    "comparator-i;octet",
    "comparator-i;ascii-casemap",
    "comparator-i;ascii-numeric",
];

/// The extensions in force while compiling.
#[derive(Debug, Default)]
pub struct Caps(Vec<String>);

impl Caps {
    /// Whether `ext` was required.
    pub fn has(&self, ext: &str) -> bool {
        self.0.iter().any(|e| e == ext)
    }
}

/// Compiles a script with the given limits; `include`d scripts come from
/// `loader` and are compiled too.
pub fn compile(
    src: &str,
    limits: &Limits,
    loader: &dyn ScriptLoader,
) -> Result<Script, SieveError> {
    let inc = Includes {
        loader,
        limits,
        table: RefCell::new(Vec::new()),
        stack: RefCell::new(Vec::new()),
    };
    let mut script = compile_inner(src, &inc)?;
    script.includes = inc
        .table
        .into_inner()
        .into_iter()
        .filter_map(|(_, _, s)| s)
        .collect();
    Ok(script)
}

/// Compiles one script (top-level or included).
pub(super) fn compile_inner(src: &str, inc: &Includes<'_>) -> Result<Script, SieveError> {
    let limits = inc.limits;
    let tree = parse(src, limits)?;
    let mut caps = Caps::default();
    let mut body_start = 0;
    for node in &tree {
        if node.name != "require" {
            break;
        }
        body_start += 1;
        let ctx = Ctx {
            src,
            variables: false,
            encoded: false,
        };
        if node.block.is_some() || !node.tests.is_empty() {
            return Err(ctx.err(node.at, "require takes only a string list"));
        }
        let sp = ctx.split("require", &node.args, &[])?;
        ctx.positional("require", node.at, &sp.pos, &[Param::List])?;
        let names: Vec<String> = match &sp.pos[0].arg {
            Arg::Str(s) => vec![s.clone()],
            Arg::List(l) => l.clone(),
            _ => Vec::new(),
        };
        for n in names {
            let lower = n.to_ascii_lowercase();
            if !EXTENSIONS.contains(&lower.as_str()) {
                return Err(ctx.err(sp.pos[0].at, &format!("require: unknown extension \"{n}\"")));
            }
            if !caps.has(&lower) {
                caps.0.push(lower);
            }
        }
    }
    let ctx = Ctx {
        src,
        variables: caps.has("variables"),
        encoded: caps.has("encoded-character"),
    };
    let c = Compiler {
        ctx: &ctx,
        caps: &caps,
        inc,
    };
    let cmds = c.block(&tree[body_start..])?;
    Ok(Script {
        require: caps.0.clone(),
        cmds,
        includes: Vec::new(),
    })
}

pub(super) struct Compiler<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) caps: &'a Caps,
    pub(super) inc: &'a Includes<'a>,
}

impl Compiler<'_> {
    pub(super) fn need(&self, ext: &str, at: usize, what: &str) -> Result<(), SieveError> {
        if self.caps.has(ext) {
            Ok(())
        } else {
            Err(self.ctx.err(at, &format!("{what} needs require \"{ext}\"")))
        }
    }

    fn block(&self, nodes: &[CommandNode]) -> Result<Vec<Cmd>, SieveError> {
        let mut out: Vec<Cmd> = Vec::new();
        let mut open_if = false;
        for n in nodes {
            let chains = matches!(n.name.as_str(), "elsif" | "else");
            if chains && !open_if {
                return Err(self
                    .ctx
                    .err(n.at, &format!("{} without a preceding if", n.name)));
            }
            match n.name.as_str() {
                "if" | "elsif" => {
                    let test = self.one_test(n)?;
                    let body = self.body(n)?;
                    if n.name == "if" {
                        out.push(Cmd::If(vec![(test, body)], None));
                    } else if let Some(Cmd::If(branches, _)) = out.last_mut() {
                        branches.push((test, body));
                    }
                    open_if = true;
                }
                "else" => {
                    if !n.args.is_empty() || !n.tests.is_empty() {
                        return Err(self.ctx.err(n.at, "else takes no arguments"));
                    }
                    let body = self.body(n)?;
                    if let Some(Cmd::If(_, e)) = out.last_mut() {
                        *e = Some(body);
                    }
                    open_if = false;
                }
                _ => {
                    open_if = false;
                    if let Some(b) = &n.block {
                        let _ = b;
                        return Err(self.ctx.err(n.at, &format!("{} takes no block", n.name)));
                    }
                    if !n.tests.is_empty() {
                        return Err(self.ctx.err(n.at, &format!("{} takes no test", n.name)));
                    }
                    out.push(self.command(n)?);
                }
            }
        }
        Ok(out)
    }

    fn body(&self, n: &CommandNode) -> Result<Vec<Cmd>, SieveError> {
        match &n.block {
            Some(b) => self.block(b),
            None => Err(self.ctx.err(n.at, &format!("{} needs a block", n.name))),
        }
    }

    fn one_test(&self, n: &CommandNode) -> Result<super::ir::Test, SieveError> {
        if !n.args.is_empty() {
            return Err(self.ctx.err(
                n.args[0].at,
                &format!("{} takes a test, not arguments", n.name),
            ));
        }
        if n.tests.len() != 1 {
            return Err(self
                .ctx
                .err(n.at, &format!("{} needs exactly one test", n.name)));
        }
        self.test(&n.tests[0])
    }

    fn flags_list(&self, t: &super::args::GivenTag) -> Option<Vec<super::ir::Value>> {
        t.param.as_ref().map(|p| self.ctx.list_of(p))
    }

    fn command(&self, n: &CommandNode) -> Result<Cmd, SieveError> {
        let ctx = self.ctx;
        let name = n.name.as_str();
        let flags_tag = if self.caps.has("imap4flags") {
            Param::List
        } else {
            Param::None
        };
        Ok(match name {
            "require" => return Err(ctx.err(n.at, "require must come before any other command")),
            "stop" => {
                ctx.positional(name, n.at, &ctx.split(name, &n.args, &[])?.pos, &[])?;
                Cmd::Stop
            }
            "discard" => {
                ctx.positional(name, n.at, &ctx.split(name, &n.args, &[])?.pos, &[])?;
                Cmd::Discard
            }
            "keep" => {
                let allowed: &[(&str, Param)] = if self.caps.has("imap4flags") {
                    &[("flags", flags_tag)]
                } else {
                    &[]
                };
                let sp = ctx.split(name, &n.args, allowed)?;
                ctx.positional(name, n.at, &sp.pos, &[])?;
                Cmd::Keep {
                    flags: sp.tags.first().and_then(|t| self.flags_list(t)),
                }
            }
            "fileinto" => {
                self.need("fileinto", n.at, "fileinto")?;
                let mut allowed = vec![];
                if self.caps.has("copy") {
                    allowed.push(("copy", Param::None));
                }
                if self.caps.has("mailbox") {
                    allowed.push(("create", Param::None));
                }
                if self.caps.has("imap4flags") {
                    allowed.push(("flags", Param::List));
                }
                let sp = ctx.split(name, &n.args, &allowed)?;
                ctx.positional(name, n.at, &sp.pos, &[Param::Str])?;
                let has = |t: &str| sp.tags.iter().any(|g| g.name == t);
                Cmd::FileInto {
                    mailbox: ctx.str_of(&sp.pos[0].arg),
                    copy: has("copy"),
                    create: has("create"),
                    flags: sp
                        .tags
                        .iter()
                        .find(|g| g.name == "flags")
                        .and_then(|t| self.flags_list(t)),
                }
            }
            "redirect" => {
                let allowed: &[(&str, Param)] = if self.caps.has("copy") {
                    &[("copy", Param::None)]
                } else {
                    &[]
                };
                let sp = ctx.split(name, &n.args, allowed)?;
                ctx.positional(name, n.at, &sp.pos, &[Param::Str])?;
                let address = ctx.str_of(&sp.pos[0].arg);
                if !address.vars && !super::address::valid_mailbox(&address.raw) {
                    return Err(ctx.err(
                        sp.pos[0].at,
                        &format!("redirect: invalid address \"{}\"", address.raw),
                    ));
                }
                Cmd::Redirect {
                    address,
                    copy: !sp.tags.is_empty(),
                }
            }
            "reject" | "ereject" => {
                self.need(name, n.at, name)?;
                let sp = ctx.split(name, &n.args, &[])?;
                ctx.positional(name, n.at, &sp.pos, &[Param::Str])?;
                Cmd::Reject {
                    reason: ctx.str_of(&sp.pos[0].arg),
                    extended: name == "ereject",
                }
            }
            "setflag" | "addflag" | "removeflag" => {
                self.need("imap4flags", n.at, name)?;
                let sp = ctx.split(name, &n.args, &[])?;
                let op = match name {
                    "setflag" => FlagOp::Set,
                    "addflag" => FlagOp::Add,
                    _ => FlagOp::Remove,
                };
                let (var, flags) = match sp.pos.len() {
                    1 => {
                        ctx.positional(name, n.at, &sp.pos, &[Param::List])?;
                        (None, ctx.list_of(&sp.pos[0].arg))
                    }
                    _ => {
                        ctx.positional(name, n.at, &sp.pos, &[Param::Str, Param::List])?;
                        self.need("variables", n.at, "a flag variable")?;
                        let v = raw_str(&sp.pos[0].arg).to_string();
                        if !super::variables::valid_name(&v) {
                            return Err(ctx.err(
                                sp.pos[0].at,
                                &format!("{name}: invalid variable name \"{v}\""),
                            ));
                        }
                        (Some(ctx.value(&v)), ctx.list_of(&sp.pos[1].arg))
                    }
                };
                Cmd::Flags { op, var, flags }
            }
            "set" => {
                self.need("variables", n.at, "set")?;
                let sp = ctx.split(
                    name,
                    &n.args,
                    &[
                        ("lower", Param::None),
                        ("upper", Param::None),
                        ("lowerfirst", Param::None),
                        ("upperfirst", Param::None),
                        ("quotewildcard", Param::None),
                        ("length", Param::None),
                    ],
                )?;
                ctx.positional(name, n.at, &sp.pos, &[Param::Str, Param::Str])?;
                let var = raw_str(&sp.pos[0].arg).to_string();
                let dotted = var.contains('.')
                    && !(self.caps.has("include")
                        && var.to_ascii_lowercase().starts_with("global."));
                if !super::variables::valid_name(&var) || dotted {
                    return Err(ctx.err(
                        sp.pos[0].at,
                        &format!("set: invalid variable name \"{var}\""),
                    ));
                }
                let mut mods = Vec::new();
                for t in &sp.tags {
                    let m = match t.name.as_str() {
                        "lower" => Modifier::Lower,
                        "upper" => Modifier::Upper,
                        "lowerfirst" => Modifier::LowerFirst,
                        "upperfirst" => Modifier::UpperFirst,
                        "quotewildcard" => Modifier::QuoteWildcard,
                        _ => Modifier::Length,
                    };
                    if mods
                        .iter()
                        .any(|o: &Modifier| o.precedence() == m.precedence())
                    {
                        return Err(ctx.err(t.at, "set: two modifiers of the same precedence"));
                    }
                    mods.push(m);
                }
                mods.sort_by_key(|m| std::cmp::Reverse(m.precedence()));
                Cmd::Set {
                    name: var.to_ascii_lowercase(),
                    value: ctx.str_of(&sp.pos[1].arg),
                    mods,
                }
            }
            "vacation" => self.vacation(n)?,
            "include" => {
                self.need("include", n.at, name)?;
                let sp = ctx.split(
                    name,
                    &n.args,
                    &[
                        ("personal", Param::None),
                        ("global", Param::None),
                        ("once", Param::None),
                        ("optional", Param::None),
                    ],
                )?;
                ctx.positional(name, n.at, &sp.pos, &[Param::Str])?;
                let has = |t: &str| sp.tags.iter().any(|g| g.name == t);
                if has("personal") && has("global") {
                    return Err(ctx.err(n.at, "include: :personal and :global together"));
                }
                let loc = if has("global") {
                    Location::Global
                } else {
                    Location::Personal
                };
                let script_name = raw_str(&sp.pos[0].arg);
                if ctx.variables && script_name.contains("${") {
                    return Err(ctx.err(
                        sp.pos[0].at,
                        "include: the script name cannot hold variables",
                    ));
                }
                match self.inc.resolve(loc, script_name, has("optional")) {
                    Ok(Resolved::Found(index)) => Cmd::Include {
                        index,
                        once: has("once"),
                    },
                    Ok(Resolved::Missing) => Cmd::If(Vec::new(), None),
                    Err(m) => return Err(super::include::error(ctx.src, sp.pos[0].at, &m)),
                }
            }
            "return" => {
                self.need("include", n.at, name)?;
                ctx.positional(name, n.at, &ctx.split(name, &n.args, &[])?.pos, &[])?;
                Cmd::Return
            }
            "global" => {
                self.need("include", n.at, name)?;
                self.need("variables", n.at, name)?;
                let sp = ctx.split(name, &n.args, &[])?;
                ctx.positional(name, n.at, &sp.pos, &[Param::List])?;
                let names: Vec<String> = match &sp.pos[0].arg {
                    Arg::Str(s) => vec![s.clone()],
                    Arg::List(l) => l.clone(),
                    _ => Vec::new(),
                };
                for g in &names {
                    if !super::variables::valid_name(g) || g.contains('.') {
                        return Err(ctx.err(
                            sp.pos[0].at,
                            &format!("global: invalid variable name \"{g}\""),
                        ));
                    }
                }
                Cmd::Global(names.iter().map(|g| g.to_ascii_lowercase()).collect())
            }
            "if" | "elsif" | "else" => unreachable_cmd(ctx, n)?,
            other => return Err(ctx.err(n.at, &format!("unknown command \"{other}\""))),
        })
    }

    fn vacation(&self, n: &CommandNode) -> Result<Cmd, SieveError> {
        let ctx = self.ctx;
        self.need("vacation", n.at, "vacation")?;
        let mut allowed = vec![
            ("days", Param::Num),
            ("subject", Param::Str),
            ("from", Param::Str),
            ("addresses", Param::List),
            ("mime", Param::None),
            ("handle", Param::Str),
        ];
        if self.caps.has("vacation-seconds") {
            allowed.push(("seconds", Param::Num));
        }
        let sp = ctx.split("vacation", &n.args, &allowed)?;
        ctx.positional("vacation", n.at, &sp.pos, &[Param::Str])?;
        let mut v = VacationCmd {
            period: None,
            subject: None,
            from: None,
            addresses: Vec::new(),
            mime: false,
            handle: None,
            reason: ctx.str_of(&sp.pos[0].arg),
        };
        for t in &sp.tags {
            let p = t.param.as_ref();
            match t.name.as_str() {
                "days" | "seconds" => {
                    if v.period.is_some() {
                        return Err(ctx.err(t.at, "vacation: :days and :seconds together"));
                    }
                    let k = if t.name == "days" { 86_400 } else { 1 };
                    if let Some(Arg::Number(d)) = p {
                        v.period = Some(d.saturating_mul(k));
                    }
                }
                "subject" => v.subject = p.map(|a| ctx.str_of(a)),
                "from" => {
                    let f = p.map(|a| ctx.str_of(a));
                    if let Some(f) = &f
                        && !f.vars
                        && super::address::parse_list(&f.raw).is_empty()
                    {
                        return Err(ctx.err(
                            t.at,
                            &format!("vacation: invalid :from address \"{}\"", f.raw),
                        ));
                    }
                    v.from = f;
                }
                "addresses" => v.addresses = p.map(|a| ctx.list_of(a)).unwrap_or_default(),
                "mime" => v.mime = true,
                _ => v.handle = p.map(|a| ctx.str_of(a)),
            }
        }
        Ok(Cmd::Vacation(Box::new(v)))
    }
}

fn unreachable_cmd(ctx: &Ctx<'_>, n: &CommandNode) -> Result<Cmd, SieveError> {
    Err(ctx.err(n.at, &format!("{} is misplaced", n.name)))
}
