//! Files: the capture-v1 reader, atomic writes with start-up quarantine of bad files, the
//! calibrator weights file (and later JSONL log sinks with rotation, binary history ring buffers,
//! zones persistence).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod atomic;
pub mod capture;
pub mod capture_write;
pub mod history;
pub mod jsonl;
pub mod ob_ring;
pub mod plot;
pub mod shared_fixtures;
pub mod snapshots;
pub mod state;
pub mod weights;
pub mod zones;
