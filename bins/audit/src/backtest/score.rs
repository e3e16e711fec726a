//! Scoring (spec/prediction_eval.md sections 4 to 8): scored minutes per horizon, truth
//! windows, price paths, and the pooled sums of every row, horizon and minute set.

use std::collections::{BTreeMap, HashMap};

use liq_core::event::Side;

use super::metrics::{
    BINS, Band, DISTANCE_ZONE_BINS, K10, Vector, distance_only, selections, uniform, vector,
};
use super::predict::{PredDist, Prediction, WARMUP};
use liq_core::forecast::{CELLS, Dist};

/// The horizons `H`, minutes.
pub const HORIZONS: [i64; 3] = [15, 60, 240];
/// Zones per side and minute (spec 6.4).
pub const ZONES_PER_SIDE: usize = 5;

/// One BTC `minute` line of the replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// `minute_key`.
    pub minute_key: i64,
    /// `ts` (the close time).
    pub ts: f64,
    /// OHLC4 reference price.
    pub src: f64,
    /// The bar's last trade price (protocol v2's reach prior).
    pub close: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
}

/// One BTC `liquidation` line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Liq {
    /// Time.
    pub ts: f64,
    /// Side of the liquidated position.
    pub side: Side,
    /// Price.
    pub price: f64,
    /// USD notional.
    pub notional: f64,
}

/// The BTC lines of a replay, in file order.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    /// Minute lines.
    pub bars: Vec<Bar>,
    /// Liquidation lines.
    pub liqs: Vec<Liq>,
}

impl Truth {
    /// The BTC truth of a replay read without the engine (what an independent scorer reads).
    pub fn read(file: &std::path::Path) -> Result<Truth, liq_store::capture::CaptureError> {
        use liq_core::heatmap::replay::ReplayRecord;
        let mut truth = Truth::default();
        for r in liq_store::capture::read_replay(file)? {
            match r {
                ReplayRecord::Minute(b) if b.symbol == super::predict::SYMBOL => {
                    truth.bars.push(Bar {
                        minute_key: b.minute_key,
                        ts: b.ts,
                        src: b.src,
                        close: b.close,
                        high: b.high,
                        low: b.low,
                    })
                }
                ReplayRecord::Liquidation(l) if l.symbol == super::predict::SYMBOL => {
                    truth.liqs.push(Liq {
                        ts: l.ts,
                        side: l.side,
                        price: l.price,
                        notional: l.notional_usd,
                    })
                }
                _ => {}
            }
        }
        Ok(truth)
    }
}

/// The rows of section 7, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// The served heatmap.
    Heatmap,
    /// The tape layer alone.
    TapeOnly,
    /// The projection layer alone.
    ProjectionOnly,
    /// Nearest bins first.
    DistanceOnly,
    /// Every bin equal.
    Uniform,
}

impl RowKind {
    /// Every row, in report order.
    pub const ALL: [RowKind; 5] = [
        RowKind::Heatmap,
        RowKind::TapeOnly,
        RowKind::ProjectionOnly,
        RowKind::DistanceOnly,
        RowKind::Uniform,
    ];

    /// The row's name in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Heatmap => "heatmap",
            RowKind::TapeOnly => "tape-only",
            RowKind::ProjectionOnly => "projection-only",
            RowKind::DistanceOnly => "distance-only",
            RowKind::Uniform => "uniform",
        }
    }

    /// Whether the row has a zone metric (the model's pools, the baseline's bins).
    pub fn has_zones(self) -> bool {
        matches!(self, RowKind::Heatmap | RowKind::DistanceOnly)
    }
}

/// The minute sets of section 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinuteSet {
    /// Every scored minute.
    All,
    /// Scored minutes with `(M - K0) mod H == 0`.
    NonOverlapping,
}

impl MinuteSet {
    /// Both sets, in report order.
    pub const ALL: [MinuteSet; 2] = [MinuteSet::All, MinuteSet::NonOverlapping];

    /// The set's name in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            MinuteSet::All => "all",
            MinuteSet::NonOverlapping => "non_overlapping",
        }
    }
}

