//! The SMTP client for mail that leaves popstore: forwarding to external
//! addresses, Sieve `redirect` and vacation replies go to the relay of the
//! `[relay]` section, with the message bytes unchanged.
//!
//! The calls block (the store calls them from its delivery, which already
//! runs on a blocking thread). One call is one SMTP transaction: every
//! recipient is accepted or the whole call fails with the relay's refusal.

use std::str::FromStr;
use std::time::Duration;

use lettre::Transport;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::smtp::extension::ClientId;

use crate::config::{RelayConfig, RelayHost, RelaySecurity, system_hostname};
use crate::delivery::Refusal;

/// A configured relay.
pub struct Relay {
    transport: SmtpTransport,
    name: String,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("server", &self.name).finish()
    }
}

/// The refusal for mail that needs a relay when none is configured.
pub fn no_relay() -> Refusal {
    Refusal::new(
        451,
        (4, 3, 5),
        "no SMTP relay is configured for mail to other hosts",
    )
}

impl Relay {
    /// The relay of a `[relay]` section; `None` when it is `off`.
    pub fn from_config(c: &RelayConfig) -> Result<Option<Relay>, String> {
        let RelayHost::Server { host, port } = &c.host else {
            return Ok(None);
        };
        let builder = match c.security {
            RelaySecurity::None => SmtpTransport::builder_dangerous(host.as_str()),
            RelaySecurity::Starttls => {
                SmtpTransport::starttls_relay(host).map_err(|e| format!("relay {host}: {e}"))?
            }
            RelaySecurity::Tls => {
                SmtpTransport::relay(host).map_err(|e| format!("relay {host}: {e}"))?
            }
        };
        let helo = if c.helo_name.is_empty() {
            system_hostname()
        } else {
            c.helo_name.clone()
        };
        let transport = builder
            .port(*port)
            .hello_name(ClientId::Domain(helo))
            .timeout(Some(Duration::from_secs(c.timeout.max(1))))
            .build();
        Ok(Some(Relay {
            transport,
            name: format!("{host}:{port}"),
        }))
    }

    /// Sends `message` as it is to `recipients`, with `mail_from` as the
    /// reverse path (empty for the null sender `<>`, as bounces and
    /// vacation replies use). `Ok` once the relay accepted it; otherwise
    /// the relay's refusal (its reply code kept) or a temporary `451 4.4.1`
    /// when it could not be reached.
    ///
    /// SMTP can only carry a message that ends with CRLF; one that does not
    /// arrives with CRLF added.
    pub fn send(
        &self,
        mail_from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<(), Refusal> {
        let from = if mail_from.is_empty() {
            None
        } else {
            Some(Address::from_str(mail_from).map_err(|e| {
                Refusal::new(
                    553,
                    (5, 1, 7),
                    format!("bad sender address <{mail_from}>: {e}"),
                )
            })?)
        };
        let to = recipients
            .iter()
            .map(|r| {
                Address::from_str(r).map_err(|e| {
                    Refusal::new(553, (5, 1, 3), format!("bad forwarding address <{r}>: {e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(from, to)
            .map_err(|e| Refusal::new(554, (5, 5, 0), format!("bad envelope: {e}")))?;
        // The client ends the data with CRLF "." CRLF after what it is
        // given; the message's own last CRLF is that first CRLF.
        let body = message.strip_suffix(b"\r\n").unwrap_or(message);
        self.transport
            .send_raw(&envelope, body)
            .map(|_| ())
            .map_err(|e| self.refusal(&e))
    }

    fn refusal(&self, e: &lettre::transport::smtp::Error) -> Refusal {
        let reply = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let code = e.status().map(u16::from);
        match code {
            Some(code) if e.is_permanent() || e.is_transient() => {
                let enhanced = parse_enhanced(&reply).unwrap_or(if e.is_permanent() {
                    (5, 0, 0)
                } else {
                    (4, 0, 0)
                });
                Refusal::new(code, enhanced, format!("relay {} said: {reply}", self.name))
            }
            _ => Refusal::new(
                451,
                (4, 4, 1),
                format!("relay {} unreachable: {e}", self.name),
            ),
        }
    }
}

impl crate::store::Relay for Relay {
    fn relay(&self, mail_from: &str, to: &[String], message: &[u8]) -> Result<(), Refusal> {
        self.send(mail_from, to, message)
    }
}

/// The enhanced status code at the start of a reply text (`5.1.1 ...`).
fn parse_enhanced(text: &str) -> Option<(u8, u16, u16)> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.split('.');
    let class: u8 = parts.next()?.parse().ok()?;
    let subject: u16 = parts.next()?.parse().ok()?;
    let detail: u16 = parts.next()?.parse().ok()?;
    (parts.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class, subject, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_are_read_from_replies() {
        assert_eq!(parse_enhanced("5.1.1 no such user"), Some((5, 1, 1)));
        assert_eq!(parse_enhanced("4.7.1 greylisted"), Some((4, 7, 1)));
        assert_eq!(parse_enhanced("no such user"), None);
        assert_eq!(parse_enhanced("5.1 short"), None);
        assert_eq!(parse_enhanced("9.1.1 bad class"), None);
        assert_eq!(parse_enhanced(""), None);
    }

    #[test]
    fn off_means_no_relay() {
        let c = crate::config::Config::defaults();
        assert!(Relay::from_config(&c.relay).unwrap().is_none());
        assert!(no_relay().is_temporary());
    }
}
