//! The actions a script run produces (RFC 5228 4, and the extensions'),
//! in the order they were taken, duplicates merged.

use serde::Serialize;

/// The arguments of a vacation action once expanded (RFC 5230, 6131).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vacation {
    /// The reply period in seconds, clamped to the limits.
    pub seconds: u64,
    /// The period in whole days when it is one (for display).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u64>,
    /// `:subject`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `:from`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `:addresses`
    pub addresses: Vec<String>,
    /// `:mime`: the reason is a MIME entity.
    pub mime: bool,
    /// The handle (RFC 5230 4.2: the given `:handle`, else one derived
    /// from the reason, subject, from and mime arguments).
    pub handle: String,
    /// The reason text.
    pub reason: String,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Store in the user's default mailbox.
    Keep {
        /// IMAP flags to set.
        flags: Vec<String>,
        /// True for the implicit keep.
        implicit: bool,
    },
    /// Drop the message silently.
    Discard,
    /// Store in a mailbox.
    Fileinto {
        /// The mailbox name.
        mailbox: String,
        /// IMAP flags to set.
        flags: Vec<String>,
        /// `:copy`
        copy: bool,
        /// `:create`
        create: bool,
    },
    /// Forward to another address.
    Redirect {
        /// The address.
        address: String,
        /// `:copy`
        copy: bool,
    },
    /// Refuse the message with an MDN-style report (RFC 5429 2.2).
    Reject {
        /// The reason.
        reason: String,
    },
    /// Refuse the message at the protocol level (RFC 5429 2.1).
    Ereject {
        /// The reason.
        reason: String,
    },
    /// Send a vacation reply.
    Vacation(Vacation),
}

/// What one run of a script decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The explicit actions, in order, duplicates merged.
    pub actions: Vec<Action>,
    /// `Some(flags)` when the implicit keep is still in force at the end.
    pub implicit_keep: Option<Vec<String>>,
}

impl Outcome {
    /// The explicit actions followed by the implicit keep, if any.
    pub fn all(&self) -> Vec<Action> {
        let mut v = self.actions.clone();
        if let Some(f) = &self.implicit_keep {
            v.push(Action::Keep {
                flags: f.clone(),
                implicit: true,
            });
        }
        v
    }
}
