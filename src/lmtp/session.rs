//! The LMTP session (RFC 2033) as a state machine without sockets.
//!
//! The caller feeds the bytes the client sent ([`Session::receive`]), asks
//! what to do next ([`Session::next_action`]), sends what [`Session::take_output`]
//! returns, and answers the two questions the session asks of the store:
//! [`Action::CheckRecipient`] (answer with [`Session::recipient_checked`])
//! and [`Action::Deliver`] (answer with [`Session::delivered`]). Pipelined
//! commands are taken one after the other from the input; their replies
//! collect in the output until the caller needs to read again.

use std::sync::Arc;

use memchr::memmem;

use super::command::{self, Command};
use crate::config::QuotaFailure;
use crate::delivery::{AcceptedRecipient, Envelope, Refusal};

/// The longest command line accepted, CRLF included. RFC 5321 asks for at
/// least 512 octets; parameters of extensions may make lines longer.
pub const MAX_COMMAND_LINE: usize = 2048;

/// The session's limits and names.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Our host name, for the greeting and replies.
    pub hostname: String,
    /// The largest message accepted (advertised as `SIZE`).
    pub max_message_size: u64,
    /// Accepted recipients per transaction.
    pub max_recipients: usize,
    /// How over-quota refusals are reported.
    pub quota_failure: QuotaFailure,
    /// Bad commands before the session is closed.
    pub max_errors: u32,
}

/// What the caller must do next.
#[derive(Debug)]
pub enum Action {
    /// Send the pending output, then read more input and pass it to
    /// [`Session::receive`]. At end of input, just close.
    NeedInput,
    /// Run `Delivery::check_recipient` and pass the result to
    /// [`Session::recipient_checked`].
    CheckRecipient {
        /// The transaction's envelope.
        envelope: Arc<Envelope>,
        /// The address from `RCPT TO`.
        recipient: String,
        /// The `SIZE=` of `MAIL FROM`, 0 when not given.
        size_hint: u64,
    },
    /// Send the pending output, run `Delivery::deliver` and pass the
    /// results to [`Session::delivered`].
    Deliver {
        /// The transaction's envelope.
        envelope: Arc<Envelope>,
        /// The accepted recipients, in order.
        recipients: Vec<AcceptedRecipient>,
        /// The message, dot-unstuffed.
        message: Vec<u8>,
    },
    /// Send the pending output and close the connection.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before LHLO.
    Start,
    /// LHLO done, no transaction.
    Ready,
    /// MAIL accepted: RCPT and DATA may follow.
    Mail,
    /// Reading message data.
    Data,
    /// Waiting for [`Session::recipient_checked`].
    Checking,
    /// Waiting for [`Session::delivered`].
    Delivering,
    /// QUIT, or too many errors.
    Closed,
}

/// One LMTP session.
#[derive(Debug)]
pub struct Session {
    limits: Limits,
    client: String,
    phase: Phase,
    input: Vec<u8>,
    pos: usize,
    output: Vec<u8>,
    /// Dropping the rest of an over-long command line.
    discarding: bool,
    errors: u32,
    lhlo: String,
    envelope: Option<Arc<Envelope>>,
    size_hint: u64,
    recipients: Vec<AcceptedRecipient>,
    pending_recipient: String,
    message: Vec<u8>,
    data_size: u64,
    /// The data read so far ends a line (CRLF), or none was read yet.
    at_line_start: bool,
    /// The data read so far ends with a CR (its LF may come next).
    after_cr: bool,
}

impl Session {
    /// A new session for a client (its address, for the trace header).
    /// The greeting is already in the output.
    pub fn new(limits: Limits, client: impl Into<String>) -> Self {
        let mut s = Session {
            limits,
            client: client.into(),
            phase: Phase::Start,
            input: Vec::new(),
            pos: 0,
            output: Vec::new(),
            discarding: false,
            errors: 0,
            lhlo: String::new(),
            envelope: None,
            size_hint: 0,
            recipients: Vec::new(),
            pending_recipient: String::new(),
            message: Vec::new(),
            data_size: 0,
            at_line_start: true,
            after_cr: false,
        };
        let greeting = format!("{} LMTP popstore ready", s.limits.hostname);
        s.reply(220, "", &greeting);
        s
    }

