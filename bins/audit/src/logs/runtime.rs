//! The runtime audit's blocks (audit_and_plots.md section 3): ingestion, aggression, inference
//! firing, sweeps, force-order hit rate, side coverage, calibrator events, approach skips,
//! snapshot symmetry and weights. Values are unrounded; the report formats them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::read::{Family, SymbolLogs, minute, minute_of, num, num_or, text, truthy};
use super::stats::{mean, median, pct};

/// [1] Force-order ingestion.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Ingestion {
    /// Records.
    pub count: usize,
    /// `side == "long"`.
    pub long_count: usize,
    /// `side == "short"`.
    pub short_count: usize,
    /// Σ notional.
    pub total_notional_usd: f64,
    /// Σ notional of longs.
    pub long_notional_usd: f64,
    /// Σ notional of shorts.
    pub short_notional_usd: f64,
    /// `(max ts − min ts)/60`.
    pub time_range_minutes: f64,
    /// `count / (range / 60)` over the unrounded range: the reference's real output (T2: ETH
    /// 22.44/h from a 42.775-minute range) contradicts the spec's "rounded range" (U15), which
    /// would give 22.43.
    pub events_per_hour: f64,
    /// `NO_DATA`, `LIVE` (> 10) or `LOW_VOLUME`.
    pub status: &'static str,
}

/// [1] from the tape.
pub fn ingestion(tape: &Family) -> Ingestion {
    let mut m = Ingestion::default();
    let mut ts: Vec<f64> = Vec::new();
    for r in tape.of_type("forceOrder") {
        let n = num_or(r, "notional", 0.0);
        m.count += 1;
        m.total_notional_usd += n;
        match text(r, "side") {
            "long" => {
                m.long_count += 1;
                m.long_notional_usd += n;
            }
            "short" => {
                m.short_count += 1;
                m.short_notional_usd += n;
            }
            _ => {}
        }
        ts.push(num_or(r, "ts", 0.0));
    }
    if let (Some(lo), Some(hi)) = (
        ts.iter().copied().reduce(f64::min),
        ts.iter().copied().reduce(f64::max),
    ) {
        m.time_range_minutes = (hi - lo) / 60.0;
    }
    let range = m.time_range_minutes;
    m.events_per_hour = if range > 0.0 {
        m.count as f64 / (range / 60.0)
    } else {
        0.0
    };
    m.status = match m.count {
        0 => "NO_DATA",
        c if c > 10 => "LIVE",
        _ => "LOW_VOLUME",
    };
    m
}

/// [2] Aggression accumulator (viewer debug log).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Aggression {
    /// `aggression_minute` records.
    pub total_minutes: usize,
    /// Mean `trade_count`.
    pub avg_trade_count: f64,
    /// Median `trade_count`.
    pub median_trade_count: f64,
    /// Mean `total_notional_usd`.
    pub avg_notional_usd: f64,
    /// Σ `total_notional_usd`.
    pub total_notional_usd: f64,
    /// Percent of minutes with `fallback_used`.
    pub fallback_used_rate: f64,
    /// Minutes with no trade.
    pub zero_trade_minutes: usize,
    /// `NO_DATA`, `HEALTHY` (< 5 % fallback) or `HIGH_FALLBACK`.
    pub status: &'static str,
}

/// [2] from the viewer-level debug log.
pub fn aggression(debug: &Family) -> Aggression {
    let recs: Vec<_> = debug.of_type("aggression_minute").collect();
    let trades: Vec<f64> = recs.iter().map(|r| num_or(r, "trade_count", 0.0)).collect();
    let notional: Vec<f64> = recs
        .iter()
        .map(|r| num_or(r, "total_notional_usd", 0.0))
        .collect();
    let fallback = recs
        .iter()
        .filter(|r| truthy(r.get("fallback_used")))
        .count();
    Aggression {
        total_minutes: recs.len(),
        avg_trade_count: mean(&trades).unwrap_or(0.0),
        median_trade_count: median(&trades).unwrap_or(0.0),
        avg_notional_usd: mean(&notional).unwrap_or(0.0),
        total_notional_usd: notional.iter().sum(),
        fallback_used_rate: pct(fallback, recs.len()),
        zero_trade_minutes: trades.iter().filter(|t| **t == 0.0).count(),
        status: if recs.is_empty() {
            "NO_DATA"
        } else if (fallback as f64) < 0.05 * recs.len() as f64 {
            "HEALTHY"
        } else {
            "HIGH_FALLBACK"
        },
    }
}

