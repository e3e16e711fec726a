//! What the engine hands the calibrator (calibrator.md 2.1, 2.2), validated before any state
//! changes (calibrator B19 fixed: a bad input is refused whole, never half-applied).

use thiserror::Error;

use crate::event::Side;

/// One normalized liquidation (2.1). Prices in quote currency; 0 means "unavailable".
#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationInput {
    /// Exchange event time, Unix seconds.
    pub timestamp: f64,
    /// Short symbol; an event of another symbol is ignored.
    pub symbol: String,
    /// Side of the liquidated position.
    pub side: Side,
    /// Fill price.
    pub price: f64,
    /// Base quantity.
    pub qty: f64,
    /// Event-time mark price (0 = unknown).
    pub mark_price: f64,
    /// Event-time order-book mid (0 = unknown).
    pub mid_price: f64,
    /// Last close of the symbol's price tracker (0 = unknown).
    pub last_price: f64,
}

/// One minute's snapshot of the engine (2.2), delivered once per symbol and minute after the
/// heatmap has closed the minute.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteSnapshotInput {
    /// Rollover instant, Unix seconds (only `floor(ts / 60)` matters).
    pub timestamp: f64,
    /// OHLC4 of the closed minute (0 = unknown).
    pub src: f64,
    /// Long zones `(bucket price, strength)` of the RAW heatmap, in the engine's order.
    pub pred_longs: Vec<(f64, f64)>,
    /// Short zones, same form.
    pub pred_shorts: Vec<(f64, f64)>,
    /// The engine's ladder, sorted.
    pub ladder: Vec<u32>,
    /// The engine's weights, aligned with `ladder`.
    pub weights: Vec<f64>,
    /// The engine's buffer.
    pub buffer: f64,
    /// Bucket width.
    pub steps: f64,
    /// Minute high, when known.
    pub high: Option<f64>,
    /// Minute low, when known.
    pub low: Option<f64>,
    /// Minute close, when known.
    pub close: Option<f64>,
    /// Taker buy volume, base units.
    pub perp_buy_vol: Option<f64>,
    /// Taker sell volume, base units.
    pub perp_sell_vol: Option<f64>,
    /// OI change since the previous rollover, base units.
    pub perp_oi_change: Option<f64>,
    /// Order-book notional per bucket within ±2 % of `src`; `Some(empty)` = no book,
    /// `None` = state missing.
    pub depth_band: Option<Vec<(f64, f64)>>,
}

/// Why a snapshot was refused (nothing of it was applied).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SnapshotError {
    /// The ladder is empty.
    #[error("snapshot for {symbol}: empty ladder")]
    EmptyLadder {
        /// Calibrator symbol.
        symbol: String,
    },
    /// Ladder and weights differ in length.
    #[error("snapshot for {symbol}: {ladder} tiers but {weights} weights")]
    LengthMismatch {
        /// Calibrator symbol.
        symbol: String,
        /// Ladder length.
        ladder: usize,
        /// Weights length.
        weights: usize,
    },
    /// A value that must be finite (and positive where stated) is not.
    #[error("snapshot for {symbol}: bad {field} = {value}")]
    BadValue {
        /// Calibrator symbol.
        symbol: String,
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
    },
}

impl MinuteSnapshotInput {
    /// Checks the invariants the calibration run relies on.
    pub(crate) fn validate(&self, symbol: &str) -> Result<(), SnapshotError> {
        let bad = |field: &'static str, value: f64| SnapshotError::BadValue {
            symbol: symbol.to_string(),
            field,
            value,
        };
        if self.ladder.is_empty() {
            return Err(SnapshotError::EmptyLadder {
                symbol: symbol.to_string(),
            });
        }
        if self.ladder.len() != self.weights.len() {
            return Err(SnapshotError::LengthMismatch {
                symbol: symbol.to_string(),
                ladder: self.ladder.len(),
                weights: self.weights.len(),
            });
        }
        if let Some(w) = self.weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
            return Err(bad("weights", *w));
        }
        if self.ladder.contains(&0) {
            return Err(bad("ladder", 0.0));
        }
        if !self.timestamp.is_finite() {
            return Err(bad("timestamp", self.timestamp));
        }
        if !(self.steps.is_finite() && self.steps > 0.0) {
            return Err(bad("steps", self.steps));
        }
        if !(self.buffer.is_finite() && self.buffer >= 0.0) {
            return Err(bad("buffer", self.buffer));
        }
        if !self.src.is_finite() {
            return Err(bad("src", self.src));
        }
        let zones = self.pred_longs.iter().chain(&self.pred_shorts);
        if let Some((p, s)) = zones
            .into_iter()
            .find(|(p, s)| !p.is_finite() || !s.is_finite())
        {
            return Err(bad("zone", if p.is_finite() { *s } else { *p }));
        }
        let optionals = [
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
            ("perp_buy_vol", self.perp_buy_vol),
            ("perp_sell_vol", self.perp_sell_vol),
            ("perp_oi_change", self.perp_oi_change),
        ];
        if let Some((f, Some(v))) = optionals
            .iter()
            .find(|(_, v)| v.is_some_and(|v| !v.is_finite()))
        {
            return Err(bad(f, *v));
        }
        if let Some((_, v)) = self
            .depth_band
            .iter()
            .flatten()
            .find(|(p, v)| !p.is_finite() || !v.is_finite())
        {
            return Err(bad("depth_band", *v));
        }
        Ok(())
    }
}

impl LiquidationInput {
    /// Whether the event can be processed at all: finite time and prices (non-finite reference
    /// prices count as unknown and are zeroed by the caller).
    pub(crate) fn is_usable(&self) -> bool {
        self.timestamp.is_finite() && self.price.is_finite() && self.qty.is_finite()
    }
}
