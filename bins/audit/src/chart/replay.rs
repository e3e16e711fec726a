//! The chart's data from a capture-v1 replay: the file through the engine exactly as the
//! viewer's replay drives it (`EngineManager::apply_replay` on the default symbols from
//! default state, the same builder as `audit backtest`), collecting after each of the
//! symbol's minute closes the bar, the served V2 heatmap and the zones alive.

use std::collections::HashMap;
use std::path::Path;

use liq_core::event::Side;
use liq_core::heatmap::replay::ReplayRecord;
use liq_core::heatmap::snapshot::V2Snapshot;
use liq_store::capture::{CaptureError, ReplayReader};

use super::{Candle, ChartData, ChartError, HeatColumn, InputKind, LiqDot, Options, ZoneSpan};
use crate::backtest::predict::{EngineSetup, build_engine};

/// The non-zero span of a V2 body as a column of the candle starting at `minute`.
fn heat_column(minute: i64, v2: &V2Snapshot) -> Option<HeatColumn> {
    let g = &v2.grid;
    let n = g
        .prices
        .len()
        .min(g.long_intensity.len())
        .min(g.short_intensity.len());
    let live = |i: &usize| g.long_intensity[*i] > 0.0 || g.short_intensity[*i] > 0.0;
    let first = (0..n).find(live)?;
    let last = (0..n).rev().find(live)?;
    let to32 = |v: &[f64]| -> Vec<f32> {
        v[first..=last]
            .iter()
            .map(|x| if x.is_finite() { *x as f32 } else { 0.0 })
            .collect()
    };
    Some(HeatColumn {
        minute,
        price0: g.prices[first],
        step: g.step,
        long: to32(&g.long_intensity),
        short: to32(&g.short_intensity),
    })
}

/// A zone's identity across minutes: side, price and creation time.
type ZoneKey = (bool, u64, u64);

/// Replays `file` and collects `symbol`'s candles, heatmap columns, zones and liquidations.
pub fn collect(file: &Path, symbol: &str, opts: &Options) -> Result<ChartData, ChartError> {
    let setup = EngineSetup {
        compat: opts.compat(),
        calibrator: true,
    };
    let mut engine = build_engine(&setup).map_err(|e| ChartError::Engine(e.to_string()))?;
    if engine.symbol(symbol).is_none() {
        let known: Vec<&str> = engine.symbols().map(|(s, _)| s).collect();
        return Err(ChartError::Usage(format!(
            "unknown symbol {symbol:?} (the engine has {})",
            known.join(", ")
        )));
    }
    let path = || file.display().to_string();
    let mut reader = ReplayReader::open(file).map_err(|e| ChartError::Unreadable {
        path: path(),
        reason: e.to_string(),
    })?;
    let bar = if opts.progress {
        crate::progress::progress_bar(file, "chart replay")
    } else {
        None
    };
    let mut data = ChartData {
        symbol: symbol.to_owned(),
        kind: InputKind::Replay,
        preset: Some(opts.preset()),
        candles: Vec::new(),
        liqs: Vec::new(),
        zones: Vec::new(),
        heat: Vec::new(),
        bad_lines: 0,
    };
    let mut records = 0u64;
    let mut closes = 0u64;
    let mut zone_index: HashMap<ZoneKey, usize> = HashMap::new();
    let mut prev_close: Option<f64> = None;
    while let Some(item) = reader.next() {
        let rec = match item {
            Ok(r) => r,
            Err(e @ CaptureError::BadLine { .. }) => {
                data.bad_lines += 1;
                tracing::warn!(file = %file.display(), error = %e, "bad line skipped");
                continue;
            }
            Err(e) if records == 0 => {
                return Err(ChartError::Unreadable {
                    path: path(),
                    reason: e.to_string(),
                });
            }
            Err(e) => {
                return Err(ChartError::Read {
                    path: path(),
                    reason: e.to_string(),
                });
            }
        };
        records += 1;
        let mut candle = None;
        match &rec {
            ReplayRecord::Liquidation(l)
                if l.symbol == symbol
                    && l.ts.is_finite()
                    && l.price.is_finite()
                    && l.notional_usd.is_finite() =>
            {
                data.liqs.push(LiqDot {
                    ts: l.ts,
                    side: l.side,
                    price: l.price,
                    notional: l.notional_usd,
                });
            }
            ReplayRecord::Minute(b)
                if b.symbol == symbol
                    && super::plausible_minute(b.minute_key)
                    && b.high > 0.0
                    && b.low > 0.0 =>
            {
                let open = b.open.or(prev_close).unwrap_or(b.close);
                prev_close = Some(b.close);
                candle = Some(Candle {
                    minute: b.minute_key - 1,
                    open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                });
            }
            _ => {}
        }
        let products = engine.apply_replay(&rec);
        if let Some(p) = &products {
            closes += 1;
            if p.symbol == symbol && super::plausible_minute(p.minute_key) {
                // A minute the engine refused again (a repeated key) draws nothing.
                if let Some(c) = candle {
                    data.candles.push(c);
                }
                if let Some(col) =
                    p.v2.as_ref()
                        .and_then(|v2| heat_column(p.minute_key - 1, v2))
                {
                    data.heat.push(col);
                }
                if let Some(zm) = engine.symbol(symbol).and_then(|e| e.zones()) {
                    let now = p.minute_key as f64;
                    for z in zm.zones() {
                        let key = (
                            z.side == Side::Long,
                            z.price.to_bits(),
                            z.created_at.to_bits(),
                        );
                        match zone_index.get(&key) {
                            Some(&i) => {
                                let span = &mut data.zones[i];
                                span.end = now;
                                span.weight = span.weight.max(z.weight);
                            }
                            None => {
                                zone_index.insert(key, data.zones.len());
                                data.zones.push(ZoneSpan {
                                    side: z.side,
                                    price: z.price,
                                    start: (z.created_at / 60.0).min(now),
                                    end: now,
                                    weight: z.weight,
                                });
                            }
                        }
                    }
                }
            }
            // The chart writes no logs: drop the records the minute produced.
            drop(engine.take_records());
            if let Some(pb) = &bar
                && closes.is_multiple_of(64)
            {
                pb.set_position(reader.bytes_read());
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if records == 0 {
        return Err(ChartError::Unreadable {
            path: path(),
            reason: format!(
                "no capture-v1 minute or liquidation line ({} bad lines)",
                data.bad_lines
            ),
        });
    }
    data.zones
        .retain(|z| z.weight.is_finite() && z.price.is_finite());
    Ok(data)
}
