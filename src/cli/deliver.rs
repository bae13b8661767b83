//! `popstore deliver` and `popstore validate`: the delivery pipeline for
//! MTAs and scripts that pipe, with the exit codes of sysexits.h.
//!
//! `deliver --to ADDR... [--from ADDR] < message` checks every recipient as
//! LMTP does at `RCPT TO`, then delivers to those accepted. The message may
//! have LF or CRLF line ends (LF becomes CRLF, the form the store keeps); a
//! leading mbox `From ` line is dropped.
//!
//! Exit status, for both commands (several recipients: a temporary failure
//! wins, so the MTA retries; else the first recipient's failure):
//!
//! | code | name | when |
//! |---|---|---|
//! | 0 | EX_OK | every recipient delivered (or deliverable) |
//! | 65 | EX_DATAERR | message too large (5.3.4) or malformed (5.6.x) |
//! | 67 | EX_NOUSER | unknown or bad address (5.1.x) |
//! | 69 | EX_UNAVAILABLE | any other permanent refusal |
//! | 73 | EX_CANTCREAT | over quota, permanent (5.2.2) |
//! | 74 | EX_IOERR | the message could not be read |
//! | 75 | EX_TEMPFAIL | any temporary failure (4xx); the store cannot be opened |
//! | 77 | EX_NOPERM | mailbox disabled (5.2.1) or refused by policy (5.7.x), which includes a Sieve `reject`/`ereject` (`550 5.7.1 reason` on stderr) |
//! | 78 | EX_CONFIG | the configuration is invalid |
//!
//! Recipients are read as LMTP reads `RCPT TO` ([`crate::mailbox`]):
//! `"alice"@localhost` is `alice@localhost`, a domain that is not local is
//! refused (`5.1.2`, exit 67), a source route too (`5.7.1`, exit 77).
//!
//! Standard error (which MTAs copy into bounces) carries the reply only,
//! never a host path; the details of a store error go to the log
//! (`[log] deliver_file`, else the system log).
//!
//! A retried multi-recipient delivery may reach again the recipients that
//! already got the message: an MTA that cares calls `deliver` with one
//! recipient at a time (Postfix: `*_destination_recipient_limit = 1`).

use std::io::Read;
use std::process::ExitCode;

use clap::Args;

use super::Cli;
use crate::config::{Overrides, QuotaFailure};
use crate::delivery::{Delivery, Envelope, Refusal};

/// sysexits.h codes.
pub mod sysexits {
    /// Success.
    pub const OK: u8 = 0;
    /// Input data was incorrect.
    pub const DATAERR: u8 = 65;
    /// Addressee unknown.
    pub const NOUSER: u8 = 67;
    /// Service unavailable.
    pub const UNAVAILABLE: u8 = 69;
    /// Cannot create (user) output file.
    pub const CANTCREAT: u8 = 73;
    /// Input/output error.
    pub const IOERR: u8 = 74;
    /// Temporary failure; the user is invited to retry.
    pub const TEMPFAIL: u8 = 75;
    /// Permission denied.
    pub const NOPERM: u8 = 77;
    /// Configuration error.
    pub const CONFIG: u8 = 78;
}

/// `popstore deliver` arguments.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Recipient addresses (repeat `--to`, or give several after one).
    #[arg(long, required = true, num_args = 1.., value_name = "ADDR")]
    pub to: Vec<String>,
    /// The envelope sender; empty (the default) for the null sender `<>`.
    #[arg(long, default_value = "", value_name = "ADDR")]
    pub from: String,
}

/// `popstore validate` arguments.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Addresses to check.
    #[arg(required = true, value_name = "ADDR")]
    pub addresses: Vec<String>,
    /// Check quota room for a message of this many bytes.
    #[arg(long, default_value_t = 0)]
    pub size: u64,
}

/// The exit code for one refusal.
pub fn exit_code(r: &Refusal) -> u8 {
    if r.is_temporary() || !(500..600).contains(&r.code) {
        return sysexits::TEMPFAIL;
    }
    match r.enhanced {
        (_, 1, _) => sysexits::NOUSER,
        (_, 2, 1) => sysexits::NOPERM,
        (_, 2, 2) => sysexits::CANTCREAT,
        (_, 3, 4) | (_, 6, _) => sysexits::DATAERR,
        (_, 7, _) => sysexits::NOPERM,
        _ => sysexits::UNAVAILABLE,
    }
}

/// The exit code for a set of per-recipient results (see the module doc).
pub fn overall_exit_code<'a>(results: impl IntoIterator<Item = &'a Result<(), Refusal>>) -> u8 {
    let mut first = None;
    for r in results {
        if let Err(refusal) = r {
            let code = exit_code(refusal);
            if code == sysexits::TEMPFAIL {
                return code;
            }
            first.get_or_insert(code);
        }
    }
    first.unwrap_or(sysexits::OK)
}

/// The message in the form the store takes: CRLF line ends, no mbox
/// `From ` line in front.
pub fn normalize(input: &[u8]) -> Vec<u8> {
    let mut input = input;
    if input.starts_with(b"From ") {
        input = match memchr::memchr(b'\n', input) {
            Some(i) => &input[i + 1..],
            None => &[],
        };
    }
    let mut out = Vec::with_capacity(input.len() + input.len() / 32);
    let mut last = 0;
    for i in memchr::memchr_iter(b'\n', input) {
        if i == 0 || input[i - 1] != b'\r' {
            out.extend_from_slice(&input[last..i]);
            out.extend_from_slice(b"\r\n");
            last = i + 1;
        }
    }
    out.extend_from_slice(&input[last..]);
    out
}

