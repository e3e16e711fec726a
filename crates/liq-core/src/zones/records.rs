//! The zone log `liq_zones_{SYM}.jsonl` (zones_orderbook.md A8): one record per creation,
//! reinforcement, sweep, expiry, and (DECISIONS zones 10) merge.

use serde::Serialize;

use crate::event::Side;

/// A zone log record, tagged by `type`; key order as the reference's lines.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ZoneRecord {
    /// A new zone.
    ZoneCreated {
        /// Time, Unix seconds.
        ts: f64,
        /// Side.
        side: Side,
        /// Zone price.
        price: f64,
        /// Weight after the operation, 4 dp.
        weight: f64,
        /// Source after the operation.
        source: &'static str,
    },
    /// A reinforcement.
    ZoneReinforced {
        /// Time.
        ts: f64,
        /// Side.
        side: Side,
        /// Zone price.
        price: f64,
        /// Weight after, 4 dp.
        weight: f64,
        /// Source after.
        source: &'static str,
        /// New reinforcement count.
        count: u64,
        /// Weight before, 4 dp.
        weight_before: f64,
    },
    /// A zone price crossed.
    ZoneSwept {
        /// Time.
        ts: f64,
        /// Side.
        side: Side,
        /// Zone price.
        price: f64,
        /// Weight, 4 dp.
        weight: f64,
        /// Source.
        source: &'static str,
        /// Same as `weight`.
        final_weight: f64,
        /// Minutes since creation, 1 dp.
        lifespan_min: f64,
        /// Reinforcements.
        reinforcement_count: u64,
    },
    /// A zone decayed away or aged out far from price.
    ZoneExpired {
        /// Time.
        ts: f64,
        /// Side.
        side: Side,
        /// Zone price.
        price: f64,
        /// Weight after this decay, 4 dp.
        weight: f64,
        /// Source.
        source: &'static str,
        /// Same as `weight`.
        final_weight: f64,
        /// Minutes since creation, 1 dp.
        lifespan_min: f64,
        /// Minutes since the last reinforcement, 1 dp.
        age_since_reinforce_min: f64,
    },
    /// Two zones merged (ours; the reference logs nothing).
    ZoneMerged {
        /// Time.
        ts: f64,
        /// Side.
        side: Side,
        /// Price of the kept zone.
        price: f64,
        /// Weight of the kept zone after the merge, 4 dp.
        weight: f64,
        /// Source of the kept zone after the merge.
        source: &'static str,
        /// Price of the absorbed zone.
        absorbed_price: f64,
        /// Weight of the kept zone before, 4 dp.
        kept_weight_before: f64,
        /// Weight of the absorbed zone, 4 dp.
        absorbed_weight: f64,
    },
}

impl ZoneRecord {
    /// The record's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            ZoneRecord::ZoneCreated { .. } => "zone_created",
            ZoneRecord::ZoneReinforced { .. } => "zone_reinforced",
            ZoneRecord::ZoneSwept { .. } => "zone_swept",
            ZoneRecord::ZoneExpired { .. } => "zone_expired",
            ZoneRecord::ZoneMerged { .. } => "zone_merged",
        }
    }
}
