//! Entry inference: projected liquidations from OI changes and taker aggression (heatmap.md 6.2).

use indexmap::IndexMap;
use serde::Serialize;

use super::records::{HeatmapRecord, InferenceItem, SweepReason};
use super::sides::{BucketMap, Sides, crossed_keys};
use super::tape::MIN_BUCKET_USD;
use super::zones::{ZoneSink, ZoneSource, reborrow};
use crate::event::Side;
use crate::grid::{BucketStep, py_round};
use crate::leverage::{DisabledTiers, RUNTIME_LADDER, RUNTIME_WEIGHTS, implied_price};

/// Multiplier removed from a projected bucket the price crosses (`1.0 - 0.70` in f64).
pub const SWEEP_REDUCTION_FACTOR: f64 = 0.70;
/// Largest share of the projections an OI drop removes per minute.
pub const MAX_OI_REDUCTION_PER_MINUTE: f64 = 0.25;
/// Opening threshold as a fraction of the OI notional.
pub const MIN_OI_CHANGE_PCT: f64 = 0.00005;
/// Clamp of the taker buy share.
pub const MIN_WEIGHT: f64 = 0.10;
/// Clamp of the taker buy share.
pub const MAX_WEIGHT: f64 = 0.90;
/// Length of the reference's inference ring (only its length is observable).
pub const INFERENCE_RING: usize = 720;

/// One projected-liquidation bucket.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct PositionBucket {
    /// USD size, decaying and reduced.
    pub size_usd: f64,
    /// `src` when the bucket was first created.
    pub entry_price: f64,
    /// Time of the last contribution.
    pub last_ts: f64,
    /// Tier that created the bucket.
    pub leverage_est: u32,
    /// Contributions.
    pub inference_count: u32,
    /// Largest single contribution.
    pub peak_size_usd: f64,
}

/// `inference.get_stats()` (key order of the V2 snapshot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InferenceStats {
    /// Symbol.
    pub symbol: String,
    /// Last minute key.
    pub current_minute: i64,
    /// Last `src`.
    pub current_price: f64,
    /// USD ever projected on longs.
    pub total_inferred_long_usd: f64,
    /// USD ever projected on shorts.
    pub total_inferred_short_usd: f64,
    /// Live long buckets.
    pub projected_long_buckets: u64,
    /// Live short buckets.
    pub projected_short_buckets: u64,
    /// Inferences in the 720-entry window.
    pub inferences_in_window: u64,
    /// Current weights, ladder order (keys are tiers as strings).
    pub leverage_weights: IndexMap<String, f64>,
}

/// Inputs of one inference minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinuteInput {
    /// Minute key passed to `on_minute`.
    pub minute_key: i64,
    /// OHLC4 reference price.
    pub src: f64,
    /// High of the minute.
    pub high: f64,
    /// Low of the minute.
    pub low: f64,
    /// Aggregated OI, base units (0 = unknown).
    pub oi: f64,
    /// Taker buy notional.
    pub taker_buy_usd: f64,
    /// Taker sell notional.
    pub taker_sell_usd: f64,
}

/// Which reference behaviours the inference reproduces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InferenceCompat {
    /// B1: threshold and close factor use the new OI.
    pub new_oi_ratio: bool,
    /// B10: an OI of 0 is a real value.
    pub zero_oi_is_value: bool,
}

/// The entry inference of one symbol.
#[derive(Clone, Debug)]
pub struct Inference {
    symbol: std::sync::Arc<str>,
    step: BucketStep,
    buffer: f64,
    decay: f64,
    disabled: DisabledTiers,
    weights: Vec<(u32, f64)>,
    projections: Sides<PositionBucket>,
    inferences_in_window: usize,
    last_oi: f64,
    current_minute: i64,
    current_price: f64,
    total_inferred_long_usd: f64,
    total_inferred_short_usd: f64,
}

/// What one minute did (for the facade's counters and tests).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MinuteOutcome {
    /// Tier entries created.
    pub inferences: usize,
    /// Signed OI change, base units.
    pub oi_delta: f64,
    /// Projection buckets swept (long, short).
    pub swept: (u64, u64),
    /// Close factor applied by an OI drop (0 when none).
    pub close_factor: f64,
}

