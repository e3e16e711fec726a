//! Exchange connectors (tokio), REST pollers, reconnect policy, recorder, and the market
//! simulator behind the mock exchange.
//!
//! - [`wire`]: the contract between sources, the mock exchange and connectors.
//! - [`mock`]: the mock exchange (loopback WebSocket + REST server with fault injection).
//! - [`capture_source`]: a [`MarketSource`] over a capture-v1 file.

pub mod capture_source;
pub mod clock;
pub mod conn;
pub mod feeds;
pub mod mock;
pub mod record;
pub mod rest;
pub mod sim;
pub mod wire;

pub use conn::{FeedEvent, Gap, GapReason, StatusChange};
pub use feeds::{ExchangeStatus, Feeds, FeedsConfig, FeedsError, FeedsHandle, frame_of};
pub use wire::{MarketSource, RestAnswer, Via, WireMsg};
