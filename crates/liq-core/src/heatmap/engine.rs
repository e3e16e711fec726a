//! The per-symbol heatmap engine (heatmap.md 6.3, the facade): routes events to the tape and
//! the inference, combines them into raw and display maps and pools, and returns log records.

use serde::Serialize;

use super::combine::{Pairs, Scales, balance, combined_display, combined_raw, combined_raw_lists};
use super::config::HeatmapConfig;
use super::inference::{Inference, InferenceCompat, InferenceStats, MinuteInput, MinuteOutcome};
use super::pools::{self, Pools, PoolsMeta, PoolsRequest};
use super::records::{ClusterBoostStats, HeatmapRecord};
use super::sides::Sides;
use super::tape::{Tape, TapeStats};
use super::zones::{ZoneSink, ZoneSummary};
use crate::compat::ReferenceCompat;
use crate::event::Side;
use crate::grid::{BucketStep, GridError, py_round};
use crate::leverage::DisabledTiers;
use crate::zones::ZoneManager;

/// Minutes between `heatmap_balance` and `combined_zone_boost` records.
pub const BALANCE_LOG_EVERY: i64 = 10;
/// Minutes between tape-learning pushes.
pub const TAPE_LEARNING_INTERVAL: i64 = 60;
/// Offset samples needed before tape learning adjusts weights.
pub const TAPE_LEARNING_MIN_SAMPLES: usize = 50;
/// The reference's tape-learning tiers.
pub const TAPE_LEARNING_TIERS: [u32; 7] = [10, 20, 25, 50, 75, 100, 125];

/// An input the engine refuses (never reaches the maps).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// A value that must be finite and > 0 is not.
    #[error("{field} must be finite and > 0, got {value}")]
    NotPositive {
        /// Field.
        field: &'static str,
        /// Value.
        value: f64,
    },
    /// A value that must be finite and >= 0 is not.
    #[error("{field} must be finite and >= 0, got {value}")]
    Negative {
        /// Field.
        field: &'static str,
        /// Value.
        value: f64,
    },
}

fn positive(field: &'static str, value: f64) -> Result<(), InputError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(InputError::NotPositive { field, value })
    }
}

fn non_negative(field: &'static str, value: f64) -> Result<(), InputError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(InputError::Negative { field, value })
    }
}

/// The two layers in USD per bucket, taken once and shared by every output of one rollover.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layers {
    /// Observed liquidations.
    pub tape: Sides<f64>,
    /// Projected liquidations.
    pub proj: Sides<f64>,
}

/// A 0..1 intensity map (`get_heatmap`/`get_heatmap_display`), divided by its maximum.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeatmapView {
    /// Per-bucket intensity.
    pub map: Sides<f64>,
}

/// `config` inside the stats.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigStats {
    /// Step.
    pub steps: f64,
    /// Decay.
    pub decay: f64,
    /// The (calibrated) buffer.
    pub buffer: f64,
    /// Tape weight.
    pub tape_weight: f64,
    /// Projection weight.
    pub projection_weight: f64,
}

/// `get_stats()` of the engine (the V2 `stats` object, key order of the snapshot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EngineStats {
    /// Symbol.
    pub symbol: String,
    /// Last minute key.
    pub current_minute: i64,
    /// Last `src`.
    pub current_price: f64,
    /// Force orders so far.
    pub total_force_orders: u64,
    /// Inferences so far.
    pub total_inferences: u64,
    /// Tape statistics.
    pub tape: TapeStats,
    /// Inference statistics.
    pub inference: InferenceStats,
    /// Configuration.
    pub config: ConfigStats,
    /// Zone manager summary, when one is attached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_manager: Option<ZoneSummary>,
}

/// The heatmap engine of one symbol.
#[derive(Debug)]
pub struct HeatmapEngine {
    config: HeatmapConfig,
    symbol: std::sync::Arc<str>,
    compat: ReferenceCompat,
    step: BucketStep,
    tape: Tape,
    inference: Inference,
    zones: Option<ZoneManager>,
    current_minute: i64,
    current_price: f64,
    last_balance_log_minute: i64,
    last_boost_log_minute: i64,
    last_cluster_boost: Option<ClusterBoostStats>,
    last_tape_learning_push: i64,
    total_force_orders: u64,
    total_inferences: u64,
    rejected_inputs: u64,
    logging: bool,
    records: Vec<HeatmapRecord>,
}

