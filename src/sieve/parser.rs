//! The grammar of RFC 5228 section 8.2 over the lexer's tokens: a tree of
//! commands, arguments and tests, not yet checked against any extension.

use super::error::SieveError;
use super::lexer::{Tok, Token, tokenize};
use super::limits::Limits;

/// `argument = string-list / number / tag`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A tag, lower-cased, without its colon.
    Tag(String),
    /// A number, quantifier applied.
    Number(u64),
    /// A single string (not in brackets).
    Str(String),
    /// A bracketed string list.
    List(Vec<String>),
}

/// An argument and its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosArg {
    /// The argument.
    pub arg: Arg,
    /// Byte offset in the script.
    pub at: usize,
}

/// `test = identifier arguments`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestNode {
    /// Lower-cased name.
    pub name: String,
    /// Byte offset of the name.
    pub at: usize,
    /// Positional and tagged arguments, in order.
    pub args: Vec<PosArg>,
    /// Nested tests (`not`, `allof`, `anyof`).
    pub tests: Vec<TestNode>,
}

/// `command = identifier arguments (";" / block)`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandNode {
    /// Lower-cased name.
    pub name: String,
    /// Byte offset of the name.
    pub at: usize,
    /// Arguments, in order.
    pub args: Vec<PosArg>,
    /// The test or test list after the arguments.
    pub tests: Vec<TestNode>,
    /// The block, when the command has one.
    pub block: Option<Vec<CommandNode>>,
}

struct P<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    max_depth: usize,
}

/// Parses a script into its command tree.
pub fn parse(src: &str, limits: &Limits) -> Result<Vec<CommandNode>, SieveError> {
    if src.len() > limits.max_script_size {
        return Err(SieveError::at(
            src,
            limits.max_script_size,
            &format!("script larger than {} bytes", limits.max_script_size),
        ));
    }
    let toks = tokenize(src)?;
    let mut p = P {
        src,
        toks,
        pos: 0,
        max_depth: limits.max_nesting,
    };
    let cmds = p.commands(0)?;
    if let Some(t) = p.peek() {
        return Err(p.err_at(t.at, "unexpected '}'"));
    }
    Ok(cmds)
}

impl P<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn end(&self) -> usize {
        self.src.len()
    }

    fn err_at(&self, at: usize, m: &str) -> SieveError {
        SieveError::at(self.src, at, m)
    }

    fn err_here(&self, m: &str) -> SieveError {
        let at = self.peek().map(|t| t.at).unwrap_or(self.end());
        let found = match self.peek().map(|t| &t.tok) {
            None => "end of script".to_string(),
            Some(Tok::Ident(i)) => format!("identifier '{i}'"),
            Some(Tok::Tag(t)) => format!("tag ':{t}'"),
            Some(Tok::Number(n)) => format!("number {n}"),
            Some(Tok::Str(_)) => "string".to_string(),
            Some(Tok::Punct(c)) => format!("'{c}'"),
        };
        self.err_at(at, &format!("{m}, found {found}"))
    }

    fn punct(&mut self, c: char) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Punct(p), .. }) if *p == c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `commands = *command`, up to a `}` or the end.
    fn commands(&mut self, depth: usize) -> Result<Vec<CommandNode>, SieveError> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Ok(out),
                Some(Token {
                    tok: Tok::Punct('}'),
                    ..
                }) => return Ok(out),
                Some(Token {
                    tok: Tok::Ident(_), ..
                }) => out.push(self.command(depth)?),
                Some(_) => return Err(self.err_here("expected a command")),
            }
        }
    }

    fn command(&mut self, depth: usize) -> Result<CommandNode, SieveError> {
        let (name, at) = match self.peek() {
            Some(Token {
                tok: Tok::Ident(n),
                at,
            }) => (n.clone(), *at),
            _ => return Err(self.err_here("expected a command")),
        };
        self.pos += 1;
        let (args, tests) = self.arguments(depth)?;
        if self.punct(';') {
            return Ok(CommandNode {
                name,
                at,
                args,
                tests,
                block: None,
            });
        }
        if self.punct('{') {
            if depth + 1 > self.max_depth {
                return Err(self.err_at(at, "blocks nested too deeply"));
            }
            let block = self.commands(depth + 1)?;
            if !self.punct('}') {
                return Err(self.err_here("expected '}' to close the block"));
            }
            return Ok(CommandNode {
                name,
                at,
                args,
                tests,
                block: Some(block),
            });
        }
        Err(self.err_here("expected ';' or '{' to end the command"))
    }

    /// `arguments = *argument [ test / test-list ]`
    fn arguments(&mut self, depth: usize) -> Result<(Vec<PosArg>, Vec<TestNode>), SieveError> {
        let mut args = Vec::new();
        while let Some(t) = self.peek().cloned() {
            let arg = match t.tok {
                Tok::Tag(s) => Arg::Tag(s),
                Tok::Number(n) => Arg::Number(n),
                Tok::Str(s) => Arg::Str(s),
                Tok::Punct('[') => {
                    self.pos += 1;
                    let l = self.string_list()?;
                    args.push(PosArg {
                        arg: Arg::List(l),
                        at: t.at,
                    });
                    continue;
                }
                _ => break,
            };
            self.pos += 1;
            args.push(PosArg { arg, at: t.at });
        }
        let mut tests = Vec::new();
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Ident(_)) => tests.push(self.test(depth + 1)?),
            Some(Tok::Punct('(')) => {
                self.pos += 1;
                loop {
                    tests.push(self.test(depth + 1)?);
                    if self.punct(')') {
                        break;
                    }
                    if !self.punct(',') {
                        return Err(self.err_here("expected ',' or ')' in the test list"));
                    }
                }
            }
            _ => {}
        }
        Ok((args, tests))
    }

    /// `string-list = "[" string *("," string) "]" / string`, after the `[`.
    fn string_list(&mut self) -> Result<Vec<String>, SieveError> {
        let mut out = Vec::new();
        loop {
            match self.peek().map(|t| t.tok.clone()) {
                Some(Tok::Str(s)) => {
                    self.pos += 1;
                    out.push(s);
                }
                _ => return Err(self.err_here("expected a string in the string list")),
            }
            if self.punct(']') {
                return Ok(out);
            }
            if !self.punct(',') {
                return Err(self.err_here("expected ',' or ']' in the string list"));
            }
        }
    }

    /// `test = identifier arguments`
    fn test(&mut self, depth: usize) -> Result<TestNode, SieveError> {
        if depth > self.max_depth {
            return Err(self.err_here("tests nested too deeply"));
        }
        let (name, at) = match self.peek() {
            Some(Token {
                tok: Tok::Ident(n),
                at,
            }) => (n.clone(), *at),
            _ => return Err(self.err_here("expected a test")),
        };
        self.pos += 1;
        let (args, tests) = self.arguments(depth)?;
        Ok(TestNode {
            name,
            at,
            args,
            tests,
        })
    }
}