/// [3] Inference firing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InferenceFiring {
    /// Records.
    pub total_inference_events: usize,
    /// Entries with `side == "long"`.
    pub long_projections: usize,
    /// All other entries.
    pub short_projections: usize,
    /// Σ long `size_usd`.
    pub total_inferred_long_usd: f64,
    /// Σ other `size_usd`.
    pub total_inferred_short_usd: f64,
    /// `(max ts − min ts)/60` with ≥ 2 records.
    pub time_range_minutes: f64,
    /// Records per hour over the unrounded range.
    pub inferences_per_hour: f64,
    /// `NO_DATA`, `ACTIVE` (> 50) or `LOW_ACTIVITY`.
    pub status: &'static str,
}

/// [3] from the inference log (every record, as the reference).
pub fn inference_firing(inf: &Family) -> InferenceFiring {
    let mut m = InferenceFiring {
        total_inference_events: inf.records.len(),
        ..InferenceFiring::default()
    };
    for r in &inf.records {
        for e in entries(r) {
            let size = e.get("size_usd").and_then(Value::as_f64).unwrap_or(0.0);
            if e.get("side").and_then(Value::as_str) == Some("long") {
                m.long_projections += 1;
                m.total_inferred_long_usd += size;
            } else {
                m.short_projections += 1;
                m.total_inferred_short_usd += size;
            }
        }
    }
    let ts: Vec<f64> = inf.records.iter().map(|r| num_or(r, "ts", 0.0)).collect();
    if ts.len() >= 2 {
        let lo = ts.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        m.time_range_minutes = (hi - lo) / 60.0;
    }
    m.inferences_per_hour = if m.time_range_minutes > 0.0 {
        m.total_inference_events as f64 / (m.time_range_minutes / 60.0)
    } else {
        0.0
    };
    m.status = match m.total_inference_events {
        0 => "NO_DATA",
        n if n > 50 => "ACTIVE",
        _ => "LOW_ACTIVITY",
    };
    m
}

/// The `inferences[]` entries of an inference record.
pub fn entries(r: &super::read::Rec) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    r.get("inferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// [A] force-order hit rate and [A2] side coverage.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FoHitRate {
    /// FOs with `bucket > 0` at or after the first inference.
    pub total: usize,
    /// Hits within 0.5 % of the bucket over the 6-minute window.
    pub hits: usize,
    /// The rest.
    pub misses: usize,
    /// Percent.
    pub hit_rate: f64,
    /// Median closest distance of misses that had a candidate, percent.
    pub median_miss_pct: f64,
    /// Hits per FO side.
    pub side_hits: BTreeMap<String, usize>,
    /// Misses per FO side.
    pub side_misses: BTreeMap<String, usize>,
    /// [A2] FOs with a projection of their own side in the window.
    pub same: usize,
    /// [A2] only the opposite side (or an unusable inference minute).
    pub wrong: usize,
    /// [A2] no inference minute in the window.
    pub gap: usize,
    /// `100 * same / total`.
    pub coverage_pct: f64,
    /// `100 * wrong / total`.
    pub wrong_side_pct: f64,
    /// `100 * gap / total`.
    pub gap_pct: f64,
    /// `INSUFFICIENT_DATA` when an input is empty, else `OK`.
    pub status: &'static str,
}

