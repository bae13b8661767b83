//! The linux backend of the popstore platform layer.
