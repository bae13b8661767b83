//! Dispatch: each parsed command to its handler by state (RFC 9051
//! section 3), and the small commands (CAPABILITY, NOOP, LOGOUT, ID,
//! ENABLE, COMPRESS, IDLE).

use super::{After, Mode, Response, Session};
use crate::imap::parse::CommandBody;
use crate::imap::write::{self, Code, Status};

impl Session {
    /// Runs one parsed command in the current state.
    pub(super) fn command(&mut self, tag: &str, body: CommandBody) -> Response {
        use CommandBody as C;
        if !matches!(body, C::Fetch { .. }) {
            self.recent = None;
        }
        match body {
            C::Capability => {
                let mut r = Response::new();
                write::data::capability(&mut r.text, &self.capabilities());
                self.finish(&mut r, tag, "CAPABILITY completed", true);
                r
            }
            C::Noop | C::Check => {
                let mut r = Response::new();
                self.finish(&mut r, tag, "NOOP completed", true);
                r
            }
            C::Logout => {
                let mut r = Response::new();
                r.untagged(Status::Bye, None, "logging out");
                r.tagged(tag, Status::Ok, None, "LOGOUT completed");
                r.after = After::Close;
                self.logged_out = true;
                self.selected = None;
                // A mail spool is given back before the reply.
                self.spool = None;
                r
            }
            C::Id(_) => {
                let mut r = Response::new();
                let version = env!("CARGO_PKG_VERSION");
                write::data::id(
                    &mut r.text,
                    Some(&[("name", Some("popstore")), ("version", Some(version))]),
                );
                self.finish(&mut r, tag, "ID completed", true);
                r
            }
            C::StartTls => self.starttls(tag),
            C::Login { user, password } => self.login_command(tag, &user, password),
            C::Authenticate { mechanism, initial } => {
                self.authenticate(tag, &mechanism, initial.as_deref())
            }
            C::Enable(caps) if self.user.is_some() => self.enable(tag, &caps),
            C::Compress(alg) if self.user.is_some() => self.compress(tag, &alg),
            body if self.user.is_none() => {
                let _ = body;
                self.bad(tag, "log in first")
            }
            body if self.spool.is_some() => self.spool_command(tag, body),
            body => self.authenticated(tag, body),
        }
    }

    /// A command of a session whose INBOX is a mail spool: what would make
    /// another folder or add messages is refused; what expunges is
    /// followed by the spool's rewrite (`crate::legacy::imap`).
    fn spool_command(&mut self, tag: &str, body: CommandBody) -> Response {
        use CommandBody as C;
        let refused = match &body {
            C::Create { .. } | C::Delete(_) | C::Rename { .. } => Some("other folders"),
            C::Copy { .. } | C::Move { .. } => Some("COPY and MOVE"),
            C::SetAcl { .. } | C::DeleteAcl { .. } | C::SetQuota { .. } => Some("this"),
            _ => None,
        };
        if let Some(what) = refused {
            return Self::no(
                tag,
                Some(Code::Cannot),
                &format!("a mail spool has an INBOX only: {what} not offered"),
            );
        }
        let expunges = matches!(body, C::Expunge | C::UidExpunge(_) | C::Close);
        let mut r = self.authenticated(tag, body);
        if expunges
            && let Some(spool) = self.spool.as_mut()
            && let Err(e) = spool.sync()
        {
            tracing::warn!(user = self.user(), "imap: mail spool: {e}");
            r.untagged(
                Status::No,
                Some(Code::Alert),
                "the mail spool was changed by another program: the messages expunged are still in it",
            );
        }
        r
    }

    /// Ends a command: the untagged updates of the selected folder (all of
    /// them when `expunge_ok`), then the tagged OK.
    pub(super) fn finish(&mut self, r: &mut Response, tag: &str, text: &str, expunge_ok: bool) {
        self.sync(r, expunge_ok);
        r.tagged(tag, Status::Ok, None, text);
    }

