//! One symbol's heatmap engine and calibrator wired together as the reference's rollover does
//! (heatmap.md 3.2 steps 1, 4 and 7; calibrator.md 2.1 to 2.3): liquidations go to both, the
//! minute close runs the heatmap first, adopts the persisted weights once, then hands the raw
//! heatmap to the calibrator, whose weights and buffer go back to the engine.
//!
//! The seed of the engine manager (order books, zones and durable state join it later); replays
//! drive it through [`SymbolPipeline::apply_replay`].

use thiserror::Error;

use crate::calibrator::{
    CalibrationResult, Calibrator, CalibratorRecord, LiquidationInput, MinuteSnapshotInput,
    SnapshotError,
};
use crate::event::Side;
use crate::heatmap::inference::MinuteOutcome;
use crate::heatmap::replay::{MinuteBar, ReplayFeeder, ReplayRecord};
use crate::heatmap::{HeatmapEngine, HeatmapRecord, InputError, MinuteInput};

/// Why a minute close failed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PipelineError {
    /// The heatmap refused the minute (nothing changed).
    #[error("heatmap: {0}")]
    Heatmap(#[from] InputError),
    /// The calibrator refused the snapshot (the heatmap minute was applied).
    #[error("calibrator: {0}")]
    Calibrator(#[from] SnapshotError),
}

/// Event-time reference prices of a liquidation (0 = unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EventPrices {
    /// Mark price.
    pub mark: f64,
    /// Order-book mid.
    pub mid: f64,
    /// Last close of the symbol's price tracker.
    pub last: f64,
}

/// Everything a minute close needs beyond the heatmap's own input.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteClose {
    /// The heatmap's input (minute key M, the minute that starts).
    pub input: MinuteInput,
    /// Rollover instant, Unix seconds (within minute M).
    pub ts: f64,
    /// Open of the finished minute, when known.
    pub open: Option<f64>,
    /// Close of the finished minute, when known.
    pub close: Option<f64>,
    /// Taker buy volume, base units.
    pub buy_qty: Option<f64>,
    /// Taker sell volume, base units.
    pub sell_qty: Option<f64>,
    /// OI change over the minute, base units.
    pub oi_change: Option<f64>,
    /// Order-book notional per bucket within ±2 % (`Some(empty)`: no book; `None`: unknown).
    pub depth_band: Option<Vec<(f64, f64)>>,
}

/// What a minute close did.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteReport {
    /// The heatmap's minute.
    pub outcome: MinuteOutcome,
    /// The calibration run of this minute, if one ran.
    pub calibration: Option<CalibrationResult>,
    /// Whether the engine took the calibrated weights (false: a ladder length mismatch).
    pub weights_applied: bool,
}

/// A symbol's heatmap and calibrator.
pub struct SymbolPipeline {
    heatmap: HeatmapEngine,
    calibrator: Calibrator,
    persisted_pending: bool,
    last_close: f64,
}

impl SymbolPipeline {
    /// Wires an engine and a calibrator (built from its weights file, if any).
    pub fn new(heatmap: HeatmapEngine, calibrator: Calibrator) -> Self {
        SymbolPipeline {
            heatmap,
            calibrator,
            persisted_pending: true,
            last_close: 0.0,
        }
    }

    /// The heatmap engine.
    pub fn heatmap(&self) -> &HeatmapEngine {
        &self.heatmap
    }

    /// The heatmap engine, mutably (snapshots, display getters).
    pub fn heatmap_mut(&mut self) -> &mut HeatmapEngine {
        &mut self.heatmap
    }

    /// The calibrator.
    pub fn calibrator(&self) -> &Calibrator {
        &self.calibrator
    }

    /// Drains both components' log records.
    pub fn take_records(&mut self) -> (Vec<HeatmapRecord>, Vec<CalibratorRecord>) {
        (self.heatmap.take_records(), self.calibrator.take_records())
    }

    /// One liquidation: to the tape, then to the calibrator (both calls, seed rules 2 and 6).
    pub fn on_liquidation(
        &mut self,
        ts: f64,
        side: Side,
        price: f64,
        qty: f64,
        notional: f64,
        prices: EventPrices,
    ) -> Result<(), InputError> {
        self.heatmap
            .on_force_order(ts, side, price, qty, notional)?;
        self.calibrator.on_liquidation(&LiquidationInput {
            timestamp: ts,
            symbol: self.calibrator.config().symbol.clone(),
            side,
            price,
            qty,
            mark_price: prices.mark,
            mid_price: prices.mid,
            last_price: prices.last,
        });
        Ok(())
    }

