//! The Sieve engine (RFC 5228): per-user mail filtering at delivery.
//!
//! A script goes through three stages, none of which does I/O:
//! [`compile`] (lexer, parser, checker) turns the text into a checked
//! [`Script`] or a [`SieveError`] with line and column; [`run`] executes it
//! over a [`Message`] and returns an [`Outcome`] (the actions); the
//! [`plan`] module turns that outcome into a delivery plan (what to store
//! where, what to send, what to refuse) for the delivery channel.
//!
//! Extensions: fileinto, envelope, encoded-character, copy (RFC 3894),
//! body (5173), variables (5229), vacation (5230) and vacation-seconds
//! (6131), relational (5231), imap4flags (5232), subaddress (5233), date
//! and index (5260), reject and ereject (5429), mailbox (5490), include
//! (6609).
//! Comparators: i;octet, i;ascii-casemap, i;ascii-numeric.
//!
//! Limits are in [`Limits`]: script size, nesting depth, execution steps,
//! actions, redirects, variable size and the vacation period range.

mod action;
mod address;
mod args;
mod compile;
mod compile_test;
pub(crate) mod date;
mod encoded;
mod error;
mod eval;
mod include;
mod interp;
mod ir;
mod lexer;
mod limits;
mod matching;
mod message;
mod mime;
mod parser;
pub mod plan;
pub mod vacation;
mod variables;

pub use action::{Action, Outcome, Vacation};
pub use compile::EXTENSIONS;
pub use error::{RuntimeError, SieveError};
pub use include::{Location, NoScripts, ScriptLoader};
pub use interp::Env;
pub use ir::Script;
pub use limits::Limits;
pub use message::Message;

/// Compiles a script with the given limits (a script that `include`s
/// another needs [`compile_with`]).
pub fn compile(src: &str, limits: &Limits) -> Result<Script, SieveError> {
    compile::compile(src, limits, &NoScripts)
}

/// Compiles a script whose `include`s are found through `loader`.
pub fn compile_with(
    src: &str,
    limits: &Limits,
    loader: &dyn ScriptLoader,
) -> Result<Script, SieveError> {
    compile::compile(src, limits, loader)
}

/// Compiles a script given as bytes: text that is not UTF-8 (RFC 5228
/// 2.4.2.1) is an error at the first bad byte.
pub fn compile_bytes(src: &[u8], limits: &Limits) -> Result<Script, SieveError> {
    match std::str::from_utf8(src) {
        Ok(s) => compile::compile(s, limits, &NoScripts),
        Err(e) => {
            let good = String::from_utf8_lossy(&src[..e.valid_up_to()]);
            Err(SieveError::at(
                &good,
                good.len(),
                "the script is not valid UTF-8",
            ))
        }
    }
}

/// Runs a compiled script over a message.
pub fn run(script: &Script, msg: &Message, env: &Env<'_>) -> Result<Outcome, RuntimeError> {
    interp::run(script, msg, env)
}

/// Helpers shared by the vacation and plan modules (and the web's
/// message view).
pub mod util {
    pub use super::address::{domain, local_part, parse_list};
    pub use super::message::{Field, split_head};
    pub use super::mime::{
        base64, decode_words, param, quoted_printable, split_multipart, to_text,
    };
}