/// The zone sink and the record buffer of an engine, borrowed field by field.
macro_rules! sinks {
    ($e:ident) => {
        (
            match $e.zones.as_mut() {
                Some(z) => Some(z as &mut dyn ZoneSink),
                None => None,
            },
            if $e.logging {
                Some(&mut $e.records)
            } else {
                None
            },
        )
    };
}

impl HeatmapEngine {
    /// A new engine; fails only for an unusable step.
    pub fn new(config: HeatmapConfig, compat: ReferenceCompat) -> Result<Self, GridError> {
        let step = BucketStep::new(config.step)?;
        Ok(HeatmapEngine {
            tape: Tape::new(&config.symbol, step, config.decay),
            inference: Inference::new(&config.symbol, step, config.buffer, config.decay),
            symbol: std::sync::Arc::from(config.symbol.as_str()),
            config,
            compat,
            step,
            zones: None,
            current_minute: 0,
            current_price: 0.0,
            last_balance_log_minute: 0,
            last_boost_log_minute: 0,
            last_cluster_boost: None,
            last_tape_learning_push: 0,
            total_force_orders: 0,
            total_inferences: 0,
            rejected_inputs: 0,
            logging: true,
            records: Vec::new(),
        })
    }

    /// Attaches a zone manager (heatmap.md 6.5).
    pub fn set_zones(&mut self, zones: ZoneManager) {
        self.zones = Some(zones);
    }

    /// The zone manager, when attached.
    pub fn zones(&self) -> Option<&ZoneManager> {
        self.zones.as_ref()
    }

    /// The zone manager, mutably (persistence, records).
    pub fn zones_mut(&mut self) -> Option<&mut ZoneManager> {
        self.zones.as_mut()
    }

    /// Turns log records on or off (on by default).
    pub fn set_logging(&mut self, on: bool) {
        self.logging = on;
    }

    /// Takes the log records produced since the last call.
    pub fn take_records(&mut self) -> Vec<HeatmapRecord> {
        std::mem::take(&mut self.records)
    }

    /// The configuration.
    pub fn config(&self) -> &HeatmapConfig {
        &self.config
    }

    /// The bucket step.
    pub fn step(&self) -> &BucketStep {
        &self.step
    }

    /// Inputs rejected at the boundary so far.
    pub fn rejected_inputs(&self) -> u64 {
        self.rejected_inputs
    }

    /// The tape.
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// The inference.
    pub fn inference(&self) -> &Inference {
        &self.inference
    }

    fn reject<T>(&mut self, r: Result<T, InputError>) -> Result<T, InputError> {
        if r.is_err() {
            self.rejected_inputs += 1;
        }
        r
    }

    /// One observed liquidation (applied immediately).
    pub fn on_force_order(
        &mut self,
        ts: f64,
        side: Side,
        price: f64,
        qty: f64,
        notional: f64,
    ) -> Result<(), InputError> {
        let check = positive("price", price)
            .and(positive("qty", qty))
            .and(positive("notional", notional))
            .and(non_negative("ts", ts));
        self.reject(check)?;
        let entry = self.estimate_entry(price, side);
        let (z, r) = sinks!(self);
        self.tape
            .on_force_order(ts, side, price, qty, notional, entry, z, r);
        self.total_force_orders += 1;
        Ok(())
    }

    /// The entry price of the projected bucket at or next to `price` (6.3 `estimate_entry`).
    pub fn estimate_entry(&self, price: f64, side: Side) -> Option<f64> {
        let map = self.inference.buckets().side(side);
        let lb = self.step.key(price);
        if self.compat.heatmap_b6 {
            // B6: neighbours by float addition, compared bit-exactly with the stored keys.
            let s = self.step.step();
            let base = self.step.price(lb);
            for d in [0.0, -s, s, -2.0 * s, 2.0 * s] {
                let key = base + d;
                let k = self.step.key(key);
                if self.step.price(k).to_bits() == key.to_bits()
                    && let Some(b) = map.get(&k)
                {
                    return Some(b.entry_price);
                }
            }
            None
        } else {
            [0, -1, 1, -2, 2]
                .into_iter()
                .find_map(|d| map.get(&(lb + d)))
                .map(|b| b.entry_price)
        }
    }

