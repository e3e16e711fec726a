//! The engine manager: one engine per configured symbol (heatmap with its zone manager,
//! calibrator, V1 zone tracker), fed with market events and explicit minute closes, each symbol
//! isolated (an error in one is reported with its cause and never stops the others: seed rule
//! 15). A minute close runs the rollover in the reference's order (heatmap.md 3.2) and returns
//! the snapshot bodies it produced; log records are drained per symbol.
//!
//! Pure and deterministic: no clock, no files. The viewer (live or replay) and the audit
//! backtest drive it the same way.

pub mod books;
mod forecast;
pub mod live;
mod symbol;

#[cfg(test)]
mod tests;

use indexmap::IndexMap;
use thiserror::Error;

use crate::calibrator::{CalibrationResult, Calibrator, CalibratorRecord};
use crate::compat::ReferenceCompat;
use crate::event::{Exchange, MarketEvent};
use crate::heatmap::HeatmapRecord;
use crate::heatmap::replay::ReplayRecord;
use crate::heatmap::snapshot::{V1Snapshot, V2Snapshot};
use crate::orderbook::frame::Frame;
use crate::symbols::{Contract, SymbolRegistry};
use crate::zones::{ZoneManager, ZoneRecord};
use std::sync::Arc;

pub use symbol::{SymbolEngine, SymbolState};

/// Why a symbol could not be added.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngineError {
    /// The symbol's step is unusable.
    #[error("{symbol}: {reason}")]
    Config {
        /// Symbol.
        symbol: String,
        /// What is wrong.
        reason: String,
    },
}

/// One symbol of the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolSpec {
    /// Short symbol (`BTC`).
    pub symbol: String,
    /// Bucket step.
    pub step: f64,
    /// Absolute OI a minute-level replay starts from (base units; never logged).
    pub replay_oi_base: f64,
}

impl SymbolSpec {
    /// The default symbols: BTC (step 20), ETH (1.0), SOL (0.10), with the replay OI bases
    /// that reproduce the 2026-02-28 session.
    pub fn defaults() -> Vec<SymbolSpec> {
        [
            ("BTC", 20.0, 160_000.0),
            ("ETH", 1.0, 3_160_000.0),
            ("SOL", 0.1, 20_430_000.0),
        ]
        .into_iter()
        .map(|(s, step, base)| SymbolSpec {
            symbol: s.to_string(),
            step,
            replay_oi_base: base,
        })
        .collect()
    }
}

/// What one symbol's minute close produced.
#[derive(Clone, Debug)]
pub struct MinuteProducts {
    /// Symbol.
    pub symbol: String,
    /// The minute that started (the key `on_minute` received).
    pub minute_key: i64,
    /// Rollover instant.
    pub ts: f64,
    /// The V2 body (`None` when `src <= 0`).
    pub v2: Option<V2Snapshot>,
    /// The V1 body (`None` when the close is unknown).
    pub v1: Option<V1Snapshot>,
    /// The calibration run of the minute, if one ran.
    pub calibration: Option<CalibrationResult>,
    /// The finished minute's bar `(open, high, low, close)` (open and close when known).
    pub bar: (Option<f64>, f64, f64, Option<f64>),
    /// What failed in this symbol's minute (the others went on).
    pub error: Option<String>,
    /// The liquidation forecast of this minute close (`None` without a close price).
    pub forecast: Option<std::sync::Arc<crate::forecast::Forecast>>,
}

/// One symbol's log records since the last drain.
#[derive(Debug, Default)]
pub struct Records {
    /// Heatmap records (tape, sweeps, debug, inference, cycles).
    pub heatmap: Vec<HeatmapRecord>,
    /// Calibrator records.
    pub calibrator: Vec<CalibratorRecord>,
    /// Zone records.
    pub zones: Vec<ZoneRecord>,
}

/// The engines of every configured symbol.
#[derive(Default)]
pub struct EngineManager {
    compat: ReferenceCompat,
    symbols: IndexMap<String, SymbolEngine>,
    live_minute: Option<i64>,
    registry: Option<Arc<SymbolRegistry>>,
}

impl EngineManager {
    /// An empty manager with the given compatibility switches.
    pub fn new(compat: ReferenceCompat) -> Self {
        EngineManager {
            compat,
            symbols: IndexMap::new(),
            live_minute: None,
            registry: None,
        }
    }

    /// The switches.
    pub fn compat(&self) -> &ReferenceCompat {
        &self.compat
    }

    /// Adds a symbol with its calibrator (from its weights file) and zone manager (from its
    /// zone file), in registration order.
    pub fn add_symbol(
        &mut self,
        spec: &SymbolSpec,
        calibrator: Calibrator,
        zones: ZoneManager,
    ) -> Result<(), EngineError> {
        let engine = SymbolEngine::new(spec, calibrator, zones, &self.compat)?;
        self.symbols.insert(spec.symbol.clone(), engine);
        Ok(())
    }

