//! The trace headers of final delivery (RFC 5321 4.4): `Return-Path:`
//! with the envelope sender and a `Received:` line naming this server and
//! the client, added once at the top of the stored message.
//!
//! Nothing in them is per recipient (no `for` clause): every recipient's
//! reference points at the one stored copy, which must stay the same bytes
//! for all of them.

use crate::delivery::Envelope;

/// The trace headers for `envelope`, received at `now` (Unix seconds):
/// `Return-Path:` and `Received:`, in that order, CRLF lines. Empty when
/// the channel asked for none (`received_by` empty).
pub fn headers(envelope: &Envelope, now: i64) -> Trace {
    if envelope.received_by.is_empty() {
        return Trace::default();
    }
    let return_path = format!("Return-Path: <{}>\r\n", envelope.mail_from);
    let mut received = String::from("Received: ");
    if envelope.channel == "lmtp" && !envelope.client.is_empty() {
        received.push_str(&format!("from {}\r\n\t", envelope.client));
    }
    received.push_str(&format!("by {} (popstore)", envelope.received_by));
    match envelope.channel.as_str() {
        "lmtp" => received.push_str(" with LMTP"),
        other => received.push_str(&format!(" via {other}")),
    }
    received.push_str(&format!(
        " id {};\r\n\t{}\r\n",
        transaction_id(now),
        crate::sieve::vacation::rfc5322_date(now)
    ));
    Trace {
        return_path,
        received,
    }
}

/// The two trace headers of one delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// `Return-Path: <sender>` and its CRLF; for the stored copy only
    /// (a relayed copy gets its return path from its own envelope).
    pub return_path: String,
    /// The `Received:` field, folded, with its CRLF; on stored and relayed
    /// copies alike.
    pub received: String,
}

impl Trace {
    /// The message as stored: both headers, then `message`.
    pub fn stored(&self, message: &[u8]) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(self.return_path.len() + self.received.len() + message.len());
        out.extend_from_slice(self.return_path.as_bytes());
        out.extend_from_slice(self.received.as_bytes());
        out.extend_from_slice(message);
        out
    }
}

/// A delivery id: the time and 32 random bits, in hex.
fn transaction_id(now: i64) -> String {
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    format!("{now:x}{:08x}", u32::from_le_bytes(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(channel: &str, client: &str) -> Envelope {
        Envelope {
            mail_from: "ann@far.example".into(),
            channel: channel.into(),
            client: client.into(),
            received_by: "mx.example".into(),
            ..Envelope::default()
        }
    }

    #[test]
    fn lmtp_names_the_client_the_server_and_the_protocol() {
        let t = headers(&env("lmtp", "foo.edu ([192.0.2.1])"), 1_764_927_338);
        assert_eq!(t.return_path, "Return-Path: <ann@far.example>\r\n");
        let r = &t.received;
        assert!(
            r.starts_with(
                "Received: from foo.edu ([192.0.2.1])\r\n\tby mx.example (popstore) with LMTP id "
            ),
            "{r}"
        );
        assert!(
            r.ends_with(";\r\n\tFri, 05 Dec 2025 09:35:38 +0000\r\n"),
            "{r}"
        );
        assert!(!r.contains(" for "), "{r}");
    }

    #[test]
    fn local_delivery_has_no_from_clause_and_null_sender_stays_null() {
        let mut e = env("deliver", "localhost");
        e.mail_from.clear();
        let t = headers(&e, 0);
        assert_eq!(t.return_path, "Return-Path: <>\r\n");
        assert!(
            t.received
                .starts_with("Received: by mx.example (popstore) via deliver id ")
        );
        assert_eq!(
            t.stored(b"S: x\r\n\r\n").len(),
            t.return_path.len() + t.received.len() + 8
        );
    }

    #[test]
    fn no_host_name_no_headers() {
        let mut e = env("lmtp", "c");
        e.received_by.clear();
        assert_eq!(headers(&e, 0), Trace::default());
        assert_eq!(Trace::default().stored(b"x"), b"x");
    }
}
