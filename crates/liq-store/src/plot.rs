//! `plot_feed.jsonl` (feeds_and_service.md 4.5): one line per symbol and minute close, the
//! finished minute's bar and the V1 top zones, for plotting tools.

use serde::Serialize;

/// One line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlotLine<'a> {
    /// Symbol.
    pub symbol: &'a str,
    /// Rollover time.
    pub ts: f64,
    /// The minute that started.
    pub minute: i64,
    /// Open (2 decimals for BTC, 4 otherwise), when known.
    pub o: Option<f64>,
    /// High.
    pub h: f64,
    /// Low.
    pub l: f64,
    /// Close, when known.
    pub c: Option<f64>,
    /// Up to 5 `[price, strength, age_min]`, strongest first.
    pub long_zones: Vec<(f64, f64, i64)>,
    /// Same for shorts.
    pub short_zones: Vec<(f64, f64, i64)>,
}

/// The file name.
pub const PLOT_FEED: &str = "plot_feed.jsonl";
