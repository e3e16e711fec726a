//! The comprehensive audit's event-based sections (audit_and_plots.md 4.2-4.11): hit-rate grids,
//! lead times, asymmetry, inference gaps, per-side rates, self-match-filtered tape rates and the
//! signed miss distance. Per DECISIONS (audit 3) the tape grid is self-match filtered and the
//! combined grid is filtered tape plus inference; the unfiltered tape grid stays available as
//! [`Zones::TapeUnfiltered`] for the reference's test vector only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ca_data::{CaData, Event};
use super::stats::{median, pct, pidx, sorted};

/// Lookbacks, minutes.
pub const LOOKBACKS: [i64; 4] = [0, 1, 5, 15];
/// Tolerances, fractions.
pub const TOLERANCES: [f64; 4] = [0.001, 0.0025, 0.005, 0.01];

/// Which candidates a grid uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zones {
    /// Tape buckets of `[k−L, k−1]` (the event's own minute excluded).
    Tape,
    /// Tape buckets of `[k−L, k]` (the reference's tape-only, a self-match, U7).
    TapeUnfiltered,
    /// Inference zones of `[k−L, k]`.
    Inference,
    /// Filtered tape plus inference.
    Combined,
}

/// Hits, gaps, misses and lead times of one cell.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Cell {
    /// Events with a candidate within tolerance.
    pub hits: usize,
    /// Events without candidates.
    pub gaps: usize,
    /// The rest.
    pub misses: usize,
    /// `hits / N`.
    pub hit_rate: f64,
    /// `gaps / N`.
    pub gap_rate: f64,
    /// Lead time of each hit (largest in-tolerance lead), seconds.
    #[serde(skip)]
    pub leads: Vec<f64>,
}

/// Candidates `(price, created)` of an event.
fn candidates(d: &CaData, e: &Event, l: i64, z: Zones) -> Vec<(f64, f64)> {
    let tape = |hi: i64| {
        d.tape_prices(e.k - l, hi, &e.side)
            .into_iter()
            .map(|p| (p, e.t))
    };
    match z {
        Zones::Tape => tape(e.k - 1).collect(),
        Zones::TapeUnfiltered => tape(e.k).collect(),
        Zones::Inference => d.inf_zones(e.k - l, e.k, &e.side),
        Zones::Combined => {
            let mut v: Vec<_> = tape(e.k - 1).collect();
            v.extend(d.inf_zones(e.k - l, e.k, &e.side));
            v
        }
    }
}

/// One cell over `events`.
pub fn cell(d: &CaData, events: &[&Event], l: i64, tau: f64, z: Zones) -> Cell {
    let mut c = Cell::default();
    for e in events {
        let cands = candidates(d, e, l, z);
        if cands.is_empty() {
            c.gaps += 1;
            continue;
        }
        let lead = cands
            .iter()
            .filter(|(p, _)| *p > 0.0 && (e.price - p).abs() / e.price <= tau)
            .map(|(_, created)| e.t - created)
            .reduce(f64::max);
        match lead {
            Some(lead) => {
                c.hits += 1;
                c.leads.push(lead);
            }
            None => c.misses += 1,
        }
    }
    let n = events.len();
    c.hit_rate = if n == 0 {
        0.0
    } else {
        c.hits as f64 / n as f64
    };
    c.gap_rate = if n == 0 {
        0.0
    } else {
        c.gaps as f64 / n as f64
    };
    c
}

/// A grid: `cells[lookback][tolerance]`, keys in minutes and fractions as text.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Grid {
    /// Lookbacks of the rows.
    pub lookbacks: Vec<i64>,
    /// Tolerances of the columns.
    pub tolerances: Vec<f64>,
    /// Row-major cells.
    pub cells: Vec<Vec<Cell>>,
}

impl Grid {
    /// The cell at `(l, tau)`.
    pub fn at(&self, l: i64, tau: f64) -> Option<&Cell> {
        let i = self.lookbacks.iter().position(|x| *x == l)?;
        let j = self.tolerances.iter().position(|x| *x == tau)?;
        self.cells.get(i)?.get(j)
    }
}

/// The grid of `z` over `events` with the given lookbacks.
pub fn grid(d: &CaData, events: &[&Event], lookbacks: &[i64], z: Zones) -> Grid {
    Grid {
        lookbacks: lookbacks.to_vec(),
        tolerances: TOLERANCES.to_vec(),
        cells: lookbacks
            .iter()
            .map(|&l| {
                TOLERANCES
                    .iter()
                    .map(|&t| cell(d, events, l, t, z))
                    .collect()
            })
            .collect(),
    }
}

/// Lead-time statistics (section D), seconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LeadStats {
    /// Hits with a lead time.
    pub n: usize,
    /// `s[floor(n/2)]`.
    pub p50: Option<f64>,
    /// `s[floor(0.9n)]` when `n > 10`, else the last.
    pub p90: Option<f64>,
    /// `s[floor(0.95n)]` when `n > 20`, else the last.
    pub p95: Option<f64>,
    /// Percent of leads `≤ 0`.
    pub pct_negative: Option<f64>,
}

