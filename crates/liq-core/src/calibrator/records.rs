//! Log records of the calibrator (calibrator.md section 9), one JSON object per line in
//! `liq_calibrator_{SYM}.jsonl`. Key order follows the reference's files. Values are rounded
//! when the record is built; times are rendered in UTC; non-finite numbers become `null`
//! (DECISIONS Calibrator 1; calibrator B11 and B25 divergences).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::event::Side;

/// A Unix time rendered as an ISO-8601 UTC string without offset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ts(pub f64);

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::pyfmt::iso_utc(self.0))
    }
}

/// A per-tier map printed as `{"10": v, "20": v}` in the given order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TierMap<V>(pub Vec<(u32, V)>);

impl<V> TierMap<V> {
    /// Zips tiers with values.
    pub fn new(tiers: &[u32], values: impl IntoIterator<Item = V>) -> Self {
        TierMap(tiers.iter().copied().zip(values).collect())
    }
}

impl<V: Serialize> Serialize for TierMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&k.to_string(), v)?;
        }
        m.end()
    }
}

/// Every record the calibrator writes, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CalibratorRecord {
    /// 9.4, every snapshot.
    MinuteInputs(MinuteInputs),
    /// 9.5, a non-empty depth band.
    DepthBandStats(DepthBandStats),
    /// 9.6, no depth band.
    DepthBandEmpty(DepthBandEmpty),
    /// 9.3, approach learning of a minute.
    ApproachMinuteSummary(Box<ApproachSummary>),
    /// 9.1, one processed event.
    Event(Box<EventRecord>),
    /// 9.8, an event far from its reference price (still processed).
    EventRejected(EventRejected),
    /// 9.2, every calibration run.
    Calibration(Box<CalibrationRecord>),
    /// 9.7, identifiability of a run with events.
    IdentDiag(IdentDiag),
    /// 9.9, the kill switch tripped (once per process).
    SafetyTrip(SafetyTrip),
    /// 9.10, no mark-priced event for a day (once per process).
    MarkStreamMissing(MarkStreamMissing),
}

impl CalibratorRecord {
    /// The record's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            CalibratorRecord::MinuteInputs(_) => "minute_inputs",
            CalibratorRecord::DepthBandStats(_) => "depth_band_stats",
            CalibratorRecord::DepthBandEmpty(_) => "depth_band_empty",
            CalibratorRecord::ApproachMinuteSummary(_) => "approach_minute_summary",
            CalibratorRecord::Event(_) => "event",
            CalibratorRecord::EventRejected(_) => "event_rejected",
            CalibratorRecord::Calibration(_) => "calibration",
            CalibratorRecord::IdentDiag(_) => "ident_diag",
            CalibratorRecord::SafetyTrip(_) => "safety_trip",
            CalibratorRecord::MarkStreamMissing(_) => "mark_stream_missing",
        }
    }
}

/// 9.4.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MinuteInputs {
    /// Minute key of the snapshot.
    pub minute_key: i64,
    /// Snapshot time.
    pub timestamp: Ts,
    /// Reference price, 2 dp.
    pub src: f64,
    /// High, 2 dp.
    pub high: Option<f64>,
    /// Low, 2 dp.
    pub low: Option<f64>,
    /// Close, 2 dp.
    pub close: Option<f64>,
    /// Taker buy volume, 4 dp.
    pub buy_vol: Option<f64>,
    /// Taker sell volume, 4 dp.
    pub sell_vol: Option<f64>,
    /// OI change, 4 dp.
    pub oi_change: Option<f64>,
    /// No input absent.
    pub ok: bool,
    /// Names of the absent inputs.
    pub missing: Vec<&'static str>,
}

/// 9.5.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepthBandStats {
    /// Minute key.
    pub minute_key: i64,
    /// Reference price, 2 dp.
    pub src: f64,
    /// Buckets in the band.
    pub n_buckets: u64,
    /// Total notional, 2 dp.
    pub notional_total: f64,
    /// Median bucket notional, 2 dp.
    pub notional_p50: f64,
    /// 95th percentile bucket notional, 2 dp.
    pub notional_p95: f64,
    /// `[src * 0.98, src * 1.02]`, 2 dp.
    pub bounds: [f64; 2],
}

