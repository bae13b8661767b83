//! The contract between the delivery channels (LMTP, `popstore deliver`) and
//! the store: recipients are checked while the message is offered, and a
//! recipient is acknowledged only once its copy is durable.
//!
//! The channels speak protocols; the store implements [`Delivery`]. Both
//! calls block (they do file I/O and fsync): async callers run them with
//! `tokio::task::spawn_blocking`.

use std::fmt;

/// What the client said about the message before its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path of `MAIL FROM` (empty for the null sender `<>`).
    pub mail_from: String,
    /// `BODY=8BITMIME` (or `BINARYMIME`) was given.
    pub body_8bit: bool,
    /// The DSN envelope id (`ENVID=`), when given.
    pub envelope_id: Option<String>,
    /// The name of the channel the message came in by (`lmtp`, `deliver`).
    pub channel: String,
    /// The client's host name or address, for the trace header.
    pub client: String,
    /// This server's host name for the `Received:` line, set by the
    /// channels of final delivery (LMTP, `popstore deliver`): the store
    /// then adds `Return-Path:` and `Received:` at the top of the stored
    /// message. Empty: the message is stored as given (imports, tests).
    pub received_by: String,
}

/// A recipient the store accepted at `RCPT TO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRecipient {
    /// The address exactly as the client gave it (without the angle brackets).
    pub address: String,
}

/// Why the store refuses a recipient (or fails to deliver to it): an SMTP
/// reply code, an enhanced status code (RFC 3463) and a human text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The three-digit reply code, for example 550.
    pub code: u16,
    /// The enhanced status code, for example `(5, 1, 1)`.
    pub enhanced: (u8, u16, u16),
    /// The text after the codes.
    pub text: String,
}

impl Refusal {
    /// A refusal with the given codes and text.
    pub fn new(code: u16, enhanced: (u8, u16, u16), text: impl Into<String>) -> Self {
        Self {
            code,
            enhanced,
            text: text.into(),
        }
    }

    /// True for a temporary (4xx) failure.
    pub fn is_temporary(&self) -> bool {
        (400..500).contains(&self.code)
    }
}

impl fmt::Display for Refusal {
    /// `550 5.1.1 text`, the form a reply line takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, c) = self.enhanced;
        write!(f, "{} {a}.{b}.{c} {}", self.code, self.text)
    }
}

/// A store that takes mail.
pub trait Delivery: Send + Sync + 'static {
    /// Checks one recipient while the message is offered (`RCPT TO`):
    /// the account exists after forwarding and subaddress rules, it is not
    /// DISMAIL, it has quota room for `size_hint` bytes (the `SIZE=`
    /// parameter, 0 when unknown). Refusals: unknown `550 5.1.1`, DISMAIL
    /// `550 5.2.1`, over quota `552 5.2.2` (or `452 4.2.2` when the store is
    /// configured to call it temporary).
    fn check_recipient(
        &self,
        envelope: &Envelope,
        recipient: &str,
        size_hint: u64,
    ) -> Result<AcceptedRecipient, Refusal>;

    /// Delivers `message` (the data as received, dot-unstuffed) to every
    /// accepted recipient. Returns one result per recipient, in order; an
    /// `Ok` is returned only once that recipient's copy and reference are
    /// durable on disk.
    fn deliver(
        &self,
        envelope: &Envelope,
        recipients: &[AcceptedRecipient],
        message: &[u8],
    ) -> Vec<Result<(), Refusal>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_prints_as_a_reply_line() {
        let r = Refusal::new(452, (4, 2, 2), "mailbox full");
        assert_eq!(r.to_string(), "452 4.2.2 mailbox full");
        assert!(r.is_temporary());
        assert!(!Refusal::new(550, (5, 1, 1), "x").is_temporary());
    }
}
