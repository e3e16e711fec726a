//! Protocol v2 of the prediction evaluation (spec/prediction_eval_v2.md, `prediction-eval-v2`,
//! with the names and pinned rows of DECISIONS.md "protocol v2"): the log score of the
//! distribution of the next `H` minutes' liquidated notional (and events) over 201 price cells,
//! per side, for the protocol rows, and the skill against the frozen reach-only prior with the
//! day-block bootstrap CI.
//!
//! [`reach`] builds the distributions, [`score`] pools the sums per row, horizon and UTC day,
//! [`report`] turns them into the `rows_v2` of DESIGN.md and the table section.

pub mod bootstrap;
pub use liq_core::forecast::reach;
pub mod report;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use super::metrics::{Band, HALF};
use super::predict::WARMUP;
use super::score::{BinnedMinute, HORIZONS, Liq, Truth};
use liq_core::forecast::{CELLS, CONSTANTS, Dist, OUTSIDE};

pub use report::{RowV2, rows_v2, write_table_v2};

/// Protocol identifier of the v2 rows.
pub const PROTOCOL_V2: &str = "prediction-eval-v2";

/// The rows of protocol v2, in report order (DESIGN.md's five, then the spec's other direct
/// rows that DECISIONS.md asks for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowV2Kind {
    /// The frozen volatility reach prior (spec 2.5).
    ReachOnly,
    /// `1/201` everywhere.
    Uniform,
    /// The served heatmap used directly as the distribution (spec 2.6 `heat`).
    HeatmapDirect,
    /// Reach x (1 + g Heat), renormalised (DECISIONS.md protocol v2 item 2).
    ReachHeatmap,
    /// Our forecast (liq_core::forecast), from the predictions' `dist`.
    Forecast,
    /// The projection layer used directly (spec 2.6).
    ProjectionDirect,
    /// The tape layer used directly (spec 2.6).
    TapeDirect,
}

impl RowV2Kind {
    /// Every row, in report order.
    pub const ALL: [RowV2Kind; 7] = [
        RowV2Kind::ReachOnly,
        RowV2Kind::Uniform,
        RowV2Kind::HeatmapDirect,
        RowV2Kind::ReachHeatmap,
        RowV2Kind::Forecast,
        RowV2Kind::ProjectionDirect,
        RowV2Kind::TapeDirect,
    ];

    /// The row's name in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            RowV2Kind::ReachOnly => "reach-only",
            RowV2Kind::Uniform => "uniform",
            RowV2Kind::HeatmapDirect => "heatmap-direct",
            RowV2Kind::ReachHeatmap => "reach-heatmap",
            RowV2Kind::Forecast => "forecast",
            RowV2Kind::ProjectionDirect => "projection-direct",
            RowV2Kind::TapeDirect => "tape-direct",
        }
    }
}

/// Why the v2 scoring refuses a replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum V2Error {
    /// A scored minute's close is not positive: the reach prior has no centre (spec 4).
    #[error("minute {minute_key}: close {close} is not > 0, the reach prior has no centre")]
    BadClose {
        /// The scored minute.
        minute_key: i64,
        /// Its close.
        close: f64,
    },
}

/// The sums of one side over some minutes (spec 2.3, 2.4).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SideSums {
    /// `Σ n` (notional).
    pub n: f64,
    /// `Σ n ln q`.
    pub n_lnq: f64,
    /// `Σ n (ln q - ln q_reach)`.
    pub n_skill: f64,
    /// `Σ c` (events).
    pub c: f64,
    /// `Σ c ln q`.
    pub c_lnq: f64,
    /// `Σ c (ln q - ln q_reach)`.
    pub c_skill: f64,
}

impl SideSums {
    fn merge(&mut self, o: &SideSums) {
        self.n += o.n;
        self.n_lnq += o.n_lnq;
        self.n_skill += o.n_skill;
        self.c += o.c;
        self.c_lnq += o.c_lnq;
        self.c_skill += o.c_skill;
    }
}

/// Per UTC day of the scored minute (`floor(ts_t / 86400)`): the sums of `[long, short]`.
pub type DaySums = BTreeMap<i64, [SideSums; 2]>;

/// Every pooled sum of a v2 scoring.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoresV2 {
    /// Scored minutes per horizon.
    pub minutes: [u64; 3],
    /// `sums[row][horizon]` (indices of [`RowV2Kind::ALL`] and [`HORIZONS`]); rows that do
    /// not exist (no forecast, no layer on any line) are `None`.
    pub sums: [[Option<DaySums>; 3]; 7],
}

