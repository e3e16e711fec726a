//! Log records of the calibrator (calibrator.md section 9), one JSON object per line in
//! `liq_calibrator_{SYM}.jsonl`. Key order follows the reference's files. Values are rounded
//! when the record is built; times are rendered in UTC; non-finite numbers become `null`
//! (DECISIONS Calibrator 1; calibrator B11 and B25 divergences).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::event::Side;

mod run;

pub use run::{
    BandCounts, BiasUpdateInfo, CalibrationRecord, IdentDiag, MarkStreamMissing, SafetyInfo,
    SafetyTrip, TierSoft,
};

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