/// A prediction line on its own evaluation grid: the vectors of every row it carries.
#[derive(Clone, Debug)]
pub struct BinnedMinute {
    /// `minute_key`.
    pub minute_key: i64,
    /// The prediction's reference price.
    pub price: f64,
    /// `[long, short]` of the model.
    pub model: [Vector; 2],
    /// `[long, short]` of the tape layer, when present.
    pub tape: Option<[Vector; 2]>,
    /// `[long, short]` of the projection layer, when present.
    pub projection: Option<[Vector; 2]>,
    /// The first 5 pool prices per side `[long, short]`, when present.
    pub pools: Option<[Vec<f64>; 2]>,
    /// The forecast `[horizon][long, short]`, normalised (`q_j = x_j / Σ x`), when present.
    pub forecast: Option<[[Dist; 2]; 3]>,
}

/// The `dist` arrays as distributions (prediction_eval_v2.md section 3): 201 finite values
/// `> 0` per side summing to 1 within 1e-6, then `q_j = x_j / Σ x`.
fn forecast_dists(minute_key: i64, d: &PredDist) -> Result<[[Dist; 2]; 3], InvalidValue> {
    let one = |what: &'static str, x: &[f64]| -> Result<Dist, InvalidValue> {
        let bad = |value: f64| InvalidValue {
            minute_key,
            what,
            value,
        };
        if x.len() != CELLS {
            return Err(bad(x.len() as f64));
        }
        if let Some(v) = x.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(bad(*v));
        }
        let sum: f64 = x.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(bad(sum));
        }
        let mut q = [0.0; CELLS];
        for (qj, xj) in q.iter_mut().zip(x) {
            *qj = xj / sum;
        }
        Ok(q)
    };
    let mut out = [[[0.0; CELLS]; 2]; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        let s = d.at(i);
        *slot = [one("dist.long", &s.long)?, one("dist.short", &s.short)?];
    }
    Ok(out)
}

/// A negative, NaN or infinite value: the prediction file is invalid (spec 3).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "minute {minute_key}: {what} has a value that is not finite and >= 0, or a dist array of the wrong length or sum ({value})"
)]
pub struct InvalidValue {
    /// The line's minute.
    pub minute_key: i64,
    /// Which array.
    pub what: &'static str,
    /// The value.
    pub value: f64,
}

impl BinnedMinute {
    /// Bins a prediction line; refuses values that are not finite and `>= 0`.
    pub fn from_prediction(p: &Prediction) -> Result<Self, InvalidValue> {
        let band = Band::new(p.price);
        let check = |what: &'static str, pairs: &[(f64, f64)]| -> Result<(), InvalidValue> {
            match pairs.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
                Some((_, v)) => Err(InvalidValue {
                    minute_key: p.minute_key,
                    what,
                    value: *v,
                }),
                None => Ok(()),
            }
        };
        check("long", &p.long)?;
        check("short", &p.short)?;
        let two = |l: &[(f64, f64)], s: &[(f64, f64)]| [vector(&band, l), vector(&band, s)];
        let (tape, projection) = match &p.layers {
            Some(layers) => {
                check("layers.tape.long", &layers.tape.long)?;
                check("layers.tape.short", &layers.tape.short)?;
                check("layers.projection.long", &layers.projection.long)?;
                check("layers.projection.short", &layers.projection.short)?;
                (
                    Some(two(&layers.tape.long, &layers.tape.short)),
                    Some(two(&layers.projection.long, &layers.projection.short)),
                )
            }
            None => (None, None),
        };
        let first = |pools: &[[f64; 5]]| -> Vec<f64> {
            pools.iter().take(ZONES_PER_SIDE).map(|z| z[0]).collect()
        };
        Ok(BinnedMinute {
            minute_key: p.minute_key,
            price: p.price,
            model: two(&p.long, &p.short),
            tape,
            projection,
            pools: p.pools.as_ref().map(|z| [first(&z.long), first(&z.short)]),
            forecast: p
                .dist
                .as_ref()
                .map(|d| forecast_dists(p.minute_key, d))
                .transpose()?,
        })
    }
}

/// The pooled sums of one row, horizon and minute set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Acc {
    /// Scored minutes.
    pub minutes: u64,
    /// `Σ s(K) N` per `K` of [`super::metrics::KS`] and side `[long, short]`.
    pub captured: [[f64; 2]; 3],
    /// `Σ N` per side (in-band notional).
    pub notional: [f64; 2],
    /// `Σ s(20) [C > 0]` per side.
    pub hits: [f64; 2],
    /// Zones listed.
    pub zones: u64,
    /// Zones touched by the price path.
    pub touched: u64,
    /// Zones touched and confirmed by a same-side liquidation within one bin.
    pub confirmed: u64,
}