    /// The minute rollover (6.3 `on_minute`): tape decay and sweep, inference, zone merges,
    /// cycle records, tape learning.
    pub fn on_minute(&mut self, m: &MinuteInput, now: f64) -> Result<MinuteOutcome, InputError> {
        let check = positive("src", m.src)
            .and(non_negative("high", m.high))
            .and(non_negative("low", m.low))
            .and(non_negative("oi", m.oi))
            .and(non_negative("taker_buy_usd", m.taker_buy_usd))
            .and(non_negative("taker_sell_usd", m.taker_sell_usd));
        self.reject(check)?;
        self.current_minute = m.minute_key;
        self.current_price = m.src;
        self.tape.on_minute(m.minute_key);
        let guard = !self.compat.heatmap_b11;
        let (z, r) = sinks!(self);
        self.tape
            .sweep(m.high, m.low, m.minute_key, now, guard, z, r);
        let compat = InferenceCompat {
            new_oi_ratio: self.compat.heatmap_b1,
            zero_oi_is_value: self.compat.heatmap_b10,
        };
        let (z, r) = sinks!(self);
        let out = self.inference.on_minute(m, now, compat, z, r);
        self.total_inferences += out.inferences as u64;
        let merges = self.zones.as_mut().map_or(0, |z| z.merge_nearby_zones(now));
        if self.logging {
            self.cycle_records(m, now, merges);
        }
        if m.minute_key - self.last_tape_learning_push >= TAPE_LEARNING_INTERVAL {
            self.push_tape_learning();
            self.last_tape_learning_push = m.minute_key;
        }
        Ok(out)
    }

    fn cycle_records(&mut self, m: &MinuteInput, now: f64, merges: u64) {
        let zs = self.zones.as_ref().map(|z| z.summary()).unwrap_or_default();
        let (tl, ts) = self.tape.bucket_counts();
        let (pl, ps) = self.inference.bucket_counts();
        self.records.push(HeatmapRecord::CycleSummary {
            ts: now,
            minute_key: m.minute_key,
            src_price: m.src,
            high: m.high,
            low: m.low,
            total_force_orders: self.total_force_orders,
            total_inferences: self.total_inferences,
            zone_merges: merges,
            active_zones_long: zs.active_zones_long,
            active_zones_short: zs.active_zones_short,
            total_weight_long: zs.total_weight_long,
            total_weight_short: zs.total_weight_short,
            zones_created_total: zs.zones_created_total,
            zones_swept_total: zs.zones_swept_total,
            zones_expired_total: zs.zones_expired_total,
            tape_long_buckets: tl as u64,
            tape_short_buckets: ts as u64,
            tape_total_events: self.tape.total_events(),
            proj_long_buckets: pl as u64,
            proj_short_buckets: ps as u64,
        });
        if m.minute_key - self.last_balance_log_minute >= BALANCE_LOG_EVERY {
            let c = &self.config;
            let (sc, max) = balance(
                self.tape.buckets(),
                self.inference.buckets(),
                |b| b.notional,
                |b| b.size_usd,
                c.tape_weight,
                c.projection_weight,
            );
            self.records.push(HeatmapRecord::HeatmapBalance {
                ts: now,
                symbol: self.symbol.clone(),
                tape_max_raw: py_round(sc.tape_max_raw, 2),
                inf_max_raw: py_round(sc.proj_max_raw, 2),
                tape_scale: py_round(sc.tape, 2),
                inf_scale: py_round(sc.proj, 2),
                combined_max: py_round(max, 6),
            });
            self.last_balance_log_minute = m.minute_key;
        }
    }