/// [A] and [A2] from the tape and the inference log.
pub fn fo_hit_rate(tape: &Family, inf: &Family) -> FoHitRate {
    let mut m = FoHitRate::default();
    let fos: Vec<_> = tape.of_type("forceOrder").collect();
    let Some(first) = inf.records.first() else {
        m.status = "INSUFFICIENT_DATA";
        return m;
    };
    if fos.is_empty() {
        m.status = "INSUFFICIENT_DATA";
        return m;
    }
    m.status = "OK";
    let start = num_or(first, "ts", 0.0);
    let mut preds: HashMap<(i64, String), Vec<f64>> = HashMap::new();
    let mut sides: HashMap<i64, BTreeSet<String>> = HashMap::new();
    let mut minutes: BTreeSet<i64> = BTreeSet::new();
    for r in &inf.records {
        let k = minute(num_or(r, "minute_key", 0.0));
        minutes.insert(k);
        for e in entries(r) {
            let side = e.get("side").and_then(Value::as_str).unwrap_or("");
            if side.is_empty() {
                continue;
            }
            sides.entry(k).or_default().insert(side.to_string());
            if truthy(e.get("projected_liq")) {
                let p = e
                    .get("projected_liq")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                preds.entry((k, side.to_string())).or_default().push(p);
            }
        }
    }
    let mut miss_d = Vec::new();
    for fo in fos {
        let bucket = num_or(fo, "bucket", 0.0);
        let ts = num_or(fo, "ts", 0.0);
        if bucket <= 0.0 || ts < start {
            continue;
        }
        m.total += 1;
        let side = text(fo, "side").to_string();
        let k = minute_of(ts);
        let mut closest = f64::INFINITY;
        let mut hit = false;
        'window: for off in 0..=5 {
            if let Some(ps) = preds.get(&(k - off, side.clone())) {
                for p in ps {
                    let d = (bucket - p).abs() / bucket * 100.0;
                    closest = closest.min(d);
                    if d <= 0.5 {
                        hit = true;
                        break 'window;
                    }
                }
            }
        }
        if hit {
            m.hits += 1;
            *m.side_hits.entry(side.clone()).or_default() += 1;
        } else {
            m.misses += 1;
            *m.side_misses.entry(side.clone()).or_default() += 1;
            if closest.is_finite() {
                miss_d.push(closest);
            }
        }
        let opposite = if side == "long" { "short" } else { "long" };
        let window = || (0..=5).map(|off| k - off);
        let has = |s: &str| window().any(|w| sides.get(&w).is_some_and(|set| set.contains(s)));
        if has(&side) {
            m.same += 1;
        } else if has(opposite) {
            m.wrong += 1;
        } else if !window().any(|w| minutes.contains(&w)) {
            m.gap += 1;
        } else {
            m.wrong += 1;
        }
    }
    m.hit_rate = pct(m.hits, m.total);
    m.median_miss_pct = median(&miss_d).unwrap_or(0.0);
    m.coverage_pct = pct(m.same, m.total);
    m.wrong_side_pct = pct(m.wrong, m.total);
    m.gap_pct = pct(m.gap, m.total);
    m
}

/// [B] calibrator events.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CalibratorEvents {
    /// `event` records.
    pub event_count: usize,
    /// Truthy `is_hit`.
    pub hit_count: usize,
    /// The rest.
    pub miss_count: usize,
    /// Percent.
    pub hit_rate: f64,
    /// `minute_inputs` records.
    pub minute_inputs: usize,
    /// `approach_minute_summary` records.
    pub approach_summaries: usize,
    /// Median truthy `miss_usd` per truthy `attributed_leverage`.
    pub leverage_offset_medians: BTreeMap<i64, f64>,
    /// Median truthy `miss_usd` per side.
    pub side_offset_medians: BTreeMap<String, f64>,
    /// `NO_EVENTS`, `CALIBRATING` (> 10) or `INSUFFICIENT_SAMPLES`.
    pub status: &'static str,
}

