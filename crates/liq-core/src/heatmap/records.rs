//! Typed log records of the heatmap engine (heatmap.md section 8). The core returns them; the
//! store writes each to its JSONL file (`HeatmapRecord::file`). Key order follows the reference's
//! files, so the audit tool reads ours and theirs alike.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::event::Side;

/// A price printed with 0 decimals as Python's `f"{p:.0f}"` does (half-to-even), without the
/// exact-decimal formatting machinery (bucket prices are far below 2^53).
pub fn whole(price: f64) -> i64 {
    price.round_ties_even() as i64
}

/// The `reason` of a sweep record, printed at serialization (no string built per record).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepReason {
    /// Side swept.
    pub side: Side,
    /// The bucket price.
    pub price: f64,
}

impl std::fmt::Display for SweepReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.side {
            Side::Short => write!(f, "high>={}", whole(self.price)),
            Side::Long => write!(f, "low<={}", whole(self.price)),
        }
    }
}

impl SweepReason {
    /// The sweep record's trigger fields: `(trigger_high, trigger_low)`, the high for a short
    /// bucket, the low for a long one.
    pub fn triggers(&self, high: f64, low: f64) -> (Option<f64>, Option<f64>) {
        match self.side {
            Side::Short => (Some(high), None),
            Side::Long => (None, Some(low)),
        }
    }
}

impl Serialize for SweepReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which per-symbol log file a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFile {
    /// `liq_tape_{SYM}.jsonl`
    Tape,
    /// `liq_sweeps_{SYM}.jsonl`
    Sweeps,
    /// `liq_debug_{SYM}.jsonl`
    Debug,
    /// `liq_inference_{SYM}.jsonl`
    Inference,
    /// `liq_cycles_{SYM}.jsonl`
    Cycles,
}

/// One inferred tier entry inside an `inference` record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InferenceItem {
    /// Side.
    pub side: Side,
    /// USD size, 2 dp.
    pub size_usd: f64,
    /// Projected liquidation bucket.
    pub projected_liq: f64,
    /// Confidence (the side's weight), 3 dp.
    pub confidence: f64,
}

/// Counters of the display boost, shared by the `combined_zone_boost` record.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClusterBoostStats {
    /// Levels examined.
    pub cluster_total: u64,
    /// Levels holding both a tape and a projection bucket.
    pub cluster_combined: u64,
    /// `100 * combined / total`, 2 dp.
    pub cluster_combined_pct: f64,
    /// Mean intensity of boosted levels before the boost, 6 dp.
    pub avg_intensity_before: f64,
    /// The same after, 6 dp.
    pub avg_intensity_after: f64,
    /// Up to three examples.
    pub example_boosted_clusters: Vec<BoostExample>,
}

/// One boosted level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoostExample {
    /// Lowest bucket of the level.
    pub price_low: f64,
    /// Highest bucket of the level.
    pub price_high: f64,
    /// Side.
    pub side: Side,
    /// Intensity before, 4 dp.
    pub intensity_before: f64,
    /// Intensity after, 4 dp.
    pub intensity_after: f64,
}

/// Bucket-level display boost statistics (`combined_zone_boost`, before the cluster stats).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BucketBoostStats {
    /// Buckets in the display map.
    pub total_buckets: u64,
    /// Buckets with both sources present.
    pub boosted_buckets: u64,
    /// `100 * boosted / total`, 2 dp.
    pub boosted_pct: f64,
    /// Boosted buckets that hit the 1.0 cap.
    pub clamped_buckets: u64,
    /// `100 * clamped / boosted`, 2 dp.
    pub clamped_pct: f64,
    /// Mean value before the boost, 6 dp.
    pub avg_before_boost: f64,
    /// Mean value after, 6 dp.
    pub avg_after_boost: f64,
    /// 1.5.
    pub boost_factor: f64,
    /// Buckets where the tape is present.
    pub tape_nonzero_buckets: u64,
    /// Buckets where the projection is present.
    pub inf_nonzero_buckets: u64,
    /// = boosted buckets.
    pub exact_overlap_buckets: u64,
    /// Tape buckets within one step of a projection bucket.
    pub near_overlap_1step: u64,
    /// Within two steps.
    pub near_overlap_2step: u64,
    /// Mean distance from a tape bucket to the nearest projection bucket, 4 dp.
    pub min_distance_avg: f64,
    /// Median of those distances, 4 dp.
    pub min_distance_median: f64,
    /// The bucket step.
    pub step_size: f64,
}