    /// Tape learning (6.3 `push_tape_learning`): blends weights toward the tiers observed
    /// liquidations imply. The B7 fix counts only the tiers' own samples among the most recent
    /// ones (capped per-tier rings would all report their capacity on long runs: uniform
    /// again) and skips disabled tiers.
    pub fn push_tape_learning(&mut self) {
        let b7 = self.compat.heatmap_b7;
        if self.tape.offset_distribution(None, b7).count < TAPE_LEARNING_MIN_SAMPLES {
            return;
        }
        let disabled = DisabledTiers::default();
        let tiers: Vec<u32> = if b7 {
            TAPE_LEARNING_TIERS.to_vec()
        } else {
            let t = self.inference.weights().iter().map(|(t, _)| *t);
            t.filter(|t| !disabled.contains(*t)).collect()
        };
        let mut counts: Vec<(u32, f64)> = Vec::new();
        let mut total = 0.0;
        for t in tiers {
            let c = if b7 {
                self.tape.offset_distribution(Some(t), true).count
            } else {
                self.tape.recent_tier_count(t)
            };
            if c > 5 {
                counts.push((t, c as f64));
                total += c as f64;
            }
        }
        if total > 0.0 && counts.len() >= 3 {
            let blended: Vec<(u32, f64)> = self
                .inference
                .weights()
                .iter()
                .map(|(t, old)| {
                    let norm = counts
                        .iter()
                        .find(|(c, _)| c == t)
                        .map_or(*old, |(_, n)| n / total);
                    (*t, old * 0.8 + norm * 0.2)
                })
                .collect();
            self.inference.update_leverage_weights(&blended);
        }
    }

    /// The facade's counters (persisted with the state).
    pub fn counters(&self) -> super::state::EngineCounters {
        super::state::EngineCounters {
            last_tape_learning_push: self.last_tape_learning_push,
            total_force_orders: self.total_force_orders,
            total_inferences: self.total_inferences,
            config_buffer: self.config.buffer,
        }
    }

    /// Restores the layers and counters of a state (see `HeatmapEngine::restore_state`).
    pub(super) fn restore_parts(
        &mut self,
        st: &super::state::HeatmapState,
        factor: f64,
        minute: i64,
    ) -> usize {
        let kept = self.tape.restore_state(&st.tape, factor, minute)
            + self.inference.restore_state(&st.inference, factor, minute);
        self.config.buffer =
            if st.counters.config_buffer.is_finite() && st.counters.config_buffer > 0.0 {
                st.counters.config_buffer
            } else {
                self.inference.buffer()
            };
        self.last_tape_learning_push = st.counters.last_tape_learning_push;
        self.total_force_orders = st.counters.total_force_orders;
        self.total_inferences = st.counters.total_inferences;
        self.current_minute = minute;
        self.current_price = st.inference.current_price;
        kept
    }

    /// Replaces the leverage weights (normalized).
    pub fn update_leverage_weights(&mut self, weights: &[(u32, f64)]) {
        self.inference.update_leverage_weights(weights);
    }

    /// The ladder: sorted tiers of the current weights.
    pub fn ladder(&self) -> Vec<u32> {
        let mut l: Vec<u32> = self.inference.weights().iter().map(|(t, _)| *t).collect();
        l.sort_unstable();
        l
    }

    /// The weights in ladder order.
    pub fn weights_in_ladder_order(&self) -> Vec<f64> {
        let w = self.inference.weights();
        let find = |t: u32| w.iter().find(|(x, _)| *x == t).map_or(0.0, |(_, v)| *v);
        self.ladder().into_iter().map(find).collect()
    }

    /// Adopts calibrated weights and buffer (6.4); false when the lengths differ. The buffer
    /// reaches the projections unless `heatmap_b2` reproduces the reference.
    pub fn apply_calibrated_weights(&mut self, weights: &[f64], buffer: f64) -> bool {
        let ladder = self.ladder();
        // Refused: a wrong length (the reference's only check), and, beyond the reference,
        // non-finite or negative weights, a zero sum, or a bad buffer: none of them can come
        // from a working calibrator, and each would corrupt every later projection.
        let bad_weight = weights.iter().any(|w| !w.is_finite() || *w < 0.0);
        let sum: f64 = weights.iter().sum();
        if weights.len() != ladder.len()
            || bad_weight
            || sum <= 0.0
            || !(buffer.is_finite() && buffer >= 0.0)
        {
            return false;
        }
        let pairs: Vec<(u32, f64)> = ladder.into_iter().zip(weights.iter().copied()).collect();
        self.inference.update_leverage_weights(&pairs);
        self.config.buffer = buffer;
        if !self.compat.heatmap_b2 {
            self.inference.set_buffer(buffer);
        }
        true
    }

