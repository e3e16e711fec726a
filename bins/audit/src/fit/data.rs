//! One replay's fitting data: per scored minute the engine's layers, and per horizon the
//! reach weights and the cells where liquidations fell (the scored minutes and windows of
//! protocol v2, spec/prediction_eval_v2.md 2.1 and 2.2).

use std::collections::HashMap;
use std::path::Path;

use liq_core::compat::ReferenceCompat;
use liq_core::forecast::{CONSTANTS, Dist, MassInputs, reach};

use crate::backtest::BacktestError;
use crate::backtest::predict::{self, EngineSetup};
use crate::backtest::v2::for_each_window;

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
    /// The minute.
    pub minute_key: i64,
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
    let prices: HashMap<i64, f64> = preds.iter().map(|(m, (p, _))| (*m, *p)).collect();
    let mut out = FileData {
        name: super::short_name(file),
        scored: [0; 3],
        minutes: Vec::new(),
    };
    // The windows come in minute order: gather each minute's horizons.
    let mut minutes: Vec<MinuteData> = Vec::new();
    for_each_window(&replayed.truth, &prices, &mut out.scored, |w| {
        let k = &CONSTANTS[w.hi];
        let cells: [Vec<TruthCell>; 2] = std::array::from_fn(|s| {
            w.cells[s]
                .iter()
                .map(|&(j, n, c)| TruthCell { j, n, c })
                .collect()
        });
        let lnq_reach = std::array::from_fn(|s| {
            let q = reach::mix(&w.r[s], k.eps);
            cells[s].iter().map(|c| q[c.j].ln()).collect()
        });
        let h = HorizonTruth {
            r: w.r,
            cells,
            lnq_reach,
        };
        if minutes.last().is_none_or(|m| m.minute_key != w.minute_key)
            && let Some((_, inputs)) = preds.remove(&w.minute_key)
        {
            minutes.push(MinuteData {
                minute_key: w.minute_key,
                day: w.day,
                inputs,
                horizons: [None, None, None],
            });
        }
        if let Some(m) = minutes.last_mut().filter(|m| m.minute_key == w.minute_key) {
            m.horizons[w.hi] = Some(h);
        }
    })?;
    out.minutes = minutes;
    Ok(out)
}