impl Acc {
    /// Pools another accumulator's sums into this one (several files: spec 6.5).
    pub fn merge(&mut self, o: &Acc) {
        self.minutes += o.minutes;
        for k in 0..3 {
            for s in 0..2 {
                self.captured[k][s] += o.captured[k][s];
            }
        }
        for s in 0..2 {
            self.notional[s] += o.notional[s];
            self.hits[s] += o.hits[s];
        }
        self.zones += o.zones;
        self.touched += o.touched;
        self.confirmed += o.confirmed;
    }
}

/// The truth of one window on one minute's grid.
struct Window {
    /// In-band notional per side and bin.
    n: [Vector; 2],
    /// Whether a bin received an in-band liquidation, per side.
    c: [[bool; BINS]; 2],
    /// Bins of every liquidation of the window (in band or not), per side.
    bins: [Vec<i64>; 2],
    /// Out-of-band notional.
    excluded: f64,
    /// All notional.
    total: f64,
}

fn side_index(s: Side) -> usize {
    match s {
        Side::Long => 0,
        Side::Short => 1,
    }
}

impl Window {
    fn new<'a>(band: &Band, liqs: impl Iterator<Item = &'a Liq>) -> Self {
        let mut w = Window {
            n: [[0.0; BINS]; 2],
            c: [[false; BINS]; 2],
            bins: [Vec::new(), Vec::new()],
            excluded: 0.0,
            total: 0.0,
        };
        for l in liqs {
            let s = side_index(l.side);
            w.total += l.notional;
            w.bins[s].push(band.bin(l.price));
            match band.pos(l.price) {
                Some(i) => {
                    w.n[s][i] += l.notional;
                    w.c[s][i] = true;
                }
                None => w.excluded += l.notional,
            }
        }
        w
    }
}

impl Acc {
    /// Adds one minute's selections (`[side][K]`) against a window.
    fn add(&mut self, sel: &[[Vector; 3]; 2], w: &Window) {
        self.minutes += 1;
        for (s, side) in sel.iter().enumerate() {
            self.notional[s] += w.n[s].iter().sum::<f64>();
            for (k, sk) in side.iter().enumerate() {
                self.captured[k][s] += sk.iter().zip(&w.n[s]).map(|(a, b)| a * b).sum::<f64>();
            }
            self.hits[s] += side[K10]
                .iter()
                .zip(&w.c[s])
                .filter(|(_, c)| **c)
                .map(|(a, _)| *a)
                .sum::<f64>();
        }
    }

    /// Adds one minute's zones (`[side]` of `(price, bin)`).
    fn add_zones(&mut self, zones: &[Vec<(f64, i64)>; 2], path: Option<(f64, f64)>, w: &Window) {
        for (s, side) in zones.iter().enumerate() {
            for &(z, bz) in side {
                self.zones += 1;
                let touched = path.is_some_and(|(lo, hi)| lo <= z && z <= hi);
                if touched {
                    self.touched += 1;
                    if w.bins[s].iter().any(|b| b.abs_diff(bz) <= 1) {
                        self.confirmed += 1;
                    }
                }
            }
        }
    }
}

/// Excluded and total notional of one horizon and minute set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BandSums {
    /// Out-of-band notional.
    pub excluded: f64,
    /// All notional.
    pub total: f64,
}

/// Every pooled sum: `rows[row][horizon][set]` (indices of [`RowKind::ALL`], [`HORIZONS`],
/// [`MinuteSet::ALL`]) and the band sums per horizon and set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scores {
    /// Row sums.
    pub rows: [[[Acc; 2]; 3]; 5],
    /// Band sums.
    pub band: [[BandSums; 2]; 3],
    /// Scored minutes whose prediction price differs from the replay's `src` (spec 8).
    pub price_mismatch: u64,
}

