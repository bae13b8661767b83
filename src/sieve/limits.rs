//! Hard limits. A script that breaks one at upload time is refused with an
//! error; one that breaks one while running stops with a runtime error, and
//! delivery falls back to an implicit keep (RFC 5228 2.10.6).

/// The limits the compiler and the interpreter enforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest script accepted, in bytes (default 1 MiB).
    pub max_script_size: usize,
    /// Deepest nesting of blocks and tests (default 32).
    pub max_nesting: usize,
    /// Most execution steps (commands run, tests evaluated, keys compared)
    /// in one run (default 1,000,000). Sieve has no loops, so this bounds
    /// the time one message can take with a script of bounded size.
    pub max_steps: u64,
    /// Most actions one run may collect, the implicit keep not counted
    /// (default 32, as Pigeonhole).
    pub max_actions: usize,
    /// Most `redirect` actions in one run (default 4, as Pigeonhole).
    pub max_redirects: usize,
    /// Largest value a variable may hold, in bytes (default 4096); longer
    /// values are cut at a character boundary (RFC 5229 3).
    pub max_variable_size: usize,
    /// Deepest chain of `include`s (default 10, as Pigeonhole).
    pub max_include_depth: usize,
    /// Most distinct scripts one script may include, directly or not
    /// (default 255).
    pub max_includes: usize,
    /// Shortest vacation period in seconds (default 1 day); shorter
    /// `:days`/`:seconds` values are raised to it (RFC 6131 allows a site
    /// minimum).
    pub vacation_min_period: u64,
    /// Longest vacation period in seconds (default 90 days).
    pub vacation_max_period: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_script_size: 1 << 20,
            max_nesting: 32,
            max_steps: 1_000_000,
            max_actions: 32,
            max_redirects: 4,
            max_variable_size: 4096,
            max_include_depth: 10,
            max_includes: 255,
            vacation_min_period: 86_400,
            vacation_max_period: 90 * 86_400,
        }
    }
}
