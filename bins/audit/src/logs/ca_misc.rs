//! The comprehensive audit's other sections (audit_and_plots.md 4.4, 4.8, 4.12-4.14): zone
//! reactions, offsets per tier, OI stream health, the error scan, sweeps; and the plot-feed
//! inventory (8.1).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::ca_data::CaData;
use super::read::{Family, minute, num, num_or, text};
use super::stats::{median, pct, pidx, sorted};

/// One quartile of section E.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Quartile {
    /// Zones.
    pub n: usize,
    /// Percent touched.
    pub touch_rate: f64,
    /// Percent reacted (≥ 20 bps reversal after the touch).
    pub react_rate: f64,
    /// Percent swept (≥ 20 bps continuation after the touch).
    pub sweep_rate: f64,
}

/// Section E.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Reaction {
    /// Inference zones.
    pub total_zones: usize,
    /// Touched within `m..m+5`.
    pub touched: usize,
    /// Reacted.
    pub reacted: usize,
    /// Swept.
    pub swept: usize,
    /// Quartiles by `size_usd`, largest first (U16: the reference ranked by `confidence`).
    pub quartiles: Vec<Quartile>,
}

/// Section E, with the U16 fixes: rank by size, reaction and sweep on bars after the first touch.
pub fn reaction(d: &CaData) -> Reaction {
    let mut order: Vec<usize> = (0..d.zones.len()).collect();
    order.sort_by(|a, b| d.zones[*b].size.total_cmp(&d.zones[*a].size));
    let n = order.len();
    let q_size = (n / 4).max(1);
    let mut q: Vec<[usize; 4]> = vec![[0; 4]; 4];
    let mut out = Reaction {
        total_zones: n,
        ..Reaction::default()
    };
    for (rank, &i) in order.iter().enumerate() {
        let z = &d.zones[i];
        let qi = (rank / q_size).min(3);
        q[qi][0] += 1;
        let (mut touched, mut rev, mut cont) = (false, 0.0f64, 0.0f64);
        let p = z.price;
        if p <= 0.0 {
            continue;
        }
        let band = 0.001 * p;
        for m in z.m..=z.m + 5 {
            let Some(bar) = d.bars.get(&m) else { continue };
            let (Some(h), Some(l)) = (bar.high, bar.low) else {
                continue;
            };
            if h <= 0.0 || l <= 0.0 {
                continue;
            }
            if touched {
                let (r, c) = if z.side == "long" {
                    ((h - p) / p * 1e4, (p - l) / p * 1e4)
                } else {
                    ((p - l) / p * 1e4, (h - p) / p * 1e4)
                };
                rev = rev.max(r);
                cont = cont.max(c);
            } else if (z.side == "long" && l <= p + band) || (z.side != "long" && h >= p - band) {
                touched = true;
            }
        }
        if touched {
            out.touched += 1;
            q[qi][1] += 1;
        }
        if rev >= 20.0 {
            out.reacted += 1;
            q[qi][2] += 1;
        }
        if cont >= 20.0 {
            out.swept += 1;
            q[qi][3] += 1;
        }
    }
    out.quartiles = q
        .iter()
        .map(|c| Quartile {
            n: c[0],
            touch_rate: pct(c[1], c[0]),
            react_rate: pct(c[2], c[0]),
            sweep_rate: pct(c[3], c[0]),
        })
        .collect();
    out
}

/// Section I per tier.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TierOffsets {
    /// Samples.
    pub n: usize,
    /// Median `miss_usd`.
    pub median: f64,
    /// Median absolute deviation.
    pub mad: f64,
    /// `s[floor(0.05n)]` when `n > 20`, else the first.
    pub p05: f64,
    /// `s[floor(0.95n)]` when `n > 20`, else the last.
    pub p95: f64,
    /// Long samples.
    pub long: usize,
    /// Short samples.
    pub short: usize,
    /// `|median| > 10000` or `MAD > 5000`.
    pub outlier: bool,
}

