//! The self-calibrating leverage-weight learner (calibrator.md), one per symbol, pure: events
//! and minute snapshots in; weights, buffer, a file to save and log records out.
//!
//! Module map: [`config`] constants and switches, [`input`] what the engine hands in,
//! [`state`] window statistics, `attribution` events, `approach` approach learning and the
//! unreached penalty, [`update`] the learning rules, [`safety`] the kill switches, `run` the
//! calibration run, [`persist`] the weights file, [`records`] the log records.
//!
//! Our fixes are the default; the `reference()` preset of [`crate::compat::ReferenceCompat`]
//! reproduces the Python calibrator (its section 12 bugs), see [`config::CalibratorCompat`].

mod approach;
mod attribution;
pub mod config;
pub mod input;
mod load;
pub mod persist;
pub mod records;
mod run;
pub mod safety;
pub mod state;
pub mod update;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use config::{CalibratorCompat, CalibratorConfig};
pub use input::{LiquidationInput, MinuteSnapshotInput, SnapshotError};
pub use load::LoadReport;
pub use persist::{PersistedWeights, WeightsFile, WeightsFileError};
pub use records::CalibratorRecord;
pub use run::CalibrationResult;

use crate::grid::{ndigits, py_round};
use attribution::Event;
use config::{SNAPSHOT_RETENTION_EXTRA, VOL_BASELINE};
use records::{DepthBandEmpty, DepthBandStats, MinuteInputs, Ts};
use safety::SafetyCounters;
use state::{MinuteCacheEntry, SrcSource, StoredSnapshot, WindowStats};

/// One symbol's calibrator.
#[derive(Clone, Debug)]
pub struct Calibrator {
    cfg: CalibratorConfig,
    steps: f64,
    ndigits: u32,
    tolerance: i64,
    snapshots: BTreeMap<i64, Arc<StoredSnapshot>>,
    stats: WindowStats,
    ladder: Vec<u32>,
    weights: Vec<f64>,
    buffer: f64,
    long_offset: f64,
    short_offset: f64,
    bias_long: f64,
    bias_short: f64,
    vol_ewma: f64,
    last_src_price: f64,
    calibration_count: u64,
    minutes_since_calibration: u32,
    cache: Option<MinuteCacheEntry>,
    calibration_enabled: bool,
    counters: SafetyCounters,
    minutes_no_mark: u64,
    mark_warning_emitted: bool,
    records: Vec<CalibratorRecord>,
    dropped_events: u64,
    last_drop_warning: Option<i64>,
    ignored_events: u64,
}

/// A read-only view for the API and the dashboard (6.7).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CalibratorStats {
    /// Events of the open window.
    pub total_events: u64,
    /// Binary hits of the open window.
    pub hits: u64,
    /// Binary misses of the open window.
    pub misses: u64,
    /// `hits / max(total, 1)`.
    pub hit_rate: f64,
    /// Calibrations run.
    pub calibration_count: u64,
    /// Snapshots since the last run.
    pub minutes_since_calibration: u32,
    /// Current weights by tier.
    pub current_weights: Vec<(u32, f64)>,
    /// Current buffer.
    pub current_buffer: f64,
    /// Whether proposals are still adopted.
    pub calibration_enabled: bool,
    /// Events dropped because no snapshot covered their minute.
    pub dropped_events: u64,
    /// Events ignored (another symbol, a non-positive or non-finite price).
    pub ignored_events: u64,
}

