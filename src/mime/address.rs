//! Address lists (RFC 5322 `address-list`, with groups and obsolete
//! routes) read as Dovecot's `message-address.c` reads them, including its
//! recovery from broken input (`MISSING_MAILBOX`, `MISSING_DOMAIN`,
//! `SYNTAX_ERROR`, `INVALID_ROUTE` placeholders).

use super::rfc822::{Parser, Step, is_atext};

/// One address as the IMAP ENVELOPE shows it. A group start has `mailbox`
/// = group name and no domain; a group end has every field absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Display name.
    pub name: Option<Vec<u8>>,
    /// Obsolete source route (`@a,@b`).
    pub route: Option<Vec<u8>>,
    /// Local part, or the group name.
    pub mailbox: Option<Vec<u8>>,
    /// Domain.
    pub domain: Option<Vec<u8>>,
}

struct Ctx<'a> {
    p: Parser<'a>,
    addr: Address,
    out: Vec<Address>,
    /// The text of the last local part read, even a broken one.
    local_text: Vec<u8>,
}

impl Ctx<'_> {
    fn add(&mut self) {
        self.out.push(std::mem::take(&mut self.addr));
    }

    fn add_fixed(&mut self) {
        if self.addr.mailbox.is_none() {
            self.addr.mailbox = Some(b"MISSING_MAILBOX".to_vec());
        }
        if self.addr.domain.as_ref().is_none_or(|d| d.is_empty()) {
            self.addr.domain = Some(b"MISSING_DOMAIN".to_vec());
        }
        self.add();
    }

    fn local_part(&mut self) -> Step {
        let mut s = Vec::new();
        let r = if self.p.at(b'"') {
            self.p.quoted_string(&mut s)
        } else {
            self.dots_and_atoms(&mut s)
        };
        self.local_text = s.clone();
        if r == Step::Err {
            return r;
        }
        self.addr.mailbox = Some(s);
        r
    }

    /// A local part of atoms and dots as Dovecot reads it (leading,
    /// trailing and doubled dots accepted), with white space allowed after
    /// a dot as RFC 5322's obs-local-part allows.
    fn dots_and_atoms(&mut self, out: &mut Vec<u8>) -> Step {
        let mut r = Step::Err;
        let mut had_atom = false;
        loop {
            let mut dots = 0;
            while self.p.at(b'.') {
                out.push(b'.');
                self.p.pos += 1;
                if self.p.eof() {
                    return Step::End;
                }
                dots += 1;
                r = Step::More;
            }
            if dots == 1 && had_atom {
                // `word . word` (RFC 5322 obs-local-part): white space and
                // comments may follow the dot when a word comes next.
                // (Dovecot does not allow it.)
                let (pos, comment) = (self.p.pos, self.p.last_comment.clone());
                if self.p.skip_lwsp() != Step::More || !self.p.peek().is_some_and(is_atext) {
                    self.p.pos = pos;
                    self.p.last_comment = comment;
                }
            }
            if self.p.at(b'@') {
                break;
            }
            r = self.p.atom(out);
            had_atom = true;
            if !(r == Step::More && self.p.at(b'.')) {
                break;
            }
        }
        r
    }

    fn domain(&mut self) -> Step {
        let mut s = Vec::new();
        let r = self.p.domain(&mut s);
        if r == Step::Err {
            return r;
        }
        self.addr.domain = Some(s);
        r
    }

    fn domain_list(&mut self) -> Step {
        let mut s = Vec::new();
        loop {
            if self.p.eof() {
                return Step::End;
            }
            if !self.p.at(b'@') {
                break;
            }
            if !s.is_empty() {
                s.push(b',');
            }
            s.push(b'@');
            let r = self.p.domain(&mut s);
            if r != Step::More {
                return r;
            }
            while self.p.skip_lwsp() == Step::More && self.p.at(b',') {
                self.p.pos += 1;
            }
        }
        self.addr.route = Some(s);
        Step::More
    }

    fn angle_addr(&mut self) -> Step {
        self.p.pos += 1;
        if self.p.skip_lwsp() != Step::More {
            return Step::Err;
        }
        if self.p.at(b'@') {
            if self.domain_list() == Step::More && self.p.at(b':') {
                self.p.pos += 1;
            } else {
                self.addr.route = Some(b"INVALID_ROUTE".to_vec());
                if self.p.eof() {
                    return Step::Err;
                }
            }
            if self.p.skip_lwsp() != Step::More {
                return Step::Err;
            }
        }
        if !self.p.at(b'>') {
            if self.local_part() != Step::More {
                return Step::Err;
            }
            if self.p.at(b'@') && self.domain() != Step::More {
                return Step::Err;
            }
        }
        if !self.p.at(b'>') {
            return Step::Err;
        }
        self.p.pos += 1;
        self.p.skip_lwsp()
    }

    fn name_addr(&mut self) -> Option<Step> {
        let mut s = Vec::new();
        if self.p.phrase(&mut s) != Step::More || !self.p.at(b'<') {
            return None;
        }
        self.addr.name = if s.is_empty() { None } else { Some(s) };
        if self.angle_addr() == Step::Err {
            self.addr.domain = Some(b"SYNTAX_ERROR".to_vec());
        }
        Some(if self.p.eof() { Step::End } else { Step::More })
    }

    fn addr_spec(&mut self) -> Step {
        if let Some(c) = self.p.last_comment.as_mut() {
            c.clear();
        }
        let quoted = self.p.at(b'"');
        let mut r = self.local_part();
        let mut r2 = None;
        if r != Step::End && self.p.at(b'@') {
            let d = self.domain();
            r2 = Some(d);
            if d != Step::More {
                r = d;
            }
        }
        let comment = self.p.last_comment.clone().unwrap_or_default();
        if !comment.is_empty() {
            self.addr.name = Some(comment);
        } else if r2.is_none() {
            // A lone word: a mailbox, unless more words follow (then all
            // of it is a display name).
            let mut s = std::mem::take(&mut self.local_text);
            s.push(b' ');
            let before = s.len();
            self.p.phrase(&mut s);
            if s.len() != before {
                self.addr.mailbox = None;
                self.addr.name = Some(s);
            } else if quoted {
                // A lone quoted string is a display name without address.
                self.addr.name = self.addr.mailbox.take();
            } else {
                self.addr.domain = Some(Vec::new());
            }
        }
        r
    }

    fn mailbox(&mut self) -> Step {
        let start = self.p.pos;
        let r = match self.name_addr() {
            Some(r) => r,
            None => {
                self.p.pos = start;
                self.addr = Address::default();
                self.addr_spec()
            }
        };
        self.add_fixed();
        r
    }

    fn group(&mut self) -> Option<Step> {
        let mut s = Vec::new();
        if self.p.phrase(&mut s) != Step::More || !self.p.at(b':') {
            return None;
        }
        // From here on this is a group, whatever follows.
        self.p.pos += 1;
        let mut r = self.p.skip_lwsp();
        self.addr.mailbox = Some(s);
        self.add();
        if r == Step::More && !self.p.at(b';') {
            // Members, even broken ones, until something other than a comma.
            loop {
                if self.mailbox() == Step::End {
                    r = Step::Err;
                    break;
                }
                if !self.p.at(b',') {
                    break;
                }
                self.p.pos += 1;
                if self.p.skip_lwsp() != Step::More {
                    r = Step::Err;
                    break;
                }
            }
        }
        if r != Step::Err {
            if !self.p.at(b';') {
                r = Step::Err;
            } else {
                self.p.pos += 1;
                r = self.p.skip_lwsp();
            }
        }
        self.add();
        Some(if r == Step::End {
            Step::End
        } else {
            Step::More
        })
    }

    fn address(&mut self) -> Step {
        let start = self.p.pos;
        match self.group() {
            Some(r) => r,
            None => {
                self.p.pos = start;
                self.addr = Address::default();
                self.mailbox()
            }
        }
    }
}