impl Scores {
    /// Pools another scoring's sums into this one (numerators, denominators, hits, `n`, zone
    /// counts; never the ratios: spec 6.5).
    pub fn merge(&mut self, o: &Scores) {
        for (mine, theirs) in self
            .rows
            .iter_mut()
            .flatten()
            .flatten()
            .zip(o.rows.iter().flatten().flatten())
        {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.band.iter_mut().flatten().zip(o.band.iter().flatten()) {
            mine.excluded += theirs.excluded;
            mine.total += theirs.total;
        }
        self.price_mismatch += o.price_mismatch;
    }
}

/// The minute keys in `[from, to]` of the bars present: `(min low, max high)`.
fn path(bars: &BTreeMap<i64, Bar>, from: i64, to: i64) -> Option<(f64, f64)> {
    bars.range(from..=to).fold(None, |acc, (_, b)| {
        Some(match acc {
            None => (b.low, b.high),
            Some((lo, hi)) => (f64::min(lo, b.low), f64::max(hi, b.high)),
        })
    })
}

/// Scores predictions against a replay's truth (sections 4 to 8). Predictions of one minute
/// key: the later wins; minutes without a replay bar or before the warm-up are not scored.
pub fn score(truth: &Truth, preds: &[BinnedMinute]) -> Scores {
    let mut out = Scores::default();
    let (Some(first), Some(last)) = (truth.bars.first(), truth.bars.last()) else {
        return out;
    };
    let k0 = first.minute_key + WARMUP;
    let t_end = last.ts;
    let bars: BTreeMap<i64, Bar> = truth.bars.iter().map(|b| (b.minute_key, *b)).collect();
    let by_key: HashMap<i64, &BinnedMinute> = preds.iter().map(|p| (p.minute_key, p)).collect();
    let mut keys: Vec<i64> = by_key.keys().copied().collect();
    keys.sort_unstable();
    // Liquidations by time (stable: file order within equal times).
    let mut liqs: Vec<&Liq> = truth.liqs.iter().collect();
    liqs.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    let dist = distance_only().map(|v| selections(&v));
    let uni = selections(&uniform());
    let uni = [uni, uni];
    for m in keys {
        let (Some(pred), Some(bar)) = (by_key.get(&m), bars.get(&m)) else {
            continue;
        };
        if m < k0 {
            continue;
        }
        let ts_t = bar.ts;
        let band = Band::new(pred.price);
        let sel2 = |v: &[Vector; 2]| [selections(&v[0]), selections(&v[1])];
        let model = sel2(&pred.model);
        let tape = pred.tape.as_ref().map(sel2);
        let proj = pred.projection.as_ref().map(sel2);
        let model_zones = pred.pools.as_ref().map(|z| {
            z.clone()
                .map(|side| side.into_iter().map(|p| (p, band.bin(p))).collect())
        });
        let dist_zones: [Vec<(f64, i64)>; 2] =
            DISTANCE_ZONE_BINS.map(|bins| bins.iter().map(|b| (band.zone_price(*b), *b)).collect());
        let mut counted = false;
        for (hi, h) in HORIZONS.iter().enumerate() {
            let end = ts_t + 60.0 * *h as f64;
            if end > t_end {
                continue;
            }
            if !counted {
                counted = true;
                if (pred.price - bar.src).abs() > 1e-9 * bar.src {
                    out.price_mismatch += 1;
                }
            }
            let lo = liqs.partition_point(|l| l.ts <= ts_t);
            let up = liqs.partition_point(|l| l.ts <= end);
            let w = Window::new(&band, liqs[lo..up.max(lo)].iter().copied());
            let p = path(&bars, m + 1, m + h);
            let mut sets = vec![0usize];
            if (m - k0).rem_euclid(*h) == 0 {
                sets.push(1);
            }
            for set in sets {
                let b = &mut out.band[hi][set];
                b.excluded += w.excluded;
                b.total += w.total;
                for (ri, row) in RowKind::ALL.iter().enumerate() {
                    let acc = &mut out.rows[ri][hi][set];
                    let sel = match row {
                        RowKind::Heatmap => Some(&model),
                        RowKind::TapeOnly => tape.as_ref(),
                        RowKind::ProjectionOnly => proj.as_ref(),
                        RowKind::DistanceOnly => Some(&dist),
                        RowKind::Uniform => Some(&uni),
                    };
                    let Some(sel) = sel else { continue };
                    acc.add(sel, &w);
                    match row {
                        RowKind::Heatmap => {
                            if let Some(z) = &model_zones {
                                acc.add_zones(z, p, &w);
                            }
                        }
                        RowKind::DistanceOnly => acc.add_zones(&dist_zones, p, &w),
                        _ => {}
                    }
                }
            }
        }
    }
    out
}
