//! REST: the rate-limited client, the endpoints, the pollers (open interest, trader ratios),
//! depth snapshots for book sync and OKX contract values.

pub mod client;
pub mod endpoints;
pub mod okx_contracts;
pub mod pollers;

pub use client::{LimitSnapshot, RestClient, RestError, RestReply};
pub use endpoints::RestRequest;
pub use okx_contracts::{OkxContracts, apply_okx_contracts, parse_okx_instruments};
pub use pollers::{Gate, PollerSpec, SnapshotFetcher, spawn_poller};
