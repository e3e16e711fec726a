//! The snapshot bodies the terminal reads (heatmap.md 7.1 V2 and 7.2 V1), built from an engine.
//!
//! Every key of the reference files is kept, including the misnamed arrays (B3:
//! `*_notional_usd` are intensities rounded to 2 dp, `*_size_btc` are intensity / price), in
//! the reference's key order. DECISIONS heatmap 7 adds `long_usd`/`short_usd`: the USD of
//! tape + projections at each grid price.

use serde::Serialize;

use super::engine::{EngineStats, HeatmapEngine, HeatmapView, Layers};
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
    /// `src` (OHLC4 of the minute), step, grid and per-price arrays.
    #[serde(flatten)]
    pub grid: GridBody,
    /// Additive: USD of tape + projections at each grid price (long side).
    pub long_usd: Vec<f64>,
    /// Additive: USD of tape + projections at each grid price (short side).
    pub short_usd: Vec<f64>,
}

/// The grid part of both snapshot bodies (same keys, same order in V1 and V2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GridBody {
    /// V2: OHLC4 of the minute; V1: `py_round(close, 2)`.
    pub src: f64,
    /// Bucket step.
    pub step: f64,
    /// Grid start.
    pub price_min: f64,
    /// Grid end.
    pub price_max: f64,
    /// Grid, ascending.
    pub prices: Vec<f64>,
    /// V2: display intensity (unrounded, 0.0 where absent); V1: smoothed and normalized, 4 dp.
    pub long_intensity: Vec<f64>,
    /// The same, short side.
    pub short_intensity: Vec<f64>,
    /// Misnamed (B3): `py_round(display intensity, 2)`.
    pub long_notional_usd: Vec<f64>,
    /// Misnamed (B3): `py_round(display intensity, 2)`.
    pub short_notional_usd: Vec<f64>,
    /// Misnamed (B3): `py_round(display intensity / price, 6)`.
    pub long_size_btc: Vec<f64>,
    /// Misnamed (B3): `py_round(display intensity / price, 6)`.
    pub short_size_btc: Vec<f64>,
}

impl GridBody {
    /// The body of `grid` with the given intensity arrays; the misnamed arrays come from the
    /// raw display intensity `raw`.
    fn new(
        grid: Grid,
        src: f64,
        step: f64,
        intensity: (Vec<f64>, Vec<f64>),
        raw: (&[f64], &[f64]),
    ) -> Self {
        let misnamed = |v: &[f64]| -> (Vec<f64>, Vec<f64>) {
            (
                v.iter().map(|x| py_round(*x, 2)).collect(),
                grid.per_price(v, |x, p| py_round(x / p, 6)),
            )
        };
        let (ln, lb) = misnamed(raw.0);
        let (sn, sb) = misnamed(raw.1);
        GridBody {
            src,
            step,
            price_min: grid.prices.first().copied().unwrap_or(0.0),
            price_max: grid.prices.last().copied().unwrap_or(0.0),
            prices: grid.prices,
            long_intensity: intensity.0,
            short_intensity: intensity.1,
            long_notional_usd: ln,
            short_notional_usd: sn,
            long_size_btc: lb,
            short_size_btc: sb,
        }
    }
}

/// A grid of consecutive bucket keys with per-side values looked up by exact key.
pub(crate) struct Grid {
    /// First key.
    pub k_min: i64,
    /// Prices.
    pub prices: Vec<f64>,
}

/// Largest snapshot grid built; a price far off the symbol's scale (a bad tick that passed
/// every other check) gets no snapshot rather than a grid of millions of points.
pub const MAX_SNAPSHOT_GRID: i64 = 100_000;

impl Grid {
    pub(crate) fn new(engine: &HeatmapEngine, center: f64, pct: f64) -> Option<Grid> {
        let step = engine.step();
        let (k_min, k_max) = (
            step.key(center * (1.0 - pct)),
            step.key(center * (1.0 + pct)),
        );
        if k_max < k_min || k_max - k_min >= MAX_SNAPSHOT_GRID {
            return None;
        }
        Some(Grid {
            k_min,
            prices: step.grid_from_keys(k_min, k_max),
        })
    }

    pub(crate) fn lookup(&self, m: &BucketMap<f64>) -> Vec<f64> {
        let mut out = vec![0.0; self.prices.len()];
        for (k, v) in m {
            if let Some(slot) = usize::try_from(k - self.k_min)
                .ok()
                .and_then(|i| out.get_mut(i))
            {
                *slot = *v;
            }
        }
        out
    }

    pub(crate) fn per_price(&self, v: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        v.iter().zip(&self.prices).map(|(x, p)| f(*x, *p)).collect()
    }
}

/// Builds the V2 snapshot at `src` (7.1): display pools (range 0.10, min $1000), stats, the
/// ±10% grid and the display intensity map. `None` when `src <= 0` or the grid would exceed
/// [`MAX_SNAPSHOT_GRID`] prices.
pub fn build_v2(engine: &mut HeatmapEngine, src: f64, now: f64) -> Option<V2Snapshot> {
    let layers = engine.layers();
    build_v2_from(engine, &layers, src, now).map(|(v2, _)| v2)
}

