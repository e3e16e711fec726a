//! Feeding minute-level replays (capture-v1 `minute` and `liquidation` lines) into heatmap
//! engines, per the rules of the shared fixtures' README ("Replaying into the engine").
//!
//! Pure: the lines are parsed by `liq_store::capture`; time is the replay's own.

use super::engine::{HeatmapEngine, InputError};
use super::inference::{MinuteInput, MinuteOutcome};
use crate::event::Side;

/// Absolute BTC OI the replays start from (never logged; the heatmap spec's golden test uses
/// this one; any base between about 142k and 173k reproduces the same inference minutes).
/// The absolute OI matters through the opening threshold and the closing factor, so other
/// symbols need a base of their own scale.
pub const OI_BASE: f64 = 160_000.0;
/// Notional used to turn a taker buy share into volumes when the USD volumes are unknown.
pub const TAKER_K: f64 = 1e6;

/// One `minute` line: the bar of the 60 s ending at `minute_key * 60`.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteBar {
    /// Short symbol.
    pub symbol: String,
    /// Epoch minute passed to `on_minute`.
    pub minute_key: i64,
    /// Close time of the bar (line `ts`).
    pub ts: f64,
    /// Open, when the line has it.
    pub open: Option<f64>,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close (the last price: V1 `src`).
    pub close: f64,
    /// OHLC4 reference price.
    pub src: f64,
    /// Absolute OI, base units, when known.
    pub oi: Option<f64>,
    /// OI change over the minute, base units.
    pub oi_delta: Option<f64>,
    /// Taker buy notional.
    pub taker_buy_usd: Option<f64>,
    /// Taker sell notional.
    pub taker_sell_usd: Option<f64>,
    /// Taker buy share in [0, 1].
    pub taker_buy_share: Option<f64>,
    /// Taker buy volume, base units.
    pub taker_buy_qty: Option<f64>,
    /// Taker sell volume, base units.
    pub taker_sell_qty: Option<f64>,
}

/// One `liquidation` line.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayLiquidation {
    /// Symbol.
    pub symbol: String,
    /// Time (receive or exchange time, see the file's notes).
    pub ts: f64,
    /// Liquidated position side.
    pub side: Side,
    /// Price.
    pub price: f64,
    /// Base quantity.
    pub qty: f64,
    /// USD notional.
    pub notional_usd: f64,
}

/// A replay line the engine uses.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplayRecord {
    /// A minute close.
    Minute(MinuteBar),
    /// A liquidation.
    Liquidation(ReplayLiquidation),
}

/// Per-symbol replay state: the running absolute OI.
#[derive(Clone, Debug)]
pub struct ReplayFeeder {
    oi: f64,
}

impl Default for ReplayFeeder {
    fn default() -> Self {
        ReplayFeeder { oi: OI_BASE }
    }
}

impl ReplayFeeder {
    /// A feeder starting from the absolute OI `base` (base units of the symbol).
    pub fn with_oi_base(base: f64) -> Self {
        ReplayFeeder { oi: base }
    }

    /// The running absolute OI.
    pub fn oi(&self) -> f64 {
        self.oi
    }

    /// The engine input of a bar: OI from the base plus the deltas (unchanged when unknown);
    /// taker USD volumes, else the share times [`TAKER_K`], else equal volumes.
    pub fn minute_input(&mut self, bar: &MinuteBar) -> MinuteInput {
        match (bar.oi, bar.oi_delta) {
            (Some(oi), _) => self.oi = oi,
            (None, Some(d)) => self.oi += d,
            (None, None) => {}
        }
        let (buy, sell) = match (bar.taker_buy_usd, bar.taker_sell_usd, bar.taker_buy_share) {
            (Some(b), Some(s), _) => (b, s),
            (_, _, Some(share)) => (share * TAKER_K, (1.0 - share) * TAKER_K),
            _ => (TAKER_K / 2.0, TAKER_K / 2.0),
        };
        MinuteInput {
            minute_key: bar.minute_key,
            src: bar.src,
            high: bar.high,
            low: bar.low,
            oi: self.oi,
            taker_buy_usd: buy,
            taker_sell_usd: sell,
        }
    }

    /// Applies one record to the engine (liquidations at once, bars as a minute close).
    pub fn apply(
        &mut self,
        engine: &mut HeatmapEngine,
        rec: &ReplayRecord,
    ) -> Result<Option<MinuteOutcome>, InputError> {
        match rec {
            ReplayRecord::Liquidation(l) => {
                engine.on_force_order(l.ts, l.side, l.price, l.qty, l.notional_usd)?;
                Ok(None)
            }
            ReplayRecord::Minute(bar) => {
                let m = self.minute_input(bar);
                engine.on_minute(&m, bar.ts).map(Some)
            }
        }
    }
}
