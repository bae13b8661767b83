//! The checked form of a script: what the compiler produces and the
//! interpreter runs. Every argument has been type-checked; strings that may
//! hold variable references are [`Value`]s expanded at run time.

use super::matching::Match;

/// A string argument; `vars` tells whether it holds `${...}` references
/// to expand (only when the variables extension was required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The string as written (encoded characters already decoded).
    pub raw: String,
    /// The string holds variable references to expand.
    pub vars: bool,
}

/// Which part of an address a test looks at (RFC 5228 2.7.4, RFC 5233).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrPart {
    /// `:all`
    All,
    /// `:localpart`
    Local,
    /// `:domain`
    Domain,
    /// `:user` (subaddress)
    User,
    /// `:detail` (subaddress)
    Detail,
}

/// `:index N [:last]` (RFC 5260 7), 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// The field number, from 1.
    pub n: u64,
    /// Count from the last field.
    pub last: bool,
}

/// The body transform (RFC 5173 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyTransform {
    /// `:raw`
    Raw,
    /// `:content` with its type list.
    Content(Vec<Value>),
    /// `:text` (the default)
    Text,
}

/// The zone a date test converts to (RFC 5260 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// The local zone of the server (the default).
    Local,
    /// `:zone "+hhmm"`
    Fixed(Value),
    /// `:originalzone`
    Original,
}

/// A test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// `true`
    True,
    /// `false`
    False,
    /// `not`
    Not(Box<Test>),
    /// `allof`
    AllOf(Vec<Test>),
    /// `anyof`
    AnyOf(Vec<Test>),
    /// `exists`
    Exists(Vec<Value>),
    /// `size :over/:under`
    Size {
        /// `:over` (else `:under`).
        over: bool,
        /// The limit in bytes.
        limit: u64,
    },
    /// `header`
    Header {
        /// Match type and comparator.
        m: Match,
        /// Header names.
        names: Vec<Value>,
        /// Keys.
        keys: Vec<Value>,
        /// `:index`.
        index: Option<Index>,
    },
    /// `address`
    Address {
        /// Match type and comparator.
        m: Match,
        /// Address part.
        part: AddrPart,
        /// Header names.
        names: Vec<Value>,
        /// Keys.
        keys: Vec<Value>,
        /// `:index`.
        index: Option<Index>,
    },
    /// `envelope`
    Envelope {
        /// Match type and comparator.
        m: Match,
        /// Address part.
        part: AddrPart,
        /// Envelope parts (`from`, `to`).
        names: Vec<Value>,
        /// Keys.
        keys: Vec<Value>,
    },
    /// `body`
    Body {
        /// Match type and comparator.
        m: Match,
        /// The transform.
        transform: BodyTransform,
        /// Keys.
        keys: Vec<Value>,
    },
    /// `date` (`header: Some`) or `currentdate` (`header: None`).
    Date {
        /// Match type and comparator.
        m: Match,
        /// The zone.
        zone: Zone,
        /// The header holding the date.
        header: Option<Value>,
        /// The date part.
        part: Value,
        /// Keys.
        keys: Vec<Value>,
        /// `:index`.
        index: Option<Index>,
    },
    /// `string` (variables)
    String {
        /// Match type and comparator.
        m: Match,
        /// Source strings.
        sources: Vec<Value>,
        /// Keys.
        keys: Vec<Value>,
    },
    /// `hasflag` (imap4flags)
    HasFlag {
        /// Match type and comparator.
        m: Match,
        /// Variables to look at (the internal flag variable when empty).
        vars: Vec<Value>,
        /// Keys.
        keys: Vec<Value>,
    },
    /// `mailboxexists`
    MailboxExists(Vec<Value>),
}

/// What `setflag`, `addflag`, `removeflag` do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `setflag`
    Set,
    /// `addflag`
    Add,
    /// `removeflag`
    Remove,
}

/// A modifier of `set` (RFC 5229 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Modifier {
    /// `:length` (precedence 10)
    Length,
    /// `:quotewildcard` (precedence 20)
    QuoteWildcard,
    /// `:lowerfirst` (precedence 30)
    LowerFirst,
    /// `:upperfirst` (precedence 30)
    UpperFirst,
    /// `:lower` (precedence 40)
    Lower,
    /// `:upper` (precedence 40)
    Upper,
}

impl Modifier {
    /// The precedence of RFC 5229 4.1: higher applies first.
    pub fn precedence(self) -> u8 {
        match self {
            Modifier::Length => 10,
            Modifier::QuoteWildcard => 20,
            Modifier::LowerFirst | Modifier::UpperFirst => 30,
            Modifier::Lower | Modifier::Upper => 40,
        }
    }
}

/// The arguments of `vacation` (RFC 5230, 6131).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacationCmd {
    /// The period in seconds (`:days` × 86400 or `:seconds`), unclamped.
    pub period: Option<u64>,
    /// `:subject`
    pub subject: Option<Value>,
    /// `:from`
    pub from: Option<Value>,
    /// `:addresses`
    pub addresses: Vec<Value>,
    /// `:mime`
    pub mime: bool,
    /// `:handle`
    pub handle: Option<Value>,
    /// The reason.
    pub reason: Value,
}

/// A command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// `if` / `elsif` chain with an optional `else`.
    If(Vec<(Test, Vec<Cmd>)>, Option<Vec<Cmd>>),
    /// `stop`
    Stop,
    /// `keep [:flags]`
    Keep {
        /// `:flags`
        flags: Option<Vec<Value>>,
    },
    /// `discard`
    Discard,
    /// `fileinto`
    FileInto {
        /// The mailbox.
        mailbox: Value,
        /// `:copy`
        copy: bool,
        /// `:create`
        create: bool,
        /// `:flags`
        flags: Option<Vec<Value>>,
    },
    /// `redirect`
    Redirect {
        /// The address.
        address: Value,
        /// `:copy`
        copy: bool,
    },
    /// `reject` (`extended: false`) or `ereject`.
    Reject {
        /// The reason.
        reason: Value,
        /// `ereject`
        extended: bool,
    },
    /// `vacation`
    Vacation(Box<VacationCmd>),
    /// `setflag`, `addflag`, `removeflag`
    Flags {
        /// The operation.
        op: FlagOp,
        /// The variable (the internal one when `None`).
        var: Option<Value>,
        /// The flags.
        flags: Vec<Value>,
    },
    /// `include` (RFC 6609): runs the script at `index` of the
    /// top-level script's [`Script::includes`].
    Include {
        /// Index into the include table.
        index: usize,
        /// `:once`
        once: bool,
    },
    /// `return` (RFC 6609)
    Return,
    /// `global` (RFC 6609): the names become shared with other scripts.
    Global(Vec<String>),
    /// `set`
    Set {
        /// The variable name, lower-cased.
        name: String,
        /// The value.
        value: Value,
        /// Modifiers, sorted by precedence (highest first).
        mods: Vec<Modifier>,
    },
}

/// A compiled script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The extensions the script required.
    pub require: Vec<String>,
    /// The commands.
    pub cmds: Vec<Cmd>,
    /// The scripts included, directly or not (filled in the top-level
    /// script only; `Cmd::Include` indexes it).
    pub includes: Vec<Script>,
}
