//! The A5 acceptance criteria over zone lives (audit_and_plots.md section 5, DECISIONS audit 1
//! and 2): lives from the zone log, touches from the minute price path, the three criteria for
//! combined and strong zones, and the same numbers over all sources.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::read::{SymbolLogs, num, num_or, text};
use super::stats::median;

/// How a life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `zone_swept`.
    Swept,
    /// `zone_expired`.
    Expired,
    /// `zone_merged` (our logs, DECISIONS zones 10).
    Merged,
    /// Disappeared without a record.
    Vanished,
    /// Still in the persisted zones at the end.
    Alive,
}

/// One zone life.
#[derive(Clone, Debug, Serialize)]
pub struct Life {
    /// Side.
    pub side: String,
    /// Price as logged.
    pub price: f64,
    /// Start, epoch seconds.
    pub created: f64,
    /// End (`None` while open).
    pub end: Option<f64>,
    /// Largest weight seen.
    pub max_weight: f64,
    /// Last source.
    pub source: String,
    /// Outcome.
    pub outcome: Outcome,
    /// `lifespan_min` of the closing record.
    pub lifespan_min: Option<f64>,
    /// Whether a bar touched it during its life.
    pub touched: bool,
}

/// The three criteria over one set of lives.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Criteria {
    /// Lives in the set.
    pub lives: usize,
    /// Closed swept or expired.
    pub closed: usize,
    /// Swept.
    pub swept: usize,
    /// Expired.
    pub expired: usize,
    /// Merged (our logs only).
    pub merged: usize,
    /// Vanished.
    pub vanished: usize,
    /// Alive at the end.
    pub alive: usize,
    /// A5.1: median lifespan of closed lives, minutes.
    pub lifespan_median_min: Option<f64>,
    /// A5.2: `swept / (swept + expired)`.
    pub swept_rate: Option<f64>,
}

/// The A5 section of one symbol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct A5 {
    /// Whether a zone log was found.
    pub has_zone_log: bool,
    /// `zone_created` records.
    pub created_records: usize,
    /// Bars of the price path (and where they came from).
    pub bars: usize,
    /// `cycle_summary`, `minute_inputs` or `none`.
    pub bar_source: &'static str,
    /// Combined lives (A5.1, A5.2).
    pub combined: Criteria,
    /// All lives (informative).
    pub all: Criteria,
    /// Strong lives (max weight ≥ 0.5).
    pub strong_total: usize,
    /// Strong lives that vanished.
    pub strong_vanished: usize,
    /// Strong lives merged.
    pub strong_merged: usize,
    /// Strong lives alive at the end.
    pub strong_alive: usize,
    /// Strong lives expired without a touch.
    pub strong_expired_untouched: usize,
    /// A5.3: `strong expired untouched / strong not vanished (nor merged)`.
    pub strong_lost_before_touch: Option<f64>,
    /// Every life, in opening order.
    #[serde(skip)]
    pub lives: Vec<Life>,
}

/// Strong-zone weight (USD / 100 000, so $50k).
pub const STRONG_WEIGHT: f64 = 0.5;

fn key(side: &str, price: f64) -> (String, u64) {
    (side.to_string(), price.to_bits())
}

fn criteria<'a>(lives: impl Iterator<Item = &'a Life>) -> Criteria {
    let mut c = Criteria::default();
    let mut spans = Vec::new();
    for l in lives {
        c.lives += 1;
        match l.outcome {
            Outcome::Swept => c.swept += 1,
            Outcome::Expired => c.expired += 1,
            Outcome::Merged => c.merged += 1,
            Outcome::Vanished => c.vanished += 1,
            Outcome::Alive => c.alive += 1,
        }
        if matches!(l.outcome, Outcome::Swept | Outcome::Expired)
            && let Some(s) = l.lifespan_min
        {
            spans.push(s);
        }
    }
    c.closed = c.swept + c.expired;
    c.lifespan_median_min = median(&spans);
    c.swept_rate = (c.closed > 0).then(|| c.swept as f64 / c.closed as f64);
    c
}