/// Parses an address header value (several headers of one kind are simply
/// concatenated by the caller). Returns no addresses for an empty value.
pub fn parse(value: &[u8]) -> Vec<Address> {
    let mut c = Ctx {
        p: Parser::new(value, true),
        addr: Address::default(),
        out: Vec::new(),
        local_text: Vec::new(),
    };
    if c.p.skip_lwsp() != Step::More {
        return Vec::new();
    }
    loop {
        let before = c.p.pos;
        let r = c.address();
        if r == Step::End || r == Step::Err && c.p.eof() {
            break;
        }
        if !c.p.at(b',') {
            break;
        }
        c.p.pos += 1;
        match c.p.skip_lwsp() {
            Step::More => {}
            Step::End => break,
            Step::Err => {
                c.add_fixed();
                break;
            }
        }
        if c.p.pos == before {
            break;
        }
    }
    c.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: Option<&str>, mb: Option<&str>, dom: Option<&str>) -> Address {
        Address {
            name: name.map(|s| s.as_bytes().to_vec()),
            route: None,
            mailbox: mb.map(|s| s.as_bytes().to_vec()),
            domain: dom.map(|s| s.as_bytes().to_vec()),
        }
    }

    #[test]
    fn forms() {
        assert_eq!(
            parse(b"\"Joe Q.\" <joe@x.org>, b@y (Bee)"),
            vec![
                a(Some("Joe Q."), Some("joe"), Some("x.org")),
                a(Some("Bee"), Some("b"), Some("y"))
            ]
        );
        assert_eq!(
            parse(b"undisclosed-recipients:;"),
            vec![
                a(None, Some("undisclosed-recipients"), None),
                a(None, None, None)
            ]
        );
        assert_eq!(
            parse(b"user"),
            vec![a(None, Some("user"), Some("MISSING_DOMAIN"))]
        );
        assert!(parse(b"  ").is_empty());
    }
}
