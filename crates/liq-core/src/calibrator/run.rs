//! The calibration run (calibrator.md section 7), every `window_minutes` snapshots.

use std::collections::BTreeMap;

use crate::event::Side;
use crate::grid::py_round;
use crate::leverage::enabled_entropy;

use super::attribution::top_zones;
use super::config::{
    MAX_EVENT_PRICE_DEVIATION, MAX_OFFSET_PCT, MAX_OFFSET_USD, SAFETY_MARK_MISSING_WARN_MINUTES,
};
use super::persist::PersistedWeights;
use super::records::{
    BandCounts, BiasUpdateInfo, CalibrationRecord, IdentDiag, MarkStreamMissing, SafetyInfo,
    SafetyTrip, TierMap, TierSoft, Ts,
};
use super::safety::{SafetyInput, all_tier_entropy, check};
use super::state::{StoredSnapshot, WindowStats};
use super::update::{
    quantile_pick, scores, tune_buffer, tune_tolerance, update_bias, update_offset, update_weights,
};
use super::{Calibrator, CalibratorRecord};

/// What a calibration run hands back (2.3): the engine adopts `weights` (by position on its
/// ladder) and `buffer`; the store writes `save` when present.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationResult {
    /// Weights for the engine, aligned with `ladder`.
    pub weights: Vec<f64>,
    /// The ladder they are aligned with.
    pub ladder: Vec<u32>,
    /// Buffer for the engine.
    pub buffer: f64,
    /// Hit rate of the window.
    pub hit_rate: f64,
    /// Calibrations run, this one included.
    pub calibration_count: u64,
    /// Whether the proposal was adopted (false once a safety check tripped).
    pub adopted: bool,
    /// The weights file to write, when adopted.
    pub save: Option<PersistedWeights>,
    /// Enabled-tier entropy of the proposal.
    pub entropy: f64,
}