/// Section I: offsets per leverage tier.
pub fn offsets(d: &CaData) -> BTreeMap<i64, TierOffsets> {
    let mut by: BTreeMap<i64, Vec<&super::ca_data::Offset>> = BTreeMap::new();
    for o in &d.offsets {
        by.entry(o.tier).or_default().push(o);
    }
    by.into_iter()
        .map(|(tier, os)| {
            let xs: Vec<f64> = os.iter().map(|o| o.miss_usd).collect();
            let s = sorted(&xs);
            let n = s.len();
            let med = median(&xs).unwrap_or(0.0);
            let dev: Vec<f64> = xs.iter().map(|x| (x - med).abs()).collect();
            let mad = median(&dev).unwrap_or(0.0);
            let (first, last) = (s[0], s[n - 1]);
            let t = TierOffsets {
                n,
                median: med,
                mad,
                p05: if n > 20 {
                    pidx(&s, 0.05).unwrap_or(first)
                } else {
                    first
                },
                p95: if n > 20 {
                    pidx(&s, 0.95).unwrap_or(last)
                } else {
                    last
                },
                long: os.iter().filter(|o| o.side == "long").count(),
                short: os.iter().filter(|o| o.side == "short").count(),
                outlier: med.abs() > 10_000.0 || mad > 5000.0,
            };
            (tier, t)
        })
        .collect()
}

/// Section M.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OiHealth {
    /// Contexts.
    pub total: usize,
    /// `oi_delta_usd == 0`.
    pub zero: usize,
    /// `> 0`.
    pub positive: usize,
    /// `< 0`.
    pub negative: usize,
    /// `total − zero`.
    pub valid: usize,
    /// Percent valid (the reference's status).
    pub validity_pct: f64,
    /// Key differences `> 2`.
    pub n_gaps: usize,
    /// Largest key difference `> 1` (0 if none).
    pub max_gap_minutes: i64,
    /// Median `oi_delta_usd`.
    pub oi_p50: Option<f64>,
    /// Last − first key.
    pub span_minutes: i64,
    /// Process starts (first key and every key after a gap).
    pub process_starts: usize,
    /// Percent valid after excluding each process's first minute (U13).
    pub validity_excl_first_pct: f64,
    /// The reference's status: `HEALTHY` > 99, `DEGRADED` > 90, else `CRITICAL`.
    pub status: &'static str,
}

/// Section M from the contexts.
pub fn oi_health(d: &CaData) -> OiHealth {
    let keys: Vec<i64> = d.contexts.keys().copied().collect();
    let vals: Vec<f64> = d.contexts.values().map(|c| c.oi_delta_usd).collect();
    let mut m = OiHealth {
        total: vals.len(),
        zero: vals.iter().filter(|v| **v == 0.0).count(),
        positive: vals.iter().filter(|v| **v > 0.0).count(),
        negative: vals.iter().filter(|v| **v < 0.0).count(),
        oi_p50: median(&vals),
        ..OiHealth::default()
    };
    m.valid = m.total - m.zero;
    m.validity_pct = pct(m.valid, m.total);
    let (mut rest_total, mut rest_valid) = (0, 0);
    for (i, k) in keys.iter().enumerate() {
        let first = i == 0 || k - keys[i - 1] > 1;
        if i > 0 {
            let g = k - keys[i - 1];
            if g > 1 {
                m.max_gap_minutes = m.max_gap_minutes.max(g);
            }
            if g > 2 {
                m.n_gaps += 1;
            }
        }
        if first {
            m.process_starts += 1;
        } else {
            rest_total += 1;
            if vals[i] != 0.0 {
                rest_valid += 1;
            }
        }
    }
    m.span_minutes = match (keys.first(), keys.last()) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    m.validity_excl_first_pct = if rest_total == 0 {
        100.0
    } else {
        pct(rest_valid, rest_total)
    };
    m.status = if m.total == 0 {
        "NO_DATA"
    } else if m.validity_pct > 99.0 {
        "HEALTHY"
    } else if m.validity_pct > 90.0 {
        "DEGRADED"
    } else {
        "CRITICAL"
    };
    m
}

/// The problem record types scanned (U14: the reference's four plus the calibrator's own).
pub const PROBLEM_TYPES: [&str; 6] = [
    "error",
    "rejected",
    "safety_trip",
    "warning",
    "event_rejected",
    "mark_stream_missing",
];