    fn combined_raw(&self) -> (Sides<f64>, Scales) {
        let c = &self.config;
        combined_raw(
            &self.tape.heatmap(),
            &self.inference.projections(),
            c.tape_weight,
            c.projection_weight,
        )
    }

    /// [`HeatmapEngine::heatmap_raw`] as `(bucket key, intensity)` lists `[long, short]`, in
    /// the same order with the same values, built without maps: the calibrator's per-minute
    /// input.
    pub fn heatmap_raw_lists(&self) -> [Vec<(i64, f64)>; 2] {
        let c = &self.config;
        let tape = self.tape.buckets();
        let proj = self.inference.buckets();
        let tape: [Pairs; 2] =
            [&tape.long, &tape.short].map(|m| m.iter().map(|(k, b)| (*k, b.notional)).collect());
        let proj: [Pairs; 2] =
            [&proj.long, &proj.short].map(|m| m.iter().map(|(k, b)| (*k, b.size_usd)).collect());
        let mut lists = combined_raw_lists(&tape, &proj, c.tape_weight, c.projection_weight);
        let max = lists
            .iter()
            .flatten()
            .map(|(_, v)| *v)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
            .unwrap_or(1.0);
        if max > 0.0 {
            for (_, v) in lists.iter_mut().flatten() {
                *v /= max;
            }
            lists
        } else {
            [Vec::new(), Vec::new()]
        }
    }

    /// The RAW intensity map (calibrator input): combined, divided by its maximum.
    pub fn heatmap_raw(&self) -> HeatmapView {
        HeatmapView {
            map: divide_by_max(self.combined_raw().0),
        }
    }

    /// The layers of the current state.
    pub fn layers(&self) -> Layers {
        Layers {
            tape: self.tape.heatmap(),
            proj: self.inference.projections(),
        }
    }

    /// The DISPLAY intensity map (snapshots): with the combined-source boost, divided by its
    /// maximum. Writes a `combined_zone_boost` record at most every 10 minutes.
    pub fn heatmap_display(&mut self, now: f64) -> HeatmapView {
        let layers = self.layers();
        self.heatmap_display_from(&layers, now)
    }

    /// [`Self::heatmap_display`] on layers taken earlier in the same rollover.
    pub fn heatmap_display_from(&mut self, layers: &Layers, now: f64) -> HeatmapView {
        let c = &self.config;
        let (map, _, stats) = combined_display(
            &layers.tape,
            &layers.proj,
            c.tape_weight,
            c.projection_weight,
            c.step,
        );
        if self.current_minute - self.last_boost_log_minute >= BALANCE_LOG_EVERY {
            self.last_boost_log_minute = self.current_minute;
            if self.logging {
                self.records.push(HeatmapRecord::CombinedZoneBoost {
                    ts: now,
                    symbol: self.symbol.clone(),
                    buckets: stats,
                    clusters: self.last_cluster_boost.clone(),
                });
            }
        }
        HeatmapView {
            map: divide_by_max(map),
        }
    }

    /// RAW pools around a centre (6.3 `get_api_response`); `None` without a price.
    pub fn pools_raw(&self, req: PoolsRequest, now: f64) -> Option<Pools> {
        self.pools_raw_from(&self.layers(), req, now)
    }

