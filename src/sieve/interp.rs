//! The interpreter: runs a compiled [`Script`] over a [`Message`] and
//! returns the actions (RFC 5228 2.10). No I/O: whatever it needs from
//! outside (the clock, which mailboxes exist) comes in the [`Env`].

use super::action::{Action, Outcome, Vacation};
use super::error::RuntimeError;
use super::ir::{Cmd, FlagOp, Script, VacationCmd, Value};
use super::limits::Limits;
use super::message::Message;
use super::variables::{self, Vars};

/// What the interpreter needs from the world.
pub struct Env<'a> {
    /// Now, in seconds since 1970 (for `currentdate`).
    pub now: i64,
    /// The server's zone, in minutes east of UTC (for `date`).
    pub local_offset: i32,
    /// The limits.
    pub limits: &'a Limits,
    /// Whether a mailbox exists (for `mailboxexists`).
    pub mailbox_exists: &'a dyn Fn(&str) -> bool,
    /// The subaddress separator (RFC 5233), usually `+`.
    pub separator: char,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("now", &self.now)
            .field("limits", &self.limits)
            .finish()
    }
}

/// The state of one run.
pub(super) struct Run<'a> {
    pub(super) env: &'a Env<'a>,
    pub(super) msg: &'a Message,
    pub(super) vars: Vars,
    pub(super) flags: Vec<String>,
    pub(super) imap4flags: bool,
    includes: &'a [Script],
    ran: std::collections::HashSet<usize>,
    actions: Vec<Action>,
    implicit_keep: bool,
    steps: u64,
    redirects: usize,
}

enum Flow {
    Go,
    Stop,
    Return,
}

/// Runs `script` over `msg`.
pub fn run(script: &Script, msg: &Message, env: &Env<'_>) -> Result<Outcome, RuntimeError> {
    let mut r = Run {
        env,
        msg,
        vars: Vars {
            max_size: env.limits.max_variable_size,
            ..Vars::default()
        },
        flags: Vec::new(),
        imap4flags: script.require.iter().any(|e| e == "imap4flags"),
        includes: &script.includes,
        ran: std::collections::HashSet::new(),
        actions: Vec::new(),
        implicit_keep: true,
        steps: 0,
        redirects: 0,
    };
    r.block(&script.cmds)?;
    let implicit_keep = r.implicit_keep.then(|| r.flags.clone());
    Ok(Outcome {
        actions: r.actions,
        implicit_keep,
    })
}

pub(super) fn err(m: impl Into<String>) -> RuntimeError {
    RuntimeError { message: m.into() }
}

/// Adds each space-separated flag of `items` to `set` (no duplicates,
/// ASCII case-insensitive).
pub(super) fn add_flags(set: &mut Vec<String>, items: &[String]) {
    for it in items {
        for f in it.split_whitespace() {
            if !set.iter().any(|x| x.eq_ignore_ascii_case(f)) {
                set.push(f.to_string());
            }
        }
    }
}

