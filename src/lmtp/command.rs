//! LMTP command lines (RFC 2033, with the grammar of RFC 5321 section 4.1)
//! parsed into [`Command`]s. Exact small parsers: no allocation except the
//! addresses, no panics on any input.

use crate::smtp_path::{AddressError, PathKind, parse_path};

/// One parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `LHLO domain`
    Lhlo(String),
    /// `HELO` or `EHLO`: SMTP's greetings, refused by an LMTP server.
    SmtpHello,
    /// `MAIL FROM:<reverse-path> [SIZE=n] [BODY=7BIT|8BITMIME]`
    Mail {
        /// The reverse path without brackets (canonical form, source route
        /// dropped); empty for `<>`.
        from: String,
        /// `SIZE=`, when given.
        size: Option<u64>,
        /// `BODY=8BITMIME`.
        body_8bit: bool,
    },
    /// `RCPT TO:<forward-path>`: the address in its canonical form
    /// ([`crate::smtp_path::Mailbox::canonical`]).
    Rcpt(String),
    /// `DATA`
    Data,
    /// `RSET`
    Rset,
    /// `NOOP [string]`
    Noop,
    /// `QUIT`
    Quit,
    /// `VRFY string`
    Vrfy,
    /// `HELP [string]`
    Help,
    /// A command of SMTP or its extensions that this server does not offer.
    NotImplemented(&'static str),
}

/// Why a line is not a command we accept: the reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Reply code.
    pub code: u16,
    /// Enhanced status code, as text (`5.5.4`).
    pub enhanced: &'static str,
    /// Human text.
    pub text: String,
}

fn reject(code: u16, enhanced: &'static str, text: impl Into<String>) -> Rejection {
    Rejection {
        code,
        enhanced,
        text: text.into(),
    }
}

/// Commands of SMTP and its extensions that exist but are not offered here.
const NOT_OFFERED: &[&str] = &[
    "EXPN", "TURN", "ETRN", "ATRN", "BDAT", "STARTTLS", "AUTH", "SEND", "SOML", "SAML", "BURL",
];

/// Parses one command line (without its CRLF).
pub fn parse(line: &[u8]) -> Result<Command, Rejection> {
    let line = std::str::from_utf8(line)
        .map_err(|_| reject(500, "5.5.2", "Syntax error: the command is not UTF-8"))?;
    if line.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(reject(
            500,
            "5.5.2",
            "Syntax error: control character in command",
        ));
    }
    let (verb, rest) = match line.find(' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    let upper = verb.to_ascii_uppercase();
    match upper.as_str() {
        "LHLO" => {
            let domain = rest.trim();
            if domain.is_empty() || domain.contains(' ') {
                Err(reject(501, "5.5.4", "Syntax: LHLO domain"))
            } else {
                Ok(Command::Lhlo(domain.to_string()))
            }
        }
        "HELO" | "EHLO" => Ok(Command::SmtpHello),
        "MAIL" => parse_mail(rest),
        "RCPT" => parse_rcpt(rest),
        "DATA" => no_argument(rest, Command::Data, "DATA"),
        "RSET" => no_argument(rest, Command::Rset, "RSET"),
        "QUIT" => no_argument(rest, Command::Quit, "QUIT"),
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help),
        "VRFY" => {
            if rest.trim().is_empty() {
                Err(reject(501, "5.5.4", "Syntax: VRFY address"))
            } else {
                Ok(Command::Vrfy)
            }
        }
        "" => Err(reject(500, "5.5.2", "Syntax error: empty command")),
        _ => match NOT_OFFERED.iter().find(|v| **v == upper) {
            Some(v) => Ok(Command::NotImplemented(v)),
            None => Err(reject(500, "5.5.1", "Command not recognized")),
        },
    }
}

fn no_argument(rest: &str, command: Command, verb: &str) -> Result<Command, Rejection> {
    if rest.trim().is_empty() {
        Ok(command)
    } else {
        Err(reject(
            501,
            "5.5.4",
            format!("Syntax: {verb} takes no argument"),
        ))
    }
}

