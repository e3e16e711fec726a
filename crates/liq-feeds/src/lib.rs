//! Exchange connectors (tokio), REST pollers, reconnect policy, recorder, and the market
//! simulator behind the mock exchange.

pub mod sim;
pub mod wire;

pub use wire::{MarketSource, RestAnswer, Via, WireMsg};
