//! Delivery into the store: recipient checks at `RCPT TO` and single-copy
//! delivery, implementing [`crate::delivery::Delivery`].

use std::collections::BTreeMap;

use crate::delivery::{AcceptedRecipient, Delivery, Envelope, Refusal};

use super::account::Profile;
use super::deliver_folders::{Place, places_from_sieve};
use super::engine::{Store, now};
use super::error::StoreError;
use super::filter::{self, Filtered};
use super::flags::Flags;
use super::forward::{self, ForwardError, ForwardLookup, Resolution};
use super::messages::MessageView;
use super::name::{AccountName, Subaddress};
use super::quota::QuotaCheck;
use popstore_formats::message::{MessageFlags, MessageHeader};
use popstore_formats::msglist::EntryFlags;

/// A temporary refusal for a store error: the reply says only that the
/// store failed (replies and an MTA's bounces name no host path); the
/// details go to the log.
fn store_failure(what: &str, detail: &dyn std::fmt::Display) -> Refusal {
    tracing::error!("delivery: {what}: {detail}");
    Refusal::new(
        451,
        (4, 3, 0),
        "the mail store cannot be read or written now; try again later",
    )
}

impl Store {
    /// Where mail for `address` goes: the accounts (after forwarding and
    /// subaddress rules) and the external targets. Only the local domains
    /// (`[store] local_domains`, `localhost`, user domains) reach accounts
    /// by their local part. What no account or forwarding takes may be a
    /// public folder's posting address (`post+folder`, `deliver_public`).
    pub fn resolve(&self, address: &str) -> Result<Resolution, ForwardError> {
        match forward::resolve(self, address) {
            Err(ForwardError::Unknown(a)) => match self.public_resolution(address)? {
                Some(r) => Ok(r),
                None => Err(ForwardError::Unknown(a)),
            },
            other => other,
        }
    }

    fn refuse_forward(&self, address: &str, e: ForwardError) -> Refusal {
        match e {
            ForwardError::Unknown(a) => {
                let sub = Subaddress::parse(address);
                match sub.domain.as_deref().map(|d| self.is_local_domain(d)) {
                    Some(Ok(false)) => Refusal::new(
                        550,
                        (5, 1, 2),
                        format!("{a}: mail for this domain is not delivered here"),
                    ),
                    Some(Err(e)) => store_failure(address, &e),
                    _ => Refusal::new(550, (5, 1, 1), format!("{a}: no such user")),
                }
            }
            ForwardError::Loop(l) => Refusal::new(550, (5, 4, 6), format!("forwarding loop: {l}")),
            ForwardError::TooDeep(a) => {
                Refusal::new(550, (5, 4, 6), format!("{a}: forwarding nested too deeply"))
            }
            ForwardError::Unavailable(detail) => store_failure(address, &detail),
        }
    }

    /// Checks one account for a message of `size` bytes: exists, not
    /// DISMAIL, quota room.
    fn check_account(&self, name: &AccountName, size: u64) -> Result<Profile, Refusal> {
        // Replies name the posting address, not the public pseudo-account.
        let shown = if super::public::is_public(name) {
            format!("{}+folder", self.public_post)
        } else {
            name.to_string()
        };
        let p = self
            .profile(name)
            .map_err(|e| store_failure(name.as_str(), &e))?
            .ok_or_else(|| Refusal::new(550, (5, 1, 1), format!("{shown}: no such user")))?;
        if p.flags().contains(Flags::DISMAIL) {
            return Err(Refusal::new(
                550,
                (5, 2, 1),
                format!("{shown}: mailbox disabled"),
            ));
        }
        let usage = self
            .usage(name, &p)
            .and_then(|u| {
                // A MessageStore account's folder journals count too.
                if p.store_type == super::StoreType::Imap {
                    Ok((u + self.folder_usage(name, &p)?).saturating_sub(p.quota_used))
                } else {
                    Ok(u)
                }
            })
            .map_err(|e| store_failure(name.as_str(), &e))?;
        let messages_fit = p.store_type != super::StoreType::Imap
            || self
                .messages_fit(name, &p, 1)
                .map_err(|e| store_failure(name.as_str(), &e))?;
        match p.quota().check(usage, size) {
            QuotaCheck::Fits if messages_fit => Ok(p),
            _ if self.settings.quota_temporary => Err(Refusal::new(
                452,
                (4, 2, 2),
                format!("{shown}: mailbox full"),
            )),
            _ => Err(Refusal::new(
                552,
                (5, 2, 2),
                format!("{shown}: mailbox full"),
            )),
        }
    }