/// Strips `keyword` (case-insensitive, like `FROM:`) and the optional
/// spaces some clients put after the colon.
fn after_keyword<'a>(rest: &'a str, keyword: &str) -> Option<&'a str> {
    let head = rest.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| rest[keyword.len()..].trim_start_matches(' '))
}

fn parse_mail(rest: &str) -> Result<Command, Rejection> {
    let Some(arg) = after_keyword(rest, "FROM:") else {
        return Err(reject(
            501,
            "5.5.4",
            "Syntax: MAIL FROM:<address> [parameters]",
        ));
    };
    let (from, params) = parse_path(arg, PathKind::Reverse)
        .map_err(|why| reject(501, "5.1.7", format!("Bad sender address: {why}")))?;
    let mut size = None;
    let mut body_8bit = false;
    for param in params.split(' ').filter(|p| !p.is_empty()) {
        let (key, value) = match param.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (param, None),
        };
        match (key.to_ascii_uppercase().as_str(), value) {
            ("SIZE", Some(v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                // A number too large for u64 is simply too large.
                size = Some(v.parse().unwrap_or(u64::MAX));
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") => body_8bit = false,
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("8BITMIME") => body_8bit = true,
            ("SIZE", _) | ("BODY", _) => {
                return Err(reject(501, "5.5.4", format!("Bad value in {param}")));
            }
            _ => {
                return Err(reject(
                    555,
                    "5.5.4",
                    format!("Unsupported MAIL parameter {key}"),
                ));
            }
        }
    }
    Ok(Command::Mail {
        from,
        size,
        body_8bit,
    })
}

fn parse_rcpt(rest: &str) -> Result<Command, Rejection> {
    let Some(arg) = after_keyword(rest, "TO:") else {
        return Err(reject(501, "5.5.4", "Syntax: RCPT TO:<address>"));
    };
    let (to, params) = parse_path(arg, PathKind::Forward).map_err(|e| match e {
        AddressError::SourceRoute => reject(553, "5.7.1", format!("Recipient refused: {e}")),
        AddressError::Syntax(_) => reject(501, "5.1.3", format!("Bad recipient address: {e}")),
    })?;
    if let Some(p) = params.split(' ').find(|p| !p.is_empty()) {
        let key = p.split('=').next().unwrap_or(p);
        return Err(reject(
            555,
            "5.5.4",
            format!("Unsupported RCPT parameter {key}"),
        ));
    }
    Ok(Command::Rcpt(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(from: &str, size: Option<u64>, body_8bit: bool) -> Command {
        Command::Mail {
            from: from.into(),
            size,
            body_8bit,
        }
    }

    #[test]
    fn commands_parse() {
        let ok = |l: &str| parse(l.as_bytes()).unwrap();
        assert_eq!(
            ok("LHLO mx.example.org"),
            Command::Lhlo("mx.example.org".into())
        );
        assert_eq!(ok("lhlo [127.0.0.1]"), Command::Lhlo("[127.0.0.1]".into()));
        assert_eq!(ok("MAIL FROM:<a@b.c>"), mail("a@b.c", None, false));
        assert_eq!(ok("mail from:<>"), mail("", None, false));
        assert_eq!(ok("MAIL FROM: <a@b.c>"), mail("a@b.c", None, false));
        assert_eq!(
            ok("MAIL FROM:<a@b.c> SIZE=1234 BODY=8BITMIME"),
            mail("a@b.c", Some(1234), true)
        );
        assert_eq!(
            ok("MAIL FROM:<a@b.c> size=99999999999999999999999"),
            mail("a@b.c", Some(u64::MAX), false)
        );
        assert_eq!(ok("MAIL FROM:<@r1,@r2:a@b.c>"), mail("a@b.c", None, false));
        assert_eq!(
            ok("RCPT TO:<pat@foo.edu>"),
            Command::Rcpt("pat@foo.edu".into())
        );
        assert_eq!(
            ok("RCPT TO:<Postmaster>"),
            Command::Rcpt("Postmaster".into())
        );
        assert_eq!(
            ok("RCPT TO:<\"john smith>\"@foo.edu>"),
            Command::Rcpt("\"john smith>\"@foo.edu".into())
        );
        assert_eq!(
            ok("RCPT TO:<\"alice\"@LOCALHOST>"),
            Command::Rcpt("alice@localhost".into())
        );
        assert_eq!(ok("DATA"), Command::Data);
        assert_eq!(ok("rset"), Command::Rset);
        assert_eq!(ok("NOOP anything"), Command::Noop);
        assert_eq!(ok("QUIT"), Command::Quit);
        assert_eq!(ok("VRFY pat"), Command::Vrfy);
        assert_eq!(ok("HELP"), Command::Help);
        assert_eq!(ok("EHLO x"), Command::SmtpHello);
        assert_eq!(ok("HELO x"), Command::SmtpHello);
        assert_eq!(ok("STARTTLS"), Command::NotImplemented("STARTTLS"));
        assert_eq!(ok("bdat 10 LAST"), Command::NotImplemented("BDAT"));
    }

    #[test]
    fn bad_lines_get_the_right_codes() {
        let err = |l: &[u8]| {
            let r = parse(l).unwrap_err();
            format!("{} {}", r.code, r.enhanced)
        };
        assert_eq!(err(b"FOO"), "500 5.5.1");
        assert_eq!(err(b""), "500 5.5.2");
        assert_eq!(err(b"MAIL\xff"), "500 5.5.2");
        assert_eq!(err(b"MAIL FROM:<a\x00@b>"), "500 5.5.2");
        assert_eq!(err(b"LHLO"), "501 5.5.4");
        assert_eq!(err(b"MAIL"), "501 5.5.4");
        assert_eq!(err(b"MAIL TO:<a@b>"), "501 5.5.4");
        assert_eq!(err(b"MAIL FROM:a@b"), "501 5.1.7");
        assert_eq!(err(b"MAIL FROM:<a@b"), "501 5.1.7");
        assert_eq!(err(b"MAIL FROM:<a b@c>"), "501 5.1.7");
        assert_eq!(err(b"MAIL FROM:<a@b>x"), "501 5.1.7");
        assert_eq!(err(b"MAIL FROM:<a@b> SIZE=abc"), "501 5.5.4");
        assert_eq!(err(b"MAIL FROM:<a@b> BODY=BINARYMIME"), "501 5.5.4");
        assert_eq!(err(b"MAIL FROM:<a@b> SMTPUTF8"), "555 5.5.4");
        assert_eq!(err(b"RCPT TO:<>"), "501 5.1.3");
        assert_eq!(err(b"RCPT TO:<@b>"), "501 5.1.3");
        assert_eq!(err(b"RCPT TO:<a@>"), "501 5.1.3");
        assert_eq!(err(b"RCPT TO:<a@b> NOTIFY=NEVER"), "555 5.5.4");
        assert_eq!(err(b"RCPT TO:<@relay:a@b>"), "553 5.7.1");
        assert_eq!(err(b"RCPT TO:<\"a@b>"), "501 5.1.3");
        assert_eq!(err(b"RCPT TO:<a@b_c>"), "501 5.1.3");
        assert_eq!(err(b"RCPT FROM:<a@b>"), "501 5.5.4");
        assert_eq!(err(b"DATA now"), "501 5.5.4");
        assert_eq!(err(b"VRFY"), "501 5.5.4");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let _ = parse(&line);
        }

        #[test]
        fn never_panics_on_mail_like_lines(s in "(MAIL FROM:|RCPT TO:)[<>@\" a-z\\\\:,=]{0,30}") {
            let _ = parse(s.as_bytes());
        }
    }
}