/// [B] from the calibrator log (no de-duplication).
pub fn calibrator_events(cal: &Family) -> CalibratorEvents {
    let mut m = CalibratorEvents::default();
    let mut by_lev: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    let mut by_side: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in cal.of_type("event") {
        m.event_count += 1;
        if truthy(r.get("is_hit")) {
            m.hit_count += 1;
        }
        if truthy(r.get("attributed_leverage")) && truthy(r.get("miss_usd")) {
            let miss = num_or(r, "miss_usd", 0.0);
            let lev = num_or(r, "attributed_leverage", 0.0) as i64;
            by_lev.entry(lev).or_default().push(miss);
            by_side
                .entry(text(r, "side").to_string())
                .or_default()
                .push(miss);
        }
    }
    m.miss_count = m.event_count - m.hit_count;
    m.hit_rate = pct(m.hit_count, m.event_count);
    m.minute_inputs = cal.of_type("minute_inputs").count();
    m.approach_summaries = cal.of_type("approach_minute_summary").count();
    m.leverage_offset_medians = by_lev
        .into_iter()
        .filter_map(|(k, v)| median(&v).map(|x| (k, x)))
        .collect();
    m.side_offset_medians = by_side
        .into_iter()
        .filter_map(|(k, v)| median(&v).map(|x| (k, x)))
        .collect();
    m.status = match m.event_count {
        0 => "NO_EVENTS",
        n if n > 10 => "CALIBRATING",
        _ => "INSUFFICIENT_SAMPLES",
    };
    m
}

/// [C] approach skip analysis (and CA section G).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Approach {
    /// `approach_minute_summary` records.
    pub minutes: usize,
    /// Σ `approach_candidates`.
    pub total_candidates: f64,
    /// Σ `approach_used`.
    pub total_used: f64,
    /// Σ `approach_skipped`.
    pub total_skipped: f64,
    /// `100 * used / candidates`.
    pub use_rate: f64,
    /// Reasons of `skipped_zones[].skip_reason` (the reference's only source).
    pub skipped_zone_reasons: BTreeMap<String, usize>,
    /// Σ of the records' `skip_reasons` objects (ignored by the reference, U11).
    pub skip_reasons: BTreeMap<String, f64>,
}

/// [C] from the calibrator log.
pub fn approach(cal: &Family) -> Approach {
    let mut m = Approach::default();
    for r in cal.of_type("approach_minute_summary") {
        m.minutes += 1;
        m.total_candidates += num_or(r, "approach_candidates", 0.0);
        m.total_used += num_or(r, "approach_used", 0.0);
        m.total_skipped += num_or(r, "approach_skipped", 0.0);
        for z in r
            .get("skipped_zones")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let reason = z
                .get("skip_reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            *m.skipped_zone_reasons
                .entry(reason.to_string())
                .or_default() += 1;
        }
        if let Some(o) = r.get("skip_reasons").and_then(Value::as_object) {
            for (k, v) in o {
                *m.skip_reasons.entry(k.clone()).or_default() += v.as_f64().unwrap_or(0.0);
            }
        }
    }
    m.use_rate = if m.total_candidates > 0.0 {
        100.0 * m.total_used / m.total_candidates
    } else {
        0.0
    };
    m
}

/// [D] long/short symmetry of the V2 snapshot.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Symmetry {
    /// Snapshot price (`price`, else `src`).
    pub price: f64,
    /// Long levels.
    pub long_levels: usize,
    /// Short levels.
    pub short_levels: usize,
    /// Mean distance of long levels below price, percent.
    pub avg_long_distance_pct: f64,
    /// Mean distance of short levels above price, percent.
    pub avg_short_distance_pct: f64,
    /// `|long − short|`.
    pub distance_asymmetry: f64,
    /// Σ long `notional_usd`.
    pub total_long_notional: f64,
    /// Σ short `notional_usd`.
    pub total_short_notional: f64,
    /// long / short (0 when short is 0).
    pub notional_ratio_long_short: f64,
    /// `NO_SNAPSHOT`, `INSUFFICIENT_DATA`, `SYMMETRIC` or `ASYMMETRIC` (> 1 pp).
    pub status: &'static str,
}