    /// The minute close: [`SymbolPipeline::heatmap_minute`] then
    /// [`SymbolPipeline::calibrate_minute`].
    pub fn on_minute(&mut self, m: &MinuteClose) -> Result<MinuteReport, PipelineError> {
        let outcome = self.heatmap_minute(m)?;
        let (calibration, weights_applied) = self.calibrate_minute(m)?;
        Ok(MinuteReport {
            outcome,
            calibration,
            weights_applied,
        })
    }

    /// Rollover step 1: the heatmap's minute. The V2 snapshot of the minute is built after
    /// this and before [`SymbolPipeline::calibrate_minute`] (heatmap.md 3.2).
    pub fn heatmap_minute(&mut self, m: &MinuteClose) -> Result<MinuteOutcome, PipelineError> {
        let outcome = self.heatmap.on_minute(&m.input, m.ts)?;
        if let Some(c) = m.close.filter(|c| *c > 0.0) {
            self.last_close = c;
        }
        Ok(outcome)
    }

    /// Rollover steps 4 and 7: the persisted weights (first minute only), the calibrator's
    /// snapshot from the RAW heatmap, and the calibrated weights and buffer back to the engine.
    /// Returns the calibration run, if one ran, and whether the engine took its weights.
    pub fn calibrate_minute(
        &mut self,
        m: &MinuteClose,
    ) -> Result<(Option<CalibrationResult>, bool), PipelineError> {
        if std::mem::take(&mut self.persisted_pending)
            && let Some((_, weights, buffer, _)) = self.calibrator.persisted_weights()
        {
            self.heatmap.apply_calibrated_weights(&weights, buffer);
        }
        let [long, short] = self.heatmap.heatmap_raw_lists();
        let step = *self.heatmap.step();
        let zones = |m: Vec<(i64, f64)>| -> Vec<(f64, f64)> {
            m.into_iter().map(|(k, v)| (step.price(k), v)).collect()
        };
        let snap = MinuteSnapshotInput {
            timestamp: m.ts,
            src: m.input.src,
            pred_longs: zones(long),
            pred_shorts: zones(short),
            ladder: self.heatmap.ladder(),
            weights: self.heatmap.weights_in_ladder_order(),
            buffer: self.heatmap.config().buffer,
            steps: step.step(),
            high: Some(m.input.high),
            low: Some(m.input.low),
            close: m.close,
            perp_buy_vol: m.buy_qty,
            perp_sell_vol: m.sell_qty,
            perp_oi_change: m.oi_change,
            depth_band: m.depth_band.clone(),
        };
        let calibration = self.calibrator.on_minute_snapshot_owned(snap, m.ts)?;
        let weights_applied = calibration
            .as_ref()
            .is_some_and(|c| self.heatmap.apply_calibrated_weights(&c.weights, c.buffer));
        Ok((calibration, weights_applied))
    }

    /// The calibrator, mutably (draining records, saving).
    pub fn calibrator_mut(&mut self) -> &mut Calibrator {
        &mut self.calibrator
    }

    /// The last bar close seen (0 before any).
    pub fn last_close(&self) -> f64 {
        self.last_close
    }

    /// The minute close of a replay bar: the feeder's engine input, the bar's base volumes and
    /// OI change, no order book (`depth_band` unknown).
    pub fn minute_close(feeder: &mut ReplayFeeder, bar: &MinuteBar) -> MinuteClose {
        let input = feeder.minute_input(bar);
        let start = bar.minute_key as f64 * 60.0;
        // The rollover instant lies in minute M; a late bar time is pulled back into it.
        let ts = if (start..start + 60.0).contains(&bar.ts) {
            bar.ts
        } else {
            start
        };
        MinuteClose {
            input,
            ts,
            open: bar.open,
            close: Some(bar.close),
            buy_qty: bar.taker_buy_qty,
            sell_qty: bar.taker_sell_qty,
            oi_change: bar.oi_delta,
            depth_band: None,
        }
    }

    /// Applies one replay record. Liquidations carry no event-time mark or mid: the last bar
    /// close stands in as the `last` price, as the live service passes it.
    pub fn apply_replay(
        &mut self,
        feeder: &mut ReplayFeeder,
        rec: &ReplayRecord,
    ) -> Result<Option<MinuteReport>, PipelineError> {
        match rec {
            ReplayRecord::Liquidation(l) => {
                let prices = EventPrices {
                    last: self.last_close,
                    ..EventPrices::default()
                };
                self.on_liquidation(l.ts, l.side, l.price, l.qty, l.notional_usd, prices)?;
                Ok(None)
            }
            ReplayRecord::Minute(bar) => {
                let close = Self::minute_close(feeder, bar);
                self.on_minute(&close).map(Some)
            }
        }
    }
}