impl Inference {
    /// An empty inference with the default weights `{10: 0, 20: .18, 25: .27, 50: .30,
    /// 75: .15, 100: .08, 125: .02}`.
    pub fn new(symbol: &str, step: BucketStep, buffer: f64, decay: f64) -> Self {
        Inference {
            symbol: std::sync::Arc::from(symbol),
            step,
            buffer,
            decay,
            disabled: DisabledTiers::default(),
            weights: RUNTIME_LADDER.into_iter().zip(RUNTIME_WEIGHTS).collect(),
            projections: Sides::default(),
            inferences_in_window: 0,
            last_oi: 0.0,
            current_minute: 0,
            current_price: 0.0,
            total_inferred_long_usd: 0.0,
            total_inferred_short_usd: 0.0,
        }
    }

    /// The persistent part of the inference (DECISIONS heatmap 5).
    pub fn export_state(&self) -> super::state::InferenceState {
        let side = |m: &BucketMap<PositionBucket>| m.iter().map(|(k, b)| (*k, b.clone())).collect();
        super::state::InferenceState {
            weights: self.weights.clone(),
            buffer: self.buffer,
            long: side(&self.projections.long),
            short: side(&self.projections.short),
            inferences_in_window: self.inferences_in_window as u64,
            last_oi: self.last_oi,
            current_price: self.current_price,
            total_inferred_long_usd: self.total_inferred_long_usd,
            total_inferred_short_usd: self.total_inferred_short_usd,
        }
    }

    /// Restores an exported state, each bucket decayed by `factor` and dropped under $100.
    /// Returns the buckets kept.
    pub fn restore_state(
        &mut self,
        st: &super::state::InferenceState,
        factor: f64,
        minute: i64,
    ) -> usize {
        let side = |v: &[(i64, PositionBucket)]| -> BucketMap<PositionBucket> {
            v.iter()
                .filter_map(|(k, b)| {
                    let size_usd = b.size_usd * factor;
                    (size_usd >= MIN_BUCKET_USD).then(|| {
                        (
                            *k,
                            PositionBucket {
                                size_usd,
                                ..b.clone()
                            },
                        )
                    })
                })
                .collect()
        };
        self.projections = Sides {
            long: side(&st.long),
            short: side(&st.short),
        };
        if !st.weights.is_empty() {
            self.update_leverage_weights(&st.weights);
        }
        if st.buffer.is_finite() && st.buffer >= 0.0 {
            self.buffer = st.buffer;
        }
        self.inferences_in_window = usize::try_from(st.inferences_in_window).unwrap_or(usize::MAX);
        self.last_oi = st.last_oi;
        self.current_price = st.current_price;
        self.current_minute = minute;
        self.total_inferred_long_usd = st.total_inferred_long_usd;
        self.total_inferred_short_usd = st.total_inferred_short_usd;
        self.projections.long.len() + self.projections.short.len()
    }

    /// The buffer the projections use.
    pub fn buffer(&self) -> f64 {
        self.buffer
    }

    /// Sets the buffer the projections use (the heatmap B2 fix propagates calibrated buffers).
    pub fn set_buffer(&mut self, buffer: f64) {
        self.buffer = buffer;
    }

    /// The weights in map order.
    pub fn weights(&self) -> &[(u32, f64)] {
        &self.weights
    }

    /// Replaces the weights, normalized by their sum (kept as given if the sum is <= 0).
    pub fn update_leverage_weights(&mut self, new: &[(u32, f64)]) {
        let sum: f64 = new.iter().map(|(_, w)| w).sum();
        self.weights = if sum > 0.0 {
            new.iter().map(|(t, w)| (*t, w / sum)).collect()
        } else {
            new.to_vec()
        };
    }

    /// The projected liquidation price of an entry at `entry` for tier `leverage`.
    pub fn liq_price(&self, entry: f64, leverage: u32, side: Side) -> f64 {
        implied_price(entry, side == Side::Long, leverage, self.buffer)
    }

    /// The projection buckets.
    pub fn buckets(&self) -> &Sides<PositionBucket> {
        &self.projections
    }

    /// USD per projected bucket.
    pub fn projections(&self) -> Sides<f64> {
        let conv =
            |m: &BucketMap<PositionBucket>| m.iter().map(|(k, b)| (*k, b.size_usd)).collect();
        Sides {
            long: conv(&self.projections.long),
            short: conv(&self.projections.short),
        }
    }