    pub(super) fn authenticated(&mut self, tag: &str, body: CommandBody) -> Response {
        use CommandBody as C;
        match body {
            C::Select {
                mailbox,
                read_only,
                params,
            } => self.select(tag, &mailbox, read_only, &params),
            C::Create {
                mailbox,
                special_use,
            } => self.create(tag, &mailbox, &special_use),
            C::Delete(m) => self.delete(tag, &m),
            C::Rename { from, to } => self.rename(tag, &from, &to),
            C::Subscribe(m) => self.subscribe(tag, &m, true),
            C::Unsubscribe(m) => self.subscribe(tag, &m, false),
            C::List {
                selection,
                reference,
                patterns,
                returns,
            } => self.list(tag, &selection, &reference, &patterns, &returns),
            C::Lsub { reference, pattern } => self.lsub(tag, &reference, &pattern),
            C::Namespace => self.namespace(tag),
            C::Status { mailbox, items } => self.status(tag, &mailbox, &items),
            C::Append { mailbox, messages } => self.append_whole(tag, &mailbox, messages),
            C::GetAcl(m) => self.getacl(tag, &m),
            C::SetAcl {
                mailbox,
                identifier,
                rights,
            } => self.setacl(tag, &mailbox, &identifier, &rights),
            C::DeleteAcl {
                mailbox,
                identifier,
            } => self.deleteacl(tag, &mailbox, &identifier),
            C::ListRights {
                mailbox,
                identifier,
            } => self.listrights(tag, &mailbox, &identifier),
            C::MyRights(m) => self.myrights(tag, &m),
            C::GetQuota(root) => self.getquota(tag, &root),
            C::GetQuotaRoot(m) => self.getquotaroot(tag, &m),
            C::SetQuota { root, limits } => self.setquota(tag, &root, &limits),
            C::Enable(caps) => self.enable(tag, &caps),
            // RFC 9051 6.3.13: IDLE is an authenticated-state command.
            C::Idle => self.idle(tag),
            body if self.selected.is_none() => {
                let _ = body;
                self.bad(tag, "no mailbox selected")
            }
            body => self.selected_command(tag, body),
        }
    }

    pub(super) fn enable(&mut self, tag: &str, caps: &[String]) -> Response {
        let mut done = Vec::new();
        for c in caps {
            let e = &mut self.enabled;
            let newly = match c.as_str() {
                "CONDSTORE" => !std::mem::replace(&mut e.condstore, true),
                "QRESYNC" => {
                    e.condstore = true;
                    !std::mem::replace(&mut e.qresync, true)
                }
                "IMAP4REV2" => !std::mem::replace(&mut e.rev2, true),
                "UTF8=ACCEPT" => !std::mem::replace(&mut e.utf8, true),
                _ => false,
            };
            if newly {
                done.push(if c == "IMAP4REV2" {
                    "IMAP4rev2".to_string()
                } else {
                    c.clone()
                });
            }
        }
        self.reader.utf8 = self.enabled.utf8 || self.enabled.rev2;
        let mut r = Response::new();
        write::data::enabled(&mut r.text, &done);
        r.tagged(tag, Status::Ok, None, "ENABLE completed");
        r
    }

    pub(super) fn compress(&mut self, tag: &str, alg: &str) -> Response {
        if alg != "DEFLATE" {
            return self.bad(tag, "only DEFLATE is offered");
        }
        if self.compressing {
            return Self::no(tag, Some(Code::CompressionActive), "already compressing");
        }
        self.compressing = true;
        let mut r = Self::ok(tag, None, "DEFLATE active");
        r.after = After::Compress;
        r
    }

    pub(super) fn idle_done(&mut self, tag: &str, line: &[u8]) -> Response {
        let mut r = Response::new();
        if crate::imap::parse::is_done(line) {
            self.sync(&mut r, true);
            r.tagged(tag, Status::Ok, None, "IDLE terminated");
            r
        } else {
            r.tagged(tag, Status::Bad, None, "expected DONE");
            self.count_bad(r)
        }
    }

    pub(super) fn idle(&mut self, tag: &str) -> Response {
        let mut r = Response::new();
        self.sync(&mut r, true);
        write::continuation(&mut r.text, "idling");
        self.mode = Mode::Idle {
            tag: tag.to_string(),
        };
        r
    }
}