/// [`build_v2`] from layers already extracted; also returns the display map it computed, which
/// [`build_v1_from`] can reuse within the same minute (same state, same output).
pub fn build_v2_from(
    engine: &mut HeatmapEngine,
    layers: &Layers,
    src: f64,
    now: f64,
) -> Option<(V2Snapshot, HeatmapView)> {
    if !(src > 0.0 && src.is_finite()) {
        return None;
    }
    let req = PoolsRequest {
        center: src,
        range_pct: V2_RANGE_PCT,
        min_notional: Some(V2_MIN_NOTIONAL),
    };
    let grid = Grid::new(engine, src, V2_RANGE_PCT)?;
    let pools = engine.pools_display_from(layers, req, now)?;
    let stats = engine.stats();
    let view = engine.heatmap_display_from(layers, now);
    let usd: Sides<f64> = HeatmapEngine::usd_of(layers);
    let (li, si) = (grid.lookup(&view.map.long), grid.lookup(&view.map.short));
    let (long_usd, short_usd) = (grid.lookup(&usd.long), grid.lookup(&usd.short));
    let step = engine.config().step;
    let body = GridBody::new(grid, src, step, (li.clone(), si.clone()), (&li, &si));
    Some((
        V2Snapshot {
            pools,
            stats,
            grid: body,
            long_usd,
            short_usd,
        },
        view,
    ))
}

/// Band half-width of the V1 grid.
pub const V1_RANGE_PCT: f64 = 0.08;

/// One tracked top zone of the V1 snapshot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopZone {
    /// Zone price, 2 dp.
    pub price: f64,
    /// Strength, 4 dp.
    pub strength: f64,
    /// Minutes since the zone entered.
    pub age_min: i64,
}

/// The V1 normalization parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct V1NormJson {
    /// Always `p50_p95`.
    pub method: &'static str,
    /// 6 dp.
    pub p50: f64,
    /// 6 dp.
    pub p95: f64,
}

/// The V1 snapshot (`liq_api_snapshot_{SYM}.json`, `schema_version` 2, derived from the V2
/// engine).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct V1Snapshot {
    /// 2.
    pub schema_version: u32,
    /// Symbol.
    pub symbol: String,
    /// Assembly time.
    pub ts: f64,
    /// `py_round(close, 2)` (the last price, not OHLC4), step, grid and per-price arrays.
    #[serde(flatten)]
    pub grid: GridBody,
    /// Tracked long zones, strongest first (at most 5).
    pub top_long_zones: Vec<TopZone>,
    /// Tracked short zones.
    pub top_short_zones: Vec<TopZone>,
    /// Normalization used.
    pub norm: V1NormJson,
    /// Additive: USD of tape + projections at each grid price (long side).
    pub long_usd: Vec<f64>,
    /// Additive: the same, short side.
    pub short_usd: Vec<f64>,
}

/// Top zones as `(price, strength, age)` rows per side (from the zone tracker).
pub type TopZoneRows = (Vec<(f64, f64, i64)>, Vec<(f64, f64, i64)>);

/// Builds the V1 snapshot at the last price `close` (7.2). `None` when `close <= 0`.
pub fn build_v1(
    engine: &mut HeatmapEngine,
    close: f64,
    top: &TopZoneRows,
    now: f64,
) -> Option<V1Snapshot> {
    let layers = engine.layers();
    build_v1_from(engine, &layers, None, close, top, now)
}

/// [`build_v1`] from layers already extracted and, when given, the display map of the same
/// minute (from [`build_v2_from`]).
pub fn build_v1_from(
    engine: &mut HeatmapEngine,
    layers: &Layers,
    view: Option<&HeatmapView>,
    close: f64,
    top: &TopZoneRows,
    now: f64,
) -> Option<V1Snapshot> {
    if !(close > 0.0 && close.is_finite()) {
        return None;
    }
    let grid = Grid::new(engine, close, V1_RANGE_PCT)?;
    let computed;
    let view = match view {
        Some(v) => v,
        None => {
            computed = engine.heatmap_display_from(layers, now);
            &computed
        }
    };
    let usd = HeatmapEngine::usd_of(layers);
    let (lr, sr) = (grid.lookup(&view.map.long), grid.lookup(&view.map.short));
    let v1 = super::v1_math::v1_intensities(&lr, &sr);
    let norm = v1.norm.rounded();
    let zones = |rows: &[(f64, f64, i64)]| {
        rows.iter()
            .take(5)
            .map(|(p, s, a)| TopZone {
                price: py_round(*p, 2),
                strength: py_round(*s, 4),
                age_min: *a,
            })
            .collect()
    };
    let (long_usd, short_usd) = (grid.lookup(&usd.long), grid.lookup(&usd.short));
    let step = engine.config().step;
    let body = GridBody::new(
        grid,
        py_round(close, 2),
        step,
        (v1.long, v1.short),
        (&lr, &sr),
    );
    Some(V1Snapshot {
        schema_version: 2,
        symbol: engine.config().symbol.clone(),
        ts: now,
        grid: body,
        long_usd,
        short_usd,
        top_long_zones: zones(&top.0),
        top_short_zones: zones(&top.1),
        norm: V1NormJson {
            method: "p50_p95",
            p50: norm.p50,
            p95: norm.p95,
        },
    })
}