    /// One minute (6.2 `on_minute`): decay, sweep, then open or close on the OI change.
    pub fn on_minute(
        &mut self,
        m: &MinuteInput,
        now: f64,
        compat: InferenceCompat,
        mut zones: Option<&mut dyn ZoneSink>,
        mut records: Option<&mut Vec<HeatmapRecord>>,
    ) -> MinuteOutcome {
        self.current_minute = m.minute_key;
        self.current_price = m.src;
        let prev_oi = self.last_oi;
        let oi_known = m.oi > 0.0 || compat.zero_oi_is_value;
        let delta = if prev_oi > 0.0 && oi_known {
            m.oi - prev_oi
        } else {
            0.0
        };
        if oi_known {
            self.last_oi = m.oi;
        }
        // B1: the reference divides by the OI just stored.
        let ratio_oi = if compat.new_oi_ratio {
            self.last_oi
        } else {
            prev_oi
        };

        let decay = self.decay;
        for map in [&mut self.projections.long, &mut self.projections.short] {
            map.retain(|_, b| {
                b.size_usd *= decay;
                b.size_usd >= MIN_BUCKET_USD
            });
        }
        if let Some(z) = reborrow(&mut zones) {
            z.apply_decay_and_expire(m.src, now);
        }
        let mut swept = [(0u64, 0.0f64); 2];
        if m.high != 0.0 && m.low != 0.0 {
            swept = self.sweep(m, now, records.as_deref_mut());
        }

        let total = m.taker_buy_usd + m.taker_sell_usd;
        let buy_pct = if total > 0.0 {
            m.taker_buy_usd / total
        } else {
            0.5
        };
        let buy_weight = MAX_WEIGHT.min(MIN_WEIGHT.max(buy_pct));
        let sell_weight = 1.0 - buy_weight;
        let thr = if ratio_oi > 0.0 {
            ratio_oi * m.src * MIN_OI_CHANGE_PCT
        } else {
            0.0
        };

        let mut added = (0.0, 0.0);
        let mut items = Vec::new();
        let mut close_factor = 0.0;
        if delta > 0.0 {
            let delta_usd = delta.abs() * m.src;
            let long_usd = delta_usd * buy_weight;
            let short_usd = delta_usd * sell_weight;
            if delta_usd >= thr {
                let z = reborrow(&mut zones);
                self.project_side(m, now, Side::Long, long_usd, buy_weight, z, &mut items);
                let z = reborrow(&mut zones);
                self.project_side(m, now, Side::Short, short_usd, sell_weight, z, &mut items);
                added = (long_usd, short_usd);
            }
        } else if delta < 0.0 {
            let sum =
                |map: &BucketMap<PositionBucket>| map.values().map(|b| b.size_usd).sum::<f64>();
            let total_projected = sum(&self.projections.long) + sum(&self.projections.short);
            if total_projected > 0.0 {
                close_factor = if ratio_oi > 0.0 {
                    (delta.abs() / ratio_oi).min(MAX_OI_REDUCTION_PER_MINUTE)
                } else {
                    (delta.abs() * m.src / total_projected).min(MAX_OI_REDUCTION_PER_MINUTE)
                };
                let keep = 1.0 - close_factor;
                for map in [&mut self.projections.long, &mut self.projections.short] {
                    map.retain(|_, b| {
                        b.size_usd *= keep;
                        b.size_usd >= MIN_BUCKET_USD
                    });
                }
                if let Some(z) = reborrow(&mut zones) {
                    z.scale_weights(keep, true);
                }
            }
        }

        if let Some(r) = records {
            r.push(HeatmapRecord::MinuteInference {
                ts: now,
                minute_key: m.minute_key,
                src_price: m.src,
                oi_delta_usd: py_round(delta * m.src, 2),
                buy_pct: py_round(buy_pct, 4),
                buy_weight: py_round(buy_weight, 4),
                long_open_usd: py_round(added.0, 2),
                short_open_usd: py_round(added.1, 2),
                projected_added_long_usd: py_round(added.0, 2),
                projected_added_short_usd: py_round(added.1, 2),
                oi_stale: false,
                fallback_aggression: false,
                swept_long: swept[0].0,
                swept_short: swept[1].0,
                swept_long_notional: py_round(swept[0].1, 2),
                swept_short_notional: py_round(swept[1].1, 2),
                total_long_buckets: self.projections.long.len() as u64,
                total_short_buckets: self.projections.short.len() as u64,
            });
            if !items.is_empty() {
                r.push(HeatmapRecord::Inference {
                    ts: now,
                    minute_key: m.minute_key,
                    src_price: m.src,
                    oi_delta: delta,
                    buy_pct,
                    inferences: items.clone(),
                });
            }
        }
        MinuteOutcome {
            inferences: items.len(),
            oi_delta: delta,
            swept: (swept[0].0, swept[1].0),
            close_factor,
        }
    }

