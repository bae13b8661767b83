//! Vacation replies: when one may be sent (RFC 5230 4, RFC 3834 2-3),
//! the per-user response tracking (at most one reply per sender and
//! handle per period), and the reply message itself.

use std::collections::HashMap;

use super::action::Vacation;
use super::address::{local_part, parse_list};
use super::message::Message;
use super::mime::decode_words;

/// Remembers which senders got a vacation reply, per user. The store
/// implements it in the user's profile tree; [`MemoryTracker`] is for tests.
pub trait ResponseTracker {
    /// When (seconds since 1970) a reply with `handle` was last sent to
    /// `sender` (lower-cased), if that is still remembered.
    fn last_response(&self, sender: &str, handle: &str) -> Option<i64>;
    /// Records a reply sent at `at`; the entry may be forgotten after
    /// `expires`.
    fn record_response(&mut self, sender: &str, handle: &str, at: i64, expires: i64);
}

/// An in-memory [`ResponseTracker`].
#[derive(Debug, Default, Clone)]
pub struct MemoryTracker {
    entries: HashMap<(String, String), (i64, i64)>,
}

impl ResponseTracker for MemoryTracker {
    fn last_response(&self, sender: &str, handle: &str) -> Option<i64> {
        self.entries
            .get(&(sender.to_string(), handle.to_string()))
            .map(|e| e.0)
    }

    fn record_response(&mut self, sender: &str, handle: &str, at: i64, expires: i64) {
        self.entries
            .insert((sender.to_string(), handle.to_string()), (at, expires));
    }
}

/// Why no reply is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppressed {
    /// The envelope sender is null (`<>`): a bounce (RFC 3834 2).
    NullSender,
    /// The sender is one of the user's own addresses (RFC 5230 4.6).
    OwnAddress,
    /// The sender is a mailing list or daemon address (`MAILER-DAEMON`,
    /// `owner-*`, `*-request`, RFC 5230 4.6).
    SystemSender,
    /// The message is itself automatic (`Auto-Submitted` other than `no`,
    /// RFC 3834 2 / 5).
    AutoSubmitted,
    /// `Precedence: bulk/list/junk` (RFC 3834 2).
    Precedence,
    /// A `List-*` header names a mailing list (RFC 2369/2919, RFC 3834 2).
    MailingList,
    /// None of the user's addresses is in To/Cc/Bcc (RFC 5230 4.5).
    NotAddressed,
    /// A reply went to this sender within the period (RFC 5230 4.2).
    AlreadyReplied,
}

/// The user on whose behalf a reply would be sent.
#[derive(Debug, Clone)]
pub struct User<'a> {
    /// The envelope recipient (the address the message was delivered to).
    pub recipient: &'a str,
    /// The user's other addresses (aliases); `:addresses` adds more.
    pub own: &'a [String],
}

