//! Files: the capture-v1 reader (and later atomic JSON, JSONL log sinks with rotation, binary
//! history ring buffers, weights and zones persistence).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod capture;
pub mod shared_fixtures;