impl ScoresV2 {
    /// Pools another scoring's sums into this one (the same UTC day is one unit).
    pub fn merge(&mut self, o: &ScoresV2) {
        for (m, om) in self.minutes.iter_mut().zip(&o.minutes) {
            *m += om;
        }
        for (mine, theirs) in self.sums.iter_mut().flatten().zip(o.sums.iter().flatten()) {
            let Some(theirs) = theirs else { continue };
            let mine = mine.get_or_insert_with(DaySums::new);
            for (day, sides) in theirs {
                let slot = mine.entry(*day).or_default();
                for (a, b) in slot.iter_mut().zip(sides) {
                    a.merge(b);
                }
            }
        }
    }
}

fn side_index(l: &Liq) -> usize {
    match l.side {
        liq_core::event::Side::Long => 0,
        liq_core::event::Side::Short => 1,
    }
}

/// The truth of one window: per side the cells with a liquidation, `(cell, n, c)`.
fn window_truth(band: &Band, liqs: &[&Liq]) -> [Vec<(usize, f64, f64)>; 2] {
    let mut n = [[0.0f64; CELLS]; 2];
    let mut c = [[0u64; CELLS]; 2];
    for l in liqs {
        let s = side_index(l);
        let b = band.bin(l.price);
        let j = if (-HALF..HALF).contains(&b) {
            (b + HALF) as usize
        } else {
            OUTSIDE
        };
        n[s][j] += l.notional;
        c[s][j] += 1;
    }
    std::array::from_fn(|s| {
        (0..CELLS)
            .filter(|&j| c[s][j] > 0)
            .map(|j| (j, n[s][j], c[s][j] as f64))
            .collect()
    })
}

/// Adds one minute and side of a row: `q` the row's distribution, `lr` `ln q_reach` at the
/// truth's cells.
fn add(slot: &mut SideSums, truth: &[(usize, f64, f64)], q: &Dist, lr: &[f64]) {
    for (&(j, n, c), lr) in truth.iter().zip(lr) {
        let lq = q[j].ln();
        if n > 0.0 {
            slot.n += n;
            slot.n_lnq += n * lq;
            slot.n_skill += n * (lq - lr);
        }
        slot.c += c;
        slot.c_lnq += c * lq;
        slot.c_skill += c * (lq - lr);
    }
}

/// Scores predictions against a replay's truth per protocol v2 (spec sections 2 to 4). The
/// scored minutes are those of v1 (`M >= K0`, `ts_t + 60 H <= T_end`, a prediction line;
/// the later line of a minute key wins).
pub fn score(truth: &Truth, preds: &[BinnedMinute]) -> Result<ScoresV2, V2Error> {
    let mut out = ScoresV2::default();
    for (ri, kind) in RowV2Kind::ALL.iter().enumerate() {
        let exists = match kind {
            RowV2Kind::Forecast => preds.iter().any(|p| p.forecast.is_some()),
            RowV2Kind::ProjectionDirect => preds.iter().any(|p| p.projection.is_some()),
            RowV2Kind::TapeDirect => preds.iter().any(|p| p.tape.is_some()),
            _ => true,
        };
        if exists {
            out.sums[ri] = std::array::from_fn(|_| Some(DaySums::new()));
        }
    }
    let by_key: HashMap<i64, &BinnedMinute> = preds.iter().map(|p| (p.minute_key, p)).collect();
    let prices: HashMap<i64, f64> = by_key.iter().map(|(m, p)| (*m, p.price)).collect();
    let zero = [0.0; super::metrics::BINS];
    let sums_of = &mut out.sums;
    for_each_window(truth, &prices, &mut out.minutes, |w| {
        let Some(pred) = by_key.get(&w.minute_key) else {
            return;
        };
        let (hi, k, r) = (w.hi, &CONSTANTS[w.hi], &w.r);
        for (s, cells) in w.cells.iter().enumerate() {
            if cells.is_empty() {
                continue;
            }
            let reach_q = reach::mix(&r[s], k.eps);
            let lr: Vec<f64> = cells.iter().map(|(j, ..)| reach_q[*j].ln()).collect();
            for (ri, kind) in RowV2Kind::ALL.iter().enumerate() {
                let Some(sums) = sums_of[ri][hi].as_mut() else {
                    continue;
                };
                let q = match kind {
                    RowV2Kind::ReachOnly => reach_q,
                    RowV2Kind::Uniform => [1.0 / CELLS as f64; CELLS],
                    RowV2Kind::HeatmapDirect => reach::direct(&pred.model[s], k.eps_heat),
                    RowV2Kind::ReachHeatmap => {
                        let heat = reach::mean_one(&pred.model[s]);
                        reach::reach_mass(&r[s], &[(k.g_heat, &heat)], k.eps)
                    }
                    RowV2Kind::ProjectionDirect => reach::direct(
                        pred.projection.as_ref().map_or(&zero, |v| &v[s]),
                        k.eps_heat,
                    ),
                    RowV2Kind::TapeDirect => {
                        reach::direct(pred.tape.as_ref().map_or(&zero, |v| &v[s]), k.eps_tape)
                    }
                    RowV2Kind::Forecast => match &pred.forecast {
                        Some(f) => f[hi][s],
                        // A line without the forecast where others have it (spec 3).
                        None => continue,
                    },
                };
                add(&mut sums.entry(w.day).or_default()[s], cells, &q, &lr);
            }
        }
    })?;
    Ok(out)
}

