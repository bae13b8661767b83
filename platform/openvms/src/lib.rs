//! The openvms backend of the popstore platform layer.