    /// Checks every account of a resolution; returns their profiles, in
    /// the order of `r.local`.
    fn check_resolution(&self, r: &Resolution, size: u64) -> Result<Vec<Profile>, Refusal> {
        if !r.external.is_empty() && self.relay().is_none() {
            return Err(Refusal::new(
                550,
                (5, 3, 5),
                "forwarding to external addresses needs an SMTP relay, none is configured",
            ));
        }
        r.local
            .iter()
            .map(|a| self.check_account(a, size))
            .collect()
    }
}

/// One account's copy: the recipients leading to it, the maildrop entry
/// flags (popstore accounts), and the folders it goes into (MessageStore
/// accounts; empty for popstore accounts).
pub(super) type Copy = (AccountName, Vec<usize>, EntryFlags, Vec<Place>);

/// How many accounts get their reference written at once: each reference
/// is a few fsyncs, so overlapping them is what makes a 50-recipient
/// delivery fast.
const PARALLEL_REFERENCES: usize = 8;

impl Store {
    /// Adds a reference to `id` for every account, several at once;
    /// returns the failures.
    fn add_references<'a>(
        &self,
        accounts: &'a [Copy],
        id: popstore_formats::layout::MessageId,
        size: u64,
        created: i64,
    ) -> Vec<(&'a AccountName, &'a Vec<usize>, StoreError)> {
        use std::sync::Mutex;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let failures = Mutex::new(Vec::new());
        let workers = accounts.len().min(PARALLEL_REFERENCES);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((a, idxs, flags, places)) = accounts.get(i) else {
                    break;
                };
                let r = if places.is_empty() {
                    self.add_reference(a, id, size, created, *flags)
                } else {
                    self.file_into_folders(a, id, size, created, places)
                };
                if let Err(e) = r
                    && let Ok(mut f) = failures.lock()
                {
                    f.push((a, idxs, e));
                }
            }
        };
        if workers <= 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..workers {
                    s.spawn(work);
                }
            });
        }
        failures.into_inner().unwrap_or_default()
    }
}

/// The message flags of a stored body: `8bit` for bytes above 0x7F,
/// `binary` for NUL or a bare CR or LF.
pub(crate) fn message_flags(stored: &[u8]) -> MessageFlags {
    let mut f = MessageFlags::default();
    f.set(MessageFlags::EIGHT_BIT, stored.iter().any(|b| *b > 0x7F));
    let bare = stored.iter().enumerate().any(|(i, b)| match b {
        0 => true,
        b'\r' => stored.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || stored[i - 1] != b'\r',
        _ => false,
    });
    f.set(MessageFlags::BINARY, bare);
    f
}

/// The value of the first `Message-ID:` header of a message, if any.
pub(crate) fn message_id(msg: &[u8]) -> String {
    for line in msg.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.len() > 11 && line[..11].eq_ignore_ascii_case(b"message-id:") {
            return String::from_utf8_lossy(&line[11..]).trim().to_string();
        }
    }
    String::new()
}

/// A notice returning an unread message to its sender when its account
/// is deleted (PMDF's "return"): the RFC 3464 report the bouncer sends
/// (built by [`crate::dsn`]), with the whole message attached, since its
/// recipient never saw it.
pub fn return_notice(name: &AccountName, v: &MessageView) -> Vec<u8> {
    let host = crate::config::system_hostname();
    let explanation = format!(
        "This is the mail system at {host}.\n\n\
         Your message was removed, not read by {name}, when the account was\n\
         closed. It is returned to you here.\n"
    );
    let recipient = v
        .header
        .recipients
        .iter()
        .find(|r| r.split(['@', '+']).next() == Some(name.as_str()))
        .cloned()
        .unwrap_or_else(|| name.to_string());
    crate::dsn::build(&crate::dsn::Notice {
        reporting_mta: &host,
        to: &v.header.env_from,
        recipient: &recipient,
        envelope_id: &v.header.envelope_id,
        arrival: v.header.created,
        now: now(),
        status: "5.2.1",
        subject: &format!("Returned mail: not read by {name}"),
        explanation: &explanation,
        original: v.body(),
        returned: crate::dsn::Returned::Message,
    })
}

impl Delivery for Store {
    fn check_recipient(
        &self,
        envelope: &Envelope,
        recipient: &str,
        size_hint: u64,
    ) -> Result<AcceptedRecipient, Refusal> {
        let r = self
            .resolve(recipient)
            .map_err(|e| self.refuse_forward(recipient, e))?;
        self.check_public(envelope, &r)?;
        self.check_resolution(&r, size_hint)?;
        Ok(AcceptedRecipient {
            address: recipient.to_string(),
        })
    }