/// One scored window (spec 2.1, 2.2) with at least one liquidation in it.
pub struct Window {
    /// The scored minute.
    pub minute_key: i64,
    /// Its UTC day (`floor(ts_t / 86400)`), the bootstrap unit.
    pub day: i64,
    /// Index of the horizon in [`CONSTANTS`].
    pub hi: usize,
    /// The truth per side `[long, short]`: `(cell, notional, events)` of each cell hit.
    pub cells: [Vec<(usize, f64, f64)>; 2],
    /// The reach weights per side, before normalisation (spec 2.5).
    pub r: [Dist; 2],
}

/// Walks the scored minutes of protocol v2: every minute key of `prices` (its reference
/// price) at or after `K0` with a minute line, at every horizon whose window ends by
/// `T_end`. Counts them per horizon into `minutes` and hands every window that holds a
/// liquidation to `f`, in minute order. A scored minute whose close is not positive is an
/// invalid replay (spec 4).
pub fn for_each_window(
    truth: &Truth,
    prices: &HashMap<i64, f64>,
    minutes: &mut [u64; 3],
    mut f: impl FnMut(&Window),
) -> Result<(), V2Error> {
    let (Some(first), Some(last)) = (truth.bars.first(), truth.bars.last()) else {
        return Ok(());
    };
    let k0 = first.minute_key + WARMUP;
    let t_end = last.ts;
    let closes: Vec<(i64, f64)> = truth.bars.iter().map(|b| (b.minute_key, b.close)).collect();
    // sigma per line for each half-life in use.
    let mut sig: Vec<(f64, Vec<f64>)> = Vec::new();
    for k in &CONSTANTS {
        if !sig.iter().any(|(hl, _)| *hl == k.hl) {
            sig.push((k.hl, reach::sigmas(&closes, k.hl)));
        }
    }
    let line_of: HashMap<i64, usize> = truth
        .bars
        .iter()
        .enumerate()
        .map(|(i, b)| (b.minute_key, i))
        .collect();
    let mut keys: Vec<i64> = prices.keys().copied().filter(|m| *m >= k0).collect();
    keys.sort_unstable();
    let mut liqs: Vec<&Liq> = truth.liqs.iter().collect();
    liqs.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    for m in keys {
        let (Some(&price), Some(&line)) = (prices.get(&m), line_of.get(&m)) else {
            continue;
        };
        let bar = &truth.bars[line];
        let ts_t = bar.ts;
        let band = Band::new(price);
        for (hi, k) in CONSTANTS.iter().enumerate() {
            debug_assert_eq!(k.horizon, HORIZONS[hi]);
            let end = ts_t + 60.0 * k.horizon as f64;
            if end > t_end {
                continue;
            }
            if bar.close.is_nan() || bar.close <= 0.0 {
                return Err(V2Error::BadClose {
                    minute_key: m,
                    close: bar.close,
                });
            }
            minutes[hi] += 1;
            let lo = liqs.partition_point(|l| l.ts <= ts_t);
            let up = liqs.partition_point(|l| l.ts <= end).max(lo);
            if lo == up {
                continue;
            }
            let sigma = sig
                .iter()
                .find(|(hl, _)| *hl == k.hl)
                .map_or(reach::SIGMA_FLOOR, |(_, v)| v[line]);
            f(&Window {
                minute_key: m,
                day: (ts_t / 86_400.0).floor() as i64,
                hi,
                cells: window_truth(&band, &liqs[lo..up]),
                r: reach::reach_weights(price, bar.close, sigma, k),
            });
        }
    }
    Ok(())
}