/// [D] from the V2 snapshot.
pub fn symmetry(s: &SymbolLogs) -> Symmetry {
    let mut m = Symmetry::default();
    let Some(snap) = s.snapshot_v2.value().and_then(Value::as_object) else {
        m.status = "NO_SNAPSHOT";
        return m;
    };
    m.price = num(snap, "price")
        .filter(|p| *p != 0.0)
        .or_else(|| num(snap, "src"))
        .unwrap_or(0.0);
    let levels = |k: &str| -> Vec<(f64, f64)> {
        snap.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|l| (num_or(l, "price", 0.0), num_or(l, "notional_usd", 0.0)))
            .collect()
    };
    let (long, short) = (levels("long_levels"), levels("short_levels"));
    m.long_levels = long.len();
    m.short_levels = short.len();
    if long.is_empty() || short.is_empty() || m.price == 0.0 {
        m.status = "INSUFFICIENT_DATA";
        return m;
    }
    let p = m.price;
    let ld: Vec<f64> = long.iter().map(|l| (p - l.0) / p * 100.0).collect();
    let sd: Vec<f64> = short.iter().map(|l| (l.0 - p) / p * 100.0).collect();
    m.avg_long_distance_pct = mean(&ld).unwrap_or(0.0);
    m.avg_short_distance_pct = mean(&sd).unwrap_or(0.0);
    m.distance_asymmetry = (m.avg_long_distance_pct - m.avg_short_distance_pct).abs();
    m.total_long_notional = long.iter().map(|l| l.1).sum();
    m.total_short_notional = short.iter().map(|l| l.1).sum();
    m.notional_ratio_long_short = if m.total_short_notional != 0.0 {
        m.total_long_notional / m.total_short_notional
    } else {
        0.0
    };
    m.status = if m.distance_asymmetry > 1.0 {
        "ASYMMETRIC"
    } else {
        "SYMMETRIC"
    };
    m
}

/// [E] calibration weights (the symbol's own weights file).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Weights {
    /// Whether the file was found and parsed.
    pub present: bool,
    /// `buffer`.
    pub buffer: Option<f64>,
    /// `calibration_count`.
    pub calibration_count: Option<f64>,
    /// `weights_by_leverage` by tier.
    pub weights_by_leverage: BTreeMap<i64, f64>,
    /// `ladder`.
    pub ladder: Vec<i64>,
}

/// [E] from the weights file.
pub fn weights(s: &SymbolLogs) -> Weights {
    let Some(w) = s.weights.value().and_then(Value::as_object) else {
        return Weights::default();
    };
    Weights {
        present: true,
        buffer: num(w, "buffer"),
        calibration_count: num(w, "calibration_count"),
        weights_by_leverage: w
            .get("weights_by_leverage")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.parse::<i64>().ok()?, v.as_f64()?)))
            .collect(),
        ladder: w
            .get("ladder")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .collect(),
    }
}

/// All runtime blocks of one symbol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Runtime {
    /// [1]
    pub ingestion: Ingestion,
    /// [3]
    pub inference: InferenceFiring,
    /// [4] sweep records.
    pub sweep_count: usize,
    /// [A], [A2]
    pub fo_hit_rate: FoHitRate,
    /// [B]
    pub calibrator: CalibratorEvents,
    /// [C]
    pub approach: Approach,
    /// [D]
    pub symmetry: Symmetry,
    /// [E]
    pub weights: Weights,
}

/// The runtime blocks of `s`.
pub fn runtime(s: &SymbolLogs) -> Runtime {
    Runtime {
        ingestion: ingestion(s.fam("tape")),
        inference: inference_firing(s.fam("inference")),
        sweep_count: s.fam("sweeps").records.len(),
        fo_hit_rate: fo_hit_rate(s.fam("tape"), s.fam("inference")),
        calibrator: calibrator_events(s.fam("calibrator")),
        approach: approach(s.fam("calibrator")),
        symmetry: symmetry(s),
        weights: weights(s),
    }
}