/// Section D statistics of `leads`.
pub fn lead_stats(leads: &[f64]) -> LeadStats {
    let s = sorted(leads);
    let n = s.len();
    if n == 0 {
        return LeadStats::default();
    }
    let last = s.last().copied();
    LeadStats {
        n,
        p50: pidx(&s, 0.5),
        p90: if n > 10 { pidx(&s, 0.9) } else { last },
        p95: if n > 20 { pidx(&s, 0.95) } else { last },
        pct_negative: Some(pct(s.iter().filter(|x| **x <= 0.0).count(), n)),
    }
}

/// A bucket of section F.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AsymBucket {
    /// Events.
    pub n: usize,
    /// Percent without candidates.
    pub gap_rate: f64,
    /// Percent with the nearest candidate within 0.5 %.
    pub hit_rate_0_5pct: f64,
    /// Median nearest distance, fraction.
    pub miss_dist_p50: Option<f64>,
    /// `s[floor(0.25 nd)]` when `nd > 4`, else the first.
    pub miss_dist_p25: Option<f64>,
    /// `s[floor(0.75 nd)]` when `nd > 4`, else the last.
    pub miss_dist_p75: Option<f64>,
    /// `s[floor(0.95 nd)]` when `nd > 20`, else the last.
    pub miss_dist_p95: Option<f64>,
}

fn asym_bucket(dists: &[Option<f64>]) -> AsymBucket {
    let n = dists.len();
    let nd: Vec<f64> = dists.iter().flatten().copied().collect();
    let s = sorted(&nd);
    let (first, last) = (s.first().copied(), s.last().copied());
    AsymBucket {
        n,
        gap_rate: pct(dists.iter().filter(|d| d.is_none()).count(), n),
        hit_rate_0_5pct: pct(nd.iter().filter(|d| **d <= 0.005).count(), n),
        miss_dist_p50: median(&nd),
        miss_dist_p25: if s.len() > 4 { pidx(&s, 0.25) } else { first },
        miss_dist_p75: if s.len() > 4 { pidx(&s, 0.75) } else { last },
        miss_dist_p95: if s.len() > 20 { pidx(&s, 0.95) } else { last },
    }
}

/// Section F: nearest-candidate distance by side, buy weight and OI delta (candidates as the
/// reference: tape of `[k−5, k]` plus inference).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Asymmetry {
    /// By event side.
    pub by_side: BTreeMap<String, AsymBucket>,
    /// By buy weight (`low` ≤ 0.2, `high` ≥ 0.8, else `mid`).
    pub by_buy_weight: BTreeMap<String, AsymBucket>,
    /// By OI delta sign (`negative`, `zero`, `positive`).
    pub by_oi_delta: BTreeMap<String, AsymBucket>,
}

/// Section H: inference gaps and their causes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Gaps {
    /// Events with an inference of their side in `[k−5, k]`.
    pub with_inference: usize,
    /// The rest.
    pub without_inference: usize,
    /// Causes: `oi_delta_negative`, `oi_delta_zero`, `no_context`, `unknown`.
    pub causes: BTreeMap<String, usize>,
    /// The most frequent cause.
    pub top_cause: Option<String>,
}

/// Section L per side.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MissSide {
    /// Events with a nearest candidate.
    pub n: usize,
    /// Mean `price − nearest`, USD.
    pub mean_usd: Option<f64>,
    /// Median, USD.
    pub median_usd: Option<f64>,
    /// `s[floor(0.25n)]`, USD.
    pub p25_usd: Option<f64>,
    /// `s[floor(0.75n)]`, USD.
    pub p75_usd: Option<f64>,
    /// `s[floor(0.95n)]` when `n > 20`, else the last, USD.
    pub p95_usd: Option<f64>,
    /// Mean of the signed percent.
    pub mean_pct: Option<f64>,
    /// Median of the signed percent.
    pub median_pct: Option<f64>,
    /// Mean of `|pct|`.
    pub abs_mean_pct: Option<f64>,
    /// Median of `|pct|`.
    pub abs_median_pct: Option<f64>,
}

fn miss_side(usd: &[f64], pcts: &[f64]) -> MissSide {
    let s = sorted(usd);
    let abs: Vec<f64> = pcts.iter().map(|p| p.abs()).collect();
    let n = s.len();
    MissSide {
        n,
        mean_usd: super::stats::mean(usd),
        median_usd: median(usd),
        p25_usd: pidx(&s, 0.25),
        p75_usd: pidx(&s, 0.75),
        p95_usd: if n > 20 {
            pidx(&s, 0.95)
        } else {
            s.last().copied()
        },
        mean_pct: super::stats::mean(pcts),
        median_pct: median(pcts),
        abs_mean_pct: super::stats::mean(&abs),
        abs_median_pct: median(&abs),
    }
}