/// 9.6.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepthBandEmpty {
    /// Minute key.
    pub minute_key: i64,
    /// `state_missing` or `no_book`.
    pub reason: &'static str,
    /// Reference price, 2 dp.
    pub src: f64,
}

/// Stress components of an approached zone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StressBreakdown {
    /// Taker aggression, 4 dp.
    pub aggression: f64,
    /// OI fuel, 4 dp.
    pub oi_fuel: f64,
    /// Book thinning, 4 dp.
    pub depth_thinning: f64,
}

/// Depth diagnostics of an approached zone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepthDebug {
    /// Depth near the zone a minute earlier, 2 dp.
    pub depth_prev: f64,
    /// Depth near the zone now, 2 dp.
    pub depth_now: f64,
    /// Thinning fraction, 4 dp.
    pub thin_frac: f64,
    /// Buckets each side.
    pub window: u32,
    /// Buckets found a minute earlier.
    pub n_buckets_prev: u64,
    /// Buckets found now.
    pub n_buckets_now: u64,
}

/// A zone credited by approach learning.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectedZone {
    /// Zone price, 2 dp.
    pub zone_price: f64,
    /// Side.
    pub zone_side: Side,
    /// Distance from the close, 6 dp.
    pub dist_pct: f64,
    /// Stress, 4 dp.
    #[serde(rename = "S")]
    pub s: f64,
    /// Effective stress, 4 dp.
    #[serde(rename = "S_eff")]
    pub s_eff: f64,
    /// Three largest responsibilities, 4 dp.
    pub resp_top3: TierMap<f64>,
    /// Stress components.
    pub stress_breakdown: StressBreakdown,
    /// Depth diagnostics.
    pub depth_debug: DepthDebug,
}

/// An approached zone outside the top K.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SkippedZone {
    /// Zone price, 2 dp.
    pub zone_price: f64,
    /// Side.
    pub zone_side: Side,
    /// Effective stress, 4 dp.
    #[serde(rename = "S_eff")]
    pub s_eff: f64,
    /// Always `not_in_top_k`.
    pub skip_reason: &'static str,
    /// 1-based rank among the candidates.
    pub rank: u64,
}

/// Non-zero skip counts.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipReasons {
    /// Candidates beyond the top K.
    pub not_in_top_k: u64,
    /// Zones too far from the close.
    pub too_far_from_price: u64,
}

impl Serialize for SkipReasons {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if self.not_in_top_k > 0 {
            m.serialize_entry("not_in_top_k", &self.not_in_top_k)?;
        }
        if self.too_far_from_price > 0 {
            m.serialize_entry("too_far_from_price", &self.too_far_from_price)?;
        }
        m.end()
    }
}

/// 9.3.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApproachSummary {
    /// Symbol.
    pub symbol: String,
    /// Minute key.
    pub minute_key: i64,
    /// Snapshot time.
    pub timestamp: Ts,
    /// Close, 2 dp.
    pub close: f64,
    /// Zones within 0.35 % of the close.
    pub approach_candidates: u64,
    /// Zones credited.
    pub approach_used: u64,
    /// Zones skipped for either reason.
    pub approach_skipped: u64,
    /// Skip counts by reason.
    pub skip_reasons: SkipReasons,
    /// The credited zones.
    pub selected_zones: Vec<SelectedZone>,
    /// The candidates beyond the top K.
    pub skipped_zones: Vec<SkippedZone>,
}

/// One of the three largest responsibilities of an event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopResp {
    /// Tier.
    pub leverage: u32,
    /// Responsibility, 4 dp.
    pub responsibility: f64,
    /// Distance from the tier's level, USD 2 dp.
    pub distance_usd: f64,
}