    /// Adds bytes received from the client.
    pub fn receive(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.input.len() {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// The replies produced so far, to send; the output is then empty.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// True while message data is being read (the caller uses the data timeout).
    pub fn in_data(&self) -> bool {
        self.phase == Phase::Data
    }

    /// True when no transaction is open (a shutting-down server may close now).
    pub fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Start | Phase::Ready) && self.pos == self.input.len()
    }

    /// Puts a final reply (`421 ...`) in the output and closes the session:
    /// for timeouts and shutdown.
    pub fn close_with(&mut self, code: u16, enhanced: &str, text: &str) {
        let text = format!("{} {text}", self.limits.hostname);
        self.reply(code, enhanced, &text);
        self.phase = Phase::Closed;
    }

    /// Processes the input received so far, up to the next thing the caller
    /// must do.
    pub fn next_action(&mut self) -> Action {
        loop {
            match self.phase {
                Phase::Closed => return Action::Close,
                Phase::Checking | Phase::Delivering => {
                    // The caller has not answered the last question yet.
                    debug_assert!(
                        false,
                        "Session::next_action called while waiting for the store"
                    );
                    return Action::NeedInput;
                }
                Phase::Data => {
                    if let Some(action) = self.read_data() {
                        return action;
                    }
                    if self.phase == Phase::Data {
                        return Action::NeedInput;
                    }
                }
                Phase::Start | Phase::Ready | Phase::Mail => {
                    let Some(line) = self.take_line() else {
                        return Action::NeedInput;
                    };
                    if let Some(action) = self.command(&line) {
                        return action;
                    }
                }
            }
        }
    }

    /// The store's answer to [`Action::CheckRecipient`]. Gives the reply
    /// code sent (for the metrics).
    pub fn recipient_checked(&mut self, result: Result<AcceptedRecipient, Refusal>) -> u16 {
        debug_assert_eq!(self.phase, Phase::Checking);
        self.phase = Phase::Mail;
        let recipient = std::mem::take(&mut self.pending_recipient);
        match result {
            Ok(accepted) => {
                self.recipients.push(accepted);
                self.reply(250, "2.1.5", &format!("Recipient <{recipient}> OK"));
                250
            }
            Err(refusal) => {
                let r = self.limits.quota_failure.apply(refusal);
                self.reply_refusal(&r, None)
            }
        }
    }

    /// The store's answer to [`Action::Deliver`]: one result per recipient,
    /// in order. Missing results count as temporary failures. Gives the
    /// reply code sent for each recipient (for the metrics).
    pub fn delivered(&mut self, results: Vec<Result<(), Refusal>>) -> Vec<u16> {
        debug_assert_eq!(self.phase, Phase::Delivering);
        let recipients = std::mem::take(&mut self.recipients);
        let mut results = results.into_iter();
        let mut codes = Vec::with_capacity(recipients.len());
        for rcpt in &recipients {
            codes.push(match results.next() {
                Some(Ok(())) => {
                    self.reply(250, "2.1.5", &format!("<{}> delivered", rcpt.address));
                    250
                }
                Some(Err(refusal)) => {
                    let r = self.limits.quota_failure.apply(refusal);
                    self.reply_refusal(&r, Some(&rcpt.address))
                }
                None => {
                    let r =
                        Refusal::new(451, (4, 3, 0), "internal error: no result from the store");
                    self.reply_refusal(&r, Some(&rcpt.address))
                }
            });
        }
        self.reset_transaction();
        self.phase = Phase::Ready;
        codes
    }

    fn reply(&mut self, code: u16, enhanced: &str, text: &str) {
        let line = if enhanced.is_empty() {
            format!("{code} {text}\r\n")
        } else {
            format!("{code} {enhanced} {text}\r\n")
        };
        self.output.extend_from_slice(line.as_bytes());
    }

    /// Sends a refusal; gives its reply code.
    fn reply_refusal(&mut self, r: &Refusal, address: Option<&str>) -> u16 {
        // The store's text never spans lines in a reply.
        let text: String = r
            .text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let code = if (400..600).contains(&r.code) {
            r.code
        } else {
            451
        };
        let (a, b, c) = r.enhanced;
        let enhanced = format!("{a}.{b}.{c}");
        let text = match address {
            Some(addr) => format!("<{addr}> {text}"),
            None => text,
        };
        self.reply(code, &enhanced, &text);
        code
    }

