//! POP3 command lines (RFC 1939, RFC 2449, RFC 2595, RFC 5034) parsed into
//! [`Command`]s.

use std::num::NonZeroU32;

use crate::auth::Secret;

/// A message number (1-based).
pub type MsgNum = NonZeroU32;

/// One POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name`
    User(String),
    /// `PASS password` (the rest of the line: passwords may hold spaces)
    Pass(Secret<String>),
    /// `APOP name digest`
    Apop(String, String),
    /// `AUTH [mechanism [initial-response]]`
    Auth(Option<String>, Option<String>),
    /// `STAT`
    Stat,
    /// `LIST [msg]`
    List(Option<MsgNum>),
    /// `RETR msg`
    Retr(MsgNum),
    /// `DELE msg`
    Dele(MsgNum),
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP msg n`
    Top(MsgNum, u32),
    /// `UIDL [msg]`
    Uidl(Option<MsgNum>),
    /// `CAPA`
    Capa,
    /// `STLS`
    Stls,
}

/// A line that is not a valid command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The keyword is not a POP3 command.
    #[error("unknown command")]
    Unknown,
    /// The keyword is known; its arguments are wrong.
    #[error("{0}")]
    BadArguments(&'static str),
}

fn msg_num(arg: &str) -> Result<MsgNum, ParseError> {
    if arg.is_empty() || arg.len() > 10 || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadArguments("invalid message number"));
    }
    arg.parse::<u32>()
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or(ParseError::BadArguments("invalid message number"))
}

impl Command {
    /// Parses one line (without its CRLF).
    pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
        let line = std::str::from_utf8(line)
            .map_err(|_| ParseError::BadArguments("command is not UTF-8"))?;
        let (keyword, rest) = match line.split_once(' ') {
            Some((k, r)) => (k, r),
            None => (line, ""),
        };
        if keyword.len() > 4 {
            return Err(ParseError::Unknown);
        }
        let kw = keyword.to_ascii_uppercase();
        if kw == "PASS" {
            if rest.is_empty() {
                return Err(ParseError::BadArguments("PASS needs a password"));
            }
            return Ok(Command::Pass(Secret::new(rest.to_string())));
        }
        let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
        let none = |c: Command| {
            if args.is_empty() {
                Ok(c)
            } else {
                Err(ParseError::BadArguments("this command takes no arguments"))
            }
        };
        let opt_msg = |c: fn(Option<MsgNum>) -> Command| match args.as_slice() {
            [] => Ok(c(None)),
            [n] => Ok(c(Some(msg_num(n)?))),
            _ => Err(ParseError::BadArguments("too many arguments")),
        };
        let one_msg = |c: fn(MsgNum) -> Command| match args.as_slice() {
            [n] => Ok(c(msg_num(n)?)),
            _ => Err(ParseError::BadArguments("expected one message number")),
        };
        match kw.as_str() {
            "USER" => match args.as_slice() {
                [u] => Ok(Command::User((*u).to_string())),
                _ => Err(ParseError::BadArguments("USER needs one name")),
            },
            "APOP" => match args.as_slice() {
                [u, d] => Ok(Command::Apop((*u).to_string(), (*d).to_string())),
                _ => Err(ParseError::BadArguments("APOP needs a name and a digest")),
            },
            "AUTH" => match args.as_slice() {
                [] => Ok(Command::Auth(None, None)),
                [m] => Ok(Command::Auth(Some((*m).to_string()), None)),
                [m, i] => Ok(Command::Auth(
                    Some((*m).to_string()),
                    Some((*i).to_string()),
                )),
                _ => Err(ParseError::BadArguments("too many arguments")),
            },
            "STAT" => none(Command::Stat),
            "LIST" => opt_msg(Command::List),
            "RETR" => one_msg(Command::Retr),
            "DELE" => one_msg(Command::Dele),
            "NOOP" => none(Command::Noop),
            "RSET" => none(Command::Rset),
            "QUIT" => none(Command::Quit),
            "TOP" => match args.as_slice() {
                [n, l] => {
                    let lines = l
                        .parse::<u32>()
                        .ok()
                        .filter(|_| l.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or(ParseError::BadArguments("invalid line count"))?;
                    Ok(Command::Top(msg_num(n)?, lines))
                }
                _ => Err(ParseError::BadArguments(
                    "TOP needs a message number and a line count",
                )),
            },
            "UIDL" => opt_msg(Command::Uidl),
            "CAPA" => none(Command::Capa),
            "STLS" => none(Command::Stls),
            _ => Err(ParseError::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u32) -> MsgNum {
        NonZeroU32::new(v).unwrap()
    }

    #[test]
    fn parses_every_command() {
        let table: &[(&[u8], Command)] = &[
            (b"USER mrose", Command::User("mrose".into())),
            (
                b"pass secret with spaces",
                Command::Pass(Secret::new("secret with spaces".into())),
            ),
            (
                b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
                Command::Apop("mrose".into(), "c4c9334bac560ecc979e58001b3e22fb".into()),
            ),
            (b"AUTH", Command::Auth(None, None)),
            (b"AUTH PLAIN", Command::Auth(Some("PLAIN".into()), None)),
            (
                b"AUTH PLAIN AGFAYg==",
                Command::Auth(Some("PLAIN".into()), Some("AGFAYg==".into())),
            ),
            (b"STAT", Command::Stat),
            (b"LIST", Command::List(None)),
            (b"list 2", Command::List(Some(n(2)))),
            (b"RETR 1", Command::Retr(n(1))),
            (b"DELE 7", Command::Dele(n(7))),
            (b"NOOP", Command::Noop),
            (b"RSET", Command::Rset),
            (b"QUIT", Command::Quit),
            (b"TOP 1 10", Command::Top(n(1), 10)),
            (b"UIDL", Command::Uidl(None)),
            (b"UIDL 3", Command::Uidl(Some(n(3)))),
            (b"CAPA", Command::Capa),
            (b"STLS", Command::Stls),
        ];
        for (line, cmd) in table {
            assert_eq!(
                &Command::parse(line).unwrap(),
                cmd,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn refuses_bad_lines() {
        for line in [&b"XYZZY"[..], b"RETRIEVE 1", b""] {
            assert_eq!(Command::parse(line), Err(ParseError::Unknown));
        }
        for line in [
            &b"RETR"[..],
            b"RETR 0",
            b"RETR -1",
            b"RETR 99999999999",
            b"RETR 1 2",
            b"TOP 1",
            b"TOP 1 x",
            b"STAT 1",
            b"PASS",
            b"USER",
            b"LIST \xff",
        ] {
            assert!(
                matches!(Command::parse(line), Err(ParseError::BadArguments(_))),
                "{line:?}"
            );
        }
    }
}