fn addr_eq(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Checks every rule of RFC 5230 and RFC 3834 except the tracking.
pub fn check(v: &Vacation, msg: &Message, user: &User<'_>) -> Result<(), Suppressed> {
    let sender = msg.env_from.trim();
    if sender.is_empty() || sender == "<>" {
        return Err(Suppressed::NullSender);
    }
    let mut mine: Vec<&str> = vec![user.recipient];
    mine.extend(user.own.iter().map(String::as_str));
    mine.extend(v.addresses.iter().map(String::as_str));
    if mine.iter().any(|m| addr_eq(m, sender)) {
        return Err(Suppressed::OwnAddress);
    }
    let lp = local_part(sender).to_ascii_lowercase();
    if lp == "mailer-daemon"
        || lp.starts_with("owner-")
        || lp.ends_with("-request")
        || lp == "listserv"
        || lp == "majordomo"
    {
        return Err(Suppressed::SystemSender);
    }
    if msg
        .header("auto-submitted")
        .iter()
        .any(|h| !h.trim().to_ascii_lowercase().starts_with("no"))
    {
        return Err(Suppressed::AutoSubmitted);
    }
    if msg.header("precedence").iter().any(|h| {
        matches!(
            h.trim().to_ascii_lowercase().as_str(),
            "bulk" | "list" | "junk"
        )
    }) {
        return Err(Suppressed::Precedence);
    }
    const LIST: &[&str] = &[
        "list-id",
        "list-help",
        "list-subscribe",
        "list-unsubscribe",
        "list-post",
        "list-owner",
        "list-archive",
    ];
    if LIST.iter().any(|h| !msg.header_raw(h).is_empty()) {
        return Err(Suppressed::MailingList);
    }
    let addressed = ["to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"]
        .iter()
        .flat_map(|h| msg.header(h))
        .flat_map(|v| parse_list(&v))
        .any(|a| mine.iter().any(|m| addr_eq(m, &a)));
    if !addressed {
        return Err(Suppressed::NotAddressed);
    }
    Ok(())
}

/// Decides whether to reply: the rules, then the tracker; records the
/// reply in the tracker when one is to be sent.
pub fn decide(
    v: &Vacation,
    msg: &Message,
    user: &User<'_>,
    now: i64,
    tracker: &mut dyn ResponseTracker,
) -> Result<(), Suppressed> {
    check(v, msg, user)?;
    let sender = msg.env_from.trim().to_ascii_lowercase();
    if let Some(last) = tracker.last_response(&sender, &v.handle)
        && now - last < v.seconds as i64
    {
        return Err(Suppressed::AlreadyReplied);
    }
    tracker.record_response(
        &sender,
        &v.handle,
        now,
        now.saturating_add(v.seconds as i64),
    );
    Ok(())
}

/// A message to send through the SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The envelope sender (empty: the null sender `<>`).
    pub mail_from: String,
    /// The envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The message, CRLF lines.
    pub data: Vec<u8>,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for ch in data.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= ch.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A header value, RFC 2047-encoded when it is not plain ASCII.
fn header_text(s: &str) -> String {
    let s: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    if s.is_ascii() {
        s
    } else {
        format!("=?utf-8?b?{}?=", base64(s.as_bytes()))
    }
}

/// RFC 5322 date of a moment (UTC).
pub fn rfc5322_date(unix: i64) -> String {
    let dt = super::date::DateTime { unix, offset: 0 };
    super::date::part(dt, "std11").unwrap_or_default()
}

/// Builds the reply (RFC 5230 4.3-4.4, RFC 3834 3): to the envelope
/// sender, from the `:from` address or the recipient, subject from
/// `:subject` or "Auto: " and the original subject, `Auto-Submitted:
/// auto-replied`, `In-Reply-To` and `References`, sent with a null
/// envelope sender.
pub fn build(v: &Vacation, msg: &Message, user: &User<'_>, now: i64) -> Outgoing {
    let to = msg.env_from.trim().to_string();
    let from = v.from.clone().unwrap_or_else(|| user.recipient.to_string());
    let orig_subject = msg
        .header_raw("subject")
        .first()
        .map(|s| decode_words(s))
        .unwrap_or_default();
    let subject = v
        .subject
        .clone()
        .unwrap_or_else(|| format!("Auto: {orig_subject}"));
    let orig_id = msg
        .header_raw("message-id")
        .first()
        .map(|s| s.trim().to_string());
    let refs = msg
        .header_raw("references")
        .first()
        .map(|s| s.trim().to_string());
    let from_addr = parse_list(&from)
        .into_iter()
        .next()
        .unwrap_or_else(|| from.clone());
    let domain = super::address::domain(&from_addr);
    let domain = if domain.is_empty() {
        "localhost"
    } else {
        domain
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in to.bytes().chain(v.handle.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::new();
    out.push_str(&format!("Date: {}\r\n", rfc5322_date(now)));
    out.push_str(&format!("From: {}\r\n", header_text(&from)));
    out.push_str(&format!("To: <{to}>\r\n"));
    out.push_str(&format!("Subject: {}\r\n", header_text(&subject)));
    out.push_str(&format!(
        "Message-ID: <vacation.{now}.{h:016x}@{domain}>\r\n"
    ));
    if let Some(id) = &orig_id {
        out.push_str(&format!("In-Reply-To: {id}\r\n"));
        match &refs {
            Some(r) => out.push_str(&format!("References: {r} {id}\r\n")),
            None => out.push_str(&format!("References: {id}\r\n")),
        }
    }
    out.push_str("Auto-Submitted: auto-replied (vacation)\r\n");
    out.push_str("Precedence: bulk\r\n");
    out.push_str("MIME-Version: 1.0\r\n");
    let reason = v.reason.replace("\r\n", "\n").replace('\n', "\r\n");
    if v.mime {
        // The reason is a MIME entity: its own headers, a blank line, a body.
        out.push_str(&reason);
        if !reason.ends_with("\r\n") {
            out.push_str("\r\n");
        }
    } else {
        let enc = if reason.is_ascii() { "7bit" } else { "8bit" };
        out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        out.push_str(&format!("Content-Transfer-Encoding: {enc}\r\n\r\n"));
        out.push_str(&reason);
        if !reason.ends_with("\r\n") {
            out.push_str("\r\n");
        }
    }
    Outgoing {
        mail_from: String::new(),
        rcpt_to: vec![to],
        data: out.into_bytes(),
    }
}