    /// The symbols in registration order.
    pub fn symbols(&self) -> impl Iterator<Item = (&str, &SymbolEngine)> {
        self.symbols.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// One symbol's engine.
    pub fn symbol(&self, symbol: &str) -> Option<&SymbolEngine> {
        self.symbols.get(symbol)
    }

    /// One symbol's engine, mutably.
    pub fn symbol_mut(&mut self, symbol: &str) -> Option<&mut SymbolEngine> {
        self.symbols.get_mut(symbol)
    }

    /// Applies one line of a minute-level replay: a liquidation to its symbol at once, a
    /// minute bar as that symbol's minute close. Lines of unconfigured symbols are ignored.
    pub fn apply_replay(&mut self, rec: &ReplayRecord) -> Option<MinuteProducts> {
        match rec {
            ReplayRecord::Liquidation(l) => {
                if let Some(e) = self.symbols.get_mut(&l.symbol) {
                    e.on_replay_liquidation(l);
                }
                None
            }
            ReplayRecord::Minute(bar) => {
                let e = self.symbols.get_mut(&bar.symbol)?;
                e.on_replay_minute(bar)
            }
        }
    }

    /// One normalized market event, routed to its symbol (events without a configured symbol
    /// are ignored). Live minute closes come from [`EngineManager::advance_to`].
    pub fn on_event(&mut self, ev: &MarketEvent) {
        let contract = self
            .registry
            .as_ref()
            .and_then(|r| r.instrument(ev.exchange, ev.market, &ev.instrument))
            .map_or(Contract::BASE, |i| i.contract);
        if let Some(e) = ev.symbol.as_deref().and_then(|s| self.symbols.get_mut(s)) {
            e.on_event_with(ev, contract);
        }
    }

    /// A feed of `exchange` dropped or stalled at `ts`: every symbol's books of that exchange
    /// resync and their open frames are marked.
    pub fn connection_lost(&mut self, exchange: Exchange, ts: f64) {
        for e in self.symbols.values_mut() {
            e.connection_lost(exchange, ts);
        }
    }

    /// Books waiting for a REST snapshot, `(symbol, exchange, instrument)` (live feeds fetch
    /// Binance's; Bybit and OKX send theirs on the stream).
    pub fn books_needing_snapshot(&self) -> Vec<(String, Exchange, Arc<str>)> {
        let mut out = Vec::new();
        for (s, e) in &self.symbols {
            for (ex, inst) in e.books_needing_snapshot() {
                out.push((s.clone(), ex, inst));
            }
        }
        out
    }

    /// The symbol registry whose contract sizes convert book sizes to base units.
    pub fn set_registry(&mut self, registry: Arc<SymbolRegistry>) {
        self.registry = Some(registry);
    }

    /// Every symbol's order-book frames emitted since the last call.
    pub fn take_frames(&mut self) -> Vec<(String, Frame)> {
        let mut out = Vec::new();
        for (s, e) in self.symbols.iter_mut() {
            out.extend(e.take_frames().into_iter().map(|f| (s.clone(), f)));
        }
        out
    }

    /// Every symbol's frame still open (the end of a replay).
    pub fn flush_frames(&mut self) -> Vec<(String, Frame)> {
        self.symbols
            .iter_mut()
            .filter_map(|(s, e)| e.flush_frame().map(|f| (s.clone(), f)))
            .collect()
    }

    /// Live time moves to `now`: when the minute changed, every minute boundary passed since
    /// the last close is closed for every symbol, in registration order (each symbol isolated).
    /// The first call only sets the clock.
    pub fn advance_to(&mut self, now: f64) -> Vec<MinuteProducts> {
        let minute = (now / 60.0).floor() as i64;
        let mut out = Vec::new();
        match self.live_minute {
            None => self.live_minute = Some(minute),
            Some(m) if minute > m => {
                // A long silence closes at most a day of empty minutes.
                for k in (m + 1).max(minute - 1440)..=minute {
                    let t = if k == minute { now } else { (k * 60) as f64 };
                    for e in self.symbols.values_mut() {
                        if let Some(p) = e.close_live_minute(k, t) {
                            out.push(p);
                        }
                    }
                }
                self.live_minute = Some(minute);
            }
            Some(_) => {}
        }
        out
    }

    /// Drains every symbol's log records, in registration order.
    pub fn take_records(&mut self) -> Vec<(String, Records)> {
        self.symbols
            .iter_mut()
            .map(|(s, e)| (s.clone(), e.take_records()))
            .collect()
    }
}