/// 9.1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRecord {
    /// Event time.
    pub timestamp: Ts,
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Price, 2 dp.
    pub event_price: f64,
    /// Reference price used, 2 dp.
    pub event_src_price: f64,
    /// Where the reference came from.
    pub src_source: &'static str,
    /// Snapshot price, 2 dp.
    pub snapshot_src: f64,
    /// Distance from the reference, 6 dp.
    pub dist_pct_event: f64,
    /// Distance from the best tier's level, 6 dp.
    pub nearest_implied_dist_pct: f64,
    /// Source band.
    pub src_band: &'static str,
    /// Implied band.
    pub implied_band: &'static str,
    /// Whether the event fed the soft statistics.
    pub updates_calibration: bool,
    /// Quantity, 6 dp.
    pub event_qty: f64,
    /// Notional, 2 dp.
    pub event_notional: f64,
    /// Binary hit.
    pub is_hit: bool,
    /// Hit strength, 4 dp (null on a miss).
    pub hit_strength: Option<f64>,
    /// Bucket distance to the nearest zone, 2 dp (null on a hit or without zones).
    pub miss_distance_buckets: Option<f64>,
    /// Three largest responsibilities.
    pub top_3_by_responsibility: Vec<TopResp>,
    /// Best tier.
    pub attributed_leverage: u32,
    /// Best tier (same value).
    pub nearest_implied_leverage_raw: u32,
    /// Best tier's level, 2 dp.
    pub nearest_implied_raw: f64,
    /// Best tier's level with the bias, 2 dp.
    pub nearest_implied_corrected: f64,
    /// Miss in percent of the reference, 6 dp.
    pub miss_pct: f64,
    /// Miss in USD, 2 dp.
    pub miss_usd: f64,
    /// Long bias, 6 dp.
    pub bias_pct_long: f64,
    /// Short bias, 6 dp.
    pub bias_pct_short: f64,
    /// The side's bias, 6 dp.
    pub bias_pct_applied: f64,
    /// Snapshot ladder.
    pub ladder: Vec<u32>,
    /// Level per tier, 2 dp.
    pub implied_levels_raw: TierMap<f64>,
    /// Level per tier with the bias, 2 dp.
    pub implied_levels_corrected: TierMap<f64>,
    /// Up to 5 strongest zones of the side, `[price 2 dp, strength 3 dp]`.
    pub top_predicted_zones: Vec<(f64, f64)>,
    /// Snapshot weights, 4 dp.
    pub current_weights: TierMap<f64>,
    /// Snapshot buffer, 5 dp.
    pub current_buffer: f64,
    /// Current tolerance.
    pub hit_bucket_tolerance: i64,
    /// Responsibility temperature, 6 dp.
    pub tau_pct: f64,
    /// Hit-credit decay, 6 dp.
    pub delta_pct: f64,
    /// Volatility scale, 4 dp.
    pub vol_scale: f64,
    /// Volatility EWMA, 6 dp.
    pub vol_ewma: f64,
    /// Farther than 15 % from the reference.
    pub price_insane: bool,
    /// Why, when insane.
    pub price_insane_reason: Option<String>,
    /// The side's legacy offset, 2 dp.
    pub offset_used_usd: f64,
    /// That offset over the reference, 6 dp.
    pub offset_used_pct: f64,
    /// The best tier is disabled.
    pub tier_disabled: bool,
}

/// 9.8.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRejected {
    /// Event time.
    pub timestamp: Ts,
    /// Always `price_insane`.
    pub reason: &'static str,
    /// The deviation text.
    pub detail: String,
    /// Price, 2 dp.
    pub event_price: f64,
    /// Reference used, 2 dp.
    pub src_price: f64,
    /// Deviation, 4 dp.
    pub dist_pct: f64,
    /// Side.
    pub side: Side,
    /// Notional, 2 dp.
    pub notional: f64,
}

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
    pub src_source_counts: super::state::SourceCounts,
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
    pub src_source_counts: super::state::SourceCounts,
}
