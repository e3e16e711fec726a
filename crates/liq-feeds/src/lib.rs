//! Exchange connectors (tokio), REST pollers, reconnect policy, recorder, and the market
//! simulator behind the mock exchange.

pub mod clock;
pub mod conn;
pub mod wire;

pub use conn::{FeedEvent, Gap, GapReason, StatusChange};
pub use wire::{MarketSource, RestAnswer, Via, WireMsg};
