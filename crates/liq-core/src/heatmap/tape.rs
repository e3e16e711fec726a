//! The liquidation tape: observed liquidations per bucket (heatmap.md 6.1).
//!
//! Each liquidation adds its USD notional to its bucket; every minute buckets decay and are
//! dropped under $100; a bucket the minute's range crosses is hard-deleted.

use std::collections::VecDeque;

use indexmap::IndexMap;
use serde::Serialize;

use super::records::{HeatmapRecord, SweepReason};
use super::sides::{BucketMap, Sides, crossed_keys};
use super::zones::{ZoneSink, ZoneSource};
use crate::event::Side;
use crate::grid::{BucketStep, py_round};

/// Buckets under this many USD are deleted.
pub const MIN_BUCKET_USD: f64 = 100.0;
/// The event ring of the reference (720 minutes x 10); only its length is observable.
pub const EVENT_RING: usize = 7200;
/// Offset samples kept per tier.
pub const OFFSET_RING: usize = 500;
/// The tiers offset learning assigns samples to.
pub const OFFSET_TIERS: [u32; 8] = [5, 10, 20, 25, 50, 75, 100, 125];
/// The buffer assumed by offset learning.
pub const OFFSET_BUFFER: f64 = 0.002;

/// One tape bucket.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct LiqBucket {
    /// USD notional, decaying.
    pub notional: f64,
    /// Events added.
    pub count: u32,
    /// Time of the last event.
    pub last_ts: f64,
}

/// Statistics of the learned entry offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OffsetDistribution {
    /// Mean signed offset.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Sample count.
    pub count: usize,
}

/// `tape.get_stats()` (key order of the V2 snapshot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TapeStats {
    /// Symbol.
    pub symbol: String,
    /// Events ever added.
    pub total_events: u64,
    /// Long notional ever added.
    pub total_long_notional: f64,
    /// Short notional ever added.
    pub total_short_notional: f64,
    /// Live long buckets.
    pub long_buckets: u64,
    /// Live short buckets.
    pub short_buckets: u64,
    /// Events in the 7200-event window.
    pub events_in_window: u64,
    /// Offset samples per tier (keys are tiers as strings).
    pub offset_samples_by_lev: IndexMap<String, u64>,
}

/// The tape of one symbol.
#[derive(Clone, Debug)]
pub struct Tape {
    symbol: std::sync::Arc<str>,
    step: BucketStep,
    decay: f64,
    buckets: Sides<LiqBucket>,
    events_in_window: usize,
    offset_samples: IndexMap<u32, VecDeque<(f64, Side)>>,
    /// Tiers of the most recent offsets of all tiers, oldest first.
    recent_tiers: VecDeque<u32>,
    total_long_notional: f64,
    total_short_notional: f64,
    total_events: u64,
    current_minute: i64,
}

fn tier_of(lev: f64) -> u32 {
    // Nearest tier; the first (lower) one on ties.
    let mut best = OFFSET_TIERS[0];
    for t in OFFSET_TIERS {
        if (f64::from(t) - lev).abs() < (f64::from(best) - lev).abs() {
            best = t;
        }
    }
    best
}

fn distribution<'a>(values: impl Iterator<Item = &'a f64> + Clone) -> OffsetDistribution {
    let count = values.clone().count();
    if count == 0 {
        return OffsetDistribution::default();
    }
    let mean = values.clone().sum::<f64>() / count as f64;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / count as f64;
    OffsetDistribution {
        mean,
        std: var.sqrt(),
        count,
    }
}

impl Tape {
    /// An empty tape.
    pub fn new(symbol: &str, step: BucketStep, decay: f64) -> Self {
        Tape {
            symbol: std::sync::Arc::from(symbol),
            step,
            decay,
            buckets: Sides::default(),
            events_in_window: 0,
            offset_samples: IndexMap::new(),
            recent_tiers: VecDeque::new(),
            total_long_notional: 0.0,
            total_short_notional: 0.0,
            total_events: 0,
            current_minute: 0,
        }
    }