    /// [`Self::pools_raw`] on layers taken earlier in the same rollover.
    pub fn pools_raw_from(&self, layers: &Layers, req: PoolsRequest, now: f64) -> Option<Pools> {
        let c = &self.config;
        let center = if req.center != 0.0 {
            req.center
        } else {
            self.current_price
        };
        if center <= 0.0 || !center.is_finite() {
            return None;
        }
        let w = pools::weighted_usd(
            &layers.tape,
            &layers.proj,
            c.tape_weight,
            c.projection_weight,
        );
        let band = pools::in_band(&self.step, &w, center, req.range_pct);
        let min_n = req.min_notional.unwrap_or(c.min_notional_usd);
        let radius = center * c.cluster_radius_pct;
        let mut long = pools::cluster(&self.step, &band.long, radius, min_n, c.max_pools_per_side);
        let mut short =
            pools::cluster(&self.step, &band.short, radius, min_n, c.max_pools_per_side);
        pools::normalize(&mut long, &mut short);
        let reported_min = match req.min_notional {
            Some(v) if v != 0.0 => v,
            _ => c.min_notional_usd,
        };
        Some(Pools {
            symbol: c.symbol.clone(),
            ts: now,
            price: center,
            range_pct: req.range_pct,
            meta: PoolsMeta {
                tape_weight: c.tape_weight,
                projection_weight: c.projection_weight,
                force_orders_total: self.total_force_orders,
                inferences_total: self.total_inferences,
                cluster_radius_pct: c.cluster_radius_pct,
                min_notional_usd: reported_min,
                long_pools_count: long.len() as u64,
                short_pools_count: short.len() as u64,
                raw_long_buckets: band.long.len() as u64,
                raw_short_buckets: band.short.len() as u64,
            },
            long_levels: long,
            short_levels: short,
        })
    }

    /// DISPLAY pools (6.3 `get_api_response_display`): raw pools with the cluster-level boost.
    pub fn pools_display(&mut self, req: PoolsRequest, now: f64) -> Option<Pools> {
        let layers = self.layers();
        self.pools_display_from(&layers, req, now)
    }

    /// [`Self::pools_display`] on layers taken earlier in the same rollover.
    pub fn pools_display_from(
        &mut self,
        layers: &Layers,
        req: PoolsRequest,
        now: f64,
    ) -> Option<Pools> {
        let mut r = self.pools_raw_from(layers, req, now)?;
        let sc = Scales::of(&layers.tape, &layers.proj);
        self.last_cluster_boost = Some(pools::boost_levels(
            &self.step,
            &mut r,
            &layers.tape,
            &layers.proj,
            &sc,
        ));
        Some(r)
    }

    /// Raw USD per bucket of both layers, unweighted (the additive `long_usd`/`short_usd`).
    pub fn usd_by_bucket(&self) -> Sides<f64> {
        Self::usd_of(&self.layers())
    }

    /// [`Self::usd_by_bucket`] of layers taken earlier.
    pub fn usd_of(layers: &Layers) -> Sides<f64> {
        pools::weighted_usd(&layers.tape, &layers.proj, 1.0, 1.0)
    }

    /// `get_stats()`.
    pub fn stats(&self) -> EngineStats {
        let c = &self.config;
        EngineStats {
            symbol: c.symbol.clone(),
            current_minute: self.current_minute,
            current_price: self.current_price,
            total_force_orders: self.total_force_orders,
            total_inferences: self.total_inferences,
            tape: self.tape.stats(),
            inference: self.inference.stats(),
            config: ConfigStats {
                steps: c.step,
                decay: c.decay,
                buffer: c.buffer,
                tape_weight: c.tape_weight,
                projection_weight: c.projection_weight,
            },
            zone_manager: self.zones.as_ref().map(|z| z.summary()),
        }
    }

    #[cfg(test)]
    pub(crate) fn set_tape_for_test(&mut self, tape: Tape) {
        self.tape = tape;
    }

    /// The last minute key and `src`.
    pub fn current(&self) -> (i64, f64) {
        (self.current_minute, self.current_price)
    }
}

fn divide_by_max(mut s: Sides<f64>) -> Sides<f64> {
    let max = s
        .long
        .values()
        .chain(s.short.values())
        .copied()
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let max = max.unwrap_or(1.0);
    if max > 0.0 {
        for m in [&mut s.long, &mut s.short] {
            for v in m.values_mut() {
                *v /= max;
            }
        }
        s
    } else {
        Sides::default()
    }
}
