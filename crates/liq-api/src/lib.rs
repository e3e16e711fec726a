//! The HTTP contract of `spec/api.md`. Built by the API issue; empty for now.