/// A heatmap log record.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum HeatmapRecord {
    /// One observed liquidation (8.1).
    #[serde(rename = "forceOrder")]
    ForceOrder {
        /// Exchange event time, seconds.
        ts: f64,
        /// Symbol.
        symbol: Arc<str>,
        /// Side.
        side: Side,
        /// Raw price.
        price: f64,
        /// Base quantity.
        qty: f64,
        /// USD notional.
        notional: f64,
        /// Bucket price.
        bucket: f64,
        /// Entry estimate from the projections.
        entry_est: Option<f64>,
    },
    /// A swept tape or projection bucket (8.2).
    #[serde(rename = "sweep")]
    Sweep {
        /// Wall clock.
        ts: f64,
        /// Minute key.
        minute_key: i64,
        /// Side.
        side: Side,
        /// Bucket price.
        bucket: f64,
        /// Value before the sweep, 2 dp.
        total_notional_usd: f64,
        /// Tape: event count; projection: contributions.
        trade_count: u64,
        /// Tape: average per event; projection: largest contribution (2 dp).
        peak_notional_usd: f64,
        /// `tape` or `projection`.
        layer: &'static str,
        /// `high>=P` or `low<=P` (P with 0 decimals).
        reason: SweepReason,
        /// The minute's high (shorts).
        #[serde(skip_serializing_if = "Option::is_none")]
        trigger_high: Option<f64>,
        /// The minute's low (longs).
        #[serde(skip_serializing_if = "Option::is_none")]
        trigger_low: Option<f64>,
        /// Projection: value after the reduction, 2 dp.
        #[serde(skip_serializing_if = "Option::is_none")]
        reduced_to_usd: Option<f64>,
        /// Projection: the bucket fell under $100 and was deleted.
        #[serde(skip_serializing_if = "Option::is_none")]
        deleted: Option<bool>,
    },
    /// The inference's per-minute summary (8.3).
    #[serde(rename = "minute_inference")]
    MinuteInference {
        /// Wall clock.
        ts: f64,
        /// Minute key.
        minute_key: i64,
        /// OHLC4 reference price.
        src_price: f64,
        /// Signed OI change in USD, 2 dp.
        oi_delta_usd: f64,
        /// Taker buy share, 4 dp.
        buy_pct: f64,
        /// Clamped buy weight, 4 dp.
        buy_weight: f64,
        /// USD projected on longs, 2 dp.
        long_open_usd: f64,
        /// USD projected on shorts, 2 dp.
        short_open_usd: f64,
        /// = long_open_usd.
        projected_added_long_usd: f64,
        /// = short_open_usd.
        projected_added_short_usd: f64,
        /// Always false.
        oi_stale: bool,
        /// Always false.
        fallback_aggression: bool,
        /// Long projection buckets swept.
        swept_long: u64,
        /// Short projection buckets swept.
        swept_short: u64,
        /// USD removed from swept longs, 2 dp.
        swept_long_notional: f64,
        /// USD removed from swept shorts, 2 dp.
        swept_short_notional: f64,
        /// Long projection buckets after the minute.
        total_long_buckets: u64,
        /// Short projection buckets after the minute.
        total_short_buckets: u64,
    },
    /// One swept projection bucket (8.3), before its `sweep` record.
    #[serde(rename = "sweep_reduced")]
    SweepReduced {
        /// Symbol.
        symbol: Arc<str>,
        /// Side.
        side: Side,
        /// Bucket price.
        bucket: f64,
        /// Before, 2 dp.
        before_usd: f64,
        /// After, 2 dp.
        after_usd: f64,
        /// Deleted.
        deleted: bool,
    },
    /// Display boost statistics, at most every 10 minutes (8.3).
    #[serde(rename = "combined_zone_boost")]
    CombinedZoneBoost {
        /// Wall clock.
        ts: f64,
        /// Symbol.
        symbol: Arc<str>,
        /// Bucket-level statistics.
        #[serde(flatten)]
        buckets: BucketBoostStats,
        /// Cluster-level statistics of the last display response, when there are any.
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        clusters: Option<ClusterBoostStats>,
    },
    /// Inferred entries of a minute (8.4).
    #[serde(rename = "inference")]
    Inference {
        /// Wall clock.
        ts: f64,
        /// Minute key.
        minute_key: i64,
        /// OHLC4 reference price.
        src_price: f64,
        /// OI change in base units, unrounded.
        oi_delta: f64,
        /// Taker buy share, unrounded.
        buy_pct: f64,
        /// The tier entries, longs first.
        inferences: Vec<InferenceItem>,
    },
    /// The facade's per-minute summary (8.5).
    #[serde(rename = "cycle_summary")]
    CycleSummary {
        /// Wall clock.
        ts: f64,
        /// Minute key.
        minute_key: i64,
        /// OHLC4.
        src_price: f64,
        /// High.
        high: f64,
        /// Low.
        low: f64,
        /// Force orders so far.
        total_force_orders: u64,
        /// Inferences so far.
        total_inferences: u64,
        /// Zone merges this minute.
        zone_merges: u64,
        /// Zone summary fields.
        active_zones_long: u64,
        /// Zone summary fields.
        active_zones_short: u64,
        /// Zone summary fields.
        total_weight_long: f64,
        /// Zone summary fields.
        total_weight_short: f64,
        /// Zone summary fields.
        zones_created_total: u64,
        /// Zone summary fields.
        zones_swept_total: u64,
        /// Zone summary fields.
        zones_expired_total: u64,
        /// Tape long buckets.
        tape_long_buckets: u64,
        /// Tape short buckets.
        tape_short_buckets: u64,
        /// Tape events.
        tape_total_events: u64,
        /// Projection long buckets.
        proj_long_buckets: u64,
        /// Projection short buckets.
        proj_short_buckets: u64,
    },
    /// Magnitudes of the two layers, every 10 minutes (8.5).
    #[serde(rename = "heatmap_balance")]
    HeatmapBalance {
        /// Wall clock.
        ts: f64,
        /// Symbol.
        symbol: Arc<str>,
        /// Largest tape value, 2 dp.
        tape_max_raw: f64,
        /// Largest projection value, 2 dp.
        inf_max_raw: f64,
        /// Tape p99 scale, 2 dp.
        tape_scale: f64,
        /// Projection p99 scale, 2 dp.
        inf_scale: f64,
        /// Largest raw combined value, 6 dp.
        combined_max: f64,
    },
}

impl HeatmapRecord {
    /// The file the record goes to.
    pub fn file(&self) -> LogFile {
        match self {
            HeatmapRecord::ForceOrder { .. } => LogFile::Tape,
            HeatmapRecord::Sweep { .. } => LogFile::Sweeps,
            HeatmapRecord::MinuteInference { .. }
            | HeatmapRecord::SweepReduced { .. }
            | HeatmapRecord::CombinedZoneBoost { .. } => LogFile::Debug,
            HeatmapRecord::Inference { .. } => LogFile::Inference,
            HeatmapRecord::CycleSummary { .. } | HeatmapRecord::HeatmapBalance { .. } => {
                LogFile::Cycles
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_reason_prints_like_python_0f() {
        let r = |side, price| serde_json::to_string(&SweepReason { side, price }).unwrap();
        assert_eq!(r(Side::Short, 65460.0), "\"high>=65460\"");
        assert_eq!(r(Side::Long, 83.3), "\"low<=83\"");
        // f"{82.5:.0f}" == "82" and f"{83.5:.0f}" == "84": half to even.
        assert_eq!(r(Side::Short, 82.5), "\"high>=82\"");
        assert_eq!(r(Side::Short, 83.5), "\"high>=84\"");
    }
}