    /// A bad command: reply, count it, close after too many.
    fn error(&mut self, code: u16, enhanced: &str, text: &str) {
        self.reply(code, enhanced, text);
        self.errors += 1;
        if self.errors >= self.limits.max_errors {
            self.close_with(421, "4.7.0", "Too many errors, closing connection");
        }
    }

    fn reset_transaction(&mut self) {
        self.envelope = None;
        self.size_hint = 0;
        self.recipients.clear();
        self.message = Vec::new();
        self.data_size = 0;
        self.at_line_start = true;
        self.after_cr = false;
    }

    /// The next complete command line (CRLF or LF removed), handling over-long lines.
    fn take_line(&mut self) -> Option<Vec<u8>> {
        loop {
            let avail = &self.input[self.pos..];
            match memchr::memchr(b'\n', avail) {
                Some(i) if self.discarding => {
                    self.pos += i + 1;
                    self.discarding = false;
                }
                Some(i) if i + 1 > MAX_COMMAND_LINE => {
                    self.pos += i + 1;
                    self.error(500, "5.5.2", "Line too long");
                    if self.phase == Phase::Closed {
                        return None;
                    }
                }
                Some(i) => {
                    let mut line = &avail[..i];
                    if let Some(l) = line.strip_suffix(b"\r") {
                        line = l;
                    }
                    let line = line.to_vec();
                    self.pos += i + 1;
                    return Some(line);
                }
                None if avail.len() > MAX_COMMAND_LINE => {
                    self.pos = self.input.len();
                    if !self.discarding {
                        self.discarding = true;
                        self.error(500, "5.5.2", "Line too long");
                    }
                    return None;
                }
                None => return None,
            }
        }
    }

