//! Pure, synchronous, deterministic domain logic of the liquidation heatmap service.
//!
//! No tokio, no file system, no network, no clock: time enters as arguments. See
//! `docs/ARCHITECTURE.md` for how the crates fit together.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod calibrator;
pub mod checksum;
pub mod compat;
pub mod engine;
pub mod event;
pub mod grid;
pub mod hash;
pub mod heatmap;
pub mod leverage;
pub mod normalize;
pub mod orderbook;
pub mod pipeline;
pub mod pyfmt;
pub mod symbols;
pub mod zones;
