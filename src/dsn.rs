//! Delivery status notifications (RFC 3464) for messages the store gives
//! back to their senders: the message bouncer's expired unread mail and
//! `popstore user delete --return`. Built with mail-builder as
//! `multipart/report; report-type=delivery-status`: a human-readable part,
//! the `message/delivery-status` fields, and the original (its header as
//! `text/rfc822-headers`, or the whole message as `message/rfc822`).
//!
//! A notification is sent from the null sender, so that it never causes
//! another; [`must_not_return`] says which messages get none at all.

use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};

/// How much of the original goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Its header only (`text/rfc822-headers`): the bouncer's choice.
    Headers,
    /// The whole message (`message/rfc822`): the user never saw it and the
    /// sender gets it back (PMDF's return at account deletion).
    Message,
}

/// One message given back.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// The host name for `Reporting-MTA:` and the notice's `From:`.
    pub reporting_mta: &'a str,
    /// The envelope sender the notice goes to (never empty).
    pub to: &'a str,
    /// The recipient address the message was for (`Final-Recipient:`).
    pub recipient: &'a str,
    /// The envelope id given at delivery (`Original-Envelope-Id:`), if any.
    pub envelope_id: &'a str,
    /// When the message was delivered (Unix seconds; `Arrival-Date:`).
    pub arrival: i64,
    /// Now (the notice's `Date:` and `Last-Attempt-Date:`).
    pub now: i64,
    /// The enhanced status code (`5.4.7`: delivery time expired).
    pub status: &'a str,
    /// The notice's `Subject:`.
    pub subject: &'a str,
    /// The human-readable explanation, plain text, lines without CR.
    pub explanation: &'a str,
    /// The stored message (CRLF lines).
    pub original: &'a [u8],
    /// How much of it goes back.
    pub returned: Returned,
}

/// The length of the header of `msg`, its blank line included (the whole
/// message when it has no body).
pub fn header_len(msg: &[u8]) -> usize {
    if msg.starts_with(b"\r\n") {
        return 2;
    }
    if msg.starts_with(b"\n") {
        return 1;
    }
    let crlf = memchr::memmem::find(msg, b"\r\n\r\n").map(|i| i + 4);
    let lf = memchr::memmem::find(msg, b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(msg.len()),
    }
}

/// The unfolded values of the header fields `name` of `msg`.
fn fields(msg: &[u8], name: &str) -> Vec<String> {
    let head = &msg[..header_len(msg)];
    let text = String::from_utf8_lossy(head);
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(c) = current.take() {
            out.push(c);
        }
        if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case(name)
        {
            current = Some(v.trim().to_string());
        }
    }
    out.extend(current);
    out
}

/// True when a message must never be returned to its sender: the null
/// sender, or a message that is itself a report or automatic
/// (`Content-Type: multipart/report`, `Auto-Submitted:` other than `no`;
/// RFC 3464 and RFC 3834 forbid answering those).
pub fn must_not_return(env_from: &str, msg: &[u8]) -> bool {
    if env_from.trim().is_empty() || env_from.trim() == "<>" {
        return true;
    }
    let report = fields(msg, "content-type").iter().any(|v| {
        v.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/report"))
    });
    let automatic = fields(msg, "auto-submitted").iter().any(|v| {
        !v.split(['(', ';'])
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("no")
    });
    report || automatic
}

/// The transfer encoding a part of these bytes needs to be sent as is.
fn encoding(bytes: &[u8]) -> &'static str {
    let bare = bytes.iter().enumerate().any(|(i, b)| match b {
        0 => true,
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || bytes[i - 1] != b'\r',
        _ => false,
    });
    if bare {
        "binary"
    } else if bytes.iter().any(|b| *b > 0x7F) {
        "8bit"
    } else {
        "7bit"
    }
}

/// CRLF lines of `text`.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// The `message/delivery-status` fields (RFC 3464 2.2 and 2.3).
fn status_fields(n: &Notice<'_>) -> String {
    let mut s = format!("Reporting-MTA: dns; {}\r\n", n.reporting_mta);
    if !n.envelope_id.is_empty() {
        s.push_str(&format!("Original-Envelope-Id: {}\r\n", n.envelope_id));
    }
    if n.arrival > 0 {
        s.push_str(&format!(
            "Arrival-Date: {}\r\n",
            Date::new(n.arrival).to_rfc822()
        ));
    }
    s.push_str("\r\n");
    let recipient = if n.recipient.contains('@') {
        n.recipient.to_string()
    } else {
        format!("{}@{}", n.recipient, n.reporting_mta)
    };
    s.push_str(&format!("Final-Recipient: rfc822; {recipient}\r\n"));
    s.push_str("Action: failed\r\n");
    s.push_str(&format!("Status: {}\r\n", n.status));
    s.push_str(&format!(
        "Last-Attempt-Date: {}\r\n",
        Date::new(n.now).to_rfc822()
    ));
    s
}