    /// The persistent part of the tape (DECISIONS heatmap 5).
    pub fn export_state(&self) -> super::state::TapeState {
        let side = |m: &BucketMap<LiqBucket>| m.iter().map(|(k, b)| (*k, b.clone())).collect();
        super::state::TapeState {
            long: side(&self.buckets.long),
            short: side(&self.buckets.short),
            events_in_window: self.events_in_window as u64,
            offset_samples: self
                .offset_samples
                .iter()
                .map(|(t, r)| (*t, r.iter().copied().collect()))
                .collect(),
            recent_tiers: self.recent_tiers.iter().copied().collect(),
            total_long_notional: self.total_long_notional,
            total_short_notional: self.total_short_notional,
            total_events: self.total_events,
        }
    }

    /// Restores an exported state, each bucket decayed by `factor` (the minutes that passed)
    /// and dropped under $100. Returns the buckets kept.
    pub fn restore_state(
        &mut self,
        st: &super::state::TapeState,
        factor: f64,
        minute: i64,
    ) -> usize {
        let side = |v: &[(i64, LiqBucket)]| -> BucketMap<LiqBucket> {
            v.iter()
                .filter_map(|(k, b)| {
                    let notional = b.notional * factor;
                    (notional >= MIN_BUCKET_USD).then(|| {
                        (
                            *k,
                            LiqBucket {
                                notional,
                                ..b.clone()
                            },
                        )
                    })
                })
                .collect()
        };
        self.buckets = Sides {
            long: side(&st.long),
            short: side(&st.short),
        };
        self.events_in_window = usize::try_from(st.events_in_window)
            .unwrap_or(usize::MAX)
            .min(EVENT_RING);
        self.offset_samples = st
            .offset_samples
            .iter()
            .map(|(t, r)| {
                (
                    *t,
                    r.iter().copied().rev().take(OFFSET_RING).rev().collect(),
                )
            })
            .collect();
        self.recent_tiers = st
            .recent_tiers
            .iter()
            .copied()
            .rev()
            .take(OFFSET_RING)
            .rev()
            .collect();
        self.total_long_notional = st.total_long_notional;
        self.total_short_notional = st.total_short_notional;
        self.total_events = st.total_events;
        self.current_minute = minute;
        self.buckets.long.len() + self.buckets.short.len()
    }

    /// Adds one liquidation (6.1 `on_force_order`); `entry` feeds offset learning.
    #[allow(clippy::too_many_arguments)]
    pub fn on_force_order(
        &mut self,
        ts: f64,
        side: Side,
        price: f64,
        qty: f64,
        notional: f64,
        entry: Option<f64>,
        zones: Option<&mut dyn ZoneSink>,
        records: Option<&mut Vec<HeatmapRecord>>,
    ) {
        let k = self.step.key(price);
        let bucket_price = self.step.price(k);
        match side {
            Side::Long => self.total_long_notional += notional,
            Side::Short => self.total_short_notional += notional,
        }
        let b = self.buckets.side_mut(side).entry(k).or_insert(LiqBucket {
            notional: 0.0,
            count: 0,
            last_ts: ts,
        });
        b.notional += notional;
        b.count += 1;
        b.last_ts = ts;
        self.events_in_window = (self.events_in_window + 1).min(EVENT_RING);
        self.total_events += 1;
        if let Some(e) = entry.filter(|e| *e > 0.0) {
            self.learn_offset(side, price, e);
        }
        if let Some(z) = zones {
            let w = notional / 100000.0;
            z.create_or_reinforce(bucket_price, side, w, ZoneSource::Tape, None, 1.0, ts);
        }
        if let Some(r) = records {
            r.push(HeatmapRecord::ForceOrder {
                ts,
                symbol: self.symbol.clone(),
                side,
                price,
                qty,
                notional,
                bucket: bucket_price,
                entry_est: entry,
            });
        }
    }

    /// Records the entry offset of a liquidation whose entry price is estimated.
    pub fn learn_offset(&mut self, side: Side, liq: f64, entry: f64) {
        if entry <= 0.0 {
            return;
        }
        let off = (entry - liq) / entry;
        let a = off.abs();
        if a > OFFSET_BUFFER {
            let tier = tier_of(1.0 / (a - OFFSET_BUFFER));
            let ring = self.offset_samples.entry(tier).or_default();
            if ring.len() == OFFSET_RING {
                ring.pop_front();
            }
            ring.push_back((off, side));
            if self.recent_tiers.len() == OFFSET_RING {
                self.recent_tiers.pop_front();
            }
            self.recent_tiers.push_back(tier);
        }
    }