impl Run<'_> {
    pub(super) fn step(&mut self, n: u64) -> Result<(), RuntimeError> {
        self.steps += n;
        if self.steps > self.env.limits.max_steps {
            return Err(err(format!(
                "more than {} execution steps",
                self.env.limits.max_steps
            )));
        }
        Ok(())
    }

    /// Steps left before the limit.
    pub(super) fn remaining_steps(&self) -> u64 {
        self.env.limits.max_steps.saturating_sub(self.steps)
    }

    pub(super) fn ex(&self, v: &Value) -> String {
        if v.vars {
            self.vars.expand(&v.raw)
        } else {
            v.raw.clone()
        }
    }

    pub(super) fn ex_list(&self, l: &[Value]) -> Vec<String> {
        l.iter().map(|v| self.ex(v)).collect()
    }

    fn block(&mut self, cmds: &[Cmd]) -> Result<Flow, RuntimeError> {
        for c in cmds {
            self.step(1)?;
            match self.cmd(c)? {
                Flow::Go => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Go)
    }

    fn flag_list(&self, f: &Option<Vec<Value>>) -> Vec<String> {
        match f {
            Some(l) => {
                let mut out = Vec::new();
                add_flags(&mut out, &self.ex_list(l));
                out
            }
            None if self.imap4flags => self.flags.clone(),
            None => Vec::new(),
        }
    }

    fn push(&mut self, a: Action) -> Result<(), RuntimeError> {
        // RFC 5429 2.1/2.2: a refusal cannot be combined with an action
        // that delivers, forwards or replies (Pigeonhole agrees).
        let delivers = matches!(
            a,
            Action::Keep { .. } | Action::Fileinto { .. } | Action::Redirect { .. }
        );
        let rejects = matches!(a, Action::Reject { .. } | Action::Ereject { .. });
        for o in &self.actions {
            let o_rejects = matches!(o, Action::Reject { .. } | Action::Ereject { .. });
            if (rejects
                && (o_rejects
                    || matches!(
                        o,
                        Action::Keep { .. }
                            | Action::Fileinto { .. }
                            | Action::Redirect { .. }
                            | Action::Vacation(_)
                    )))
                || (o_rejects && (delivers || matches!(a, Action::Vacation(_))))
            {
                return Err(err(
                    "reject/ereject conflicts with another action that delivers or replies",
                ));
            }
        }
        // Merge duplicates: the same mailbox (keep is INBOX) or address.
        let key = |a: &Action| -> Option<String> {
            match a {
                Action::Keep { .. } => Some("m:INBOX".into()),
                Action::Fileinto { mailbox, .. } => Some(format!("m:{mailbox}")),
                Action::Redirect { address, .. } => {
                    Some(format!("r:{}", address.to_ascii_lowercase()))
                }
                Action::Discard => Some("d".into()),
                _ => None,
            }
        };
        if let Some(k) = key(&a)
            && let Some(i) = self
                .actions
                .iter()
                .position(|o| key(o).as_ref() == Some(&k))
        {
            // A later non-:copy instance still cancels the implicit keep.
            if let (Action::Fileinto { copy: false, .. }, Action::Fileinto { copy, .. }) =
                (&a, &mut self.actions[i])
            {
                *copy = false;
            }
            if let (Action::Redirect { copy: false, .. }, Action::Redirect { copy, .. }) =
                (&a, &mut self.actions[i])
            {
                *copy = false;
            }
            return Ok(());
        }
        if let Action::Vacation(_) = a
            && self
                .actions
                .iter()
                .any(|o| matches!(o, Action::Vacation(_)))
        {
            return Err(err("vacation used more than once"));
        }
        if self.actions.len() >= self.env.limits.max_actions {
            return Err(err(format!(
                "more than {} actions",
                self.env.limits.max_actions
            )));
        }
        if let Action::Redirect { .. } = a {
            self.redirects += 1;
            if self.redirects > self.env.limits.max_redirects {
                return Err(err(format!(
                    "more than {} redirects",
                    self.env.limits.max_redirects
                )));
            }
        }
        self.actions.push(a);
        Ok(())
    }

    fn cmd(&mut self, c: &Cmd) -> Result<Flow, RuntimeError> {
        match c {
            Cmd::If(branches, otherwise) => {
                for (t, body) in branches {
                    if self.test(t)? {
                        return self.block(body);
                    }
                }
                if let Some(b) = otherwise {
                    return self.block(b);
                }
            }
            Cmd::Stop => return Ok(Flow::Stop),
            Cmd::Return => return Ok(Flow::Return),
            Cmd::Global(names) => {
                for n in names {
                    self.vars.global_names.insert(n.clone());
                }
            }
            Cmd::Include { index, once } => {
                if *once && self.ran.contains(index) {
                    return Ok(Flow::Go);
                }
                self.ran.insert(*index);
                let includes = self.includes;
                let Some(s) = includes.get(*index) else {
                    return Err(err("include: script missing from the compiled form"));
                };
                // Each script has its own variables; only globals are shared.
                let named = std::mem::take(&mut self.vars.named);
                let global_names = std::mem::take(&mut self.vars.global_names);
                let matched = std::mem::take(&mut self.vars.matched);
                let flags_on = self.imap4flags;
                self.imap4flags = s.require.iter().any(|e| e == "imap4flags");
                let r = self.block(&s.cmds);
                self.vars.named = named;
                self.vars.global_names = global_names;
                self.vars.matched = matched;
                self.imap4flags = flags_on;
                if let Flow::Stop = r? {
                    return Ok(Flow::Stop);
                }
            }
            Cmd::Keep { flags } => {
                let flags = self.flag_list(flags);
                self.push(Action::Keep {
                    flags,
                    implicit: false,
                })?;
                self.implicit_keep = false;
            }
            Cmd::Discard => {
                self.push(Action::Discard)?;
                self.implicit_keep = false;
            }
            Cmd::FileInto {
                mailbox,
                copy,
                create,
                flags,
            } => {
                let flags = self.flag_list(flags);
                let mailbox = self.ex(mailbox);
                if mailbox.is_empty() {
                    return Err(err("fileinto: empty mailbox name"));
                }
                self.push(Action::Fileinto {
                    mailbox,
                    flags,
                    copy: *copy,
                    create: *create,
                })?;
                if !copy {
                    self.implicit_keep = false;
                }
            }
            Cmd::Redirect { address, copy } => {
                let a = self.ex(address);
                let parsed = super::address::parse_list(&a);
                if !super::address::valid_mailbox(&a) {
                    return Err(err(format!("redirect: invalid address \"{a}\"")));
                }
                self.push(Action::Redirect {
                    address: parsed[0].clone(),
                    copy: *copy,
                })?;
                if !copy {
                    self.implicit_keep = false;
                }
            }
            Cmd::Reject { reason, extended } => {
                let reason = self.ex(reason);
                self.push(if *extended {
                    Action::Ereject { reason }
                } else {
                    Action::Reject { reason }
                })?;
                self.implicit_keep = false;
            }
            Cmd::Vacation(v) => {
                let a = self.vacation(v);
                self.push(Action::Vacation(a))?;
            }
            Cmd::Flags { op, var, flags } => {
                let items = self.ex_list(flags);
                let mut cur: Vec<String> = match var {
                    Some(v) => self
                        .vars
                        .get(&self.ex(v))
                        .split_whitespace()
                        .map(String::from)
                        .collect(),
                    None => self.flags.clone(),
                };
                match op {
                    FlagOp::Set => {
                        cur.clear();
                        add_flags(&mut cur, &items);
                    }
                    FlagOp::Add => add_flags(&mut cur, &items),
                    FlagOp::Remove => {
                        let mut gone = Vec::new();
                        add_flags(&mut gone, &items);
                        cur.retain(|f| !gone.iter().any(|g| g.eq_ignore_ascii_case(f)));
                    }
                }
                match var {
                    Some(v) => {
                        let name = self.ex(v);
                        self.vars.set(&name, cur.join(" "));
                    }
                    None => self.flags = cur,
                }
            }
            Cmd::Set { name, value, mods } => {
                let v = variables::apply(mods, self.ex(value));
                self.vars.set(name, v);
            }
        }
        Ok(Flow::Go)
    }

    fn vacation(&self, v: &VacationCmd) -> Vacation {
        let l = self.env.limits;
        let seconds = v
            .period
            .unwrap_or(7 * 86_400)
            .clamp(l.vacation_min_period, l.vacation_max_period);
        let subject = v.subject.as_ref().map(|s| self.ex(s));
        let from = v.from.as_ref().map(|s| self.ex(s));
        let reason = self.ex(&v.reason);
        let handle = match &v.handle {
            Some(h) => self.ex(h),
            None => format!(
                "{reason}{}{}{}",
                subject.as_deref().unwrap_or("<default-subject>"),
                from.as_deref().unwrap_or("<default-from>"),
                if v.mime { "<MIME>" } else { "<NO-MIME>" }
            ),
        };
        Vacation {
            seconds,
            days: seconds.is_multiple_of(86_400).then_some(seconds / 86_400),
            subject,
            from,
            addresses: self.ex_list(&v.addresses),
            mime: v.mime,
            handle,
            reason,
        }
    }
}
