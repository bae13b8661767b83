//! The PMDF quota rule.
//!
//! A message is accepted only if the account is under its quota *and* the
//! message will not take it past quota plus overdraft. No quota means
//! unlimited; no overdraft means zero overdraft.

/// An account's limits, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Quota {
    /// The primary quota; `None` is unlimited.
    pub primary: Option<u32>,
    /// The overdraft allowed past the primary quota; `None` is zero.
    pub overdraft: Option<u32>,
}

/// The outcome of the quota rule for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaCheck {
    /// The message fits.
    Fits,
    /// The account is already at or over its primary quota.
    OverQuota,
    /// The message would take the account past quota plus overdraft.
    TooBig,
}

impl Quota {
    /// Applies the PMDF rule to a message of `size` bytes for an account
    /// that uses `usage` bytes now.
    pub fn check(&self, usage: u64, size: u64) -> QuotaCheck {
        let Some(q) = self.primary else {
            return QuotaCheck::Fits;
        };
        let q = u64::from(q);
        if usage >= q {
            return QuotaCheck::OverQuota;
        }
        let ceiling = q + u64::from(self.overdraft.unwrap_or(0));
        if usage.saturating_add(size) > ceiling {
            QuotaCheck::TooBig
        } else {
            QuotaCheck::Fits
        }
    }

    /// True when [`Quota::check`] says the message fits.
    pub fn admits(&self, usage: u64, size: u64) -> bool {
        self.check(usage, size) == QuotaCheck::Fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_quota_is_unlimited() {
        assert!(Quota::default().admits(u64::MAX / 2, u64::MAX / 2));
    }

    #[test]
    fn under_quota_and_within_overdraft_fits() {
        let q = Quota {
            primary: Some(1000),
            overdraft: Some(500),
        };
        assert_eq!(q.check(0, 1000), QuotaCheck::Fits);
        assert_eq!(q.check(999, 501), QuotaCheck::Fits); // exactly quota + overdraft
        assert_eq!(q.check(999, 502), QuotaCheck::TooBig);
        assert_eq!(q.check(1000, 1), QuotaCheck::OverQuota); // at quota: refused
        assert_eq!(q.check(1200, 0), QuotaCheck::OverQuota);
    }

    #[test]
    fn without_overdraft_the_quota_is_the_ceiling() {
        let q = Quota {
            primary: Some(1000),
            overdraft: None,
        };
        assert_eq!(q.check(500, 500), QuotaCheck::Fits);
        assert_eq!(q.check(500, 501), QuotaCheck::TooBig);
    }
}
