//! Session tests over a real store.