    /// Carries out one command; returns an action when the store is needed.
    fn command(&mut self, line: &[u8]) -> Option<Action> {
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(r) => {
                self.error(r.code, r.enhanced, &r.text);
                return None;
            }
        };
        match cmd {
            Command::Lhlo(name) => {
                self.reset_transaction();
                self.lhlo = name;
                self.phase = Phase::Ready;
                let text = format!(
                    "250-{}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE {}\r\n",
                    self.limits.hostname, self.limits.max_message_size
                );
                self.output.extend_from_slice(text.as_bytes());
            }
            Command::SmtpHello => {
                self.error(500, "5.5.1", "This is an LMTP server: use LHLO (RFC 2033)");
            }
            Command::Mail {
                from,
                size,
                body_8bit,
            } => match self.phase {
                Phase::Start => self.error(503, "5.5.1", "Send LHLO first"),
                Phase::Mail => self.error(503, "5.5.1", "Nested MAIL command"),
                _ if size.is_some_and(|s| s > self.limits.max_message_size) => {
                    let text = format!(
                        "Message size exceeds the maximum of {} bytes",
                        self.limits.max_message_size
                    );
                    self.reply(552, "5.3.4", &text);
                }
                _ => {
                    let client = if self.lhlo.is_empty() {
                        self.client.clone()
                    } else {
                        format!("{} ({})", self.lhlo, self.client)
                    };
                    self.envelope = Some(Arc::new(Envelope {
                        mail_from: from.clone(),
                        body_8bit,
                        envelope_id: None,
                        channel: "lmtp".into(),
                        client,
                        received_by: self.limits.hostname.clone(),
                    }));
                    self.size_hint = size.unwrap_or(0);
                    self.phase = Phase::Mail;
                    self.reply(250, "2.1.0", &format!("Sender <{from}> OK"));
                }
            },
            Command::Rcpt(to) => match (&self.envelope, self.phase) {
                (Some(envelope), Phase::Mail) => {
                    if self.recipients.len() >= self.limits.max_recipients {
                        self.reply(452, "4.5.3", "Too many recipients");
                    } else {
                        let envelope = envelope.clone();
                        self.phase = Phase::Checking;
                        self.pending_recipient = to.clone();
                        return Some(Action::CheckRecipient {
                            envelope,
                            recipient: to,
                            size_hint: self.size_hint,
                        });
                    }
                }
                _ => self.error(503, "5.5.1", "Send MAIL first"),
            },
            Command::Data => {
                if self.phase != Phase::Mail {
                    self.error(503, "5.5.1", "Send MAIL first");
                } else if self.recipients.is_empty() {
                    self.error(503, "5.5.1", "No valid recipients");
                } else {
                    self.phase = Phase::Data;
                    self.at_line_start = true;
                    self.after_cr = false;
                    self.reply(354, "", "Start mail input; end with <CRLF>.<CRLF>");
                }
            }
            Command::Rset => {
                self.reset_transaction();
                if self.phase != Phase::Start {
                    self.phase = Phase::Ready;
                }
                self.reply(250, "2.0.0", "OK");
            }
            Command::Noop => self.reply(250, "2.0.0", "OK"),
            Command::Quit => {
                let text = format!("{} closing connection", self.limits.hostname);
                self.reply(221, "2.0.0", &text);
                self.phase = Phase::Closed;
            }
            Command::Vrfy => self.reply(
                252,
                "2.5.0",
                "VRFY is not offered; send the message and each recipient is answered",
            ),
            Command::Help => self.reply(
                214,
                "2.0.0",
                "Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP",
            ),
            Command::NotImplemented(verb) => {
                self.error(502, "5.5.1", &format!("{verb} is not implemented"));
            }
        }
        None
    }

    /// Reads message data up to the final `.`; returns the delivery (or
    /// `None` when more input is needed).
    ///
    /// Only `<CRLF>.<CRLF>` ends the data (RFC 5321 section 4.1.1.4), and a
    /// line starts only after CRLF: a dot after a bare LF or a bare CR is
    /// content, kept as written, so `<LF>.<CRLF>`, `<LF>.<LF>`, `<CR>.<CR>`
    /// and `<CRLF>.<LF>` end nothing and what follows them is never read
    /// as commands (SMTP smuggling). Bare LF and CR themselves are kept and
    /// stored as every message is (a bare LF becomes CRLF, a bare CR stays):
    /// the MTA in front already accepted the message, refusing it here
    /// would only turn into a bounce, and once the end of data is exact a
    /// bare line end can no longer split one message into two.
    fn read_data(&mut self) -> Option<Action> {
        loop {
            let avail = &self.input[self.pos..];
            if avail.is_empty() {
                return None;
            }
            if self.at_line_start {
                if avail[0] == b'.' {
                    if avail.starts_with(b".\r\n") {
                        self.pos += 3;
                        return self.end_of_data();
                    }
                    if avail == b"." || avail == b".\r" {
                        return None;
                    }
                    // Dot-stuffing: the first dot of the line is dropped.
                    self.pos += 1;
                }
                self.at_line_start = false;
                continue;
            }
            let (take, line_start) = if self.after_cr && avail[0] == b'\n' {
                // The LF of a CRLF split across reads.
                (1, true)
            } else {
                match memmem::find(avail, b"\r\n.") {
                    Some(i) => (i + 2, true),
                    None => (avail.len(), avail.ends_with(b"\r\n")),
                }
            };
            self.after_cr = !line_start && avail[take - 1] == b'\r';
            self.data_size += take as u64;
            if self.data_size <= self.limits.max_message_size {
                self.message.extend_from_slice(&avail[..take]);
            } else if !self.message.is_empty() {
                self.message = Vec::new();
            }
            self.pos += take;
            self.at_line_start = line_start;
        }
    }

    fn end_of_data(&mut self) -> Option<Action> {
        if self.data_size > self.limits.max_message_size {
            let text = format!(
                "Message size exceeds the maximum of {} bytes",
                self.limits.max_message_size
            );
            let recipients = std::mem::take(&mut self.recipients);
            for r in &recipients {
                self.reply(552, "5.3.4", &format!("<{}> {text}", r.address));
            }
            self.reset_transaction();
            self.phase = Phase::Ready;
            return None;
        }
        let Some(envelope) = self.envelope.clone() else {
            // DATA is only accepted inside a transaction; never reached.
            self.reset_transaction();
            self.phase = Phase::Ready;
            return None;
        };
        self.phase = Phase::Delivering;
        Some(Action::Deliver {
            envelope,
            recipients: self.recipients.clone(),
            message: std::mem::take(&mut self.message),
        })
    }
}
