//! The records of a calibration run (calibrator.md 9.2, 9.7, 9.9, 9.10).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{TierMap, Ts};

/// Soft statistics of one tier in a calibration record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierSoft {
    /// Responsibility mass, 4 dp.
    pub total_resp: f64,
    /// Soft hits, 4 dp.
    pub hits_soft: f64,
}

/// Band counts as `{"NEAR": n, ...}` with the given names.
#[derive(Clone, Debug, PartialEq)]
pub struct BandCounts {
    /// Names.
    pub names: [&'static str; 3],
    /// Counts.
    pub counts: [u64; 3],
}

impl Serialize for BandCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        for (k, v) in self.names.iter().zip(self.counts) {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

/// What the bias update saw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BiasUpdateInfo {
    /// Long samples.
    pub long_samples: u64,
    /// Short samples.
    pub short_samples: u64,
    /// Long median (unrounded), when updated.
    pub long_agg_miss_pct: Option<f64>,
    /// Short median, when updated.
    pub short_agg_miss_pct: Option<f64>,
    /// Long bias updated.
    pub long_updated: bool,
    /// Short bias updated.
    pub short_updated: bool,
}

/// The `safety` object of a calibration record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SafetyInfo {
    /// Enabled before this run's trip.
    pub calibration_enabled: bool,
    /// Entropy of all proposed weights, 4 dp.
    pub entropy: f64,
    /// Largest proposed weight, 4 dp.
    pub max_weight: f64,
    /// Smallest proposed weight, 6 dp.
    pub min_weight: f64,
    /// Buffer at its lower bound.
    pub buffer_at_min: bool,
    /// Buffer at its upper bound.
    pub buffer_at_max: bool,
    /// Tolerance at its lower bound.
    pub tolerance_at_min: bool,
    /// Tolerance at its upper bound.
    pub tolerance_at_max: bool,
    /// Previous run's counter.
    pub consecutive_low_entropy: u32,
    /// Previous run's counter.
    pub consecutive_max_weight_cap: u32,
    /// Previous run's counter.
    pub consecutive_buffer_at_bounds: u32,
    /// Previous run's counter.
    pub consecutive_tolerance_at_bounds: u32,
    /// This window's reference sources.
    pub src_source_counts: crate::calibrator::state::SourceCounts,
    /// Previous value of the mark sentinel.
    pub minutes_no_mark: u64,
    /// Long offset clamped this run.
    pub offset_clamped_long: bool,
    /// Short offset clamped this run.
    pub offset_clamped_short: bool,
    /// 0.005.
    pub max_offset_pct: f64,
    /// 2000.0.
    pub max_offset_usd: f64,
    /// 0.15.
    pub max_event_price_deviation: f64,
}

/// 9.2.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationRecord {
    /// Run time.
    pub timestamp: Ts,
    /// Minute key of the triggering snapshot.
    pub minute_key: i64,
    /// Symbol.
    pub symbol: String,
    /// Count before this run.
    pub calibration_count: u64,
    /// Events of the window.
    pub total_events: u64,
    /// Binary hits.
    pub hits: u64,
    /// Binary misses.
    pub misses: u64,
    /// Hit rate, 4 dp.
    pub hit_rate: f64,
    /// Mean hit strength, 4 dp.
    pub avg_hit_strength: f64,
    /// Mean miss distance, 2 dp (null when infinite).
    pub avg_miss_distance: f64,
    /// Soft statistics per tier after the penalty.
    pub leverage_soft_stats: TierMap<TierSoft>,
    /// Best-tier histogram.
    pub attributed_leverage_counts: TierMap<u64>,
    /// Source bands.
    pub src_band_counts: BandCounts,
    /// Implied bands.
    pub implied_band_counts: BandCounts,
    /// Approach credits.
    pub approach_events: u64,
    /// Zones inside the judged range.
    pub zones_judged: u64,
    /// Zones outside it (reference name).
    pub zones_unreached: u64,
    /// Highest sane event price, 2 dp.
    pub window_high: Option<f64>,
    /// Lowest sane event price, 2 dp.
    pub window_low: Option<f64>,
    /// Weights before, 4 dp.
    pub old_weights: TierMap<f64>,
    /// Proposed weights, 4 dp.
    pub new_weights: TierMap<f64>,
    /// Buffer before, 5 dp.
    pub old_buffer: f64,
    /// Proposed buffer, 5 dp.
    pub new_buffer: f64,
    /// Tolerance before.
    pub old_tolerance: i64,
    /// Tolerance after.
    pub new_tolerance: i64,
    /// Legacy long offset before, 2 dp.
    pub old_long_offset: f64,
    /// After.
    pub new_long_offset: f64,
    /// Legacy short offset before, 2 dp.
    pub old_short_offset: f64,
    /// After.
    pub new_short_offset: f64,
    /// Long bias before, 6 dp.
    pub old_bias_pct_long: f64,
    /// After.
    pub new_bias_pct_long: f64,
    /// Short bias before, 6 dp.
    pub old_bias_pct_short: f64,
    /// After.
    pub new_bias_pct_short: f64,
    /// Bias update details.
    pub bias_update_info: BiasUpdateInfo,
    /// Ladder.
    pub ladder: Vec<u32>,
    /// Snapshot price, 2 dp.
    pub src_price: f64,
    /// Up to 5 strongest long zones `[price, strength 3 dp]`.
    pub top_long_zones: Vec<(f64, f64)>,
    /// Up to 5 strongest short zones.
    pub top_short_zones: Vec<(f64, f64)>,
    /// Safety state.
    pub safety: SafetyInfo,
}

/// 9.7.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentDiag {
    /// Minute key.
    pub minute_key: i64,
    /// Events.
    pub n: u64,
    /// Nearest-tier histogram, by tier.
    #[serde(rename = "best_L_hist")]
    pub best_l_hist: TierMap<u64>,
    /// Median gap, 6 dp.
    pub gap_pct_p50: f64,
    /// 95th percentile gap, 6 dp.
    pub gap_pct_p95: f64,
    /// Median best responsibility, 4 dp.
    pub resp_best_p50: f64,
    /// 95th percentile best responsibility, 4 dp.
    pub resp_best_p95: f64,
}

/// 9.9.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SafetyTrip {
    /// Run time.
    pub timestamp: Ts,
    /// Minute key.
    pub minute_key: i64,
    /// Count before this run.
    pub cycle: u64,
    /// Why.
    pub reason: String,
    /// Enabled-tier entropy, 4 dp.
    pub entropy: f64,
    /// Largest proposed weight, 4 dp.
    pub max_weight: f64,
    /// Smallest proposed weight, 6 dp.
    pub min_weight: f64,
    /// Proposed buffer, 6 dp.
    pub buffer: f64,
    /// Tolerance.
    pub tolerance: i64,
    /// Counter after this run.
    pub consecutive_low_entropy: u32,
    /// Counter after this run.
    pub consecutive_max_weight_cap: u32,
    /// Counter after this run.
    pub consecutive_buffer_at_bounds: u32,
    /// Counter after this run.
    pub consecutive_tolerance_at_bounds: u32,
}

/// 9.10.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarkStreamMissing {
    /// Run time.
    pub timestamp: Ts,
    /// Minute key.
    pub minute_key: i64,
    /// Minutes without a mark-priced event.
    pub minutes_no_mark: u64,
    /// Always `continue_using_mid`.
    pub action: &'static str,
    /// This window's sources.
    pub src_source_counts: crate::calibrator::state::SourceCounts,
}