/// Computes A5 for `s`.
pub fn a5(s: &SymbolLogs) -> A5 {
    let zl = s.fam("zones");
    let mut out = A5 {
        has_zone_log: !zl.files.is_empty(),
        ..A5::default()
    };
    let mut open: HashMap<(String, u64), usize> = HashMap::new();
    let mut lives: Vec<Life> = Vec::new();
    let mut last_ts: f64 = 0.0;
    for r in &zl.records {
        let side = text(r, "side");
        let price = num_or(r, "price", 0.0);
        let ts = num_or(r, "ts", 0.0);
        last_ts = last_ts.max(ts);
        let k = key(side, price);
        let weight = num_or(r, "weight", 0.0);
        let source = text(r, "source").to_string();
        match text(r, "type") {
            "zone_created" => {
                out.created_records += 1;
                if let Some(i) = open.remove(&k) {
                    lives[i].end = Some(ts);
                    lives[i].outcome = Outcome::Vanished;
                }
                open.insert(k, lives.len());
                lives.push(Life {
                    side: side.to_string(),
                    price,
                    created: ts,
                    end: None,
                    max_weight: weight,
                    source,
                    outcome: Outcome::Alive,
                    lifespan_min: None,
                    touched: false,
                });
            }
            "zone_reinforced" => {
                if let Some(&i) = open.get(&k) {
                    let l = &mut lives[i];
                    l.max_weight = l.max_weight.max(weight);
                    if !source.is_empty() {
                        l.source = source;
                    }
                }
            }
            t @ ("zone_swept" | "zone_expired" | "zone_merged") => {
                let outcome = match t {
                    "zone_swept" => Outcome::Swept,
                    "zone_expired" => Outcome::Expired,
                    _ => Outcome::Merged,
                };
                let span = num(r, "lifespan_min");
                let i = match open.remove(&k) {
                    Some(i) => i,
                    None => {
                        lives.push(Life {
                            side: side.to_string(),
                            price,
                            created: ts - 60.0 * span.unwrap_or(0.0),
                            end: None,
                            max_weight: weight,
                            source: source.clone(),
                            outcome: Outcome::Alive,
                            lifespan_min: None,
                            touched: false,
                        });
                        lives.len() - 1
                    }
                };
                let l = &mut lives[i];
                l.max_weight = l.max_weight.max(weight);
                l.outcome = outcome;
                l.end = Some(ts);
                l.lifespan_min = span;
                if !source.is_empty() {
                    l.source = source;
                }
            }
            _ => {}
        }
    }
    let persisted: HashSet<(String, u64)> = s
        .active_zones
        .value()
        .and_then(|v| v.get("zones"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|z| key(text(z, "side"), num_or(z, "price", 0.0)))
        .collect();
    for &i in open.values() {
        let k = key(&lives[i].side, lives[i].price);
        lives[i].outcome = if persisted.contains(&k) {
            Outcome::Alive
        } else {
            Outcome::Vanished
        };
    }
    // Price path: cycle summaries, else calibrator minute inputs.
    let mut bars: Vec<(f64, f64, f64)> = s
        .fam("cycles")
        .of_type("cycle_summary")
        .filter_map(|r| Some((num(r, "ts")?, num(r, "high")?, num(r, "low")?)))
        .collect();
    out.bar_source = "cycle_summary";
    if bars.is_empty() {
        bars = s
            .fam("calibrator")
            .of_type("minute_inputs")
            .filter_map(|r| {
                Some((
                    num(r, "minute_key")? * 60.0,
                    num(r, "high")?,
                    num(r, "low")?,
                ))
            })
            .collect();
        out.bar_source = if bars.is_empty() {
            "none"
        } else {
            "minute_inputs"
        };
    }
    out.bars = bars.len();
    let log_end = bars.iter().map(|b| b.0).fold(last_ts, f64::max);
    for l in &mut lives {
        let end = l.end.unwrap_or(log_end);
        l.touched = bars.iter().any(|&(ts, h, lo)| {
            ts >= l.created
                && ts <= end
                && if l.side == "long" {
                    lo > 0.0 && lo <= l.price
                } else {
                    h >= l.price
                }
        });
    }
    out.combined = criteria(lives.iter().filter(|l| l.source == "combined"));
    out.all = criteria(lives.iter());
    let strong: Vec<&Life> = lives
        .iter()
        .filter(|l| l.max_weight >= STRONG_WEIGHT)
        .collect();
    out.strong_total = strong.len();
    out.strong_vanished = strong
        .iter()
        .filter(|l| l.outcome == Outcome::Vanished)
        .count();
    out.strong_merged = strong
        .iter()
        .filter(|l| l.outcome == Outcome::Merged)
        .count();
    out.strong_alive = strong
        .iter()
        .filter(|l| l.outcome == Outcome::Alive)
        .count();
    out.strong_expired_untouched = strong
        .iter()
        .filter(|l| l.outcome == Outcome::Expired && !l.touched)
        .count();
    let denom = out.strong_total - out.strong_vanished - out.strong_merged;
    out.strong_lost_before_touch =
        (denom > 0).then(|| out.strong_expired_untouched as f64 / denom as f64);
    out.lives = lives;
    out
}
