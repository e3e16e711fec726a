//! One replay's fitting data: per scored minute the engine's layers, and per horizon the
//! reach weights and the cells where liquidations fell (the scored minutes and windows of
//! protocol v2, spec/prediction_eval_v2.md 2.1 and 2.2).

use std::collections::HashMap;
use std::path::Path;

use liq_core::compat::ReferenceCompat;
use liq_core::forecast::{CONSTANTS, Dist, MassInputs, reach};

use crate::backtest::BacktestError;
use crate::backtest::metrics::Band;
use crate::backtest::predict::{self, EngineSetup, WARMUP};
use crate::backtest::score::Liq;
use crate::backtest::v2::window_truth;

/// A cell where liquidations of one side fell in one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TruthCell {
    /// Cell index (0..=200).
    pub j: usize,
    /// Notional, USD.
    pub n: f64,
    /// Events.
    pub c: f64,
}

/// One scored minute at one horizon with a liquidation in its window.
#[derive(Clone, Debug, PartialEq)]
pub struct HorizonTruth {
    /// The reach weights `[long, short]` (before normalisation).
    pub r: [Dist; 2],
    /// The truth cells per side.
    pub cells: [Vec<TruthCell>; 2],
    /// `ln q_reach` at those cells.
    pub lnq_reach: [Vec<f64>; 2],
}

/// One scored minute.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteData {
    /// UTC day of the minute (`floor(ts_t / 86400)`).
    pub day: i64,
    /// The engine's layers binned around the minute's reference price.
    pub inputs: Box<MassInputs>,
    /// Per horizon of [`liq_core::forecast::HORIZONS`]: `None` when the minute is not scored
    /// at that horizon or no liquidation fell in its window.
    pub horizons: [Option<HorizonTruth>; 3],
}

/// One replay's data.
#[derive(Clone, Debug, PartialEq)]
pub struct FileData {
    /// The file name.
    pub name: String,
    /// Scored minutes per horizon (with or without liquidations).
    pub scored: [u64; 3],
    /// Minutes with something to score.
    pub minutes: Vec<MinuteData>,
}

/// Replays `file` with the default preset and collects its fitting data.
pub fn load(file: &Path) -> Result<FileData, BacktestError> {
    let setup = EngineSetup {
        compat: ReferenceCompat::fixed(),
        calibrator: true,
    };
    let mut engine = predict::build_engine(&setup)?;
    let mut preds: HashMap<i64, (f64, Box<MassInputs>)> = HashMap::new();
    let mut sink = |p: predict::Prediction| -> Result<(), BacktestError> {
        if let Some(inputs) = p.inputs {
            preds.insert(p.minute_key, (p.price, inputs));
        }
        Ok(())
    };
    let replayed = predict::replay(file, &mut engine, None, &mut sink)?;
    if replayed.records == 0 {
        return Err(BacktestError::NoReplayLines {
            path: file.display().to_string(),
            bad_lines: replayed.bad_lines,
        });
    }
    let truth = replayed.truth;
    let mut out = FileData {
        name: super::short_name(file),
        scored: [0; 3],
        minutes: Vec::new(),
    };
    let (Some(first), Some(last)) = (truth.bars.first(), truth.bars.last()) else {
        return Ok(out);
    };
    let k0 = first.minute_key + WARMUP;
    let t_end = last.ts;
    let closes: Vec<(i64, f64)> = truth.bars.iter().map(|b| (b.minute_key, b.close)).collect();
    let sig: Vec<Vec<f64>> = CONSTANTS
        .iter()
        .map(|k| reach::sigmas(&closes, k.hl))
        .collect();
    let mut liqs: Vec<&Liq> = truth.liqs.iter().collect();
    liqs.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    // The later line of a minute key wins, as in the scorers.
    let mut line_of: HashMap<i64, usize> = HashMap::new();
    for (i, b) in truth.bars.iter().enumerate() {
        line_of.insert(b.minute_key, i);
    }
    let mut keys: Vec<i64> = preds.keys().copied().filter(|m| *m >= k0).collect();
    keys.sort_unstable();
    for m in keys {
        let (Some((price, inputs)), Some(&line)) = (preds.remove(&m), line_of.get(&m)) else {
            continue;
        };
        let bar = &truth.bars[line];
        if bar.close.is_nan() || bar.close <= 0.0 {
            continue;
        }
        let band = Band::new(price);
        let mut horizons: [Option<HorizonTruth>; 3] = [None, None, None];
        for (hi, k) in CONSTANTS.iter().enumerate() {
            let end = bar.ts + 60.0 * k.horizon as f64;
            if end > t_end {
                continue;
            }
            out.scored[hi] += 1;
            let lo = liqs.partition_point(|l| l.ts <= bar.ts);
            let up = liqs.partition_point(|l| l.ts <= end).max(lo);
            if lo == up {
                continue;
            }
            let cells = window_truth(&band, &liqs[lo..up]);
            let r = reach::reach_weights(price, bar.close, sig[hi][line], k);
            let cells: [Vec<TruthCell>; 2] = std::array::from_fn(|s| {
                cells[s]
                    .iter()
                    .map(|&(j, n, c)| TruthCell { j, n, c })
                    .collect()
            });
            let lnq_reach = std::array::from_fn(|s| {
                let q = reach::mix(&r[s], k.eps);
                cells[s].iter().map(|c| q[c.j].ln()).collect()
            });
            horizons[hi] = Some(HorizonTruth {
                r,
                cells,
                lnq_reach,
            });
        }
        if horizons.iter().any(Option::is_some) {
            out.minutes.push(MinuteData {
                day: (bar.ts / 86_400.0).floor() as i64,
                inputs,
                horizons,
            });
        }
    }
    Ok(out)
}
