//! Constants (calibrator.md section 4), constructor parameters and the calibrator's view of
//! the reference-compatibility switches.

use crate::compat::ReferenceCompat;
use crate::leverage::{DegenerateFallback, DisabledTiers, Ladder};

/// Weights file schema written by this version.
pub const WEIGHTS_SCHEMA_VERSION: u32 = 2;
/// Responsibility temperature (percent space) at a neutral volatility.
pub const TAU_PCT_BASE: f64 = 0.0012;
/// Hit-credit decay scale at a neutral volatility.
pub const DELTA_PCT_BASE: f64 = 0.0008;
/// Neutral point of the volatility scale and the EWMA's initial value.
pub const VOL_BASELINE: f64 = 0.0015;
/// Lower clamp of the volatility scale.
pub const VOL_SCALE_MIN: f64 = 0.7;
/// Upper clamp of the volatility scale.
pub const VOL_SCALE_MAX: f64 = 1.6;
/// EWMA weight of the newest volatility sample.
pub const VOL_EWMA_ALPHA: f64 = 0.1;
/// Source band NEAR upper bound (inclusive), distance from the reference price.
pub const DIST_BAND_NEAR: f64 = 0.010;
/// Source band MID upper bound (inclusive).
pub const DIST_BAND_MID: f64 = 0.025;
/// An event farther than this from its reference price is "insane" (strict).
pub const MAX_EVENT_PRICE_DEVIATION: f64 = 0.15;
/// Legacy USD offset clamp, fraction of the price.
pub const MAX_OFFSET_PCT: f64 = 0.005;
/// Legacy USD offset clamp, absolute.
pub const MAX_OFFSET_USD: f64 = 2000.0;
/// Implied band NEAR upper bound (inclusive).
pub const IMPLIED_BAND_NEAR: f64 = 0.0025;
/// Implied band MID upper bound (inclusive).
pub const IMPLIED_BAND_MID: f64 = 0.0075;
/// Judged range around the window's low and high.
pub const APPROACH_PCT: f64 = 0.0075;
/// A zone within this distance of the minute's close was approached (inclusive).
pub const APPROACH_LEARN_PCT: f64 = 0.0035;
/// Taker-imbalance scale of the aggression term.
pub const IMB_K: f64 = 0.15;
/// OI-change scale of the fuel term, base units (calibrator B22: one scale for all symbols).
pub const OI_SCALE: f64 = 1000.0;
/// Buckets on each side of a zone summed for its depth.
pub const DEPTH_WINDOW_BUCKETS: f64 = 3.0;
/// Stress weight of order-book thinning.
pub const STRESS_WEIGHT_DEPTH: f64 = 0.45;
/// Stress weight of taker aggression.
pub const STRESS_WEIGHT_AGGRESSION: f64 = 0.35;
/// Stress weight of OI fuel.
pub const STRESS_WEIGHT_OI: f64 = 0.20;
/// Hit-credit multiplier of an approach.
pub const APPROACH_HIT_MULT: f64 = 0.25;
/// Anchoring weight of the proposal (`w = (1 - λ) old + λ p`).
pub const ANCHOR_LAMBDA: f64 = 0.10;
/// Distance decay of an approach's effective stress.
pub const APPROACH_DIST_DECAY_D0: f64 = 0.002;
/// Approached zones credited per minute.
pub const APPROACH_TOP_K: usize = 3;
/// Negative hit credit of a judged zone that was never approached.
pub const UNREACHED_PENALTY: f64 = 0.05;
/// Minimum weight mass of the tiers at or below [`MID_LEV_THRESHOLD`].
pub const MIN_MASS_MID: f64 = 0.25;
/// Tiers at or below this leverage are "mid/low" (the disabled 10x included).
pub const MID_LEV_THRESHOLD: u32 = 25;
/// Bias EMA rate.
pub const BIAS_ETA: f64 = 0.10;
/// Bias clamp.
pub const BIAS_CAP: f64 = 0.008;
/// Miss samples a side needs for a bias update.
pub const MIN_BIAS_SAMPLES: usize = 10;
/// Tolerance forced after a successful load.
pub const HIT_BUCKET_TOLERANCE: i64 = 4;
/// Numerical floor.
pub const EPS: f64 = 1e-9;
/// Reference entropy kill threshold (nats; calibrator B1).
pub const SAFETY_ENTROPY_MIN: f64 = 1.6;
/// Fixed entropy kill threshold, as a fraction of `ln(n_enabled)` (DECISIONS Calibrator 2).
pub const SAFETY_ENTROPY_FRACTION: f64 = 0.85;
/// Consecutive low-entropy calibrations that trip the switch.
pub const SAFETY_CONSECUTIVE_ENTROPY_TRIP: u32 = 3;
/// Consecutive max-weight calibrations that trip the switch.
pub const SAFETY_CONSECUTIVE_CLAMP_TRIP: u32 = 3;
/// Consecutive pinned-bounds calibrations that trip the switch.
pub const SAFETY_CONSECUTIVE_BOUNDS_TRIP: u32 = 6;
/// Minutes without a mark-priced event before the one-time warning.
pub const SAFETY_MARK_MISSING_WARN_MINUTES: u64 = 1440;
/// Ratio clamp of the multiplicative update.
pub const RATIO_CLAMP: (f64, f64) = (0.85, 1.20);
/// Cap of a proposed weight, applied before anchoring (calibrator B14).
pub const WEIGHT_CAP: f64 = 0.35;
/// Largest share of the high tiers' mass the mid-mass floor drains.
pub const DRAIN_RATIO_CAP: f64 = 0.9;
/// Extra offset term of the reference implied level, times `1/L`.
pub const REFERENCE_EXTRA_OFFSET: f64 = 0.01;
/// Buffer tuning dead band, in steps.
pub const BUFFER_DEAD_BAND_STEPS: f64 = 0.5;
/// Direction samples buffer tuning needs.
pub const MIN_BUFFER_SAMPLES: usize = 10;
/// Distance samples tolerance tuning needs.
pub const MIN_TOLERANCE_SAMPLES: usize = 5;
/// Legacy offset learning rate.
pub const OFFSET_LR: f64 = 0.5;
/// USD samples a side needs for a legacy offset update.
pub const MIN_OFFSET_SAMPLES: usize = 3;
/// Price the offset clamp uses when the snapshot has none (BTC-centric, calibrator B6).
pub const OFFSET_FALLBACK_PRICE: f64 = 80000.0;
/// Snapshots kept beyond the window, minutes.
pub const SNAPSHOT_RETENTION_EXTRA: i64 = 5;