    /// Spreads `size_usd` of one side over the tiers (6.2 `project_side`).
    #[allow(clippy::too_many_arguments)]
    fn project_side(
        &mut self,
        m: &MinuteInput,
        now: f64,
        side: Side,
        size_usd: f64,
        confidence: f64,
        mut zones: Option<&mut dyn ZoneSink>,
        items: &mut Vec<InferenceItem>,
    ) {
        if size_usd < MIN_BUCKET_USD {
            return;
        }
        for i in 0..self.weights.len() {
            let (tier, w) = self.weights[i];
            if self.disabled.contains(tier) || w < 0.01 {
                continue;
            }
            let k = self.step.key(self.liq_price(m.src, tier, side));
            let c = size_usd * w;
            if c < MIN_BUCKET_USD {
                continue;
            }
            let price = self.step.price(k);
            items.push(InferenceItem {
                side,
                size_usd: py_round(c, 2),
                projected_liq: price,
                confidence: py_round(confidence, 3),
            });
            self.inferences_in_window = (self.inferences_in_window + 1).min(INFERENCE_RING);
            let b = self
                .projections
                .side_mut(side)
                .entry(k)
                .or_insert(PositionBucket {
                    size_usd: 0.0,
                    entry_price: m.src,
                    last_ts: now,
                    leverage_est: tier,
                    inference_count: 0,
                    peak_size_usd: 0.0,
                });
            b.size_usd += c;
            b.last_ts = now;
            b.inference_count += 1;
            b.peak_size_usd = b.peak_size_usd.max(c);
            if let Some(z) = reborrow(&mut zones) {
                let w = c / 100000.0;
                z.create_or_reinforce(
                    price,
                    side,
                    w,
                    ZoneSource::Inference,
                    Some(tier),
                    confidence,
                    now,
                );
            }
            match side {
                Side::Long => self.total_inferred_long_usd += c,
                Side::Short => self.total_inferred_short_usd += c,
            }
        }
    }

    /// Partial sweep (×0.30, deleted under $100), shorts then longs; per side `(count, USD)`.
    fn sweep(
        &mut self,
        m: &MinuteInput,
        now: f64,
        mut records: Option<&mut Vec<HeatmapRecord>>,
    ) -> [(u64, f64); 2] {
        let mut out = [(0u64, 0.0f64); 2];
        for (slot, side) in [(1, Side::Short), (0, Side::Long)] {
            let step = self.step;
            let keys = crossed_keys(self.projections.side(side), &step, side, m.high, m.low);
            for k in keys {
                let map = self.projections.side_mut(side);
                let Some(b) = map.get_mut(&k) else {
                    continue;
                };
                let before = b.size_usd;
                b.size_usd *= 1.0 - SWEEP_REDUCTION_FACTOR;
                let after = b.size_usd;
                let deleted = after < MIN_BUCKET_USD;
                out[slot].0 += 1;
                out[slot].1 += if deleted { before } else { before - after };
                let (count, peak) = (b.inference_count, b.peak_size_usd);
                if deleted {
                    map.shift_remove(&k);
                }
                if let Some(r) = records.as_deref_mut() {
                    let price = step.price(k);
                    r.push(HeatmapRecord::SweepReduced {
                        symbol: self.symbol.clone(),
                        side,
                        bucket: price,
                        before_usd: py_round(before, 2),
                        after_usd: py_round(after, 2),
                        deleted,
                    });
                    let reason = SweepReason { side, price };
                    let (trigger_high, trigger_low) = reason.triggers(m.high, m.low);
                    r.push(HeatmapRecord::Sweep {
                        ts: now,
                        minute_key: m.minute_key,
                        side,
                        bucket: price,
                        total_notional_usd: py_round(before, 2),
                        trade_count: u64::from(count),
                        peak_notional_usd: py_round(peak, 2),
                        layer: "projection",
                        reason,
                        trigger_high,
                        trigger_low,
                        reduced_to_usd: Some(py_round(after, 2)),
                        deleted: Some(deleted),
                    });
                }
            }
        }
        out
    }

    /// Counts of live buckets (long, short).
    pub fn bucket_counts(&self) -> (usize, usize) {
        (self.projections.long.len(), self.projections.short.len())
    }

    /// `get_stats()`.
    pub fn stats(&self) -> InferenceStats {
        InferenceStats {
            symbol: self.symbol.to_string(),
            current_minute: self.current_minute,
            current_price: self.current_price,
            total_inferred_long_usd: self.total_inferred_long_usd,
            total_inferred_short_usd: self.total_inferred_short_usd,
            projected_long_buckets: self.projections.long.len() as u64,
            projected_short_buckets: self.projections.short.len() as u64,
            inferences_in_window: self.inferences_in_window as u64,
            leverage_weights: self
                .weights
                .iter()
                .map(|(t, w)| (t.to_string(), *w))
                .collect(),
        }
    }
}
