//! Exchange WebSocket connectors: one task per connection that dials, subscribes, keeps the
//! connection alive (heartbeats, stale and dead detection, proactive rotation), reconnects with
//! backoff and resubscribes, and sends everything it receives to the engine as [`FeedEvent`]s on
//! a bounded channel.
//!
//! - [`plan`]: which connections each exchange needs (URLs, topics, sharding, heartbeats).
//! - [`route`]: classifying inbound frames (data, pong, ack, rejection, garbage).
//! - [`ws`]: the connection task.
//! - [`backoff`], [`stats`]: reconnect delays and the shared counters.

pub mod backoff;
pub mod plan;
pub mod route;
pub mod stats;
pub mod ws;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;

use crate::wire::{Via, WireMsg};

pub use backoff::{Backoff, BackoffConfig};
pub use plan::{ConnSpec, ConnTiming, Heartbeat};
pub use stats::{ConnSnapshot, ConnState, ConnStats};
pub use ws::{ConnCommand, ConnHandle, spawn_connection, tls_config};

/// What the feeds send to the engine (and the recorder).
#[derive(Clone, Debug, PartialEq)]
pub enum FeedEvent {
    /// One WebSocket message with its receive time (`via: ws`).
    Wire(WireMsg),
    /// One REST answer with its receive time (`via: rest`): depth snapshots, OI and ratio polls.
    /// `WireMsg` is shared with the simulator and carries no `via`, hence two variants.
    Rest(WireMsg),
    /// Data may have been lost: books of these instruments must resync, frames are marked.
    Gap(Gap),
    /// A connection or poller changed state.
    Status(StatusChange),
}

impl FeedEvent {
    /// The exchange message and how it travelled, for `Wire` and `Rest`.
    pub fn wire(&self) -> Option<(&WireMsg, Via)> {
        match self {
            FeedEvent::Wire(m) => Some((m, Via::Ws)),
            FeedEvent::Rest(m) => Some((m, Via::Rest)),
            _ => None,
        }
    }
}

/// Why data may have been lost.
#[derive(Clone, Debug, PartialEq)]
pub enum GapReason {
    /// The connection closed or failed (the text says how).
    Disconnected(String),
    /// Nothing arrived for this many seconds: the connection was dropped and re-dialled.
    Stalled(f64),
    /// A frame that was not JSON was skipped.
    Malformed,
    /// The connection was renewed before the exchange's lifetime limit.
    Rotated,
    /// A REST poll failed (the text says how).
    RestFailed(String),
}

/// A gap event.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// Exchange.
    pub exchange: Exchange,
    /// Connection or poller name.
    pub connection: String,
    /// Why.
    pub reason: GapReason,
    /// When it was detected (receive clock), Unix s.
    pub ts: f64,
    /// Instrument ids the connection carried (`*` for all-instrument channels).
    pub instruments: Vec<String>,
    /// Stream kinds the connection carried.
    pub streams: Vec<StreamKind>,
}

impl Gap {
    /// Whether the gap concerns order books (a depth stream was on the connection).
    pub fn affects_books(&self) -> bool {
        self.streams.contains(&StreamKind::Depth)
    }
}

/// A state change of a connection or poller.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusChange {
    /// Exchange.
    pub exchange: Exchange,
    /// Connection or poller name.
    pub connection: String,
    /// The new state.
    pub state: ConnState,
    /// When (receive clock), Unix s.
    pub ts: f64,
}