    /// Samples of `tier` among the most recent [`OFFSET_RING`] offsets of all tiers: the tape
    /// learning count of the B7 fix. The per-tier rings fill up to the same capacity on long
    /// runs, so their lengths would report every tier alike and flatten the weights.
    pub fn recent_tier_count(&self, tier: u32) -> usize {
        self.recent_tiers.iter().filter(|t| **t == tier).count()
    }

    /// Offset statistics of one tier (`None`: all tiers).
    ///
    /// `reference_b7`: a tier without samples reports the aggregate of all tiers (heatmap B7);
    /// otherwise it reports zero samples.
    pub fn offset_distribution(&self, tier: Option<u32>, reference_b7: bool) -> OffsetDistribution {
        match tier.filter(|t| *t != 0) {
            Some(t) => match self.offset_samples.get(&t) {
                Some(ring) if !ring.is_empty() => distribution(ring.iter().map(|(o, _)| o)),
                _ if reference_b7 => self.offset_distribution(None, true),
                _ => OffsetDistribution::default(),
            },
            None => distribution(self.offset_samples.values().flatten().map(|(o, _)| o)),
        }
    }

    /// Per-minute decay: every bucket times `decay`, under $100 deleted.
    pub fn on_minute(&mut self, minute_key: i64) {
        self.current_minute = minute_key;
        let decay = self.decay;
        for map in [&mut self.buckets.long, &mut self.buckets.short] {
            map.retain(|_, b| {
                b.notional *= decay;
                b.notional >= MIN_BUCKET_USD
            });
        }
    }

    /// Hard-deletes the buckets the minute's range crossed (shorts `high >= price`, then longs
    /// `low <= price`); returns `(count, notional)`. With `guard_zero` (the B11 fix) nothing is
    /// swept when `high` or `low` is 0.
    #[allow(clippy::too_many_arguments)]
    pub fn sweep(
        &mut self,
        high: f64,
        low: f64,
        minute_key: i64,
        now: f64,
        guard_zero: bool,
        zones: Option<&mut dyn ZoneSink>,
        mut records: Option<&mut Vec<HeatmapRecord>>,
    ) -> (u64, f64) {
        let (mut count, mut notional) = (0u64, 0.0f64);
        if guard_zero && (high == 0.0 || low == 0.0) {
            return (count, notional);
        }
        let step = self.step;
        for side in [Side::Short, Side::Long] {
            let map = self.buckets.side_mut(side);
            let swept = crossed_keys(map, &step, side, high, low);
            for k in swept {
                let Some(b) = map.shift_remove(&k) else {
                    continue;
                };
                count += 1;
                notional += b.notional;
                if let Some(r) = records.as_deref_mut() {
                    let p = step.price(k);
                    r.push(sweep_record(side, p, high, low, minute_key, now, &b));
                }
            }
        }
        if let Some(z) = zones {
            z.sweep(high, low, now);
        }
        (count, notional)
    }

    /// The live buckets.
    pub fn buckets(&self) -> &Sides<LiqBucket> {
        &self.buckets
    }

    /// The tape's USD per bucket.
    pub fn heatmap(&self) -> Sides<f64> {
        let conv = |m: &BucketMap<LiqBucket>| m.iter().map(|(k, b)| (*k, b.notional)).collect();
        Sides {
            long: conv(&self.buckets.long),
            short: conv(&self.buckets.short),
        }
    }

    /// Number of live buckets per side.
    pub fn bucket_counts(&self) -> (usize, usize) {
        (self.buckets.long.len(), self.buckets.short.len())
    }

    /// Events ever added.
    pub fn total_events(&self) -> u64 {
        self.total_events
    }

