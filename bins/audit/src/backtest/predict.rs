//! Producing predictions (spec/prediction_eval.md sections 3 and 11): a capture-v1 replay
//! through the engine exactly as the viewer's replay drives it (`EngineManager::apply_replay`
//! on an engine of the default symbols, fresh state, no data directory), and at every BTC
//! minute close after the warm-up the served V2 heatmap as a prediction line.

use std::io::Write;
use std::path::Path;

use liq_core::calibrator::{Calibrator, CalibratorConfig};
use liq_core::compat::ReferenceCompat;
use liq_core::engine::{EngineManager, MinuteProducts, SymbolEngine, SymbolSpec};
use liq_core::forecast::{Forecast, MassInputs};
use liq_core::heatmap::BucketMap;
use liq_core::heatmap::replay::ReplayRecord;
use liq_core::heatmap::snapshot::V2Snapshot;
use liq_core::zones::ZoneManager;
use liq_store::capture::{CaptureError, ReplayReader};
use serde::Serialize;

use super::BacktestError;
use super::score::{Bar, Liq, Truth};

/// The only symbol of protocol v1.
pub const SYMBOL: &str = "BTC";
/// Warm-up minutes: no prediction before `first_key + WARMUP`.
pub const WARMUP: i64 = 60;

/// `[bucket_price, value]` pairs of one side.
pub type Pairs = Vec<(f64, f64)>;

/// One pool as written: `[price, price_low, price_high, notional_usd, intensity]`.
pub type Pool = [f64; 5];

/// Long and short lists of one object (`{"long": [...], "short": [...]}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PerSide<T> {
    /// Long side.
    pub long: T,
    /// Short side.
    pub short: T,
}

/// The separate layers of a prediction line (USD per bucket).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PredLayers {
    /// Observed liquidations (the tape).
    pub tape: PerSide<Pairs>,
    /// Projected liquidations.
    pub projection: PerSide<Pairs>,
}

/// One prediction line (spec 3), in the format's key order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// The replay minute after whose rollover the prediction was taken.
    pub minute_key: i64,
    /// `ts` of that replay minute line.
    pub ts: f64,
    /// Always `BTC`.
    pub symbol: &'static str,
    /// Reference price: the minute's `src` as passed to the engine.
    pub price: f64,
    /// Long-side display intensity per grid price (non-zero entries).
    pub long: Pairs,
    /// Short-side display intensity per grid price (non-zero entries).
    pub short: Pairs,
    /// The served pools in served order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pools: Option<PerSide<Vec<Pool>>>,
    /// Each layer alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<PredLayers>,
    /// The forecast's distributions (prediction_eval_v2.md section 3 `dist`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist: Option<PredDist>,
    /// The forecast's inputs, for fitting (never written).
    #[serde(skip)]
    pub inputs: Option<Box<MassInputs>>,
}

/// The `dist` field: per horizon, per side, the 201 cell probabilities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredDist {
    /// `H = 15`.
    #[serde(rename = "15")]
    pub h15: PerSide<Vec<f64>>,
    /// `H = 60`.
    #[serde(rename = "60")]
    pub h60: PerSide<Vec<f64>>,
    /// `H = 240`.
    #[serde(rename = "240")]
    pub h240: PerSide<Vec<f64>>,
}

impl PredDist {
    /// The engine's forecast as a `dist` field.
    pub fn of(f: &Forecast) -> Option<Self> {
        let side = |h: u32| {
            f.horizon(h).map(|x| PerSide {
                long: x.long.prob.clone(),
                short: x.short.prob.clone(),
            })
        };
        Some(PredDist {
            h15: side(15)?,
            h60: side(60)?,
            h240: side(240)?,
        })
    }

    /// The sides of the horizon at index `i` of [`liq_core::forecast::HORIZONS`].
    pub fn at(&self, i: usize) -> &PerSide<Vec<f64>> {
        match i {
            0 => &self.h15,
            1 => &self.h60,
            _ => &self.h240,
        }
    }
}

