//! The `Platform` trait: the file-system operations the store needs, each
//! with its durability contract.