    fn deliver(
        &self,
        envelope: &Envelope,
        recipients: &[AcceptedRecipient],
        message: &[u8],
    ) -> Vec<Result<(), Refusal>> {
        let _timer = crate::metrics::op_timer("deliver");
        // The stored form (CRLF lines, the trace headers of final delivery
        // on top) and the precomputed IMAP answers, which include them.
        let trace = super::trace::headers(envelope, now());
        let (stored, pre) = crate::mime::precompute(&trace.stored(message));
        // What is relayed (forwarding, Sieve redirect): without the
        // `Return-Path:`, which is for final delivery only.
        let relayed = &stored[trace.return_path.len()..];
        let size = stored.len() as u64;
        let mut results: Vec<Result<(), Refusal>> = Vec::with_capacity(recipients.len());
        let mut plans: Vec<Option<Resolution>> = Vec::with_capacity(recipients.len());
        let mut profiles: BTreeMap<AccountName, Profile> = BTreeMap::new();
        for rcpt in recipients {
            match self
                .resolve(&rcpt.address)
                .map_err(|e| self.refuse_forward(&rcpt.address, e))
                .and_then(|r| self.check_public(envelope, &r).map(|()| r))
                .and_then(|r| self.check_resolution(&r, size).map(|ps| (r, ps)))
            {
                Ok((r, ps)) => {
                    for (a, p) in r.local.iter().zip(ps) {
                        profiles.entry(a.clone()).or_insert(p);
                    }
                    results.push(Ok(()));
                    plans.push(Some(r));
                }
                Err(e) => {
                    results.push(Err(e));
                    plans.push(None);
                }
            }
        }
        // Every account once, whatever number of recipients lead to it.
        let mut accounts: BTreeMap<AccountName, Vec<usize>> = BTreeMap::new();
        for (i, p) in plans.iter().enumerate() {
            for a in p.iter().flat_map(|r| &r.local) {
                accounts.entry(a.clone()).or_default().push(i);
            }
        }
        // Sieve: only accounts whose profile names an active script; the
        // script runs once per recipient leading to the account, and the
        // account gets one copy if any of those runs keeps the message.
        let mut copies: Vec<Copy> = Vec::new();
        let mut filtered: Vec<Filtered> = Vec::new();
        let is_ms = |a: &AccountName| {
            profiles
                .get(a)
                .is_some_and(|p| p.store_type == super::StoreType::Imap)
        };
        // A MessageStore copy without a script: INBOX, or the folder the
        // first recipient's subaddress names.
        let default_place = |a: &AccountName, i: usize| -> Vec<Place> {
            if !is_ms(a) {
                return Vec::new();
            }
            let detail = plans
                .get(i)
                .and_then(|p| p.as_ref())
                .and_then(|r| r.detail.clone());
            vec![match detail {
                Some(d) => Place {
                    folder: d,
                    ..Place::inbox()
                },
                None => Place::inbox(),
            }]
        };
        for (a, idxs) in accounts {
            if profiles.get(&a).is_none_or(|p| p.sieve_script.is_none()) {
                let mut places = default_place(&a, idxs[0]);
                if idxs.len() > 1 && is_ms(&a) {
                    // post+a and post+b (or sue+a and sue+b) in one
                    // transaction: each recipient's folder.
                    places.extend(idxs[1..].iter().flat_map(|&i| default_place(&a, i)));
                    places = self.distinct_folders(&a, places);
                }
                copies.push((a, idxs, EntryFlags::default(), places));
                continue;
            }
            let mut keep: Vec<usize> = Vec::new();
            let mut flags = EntryFlags::default();
            let mut stores = Vec::new();
            let mut unfiltered = false;
            for &i in &idxs {
                match self.filter(&a, &stored, envelope, recipients, (i, &idxs)) {
                    None => {
                        keep.push(i);
                        unfiltered = true;
                    }
                    Some(plan) => {
                        if !plan.stores.is_empty() {
                            keep.push(i);
                            flags = flags | filter::entry_flags(&plan.stores);
                            stores.extend(plan.stores.iter().cloned());
                        }
                        filtered.push(Filtered {
                            account: a.clone(),
                            idx: i,
                            plan,
                        });
                    }
                }
            }
            if !keep.is_empty() {
                let mut places = if is_ms(&a) {
                    places_from_sieve(&stores)
                } else {
                    Vec::new()
                };
                if unfiltered && is_ms(&a) {
                    for p in default_place(&a, keep[0]) {
                        if !places.iter().any(|q| q.folder == p.folder) {
                            places.push(p);
                        }
                    }
                }
                copies.push((a, keep, flags, places));
            }
        }
        self.store_copies(envelope, recipients, &stored, &pre, &copies, &mut results);
        // A refusal answers for a recipient when the runs for every account
        // it leads to refused (a list member's reject is only logged).
        for (i, p) in plans.iter().enumerate() {
            let Some(r) = p else { continue };
            if !r.external.is_empty() || r.local.is_empty() || results[i].is_err() {
                continue;
            }
            let refusals: Vec<&Refusal> = r
                .local
                .iter()
                .filter_map(|a| filtered.iter().find(|f| f.account == *a && f.idx == i))
                .filter_map(|f| f.plan.refusal.as_ref())
                .collect();
            if refusals.len() == r.local.len()
                && let Some(first) = refusals.first()
            {
                results[i] = Err((*first).clone());
            } else if !refusals.is_empty() {
                tracing::info!(
                    recipient = %recipients[i].address,
                    "sieve: {} of {} accounts refused ({}); delivered to the others",
                    refusals.len(),
                    r.local.len(),
                    refusals[0]
                );
            }
        }
        let fallback = self.send_filtered(&filtered, relayed, |f| {
            f.plan.refusal.is_none() && results[f.idx].is_ok()
        });
        // Accounts that got no copy but lost a redirect: kept.
        let mut keep: Vec<Copy> = Vec::new();
        for (a, i) in fallback {
            if copies.iter().any(|c| c.0 == a) {
                continue;
            }
            match keep.iter_mut().find(|k| k.0 == a) {
                Some(k) => k.1.push(i),
                None => {
                    let places = default_place(&a, i);
                    keep.push((a, vec![i], EntryFlags::default(), places));
                }
            }
        }
        self.store_copies(envelope, recipients, &stored, &pre, &keep, &mut results);
        if let Some(relay) = self.relay() {
            for (i, p) in plans.iter().enumerate() {
                let Some(p) = p else { continue };
                if p.external.is_empty() || results[i].is_err() {
                    continue;
                }
                if let Err(e) = relay.relay(&envelope.mail_from, &p.external, relayed) {
                    results[i] = Err(e);
                }
            }
        }
        results
    }
}

