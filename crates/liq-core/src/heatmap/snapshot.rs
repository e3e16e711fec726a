//! The snapshot bodies the terminal reads (heatmap.md 7.1 V2 and 7.2 V1), built from an engine.
//!
//! Every key of the reference files is kept, including the misnamed arrays (B3:
//! `*_notional_usd` are intensities rounded to 2 dp, `*_size_btc` are intensity / price), in
//! the reference's key order. DECISIONS heatmap 7 adds `long_usd`/`short_usd`: the USD of
//! tape + projections at each grid price.

use serde::Serialize;

use super::engine::{EngineStats, HeatmapEngine};
use super::pools::{Pools, PoolsRequest};
use super::sides::{BucketMap, Sides};
use crate::grid::py_round;

/// Band half-width of the V2 grid and pools.
pub const V2_RANGE_PCT: f64 = 0.10;
/// Minimum pool notional of the V2 snapshot.
pub const V2_MIN_NOTIONAL: f64 = 1000.0;

/// The V2 snapshot (`liq_api_snapshot_v2_{SYM}.json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct V2Snapshot {
    /// Pools head (`symbol`, `ts`, `price`, `range_pct`, levels, `meta`).
    #[serde(flatten)]
    pub pools: Pools,
    /// Engine statistics.
    pub stats: EngineStats,
    /// OHLC4 of the minute.
    pub src: f64,
    /// Bucket step.
    pub step: f64,
    /// Grid start (`bucket(src * 0.9)`).
    pub price_min: f64,
    /// Grid end (`bucket(src * 1.1)`).
    pub price_max: f64,
    /// Grid, ascending.
    pub prices: Vec<f64>,
    /// Display intensity per grid price (unrounded; 0.0 where absent).
    pub long_intensity: Vec<f64>,
    /// Display intensity per grid price.
    pub short_intensity: Vec<f64>,
    /// Misnamed (B3): `py_round(intensity, 2)`.
    pub long_notional_usd: Vec<f64>,
    /// Misnamed (B3): `py_round(intensity, 2)`.
    pub short_notional_usd: Vec<f64>,
    /// Misnamed (B3): `py_round(intensity / price, 6)`.
    pub long_size_btc: Vec<f64>,
    /// Misnamed (B3): `py_round(intensity / price, 6)`.
    pub short_size_btc: Vec<f64>,
    /// Additive: USD of tape + projections at each grid price (long side).
    pub long_usd: Vec<f64>,
    /// Additive: USD of tape + projections at each grid price (short side).
    pub short_usd: Vec<f64>,
}

/// A grid of consecutive bucket keys with per-side values looked up by exact key.
pub(crate) struct Grid {
    /// First key.
    pub k_min: i64,
    /// Prices.
    pub prices: Vec<f64>,
}

impl Grid {
    pub(crate) fn new(engine: &HeatmapEngine, center: f64, pct: f64) -> Grid {
        let step = engine.step();
        let (k_min, k_max) = (
            step.key(center * (1.0 - pct)),
            step.key(center * (1.0 + pct)),
        );
        Grid {
            k_min,
            prices: step.grid_from_keys(k_min, k_max),
        }
    }

    pub(crate) fn lookup(&self, m: &BucketMap<f64>) -> Vec<f64> {
        (0..self.prices.len() as i64)
            .map(|i| m.get(&(self.k_min + i)).copied().unwrap_or(0.0))
            .collect()
    }

    pub(crate) fn per_price(&self, v: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        v.iter().zip(&self.prices).map(|(x, p)| f(*x, *p)).collect()
    }
}

/// The two misnamed arrays of one side (B3).
pub(crate) fn misnamed(grid: &Grid, intensity: &[f64]) -> (Vec<f64>, Vec<f64>) {
    (
        intensity.iter().map(|v| py_round(*v, 2)).collect(),
        grid.per_price(intensity, |v, p| py_round(v / p, 6)),
    )
}

/// Builds the V2 snapshot at `src` (7.1): display pools (range 0.10, min $1000), stats, the
/// ±10% grid and the display intensity map. `None` when `src <= 0`.
pub fn build_v2(engine: &mut HeatmapEngine, src: f64, now: f64) -> Option<V2Snapshot> {
    if !(src > 0.0 && src.is_finite()) {
        return None;
    }
    let req = PoolsRequest {
        center: src,
        range_pct: V2_RANGE_PCT,
        min_notional: Some(V2_MIN_NOTIONAL),
    };
    let pools = engine.pools_display(req, now)?;
    let stats = engine.stats();
    let grid = Grid::new(engine, src, V2_RANGE_PCT);
    let view = engine.heatmap_display(now);
    let usd: Sides<f64> = engine.usd_by_bucket();
    let (li, si) = (grid.lookup(&view.map.long), grid.lookup(&view.map.short));
    let (ln, lb) = misnamed(&grid, &li);
    let (sn, sb) = misnamed(&grid, &si);
    Some(V2Snapshot {
        pools,
        stats,
        src,
        step: engine.config().step,
        price_min: grid.prices.first().copied().unwrap_or(0.0),
        price_max: grid.prices.last().copied().unwrap_or(0.0),
        long_usd: grid.lookup(&usd.long),
        short_usd: grid.lookup(&usd.short),
        prices: grid.prices,
        long_intensity: li,
        short_intensity: si,
        long_notional_usd: ln,
        short_notional_usd: sn,
        long_size_btc: lb,
        short_size_btc: sb,
    })
}