/// Section N per type.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProblemType {
    /// Records.
    pub count: usize,
    /// The first record as JSON, cut to 500 characters.
    pub sample: String,
}

/// Section N: problem records of the calibrator log.
pub fn error_scan(cal: &Family) -> BTreeMap<String, ProblemType> {
    let mut out: BTreeMap<String, ProblemType> = BTreeMap::new();
    for r in &cal.records {
        let t = text(r, "type");
        if !PROBLEM_TYPES.contains(&t) {
            continue;
        }
        let e = out.entry(t.to_string()).or_default();
        if e.count == 0 {
            let s = serde_json::to_string(r).unwrap_or_default();
            e.sample = if s.chars().count() > 500 {
                format!("{}...", s.chars().take(500).collect::<String>())
            } else {
                s
            };
        }
        e.count += 1;
    }
    out
}

/// Section O (U9 fixed: the real field names).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sweeps {
    /// `sweep` records.
    pub total: usize,
    /// By side.
    pub by_side: BTreeMap<String, usize>,
    /// By layer (`tape`, `projection`).
    pub by_layer: BTreeMap<String, usize>,
    /// Σ `total_notional_usd`.
    pub total_notional_usd: f64,
    /// Median `total_notional_usd`.
    pub median_notional_usd: Option<f64>,
    /// Mean `trade_count`.
    pub avg_trade_count: Option<f64>,
}

/// Section O from the sweep log.
pub fn sweeps(f: &Family) -> Sweeps {
    let recs: Vec<_> = f.of_type("sweep").collect();
    let mut m = Sweeps {
        total: recs.len(),
        ..Sweeps::default()
    };
    let mut notional = Vec::new();
    let mut trades = Vec::new();
    for r in &recs {
        let side = r.get("side").and_then(Value::as_str).unwrap_or("unknown");
        *m.by_side.entry(side.to_string()).or_default() += 1;
        let layer = r.get("layer").and_then(Value::as_str).unwrap_or("unknown");
        *m.by_layer.entry(layer.to_string()).or_default() += 1;
        if let Some(n) = num(r, "total_notional_usd") {
            notional.push(n);
        }
        if let Some(t) = num(r, "trade_count") {
            trades.push(t);
        }
    }
    m.total_notional_usd = notional.iter().sum();
    m.median_notional_usd = median(&notional);
    m.avg_trade_count = super::stats::mean(&trades);
    m
}

/// The plot feed of one symbol (8.1).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlotFeed {
    /// Records of the symbol.
    pub records: usize,
    /// Distinct minutes with `o > 0` (candles).
    pub candles: usize,
    /// First minute.
    pub first_minute: Option<i64>,
    /// Last minute.
    pub last_minute: Option<i64>,
    /// Long zones of the last record.
    pub last_long_zones: usize,
    /// Short zones of the last record.
    pub last_short_zones: usize,
    /// Weakest long zone of the last record `(price, strength)`.
    pub last_weakest_long: Option<(f64, f64)>,
}

/// The plot-feed summary of `symbol`.
pub fn plot_feed(f: &Family, symbol: &str) -> PlotFeed {
    let recs: Vec<_> = f
        .records
        .iter()
        .filter(|r| text(r, "symbol") == symbol)
        .collect();
    let mut minutes: Vec<i64> = recs
        .iter()
        .filter(|r| num_or(r, "o", 0.0) > 0.0)
        .filter_map(|r| num(r, "minute").map(minute))
        .collect();
    minutes.sort_unstable();
    minutes.dedup();
    let zones = |r: &super::read::Rec, k: &str| -> Vec<(f64, f64)> {
        r.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .filter_map(|z| Some((z.first()?.as_f64()?, z.get(1)?.as_f64()?)))
            .collect()
    };
    let last = recs.last();
    let longs = last.map(|r| zones(r, "long_zones")).unwrap_or_default();
    PlotFeed {
        records: recs.len(),
        candles: minutes.len(),
        first_minute: minutes.first().copied(),
        last_minute: minutes.last().copied(),
        last_long_zones: longs.len(),
        last_short_zones: last.map_or(0, |r| zones(r, "short_zones").len()),
        last_weakest_long: longs.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)),
    }
}