impl Store {
    /// Writes the message once and a reference (with its flags) for every
    /// account in `copies`; a failure becomes a temporary refusal for the
    /// recipients leading to that account.
    fn store_copies(
        &self,
        envelope: &Envelope,
        recipients: &[AcceptedRecipient],
        stored: &[u8],
        pre: &crate::mime::Precomputed,
        copies: &[Copy],
        results: &mut [Result<(), Refusal>],
    ) {
        if copies.is_empty() {
            return;
        }
        let size = stored.len() as u64;
        let created = now();
        // One reference per popstore account, one per folder entry of a
        // MessageStore account.
        let refs: usize = copies.iter().map(|c| c.3.len().max(1)).sum();
        let header = MessageHeader {
            created,
            recipient_count: copies.len() as u32,
            ref_count: refs as u32,
            channel: envelope.channel.clone(),
            env_from: envelope.mail_from.clone(),
            envelope_id: envelope.envelope_id.clone().unwrap_or_default(),
            message_id: message_id(stored),
            recipients: recipients.iter().map(|r| r.address.clone()).collect(),
            flags: message_flags(stored),
            imap: pre.to_imap_data(),
            ..MessageHeader::default()
        };
        match self.write_message(header, stored.to_vec()) {
            Err(e) => {
                let r = store_failure("writing the message file", &e);
                for idx in copies.iter().flat_map(|c| &c.1) {
                    results[*idx] = Err(r.clone());
                }
            }
            Ok(id) => {
                for (a, idxs, e) in self.add_references(copies, id, size, created) {
                    // The count stays one too high: verify --repair
                    // reclaims it; never too low.
                    let r = store_failure(&format!("adding the reference for {a}"), &e);
                    for idx in idxs {
                        results[*idx] = Err(r.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_message_id_header() {
        assert_eq!(
            super::message_id(b"Subject: x\r\nMESSAGE-ID: <a@b>\r\n\r\nMessage-ID: no"),
            "<a@b>"
        );
        assert_eq!(super::message_id(b"\r\nMessage-ID: <body@x>"), "");
    }
}
