//! The persistent-zone manager, V3 (zones_orderbook.md part A): one per symbol, fed by the
//! heatmap engine through [`crate::heatmap::zones::ZoneSink`]; zones are created, reinforced, decayed, merged, swept and
//! expired, queried by the API, persisted as `liq_active_zones_{SYM}.json` and logged to
//! `liq_zones_{SYM}.jsonl`. Pure: time enters as `now`.
//!
//! Our fixes are the default (DECISIONS "Zones and order books"); the reference preset restores
//! the Python behaviour switch by switch ([`ZonesCompat`]).

mod ops;
pub mod persist;
pub mod query;
pub mod records;
pub mod zone;

#[cfg(test)]
mod tests;

use indexmap::IndexMap;

use crate::compat::ReferenceCompat;
use crate::event::Side;
use crate::grid::{BucketStep, GridError};
use crate::hash::FnvBuild;
use crate::leverage::DisabledTiers;

pub use persist::{LoadReport, ZonesFile};
pub use query::{ActiveZone, HeatmapLevel, LeverageFilter};
pub use records::ZoneRecord;
pub use zone::{Zone, ZoneOrigin};

/// Maximum minutes since the last reinforcement before a zone far from price expires.
pub const MAX_ZONE_AGE_MINUTES: f64 = 240.0;
/// Weight multiplier per decay call (one per minute).
pub const ZONE_DECAY_PER_MINUTE: f64 = 0.995;
/// A zone whose weight after decay is strictly below this expires.
pub const MIN_ZONE_WEIGHT: f64 = 0.05;
/// Cap applied by reinforcement and merge (and creation, unless `zones_z1`).
pub const MAX_ZONE_WEIGHT: f64 = 5.0;
/// Share of a new contribution added on reinforcement.
pub const REINFORCEMENT_FACTOR: f64 = 0.3;
/// Merge distance, relative to the midpoint of two prices.
pub const CLUSTER_DISTANCE_PCT: f64 = 0.0005;
/// An old zone expires only if price is farther than this.
pub const EXPIRATION_PRICE_DIST_PCT: f64 = 0.02;
/// The leverage filter's threshold on summed tier contributions.
pub const MIN_RELEVANT_CONTRIB: f64 = 0.01;
/// Notional per unit of weight the zone heatmap shows (an index, not USD: Z6).
pub const NOTIONAL_PER_WEIGHT: f64 = 100_000.0;

/// Reference behaviours of the zone manager, from the shared [`ReferenceCompat`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZonesCompat {
    /// Z1: creation is not capped at 5.0.
    pub uncapped_create: bool,
    /// Z2: a load keeps saved weights (no decay for the minutes the process was down).
    pub no_load_catch_up: bool,
    /// Z4: a loaded price is kept as stored and a duplicate key replaces the earlier zone.
    pub raw_load_price: bool,
    /// Z8: an OI drop scales every zone, observed ones included; no weight parts in the file.
    pub scale_all: bool,
    /// Z10: no guard against a zero high or low in a sweep.
    pub no_zero_guard: bool,
    /// Z13: merges are silent and the kept zone keeps its own reinforcement time.
    pub silent_merge: bool,
}

impl ZonesCompat {
    /// The zone switches of the shared struct.
    pub fn from_reference_compat(c: &ReferenceCompat) -> Self {
        ZonesCompat {
            uncapped_create: c.zones_z1,
            no_load_catch_up: c.zones_z2,
            raw_load_price: c.zones_z4,
            scale_all: c.zones_z8,
            no_zero_guard: c.zones_z10,
            silent_merge: c.zones_z13,
        }
    }
}

/// Counters since process start (Z14).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneCounters {
    /// Zones created.
    pub created: u64,
    /// Reinforcements.
    pub reinforced: u64,
    /// Zones swept.
    pub swept: u64,
    /// Zones expired.
    pub expired: u64,
    /// Merges.
    pub merged: u64,
}

/// What `create_or_reinforce` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A disabled tier: nothing changed.
    Skipped,
    /// A new zone.
    Created,
    /// An existing zone was reinforced.
    Reinforced,
}

/// One symbol's zone manager.
#[derive(Clone, Debug)]
pub struct ZoneManager {
    symbol: String,
    step: BucketStep,
    compat: ZonesCompat,
    disabled: DisabledTiers,
    zones: IndexMap<(Side, i64), Zone, FnvBuild>,
    current_price: f64,
    counters: ZoneCounters,
    logging: bool,
    records: Vec<ZoneRecord>,
}

impl ZoneManager {
    /// An empty manager for `symbol` on the grid of `step`.
    pub fn new(symbol: &str, step: f64, compat: &ReferenceCompat) -> Result<Self, GridError> {
        Ok(ZoneManager {
            symbol: symbol.to_string(),
            step: BucketStep::new(step)?,
            compat: ZonesCompat::from_reference_compat(compat),
            disabled: DisabledTiers::default(),
            zones: IndexMap::default(),
            current_price: 0.0,
            counters: ZoneCounters::default(),
            logging: true,
            records: Vec::new(),
        })
    }

    /// The symbol.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The bucket step.
    pub fn step(&self) -> &BucketStep {
        &self.step
    }

    /// Turns the zone log records on or off (on by default).
    pub fn set_logging(&mut self, on: bool) {
        self.logging = on;
    }

    /// Drains the zone log records produced since the last call.
    pub fn take_records(&mut self) -> Vec<ZoneRecord> {
        std::mem::take(&mut self.records)
    }

    /// The zones in map (insertion) order.
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether there is no zone.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Counters since process start.
    pub fn counters(&self) -> ZoneCounters {
        self.counters
    }

    /// The last non-zero price passed to the decay.
    pub fn current_price(&self) -> f64 {
        self.current_price
    }

    fn push(&mut self, rec: ZoneRecord) {
        if self.logging {
            self.records.push(rec);
        }
    }
}
