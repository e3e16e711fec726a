//! The comprehensive audit's loaded structures (audit_and_plots.md 4.1): calibrator events with
//! epoch times, tape zones, inference zones, minute contexts, minute prices, offsets.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::read::{Family, Rec, SymbolLogs, minute, minute_of, num, num_or, text};
use super::runtime::entries;
use super::stats::parse_iso;

/// One de-duplicated calibrator event.
#[derive(Clone, Debug)]
pub struct Event {
    /// `event_price`.
    pub price: f64,
    /// `long` / `short`.
    pub side: String,
    /// Epoch seconds (the local string converted with the offset).
    pub t: f64,
    /// `floor(t/60)`.
    pub k: i64,
}

/// One tape entry.
#[derive(Clone, Debug)]
pub struct TapeEntry {
    /// Side.
    pub side: String,
    /// Bucket.
    pub bucket: f64,
}

/// One inference zone.
#[derive(Clone, Debug)]
pub struct InfZone {
    /// Minute key of its record.
    pub m: i64,
    /// Side.
    pub side: String,
    /// `projected_liq`.
    pub price: f64,
    /// `size_usd`.
    pub size: f64,
    /// `confidence`.
    pub confidence: f64,
    /// The record's `ts`.
    pub created: f64,
}

/// A minute context (`minute_inference`).
#[derive(Clone, Debug)]
pub struct Context {
    /// `oi_delta_usd`.
    pub oi_delta_usd: f64,
    /// `buy_weight`.
    pub buy_weight: f64,
    /// `projected_added_long_usd`.
    pub added_long: f64,
    /// `projected_added_short_usd`.
    pub added_short: f64,
}

/// A minute bar from `minute_inputs` (null fields stay `None`).
#[derive(Clone, Copy, Debug)]
pub struct Bar {
    /// High.
    pub high: Option<f64>,
    /// Low.
    pub low: Option<f64>,
}

/// One offset sample (section I).
#[derive(Clone, Debug)]
pub struct Offset {
    /// `attributed_leverage`.
    pub tier: i64,
    /// `miss_usd`.
    pub miss_usd: f64,
    /// Side.
    pub side: String,
}

/// Everything the CA sections read.
#[derive(Clone, Debug, Default)]
pub struct CaData {
    /// Events sorted by time.
    pub events: Vec<Event>,
    /// Events whose timestamp did not parse.
    pub unparsed_events: usize,
    /// Duplicate events dropped.
    pub duplicate_events: usize,
    /// Events flagged `price_insane` (excluded from offsets, U12).
    pub insane_events: usize,
    /// Tape entries by minute.
    pub tape: BTreeMap<i64, Vec<TapeEntry>>,
    /// Inference zones in file order.
    pub zones: Vec<InfZone>,
    /// Inference zone indices by minute.
    pub zones_by_minute: BTreeMap<i64, Vec<usize>>,
    /// Contexts by minute (first wins).
    pub contexts: BTreeMap<i64, Context>,
    /// Bars by minute (last wins).
    pub bars: BTreeMap<i64, Bar>,
    /// Offsets.
    pub offsets: Vec<Offset>,
}

/// Whether an epoch-offset guess makes a calibrator event coincide with a tape `ts`.
fn infer_offset(cal: &Family, tape: &Family) -> Option<f64> {
    let ev = cal.of_type("event").find_map(|r| {
        let t = parse_iso(text(r, "timestamp"))?;
        Some(t)
    })?;
    if let Some(o) = ev.offset_s {
        return Some(o);
    }
    let ts: Vec<f64> = tape
        .of_type("forceOrder")
        .filter_map(|r| num(r, "ts"))
        .collect();
    // The offset (a multiple of 15 minutes) that brings the event closest to a tape time.
    ts.iter()
        .map(|t| {
            let off = ((ev.naive - t) / 900.0).round() * 900.0;
            (off, (ev.naive - off - t).abs())
        })
        .filter(|(_, resid)| *resid < 5.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(o, _)| o)
}

/// The log UTC offset in seconds: `--tz-offset` when given, else inferred from the first
/// symbol whose first calibrator event matches a tape time, else 0 (UTC).
pub fn log_offset_seconds(syms: &[SymbolLogs], given_hours: Option<f64>) -> (f64, &'static str) {
    if let Some(h) = given_hours {
        return (h * 3600.0, "given");
    }
    syms.iter()
        .find_map(|s| infer_offset(s.fam("calibrator"), s.fam("tape")))
        .map_or((0.0, "default (UTC)"), |o| (o, "inferred from tape"))
}

