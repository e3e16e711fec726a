//! Exchange connectors (tokio), REST pollers, reconnect policy, recorder, and the market
//! simulator behind the mock exchange.

pub mod clock;
pub mod conn;
pub mod feeds;
pub mod record;
pub mod rest;
pub mod wire;

pub use conn::{FeedEvent, Gap, GapReason, StatusChange};
pub use feeds::{ExchangeStatus, Feeds, FeedsConfig, FeedsError, FeedsHandle, frame_of};
pub use wire::{MarketSource, RestAnswer, Via, WireMsg};