/// The informative first line of a prediction file.
#[derive(Serialize)]
struct Meta<'a> {
    kind: &'static str,
    format: &'static str,
    model: &'static str,
    calibrator: bool,
    every: u32,
    replay: &'a str,
    engine: String,
    symbol: &'static str,
}

/// How the engine is built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EngineSetup {
    /// Compatibility switches.
    pub compat: ReferenceCompat,
    /// Whether the calibrator is attached. Detached, it still receives its inputs but its
    /// window never completes, so no calibration reaches the engine (spec 10 "calibrator off").
    pub calibrator: bool,
}

/// The engine of the default symbols from default state: default leverage weights, a fresh
/// calibrator (no weights file), empty zones, no persisted engine state.
pub fn build_engine(setup: &EngineSetup) -> Result<EngineManager, BacktestError> {
    let compat = setup.compat;
    let mut engine = EngineManager::new(compat);
    for spec in SymbolSpec::defaults() {
        let mut cfg = CalibratorConfig::runtime(&spec.symbol, spec.step, &compat);
        if !setup.calibrator {
            cfg.window_minutes = u32::MAX;
            cfg.logging = false;
        }
        let (calibrator, _report) = Calibrator::new(cfg, None);
        let zones = ZoneManager::new(&spec.symbol, spec.step, &compat)
            .map_err(|e| BacktestError::Engine(e.to_string()))?;
        engine
            .add_symbol(&spec, calibrator, zones)
            .map_err(|e| BacktestError::Engine(e.to_string()))?;
    }
    Ok(engine)
}

/// Non-zero `(grid price, value)` pairs of a served array.
fn nonzero(prices: &[f64], values: &[f64]) -> Pairs {
    prices
        .iter()
        .zip(values)
        .filter(|(_, v)| **v != 0.0)
        .map(|(p, v)| (*p, *v))
        .collect()
}

/// A layer's buckets inside the served grid's price range, ascending.
fn layer_pairs(engine: &SymbolEngine, map: &BucketMap<f64>, lo: f64, hi: f64) -> Pairs {
    let step = engine.heatmap().step();
    let mut out: Pairs = map
        .iter()
        .map(|(k, v)| (step.price(*k), *v))
        .filter(|(p, v)| *p >= lo && *p <= hi && *v != 0.0)
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The prediction of one BTC minute close from its V2 body and the engine's layers (read
/// after the rollover; the calibration of the minute changes weights, never the layers).
pub fn prediction(bar: &Bar, v2: &V2Snapshot, engine: &SymbolEngine) -> Prediction {
    let g = &v2.grid;
    let pools = |levels: &[liq_core::heatmap::Level]| -> Vec<Pool> {
        levels
            .iter()
            .map(|l| {
                [
                    l.price,
                    l.price_low,
                    l.price_high,
                    l.notional_usd,
                    l.intensity,
                ]
            })
            .collect()
    };
    let (lo, hi) = (g.price_min, g.price_max);
    let tape = engine.heatmap().tape().heatmap();
    let proj = engine.heatmap().inference().projections();
    Prediction {
        minute_key: bar.minute_key,
        ts: bar.ts,
        symbol: SYMBOL,
        price: bar.src,
        long: nonzero(&g.prices, &g.long_intensity),
        short: nonzero(&g.prices, &g.short_intensity),
        pools: Some(PerSide {
            long: pools(&v2.pools.long_levels),
            short: pools(&v2.pools.short_levels),
        }),
        layers: Some(PredLayers {
            tape: PerSide {
                long: layer_pairs(engine, &tape.long, lo, hi),
                short: layer_pairs(engine, &tape.short, lo, hi),
            },
            projection: PerSide {
                long: layer_pairs(engine, &proj.long, lo, hi),
                short: layer_pairs(engine, &proj.short, lo, hi),
            },
        }),
        dist: engine.forecast().and_then(|f| PredDist::of(f)),
        inputs: Some(Box::new(engine.forecast_inputs(bar.src))),
    }
}

/// Writes the meta line of a prediction file.
pub fn write_meta(
    out: &mut dyn Write,
    replay: &Path,
    preset: &str,
    calibrator: bool,
) -> std::io::Result<()> {
    let name = replay.file_name().map_or_else(
        || replay.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let meta = Meta {
        kind: "meta",
        // Every line carries the forecast's `dist` (prediction_eval_v2.md section 3); the
        // v1 fields are all there too.
        format: "prediction-eval-v2",
        model: "liq-heatmap-rs",
        calibrator,
        every: 1,
        replay: &name,
        engine: format!("audit {} preset {preset}", env!("CARGO_PKG_VERSION")),
        symbol: SYMBOL,
    };
    serde_json::to_writer(&mut *out, &meta)?;
    out.write_all(b"\n")
}

/// Writes one prediction line.
pub fn write_prediction(out: &mut dyn Write, p: &Prediction) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, p)?;
    out.write_all(b"\n")
}