/// The notification, ready for the relay (CRLF lines).
pub fn build(n: &Notice<'_>) -> Vec<u8> {
    let human = MimePart::new(
        ContentType::new("text/plain").attribute("charset", "utf-8"),
        BodyPart::Binary(crlf(n.explanation).into_bytes().into()),
    )
    .transfer_encoding(encoding(n.explanation.as_bytes()));
    let status = MimePart::new(
        ContentType::new("message/delivery-status"),
        BodyPart::Binary(status_fields(n).into_bytes().into()),
    )
    .transfer_encoding("7bit");
    let original = match n.returned {
        Returned::Headers => {
            let head = &n.original[..header_len(n.original)];
            MimePart::new(
                ContentType::new("text/rfc822-headers"),
                BodyPart::Binary(head.into()),
            )
            .transfer_encoding(encoding(head))
        }
        Returned::Message => MimePart::new(
            ContentType::new("message/rfc822"),
            BodyPart::Binary(n.original.into()),
        )
        .transfer_encoding(encoding(n.original)),
    };
    let report = MimePart::new(
        ContentType::new("multipart/report").attribute("report-type", "delivery-status"),
        BodyPart::Multipart(vec![human, status, original]),
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in n.to.bytes().chain(n.original.iter().copied().take(4096)) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let from = format!("MAILER-DAEMON@{}", n.reporting_mta);
    MessageBuilder::new()
        .from(("Mail Delivery System", from.as_str()))
        .to(n.to)
        .subject(n.subject)
        .date(Date::new(n.now))
        .message_id(format!("dsn.{}.{h:016x}@{}", n.now, n.reporting_mta))
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .body(report)
        .write_to_vec()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: bob@far.example\r\nSubject: hello\r\n\r\nbody\r\n";

    fn notice(returned: Returned) -> Vec<u8> {
        build(&Notice {
            reporting_mta: "mx.example",
            to: "bob@far.example",
            recipient: "ann",
            envelope_id: "",
            arrival: 1_000_000,
            now: 2_000_000,
            status: "5.4.7",
            subject: "Returned mail",
            explanation: "Your message expired.\nIt was not read.",
            original: MSG,
            returned,
        })
    }

    #[test]
    fn a_report_with_the_three_parts() {
        let m = String::from_utf8(notice(Returned::Headers)).unwrap();
        assert!(m.contains("multipart/report"), "{m}");
        assert!(
            m.contains("report-type=\"delivery-status\"")
                || m.contains("report-type=delivery-status"),
            "{m}"
        );
        assert!(
            m.contains("Content-Type: message/delivery-status\r\n"),
            "{m}"
        );
        assert!(m.contains("Reporting-MTA: dns; mx.example\r\n"), "{m}");
        assert!(
            m.contains("Final-Recipient: rfc822; ann@mx.example\r\n"),
            "{m}"
        );
        assert!(m.contains("Action: failed\r\nStatus: 5.4.7\r\n"), "{m}");
        assert!(m.contains("Content-Type: text/rfc822-headers"), "{m}");
        assert!(m.contains("Subject: hello\r\n"), "{m}");
        assert!(!m.contains("\r\nbody\r\n"), "headers only: {m}");
        assert!(m.contains("It was not read.\r\n"), "{m}");
        let whole = String::from_utf8(notice(Returned::Message)).unwrap();
        assert!(whole.contains("Content-Type: message/rfc822"), "{whole}");
        assert!(whole.contains(std::str::from_utf8(MSG).unwrap()), "{whole}");
    }

    #[test]
    fn reports_and_the_null_sender_are_never_returned() {
        assert!(must_not_return("", MSG));
        assert!(must_not_return("<>", MSG));
        assert!(!must_not_return("bob@far.example", MSG));
        let report = b"Content-Type: multipart/report;\r\n report-type=delivery-status\r\n\r\n";
        assert!(must_not_return("bob@far.example", report));
        assert!(must_not_return(
            "bob@far.example",
            b"Auto-Submitted: auto-replied (vacation)\r\n\r\nx"
        ));
        assert!(!must_not_return(
            "bob@far.example",
            b"Auto-Submitted: no\r\n\r\nx"
        ));
        // A report about a report would be a loop: the bouncer's own too.
        assert!(must_not_return(
            "bob@far.example",
            &notice(Returned::Headers)
        ));
    }

    #[test]
    fn header_length_counts_the_blank_line() {
        assert_eq!(header_len(MSG), MSG.len() - 6);
        assert_eq!(header_len(b"A: b\n\nx"), 6);
        assert_eq!(header_len(b"A: b\r\n"), 6);
    }
}