fn context(r: &Rec) -> Context {
    Context {
        oi_delta_usd: num_or(r, "oi_delta_usd", 0.0),
        buy_weight: num_or(r, "buy_weight", 0.5),
        added_long: num_or(r, "projected_added_long_usd", 0.0),
        added_short: num_or(r, "projected_added_short_usd", 0.0),
    }
}

/// Loads the CA structures of `s`, reading local timestamps at `offset_s` from UTC.
pub fn load(s: &SymbolLogs, offset_s: f64) -> CaData {
    let mut d = CaData::default();
    let cal = s.fam("calibrator");
    let mut seen: HashSet<(String, u64, String)> = HashSet::new();
    for r in cal.of_type("event") {
        let ts = text(r, "timestamp");
        let Some(t) = parse_iso(ts).map(|t| t.epoch(offset_s)) else {
            d.unparsed_events += 1;
            continue;
        };
        let price = num_or(r, "event_price", 0.0);
        let side = text(r, "side").to_string();
        if !seen.insert((ts.to_string(), price.to_bits(), side.clone())) {
            d.duplicate_events += 1;
            continue;
        }
        let insane = r.get("price_insane").and_then(Value::as_bool) == Some(true);
        if insane {
            d.insane_events += 1;
        }
        if let (Some(tier), Some(miss)) = (num(r, "attributed_leverage"), num(r, "miss_usd"))
            && !insane
        {
            d.offsets.push(Offset {
                tier: tier as i64,
                miss_usd: miss,
                side: side.clone(),
            });
        }
        d.events.push(Event {
            price,
            side,
            t,
            k: minute_of(t),
        });
    }
    d.events.sort_by(|a, b| a.t.total_cmp(&b.t));
    for r in s.fam("tape").of_type("forceOrder") {
        let m = minute_of(num_or(r, "ts", 0.0));
        d.tape.entry(m).or_default().push(TapeEntry {
            side: text(r, "side").to_string(),
            bucket: num_or(r, "bucket", 0.0),
        });
    }
    for r in s.fam("inference").of_type("inference") {
        let ts = num_or(r, "ts", 0.0);
        let m = num(r, "minute_key").map_or(minute_of(ts), minute);
        for e in entries(r) {
            let f = |k: &str| e.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            d.zones_by_minute.entry(m).or_default().push(d.zones.len());
            d.zones.push(InfZone {
                m,
                side: e
                    .get("side")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                price: f("projected_liq"),
                size: f("size_usd"),
                confidence: f("confidence"),
                created: ts,
            });
        }
    }
    for r in s.fam("debug").of_type("minute_inference") {
        let k = minute(num_or(r, "minute_key", 0.0));
        d.contexts.entry(k).or_insert_with(|| context(r));
    }
    for r in cal.of_type("minute_inputs") {
        let k = minute(num_or(r, "minute_key", 0.0));
        d.bars.insert(
            k,
            Bar {
                high: num(r, "high"),
                low: num(r, "low"),
            },
        );
    }
    d
}

impl CaData {
    /// Tape buckets of side `s` in minutes `lo..=hi` (a set).
    pub fn tape_prices(&self, lo: i64, hi: i64, side: &str) -> Vec<f64> {
        if lo > hi {
            return Vec::new();
        }
        let mut v: Vec<f64> = self
            .tape
            .range(lo..=hi)
            .flat_map(|(_, es)| es.iter())
            .filter(|e| e.side == side)
            .map(|e| e.bucket)
            .collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    }

    /// Inference zones `(price, created)` of side `s` in minutes `lo..=hi` (a list).
    pub fn inf_zones(&self, lo: i64, hi: i64, side: &str) -> Vec<(f64, f64)> {
        if lo > hi {
            return Vec::new();
        }
        self.zones_by_minute
            .range(lo..=hi)
            .flat_map(|(_, ix)| ix.iter())
            .map(|&i| &self.zones[i])
            .filter(|z| z.side == side)
            .map(|z| (z.price, z.created))
            .collect()
    }
}
