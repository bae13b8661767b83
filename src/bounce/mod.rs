//! The message bouncer: messages past the `[expire]` policy are returned
//! to their senders when never retrieved (an RFC 3464 notice, built by
//! [`crate::dsn`], relayed from the null sender) and removed; retrieved
//! ones are removed. One pass goes over every account; `serve` runs one
//! every `interval` seconds ([`service::Bouncer`]) and `popstore bounce`
//! runs one on demand.
//!
//! Each account expires its own references: a message delivered to
//! several accounts goes back once per account whose user never read it,
//! and its file goes with the last reference.

pub mod policy;
pub mod service;

use serde::Serialize;

use crate::dsn::{Notice, Returned};
use crate::store::expire::{Action, Expired};
use crate::store::name::AccountName;
use crate::store::{MessageView, Store, StoreError};
use policy::ExpireConfig;

/// What a pass did (or, dry run, would do).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Accounts looked at.
    pub accounts: usize,
    /// Notices sent (or to be sent).
    pub returned: usize,
    /// Messages removed without a notice.
    pub deleted: usize,
    /// Notices the relay refused: those messages stay for the next pass.
    pub failed: usize,
    /// Accounts skipped this pass (in a session, or unreadable), and why.
    pub skipped: Vec<(String, String)>,
    /// Every expired message.
    pub messages: Vec<Expired>,
}

/// The address the message was delivered to for `account`: the envelope
/// recipient naming it (its local part, without a subaddress), else the
/// only recipient, else the account name.
fn recipient_for(account: &AccountName, recipients: &[String]) -> String {
    let local = |r: &str| {
        let l = r.rsplit_once('@').map_or(r, |(l, _)| l);
        l.split_once('+').map_or(l, |(l, _)| l).to_string()
    };
    recipients
        .iter()
        .find(|r| local(r).eq_ignore_ascii_case(account.as_str()))
        .or(if recipients.len() == 1 {
            recipients.first()
        } else {
            None
        })
        .cloned()
        .unwrap_or_else(|| account.to_string())
}

/// The notice for an expired unread message of `account`.
pub fn expiry_notice(
    reporting_mta: &str,
    account: &AccountName,
    v: &MessageView,
    days: u32,
    now: i64,
) -> Vec<u8> {
    let recipient = recipient_for(account, &v.header.recipients);
    let explanation = format!(
        "This is the mail system at {reporting_mta}.\n\n\
         Your message to <{recipient}> was kept for {days} days, but the\n\
         recipient never retrieved it, so it has expired and is returned\n\
         to you. Its header is attached.\n"
    );
    crate::dsn::build(&Notice {
        reporting_mta,
        to: &v.header.env_from,
        recipient: &recipient,
        envelope_id: &v.header.envelope_id,
        arrival: v.header.created,
        now,
        status: "5.4.7",
        subject: "Returned mail: delivery time expired",
        explanation: &explanation,
        original: v.body(),
        returned: Returned::Headers,
    })
}

/// One pass over every account of `store` at time `now`. Unread messages
/// go back through the store's relay (kept, and counted as failed, when
/// there is none or it refuses).
pub fn run(
    store: &Store,
    cfg: &ExpireConfig,
    reporting_mta: &str,
    now: i64,
    dry_run: bool,
) -> Report {
    let mut report = Report::default();
    let tree = match store.group_tree() {
        Ok(t) => t,
        Err(e) => {
            report.skipped.push(("*".into(), e.to_string()));
            return report;
        }
    };
    for p in store.profiles() {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                report.skipped.push(("?".into(), e.to_string()));
                continue;
            }
        };
        let Ok(name) = store.name(&p.name) else {
            continue;
        };
        if crate::store::public::is_public(&name) {
            continue;
        }
        let days = cfg.days_for(&p.name, p.group_name().as_ref(), &tree);
        let (Some(after), policy::Days::After(n)) = (days.seconds(), days) else {
            continue;
        };
        report.accounts += 1;
        let relay = store.relay();
        let mut send = |a: &AccountName, v: &MessageView| -> Result<(), String> {
            let relay = relay.as_ref().ok_or("no [relay] is configured")?;
            let dsn = expiry_notice(reporting_mta, a, v, n, now);
            relay
                .relay("", std::slice::from_ref(&v.header.env_from), &dsn)
                .map_err(|e| e.to_string())
        };
        match store.expire_account(&p, after, now, dry_run, &mut send) {
            Ok(done) => {
                for x in done {
                    match (x.action, &x.error) {
                        (_, Some(e)) => {
                            tracing::warn!(account = %x.account, message = %x.message, "bounce: returning to <{}> failed, kept: {e}", x.sender);
                            report.failed += 1;
                        }
                        (Action::Return, None) => report.returned += 1,
                        (Action::Delete, None) => report.deleted += 1,
                    }
                    report.messages.push(x);
                }
            }
            Err(StoreError::InUse(_)) => report
                .skipped
                .push((p.name.clone(), "in a session; next pass".into())),
            Err(e) => {
                tracing::error!(account = %p.name, "bounce: {e}");
                report.skipped.push((p.name.clone(), e.to_string()));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipient_that_named_the_account() {
        let ann = AccountName::from_stored("ann");
        let rs = vec!["bob@x".to_string(), "Ann+lists@x".to_string()];
        assert_eq!(recipient_for(&ann, &rs), "Ann+lists@x");
        assert_eq!(recipient_for(&ann, &["list@x".into()]), "list@x");
        assert_eq!(recipient_for(&ann, &rs[..1]), "bob@x");
        assert_eq!(recipient_for(&ann, &[]), "ann");
    }
}
