//! The `audit` tool's commands, as a library so tests can drive them without a process.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod backtest;
pub mod books;
pub mod chart;
pub mod fit;
pub mod logs;
pub mod normalize;
pub mod progress;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: failure while running.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;
