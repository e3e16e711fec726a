//! The V2 liquidation heatmap engine (heatmap.md): tape, entry inference, combined maps,
//! pools, snapshot bodies, log records, and the app-level adapters that are pure (taker
//! aggression, zone tracker).
//!
//! One [`engine::HeatmapEngine`] per symbol; time enters as arguments (`now`, minute keys);
//! log records are returned, never written here.

pub mod aggression;
pub mod combine;
pub mod config;
pub mod engine;
pub mod history;
pub mod history_buffer;
pub mod inference;
pub mod pools;
pub mod records;
pub mod replay;
pub mod sides;
pub mod snapshot;
pub mod state;
pub mod tape;
pub mod v1_math;
pub mod zone_tracker;
pub mod zones;

pub use config::HeatmapConfig;

use crate::compat::ReferenceCompat;
use zone_tracker::{ZoneTracker, ZoneTrackerConfig};

/// The V1 top-zone tracker of a symbol: every symbol with its own step (the B20 fix), or, with
/// `heatmap_b20`, BTC only with the reference's step of 20.
pub fn zone_tracker_for(symbol: &str, step: f64, compat: &ReferenceCompat) -> Option<ZoneTracker> {
    if compat.heatmap_b20 {
        (symbol == "BTC").then(|| ZoneTracker::new(ZoneTrackerConfig::reference()))
    } else {
        Some(ZoneTracker::new(ZoneTrackerConfig::for_step(step)))
    }
}
pub use engine::{EngineStats, HeatmapEngine, HeatmapView, InputError};
pub use inference::MinuteInput;
pub use pools::{Level, Pools, PoolsRequest};
pub use records::HeatmapRecord;
pub use sides::{BucketMap, Sides};

#[cfg(test)]
mod tests;