impl Calibrator {
    /// Section 7, steps 1 to 19.
    pub(crate) fn run_calibration(
        &mut self,
        minute_key: i64,
        snap: &StoredSnapshot,
        now: f64,
    ) -> CalibrationResult {
        let old_w = self.weights.clone();
        let old_buffer = self.buffer;
        let old_tolerance = self.tolerance;
        let st = &self.stats;
        let hit_rate = st.hits as f64 / st.total_events.max(1) as f64;
        let avg_hit_strength = st.total_hit_strength / st.hits.max(1) as f64;
        let avg_miss_distance = st.total_miss_distance / st.finite_misses.max(1) as f64;

        self.unreached_penalty(snap);
        let ladder = self.ladder.clone();
        let cfg = self.cfg.clone();
        let sc = scores(&ladder, &self.stats.soft, cfg.alpha, cfg.beta);
        let new_w = if !ladder.is_empty() && self.stats.total_events > 0 {
            update_weights(&ladder, &old_w, &sc, cfg.learning_rate, &cfg.disabled)
        } else {
            old_w.clone()
        };
        let new_buffer = if cfg.enable_buffer_tuning {
            let d = &self.stats.distance_directions;
            tune_buffer(
                old_buffer,
                d,
                self.steps,
                cfg.buffer_lr,
                cfg.min_buffer,
                cfg.max_buffer,
            )
        } else {
            old_buffer
        };
        if cfg.enable_tolerance_tuning {
            let reference = cfg.compat.b3_truncating_tolerance;
            let samples = if reference {
                &self.stats.miss_distances
            } else {
                &self.stats.event_distances
            };
            self.tolerance = tune_tolerance(
                self.tolerance,
                samples,
                hit_rate,
                cfg.tolerance_lr,
                cfg.min_tolerance,
                cfg.max_tolerance,
                reference,
            );
        }
        let (old_bl, old_bs) = (self.bias_long, self.bias_short);
        let bl = update_bias(self.bias_long, &self.stats.long_miss_pct);
        let bs = update_bias(self.bias_short, &self.stats.short_miss_pct);
        for (b, side) in [(bl.bias, Side::Long), (bs.bias, Side::Short)] {
            if b.abs() >= 0.95 * super::config::BIAS_CAP {
                tracing::warn!(symbol = %cfg.symbol, side = side.as_str(), bias = b, "calibrator: bias near its cap");
            }
        }
        self.bias_long = bl.bias;
        self.bias_short = bs.bias;
        let (old_lo, old_so) = (self.long_offset, self.short_offset);
        let (lo, lo_clamped) = update_offset(self.long_offset, &self.stats.long_offsets, snap.src);
        let (so, so_clamped) =
            update_offset(self.short_offset, &self.stats.short_offsets, snap.src);
        self.long_offset = lo;
        self.short_offset = so;

        let (zones_judged, zones_outside) = match self.stats.judged_range() {
            Some((lo, hi)) => {
                let all = snap.pred_longs.iter().chain(&snap.pred_shorts);
                let inside = all.clone().filter(|(z, _)| lo <= *z && *z <= hi).count() as u64;
                (inside, all.count() as u64 - inside)
            }
            None => (0, 0),
        };

        let min_w = new_w.iter().copied().fold(f64::INFINITY, f64::min);
        let max_w = new_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let at = |x: f64, b: f64| (x - b).abs() < 1e-6;
        let prev_counters = self.counters;
        let r4 = |x: f64| py_round(x, 4);
        let r2 = |x: f64| py_round(x, 2);
        let r6 = |x: f64| py_round(x, 6);
        let st = &self.stats;
        let rec = CalibrationRecord {
            timestamp: Ts(now),
            minute_key,
            symbol: cfg.symbol.clone(),
            calibration_count: self.calibration_count,
            total_events: st.total_events,
            hits: st.hits,
            misses: st.misses,
            hit_rate: r4(hit_rate),
            avg_hit_strength: r4(avg_hit_strength),
            avg_miss_distance: r2(avg_miss_distance),
            leverage_soft_stats: TierMap::new(
                &ladder,
                ladder.iter().map(|t| {
                    let (total, hits) = st.soft.get(*t);
                    TierSoft {
                        total_resp: r4(total),
                        hits_soft: r4(hits),
                    }
                }),
            ),
            attributed_leverage_counts: TierMap(
                st.attributed.iter().map(|(k, v)| (*k, *v)).collect(),
            ),
            src_band_counts: BandCounts {
                names: ["NEAR", "MID", "FAR"],
                counts: st.band_counts,
            },
            implied_band_counts: BandCounts {
                names: ["IMPLIED_NEAR", "IMPLIED_MID", "IMPLIED_FAR"],
                counts: st.implied_band_counts,
            },
            approach_events: st.approach_events,
            zones_judged,
            zones_unreached: zones_outside,
            window_high: (st.window_high != 0.0).then(|| r2(st.window_high)),
            window_low: st.window_low.is_finite().then(|| r2(st.window_low)),
            old_weights: TierMap::new(&ladder, old_w.iter().map(|w| r4(*w))),
            new_weights: TierMap::new(&ladder, new_w.iter().map(|w| r4(*w))),
            old_buffer: py_round(old_buffer, 5),
            new_buffer: py_round(new_buffer, 5),
            old_tolerance,
            new_tolerance: self.tolerance,
            old_long_offset: r2(old_lo),
            new_long_offset: r2(lo),
            old_short_offset: r2(old_so),
            new_short_offset: r2(so),
            old_bias_pct_long: r6(old_bl),
            new_bias_pct_long: r6(bl.bias),
            old_bias_pct_short: r6(old_bs),
            new_bias_pct_short: r6(bs.bias),
            bias_update_info: BiasUpdateInfo {
                long_samples: bl.samples as u64,
                short_samples: bs.samples as u64,
                long_agg_miss_pct: bl.agg,
                short_agg_miss_pct: bs.agg,
                long_updated: bl.agg.is_some(),
                short_updated: bs.agg.is_some(),
            },
            ladder: ladder.clone(),
            src_price: r2(snap.src),
            top_long_zones: top_zones(&snap.pred_longs, 5),
            top_short_zones: top_zones(&snap.pred_shorts, 5),
            safety: SafetyInfo {
                calibration_enabled: self.calibration_enabled,
                entropy: r4(all_tier_entropy(&new_w)),
                max_weight: r4(max_w),
                min_weight: r6(min_w),
                buffer_at_min: at(new_buffer, cfg.min_buffer),
                buffer_at_max: at(new_buffer, cfg.max_buffer),
                tolerance_at_min: self.tolerance <= cfg.min_tolerance,
                tolerance_at_max: self.tolerance >= cfg.max_tolerance,
                consecutive_low_entropy: prev_counters.low_entropy,
                consecutive_max_weight_cap: prev_counters.max_weight_cap,
                consecutive_buffer_at_bounds: prev_counters.buffer_at_bounds,
                consecutive_tolerance_at_bounds: prev_counters.tolerance_at_bounds,
                src_source_counts: st.sources,
                minutes_no_mark: self.minutes_no_mark,
                offset_clamped_long: lo_clamped,
                offset_clamped_short: so_clamped,
                max_offset_pct: MAX_OFFSET_PCT,
                max_offset_usd: MAX_OFFSET_USD,
                max_event_price_deviation: MAX_EVENT_PRICE_DEVIATION,
            },
        };
        self.push(CalibratorRecord::Calibration(Box::new(rec)));
        if self.stats.total_events > 0 {
            let diag = ident_diag(minute_key, &self.stats);
            self.push(CalibratorRecord::IdentDiag(diag));
        }

        let safety = check(
            prev_counters,
            &SafetyInput {
                ladder: &ladder,
                weights: &new_w,
                buffer: new_buffer,
                tolerance: self.tolerance,
                max_weight: cfg.max_weight,
                buffer_bounds: (cfg.min_buffer, cfg.max_buffer),
                tolerance_bounds: (cfg.min_tolerance, cfg.max_tolerance),
                disabled: &cfg.disabled,
                reference_threshold: cfg.compat.b1_entropy_fixed_threshold,
                tolerance_trips: cfg.compat.b3_truncating_tolerance,
                old_entropy: enabled_entropy(&ladder, &old_w, &cfg.disabled),
                old_max_weight: old_w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                engine_weights_trip: cfg.compat.b14_engine_weights_trip,
            },
        );
        self.counters = safety.counters;
        if let Some(reason) = &safety.reason
            && self.calibration_enabled
        {
            self.calibration_enabled = false;
            tracing::warn!(symbol = %cfg.symbol, %reason, "calibrator: safety trip, calibration disabled");
            let c = safety.counters;
            self.push(CalibratorRecord::SafetyTrip(SafetyTrip {
                timestamp: Ts(now),
                minute_key,
                cycle: self.calibration_count,
                reason: reason.clone(),
                entropy: r4(safety.entropy),
                max_weight: r4(max_w),
                min_weight: r6(min_w),
                buffer: r6(new_buffer),
                tolerance: self.tolerance,
                consecutive_low_entropy: c.low_entropy,
                consecutive_max_weight_cap: c.max_weight_cap,
                consecutive_buffer_at_bounds: c.buffer_at_bounds,
                consecutive_tolerance_at_bounds: c.tolerance_at_bounds,
            }));
        }

        let sources = self.stats.sources;
        if sources.total() > 0 && sources.mark == 0 {
            self.minutes_no_mark += u64::from(cfg.window_minutes);
        } else {
            self.minutes_no_mark = 0;
        }
        if self.minutes_no_mark >= SAFETY_MARK_MISSING_WARN_MINUTES && !self.mark_warning_emitted {
            self.mark_warning_emitted = true;
            tracing::warn!(symbol = %cfg.symbol, minutes = self.minutes_no_mark, "calibrator: no mark-priced liquidation for a day");
            self.push(CalibratorRecord::MarkStreamMissing(MarkStreamMissing {
                timestamp: Ts(now),
                minute_key,
                minutes_no_mark: self.minutes_no_mark,
                action: "continue_using_mid",
                src_source_counts: sources,
            }));
        }

        self.stats = WindowStats::default();
        self.minutes_since_calibration = 0;
        self.calibration_count += 1;

        let (weights, buffer, save) = if self.calibration_enabled {
            self.weights.clone_from(&new_w);
            self.buffer = new_buffer;
            self.enforce_disabled();
            let save = PersistedWeights {
                symbol: cfg.symbol.clone(),
                ladder: self.ladder.clone(),
                weights: self.weights.clone(),
                buffer: self.buffer,
                tolerance: self.tolerance,
                long_offset_usd: self.long_offset,
                short_offset_usd: self.short_offset,
                bias_pct_long: self.bias_long,
                bias_pct_short: self.bias_short,
                calibration_count: self.calibration_count,
                saved_at: now,
            };
            // B20: the reference hands the engine the list before the save-time enforcement
            // (zeros when no enabled tier had weight); fixed: the weights it keeps.
            let out = if cfg.compat.b20_unenforced_result {
                new_w
            } else {
                self.weights.clone()
            };
            (out, new_buffer, Some(save))
        } else {
            (self.weights.clone(), self.buffer, None)
        };
        CalibrationResult {
            weights,
            ladder,
            buffer,
            hit_rate,
            calibration_count: self.calibration_count,
            adopted: save.is_some(),
            save,
            entropy: safety.entropy,
        }
    }
}

/// 9.7 from the window's identifiability samples.
fn ident_diag(minute_key: i64, st: &WindowStats) -> IdentDiag {
    let mut hist: BTreeMap<u32, u64> = BTreeMap::new();
    for l in &st.ident_best_l {
        *hist.entry(*l).or_insert(0) += 1;
    }
    let q = |v: &[f64], q: f64| quantile_pick(v, q).unwrap_or(0.0);
    IdentDiag {
        minute_key,
        n: st.total_events,
        best_l_hist: TierMap(hist.into_iter().collect()),
        gap_pct_p50: py_round(q(&st.ident_gap_pct, 0.5), 6),
        gap_pct_p95: py_round(q(&st.ident_gap_pct, 0.95), 6),
        resp_best_p50: py_round(q(&st.ident_resp_best, 0.5), 4),
        resp_best_p95: py_round(q(&st.ident_resp_best, 0.95), 4),
    }
}