/// What a replay produced: the BTC truth of the file and the predictions, each handed to
/// `sink` as it is made (the caller bins and emits them).
pub struct Replayed {
    /// BTC bars and liquidations in file order.
    pub truth: Truth,
    /// Bad lines skipped.
    pub bad_lines: u64,
    /// Minute and liquidation lines read (every symbol).
    pub records: u64,
    /// Minute closes of every symbol.
    pub minute_closes: u64,
}

/// Replays `file` through `engine`; calls `sink` with every BTC prediction (minute key at or
/// after the warm-up) in file order.
pub fn replay(
    file: &Path,
    engine: &mut EngineManager,
    progress: Option<&indicatif::ProgressBar>,
    sink: &mut dyn FnMut(Prediction) -> Result<(), BacktestError>,
) -> Result<Replayed, BacktestError> {
    let mut reader = ReplayReader::open(file).map_err(|source| BacktestError::Unreadable {
        path: file.display().to_string(),
        source,
    })?;
    let mut truth = Truth::default();
    let mut bad_lines = 0u64;
    let mut minute_closes = 0u64;
    let mut records = 0u64;
    let mut first_key: Option<i64> = None;
    while let Some(item) = reader.next() {
        let rec = match item {
            Ok(r) => r,
            Err(e @ CaptureError::BadLine { .. }) => {
                bad_lines += 1;
                tracing::warn!(file = %file.display(), error = %e, "bad line skipped");
                continue;
            }
            Err(e) if records == 0 => {
                return Err(BacktestError::Unreadable {
                    path: file.display().to_string(),
                    source: e,
                });
            }
            Err(e) => return Err(BacktestError::Read(e)),
        };
        records += 1;
        let btc_bar = match &rec {
            ReplayRecord::Liquidation(l) if l.symbol == SYMBOL => {
                truth.liqs.push(Liq {
                    ts: l.ts,
                    side: l.side,
                    price: l.price,
                    notional: l.notional_usd,
                });
                None
            }
            ReplayRecord::Minute(b) if b.symbol == SYMBOL => Some(Bar {
                minute_key: b.minute_key,
                ts: b.ts,
                src: b.src,
                close: b.close,
                high: b.high,
                low: b.low,
            }),
            _ => None,
        };
        let products: Option<MinuteProducts> = engine.apply_replay(&rec);
        if let Some(bar) = btc_bar {
            let k0 = *first_key.get_or_insert(bar.minute_key) + WARMUP;
            if bar.minute_key >= k0
                && let Some(v2) = products.as_ref().and_then(|p| p.v2.as_ref())
                && let Some(e) = engine.symbol(SYMBOL)
            {
                sink(prediction(&bar, v2, e))?;
            }
            truth.bars.push(bar);
        }
        if products.is_some() {
            minute_closes += 1;
            // The backtest writes no logs: drop the records the minute produced.
            drop(engine.take_records());
            if let Some(pb) = progress
                && minute_closes.is_multiple_of(64)
            {
                pb.set_position(reader.bytes_read());
            }
        }
    }
    Ok(Replayed {
        truth,
        bad_lines,
        records,
        minute_closes,
    })
}
