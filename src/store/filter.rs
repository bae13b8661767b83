//! Sieve filtering at delivery: runs an account's active script and carries
//! out the plan's sends (redirects and vacation replies through the relay).
//! What to store and what to refuse is decided in [`super::deliver`].
//!
//! Policy (documented in README "Sieve filters"):
//! - an account whose profile names no active script is delivered to as
//!   before, with no extra file read;
//! - a script that cannot be read or run falls back to the implicit keep
//!   (RFC 5228 2.10.6), logged;
//! - a redirect the relay refuses or cannot take (or with no relay
//!   configured) is never lost: the account gets the message in its
//!   maildrop instead (the implicit keep, as Pigeonhole does when executing
//!   the actions fails) and a warning is logged; the LMTP client still gets
//!   `250`, so a transient relay failure does not make the MTA resend the
//!   copies that were already stored;
//! - a vacation reply that cannot be sent is logged and dropped (a reply
//!   is a courtesy, never a reason to refuse mail).

use popstore_formats::msglist::EntryFlags;

use super::engine::Store;
use super::name::AccountName;
use crate::delivery::{AcceptedRecipient, Envelope};
use crate::sieve::plan::{Plan, Store as Copy};

/// One run of an account's script: for one recipient (an index into the
/// transaction's list) leading to the account, and its plan.
pub(super) struct Filtered {
    pub account: AccountName,
    pub idx: usize,
    pub plan: Plan,
}

/// The reference flags a Sieve keep/fileinto asks for: `\Seen` and
/// `\Deleted` are the only state a popstore maildrop entry keeps; other
/// IMAP flags have no place and are dropped.
pub(super) fn entry_flags(stores: &[Copy]) -> EntryFlags {
    let mut f = EntryFlags::default();
    for flag in stores.iter().flat_map(|s| &s.flags) {
        if flag.eq_ignore_ascii_case("\\Seen") {
            f.set(EntryFlags::SEEN, true);
        } else if flag.eq_ignore_ascii_case("\\Deleted") {
            f.set(EntryFlags::DELETED, true);
        }
    }
    f
}

impl Store {
    /// Runs the active script of `account` for recipient `idx` (the
    /// address as given, so `+detail` reaches the script). The other
    /// recipients of the transaction that lead to the account (`idxs`)
    /// count as the user's own addresses for vacation. `None`: deliver as
    /// usual (no script, or it could not run: the implicit keep, logged).
    pub(super) fn filter(
        &self,
        account: &AccountName,
        message: &[u8],
        envelope: &Envelope,
        recipients: &[AcceptedRecipient],
        (idx, idxs): (usize, &[usize]),
    ) -> Option<Plan> {
        let first = recipients.get(idx)?;
        let mut own: Vec<String> = idxs
            .iter()
            .filter(|i| **i != idx)
            .filter_map(|i| recipients.get(*i))
            .map(|r| r.address.clone())
            .collect();
        if let Some((_, domain)) = first.address.rsplit_once('@') {
            own.push(format!("{account}@{domain}"));
        }
        match self.sieve_plan(account, message, &envelope.mail_from, &first.address, &own) {
            Ok(Some(plan)) => {
                // A popstore account's plan files everything into its
                // maildrop; a MessageStore account's names real folders
                // (deliver_folders places them).
                for n in &plan.notes {
                    tracing::info!(account = %account, "sieve: {n}");
                }
                Some(plan)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(account = %account, "sieve script not run ({e}); implicit keep");
                None
            }
        }
    }

    /// Sends the redirects and vacation replies of the runs whose
    /// recipient is not failing (`ok(run)`). Returns the runs whose
    /// account must get the message in its maildrop because a redirect
    /// failed and the run stored nothing.
    pub(super) fn send_filtered(
        &self,
        filtered: &[Filtered],
        message: &[u8],
        ok: impl Fn(&Filtered) -> bool,
    ) -> Vec<(AccountName, usize)> {
        let relay = self.relay();
        let mut fallback = Vec::new();
        for f in filtered.iter().filter(|f| ok(f)) {
            let mut failed = false;
            for fw in &f.plan.forwards {
                let sent = match &relay {
                    None => Err("no SMTP relay is configured".to_string()),
                    Some(r) => {
                        let mut bytes = Vec::with_capacity(fw.prepend.len() + message.len());
                        bytes.extend_from_slice(fw.prepend.as_bytes());
                        bytes.extend_from_slice(message);
                        r.relay(&fw.mail_from, std::slice::from_ref(&fw.to), &bytes)
                            .map_err(|e| e.to_string())
                    }
                };
                match sent {
                    Ok(()) => {
                        tracing::info!(account = %f.account, "sieve: redirected to <{}>", fw.to)
                    }
                    Err(e) => {
                        tracing::warn!(
                            account = %f.account,
                            "sieve: redirect to <{}> failed ({e}); kept in the maildrop",
                            fw.to
                        );
                        failed = true;
                    }
                }
            }
            if failed && f.plan.stores.is_empty() {
                fallback.push((f.account.clone(), f.idx));
            }
            for out in &f.plan.replies {
                let sent = match &relay {
                    None => Err("no SMTP relay is configured".to_string()),
                    Some(r) => r
                        .relay(&out.mail_from, &out.rcpt_to, &out.data)
                        .map_err(|e| e.to_string()),
                };
                match sent {
                    Ok(()) => tracing::info!(
                        account = %f.account,
                        "sieve: vacation reply sent to {:?}",
                        out.rcpt_to
                    ),
                    Err(e) => tracing::warn!(
                        account = %f.account,
                        "sieve: vacation reply to {:?} not sent: {e}",
                        out.rcpt_to
                    ),
                }
            }
        }
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sieve::plan::Folder;

    fn copy(flags: &[&str]) -> Copy {
        Copy {
            folder: Folder::Inbox,
            flags: flags.iter().map(|f| f.to_string()).collect(),
            create: false,
        }
    }

    #[test]
    fn only_seen_and_deleted_have_a_place() {
        let f = entry_flags(&[copy(&["\\SEEN", "$Junk"]), copy(&["\\Flagged"])]);
        assert!(f.contains(EntryFlags::SEEN));
        assert!(!f.contains(EntryFlags::DELETED));
        let f = entry_flags(&[copy(&["\\Deleted"])]);
        assert!(f.contains(EntryFlags::DELETED) && !f.contains(EntryFlags::SEEN));
        assert_eq!(entry_flags(&[copy(&[])]), EntryFlags::default());
    }
}