/// A recipient as given, in canonical form; a refusal when it is no
/// acceptable address.
pub fn recipient(address: &str) -> Result<String, Refusal> {
    crate::smtp_path::parse_recipient(address).map_err(|e| {
        let (code, enhanced) = e.reply();
        Refusal::new(code, enhanced, format!("{}: {e}", address.trim()))
    })
}

/// The pipeline: checks each recipient, delivers to those accepted, and
/// returns one result per recipient given, in order.
pub fn deliver(
    delivery: &dyn Delivery,
    envelope: &Envelope,
    recipients: &[String],
    message: &[u8],
    quota: QuotaFailure,
) -> Vec<Result<(), Refusal>> {
    let size = message.len() as u64;
    let mut results: Vec<Result<(), Refusal>> = Vec::with_capacity(recipients.len());
    let mut accepted = Vec::new();
    let mut slots = Vec::new();
    for (i, r) in recipients.iter().enumerate() {
        match recipient(r).and_then(|r| delivery.check_recipient(envelope, &r, size)) {
            Ok(a) => {
                accepted.push(a);
                slots.push(i);
                results.push(Ok(()));
            }
            Err(refusal) => results.push(Err(quota.apply(refusal))),
        }
    }
    if !accepted.is_empty() {
        let delivered = delivery.deliver(envelope, &accepted, message);
        let mut delivered = delivered.into_iter();
        for slot in slots {
            results[slot] = match delivered.next() {
                Some(Ok(())) => Ok(()),
                Some(Err(refusal)) => Err(quota.apply(refusal)),
                None => Err(Refusal::new(
                    451,
                    (4, 3, 0),
                    "internal error: no result from the store",
                )),
            };
        }
    }
    results
}

/// Opens the store; when it cannot be, says so on stderr without naming
/// where it is (the log has the details).
fn open(config: &crate::config::Config) -> Option<std::sync::Arc<dyn Delivery>> {
    match super::serve::open_delivery(config) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::error!("cannot open the store: {e:#}");
            eprintln!("popstore: 451 4.3.0 the mail store cannot be opened; try again later");
            None
        }
    }
}

/// Runs `popstore deliver`.
pub fn run_deliver(cli: &Cli, args: &DeliverArgs) -> ExitCode {
    let config = match super::load_config(cli, Overrides::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("popstore: {e}");
            return ExitCode::from(sysexits::CONFIG);
        }
    };
    log::init(&config);
    let limit = config.lmtp.max_message_size.0;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut raw)
    {
        eprintln!("popstore: cannot read the message: {e}");
        return ExitCode::from(sysexits::IOERR);
    }
    let message = normalize(&raw);
    if raw.len() as u64 > limit || message.len() as u64 > limit {
        eprintln!("popstore: 552 5.3.4 message larger than the limit of {limit} bytes");
        return ExitCode::from(sysexits::DATAERR);
    }
    let Some(delivery) = open(&config) else {
        return ExitCode::from(sysexits::TEMPFAIL);
    };
    let envelope = Envelope {
        mail_from: args.from.clone(),
        body_8bit: message.iter().any(|b| *b >= 0x80),
        envelope_id: None,
        channel: "deliver".into(),
        client: "localhost".into(),
        received_by: crate::lmtp::Limits::from_config(&config.lmtp).hostname,
    };
    let results = deliver(
        &*delivery,
        &envelope,
        &args.to,
        &message,
        config.lmtp.quota_failure,
    );
    for (to, r) in args.to.iter().zip(&results) {
        if let Err(refusal) = r {
            eprintln!("popstore: <{to}>: {refusal}");
        }
    }
    ExitCode::from(overall_exit_code(&results))
}

/// Runs `popstore validate`: one line per address on stdout,
/// `ADDR: deliverable` or `ADDR: CODE X.Y.Z reason`.
pub fn run_validate(cli: &Cli, args: &ValidateArgs) -> ExitCode {
    let config = match super::load_config(cli, Overrides::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("popstore: {e}");
            return ExitCode::from(sysexits::CONFIG);
        }
    };
    log::init(&config);
    let Some(delivery) = open(&config) else {
        return ExitCode::from(sysexits::TEMPFAIL);
    };
    let envelope = Envelope {
        channel: "validate".into(),
        client: "localhost".into(),
        ..Envelope::default()
    };
    let results: Vec<Result<(), Refusal>> = args
        .addresses
        .iter()
        .map(|a| {
            let r = recipient(a)
                .and_then(|r| delivery.check_recipient(&envelope, &r, args.size))
                .map(|_| ())
                .map_err(|e| config.lmtp.quota_failure.apply(e));
            match &r {
                Ok(()) => println!("{a}: deliverable"),
                Err(refusal) => println!("{a}: {refusal}"),
            }
            r
        })
        .collect();
    ExitCode::from(overall_exit_code(&results))
}

mod log;
#[cfg(test)]
mod tests;