/// Reference behaviours the calibrator reproduces on request (one field per bug id of
/// calibrator.md section 12), taken from the shared [`ReferenceCompat`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CalibratorCompat {
    /// B1: entropy trips below 1.6 nats.
    pub b1_entropy_fixed_threshold: bool,
    /// B2: mark-priced events counted as `fallback`.
    pub b2_mark_counted_as_fallback: bool,
    /// B3: truncating tolerance tuning on misses only.
    pub b3_truncating_tolerance: bool,
    /// B4 (= heatmap B2): the implied level `1/L + b + 0.01/L`.
    pub b4_reference_offset: bool,
    /// B7: volatility EWMA per event.
    pub b7_vol_per_event: bool,
    /// B8: partial load of an invalid weights file.
    pub b8_partial_load: bool,
    /// B9: no migration of a weights file on another ladder.
    pub b9_no_migration: bool,
    /// B10: degenerate fallback with 1.0 for tiers missing from the legacy config.
    pub b10_degenerate_mix: bool,
    /// B11: infinite miss distances enter the window's total.
    pub b11_infinite_miss_total: bool,
    /// B14: the max-weight switch also trips on weights the engine concentrated.
    pub b14_engine_weights_trip: bool,
    /// B20: the engine receives the weights before the save-time enforcement.
    pub b20_unenforced_result: bool,
}