/// The event-based CA sections of one symbol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EventSections {
    /// Events after de-duplication.
    pub events: usize,
    /// Long events.
    pub long_events: usize,
    /// Short events.
    pub short_events: usize,
    /// C: self-match-filtered tape grid (rows 0/1/5/15; 0m is all gaps by construction).
    pub tape: Grid,
    /// C: inference grid.
    pub inference: Grid,
    /// C: filtered tape plus inference.
    pub combined: Grid,
    /// D: inference lead times at (5m, 0.50 %).
    pub inference_lead: LeadStats,
    /// F
    pub asymmetry: Asymmetry,
    /// H
    pub gaps: Gaps,
    /// J: combined grid per side (rows 5m and 0m).
    pub per_side: BTreeMap<String, Grid>,
    /// L: signed miss per side.
    pub miss: BTreeMap<String, MissSide>,
}

/// Computes the event-based sections.
pub fn event_sections(d: &CaData) -> EventSections {
    let all: Vec<&Event> = d.events.iter().collect();
    let inference = grid(d, &all, &LOOKBACKS, Zones::Inference);
    let inference_lead = lead_stats(
        &inference
            .at(5, 0.005)
            .map(|c| c.leads.clone())
            .unwrap_or_default(),
    );
    let mut out = EventSections {
        events: all.len(),
        long_events: all.iter().filter(|e| e.side == "long").count(),
        short_events: all.iter().filter(|e| e.side == "short").count(),
        tape: grid(d, &all, &LOOKBACKS, Zones::Tape),
        combined: grid(d, &all, &LOOKBACKS, Zones::Combined),
        inference,
        inference_lead,
        ..EventSections::default()
    };
    for side in ["long", "short"] {
        let evs: Vec<&Event> = all.iter().copied().filter(|e| e.side == side).collect();
        out.per_side
            .insert(side.to_string(), grid(d, &evs, &[5, 0], Zones::Combined));
    }
    // F and L: the reference's candidates at L = 5 (tape set including the own minute).
    let mut f_side: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut f_bw: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut f_oi: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut l_usd: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for e in &all {
        let cands = candidates(d, e, 5, Zones::TapeUnfiltered)
            .into_iter()
            .chain(d.inf_zones(e.k - 5, e.k, &e.side))
            .map(|c| c.0)
            .collect::<Vec<f64>>();
        let nearest = cands
            .iter()
            .copied()
            .filter(|z| *z > 0.0)
            .min_by(|a, b| (e.price - a).abs().total_cmp(&(e.price - b).abs()));
        let min_dist = nearest.map(|z| (e.price - z).abs() / e.price);
        f_side.entry(e.side.clone()).or_default().push(min_dist);
        if let Some(c) = d.contexts.get(&e.k) {
            let bw = match c.buy_weight {
                b if b <= 0.2 => "low",
                b if b >= 0.8 => "high",
                _ => "mid",
            };
            f_bw.entry(bw.to_string()).or_default().push(min_dist);
            let oi = match c.oi_delta_usd {
                x if x < 0.0 => "negative",
                0.0 => "zero",
                _ => "positive",
            };
            f_oi.entry(oi.to_string()).or_default().push(min_dist);
        }
        if let Some(z) = nearest {
            let usd = e.price - z;
            let entry = l_usd.entry(e.side.clone()).or_default();
            entry.0.push(usd);
            entry.1.push(usd / e.price * 100.0);
        }
        // H
        let has = !d.inf_zones(e.k - 5, e.k, &e.side).is_empty();
        if has {
            out.gaps.with_inference += 1;
        } else {
            out.gaps.without_inference += 1;
            let cause = match d.contexts.get(&e.k) {
                None => "no_context",
                Some(c) if c.oi_delta_usd < 0.0 => "oi_delta_negative",
                Some(c) if c.oi_delta_usd == 0.0 => "oi_delta_zero",
                Some(_) => "unknown",
            };
            *out.gaps.causes.entry(cause.to_string()).or_default() += 1;
        }
    }
    let bucketize = |m: BTreeMap<String, Vec<Option<f64>>>| {
        m.into_iter()
            .map(|(k, v)| (k, asym_bucket(&v)))
            .collect::<BTreeMap<_, _>>()
    };
    out.asymmetry = Asymmetry {
        by_side: bucketize(f_side),
        by_buy_weight: bucketize(f_bw),
        by_oi_delta: bucketize(f_oi),
    };
    out.miss = l_usd
        .into_iter()
        .map(|(k, (u, p))| (k, miss_side(&u, &p)))
        .collect();
    let order = [
        "oi_delta_negative",
        "oi_delta_zero",
        "no_context",
        "unknown",
    ];
    let best = order
        .iter()
        .filter_map(|c| out.gaps.causes.get(*c).map(|n| (*c, *n)))
        .fold(None::<(&str, usize)>, |acc, (c, n)| match acc {
            Some((_, bn)) if bn >= n => acc,
            _ => Some((c, n)),
        });
    out.gaps.top_cause = best.map(|(c, _)| c.to_string());
    out
}
