//! The conformance runner: every golden fixture read, compared and rewritten.