impl CalibratorCompat {
    /// The calibrator's switches of the shared struct.
    pub fn from_reference_compat(c: &ReferenceCompat) -> Self {
        CalibratorCompat {
            b1_entropy_fixed_threshold: c.calibrator_b1,
            b2_mark_counted_as_fallback: c.calibrator_b2,
            b3_truncating_tolerance: c.calibrator_b3,
            b4_reference_offset: c.heatmap_b2,
            b7_vol_per_event: c.calibrator_b7,
            b8_partial_load: c.calibrator_b8,
            b9_no_migration: c.calibrator_b9,
            b10_degenerate_mix: c.calibrator_b10,
            b11_infinite_miss_total: c.calibrator_b11,
            b14_engine_weights_trip: c.calibrator_b14,
            b20_unenforced_result: c.calibrator_b20,
        }
    }

    /// The degenerate-fallback variant of [`crate::leverage::enforce_disabled_tiers`].
    pub fn degenerate_fallback(&self) -> DegenerateFallback {
        if self.b10_degenerate_mix {
            DegenerateFallback::Reference
        } else {
            DegenerateFallback::Fixed
        }
    }
}

/// Constructor parameters (calibrator.md 4.3); [`CalibratorConfig::runtime`] gives the
/// service's values.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibratorConfig {
    /// Short symbol (`BTC`).
    pub symbol: String,
    /// Bucket width at construction (fixes `ndigits`, calibrator B24).
    pub steps: f64,
    /// Snapshots per calibration run.
    pub window_minutes: u32,
    /// Binary hit tolerance in buckets before any load.
    pub hit_bucket_tolerance: i64,
    /// Multiplicative update rate.
    pub learning_rate: f64,
    /// Score prior numerator.
    pub alpha: f64,
    /// Score prior denominator.
    pub beta: f64,
    /// Only used by the max-weight safety trip (`max_weight - 0.01`).
    pub max_weight: f64,
    /// Buffer step per calibration.
    pub buffer_lr: f64,
    /// Lower buffer bound.
    pub min_buffer: f64,
    /// Upper buffer bound.
    pub max_buffer: f64,
    /// Whether the buffer is tuned.
    pub enable_buffer_tuning: bool,
    /// Tolerance step.
    pub tolerance_lr: f64,
    /// Lower tolerance bound.
    pub min_tolerance: i64,
    /// Upper tolerance bound.
    pub max_tolerance: i64,
    /// Whether the tolerance is tuned.
    pub enable_tolerance_tuning: bool,
    /// Whether `event` and `approach_minute_summary` records are written.
    pub log_events: bool,
    /// Whether any record is written (the reference writes none without a log file).
    pub logging: bool,
    /// The configured ladder (weights files on another ladder are migrated onto it).
    pub ladder: Ladder,
    /// Tiers that never carry weight.
    pub disabled: DisabledTiers,
    /// Reference behaviours reproduced.
    pub compat: CalibratorCompat,
}

impl CalibratorConfig {
    /// The service's calibrator: window 15, tolerance 5, the runtime ladder, 10x disabled.
    pub fn runtime(symbol: &str, steps: f64, compat: &ReferenceCompat) -> Self {
        CalibratorConfig {
            symbol: symbol.to_string(),
            steps,
            window_minutes: 15,
            hit_bucket_tolerance: 5,
            learning_rate: 0.10,
            alpha: 1.0,
            beta: 5.0,
            max_weight: 0.40,
            buffer_lr: 0.02,
            min_buffer: 0.0005,
            max_buffer: 0.01,
            enable_buffer_tuning: true,
            tolerance_lr: 0.20,
            min_tolerance: 2,
            max_tolerance: 50,
            enable_tolerance_tuning: true,
            log_events: true,
            logging: true,
            ladder: Ladder::runtime_default(),
            disabled: DisabledTiers::default(),
            compat: CalibratorCompat::from_reference_compat(compat),
        }
    }
}