    /// `get_stats()`.
    pub fn stats(&self) -> TapeStats {
        TapeStats {
            symbol: self.symbol.to_string(),
            total_events: self.total_events,
            total_long_notional: self.total_long_notional,
            total_short_notional: self.total_short_notional,
            long_buckets: self.buckets.long.len() as u64,
            short_buckets: self.buckets.short.len() as u64,
            events_in_window: self.events_in_window as u64,
            offset_samples_by_lev: self
                .offset_samples
                .iter()
                .map(|(t, r)| (t.to_string(), r.len() as u64))
                .collect(),
        }
    }
}

fn sweep_record(
    side: Side,
    price: f64,
    high: f64,
    low: f64,
    minute_key: i64,
    now: f64,
    b: &LiqBucket,
) -> HeatmapRecord {
    let reason = SweepReason { side, price };
    let (trigger_high, trigger_low) = reason.triggers(high, low);
    HeatmapRecord::Sweep {
        ts: now,
        minute_key,
        side,
        bucket: price,
        total_notional_usd: py_round(b.notional, 2),
        trade_count: u64::from(b.count),
        peak_notional_usd: py_round(b.notional / f64::from(b.count.max(1)), 2),
        layer: "tape",
        reason,
        trigger_high,
        trigger_low,
        reduced_to_usd: None,
        deleted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape() -> Tape {
        Tape::new("BTC", BucketStep::new(20.0).unwrap(), 0.995)
    }

    #[test]
    fn tier_rounding_prefers_the_lower_tier_on_ties() {
        assert_eq!(tier_of(7.5), 5);
        assert_eq!(tier_of(15.0), 10);
        assert_eq!(tier_of(22.5), 20);
        assert_eq!(tier_of(200.0), 125);
        assert_eq!(tier_of(1.0), 5);
        assert_eq!(tier_of(20.08), 20);
    }

    #[test]
    fn decay_floor_and_sweep_delete() {
        let mut t = tape();
        t.on_force_order(1.0, Side::Long, 49000.0, 1.0, 49000.0, None, None, None);
        t.on_force_order(2.0, Side::Short, 51234.0, 0.5, 25617.0, None, None, None);
        t.on_force_order(3.0, Side::Long, 48765.0, 0.2, 9753.0, None, None, None);
        t.on_force_order(4.0, Side::Short, 50000.0, 0.001, 100.0, None, None, None);
        t.on_minute(1);
        let h = t.heatmap();
        assert_eq!(h.long[&2450], 48755.0);
        assert!(!h.short.contains_key(&2500), "100 * 0.995 < 100 is deleted");
        let mut recs = Vec::new();
        let (n, usd) = t.sweep(51300.0, 48900.0, 1, 9.0, true, None, Some(&mut recs));
        assert_eq!(n, 2);
        assert!((usd - (25617.0 * 0.995 + 48755.0)).abs() < 1e-9);
        assert_eq!(t.bucket_counts(), (1, 0));
        assert_eq!(recs.len(), 2);
        let v = serde_json::to_value(&recs[0]).unwrap();
        assert_eq!(v["reason"], "high>=51240");
        assert_eq!(v["layer"], "tape");
        assert_eq!(v["trigger_high"], 51300.0);
    }

    #[test]
    fn b11_guard() {
        let mut t = tape();
        t.on_force_order(1.0, Side::Long, 49000.0, 1.0, 49000.0, None, None, None);
        assert_eq!(t.sweep(50000.0, 0.0, 1, 0.0, true, None, None).0, 0);
        assert_eq!(t.sweep(50000.0, 0.0, 1, 0.0, false, None, None).0, 1);
    }

    #[test]
    fn b7_offset_distribution_fallback() {
        let mut t = tape();
        for _ in 0..60 {
            t.learn_offset(Side::Long, 49500.0, 50000.0);
        }
        assert_eq!(t.offset_distribution(Some(125), true).count, 60);
        let agg = t.offset_distribution(Some(20), true);
        assert_eq!(agg.count, 60);
        assert!((agg.mean - 0.01).abs() < 1e-12);
        assert_eq!(t.offset_distribution(Some(20), false).count, 0);
        assert_eq!(t.stats().offset_samples_by_lev["125"], 60);
    }
}