impl Calibrator {
    /// A calibrator in its initial state (3.6), before any weights file.
    fn fresh(cfg: CalibratorConfig) -> Self {
        Calibrator {
            steps: cfg.steps,
            ndigits: ndigits(cfg.steps),
            tolerance: cfg.hit_bucket_tolerance,
            snapshots: BTreeMap::new(),
            stats: WindowStats::default(),
            ladder: Vec::new(),
            weights: Vec::new(),
            buffer: 0.002,
            long_offset: 0.0,
            short_offset: 0.0,
            bias_long: 0.0,
            bias_short: 0.0,
            vol_ewma: VOL_BASELINE,
            last_src_price: 0.0,
            calibration_count: 0,
            minutes_since_calibration: 0,
            cache: None,
            calibration_enabled: true,
            counters: SafetyCounters::default(),
            minutes_no_mark: 0,
            mark_warning_emitted: false,
            records: Vec::new(),
            dropped_events: 0,
            last_drop_warning: None,
            ignored_events: 0,
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CalibratorConfig {
        &self.cfg
    }

    /// Drains the log records produced since the last call.
    pub fn take_records(&mut self) -> Vec<CalibratorRecord> {
        std::mem::take(&mut self.records)
    }

    fn push(&mut self, rec: CalibratorRecord) {
        if self.cfg.logging {
            self.records.push(rec);
        }
    }

    /// 6.2: one liquidation. Events of another symbol, with a non-positive or non-finite
    /// price are ignored (counted in [`CalibratorStats::ignored_events`]).
    pub fn on_liquidation(&mut self, input: &LiquidationInput) {
        if !input.is_usable() || input.price <= 0.0 || input.symbol != self.cfg.symbol {
            self.ignored_events += 1;
            return;
        }
        let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
        let (src, source) = [
            (finite(input.mark_price), SrcSource::Mark),
            (finite(input.mid_price), SrcSource::Mid),
            (finite(input.last_price), SrcSource::Last),
        ]
        .into_iter()
        .find(|(p, _)| *p > 0.0)
        .unwrap_or((0.0, SrcSource::FallbackOhlc4));
        let qty = input.qty;
        let ev = Event {
            timestamp: input.timestamp,
            side: input.side,
            price: input.price,
            qty,
            notional: input.price * qty,
            minute_key: (input.timestamp / 60.0).floor() as i64,
            src,
            source,
        };
        self.process_event(&ev);
    }

    /// 6.6: the snapshot of the event's minute, else the newest earlier one.
    fn snapshot_for(&self, minute_key: i64) -> Option<Arc<StoredSnapshot>> {
        self.snapshots
            .range(..=minute_key)
            .next_back()
            .map(|(_, s)| Arc::clone(s))
    }

    /// Counts an event no snapshot covers, with one warning per event minute.
    fn drop_event(&mut self, minute_key: i64) {
        self.dropped_events += 1;
        if self.last_drop_warning != Some(minute_key) {
            self.last_drop_warning = Some(minute_key);
            tracing::warn!(
                symbol = %self.cfg.symbol,
                minute_key,
                dropped_total = self.dropped_events,
                "calibrator: liquidation dropped, no minute snapshot covers its minute"
            );
        }
    }

    /// 6.4: one minute snapshot; on every `window_minutes`-th call a calibration runs and its
    /// result (weights and buffer for the engine, the file to save) is returned. A snapshot
    /// that fails validation changes nothing.
    pub fn on_minute_snapshot(
        &mut self,
        snap: &MinuteSnapshotInput,
        now: f64,
    ) -> Result<Option<CalibrationResult>, SnapshotError> {
        snap.validate(&self.cfg.symbol)?;
        self.apply_snapshot(snap.clone(), now)
    }

    /// [`Calibrator::on_minute_snapshot`] taking the snapshot by value (no copy of its zones).
    pub fn on_minute_snapshot_owned(
        &mut self,
        snap: MinuteSnapshotInput,
        now: f64,
    ) -> Result<Option<CalibrationResult>, SnapshotError> {
        snap.validate(&self.cfg.symbol)?;
        self.apply_snapshot(snap, now)
    }

    fn apply_snapshot(
        &mut self,
        mut snap: MinuteSnapshotInput,
        now: f64,
    ) -> Result<Option<CalibrationResult>, SnapshotError> {
        let minute_key = (snap.timestamp / 60.0).floor() as i64;
        self.minute_records(&snap, minute_key);
        self.ladder.clone_from(&snap.ladder);
        self.weights.clone_from(&snap.weights);
        self.buffer = snap.buffer;
        self.steps = snap.steps;
        let or_src = |v: Option<f64>| v.unwrap_or(snap.src);
        let entry = MinuteCacheEntry {
            minute_key,
            src: snap.src,
            high: or_src(snap.high),
            low: or_src(snap.low),
            close: or_src(snap.close),
            buy: snap.perp_buy_vol.unwrap_or(0.0),
            sell: snap.perp_sell_vol.unwrap_or(0.0),
            oi_change: snap.perp_oi_change.unwrap_or(0.0),
            depth_band: snap.depth_band.take().unwrap_or_default(),
        };
        let stored = Arc::new(StoredSnapshot {
            timestamp: snap.timestamp,
            minute_key,
            src: snap.src,
            pred_longs: std::mem::take(&mut snap.pred_longs),
            pred_shorts: std::mem::take(&mut snap.pred_shorts),
            ladder: std::mem::take(&mut snap.ladder),
            weights: std::mem::take(&mut snap.weights),
            buffer: snap.buffer,
            steps: snap.steps,
        });
        self.snapshots.insert(minute_key, Arc::clone(&stored));
        self.stats.window_snapshots.push(Arc::clone(&stored));
        let has_range = snap.high.is_some() && snap.low.is_some();
        if !self.cfg.compat.b7_vol_per_event
            && has_range
            && entry.src > 0.0
            && entry.high >= entry.low
        {
            // B7 fixed: one volatility sample per minute, the minute's range over its price
            // (its scale matches VOL_BASELINE; close-to-close returns would pin the floor). A
            // minute without a known range is no sample.
            self.vol_update((entry.high - entry.low) / entry.src);
        }
        let prev = self.cache.take();
        self.process_approach(&stored, &entry, prev.as_ref());
        self.cache = Some(entry);

        let keep_from = minute_key - i64::from(self.cfg.window_minutes) - SNAPSHOT_RETENTION_EXTRA;
        while let Some(oldest) = self.snapshots.first_entry() {
            if *oldest.key() >= keep_from {
                break;
            }
            oldest.remove();
        }
        self.minutes_since_calibration += 1;
        if self.minutes_since_calibration >= self.cfg.window_minutes {
            return Ok(Some(self.run_calibration(minute_key, &stored, now)));
        }
        Ok(None)
    }

    /// 9.4 to 9.6: the minute's input records.
    fn minute_records(&mut self, snap: &MinuteSnapshotInput, minute_key: i64) {
        if !self.cfg.logging {
            return;
        }
        let inputs = [
            ("high", snap.high),
            ("low", snap.low),
            ("close", snap.close),
            ("perp_buy_vol", snap.perp_buy_vol),
            ("perp_sell_vol", snap.perp_sell_vol),
            ("perp_oi_change", snap.perp_oi_change),
        ];
        let mut missing: Vec<&'static str> = inputs
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| *k)
            .collect();
        if snap.depth_band.is_none() {
            missing.push("depth_band");
        }
        let r = |v: Option<f64>, n| v.map(|x| py_round(x, n));
        self.push(CalibratorRecord::MinuteInputs(MinuteInputs {
            minute_key,
            timestamp: Ts(snap.timestamp),
            src: py_round(snap.src, 2),
            high: r(snap.high, 2),
            low: r(snap.low, 2),
            close: r(snap.close, 2),
            buy_vol: r(snap.perp_buy_vol, 4),
            sell_vol: r(snap.perp_sell_vol, 4),
            oi_change: r(snap.perp_oi_change, 4),
            ok: missing.is_empty(),
            missing,
        }));
        let src = py_round(snap.src, 2);
        let rec = match snap.depth_band.as_deref() {
            Some(band) if !band.is_empty() => {
                let mut v: Vec<f64> = band.iter().map(|(_, n)| *n).collect();
                v.sort_by(f64::total_cmp);
                let n = v.len();
                let pick = |q: f64| v[((q * n as f64).floor() as usize).min(n - 1)];
                CalibratorRecord::DepthBandStats(DepthBandStats {
                    minute_key,
                    src,
                    n_buckets: n as u64,
                    notional_total: py_round(attribution::py_sum(band.iter().map(|(_, n)| *n)), 2),
                    notional_p50: py_round(pick(0.5), 2),
                    notional_p95: py_round(pick(0.95), 2),
                    bounds: [py_round(snap.src * 0.98, 2), py_round(snap.src * 1.02, 2)],
                })
            }
            band => CalibratorRecord::DepthBandEmpty(DepthBandEmpty {
                minute_key,
                reason: if band.is_some() {
                    "no_book"
                } else {
                    "state_missing"
                },
                src,
            }),
        };
        self.push(rec);
    }

    /// 6.7 `get_stats`.
    pub fn stats(&self) -> CalibratorStats {
        let s = &self.stats;
        CalibratorStats {
            total_events: s.total_events,
            hits: s.hits,
            misses: s.misses,
            hit_rate: s.hits as f64 / s.total_events.max(1) as f64,
            calibration_count: self.calibration_count,
            minutes_since_calibration: self.minutes_since_calibration,
            current_weights: self
                .ladder
                .iter()
                .copied()
                .zip(self.weights.iter().copied())
                .collect(),
            current_buffer: self.buffer,
            calibration_enabled: self.calibration_enabled,
            dropped_events: self.dropped_events,
            ignored_events: self.ignored_events,
        }
    }

    /// The current ladder.
    pub fn ladder(&self) -> &[u32] {
        &self.ladder
    }

    /// The current weights, aligned with [`Calibrator::ladder`].
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The current buffer.
    pub fn buffer(&self) -> f64 {
        self.buffer
    }

    /// The current hit tolerance in buckets.
    pub fn tolerance(&self) -> i64 {
        self.tolerance
    }

    /// Whether proposals are still adopted (false after a safety trip, for the process).
    pub fn calibration_enabled(&self) -> bool {
        self.calibration_enabled
    }

    /// The current volatility EWMA.
    pub fn vol_ewma(&self) -> f64 {
        self.vol_ewma
    }

    /// Biases `(long, short)`.
    pub fn bias(&self) -> (f64, f64) {
        (self.bias_long, self.bias_short)
    }

    /// Legacy offsets `(long, short)`, USD.
    pub fn offsets(&self) -> (f64, f64) {
        (self.long_offset, self.short_offset)
    }

    /// The statistics of the open window.
    pub fn window(&self) -> &WindowStats {
        &self.stats
    }

    /// 6.7 `get_persisted_weights`: what the engine adopts at start-up (valid before the first
    /// snapshot), when a ladder and weights are known.
    pub fn persisted_weights(&self) -> Option<(Vec<u32>, Vec<f64>, f64, u64)> {
        (!self.ladder.is_empty() && !self.weights.is_empty()).then(|| {
            (
                self.ladder.clone(),
                self.weights.clone(),
                self.buffer,
                self.calibration_count,
            )
        })
    }
}
